"""Gateways into the cluster's data: RGW (S3/Swift), NFS, iSCSI and NVMe-oF."""
from __future__ import annotations

from typing import Any, ClassVar, Dict, List, Optional, Union

from ceph_orch_cli.deployment.hostspec import SpecValidationError
from ceph_orch_cli.deployment.service_spec.base import CertificateSource, ServiceSpec
from ceph_orch_cli.deployment.service_spec.fields import _COMMON, _TLS, _FieldSpec
from ceph_orch_cli.deployment.service_spec.validators import (
    parse_combined_pem_file, validate_port, verify_boolean, verify_enum, verify_non_negative_int,
    verify_positive_int)


class NFSServiceSpec(_FieldSpec):
    _TYPES = ('nfs',)
    _BASE = _COMMON | _TLS | {'ip_addrs', 'ssl_ca_cert'}
    #: the port ganesha listens on (its default, 2049, when unset)
    port: Optional[int] = None
    #: networks / per-host addresses for the monitoring (metrics) endpoint
    monitoring_networks: Optional[List[str]] = None
    monitoring_ip_addrs: Optional[Dict[str, str]] = None
    monitoring_port: Optional[int] = None
    #: an address ganesha binds to, with ingress in front (``keepalive_only``)
    virtual_ip: Optional[str] = None
    enable_nlm: bool = False
    enable_haproxy_protocol: bool = False
    enable_rdma: bool = False
    rdma_port: Optional[int] = None
    #: sections of ``idmapd.conf`` (NFSv4 id mapping)
    idmap_conf: Optional[Dict[str, Dict[str, str]]] = None
    enable_virtual_server: bool = False
    #: KMIP key server: all four or none; hosts given as ``addr`` strings or
    #: ``{addr, port}`` mappings (strings become mappings)
    kmip_cert: Optional[str] = None
    kmip_key: Optional[str] = None
    kmip_ca_cert: Optional[str] = None
    kmip_host_list: List[Dict[str, Any]] = []
    cluster_qos_config: Optional[Dict[str, Any]] = None
    cluster_qos_port: Optional[int] = None
    tls_ktls: bool = False
    tls_debug: bool = False
    tls_min_version: Optional[str] = None
    tls_ciphers: Optional[str] = None
    enable_nfsv3: bool = False

    def _post_init(self) -> None:
        hosts: List[Dict[str, Any]] = []
        for host_obj in self.kmip_host_list or []:
            if isinstance(host_obj, str):
                hosts.append({'addr': host_obj})
            elif isinstance(host_obj, dict):
                hosts.append(host_obj)
            else:
                raise SpecValidationError(
                    f'kmip_host_list contains an invalid element: {host_obj}.')
        self.kmip_host_list = hosts

    def get_port_start(self) -> List[int]:
        # cephadm's scheduler gives nfs slots a port only when the spec names one
        # (reference/scheduling.md section 3); ganesha's defaults apply otherwise.
        return [self.port] if self.port else []

    def rados_config_name(self) -> str:
        return 'conf-' + self.service_name()

    @staticmethod
    def _check_port(port: Any, what: str) -> None:
        if port is None:
            return
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise SpecValidationError(
                f'NFS spec has invalid {what}value: {port}. Port must be between 0 and 65535')

    def _validate_kmip(self) -> None:
        """The KMIP key server: all four settings or none, each host with an address."""
        kmip_names = ['kmip_cert', 'kmip_key', 'kmip_ca_cert', 'kmip_host_list']
        kmip = [getattr(self, n) for n in kmip_names]
        if any(kmip) and not all(kmip):
            raise SpecValidationError(
                f'Either none or all of {kmip_names} attrbutes must be set')
        for kmip_host in self.kmip_host_list:
            if 'addr' not in kmip_host:
                raise SpecValidationError(
                    "Each dictionary in kmip_host_list must include the 'addr' key."
                    f"{kmip_host} is missing 'addr'.")
            if 'port' in kmip_host and not isinstance(kmip_host['port'], int):
                raise SpecValidationError(
                    f'Provided port is not valid for {kmip_host} in kmip_host_list.')

    @staticmethod
    def _validate_cluster_qos(qos: Any) -> None:
        """Cluster-level QoS: boolean switches, and a known ``qos_type`` when bandwidth or
        IOPS control is on."""
        if not isinstance(qos, dict):
            raise SpecValidationError('Invalid NFS spec: cluster_qos_config is not correct')
        flags = [qos.get('enable_qos', True), qos.get('enable_bw_control', False),
                 qos.get('combined_rw_bw_control', False),
                 qos.get('enable_iops_control', False)]
        if any(not isinstance(f, bool) for f in flags):
            raise SpecValidationError('Invalid NFS spec: cluster_qos_config is not correct')
        if flags[0] and (flags[1] or flags[3]):
            valid_qos_types = ['PerShare', 'PerClient', 'PerShare_PerClient']
            qos_type = qos.get('qos_type')
            if not qos_type:
                raise SpecValidationError(
                    'Invalid NFS spec: to set cluster-level QoS, "qos_type" must be provided.')
            if qos_type not in valid_qos_types:
                raise SpecValidationError(
                    f'Invalid NFS spec: "{qos_type}" is not a valid qos_type. '
                    f'Valid types are: {"|".join(valid_qos_types)}.')

    def validate(self) -> None:
        super().validate()
        if self.placement is not None and self.placement.count_per_host is not None:
            raise SpecValidationError(
                "Placement 'count_per_host' is not supported for nfs service.")
        if self.virtual_ip and (self.ip_addrs or self.networks):
            raise SpecValidationError(
                'Invalid NFS spec: Cannot set virtual_ip and '
                f"{'ip_addrs' if self.ip_addrs else 'networks'} fields")
        self._validate_kmip()
        if self.cluster_qos_config:
            self._validate_cluster_qos(self.cluster_qos_config)
        if self.certificate_source == CertificateSource.INLINE.value:
            names = ['ssl_cert', 'ssl_key', 'ssl_ca_cert']
            vals = [getattr(self, n) for n in names]
            if any(vals) and not all(vals):
                raise SpecValidationError(f'Either none or all of {names} attributes must be set')
        self._check_port(self.port, 'port ')
        self._check_port(self.monitoring_port, 'monitoring port ')


