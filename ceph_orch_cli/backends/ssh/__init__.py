"""The ``ssh`` backend: paramiko, a pooled connection per host, and the host agent.

Importing the package must stay cheap (the registry imports it lazily, and paramiko itself
is only imported when a connection is made).
"""
from __future__ import annotations

from typing import Any

__all__ = ["SSHOrchestrator"]


def __getattr__(name: str) -> Any:
    # the engine is heavy; load it only when the backend is actually built
    if name == "SSHOrchestrator":
        from ceph_orch_cli.backends.ssh.orchestrator import SSHOrchestrator
        return SSHOrchestrator
    raise AttributeError(name)
