"""The monitoring stack (prometheus, alertmanager, grafana, node-exporter, loki, promtail,
alloy), the SNMP gateway for its alerts, and the exporters of Ceph and host metrics."""
from __future__ import annotations

import enum
import re
from collections import OrderedDict
from typing import Any, ClassVar, Dict, List, Optional, Tuple

from ceph_orch_cli.deployment.hostspec import SpecValidationError
from ceph_orch_cli.deployment.service_spec.fields import _COMMON, _TLS, _FieldSpec
from ceph_orch_cli.deployment.service_spec.validators import _is_hex, valid_addr


_MONITORING_PORTS = {'prometheus': 9095, 'node-exporter': 9100, 'alertmanager': 9093,
                     'grafana': 3000, 'loki': 3100, 'alloy': 9080, 'promtail': 9080}


class MonitoringSpec(_FieldSpec):
    """node-exporter, loki, promtail, alloy (and the base of the other monitoring specs)."""

    _TYPES: ClassVar[Tuple[str, ...]] = ('grafana', 'node-exporter', 'prometheus',
                                         'alertmanager', 'loki', 'alloy', 'promtail')
    _BASE = _COMMON | {'ssl', 'certificate_source', 'targets'}
    _BASE_DEFAULTS = {'ssl': True}
    #: the port the daemon listens on (the type's default when unset)
    port: Optional[int] = None
    remote_write_url: Optional[str] = None
    remote_write_allowed_metrics: Optional[List[str]] = None

    def get_port_start(self) -> List[int]:
        return [self.get_port()]

    def get_port(self) -> int:
        return self.port or _MONITORING_PORTS[self.service_type]


class AlertManagerSpec(MonitoringSpec):
    _TYPES = ('alertmanager',)
    _NOT_INHERITED = frozenset({'remote_write_url', 'remote_write_allowed_metrics'})
    _BASE = _COMMON | {'ssl', 'certificate_source'}
    #: e.g. ``default_webhook_urls``: extra webhook receivers
    user_data: Dict[str, Any] = {}
    secure: bool = False
    only_bind_port_on_networks: bool = False

    def _post_init(self) -> None:
        self.user_data = self.user_data or {}

    def get_port_start(self) -> List[int]:
        return [self.get_port(), 9094]

    def validate(self) -> None:
        super().validate()
        if self.port == 9094:
            raise SpecValidationError('Port 9094 is reserved for AlertManager cluster listen '
                                      'address')


class GrafanaSpec(MonitoringSpec):
    _TYPES = ('grafana',)
    _NOT_INHERITED = frozenset({'remote_write_url', 'remote_write_allowed_metrics'})
    #: the TLS block as Ceph's GrafanaSpec has it: an inline ``ssl_cert``/``ssl_key``
    #: (``certificate_source: inline``), ``custom_sans`` for a cephadm-signed one
    _BASE = _COMMON | _TLS
    only_bind_port_on_networks: bool = False
    #: ``http`` or ``https``
    protocol: Optional[str] = 'https'
    initial_admin_password: Optional[str] = None
    #: without it an ``initial_admin_password`` is required
    anonymous_access: bool = True

    def validate(self) -> None:
        super().validate()
        if self.protocol not in ['http', 'https']:
            raise SpecValidationError(
                f"Invalid protocol '{self.protocol}'. Valid values are: 'http', 'https'.")
        if not self.anonymous_access and not self.initial_admin_password:
            raise SpecValidationError(
                'Either initial_admin_password must be set or anonymous_access '
                'must be set to true. Otherwise the grafana dashboard will be inaccessible.')

    def to_json(self) -> 'OrderedDict[str, Any]':
        data = super().to_json()
        if not self.anonymous_access:
            # a False default-True boolean would otherwise vanish from the export
            data.setdefault('spec', {})['anonymous_access'] = False
        return data


class PrometheusSpec(MonitoringSpec):
    _TYPES = ('prometheus',)
    _BASE = _COMMON | {'ssl', 'certificate_source', 'targets'}
    only_bind_port_on_networks: bool = False
    #: how long / how much data prometheus keeps, e.g. ``15d``, ``10GB``
    retention_time: Optional[str] = None
    retention_size: Optional[str] = None

    def _post_init(self) -> None:
        for name in ('retention_time', 'retention_size'):
            val = getattr(self, name)
            if isinstance(val, str):
                setattr(self, name, val.strip() or None)

    def validate(self) -> None:
        super().validate()
        if self.retention_time:
            units = ['y', 'w', 'd', 'h', 'm', 's']
            if not re.search(rf"^(\d+)({'|'.join(units)})$", str(self.retention_time)):
                raise SpecValidationError(
                    f"Invalid retention time. Valid units are: {', '.join(units)}")
        if self.retention_size:
            units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB', 'EB']
            if not re.search(rf"^(\d+)({'|'.join(units)})$", str(self.retention_size)):
                raise SpecValidationError(
                    f"Invalid retention size. Valid units are: {', '.join(units)}")


