"""The benchmark table (printed and kept in RESULTS.md) and the machine it was measured on."""
from __future__ import annotations

import datetime
import os
import platform
import re
import sys
from pathlib import Path
from typing import List

from cases import Context, Row

HEADER = ("what", "size", "median", "peak memory", "runs", "target", "result")


def machine() -> str:
    mem_kib = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = "/".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}){', ' + cpu if cpu else ''}; "
            f"{mem_kib / 1024 / 1024:.1f} GiB memory; Python {platform.python_version()} "
            f"({sys.executable}); {platform.system()} {platform.release()}; "
            f"load average {load}; "
            f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC")


def _time(seconds: float) -> str:
    if seconds < 0.01:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def cells(row: Row) -> List[str]:
    if row.skipped:
        return [row.what, row.size, row.skipped, "", "", row.target, "-"]
    if row.error:
        return [row.what, row.size, f"error: {row.error}", "", "", row.target, "-"]
    fig = row.figure
    assert fig is not None
    if row.ratio is not None:
        median = f"{row.ratio:.2f}x"
    else:
        median = _time(fig.median_s)
    mib = fig.median_mib
    memory = "" if mib is None else f"{mib:.1f} MiB {fig.memory_kind}" if mib < 10 else \
        f"{mib:.0f} MiB {fig.memory_kind}"
    runs = row.runs_shown if row.runs_shown is not None else fig.runs
    return [row.what, row.size, median, memory, str(runs), row.target, row.verdict()]


def markdown_table(rows: List[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in rows:
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells(row)) + " |")
    return "\n".join(lines)


def plain_table(rows: List[Row]) -> str:
    table = [list(HEADER)] + [cells(r) for r in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADER))]
    out = []
    for n, r in enumerate(table):
        out.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def section(label: str, rows: List[Row], ctx: Context, command: str) -> str:
    notes = [f"- {r.what}: {r.note}" for r in rows if r.note]
    notes += [f"- setup {n}" for n in ctx.setup_notes]
    body = [f"## {label}", "",
            f"Machine: {machine()}", "",
            f"Command: `{command}` (scale `{ctx.scale.name}`, {ctx.runs} runs per figure, "
            f"orch = `{' '.join(ctx.orch)}`)", "",
            markdown_table(rows), ""]
    if notes:
        body += notes + [""]
    return "\n".join(body)


PREAMBLE = """# Benchmark results

Produced by `benchmarks/run` (see `benchmarks/README.md` for what each row measures and
how). Each figure is the median of the runs shown; "peak memory" is the peak RSS of the
measured `orch` process (`ru_maxrss` from `os.wait4` on that child) for command rows, and the
peak of Python allocations (`tracemalloc`, one extra run) for in-process rows. Each section
is one labelled run (`benchmarks/run --label ...`); a rerun with the same label replaces it.
"""


def write_results(path: Path, label: str, text: str) -> None:
    """Replace (or append) the section titled ``label``, keeping the other sections."""
    old = path.read_text() if path.exists() else PREAMBLE
    parts = re.split(r"(?m)^(?=## )", old)
    head, sections = parts[0], parts[1:]
    replaced = False
    for i, sec in enumerate(sections):
        if sec.splitlines()[0].strip() == f"## {label}":
            sections[i] = text + "\n"
            replaced = True
    if not replaced:
        sections.append(text + "\n")
    path.write_text(head.rstrip("\n") + "\n\n" + "".join(s.rstrip("\n") + "\n\n" for s in sections).rstrip("\n") + "\n")
