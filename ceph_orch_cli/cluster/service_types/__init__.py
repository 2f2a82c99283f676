"""The registry of service types (``registry.py``) and the hooks of the types that differ.

Every per-type fact the engine uses is read from here: ``service_type(name)`` for a
service's record, ``for_daemon(daemon_type)`` for the record a daemon type belongs to.
"""
from ceph_orch_cli.cluster.service_types.hooks import DEFAULT_HOOKS, HostFilter, ServiceHooks
from ceph_orch_cli.cluster.service_types.registry import (
    CEPH, CLIENT, DEFAULT_IMAGE, GATEWAY, MON_SECTION, MONITORING, REGISTRY, SELF, ServiceType,
    ceph_image_types, daemon_image, follows_ceph_image, for_daemon, memory_target_defaults,
    service_type, upgrade_order)

__all__ = [
    'CEPH', 'CLIENT', 'DEFAULT_HOOKS', 'DEFAULT_IMAGE', 'GATEWAY', 'HostFilter', 'MON_SECTION',
    'MONITORING', 'REGISTRY', 'SELF', 'ServiceHooks', 'ServiceType', 'ceph_image_types',
    'daemon_image', 'follows_ceph_image', 'for_daemon', 'memory_target_defaults', 'service_type',
    'upgrade_order',
]