class RGWSpec(_FieldSpec):
    """A (multisite) Ceph Object Gateway: realm, zonegroup, zone, frontend port and SSL."""

    _TYPES = ('rgw',)
    _BASE = _COMMON | _TLS
    _IGNORED = frozenset({'subcluster'})  # legacy octopus key, accepted and dropped
    MANAGED_CONFIG_OPTIONS = ServiceSpec.MANAGED_CONFIG_OPTIONS + [
        'rgw_zone', 'rgw_realm', 'rgw_zonegroup', 'rgw_frontends']
    DEFAULT_HAPROXY_CONCENTRATOR_VALUES: ClassVar[Dict[str, Union[int, str]]] = {
        'concentrator_frontend_port': 8080,
        'concentrator_monitor_port': 1967,
        'concentrator_monitor_user': 'admin',
    }
    #: multisite: the realm, zonegroup and zone the gateways serve (realm and zone
    #: together or neither)
    rgw_realm: Optional[str] = None
    rgw_zonegroup: Optional[str] = None
    rgw_zone: Optional[str] = None
    #: the frontend port (80, or 443 with ``ssl``, when unset)
    rgw_frontend_port: Optional[int] = None
    #: legacy combined PEM (certificate and key), one string or a list of lines
    rgw_frontend_ssl_certificate: Optional[Union[str, List[str]]] = None
    #: ``beast`` or ``civetweb``
    rgw_frontend_type: Optional[str] = None
    #: extra ``rgw_frontends`` arguments, e.g. ``ssl_port=8443``
    rgw_frontend_extra_args: Optional[List[str]] = None
    only_bind_port_on_networks: bool = False
    #: the token ``ceph rgw realm bootstrap`` prints, for a secondary zone
    rgw_realm_token: Optional[str] = None
    update_endpoints: Optional[bool] = False
    zone_endpoints: Optional[str] = None
    zonegroup_hostnames: Optional[List[str]] = None
    #: the data pool to create: ``type`` (ec by default, then ``k`` and ``m``) and options
    data_pool_attributes: Optional[Dict[str, Any]] = None
    rgw_user_counters_cache: Optional[bool] = False
    rgw_user_counters_cache_size: Optional[int] = None
    rgw_bucket_counters_cache: Optional[bool] = False
    rgw_bucket_counters_cache_size: Optional[int] = None
    generate_cert: bool = False
    disable_multisite_sync_traffic: Optional[bool] = None
    wildcard_enabled: Optional[bool] = False
    rgw_exit_timeout_secs: int = 120
    #: D3N data cache settings
    d3n_cache: Dict[str, Any] = {}
    #: ``haproxy`` puts one haproxy on each gateway host in front of its gateways
    concentrator: Optional[str] = None
    concentrator_frontend_port: Optional[int] = None
    concentrator_monitor_port: Optional[int] = None
    concentrator_monitor_user: Optional[str] = None
    concentrator_monitor_password: Optional[str] = None
    #: QAT offload, e.g. ``{compression: hw}`` (``sw`` or ``hw``)
    qat: Dict[str, str] = {}
    allow_port_reuse: bool = False

    def _derive_service_id(self, service_id: Optional[str], own: Dict[str, Any]
                           ) -> Optional[str]:
        realm, zone = own.get('rgw_realm'), own.get('rgw_zone')
        if not service_id and realm and zone:
            # octopus spec files named rgw services <realm>.<zone>
            return f'{realm}.{zone}'
        return service_id

    def _post_init(self) -> None:
        self.d3n_cache = self.d3n_cache or {}
        self.qat = self.qat or {}
        if self.concentrator == 'haproxy':
            for attr, value in self.DEFAULT_HAPROXY_CONCENTRATOR_VALUES.items():
                if not getattr(self, attr, None):
                    setattr(self, attr, value)

    def get_port_start(self) -> List[int]:
        return self.get_port()

    def get_port(self) -> List[int]:
        ports: List[int] = []
        if self.rgw_frontend_port:
            ports.append(self.rgw_frontend_port)
        ssl_port = None
        for arg in self.rgw_frontend_extra_args or []:
            if isinstance(arg, str) and arg.startswith('ssl_port='):
                try:
                    ssl_port = int(arg.split('=')[1])
                except ValueError:
                    raise SpecValidationError(f'Invalid rgw_frontend_extra_args entry: {arg}')
                break
        if self.ssl and ssl_port:
            ports.append(ssl_port)
        if not ports:
            ports.append(443 if self.ssl else 80)
        return ports

    def validate(self) -> None:
        if self.ssl and not self.ssl_cert and self.rgw_frontend_ssl_certificate:
            self._split_combined_certificate()
        super().validate()
        if self.rgw_realm and not self.rgw_zone:
            raise SpecValidationError('Cannot add RGW: Realm specified but no zone specified')
        if self.rgw_zone and not self.rgw_realm:
            raise SpecValidationError('Cannot add RGW: Zone specified but no realm specified')
        if self.rgw_frontend_type is not None and \
                self.rgw_frontend_type not in ['beast', 'civetweb']:
            raise SpecValidationError(
                'Invalid rgw_frontend_type value. Valid values are: beast, civetweb.\n'
                'Additional rgw type parameters can be passed using rgw_frontend_extra_args.')
        if self.rgw_frontend_port is not None:
            validate_port(self.rgw_frontend_port, 'rgw_frontend_port')
        if self.generate_cert and not self.ssl:
            raise SpecValidationError('"ssl" field must be set to true when "generate_cert" '
                                      'is set to true')
        if self.generate_cert and self.rgw_frontend_ssl_certificate:
            raise SpecValidationError('"generate_cert" field and "rgw_frontend_ssl_certificate" '
                                      'field are mutually exclusive')
        if self.data_pool_attributes:
            self._validate_data_pool(self.data_pool_attributes)
        self._validate_concentrator()
        if self.qat:
            compression = self.qat.get('compression')
            if compression and compression not in ('sw', 'hw'):
                raise SpecValidationError(
                    f"Invalid compression mode {compression}. Only 'sw' and 'hw' are allowed")

    def _split_combined_certificate(self) -> None:
        """The legacy combined PEM becomes the inline certificate and key."""
        combined = self.rgw_frontend_ssl_certificate or ''  # set: the caller checked
        if isinstance(combined, list):
            combined = '\n'.join(combined)
        self.certificate_source = CertificateSource.INLINE.value
        self.ssl_cert, self.ssl_key = parse_combined_pem_file(combined)
        self.rgw_frontend_ssl_certificate = None
        if not (self.ssl_cert and self.ssl_key):
            raise SpecValidationError('Failed to parse rgw_frontend_ssl_certificate field.')

    @staticmethod
    def _validate_data_pool(attributes: Dict[str, Any]) -> None:
        """An erasure-coded data pool (the default) needs ``k`` and ``m``, and no profile."""
        if attributes.get('type', 'ec') == 'ec':
            if any(a not in attributes for a in ['k', 'm']):
                raise SpecValidationError(
                    '"k" and "m" are required parameters for ec pool (defaults to ec pool)')
            if 'erasure_code_profile' in attributes:
                raise SpecValidationError(
                    'invalid option in data_pool_attribues "erasure_code_profile"'
                    'ec profile will be generated automatically based on provided '
                    'attributes')

    def _validate_concentrator(self) -> None:
        """``haproxy`` or none; its settings only with it."""
        valid_concentrators = ['haproxy']
        if self.concentrator is not None and self.concentrator not in valid_concentrators:
            raise SpecValidationError(f'Invalid concentrator {self.concentrator}. Valid '
                                      f'concentrators are {valid_concentrators}')
        if not self.concentrator:
            set_attrs = [a for a in ('concentrator_frontend_port', 'concentrator_monitor_port',
                                     'concentrator_monitor_user',
                                     'concentrator_monitor_password')
                         if getattr(self, a, None)]
            if set_attrs:
                raise SpecValidationError(f'Parameter(s) {set_attrs} cannot be set '
                                          'without setting "concentrator" parameter')


