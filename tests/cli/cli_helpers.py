"""Helpers shared by the CLI tests (imported by conftest and the test modules)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Callable, List, Optional

from click.testing import Result

REPO = Path(__file__).resolve().parents[2]
DEMO_CLUSTER = REPO / 'specs' / 'demo' / 'cluster.yaml'
DEMO_FLEET = REPO / 'specs' / 'demo' / 'fleet.yaml'

Orch = Callable[..., Result]


def run_subprocess(args: List[str], state: Path, stdin: Optional[str] = None,
                   env: Optional[dict] = None) -> subprocess.CompletedProcess:
    """`python -m ceph_orch_cli ...` as a real process."""
    full_env = dict(os.environ, ORCH_STATE_DIR=str(state), ORCH_FLEET=str(DEMO_FLEET))
    full_env.pop('ORCH_BACKEND', None)
    full_env.update(env or {})
    return subprocess.run([sys.executable, '-m', 'ceph_orch_cli', *args], input=stdin,
                          capture_output=True, text=True, env=full_env, timeout=120)


def assert_clean_failure(result: Result, code: int, message: str) -> None:
    """Failed with ``code`` and Ceph's one-line error; never a traceback."""
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert f'{message}' in result.stderr
    assert 'Traceback' not in result.stderr and 'Traceback' not in result.stdout
    assert result.stdout == ''
