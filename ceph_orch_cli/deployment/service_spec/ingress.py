"""The ingress service: haproxy and keepalived in front of rgw or nfs."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from ceph_orch_cli.deployment.hostspec import SpecValidationError
from ceph_orch_cli.deployment.service_spec.fields import _COMMON, _TLS, _FieldSpec
from ceph_orch_cli.deployment.service_spec.validators import validate_port, validate_unique_ports


class IngressSpec(_FieldSpec):
    """haproxy + keepalived in front of a backend service (rgw, nfs)."""

    _TYPES = ('ingress',)
    _BASE = (_COMMON - {'preview_only'}) | _TLS
    #: the service behind the ingress, e.g. ``rgw.foo`` or ``nfs.bar``
    backend_service: Optional[str] = None
    #: haproxy's frontend port and its stats (monitor) port
    frontend_port: Optional[int] = None
    ssl_dh_param: Optional[int] = None
    ssl_ciphers: Optional[List[str]] = None
    ssl_options: Optional[List[str]] = None
    monitor_port: Optional[int] = None
    monitor_user: Optional[str] = None
    monitor_password: Optional[str] = None
    enable_stats: Optional[bool] = None
    keepalived_password: Optional[str] = None
    #: the floating address(es) keepalived holds (``virtual_ip`` or ``virtual_ips_list``)
    virtual_ip: Optional[str] = None
    virtual_ips_list: Optional[List[str]] = None
    virtual_interface_networks: List[str] = []
    use_keepalived_multicast: bool = False
    vrrp_interface_network: Optional[str] = None
    first_virtual_router_id: int = 50
    #: keepalived only, no haproxy (the backend binds to the virtual IP itself)
    keepalive_only: bool = False
    enable_haproxy_protocol: bool = False
    #: haproxy's health check interval, e.g. ``2s``, ``1m``
    health_check_interval: Optional[str] = None
    use_tcp_mode_over_rgw: bool = False
    haproxy_qat_support: bool = False
    generate_cert: bool = False
    verify_backend_ssl_cert: bool = False
    verification_ca_cert: Optional[str] = None
    monitor_ssl: bool = False
    monitor_ssl_cert: Optional[str] = None
    monitor_ssl_key: Optional[str] = None
    monitor_cert_source: str = 'reuse_service_cert'
    monitor_networks: Optional[List[str]] = None
    monitor_ip_addrs: Optional[Dict[str, str]] = None
    #: haproxy peers' port (nfs backends only; 1024 when unset)
    haproxy_peer_communication_port: Optional[int] = None

    def _post_init(self) -> None:
        self.virtual_interface_networks = self.virtual_interface_networks or []
        if isinstance(self.health_check_interval, str):
            self.health_check_interval = self.health_check_interval.strip() or None

    def _is_nfs_backend(self) -> bool:
        return bool(isinstance(self.backend_service, str)
                    and self.backend_service.split('.')[0] == 'nfs')

    def get_port_start(self) -> List[int]:
        ports: List[int] = []
        if self.frontend_port is not None:
            ports.append(self.frontend_port)
        if self.monitor_port is not None:
            ports.append(self.monitor_port)
        if self.haproxy_peer_communication_port is not None or self._is_nfs_backend():
            ports.append(self.haproxy_peer_communication_port or 1024)
        return ports

    def get_virtual_ip(self) -> Optional[str]:
        return self.virtual_ip

    def validate(self) -> None:
        super().validate()
        if not self.backend_service:
            raise SpecValidationError('Cannot add ingress: No backend_service specified')
        if not self.keepalive_only and not self.frontend_port:
            raise SpecValidationError('Cannot add ingress: No frontend_port specified')
        if not self.keepalive_only and not self.monitor_port:
            raise SpecValidationError('Cannot add ingress: No monitor_port specified')
        if not self.virtual_ip and not self.virtual_ips_list:
            raise SpecValidationError('Cannot add ingress: No virtual_ip provided')
        if self.virtual_ip is not None and self.virtual_ips_list is not None:
            raise SpecValidationError(
                'Cannot add ingress: Single and multiple virtual IPs specified')
        if self.health_check_interval:
            valid_units = ['s', 'm', 'h']
            if not re.search(rf"^(\d+)({'|'.join(valid_units)})$", self.health_check_interval):
                raise SpecValidationError(
                    'Cannot add ingress: Invalid health_check_interval specified. '
                    f'Valid units are: {valid_units}')
        if self.generate_cert and not self.ssl:
            raise SpecValidationError('"generate_cert" cannot be set without setting the "ssl" '
                                      'field to true')
        if self.haproxy_peer_communication_port is not None and not self._is_nfs_backend():
            raise SpecValidationError(
                'The haproxy_peer_communication_port is valid only for NFS backend.')
        for port_val, fname in ((self.frontend_port, 'frontend_port'),
                                (self.monitor_port, 'monitor_port'),
                                (self.haproxy_peer_communication_port,
                                 'haproxy_peer_communication_port')):
            validate_port(port_val, fname)
        validate_unique_ports(self.get_port_start())
        if self.monitor_ssl:
            if not self.ssl:
                raise SpecValidationError(
                    'To enable SSL for stats, SSL must also be enabled on the frontend.')
            if self.monitor_ssl_cert and bool(self.monitor_ssl_cert) != bool(self.monitor_ssl_key):
                raise SpecValidationError(
                    'To enable monitor_ssl, both monitor_ssl_cert and monitor_ssl_key '
                    'must be provided.')
