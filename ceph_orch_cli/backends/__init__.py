"""Backend registry: a backend name to an ``Orchestrator`` instance over a state directory,
and the name `orch set backend` saved there.

Backends are imported lazily so ``orch --help`` and the local backend never pay for
paramiko; an unknown name fails as ``ceph orch set backend`` does for an unknown module.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Dict, Optional, Tuple

from ceph_orch_cli.orchestrator.errors import OrchestratorValidationError

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.orchestrator import Orchestrator

#: backend name -> (module, class)
_BACKENDS: Dict[str, Tuple[str, str]] = {
    "local": ("ceph_orch_cli.backends.local", "LocalOrchestrator"),
    "ssh": ("ceph_orch_cli.backends.ssh", "SSHOrchestrator"),
}

KNOWN_BACKENDS: Tuple[str, ...] = tuple(_BACKENDS)

#: the settings key `orch set backend` writes (Ceph's module option is named the same)
BACKEND_SETTING = "orchestrator"


def load_backend(name: str, state_dir: Path) -> "Orchestrator":
    """Build the named backend over ``state_dir`` (``<state_dir>/orch.db`` holds its state)."""
    try:
        module_name, class_name = _BACKENDS[name]
    except KeyError:
        raise OrchestratorValidationError(f"Module '{name}' not found") from None
    module = importlib.import_module(module_name)
    backend_class = getattr(module, class_name)
    return backend_class(Path(state_dir))


def saved_backend(state_dir: Path) -> Optional[str]:
    """The name saved by `orch set backend` (``''``: unset); None when nothing was saved.

    The store is opened only when its database exists, so reading never creates a fresh
    state dir's database.
    """
    from ceph_orch_cli.cluster.store import DB_NAME, Store
    if not (Path(state_dir) / DB_NAME).exists():
        return None
    store = Store(Path(state_dir))
    try:
        value = store.get_setting(BACKEND_SETTING)
    finally:
        store.close()
    return None if value is None else str(value)


def save_backend(state_dir: Path, name: str) -> None:
    """Remember ``name`` for later commands (`orch set backend`); ``''`` unsets it."""
    from ceph_orch_cli.cluster.store import Store
    store = Store(Path(state_dir))
    try:
        store.set_setting(BACKEND_SETTING, name)
    finally:
        store.close()
