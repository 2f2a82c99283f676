"""What the host-based engine offers beyond Ceph's `Orchestrator` interface, as one type.

Ceph's mgr runs the serve loop itself; `orch` is a command line, so `orch serve` and the
`--wait` flags run the engine's passes in the foreground, converging commands draw a progress
bar from it, and `orch ps --format json` prints the daemon rows as stored. Every backend built
on `cluster.ClusterOrchestrator` (local, ssh) has these; a backend that only implements the Ceph
interface (a test double, a future Rook backend) may not. Declaring them here lets the CLI ask
one honest question (`isinstance(orch, EngineExtras)`) instead of probing method by method.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Optional, Protocol, runtime_checkable

#: ``callback(description, completed, total)`` while converging or waiting
ProgressCallback = Callable[[str, int, int], None]


@runtime_checkable
class EngineExtras(Protocol):
    """The engine's non-Ceph methods (see the module docstring for why they exist)."""

    def reconcile_pass(self) -> Dict[str, Any]:
        """One `orch serve --once` pass; a summary of what happened ({} for a quiet pass)."""
        ...

    def set_progress(self, callback: Optional[ProgressCallback]) -> None:
        """Report convergence through ``callback`` (None: stop reporting)."""
        ...

    def daemons_json_text(self, service_name: Optional[str] = None,
                          daemon_type: Optional[str] = None, daemon_id: Optional[str] = None,
                          host: Optional[str] = None) -> Iterable[List[str]]:
        """`orch ps --format json`'s items, already encoded, in batches."""
        ...

    def get_backend_setting(self, key: str, default: Any = None) -> Any:
        """A backend option stored with the cluster's state."""
        ...

    def set_backend_setting(self, key: str, value: Any) -> None:
        """Store a backend option."""
        ...

    def close(self) -> None:
        """Release connections and the database handle."""
        ...


def engine_extras(orch: object) -> EngineExtras:
    """``orch`` as an `EngineExtras`; a backend without them does not support the command
    (NotImplementedError, which the CLI reports as EOPNOTSUPP)."""
    if isinstance(orch, EngineExtras):
        return orch
    raise NotImplementedError(f'{type(orch).__name__} has no reconcile loop')
