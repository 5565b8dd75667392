"""Hostile workbooks are refused before loading: bounded time and memory, a reason, no spool."""

import io
import os
import re
import subprocess
import time
import zipfile
from pathlib import Path

import psutil
import pytest
from openpyxl import Workbook

from isms.auth.models import Role
from tests.live_server import ISMS
from tests.soa.test_import import make_xlsx

MIB = 1024 * 1024


def _small(path) -> Path:
    return make_xlsx(path, {"SoA": [["ID", "Applicable"], ["A.5.1.1", "Yes"],
                                    ["A.5.1.2", "No"]]})


def _replace(source: Path, target: Path, part: str, data: bytes, **sizes) -> Path:
    """Copy a workbook with one part's content replaced."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w",
                                                         zipfile.ZIP_DEFLATED) as new:
        for entry in old.infolist():
            new.writestr(entry.filename, data if entry.filename == part else old.read(entry))
    return target


def far_off_cell(path: Path, dimension: bool = True) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(["ID", "Applicable"])
    sheet.append(["A.5.1.1", "Yes"])
    sheet["XFD1048576"] = "far away"
    book.save(path)
    if not dimension:
        with zipfile.ZipFile(path) as archive:
            xml = archive.read("xl/worksheets/sheet1.xml")
        _replace(path, path.with_suffix(".tmp"), "xl/worksheets/sheet1.xml",
                 re.sub(rb"<dimension [^>]*/>", b"", xml)).replace(path)
    return path


def million_rows(path: Path, dimension: str = "A1:B1000000") -> Path:
    """A sheet of 1,000,000 rows, written straight into the archive (openpyxl is too slow)."""
    template = _small(path.with_name("template.xlsx"))
    with zipfile.ZipFile(template) as old, zipfile.ZipFile(path, "w",
                                                           zipfile.ZIP_DEFLATED) as new:
        for entry in old.infolist():
            if entry.filename != "xl/worksheets/sheet1.xml":
                new.writestr(entry.filename, old.read(entry))
        with new.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://'
                        b'schemas.openxmlformats.org/spreadsheetml/2006/main">'
                        + (f'<dimension ref="{dimension}"/>'.encode() if dimension else b"")
                        + b"<sheetData>")
            for start in range(1, 1_000_001, 10_000):
                sheet.write(b"".join(b'<row r="%d"><c r="A%d" t="n"><v>%d</v></c></row>'
                                     % (n, n, n) for n in range(start, start + 10_000)))
            sheet.write(b"</sheetData></worksheet>")
    return path


XXE = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
       b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row>'
       b"</sheetData></worksheet>")
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (n, b"&lol%d;" % (n - 1) * 10 if n > 1 else
                                                  b"&lol;" * 10) for n in range(1, 10))
          + b']><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
          b'count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>')


def _false_size(source: Path, target: Path) -> Path:
    """The archive says a part is a few bytes long; it holds far more."""
    data = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as archive:
        entry = archive.getinfo("xl/worksheets/sheet1.xml")
    true_size = entry.file_size.to_bytes(4, "little")
    for at in [m.start() for m in re.finditer(re.escape(true_size), bytes(data))]:
        data[at:at + 4] = (10).to_bytes(4, "little")
    target.write_bytes(bytes(data))
    return target


def hostile(tmp_path) -> dict[str, tuple[Path, str]]:
    small = _small(tmp_path / "small.xlsx")
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(small.read_bytes()[: small.stat().st_size // 2])
    return {
        "far-off cell": (far_off_cell(tmp_path / "far.xlsx"), "declares a used range up to "
                                                               "XFD1048576"),
        "far-off cell, no dimension": (far_off_cell(tmp_path / "far2.xlsx", dimension=False),
                                       "uses row 1,048,576"),
        "million rows": (million_rows(tmp_path / "million.xlsx"), "up to B1000000"),
        "million rows, false dimension": (
            million_rows(tmp_path / "million2.xlsx", "A1:B2"), "more than 5,000 rows"),
        "XXE": (_replace(small, tmp_path / "xxe.xlsx", "xl/worksheets/sheet1.xml", XXE),
                "declares XML entities"),
        "billion laughs": (_replace(small, tmp_path / "laughs.xlsx", "xl/styles.xml",
                                    LAUGHS), "declares XML entities"),
        "false size": (_false_size(small, tmp_path / "false.xlsx"), "damaged"),
        "truncated": (truncated, "damaged or truncated"),
    }


def test_hostile_workbooks_are_refused_with_a_reason_on_the_command_line(app, runner,
                                                                         tmp_path):
    for what, (path, reason) in hostile(tmp_path).items():
        started = time.monotonic()
        result = runner.invoke(args=["soa", "import", str(path), "--dry-run"])
        assert result.exit_code == 1, (what, result.output)
        assert "Nothing was imported" in result.output and reason in result.output, (
            what, result.output)
        assert "Traceback" not in result.output
        assert time.monotonic() - started < 5, what


def test_hostile_uploads_answer_400_and_leave_no_file_behind(app, client, login_as,
                                                             tmp_path):
    login_as(Role.LEAD)
    for what, (path, reason) in hostile(tmp_path).items():
        page = client.post("/soa/import", data={"file": (io.BytesIO(path.read_bytes()),
                                                         path.name)},
                           content_type="multipart/form-data")
        assert page.status_code == 400, what
        assert reason in page.get_data(as_text=True), what
        assert os.listdir(os.path.join(app.instance_path, "imports")) == [], what
        spools = app.config["ISMS_UPLOAD_TMP"]
        assert not os.path.isdir(spools) or os.listdir(spools) == [], what


def _peak_run(args: list[str], env: dict) -> tuple[subprocess.CompletedProcess, float, int]:
    """Run an `isms` command; return it, its wall and CPU time and its peak resident memory.

    The peak is sampled with psutil while it runs and read exactly from the kernel's
    accounting (ru_maxrss) when it ends; the larger of the two counts.
    """
    started = time.monotonic()
    process = subprocess.Popen([ISMS, *args], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    watched, peak = psutil.Process(process.pid), 0
    while True:
        try:
            if watched.status() == psutil.STATUS_ZOMBIE:
                break
            peak = max(peak, watched.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.005)
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    peak = max(peak, usage.ru_maxrss * 1024)
    cpu = usage.ru_utime + usage.ru_stime
    return (subprocess.CompletedProcess(args, process.returncode, output),
            time.monotonic() - started, cpu, peak)


@pytest.mark.slow
def test_a_real_isms_process_refuses_far_off_cells_and_a_million_rows_quickly(tmp_path):
    """Within 5 s and 100 MiB beyond what the same command needs for a tiny valid workbook
    (the shared test machine can take seconds just to start Python, so the wall time is
    counted beyond that baseline run, and the CPU time in full)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISMS_")}
    env.update(ISMS_INSTANCE_PATH=str(tmp_path / "instance"), ISMS_SECRET_KEY="bounds")
    assert subprocess.run([ISMS, "init"], env=env, capture_output=True,
                          timeout=120).returncode == 0
    small = _small(tmp_path / "small.xlsx")
    baseline, base_seconds, _, base_peak = _peak_run(
        ["soa", "import", str(small), "--dry-run"], env)
    assert baseline.returncode == 0, baseline.stdout
    for path, reason in [(far_off_cell(tmp_path / "far.xlsx"), "XFD1048576"),
                         (million_rows(tmp_path / "million.xlsx"), "B1000000"),
                         (million_rows(tmp_path / "lying.xlsx", "A1:B2"), "5,000 rows")]:
        done, seconds, cpu, peak = _peak_run(["soa", "import", str(path)], env)
        assert done.returncode == 1 and reason in done.stdout, done.stdout
        assert cpu < 5 and seconds - base_seconds < 5, (path.name, seconds, cpu)
        assert peak - base_peak < 100 * MIB, (path.name, (peak - base_peak) / MIB)
