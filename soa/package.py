"""The offline evidence package: one zip, streamed, with a manifest and checksums."""

import csv
import hashlib
import html
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime

from evidence.api import open_blob, package_entries
from isms.api import anchor_head, get_edition, record_event, safe_text, utcnow
from soa.versions import latest_approved

CHUNK = 1024 * 1024


class _Sink:
    """A write-only file for zipfile that hands the written bytes on instead of keeping them."""

    def __init__(self):
        self._chunks: list[bytes] = []
        self._position = 0

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        data, self._chunks = b"".join(self._chunks), []
        return data


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name or "file")[:80] or "file"


def start_package(edition: str, control_ids: list[str], org_name: str,
                  actor: str) -> Iterator[bytes]:
    """The one builder of the package: anchor the chain, audit the build, return the stream.

    The web download and `isms evidence package` both call it, so both write the same files
    and one `package.build` event each (the caller commits before streaming).
    """
    head = anchor_head(f"evidence package by {actor} at {utcnow():%Y-%m-%d %H:%M}")
    record_event("package.build", "audit_package", actor, actor=actor,
                 after={"controls": len(control_ids), "chain_seq": head[0]})
    return stream_package(edition, list(control_ids), head, org_name)


def stream_package(edition: str, control_ids, head: tuple[int, str],
                   org_name: str) -> Iterator[bytes]:
    """Yield the zip's bytes; memory stays flat whatever the number of files.

    Everything the generator needs from the request is passed in: it runs after the view
    returned, when objects loaded during the request are no longer attached.
    """
    sink, sums, manifest, stored = _Sink(), [], [], {}
    built = utcnow()
    with zipfile.ZipFile(sink, "w", allowZip64=True) as archive:
        for entry in package_entries(edition, control_ids):
            path = stored.get(entry.sha256)
            if path is None:
                name = _safe(entry.file_name or "text.txt")
                path = f"files/{entry.sha256[:2]}/{entry.sha256}-{name}"
                digest = yield from _write_blob(archive, sink, path, entry)
                stored[entry.sha256] = path
                sums.append((digest, path))
            manifest.append([entry.control_id, entry.item, entry.version, path, entry.sha256,
                             entry.collected_on, entry.valid_until or ""])
        extras = _extras(edition, control_ids, manifest, head, built, org_name)
        for name, data in extras:
            archive.writestr(_info(name, built), data, compress_type=zipfile.ZIP_DEFLATED)
            sums.append((hashlib.sha256(data).hexdigest(), name))
            yield sink.drain()
        listing = "".join(f"{digest}  {name}\n" for digest, name in sums).encode()
        archive.writestr(_info("SHA256SUMS", built), listing)
    yield sink.drain()


def _info(name: str, moment: datetime) -> zipfile.ZipInfo:
    return zipfile.ZipInfo(name, date_time=moment.timetuple()[:6])


def _write_blob(archive, sink, path: str, entry):
    digest = hashlib.sha256()
    with archive.open(_info(path, utcnow()), "w", force_zip64=True) as target:
        if entry.storage_key is None:
            data = (entry.text or "").encode("utf-8")
            digest.update(data)
            target.write(data)
        else:
            source = open_blob(entry.storage_key)
            try:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    target.write(chunk)
                    yield sink.drain()
            finally:
                source.close()
    yield sink.drain()
    return digest.hexdigest()


def _extras(edition, control_ids, manifest, head, built, org_name) -> list[tuple[str, bytes]]:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["control", "item", "version", "path", "sha256", "collected_on",
                     "valid_until"])
    writer.writerows([safe_text(cell) for cell in row] for row in manifest)
    chain = f"seq {head[0]}\nsha256 {head[1]}\nbuilt {built:%Y-%m-%dT%H:%M:%SZ}\n"
    extras = [("manifest.csv", text.getvalue().encode("utf-8")),
              ("audit-chain-head.txt", chain.encode())]
    soa = latest_approved()
    if soa is not None and soa.workbook is not None:
        extras.append((f"soa/SoA-v{soa.number}.xlsx", soa.workbook))
    extras.append(("index.html", _index(edition, control_ids, manifest, head, soa,
                                        org_name).encode()))
    return extras


def _index(edition, control_ids, manifest, head, soa, org_name: str) -> str:
    catalog, name = get_edition(edition), html.escape(org_name)
    by_control: dict[str, list] = {}
    for row in manifest:
        by_control.setdefault(row[0], []).append(row)
    parts = [f"<!doctype html><html lang='en'><meta charset='utf-8'><title>Evidence package "
             f"{name}</title><h1>Evidence for {name}</h1>",
             f"<p>ISO/IEC 27001:{edition}. Audit chain head at build: event {head[0]}, "
             f"SHA-256 <code>{head[1]}</code>.</p>"]
    if soa is not None:
        parts.append(f"<p><a href='soa/SoA-v{soa.number}.xlsx'>Statement of Applicability "
                     f"v{soa.number}</a></p>")
    positions = {item.control_id: item.position for item in catalog.items}
    for control_id in sorted(control_ids, key=lambda c: positions.get(c, 0)):
        item = catalog.get(control_id)
        parts.append(f"<h2>{control_id} {html.escape(item.title if item else '')}</h2><ul>")
        for row in by_control.get(control_id, []):
            parts.append(f"<li><a href='{html.escape(row[3])}'>{html.escape(str(row[1]))} "
                         f"v{row[2]}</a> collected {row[5]}, valid until {row[6] or '-'}</li>")
        parts.append("</ul>" if control_id in by_control else "<li>No evidence.</li></ul>")
    return "\n".join(parts)
