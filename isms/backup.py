"""Portable backup and restore: every table as JSON lines, the blobs, and a hashed manifest.

The archive is a gzipped tar holding `tables/<table>.jsonl` (one JSON object per row, in
primary-key order), `blobs/<store>/<key>` (the content each registered blob store's rows
reference) and, last, `manifest.json` with the SHA-256 of every other file. Tables come from
`db.metadata.sorted_tables`, so every package's tables are included without this module
knowing them. Values are written by column type (datetimes and dates as ISO-8601, bytes as
base64, enums as their stored value), so a backup taken on SQLite restores into PostgreSQL
and back.
"""

import base64
import contextlib
import hashlib
import io
import json
import os
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import BinaryIO

from flask import current_app
from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    LargeBinary,
    Numeric,
    Table,
    Time,
    func,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.types import TypeDecorator

from isms.audit import GENESIS_HASH, AuditHead
from isms.db import db, utcnow

FORMAT = "isms-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024
BATCH = 1000


class BackupError(RuntimeError):
    """The backup or restore cannot go on; nothing was restored."""


@dataclass(frozen=True)
class BlobStore:
    """Where a feature keeps content its rows point at, as the backup sees it."""

    name: str  # the folder under blobs/ in the archive
    keys: Callable[[Connection], Iterable[str]]  # keys the backed-up rows reference
    open: Callable[[str], BinaryIO]
    put: Callable[[str, BinaryIO], None]
    exists: Callable[[str], bool]


def register_blob_store(app, store: BlobStore) -> None:
    """Let a feature add its stored content to every backup and restore."""
    app.extensions.setdefault("isms.blob_stores", {})[store.name] = store


def _blob_stores() -> dict[str, BlobStore]:
    return current_app.extensions.get("isms.blob_stores", {})


# --- values -------------------------------------------------------------------------------

def _base_type(column):
    kind = column.type
    return kind.impl if isinstance(kind, TypeDecorator) else kind


