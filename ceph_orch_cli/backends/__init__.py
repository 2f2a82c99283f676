"""Backend registry: a backend name to an ``Orchestrator`` instance over a state directory.

Backends are imported lazily so ``orch --help`` and the local backend never pay for
paramiko; an unknown name fails as ``ceph orch set backend`` does for an unknown module.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Dict, Tuple

from ceph_orch_cli.orchestrator.errors import OrchestratorValidationError

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.orchestrator import Orchestrator

#: backend name -> (module, class)
_BACKENDS: Dict[str, Tuple[str, str]] = {
    "local": ("ceph_orch_cli.backends.local", "LocalOrchestrator"),
    "ssh": ("ceph_orch_cli.backends.ssh", "SSHOrchestrator"),
}

KNOWN_BACKENDS: Tuple[str, ...] = tuple(_BACKENDS)


def load_backend(name: str, state_dir: Path) -> "Orchestrator":
    """Build the named backend over ``state_dir`` (``<state_dir>/orch.db`` holds its state)."""
    try:
        module_name, class_name = _BACKENDS[name]
    except KeyError:
        raise OrchestratorValidationError(f"Module '{name}' not found") from None
    module = importlib.import_module(module_name)
    backend_class = getattr(module, class_name)
    return backend_class(Path(state_dir))
