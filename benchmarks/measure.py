"""How the benchmarks measure: wall time and peak memory, as medians over several runs.

Subprocesses (everything an operator types): wall time from ``time.perf_counter`` around
``Popen`` .. ``os.wait4``, and peak RSS from the ``ru_maxrss`` that ``os.wait4`` returns for
that one child (Linux reports it in KiB). ``resource.getrusage(RUSAGE_CHILDREN)`` would give
the maximum over every child ever waited for, so the per-child ``wait4`` figure is used.

In-process parts (placement, drive selection): wall time from ``time.perf_counter`` with
tracing off, and the peak of Python allocations from ``tracemalloc`` in one extra run
(tracing slows the code, so that run is not timed).
"""
from __future__ import annotations

import os
import resource
import statistics
import subprocess
import threading
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence


#: address-space cap for every measured command: a runaway must fail its row, not wake the
#: kernel's OOM killer on a machine shared with other work
MEMORY_LIMIT_BYTES = 8 * 1024 ** 3


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))


class BenchmarkFailed(RuntimeError):
    """A measured command failed: its figures would mean nothing."""


@dataclass
class Sample:
    seconds: float
    peak_kib: int


@dataclass
class Figure:
    """The result of one benchmark row: medians over ``runs`` samples."""

    seconds: List[float] = field(default_factory=list)
    peak_kib: List[int] = field(default_factory=list)
    memory_kind: str = "RSS"   # "RSS" (subprocess) or "tracemalloc" (in-process)

    @property
    def runs(self) -> int:
        return len(self.seconds)

    @property
    def median_s(self) -> float:
        return statistics.median(self.seconds)

    @property
    def median_mib(self) -> Optional[float]:
        if not self.peak_kib:
            return None
        return statistics.median(self.peak_kib) / 1024


def run_command(argv: Sequence[str], env: Optional[Dict[str, str]] = None,
                stdout_path: Optional[Path] = None, stdin_path: Optional[Path] = None,
                timeout: Optional[float] = None) -> Sample:
    """Run one command to completion; its wall time and its own peak RSS."""
    out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    inp = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), stdout=out, stderr=subprocess.PIPE, stdin=inp,
                                env=env, preexec_fn=_cap_memory)
        timer = None
        if timeout is not None:
            # a runaway size must not hang the whole table: kill it, report the row as failed
            timer = threading.Timer(timeout, proc.kill)
            timer.start()
        assert proc.stderr is not None
        # stderr is small (errors, warnings); reading it before waiting avoids a full pipe
        stderr = proc.stderr.read()
        proc.stderr.close()
        _pid, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if timer is not None:
            timer.cancel()
            if timeout is not None and elapsed >= timeout:
                raise BenchmarkFailed(f"killed after the {timeout:.0f}s limit")
    finally:
        if stdout_path:
            out.close()  # type: ignore[union-attr]
        if stdin_path:
            inp.close()  # type: ignore[union-attr]
    if proc.returncode != 0:
        err = stderr.decode(errors="replace").strip().splitlines()
        tail = " | ".join(err[-3:]) if err else "(no stderr)"
        raise BenchmarkFailed(f"exit {proc.returncode}: {tail}")
    return Sample(elapsed, int(usage.ru_maxrss))


def repeat_command(runs: int, make: Callable[[int], Dict[str, Any]],
                   warmup: bool = True) -> Figure:
    """``runs`` samples of the command ``make(i)`` describes (kwargs of ``run_command``).

    One unmeasured warm-up run first fills the page cache and writes .pyc files, so "cold"
    means a fresh interpreter, not a cold disk.
    """
    fig = Figure()
    if warmup:
        run_command(**make(-1))
    for i in range(runs):
        s = run_command(**make(i))
        fig.seconds.append(s.seconds)
        fig.peak_kib.append(s.peak_kib)
    return fig


def repeat_inprocess(runs: int, setup: Callable[[], Any], body: Callable[[Any], Any],
                     check: Optional[Callable[[Any], None]] = None) -> Figure:
    """``runs`` timed calls of ``body(setup())`` (setup not timed), plus one traced call for
    the peak of Python allocations made by ``body``."""
    fig = Figure(memory_kind="tracemalloc")
    for _ in range(runs):
        arg = setup()
        start = time.perf_counter()
        result = body(arg)
        fig.seconds.append(time.perf_counter() - start)
        if check is not None:
            check(result)
            check = None
        del result, arg
    arg = setup()
    tracemalloc.start()
    try:
        body(arg)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    fig.peak_kib.append(peak // 1024)
    return fig
