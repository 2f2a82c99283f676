"""Each CLI test gets its own state directory and the demo fleet; `orch` runs through Click."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import pytest
from cli_helpers import DEMO_CLUSTER, DEMO_FLEET, Orch
from click.testing import CliRunner, Result

from ceph_orch_cli.cli import orch as orch_group


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ORCH_STATE_DIR with the demo fleet, and no backend chosen from outside."""
    state = tmp_path / 'state'
    monkeypatch.setenv('ORCH_STATE_DIR', str(state))
    monkeypatch.setenv('ORCH_FLEET', str(DEMO_FLEET))
    monkeypatch.delenv('ORCH_BACKEND', raising=False)
    monkeypatch.delenv('ORCH_DEBUG', raising=False)
    monkeypatch.setenv('NO_COLOR', '1')
    monkeypatch.setenv('COLUMNS', '200')
    return state


@pytest.fixture
def orch() -> Orch:
    """Run `orch <args>` in-process, as a user would type it."""
    runner = CliRunner()

    def run(*args: str, input: Optional[str] = None) -> Result:
        return runner.invoke(orch_group, list(args), input=input, prog_name='orch')

    return run


@pytest.fixture
def demo(orch: Orch) -> Result:
    """The demo cluster applied: six hosts and a dozen services."""
    result = orch('apply', '-i', str(DEMO_CLUSTER))
    assert result.exit_code == 0, result.stderr
    return result