def encode(value):
    """Turn a column value into JSON; the column's type tells `decode` how to read it back."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def decode(column, value):
    """Read a value written by `encode` back into what the column's type binds."""
    if value is None:
        return None
    kind = _base_type(column)
    if isinstance(kind, JSON):
        return value
    if isinstance(kind, LargeBinary):
        return base64.b64decode(value)
    if isinstance(kind, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(kind, Date):
        return date.fromisoformat(value)
    if isinstance(kind, Time):
        return time.fromisoformat(value)
    if isinstance(kind, Numeric) and not isinstance(kind, Float):
        return Decimal(value)
    return value


# --- backup -------------------------------------------------------------------------------

@dataclass(frozen=True)
class BackupReport:
    tables: int
    rows: int
    blobs: int
    warnings: list[str]


def schema_revision(conn: Connection) -> str:
    """Return the Alembic revision the database is at, or an empty string."""
    from alembic.runtime.migration import MigrationContext  # Alembic: not at a worker's start

    return MigrationContext.configure(conn).get_current_revision() or ""


@contextlib.contextmanager
def _snapshot() -> Iterator[Connection]:
    """A connection that sees one consistent state of the database for the whole backup."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            yield conn
        return
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        previous = raw.isolation_level
        raw.isolation_level = None  # let us open the read transaction ourselves
        try:
            conn.exec_driver_sql("BEGIN")  # WAL: this reader keeps its snapshot until the end
            yield conn
        finally:
            raw.rollback()
            raw.isolation_level = previous
            conn.invalidate()  # do not hand a connection we changed back to the pool


class _HashingWriter:
    """A temporary file that hashes what is written, to be added to the archive."""

    def __init__(self, folder: str):
        self.file = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 (closed by _add)
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.digest.update(data)
        self.size += len(data)
        self.file.write(data)


def _add(archive: tarfile.TarFile, name: str, writer: _HashingWriter, files: dict) -> None:
    writer.file.seek(0)
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = writer.size, int(utcnow().timestamp()), 0o600
    archive.addfile(info, writer.file)
    writer.file.close()
    files[name] = {"sha256": writer.digest.hexdigest(), "size": writer.size}


def _ordered(table: Table):
    query = select(table)
    order = list(table.primary_key.columns) or list(table.columns)
    return query.order_by(*order)


def backup(out_path: str) -> BackupReport:
    """Write the whole instance to a gzipped tar at out_path, atomically."""
    folder = os.path.dirname(os.path.abspath(out_path))
    files: dict[str, dict] = {}
    warnings: list[str] = []
    fd, partial = tempfile.mkstemp(dir=folder, prefix=".backup-", suffix=".part")
    os.close(fd)
    try:
        with _snapshot() as conn, tarfile.open(partial, "w:gz") as archive:
            tables = _write_tables(conn, archive, folder, files)
            blobs = _write_blobs(conn, archive, folder, files, warnings)
            manifest = {"format": FORMAT, "version": FORMAT_VERSION,
                        "created_at": utcnow().isoformat(),
                        "schema_revision": schema_revision(conn),
                        "source_dialect": db.engine.dialect.name, "tables": tables,
                        "blobs": blobs, "files": files}
            data = json.dumps(manifest, indent=1, sort_keys=True).encode("utf-8")
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(utcnow().timestamp()), 0o600
            archive.addfile(info, io.BytesIO(data))
        os.replace(partial, out_path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)
    return BackupReport(len(tables), sum(t["rows"] for t in tables), len(blobs), warnings)


def _write_tables(conn, archive, folder: str, files: dict) -> list[dict]:
    """Every table in foreign-key order, one JSON object per row, streamed in batches."""
    tables = []
    for table in db.metadata.sorted_tables:
        writer, count = _HashingWriter(folder), 0
        for row in conn.execute(_ordered(table)).mappings().yield_per(BATCH):
            line = json.dumps({k: encode(v) for k, v in row.items()},
                              ensure_ascii=False, separators=(",", ":"))
            writer.write(line.encode("utf-8") + b"\n")
            count += 1
        name = f"tables/{table.name}.jsonl"
        _add(archive, name, writer, files)
        tables.append({"name": table.name, "file": name, "rows": count})
    return tables


def _write_blobs(conn, archive, folder: str, files: dict, warnings: list[str]) -> list[dict]:
    """Each registered store's referenced blobs; a missing one is named, not fatal."""
    blobs = []
    for store in _blob_stores().values():
        for key in sorted(set(store.keys(conn))):
            name = f"blobs/{store.name}/{key}"
            if not store.exists(key):
                warnings.append(f"{name} is referenced but missing; it is not in the backup.")
                continue
            writer, stream = _HashingWriter(folder), store.open(key)
            try:
                while chunk := stream.read(CHUNK):
                    writer.write(chunk)
            finally:
                stream.close()
            if writer.digest.hexdigest() != key:
                warnings.append(f"{name} does not match its SHA-256; it is backed up as found.")
            _add(archive, name, writer, files)
            blobs.append({"store": store.name, "key": key})
    return blobs


# --- restore ------------------------------------------------------------------------------

@dataclass(frozen=True)
class RestoreReport:
    tables: int
    rows: int
    blobs: int


def read_manifest(archive: tarfile.TarFile) -> dict:
    """Return the archive's manifest after checking every file against its SHA-256."""
    try:
        member = archive.getmember(MANIFEST)
    except KeyError as error:
        raise BackupError("This is not an isms backup: it has no manifest.json.") from error
    manifest = json.load(archive.extractfile(member))
    if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
        raise BackupError("This is not an isms backup of a format this version reads.")
    expected = manifest["files"]
    seen = set()
    for member in archive:
        if member.name == MANIFEST:
            continue
        if member.name not in expected or not member.isfile():
            raise BackupError(f"{member.name} is in the archive but not in its manifest.")
        digest, stream = hashlib.sha256(), archive.extractfile(member)
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
        if digest.hexdigest() != expected[member.name]["sha256"]:
            raise BackupError(f"{member.name} does not match its SHA-256 in the manifest: "
                              "the backup is damaged or was altered.")
        seen.add(member.name)
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(f"{missing[0]} is in the manifest but not in the archive.")
    return manifest


def check_empty(conn: Connection) -> None:
    """Refuse a database that holds anything but the freshly migrated audit chain head."""
    for table in db.metadata.sorted_tables:
        if table.name == AuditHead.__tablename__:
            head = conn.execute(select(AuditHead.seq, AuditHead.hash)).all()
            if head not in ([], [(0, GENESIS_HASH)]):
                raise BackupError("The database already has an audit trail: restore needs "
                                  "an empty database.")
            continue
        if conn.execute(select(func.count()).select_from(table)).scalar():
            raise BackupError(f"The database is not empty (table {table.name} has rows): "
                              "restore needs an empty database.")


def _rows(archive: tarfile.TarFile, table: Table, name: str) -> Iterator[dict]:
    columns = {column.name: column for column in table.columns}
    for line in archive.extractfile(name):
        row = json.loads(line)
        unknown = set(row) - set(columns)
        if unknown:
            raise BackupError(f"{name} has columns this schema lacks: {sorted(unknown)}")
        yield {key: decode(columns[key], value) for key, value in row.items()}


def _deferred_columns(table: Table) -> list[str]:
    """Columns of a reference cycle (use_alter): filled in once every row exists."""
    return [key.parent.name for key in table.foreign_keys if key.constraint.use_alter]


def _insert(conn: Connection, archive, table: Table, name: str) -> tuple[int, list]:
    deferred, later, batch, count = _deferred_columns(table), [], [], 0
    for row in _rows(archive, table, name):
        if deferred and any(row.get(c) is not None for c in deferred):
            later.append(({c.name: row[c.name] for c in table.primary_key.columns},
                          {c: row[c] for c in deferred}))
            row = {**row, **dict.fromkeys(deferred)}
        batch.append(row)
        count += 1
        if len(batch) >= BATCH:
            conn.execute(table.insert(), batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)
    return count, later


def _reset_sequences(conn: Connection) -> None:
    """PostgreSQL: move every serial sequence past the restored ids."""
    if conn.dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        column = table.autoincrement_column
        if column is None:
            continue
        # Table and column names come from the models' metadata, never from input.
        conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence(:table, :column), "  # noqa: S608  # nosec B608
            f"COALESCE(MAX({column.name}), 1), MAX({column.name}) IS NOT NULL) "
            f'FROM "{table.name}"'), {"table": table.name, "column": column.name})


