"""`benchmarks/run` must keep working as the code changes: run every row at a tiny size.

Speed is not judged here (no timing assertions): this only proves that each row runs the
real command, checks its answer and lands in the table and in the results file.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "benchmarks" / "run"

ROWS = ["`python3 -c pass`", "`orch --help`", "`orch host ls`", "`orch ls`",
        "`orch ps --format json`", "`orch apply -i`", "`HostAssignment.place()`, host_pattern",
        "`HostAssignment.place()`, count", "`DriveSelection`", "SSH refresh",
        "real cluster: `orch bootstrap` to HEALTH_OK", "real cluster: `orch ps --refresh`"]


def test_every_benchmark_row_runs_at_tiny_size(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    proc = subprocess.run([sys.executable, str(RUN), "--quick", "--results", str(results),
                           "--label", "smoke"],
                          capture_output=True, text=True, timeout=240, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for row in ROWS:
        assert row in proc.stdout, f"row {row!r} missing from:\n{proc.stdout}"
    assert "error:" not in proc.stdout
    # the SSH row never starts sshd at the tiny size; it says why it was skipped
    assert "skipped (not run at scale tiny)" in proc.stdout
    # nor a real cluster (benchmarks/real_cluster.py)
    assert proc.stdout.count("skipped (not run at scale tiny)") >= 6
    recorded = results.read_text()
    assert "## smoke" in recorded
    assert "Machine:" in recorded and "Python" in recorded
    for row in ROWS:
        assert row in recorded


def test_a_rerun_with_the_same_label_replaces_its_section(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    for label in ("before", "after", "before"):
        proc = subprocess.run([sys.executable, str(RUN), "--quick", "--only", "baseline",
                               "--results", str(results), "--label", label],
                              capture_output=True, text=True, timeout=60, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    text = results.read_text()
    assert text.count("## before") == 1
    assert text.count("## after") == 1


def test_a_failing_command_is_reported_in_its_row_not_hidden(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from measure import BenchmarkFailed, run_command
    finally:
        sys.path.pop(0)
    try:
        run_command([sys.executable, "-c", "import sys; sys.exit('boom')"])
    except BenchmarkFailed as e:
        assert "exit 1" in str(e) and "boom" in str(e)
    else:
        raise AssertionError("a failing command must fail its benchmark row")
