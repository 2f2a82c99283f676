"""The orchestrator interface, mirroring Ceph's ``orchestrator`` mgr package.

Importing this package is cheap: the spec model (``ceph_orch_cli.deployment``) is loaded only
when ``HostSpec``/``GenericSpec`` are first touched or a description needs it.
"""
from __future__ import annotations

from typing import Any

from .client import OrchestratorClientMixin
from .daemon_types import daemon_type_to_service, known_daemon_types, service_to_daemon_types
from .descriptions import (DaemonDescription, DaemonDescriptionStatus, ServiceDescription,
                           UpgradeStatusSpec)
from .errors import NoOrchestrator, OrchestratorError, OrchestratorValidationError
from .events import OrchestratorEvent, set_exception_subject
from .interface import Orchestrator, json_to_generic_spec
from .inventory import DeviceLightLoc, InventoryFilter, InventoryHost
from .result import OrchResult, handle_orch_error, raise_if_exception
from ceph_orch_cli.timeutil import datetime_now, datetime_to_str, str_to_datetime

__all__ = [
    'DaemonDescription', 'DaemonDescriptionStatus', 'DeviceLightLoc', 'GenericSpec', 'HostSpec',
    'InventoryFilter', 'InventoryHost', 'NoOrchestrator', 'OrchResult', 'Orchestrator',
    'OrchestratorClientMixin', 'OrchestratorError', 'OrchestratorEvent',
    'OrchestratorValidationError', 'ServiceDescription', 'UpgradeStatusSpec',
    'daemon_type_to_service', 'datetime_now', 'datetime_to_str', 'handle_orch_error',
    'json_to_generic_spec', 'known_daemon_types', 'raise_if_exception', 'service_to_daemon_types',
    'set_exception_subject', 'str_to_datetime',
]


def __getattr__(name: str) -> Any:
    # HostSpec and GenericSpec live in the spec model; load it only when asked for.
    if name == 'HostSpec':
        from ceph_orch_cli.deployment.hostspec import HostSpec
        return HostSpec
    if name == 'GenericSpec':
        from typing import Union

        from ceph_orch_cli.deployment.hostspec import HostSpec
        from ceph_orch_cli.deployment.service_spec import ServiceSpec
        return Union[ServiceSpec, HostSpec]
    if name == 'KNOWN_DAEMON_TYPES':
        return known_daemon_types()
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
