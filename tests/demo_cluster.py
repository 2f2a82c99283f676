"""The demo cluster (specs/demo) on the local backend, for tests that check where daemons
land: the fixtures `orch` (an empty local backend over the demo fleet) and `cluster` (the
demo cluster applied). Import the fixtures into a test module to use them."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ceph_orch_cli.backends import load_backend
from ceph_orch_cli.deployment.loader import load_specs
from ceph_orch_cli.orchestrator import raise_if_exception

REPO = Path(__file__).resolve().parents[1]
DEMO = (REPO / "specs" / "demo" / "cluster.yaml").read_text()


def ok(result: Any) -> Any:
    return raise_if_exception(result)


@pytest.fixture
def orch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """An empty local backend over the packaged demo fleet."""
    monkeypatch.delenv("ORCH_FLEET", raising=False)
    monkeypatch.delenv("ORCH_TEST_CRASH_AFTER", raising=False)
    return load_backend("local", tmp_path / "state")


@pytest.fixture
def cluster(orch: Any) -> Any:
    """The demo cluster applied and converged."""
    ok(orch.apply(load_specs(DEMO)))
    return orch