def restore(path: str) -> RestoreReport:
    """Restore a backup into an empty, migrated database; all rows or none."""
    with tarfile.open(path, "r:*") as archive:
        manifest = read_manifest(archive)
        listed = {entry["name"]: entry for entry in manifest["tables"]}
        known = {table.name for table in db.metadata.sorted_tables}
        if set(listed) != known:
            extra, lacking = sorted(set(listed) - known), sorted(known - set(listed))
            raise BackupError("The backup's tables do not match this version's: "
                              f"only in the backup {extra}, only here {lacking}.")
        stores = _blob_stores()
        for blob in manifest["blobs"]:
            if blob["store"] not in stores:
                raise BackupError(f"This version has no blob store {blob['store']!r}.")
        try:
            return _restore_rows_and_blobs(archive, manifest, listed, stores)
        except SQLAlchemyError as error:
            raise BackupError(f"A row could not be written ({error.orig or error}).") from error


def _restore_rows_and_blobs(archive, manifest, listed, stores) -> RestoreReport:
    """Write every row in one transaction, then the blobs before it commits."""
    rows = 0
    with db.engine.begin() as conn:
        revision = schema_revision(conn)
        if manifest["schema_revision"] != revision:
            raise BackupError(
                f"The backup is of schema {manifest['schema_revision'] or 'unknown'}, this "
                f"database is at {revision or 'none'}: restore with the matching version.")
        check_empty(conn)
        conn.execute(AuditHead.__table__.delete())  # the genesis row becomes the backup's
        cycles = []
        for table in db.metadata.sorted_tables:
            count, later = _insert(conn, archive, table, listed[table.name]["file"])
            rows += count
            cycles.extend((table, key, values) for key, values in later)
        for table, key, values in cycles:
            where = [table.c[name] == value for name, value in key.items()]
            conn.execute(update(table).where(*where).values(values))
        _reset_sequences(conn)
        # Blobs last, still inside the transaction: if one fails, no row is kept and the
        # blobs already written are unreferenced, so the evidence sweep removes them.
        for blob in manifest["blobs"]:
            stream = archive.extractfile(f"blobs/{blob['store']}/{blob['key']}")
            try:
                stores[blob["store"]].put(blob["key"], stream)
            except Exception as error:  # each backend has its own errors; all mean "stop"
                raise BackupError(f"Blob {blob['key']} could not be stored: {error}.") \
                    from error
    return RestoreReport(len(listed), rows, len(manifest["blobs"]))
