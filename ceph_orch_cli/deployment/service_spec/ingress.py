"""The ingress service: haproxy and keepalived in front of rgw or nfs."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, cast

from ceph_orch_cli.deployment.hostspec import SpecValidationError
from ceph_orch_cli.deployment.service_spec.base import _COMMON, _TLS, _FieldSpec
from ceph_orch_cli.deployment.service_spec.validators import validate_port, validate_unique_ports

class IngressSpec(_FieldSpec):
    """haproxy + keepalived in front of a backend service (rgw, nfs)."""

    _TYPES = ('ingress',)
    _BASE = (_COMMON - {'preview_only'}) | _TLS
    _FIELDS = {
        'backend_service': None, 'frontend_port': None, 'ssl_dh_param': None,
        'ssl_ciphers': None, 'ssl_options': None, 'monitor_port': None,
        'monitor_user': None, 'monitor_password': None, 'enable_stats': None,
        'keepalived_password': None, 'virtual_ip': None, 'virtual_ips_list': None,
        'virtual_interface_networks': [], 'use_keepalived_multicast': False,
        'vrrp_interface_network': None, 'first_virtual_router_id': 50,
        'keepalive_only': False, 'enable_haproxy_protocol': False,
        'health_check_interval': None, 'use_tcp_mode_over_rgw': False,
        'haproxy_qat_support': False, 'generate_cert': False,
        'verify_backend_ssl_cert': False, 'verification_ca_cert': None,
        'monitor_ssl': False, 'monitor_ssl_cert': None, 'monitor_ssl_key': None,
        'monitor_cert_source': 'reuse_service_cert', 'monitor_networks': None,
        'monitor_ip_addrs': None, 'haproxy_peer_communication_port': None,
    }

    def _post_init(self, base: Dict[str, Any]) -> None:
        self.virtual_interface_networks = self.virtual_interface_networks or []
        if isinstance(self.health_check_interval, str):
            self.health_check_interval = self.health_check_interval.strip() or None

    def _is_nfs_backend(self) -> bool:
        return bool(isinstance(self.backend_service, str)
                    and self.backend_service.split('.')[0] == 'nfs')

    def get_port_start(self) -> List[int]:
        ports = []
        if self.frontend_port is not None:
            ports.append(cast(int, self.frontend_port))
        if self.monitor_port is not None:
            ports.append(cast(int, self.monitor_port))
        if self.haproxy_peer_communication_port is not None or self._is_nfs_backend():
            ports.append(cast(int, self.haproxy_peer_communication_port) or 1024)
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