class NvmeofServiceSpec(_FieldSpec):
    _TYPES = ('nvmeof',)
    _BASE = _COMMON | _TLS
    name: Optional[str] = None
    #: the gateway group; the gateways of one group share their namespaces
    group: str = ''
    addr: Optional[str] = None
    addr_map: Optional[Dict[str, str]] = None
    #: the gateway's gRPC port
    port: int = 5500
    #: the RBD pool the namespaces live in
    pool: str = '.nvmeof'
    #: mutual TLS between gateway and clients (needs the keys and certificates below)
    enable_auth: bool = False
    state_update_notify: bool = True
    state_update_interval_sec: int = 5
    enable_spdk_discovery_controller: bool = False
    enable_prometheus_exporter: bool = True
    prometheus_port: int = 10008
    verify_nqns: bool = True
    server_key: Optional[str] = None
    server_cert: Optional[str] = None
    client_key: Optional[str] = None
    client_cert: Optional[str] = None
    root_ca_cert: Optional[str] = None
    spdk_path: str = '/usr/local/bin/nvmf_tgt'
    tgt_path: str = '/usr/local/bin/nvmf_tgt'
    spdk_timeout: float = 60.0
    spdk_log_level: str = ''
    #: SPDK memory in MB, or a count of huge pages (not both)
    spdk_mem_size: Optional[int] = None
    spdk_huge_pages: Optional[int] = None
    rpc_socket_dir: str = '/var/tmp/'
    rpc_socket_name: str = 'spdk.sock'
    conn_retries: int = 10
    transports: str = 'tcp'
    transport_tcp_options: Dict[str, int] = {'in_capsule_data_size': 8192,
                                             'max_io_qpairs_per_ctrlr': 7}
    tgt_cmd_extra_args: Optional[str] = None
    discovery_addr: Optional[str] = None
    discovery_port: int = 8009
    log_level: str = 'INFO'
    log_directory: str = '/var/log/ceph/'
    monitor_timeout: float = 1.0
    enable_monitor_client: bool = True
    #: how the gateway spreads RBD images over cluster connections: exactly one of the
    #: three (``cluster_connections: 32`` when none is given)
    bdevs_per_cluster: Optional[int] = None
    flat_bdevs_per_cluster: Optional[int] = None
    cluster_connections: Optional[int] = None

    def _post_init(self) -> None:
        self.pool = self.pool or '.nvmeof'
        self.port = self.port or 5500
        self.group = self.group or ''
        self.ssl = bool(self.enable_auth or self.ssl)
        self.prometheus_port = self.prometheus_port or 10008
        self.discovery_port = self.discovery_port or 8009
        self.ssl_cert = self.ssl_cert or self.server_cert
        self.ssl_key = self.ssl_key or self.server_key
        self.spdk_path = self.spdk_path or '/usr/local/bin/nvmf_tgt'
        self.tgt_path = self.tgt_path or '/usr/local/bin/nvmf_tgt'
        self.rpc_socket_dir = self.rpc_socket_dir or '/var/tmp/'
        self.rpc_socket_name = self.rpc_socket_name or 'spdk.sock'
        self.log_level = self.log_level or 'INFO'
        self.log_directory = self.log_directory or '/var/log/ceph/'
        if (self.bdevs_per_cluster is None and self.flat_bdevs_per_cluster is None
                and self.cluster_connections is None):
            self.cluster_connections = 32

    def get_port_start(self) -> List[int]:
        return [self.port, 4420, self.discovery_port, self.prometheus_port]

    def validate(self) -> None:
        super().validate()
        if not self.pool:
            raise SpecValidationError('Cannot add NVMEOF: No Pool specified')
        verify_boolean(self.enable_auth, 'Enable authentication')
        if (self.enable_auth or self.ssl) and \
                self.certificate_source == CertificateSource.INLINE.value:
            missing = [a for a in ('ssl_key', 'ssl_cert', 'client_key', 'client_cert',
                                   'root_ca_cert') if not getattr(self, a, None)]
            if missing:
                raise SpecValidationError('enable_auth is true but ' + ''.join(
                    f'{m}, ' for m in missing) + 'attribute(s) not set in the spec')
        if self.transports not in ['tcp']:
            raise SpecValidationError('Invalid transport. Valid values are tcp')
        verify_enum(self.log_level, 'log level', ['debug', 'info', 'warning', 'error',
                                                  'critical'])
        verify_enum(self.spdk_log_level, 'SPDK log level',
                    ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'NOTICE'])
        defined = [(n, getattr(self, n)) for n in ('bdevs_per_cluster',
                                                   'flat_bdevs_per_cluster',
                                                   'cluster_connections')
                   if getattr(self, n) is not None]
        if len(defined) != 1:
            raise SpecValidationError(
                "Exactly one of 'bdevs_per_cluster', 'flat_bdevs_per_cluster', or "
                "'cluster_connections' must be defined (not None); others must be None. "
                f'Found {len(defined)} defined parameters.')
        verify_positive_int(defined[0][1], defined[0][0])
        verify_non_negative_int(self.port, 'Port')
        verify_non_negative_int(self.discovery_port, 'Discovery port')
        verify_non_negative_int(self.prometheus_port, 'Prometheus port')
        verify_positive_int(self.spdk_mem_size, 'SPDK memory size')
        verify_positive_int(self.spdk_huge_pages, 'SPDK huge pages count')
        if self.spdk_mem_size and self.spdk_huge_pages:
            raise SpecValidationError(
                '"spdk_mem_size" and "spdk_huge_pages" are mutually exclusive')


class IscsiServiceSpec(_FieldSpec):
    _TYPES = ('iscsi',)
    _BASE = _COMMON | _TLS
    #: the RBD pool holding the iSCSI configuration
    pool: Optional[str] = None
    #: comma-separated addresses allowed to use the API
    trusted_ip_list: Optional[str] = None
    api_port: Optional[int] = 5000
    api_user: Optional[str] = 'admin'
    api_password: Optional[str] = 'admin'
    #: the API over TLS (old specs' way of enabling ``ssl``)
    api_secure: Optional[bool] = None

    def _post_init(self) -> None:
        if not self.api_secure and self.ssl_cert and self.ssl_key:
            self.api_secure = True
        # old specs enabled TLS through api_secure only
        self.ssl = self.ssl or self.api_secure

    def get_port_start(self) -> List[int]:
        return [self.api_port or 5000]

    def validate(self) -> None:
        super().validate()
        if not self.pool:
            raise SpecValidationError('Cannot add ISCSI: No Pool specified')