class SNMPGatewaySpec(_FieldSpec):
    """Forwards Prometheus alerts as SNMP traps (V2c or V3)."""

    class SNMPVersion(str, enum.Enum):
        V2c = 'V2c'
        V3 = 'V3'

        def to_json(self) -> str:
            return self.value

    class SNMPAuthType(str, enum.Enum):
        MD5 = 'MD5'
        SHA = 'SHA'

        def to_json(self) -> str:
            return self.value

    class SNMPPrivacyType(str, enum.Enum):
        DES = 'DES'
        AES = 'AES'

        def to_json(self) -> str:
            return self.value

    valid_destination_types = ['Name:Port', 'IPv4:Port']

    _TYPES = ('snmp-gateway',)
    _BASE = _COMMON - {'config', 'networks'}
    _ACCEPTS_ID = False
    snmp_version: Optional[SNMPVersion] = None
    #: ``host:port`` or ``IPv4:port`` the traps go to
    snmp_destination: str = ''
    #: ``snmp_community`` (V2c), or ``snmp_v3_auth_username``/``_password`` (V3)
    credentials: Dict[str, str] = {}
    #: V3: 10-64 hex characters, an even count
    engine_id: Optional[str] = None
    auth_protocol: Optional[SNMPAuthType] = None
    privacy_protocol: Optional[SNMPPrivacyType] = None
    #: the port the gateway listens on for alerts (9464 when unset)
    port: Optional[int] = None

    @classmethod
    def _from_json_impl(cls, json_spec: dict) -> 'SNMPGatewaySpec':
        cpy = json_spec.copy()
        if isinstance(cpy.get('spec'), dict):
            cpy['spec'] = dict(cpy['spec'])
        types = [('snmp_version', SNMPGatewaySpec.SNMPVersion),
                 ('auth_protocol', SNMPGatewaySpec.SNMPAuthType),
                 ('privacy_protocol', SNMPGatewaySpec.SNMPPrivacyType)]
        for d in cpy, cpy.get('spec', {}):
            if not isinstance(d, dict):
                continue
            for key, enum_cls in types:
                if key in d:
                    try:
                        d[key] = enum_cls(d[key])
                    except (ValueError, TypeError):
                        raise SpecValidationError(
                            f'{key} unsupported. Must be one of {", ".join(enum_cls)}')
        return super()._from_json_impl(cpy)

    @property
    def ports(self) -> List[int]:
        return [self.port or 9464]

    def get_port_start(self) -> List[int]:
        return self.ports

    def validate(self) -> None:
        super().validate()
        if not self.credentials:
            raise SpecValidationError(
                'Missing authentication information (credentials). '
                'SNMP V2c and V3 require credential information')
        if not self.snmp_version:
            raise SpecValidationError('Missing SNMP version (snmp_version)')
        if not isinstance(self.credentials, dict):
            raise SpecValidationError('credentials must be a mapping')
        requirement = {'V2c': ['snmp_community'],
                       'V3': ['snmp_v3_auth_username', 'snmp_v3_auth_password']}
        if self.privacy_protocol:
            requirement['V3'].append('snmp_v3_priv_password')
        version = str(getattr(self.snmp_version, 'value', self.snmp_version))
        if version not in requirement:
            raise SpecValidationError('snmp_version unsupported. Must be one of V2c, V3')
        missing = [p for p in requirement[version] if p not in self.credentials]
        if missing:
            raise SpecValidationError(
                f'SNMP {version} credentials are incomplete. Missing {", ".join(missing)}')
        if self.engine_id:
            eid = str(self.engine_id)
            if not (10 <= len(eid) <= 64 and _is_hex(eid) and len(eid) % 2 == 0):
                raise SpecValidationError(
                    'engine_id must be a string containing 10-64 hex characters. '
                    'Its length must be divisible by 2')
        elif version == 'V3':
            raise SpecValidationError('Must provide an engine_id for SNMP V3 notifications')
        if not self.snmp_destination:
            raise SpecValidationError('SNMP destination (snmp_destination) must be provided')
        valid, description = valid_addr(str(self.snmp_destination))
        if not valid:
            raise SpecValidationError(
                f'SNMP destination (snmp_destination) is invalid: {description}')
        if description not in self.valid_destination_types:
            raise SpecValidationError(
                f'SNMP destination (snmp_destination) type ({description}) is invalid. '
                f'Must be either: {", ".join(sorted(self.valid_destination_types))}')


class CephExporterSpec(_FieldSpec):
    _TYPES = ('ceph-exporter',)
    _BASE = frozenset({'placement', 'unmanaged', 'preview_only', 'extra_container_args',
                       'extra_entrypoint_args', 'ssl', 'certificate_source'})
    _BASE_DEFAULTS = {'ssl': True}
    _ACCEPTS_ID = False
    #: deprecated in Ceph: only unset or ``/var/run/ceph/`` is accepted, then dropped
    sock_dir: Optional[str] = None
    addrs: str = ''
    port: Optional[int] = None
    prio_limit: Optional[int] = 5
    stats_period: Optional[int] = 5

    def _post_init(self) -> None:
        self._sock_dir_given = self.sock_dir
        self.sock_dir = None  # deprecated in Ceph: always the default socket dir

    def get_port_start(self) -> List[int]:
        return [self.port or 9926]

    def validate(self) -> None:
        super().validate()
        given = getattr(self, '_sock_dir_given', None)
        if given and given != '/var/run/ceph/':
            raise SpecValidationError(
                'sock_dir setting is deprecated and must be either unset or set to '
                '/var/run/ceph/')
        if not isinstance(self.prio_limit, int):
            raise SpecValidationError(f'prio_limit must be an integer. Got {type(self.prio_limit)}')
        if not isinstance(self.stats_period, int):
            raise SpecValidationError(
                f'stats_period must be an integer. Got {type(self.stats_period)}')

    def __eq__(self, other: Any) -> bool:
        if self.__class__ != other.__class__:
            return False
        mine = {k: v for k, v in self.__dict__.items() if k != '_sock_dir_given'}
        theirs = {k: v for k, v in other.__dict__.items() if k != '_sock_dir_given'}
        return mine == theirs


class NodeProxySpec(_FieldSpec):
    _TYPES = ('node-proxy',)
    _BASE = frozenset({'placement', 'unmanaged', 'preview_only', 'extra_container_args',
                       'extra_entrypoint_args', 'custom_configs', 'ssl', 'certificate_source'})
    _BASE_DEFAULTS = {'ssl': True}
    _ACCEPTS_ID = False
