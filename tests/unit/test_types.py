"""The whole package type-checks (issue 11): mypy over ``ceph_orch_cli`` with the settings in
pyproject.toml reports no error. Run here so that CI's one test command keeps it true."""
from __future__ import annotations

from pathlib import Path

from mypy import api as mypy_api

ROOT = Path(__file__).resolve().parents[2]


def test_mypy_reports_no_error(tmp_path: Path) -> None:
    report, errors, status = mypy_api.run([
        "--config-file", str(ROOT / "pyproject.toml"),
        "--cache-dir", str(tmp_path / "mypy-cache"),
        "--no-error-summary",
        str(ROOT / "ceph_orch_cli"),
    ])
    found = [line for line in report.splitlines() if ": error:" in line]
    assert status == 0 and not found, "\n".join(found) or errors or report
