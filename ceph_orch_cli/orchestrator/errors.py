"""The orchestrator's error types, with Ceph's errno conventions.

Every error that may reach a user carries a negative errno, as in Ceph; the CLI prints
``Error <ENAME>: <message>`` and exits with ``abs(errno)``.
"""
from __future__ import annotations

import errno as _errno
from typing import Optional, Tuple


class OrchestratorError(Exception):
    """A deployment, configuration or user error; never a programming error.

    ``event_kind_subject`` names the service or daemon the failure belongs to
    (``('service', 'rgw.foo')`` or ``('daemon', 'osd.3')``), so the engine can record an event.
    """

    def __init__(self, msg: str, errno: int = -_errno.EINVAL,
                 event_kind_subject: Optional[Tuple[str, str]] = None) -> None:
        super().__init__(msg)
        self.errno = errno
        self.event_subject = event_kind_subject


class NoOrchestrator(OrchestratorError):
    """No backend is configured."""

    def __init__(self, msg: str = "No orchestrator configured (try `orch set backend`)") -> None:
        super().__init__(msg, errno=-_errno.ENOENT)


class OrchestratorValidationError(OrchestratorError):
    """The request is invalid for this cluster (as opposed to a malformed spec)."""


class ConvergeFailed(OrchestratorError):
    """The intent was stored, then converging to it failed: the next `orch serve --once`
    (or a rerun) finishes the work.  Its own errno (EAGAIN), so a script can tell it from
    a refused command, which changed nothing."""

    def __init__(self, cause: BaseException) -> None:
        text = str(cause).strip() or type(cause).__name__
        super().__init__(f"stored; converging failed: {text}", errno=-_errno.EAGAIN)
        self.cause = cause
