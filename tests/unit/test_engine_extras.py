"""orchestrator/engine_extras.py: the engine's non-Ceph methods as one checkable type."""
from __future__ import annotations

import pytest

from ceph_orch_cli.orchestrator import Orchestrator
from ceph_orch_cli.orchestrator.engine_extras import EngineExtras, engine_extras


def test_the_engine_backends_have_the_extras(orch) -> None:
    assert isinstance(orch, EngineExtras)
    assert engine_extras(orch) is orch


def test_a_plain_interface_backend_does_not_support_them() -> None:
    plain = Orchestrator()
    assert not isinstance(plain, EngineExtras)
    with pytest.raises(NotImplementedError):
        engine_extras(plain)
