"""Service specs and placement, mirroring Ceph's ``ceph.deployment.service_spec``.

Behaviour, field names, defaults, JSON key order and error messages follow Ceph so that
spec files written for ``ceph orch apply`` work unchanged, and ``orch ls --export``
prints what Ceph prints.  Plain classes with ``from_json``/``to_json``/``validate``;
no I/O (yaml is imported lazily, only by ``__repr__``).

The import path ``ceph_orch_cli.deployment.service_spec`` is fixed (DESIGN.md), so this
package re-exports every name; the code lives in one module per concern:

* ``validators``: checks shared by the spec classes;
* ``placement``: ``PlacementSpec`` and the ``--placement`` language;
* ``arguments``: extra container/entrypoint arguments and custom config files;
* ``base``: ``ServiceSpec``; ``fields``: ``_FieldSpec``, the base of the types with fields
  of their own, declared as annotated class attributes;
* one module per family of service types: ``core`` (mon, mds), ``gateways`` (rgw, nfs,
  iscsi, nvmeof), ``smb``, ``ingress``, ``mgmt`` (mgmt-gateway, oauth2-proxy),
  ``monitoring``, ``containers``, ``tracing``.

A new service type with fields of its own: a ``_FieldSpec`` subclass in its family's
module, its name exported here and its type(s) added to ``_SPEC_CLASSES`` below.
"""
from __future__ import annotations

from typing import Any

# importable from the old single module, as in Ceph
from ceph_orch_cli.deployment.hostspec import HostSpec, SpecValidationError, assert_valid_host
from ceph_orch_cli.deployment.service_spec.arguments import (ArgumentList, ArgumentSpec,
                                                             CustomConfig, GeneralArgList)
from ceph_orch_cli.deployment.service_spec.base import (
    _ALLOW_COLO, _SERVICE_ID_RE, _SPEC_CLASSES, REQUIRES_CERTIFICATES, CertificateSource,
    ServiceSpec, ServiceSpecT, allow_colo, service_spec_allow_invalid_from_json)
from ceph_orch_cli.deployment.service_spec.containers import (CustomContainerSpec,
                                                              InitContainerSpec)
from ceph_orch_cli.deployment.service_spec.fields import _COMMON, _TLS, _FieldSpec
from ceph_orch_cli.deployment.service_spec.core import MDSSpec, MONSpec
from ceph_orch_cli.deployment.service_spec.gateways import (IscsiServiceSpec, NFSServiceSpec,
                                                            NvmeofServiceSpec, RGWSpec)
from ceph_orch_cli.deployment.service_spec.ingress import IngressSpec
from ceph_orch_cli.deployment.service_spec.mgmt import MgmtGatewaySpec, OAuth2ProxySpec
from ceph_orch_cli.deployment.service_spec.monitoring import (
    _MONITORING_PORTS, AlertManagerSpec, CephExporterSpec, GrafanaSpec, MonitoringSpec,
    NodeProxySpec, PrometheusSpec, SNMPGatewaySpec)
from ceph_orch_cli.deployment.service_spec.placement import (HostPattern, HostPatternType,
                                                             HostPlacementSpec, PatternType,
                                                             PlacementSpec)
from ceph_orch_cli.deployment.service_spec.smb import (SMB_DEFAULT_PORTS, SMB_FEATURES,
                                                       SMBClusterPublicIPSpec, SMBSpec)
from ceph_orch_cli.deployment.service_spec.tracing import TracingSpec
from ceph_orch_cli.deployment.service_spec.validators import (
    FuncT, _is_hex, handle_type_error, parse_combined_pem_file, unwrap_ipv6, valid_addr,
    validate_port, validate_unique_ports, verify_boolean, verify_enum, verify_non_empty_string,
    verify_non_negative_int, verify_positive_int)

__all__ = [
    'AlertManagerSpec', 'ArgumentList', 'ArgumentSpec', 'CephExporterSpec', 'CertificateSource',
    'CustomConfig', 'CustomContainerSpec', 'FuncT', 'GeneralArgList', 'GrafanaSpec',
    'HostPattern', 'HostPatternType', 'HostPlacementSpec', 'IngressSpec', 'InitContainerSpec',
    'IscsiServiceSpec', 'MDSSpec', 'MONSpec', 'MgmtGatewaySpec', 'MonitoringSpec',
    'NFSServiceSpec', 'NodeProxySpec', 'NvmeofServiceSpec', 'OAuth2ProxySpec', 'PatternType',
    'PlacementSpec', 'PrometheusSpec', 'REQUIRES_CERTIFICATES', 'RGWSpec', 'SMBClusterPublicIPSpec',
    'SMBSpec', 'SMB_DEFAULT_PORTS', 'SMB_FEATURES', 'SNMPGatewaySpec', 'ServiceSpec',
    'ServiceSpecT', 'TracingSpec', 'allow_colo', 'handle_type_error', 'parse_combined_pem_file',
    'service_spec_allow_invalid_from_json', 'unwrap_ipv6', 'valid_addr', 'validate_port',
    'validate_unique_ports', 'verify_boolean', 'verify_enum', 'verify_non_empty_string',
    'verify_non_negative_int', 'verify_positive_int', 'HostSpec', 'SpecValidationError',
    'assert_valid_host',
    # private, kept importable from the old single module
    '_ALLOW_COLO', '_COMMON', '_FieldSpec', '_MONITORING_PORTS', '_SERVICE_ID_RE', '_SPEC_CLASSES',
    '_TLS', '_is_hex',
]


#: The class ``ServiceSpec(service_type)`` and ``ServiceSpec.from_json`` build for each
#: type with fields of its own (every other type is a plain ``ServiceSpec``; ``osd`` is a
#: ``DriveGroupSpec``).  Filled here, not in ``base``: the type modules import ``base``.
_SPEC_CLASSES.update({
    'mon': MONSpec,
    'rgw': RGWSpec,
    'nfs': NFSServiceSpec,
    'mds': MDSSpec,
    'iscsi': IscsiServiceSpec,
    'nvmeof': NvmeofServiceSpec,
    'alertmanager': AlertManagerSpec,
    'ingress': IngressSpec,
    'mgmt-gateway': MgmtGatewaySpec,
    'oauth2-proxy': OAuth2ProxySpec,
    'container': CustomContainerSpec,
    'grafana': GrafanaSpec,
    'node-exporter': MonitoringSpec,
    'ceph-exporter': CephExporterSpec,
    'prometheus': PrometheusSpec,
    'loki': MonitoringSpec,
    'promtail': MonitoringSpec,
    'alloy': MonitoringSpec,
    'snmp-gateway': SNMPGatewaySpec,
    'node-proxy': NodeProxySpec,
    'smb': SMBSpec,
    'elasticsearch': TracingSpec,
    'jaeger-agent': TracingSpec,
    'jaeger-collector': TracingSpec,
    'jaeger-query': TracingSpec,
    'jaeger-tracing': TracingSpec,
})


#: The seed's ``PlacementSpec.from_string`` examples, found by ``doctest`` on this package
#: (the finder only looks at objects defined in the module it is given).
__test__ = {'PlacementSpec.from_string': PlacementSpec.from_string}


def __getattr__(name: str) -> Any:
    # Ceph exposes TunedProfileSpec from service_spec; it lives in tuned_profile here.
    if name == 'TunedProfileSpec':
        from ceph_orch_cli.deployment.tuned_profile import TunedProfileSpec
        return TunedProfileSpec
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
