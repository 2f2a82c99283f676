"""Samba (SMB) gateways over CephFS, clustered with CTDB and floating addresses."""
from __future__ import annotations

from collections import OrderedDict
from ipaddress import ip_interface, ip_network
from typing import Any, Dict, List, Optional, Union

from ceph_orch_cli.deployment.hostspec import SpecValidationError
from ceph_orch_cli.deployment.service_spec.fields import _COMMON, _FieldSpec


class SMBClusterPublicIPSpec:
    """A floating address (with prefix length) that CTDB moves between SMB hosts."""

    def __init__(self, address: str, destination: Union[str, List[str], None] = None) -> None:
        self.address = address
        self.destination = destination
        self.validate()

    def validate(self) -> None:
        if not self.address:
            raise SpecValidationError('address value missing')
        if '/' not in self.address:
            raise SpecValidationError('a combined address and prefix length is required')
        try:
            iface = ip_interface(self.address)
        except ValueError as err:
            raise SpecValidationError(f'Cannot parse interface address {self.address}') from err
        self.address = iface.with_prefixlen
        if not self.destination:
            return
        if isinstance(self.destination, str):
            dests = [self.destination]
        elif isinstance(self.destination, list) and all(isinstance(v, str)
                                                        for v in self.destination):
            dests = self.destination
        else:
            raise SpecValidationError('destination field must be a string or list of strings')
        for dest in dests:
            try:
                ip_network(dest)
            except ValueError as err:
                raise SpecValidationError(f'Cannot parse network value {self.address}') from err

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, SMBClusterPublicIPSpec):
            return other.address == self.address and other.destination == self.destination
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f'SMBClusterPublicIPSpec({self.address!r}, {self.destination!r})'

    def to_json(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {'address': self.address}
        if self.destination:
            out['destination'] = self.destination
        return out

    @classmethod
    def from_json(cls, spec: Dict[str, Any]) -> 'SMBClusterPublicIPSpec':
        if 'address' not in spec:
            raise SpecValidationError(
                'SMB cluster public IP spec missing required field: address')
        return cls(spec['address'], spec.get('destination'))

    @classmethod
    def convert_list(cls, arg: Optional[List[Any]]) -> Optional[List['SMBClusterPublicIPSpec']]:
        if arg is None:
            return None
        if not isinstance(arg, list):
            raise SpecValidationError('cluster_public_addrs must be a list')
        out = []
        for value in arg:
            if isinstance(value, cls):
                out.append(value)
            elif isinstance(value, dict):
                out.append(cls.from_json(value))
            else:
                raise SpecValidationError(f'Unknown type for SMBClusterPublicIPSpec: {type(value)}')
        return out


SMB_FEATURES = ('domain', 'clustered', 'cephfs-proxy')
SMB_DEFAULT_PORTS = {'smb': 445, 'smbmetrics': 9922, 'ctdb': 4379, 'remote-control': 54445}


class SMBSpec(_FieldSpec):
    """Samba containers sharing CephFS; usually managed by the ``smb`` mgr module."""

    _TYPES = ('smb',)
    _BASE = _COMMON | {'count'}
    #: the cluster's name (required) and the URI of its configuration (required)
    cluster_id: str = ''
    #: any of ``domain``, ``clustered``, ``cephfs-proxy``
    features: List[str] = []
    config_uri: str = ''
    join_sources: List[str] = []
    user_sources: List[str] = []
    custom_dns: List[str] = []
    include_ceph_users: List[str] = []
    #: clustered: CTDB's metadata and lock objects (derived from ``config_uri`` when unset)
    cluster_meta_uri: Optional[str] = None
    cluster_lock_uri: Optional[str] = None
    cluster_public_addrs: Optional[List[SMBClusterPublicIPSpec]] = None
    #: service name (``smb``, ``smbmetrics``, ``ctdb``, ``remote-control``) -> port
    custom_ports: Optional[Dict[str, int]] = None

    def _post_init(self) -> None:
        self.features = self.features or []
        self.join_sources = self.join_sources or []
        self.user_sources = self.user_sources or []
        self.custom_dns = self.custom_dns or []
        self.include_ceph_users = self.include_ceph_users or []
        self.cluster_public_addrs = SMBClusterPublicIPSpec.convert_list(self.cluster_public_addrs)
        self.validate()

    def validate(self) -> None:
        # Ceph's SMBSpec raises ValueError (not SpecValidationError) for these.
        if not self.cluster_id:
            raise SpecValidationError('a valid cluster_id is required')
        if not self.config_uri:
            raise SpecValidationError('a valid config_uri is required')
        if self.features:
            invalid = set(self.features).difference(SMB_FEATURES)
            if invalid:
                raise SpecValidationError(f'invalid feature flags: {", ".join(sorted(invalid))}')
        clustered = 'clustered' in self.features
        if clustered and not self.cluster_meta_uri:
            self.cluster_meta_uri = self._derive_cluster_uri(self.config_uri, 'cluster.meta.json')
        if not clustered and self.cluster_meta_uri:
            raise SpecValidationError('cluster meta uri unsupported when "clustered" feature not set')
        if clustered and not self.cluster_lock_uri:
            self.cluster_lock_uri = self._derive_cluster_uri(self.config_uri, 'cluster.meta.lock')
        if not clustered and self.cluster_lock_uri:
            raise SpecValidationError('cluster lock uri unsupported when "clustered" feature not set')
        for key in self.custom_ports or {}:
            if key not in SMB_DEFAULT_PORTS:
                raise SpecValidationError(f'{key} is not a valid service name')
        super().validate()

    @staticmethod
    def _derive_cluster_uri(uri: str, objname: str) -> str:
        if not uri.startswith(('rados://', 'mem:')):
            raise SpecValidationError('invalid uri scheme for cluster metadata')
        parts = uri[8:].split('/')
        parts[-1] = objname
        return 'rados://' + '/'.join(parts)

    def service_ports(self) -> Dict[str, int]:
        ports = dict(SMB_DEFAULT_PORTS)
        ports.update(self.custom_ports or {})
        return ports

    def get_port_start(self) -> List[int]:
        ports = self.service_ports()
        out = [ports['smb'], ports['smbmetrics']]
        if 'clustered' in self.features:
            out.append(ports['ctdb'])
        return out

    def to_json(self) -> 'OrderedDict[str, Any]':
        obj = super().to_json()
        spec = obj.get('spec')
        if spec and spec.get('cluster_public_addrs'):
            spec['cluster_public_addrs'] = [a.to_json() if hasattr(a, 'to_json') else a
                                            for a in spec['cluster_public_addrs']]
        return obj
