"""Targets from issues 10 and 22, checked against a run's ratios, and the tables that show them."""

import os
import platform
import subprocess
from datetime import UTC, datetime

COLUMNS = ("scenario", "scale", "clients", "p50 ms", "p95 ms", "req/s", "baseline",
           "base p50", "base req/s", "ratio", "ratio p95", "queries", "peak MiB", "growth MiB")


def machine(db: str, quick: bool, seconds: float) -> dict:
    """Describe the run: when, where, on what."""
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    except OSError:
        lscpu = ""
    fields = dict(line.split(":", 1) for line in lscpu.splitlines() if ":" in line)
    return {"date": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC", "database": db, "quick": quick,
            "seconds": round(seconds), "python": platform.python_version(),
            "cpu": fields.get("Model name", platform.processor()).strip(),
            "cpus": int(fields.get("CPU(s)", os.cpu_count() or 0)), "machine": platform.machine()}


def line(r) -> str:
    return (f"{r.scenario:<24} {r.scale:>6} x{r.clients}  p50 {r.p50_ms:8.1f} ms  "
            f"base {r.baseline_p50_ms:8.1f} ms ({r.baseline})  ratio {r.ratio:5.2f}  "
            f"queries {r.queries_per_request}  peak {r.peak_rss_mib} MiB")


def _check(name: str, value, limit, met: bool) -> dict:
    return {"target": name, "value": value, "limit": limit, "met": bool(met)}


def check_targets(results, servers) -> list[dict]:
    """Return every target of the issue with the value measured and whether it holds."""
    checks = []
    pages = [r for r in results if r.scenario in ("control list", "control detail")]
    for r in pages:
        checks.append(_check(f"{r.scenario} p50 / bare table ({r.scale}, x{r.clients})",
                             r.ratio, 3.0, r.ratio <= 3.0))
        if r.clients == 8:
            checks.append(_check(f"{r.scenario} p95 / bare table ({r.scale}, x8)",
                                 r.ratio_p95, 3.0, r.ratio_p95 <= 3.0))
    for r in results:
        if r.scenario.startswith("API "):
            checks.append(_check(f"{r.scenario} p50 / {r.baseline} ({r.scale}, x{r.clients})",
                                 r.ratio, 3.0, r.ratio <= 3.0))
    for name in ("control list", "control detail", "evidence list", "dashboard",
                 "consistency checks", "NIS2 framework", "API control list",
                 "API evidence list"):
        counts = sorted({r.queries_per_request for r in results
                         if r.scenario == name and r.clients == 1})
        if counts:
            checks.append(_check(f"{name} queries flat over 0 / 1,000 / 10,000", counts,
                                 "one value", len(counts) == 1))
    for r in results:
        if (r.scenario in ("evidence list", "dashboard", "consistency checks", "NIS2 framework")
                and r.scale == 10000):
            checks.append(_check(f"{r.scenario} p50 / control list (10,000, x{r.clients})",
                                 r.ratio, 2.0, r.ratio <= 2.0))
        if r.scenario == "SoA export xlsx" and r.scale == 10000:
            checks.append(_check("SoA export / bare workbook (10,000)", r.ratio, 1.5,
                                 r.ratio <= 1.5))
            checks.append(_check("SoA export memory growth MiB (10,000)", r.rss_growth_mib,
                                 60, r.rss_growth_mib < 60))
        if r.scenario == "SoA export xlsx" and r.scale >= 100000:
            checks.append(_check(f"SoA export memory growth MiB ({r.scale:,})",
                                 r.rss_growth_mib, 100, r.rss_growth_mib < 100))
        if r.scenario.startswith("SoA import"):
            checks.append(_check(f"SoA import preview / bare workbook read ({r.scale:,})",
                                 r.ratio, 3.0, r.ratio <= 3.0))
        if r.scenario == "AWS collection":
            checks.append(_check("AWS collection / bare boto3 loop", r.ratio, 2.0,
                                 r.ratio <= 2.0))
        if r.scenario.startswith("evidence upload"):
            share = round(1 / r.ratio, 2)
            checks.append(_check("upload throughput / bare upload", share, 0.8, share >= 0.8))
            checks.append(_check("upload memory growth MiB", r.rss_growth_mib, 16,
                                 r.rss_growth_mib < 16))
    idle = max(s["idle_rss_mib"] for s in servers)
    peak = max(s["peak_rss_mib"] for s in servers)
    first = max(s["first_response_s"] for s in servers)
    cpu = max(s["first_response_cpu_s"] for s in servers)
    checks += [_check("worker RSS idle MiB", idle, 100, idle < 100),
               _check("worker RSS peak MiB", peak, 150, peak < 150),
               _check("first response after the worker starts s", first, 1.0, first < 1.0),
               _check("worker CPU s to the first response", cpu, 1.0, cpu < 1.0)]
    return checks


def _rows(results) -> list[list[str]]:
    return [[r.scenario, f"{r.scale:,}", str(r.clients), f"{r.p50_ms:.1f}", f"{r.p95_ms:.1f}",
             f"{r.rps:.1f}", r.baseline, f"{r.baseline_p50_ms:.1f}", f"{r.baseline_rps:.1f}",
             f"{r.ratio:.2f}", f"{r.ratio_p95:.2f}",
             "-" if r.queries_per_request is None else f"{r.queries_per_request:g}",
             f"{r.peak_rss_mib:.0f}", f"{r.rss_growth_mib:.0f}"] for r in results]


def text_table(results, servers, checks) -> str:
    """Format the results, the servers and the targets for a terminal."""
    rows = [list(COLUMNS), *_rows(results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    out = ["  ".join(cell.rjust(w) if i else cell.ljust(w)
                     for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
           for row in rows]
    out.append("")
    for s in servers:
        out.append(f"scale {s['scale']:>7,}: first response {s['first_response_s']} s "
                   f"({s['first_response_cpu_s']} s of worker CPU), worker "
                   f"RSS idle {s['idle_rss_mib']} MiB, peak {s['peak_rss_mib']} MiB")
    out.append("")
    for c in checks:
        out.append(f"{'ok  ' if c['met'] else 'MISS'} {c['target']}: {c['value']} "
                   f"(limit {c['limit']})")
    return "\n".join(out)


def markdown(data: dict) -> str:
    """Format a run's JSON as Markdown tables, for benchmarks/README.md."""
    meta = data["meta"]
    out = [f"Run {meta['date']} on {meta['database']}, {meta['cpus']} x {meta['cpu']}, Python "
           f"{meta['python']}, {meta['seconds']} s{' (quick)' if meta['quick'] else ''}.", "",
           "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]

    class R:
        def __init__(self, d):
            self.__dict__.update(d)

    out += ["| " + " | ".join(row) + " |" for row in _rows([R(r) for r in data["results"]])]
    out += ["", "| scale | first response after the worker starts s | its CPU s | after "
            "launching gunicorn s | idle RSS MiB | peak RSS MiB |", "|---|---|---|---|---|---|"]
    out += [f"| {s['scale']:,} | {s['first_response_s']} | {s['first_response_cpu_s']} | "
            f"{s.get('since_launch_s', '-')} | {s['idle_rss_mib']} | {s['peak_rss_mib']} |"
            for s in data["servers"]]
    out += ["", "| target | measured | limit | held |", "|---|---|---|---|"]
    out += [f"| {c['target']} | {c['value']} | {c['limit']} | {'yes' if c['met'] else '**no**'} |"
            for c in data["targets"]]
    return "\n".join(out) + "\n"
