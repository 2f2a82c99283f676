"""Shared test support.

- `tests/` is importable, so every suite can use `workflow_cluster`.
- Hypothesis: no deadlines (a loaded 2-core CI machine is slow, not wrong); under CI the
  examples are derandomized, so a run is reproducible and cannot fail by the luck of the draw.
  Run `HYPOTHESIS_PROFILE=explore python -m pytest tests/property` to hunt with fresh examples.
"""
import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

settings.register_profile("default", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, database=None)
settings.register_profile("explore", deadline=None, max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "default"))


@pytest.fixture(autouse=True, scope="session")
def _no_control_master_outlives_the_tests(tmp_path_factory: pytest.TempPathFactory):
    """A bootstrapped SSH state dir starts a control master (backends/ssh/control.py) that
    stays for its idle time; removing its socket is how a master is told to go. Done for
    every state dir the tests made, so a test run leaves no process behind."""
    yield
    for sock in tmp_path_factory.getbasetemp().rglob("control.sock"):
        try:
            sock.unlink()
        except OSError:
            pass
