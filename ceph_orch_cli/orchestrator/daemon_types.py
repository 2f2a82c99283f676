"""Which daemon types make up which service type, as cephadm names them.

Most services run one daemon type of the same name; ``ingress`` runs haproxy and keepalived,
Rook's ``crashcollector`` daemons belong to ``crash``, and ``jaeger-tracing`` is four types.
Unknown names raise KeyError, as in Ceph, so a typo never silently maps to a wrong service.
"""
from __future__ import annotations

from typing import Dict, List

# Service types whose daemons carry their own type name.
_SELF_NAMED = (
    'mon', 'mgr', 'mds', 'rgw', 'osd', 'iscsi', 'nvmeof', 'rbd-mirror', 'cephfs-mirror', 'nfs',
    'grafana', 'alertmanager', 'prometheus', 'loki', 'promtail', 'alloy', 'node-exporter',
    'ceph-exporter', 'crash', 'container', 'agent', 'node-proxy', 'snmp-gateway', 'smb',
    'mgmt-gateway', 'oauth2-proxy', 'elasticsearch', 'jaeger-agent', 'jaeger-collector',
    'jaeger-query',
)

_SERVICE_TO_DAEMON_TYPES: Dict[str, List[str]] = {name: [name] for name in _SELF_NAMED}
_SERVICE_TO_DAEMON_TYPES.update({
    'ingress': ['haproxy', 'keepalived'],
    'jaeger-tracing': ['elasticsearch', 'jaeger-query', 'jaeger-collector', 'jaeger-agent'],
})

_DAEMON_TO_SERVICE_TYPE: Dict[str, str] = {name: name for name in _SELF_NAMED}
_DAEMON_TO_SERVICE_TYPE.update({
    'haproxy': 'ingress',
    'keepalived': 'ingress',
    'crashcollector': 'crash',  # Rook's name for the crash daemon
})


def daemon_type_to_service(dtype: str) -> str:
    """The service type a daemon type belongs to (``haproxy`` -> ``ingress``)."""
    return _DAEMON_TO_SERVICE_TYPE[dtype]


def service_to_daemon_types(stype: str) -> List[str]:
    """The daemon types a service type deploys (``ingress`` -> ``[haproxy, keepalived]``)."""
    return list(_SERVICE_TO_DAEMON_TYPES[stype])


def known_daemon_types() -> List[str]:
    """Every daemon type of every service type the spec model knows (Ceph's KNOWN_DAEMON_TYPES)."""
    from ceph_orch_cli.deployment.service_spec import ServiceSpec
    return [d for stype in ServiceSpec.KNOWN_SERVICE_TYPES
            for d in service_to_daemon_types(stype)]
