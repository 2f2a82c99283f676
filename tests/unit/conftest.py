"""Fixtures for the workflow tests (OSD removal, upgrade, maintenance, drain): the small
four-host cluster of `workflow_cluster`, applied in a fresh state directory."""
from pathlib import Path

import pytest
from workflow_cluster import applied_cluster, write_fleet


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh state directory whose fleet is the four-host workflow fleet."""
    monkeypatch.setenv("ORCH_FLEET", str(write_fleet(tmp_path / "fleet.json")))
    monkeypatch.delenv("ORCH_TEST_CRASH_AFTER", raising=False)
    return tmp_path / "state"


@pytest.fixture
def orch(state: Path):
    """The local backend with the workflow cluster applied and converged."""
    return applied_cluster(state)
