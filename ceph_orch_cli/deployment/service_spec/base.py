"""``ServiceSpec``, the base of every spec: the fields every service has, ``from_json``
(old and new style), ``to_json`` (Ceph's key order), the TLS block and ``validate``.

The class a document builds is chosen from its service type (``ServiceSpec('rgw')`` is an
``RGWSpec``) through ``_SPEC_CLASSES``, which the package's ``__init__`` fills once every type
module is loaded: the types import this module, so it cannot import them.
"""
from __future__ import annotations

import copy
import enum
import functools
import re
from collections import OrderedDict
from contextlib import contextmanager
from ipaddress import ip_network
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Type, TypeVar, cast

from ceph_orch_cli.deployment.hostspec import SpecValidationError
from ceph_orch_cli.deployment.service_spec.arguments import (ArgumentList, ArgumentSpec,
                                                             CustomConfig, GeneralArgList)
from ceph_orch_cli.deployment.service_spec.codec import make_codec
from ceph_orch_cli.deployment.service_spec.placement import PlacementSpec
from ceph_orch_cli.deployment.service_spec.shapes import check_field_types, spec_block
from ceph_orch_cli.deployment.service_spec.validators import type_error_text

ServiceSpecT = TypeVar('ServiceSpecT', bound='ServiceSpec')

_service_spec_from_json_validate = True


@contextmanager
def service_spec_allow_invalid_from_json() -> Iterator[None]:
    """Let ``from_json`` build specs without validating them.

    ``orch ls --export`` may have to show stored specs that no longer validate (as in
    Ceph, e.g. OSD specs of OSDs that belong to no spec).
    """
    global _service_spec_from_json_validate
    _service_spec_from_json_validate = False
    try:
        yield
    finally:
        _service_spec_from_json_validate = True


class CertificateSource(enum.Enum):
    """Where a TLS certificate comes from: the spec, the cert store, or cephadm itself."""
    INLINE = 'inline'
    REFERENCE = 'reference'
    CEPHADM_SIGNED = 'cephadm-signed'


_CERTIFICATE_SOURCES = frozenset(e.value for e in CertificateSource)
_INLINE = CertificateSource.INLINE.value
_CEPHADM_SIGNED = CertificateSource.CEPHADM_SIGNED.value

#: Services with a TLS block (ssl, certificate_source, ssl_cert, ...), as in Ceph.
REQUIRES_CERTIFICATES: Dict[str, Dict[str, Any]] = {
    'rgw': {'user_cert_allowed': True, 'scope': 'service', 'requires_ca_cert': False},
    'ingress': {'user_cert_allowed': True, 'scope': 'service', 'requires_ca_cert': False},
    'iscsi': {'user_cert_allowed': True, 'scope': 'service', 'requires_ca_cert': False},
    'grafana': {'user_cert_allowed': True, 'scope': 'host', 'requires_ca_cert': False},
    'oauth2-proxy': {'user_cert_allowed': True, 'scope': 'host', 'requires_ca_cert': False},
    'mgmt-gateway': {'user_cert_allowed': True, 'scope': 'global', 'requires_ca_cert': False},
    'nvmeof': {'user_cert_allowed': True, 'scope': 'service', 'requires_ca_cert': False},
    'nfs': {'user_cert_allowed': True, 'scope': 'service', 'requires_ca_cert': True},
    'smb': {'user_cert_allowed': True, 'scope': 'service', 'requires_ca_cert': True},
    'agent': {'user_cert_allowed': False, 'scope': 'host', 'requires_ca_cert': False},
    'prometheus': {'user_cert_allowed': False, 'scope': 'host', 'requires_ca_cert': False},
    'alertmanager': {'user_cert_allowed': False, 'scope': 'host', 'requires_ca_cert': False},
    'ceph-exporter': {'user_cert_allowed': False, 'scope': 'host', 'requires_ca_cert': False},
    'node-exporter': {'user_cert_allowed': False, 'scope': 'host', 'requires_ca_cert': False},
    'node-proxy': {'user_cert_allowed': False, 'scope': 'host', 'requires_ca_cert': False},
}


#: Service types whose daemons cephadm lets share a host (``allow_colo()`` is True for
#: mds, rgw and rbd-mirror; mgr only when mgr_standby_modules is off, which is not the default).
_ALLOW_COLO = frozenset({'mds', 'rgw', 'rbd-mirror'})


def allow_colo(service_type: str) -> bool:
    """Whether several daemons of this service may run on one host (cephadm's
    ``CephadmService.allow_colo``: True for mds, rgw and rbd-mirror)."""
    return service_type in _ALLOW_COLO


class _ArgumentListField:
    """The check on assigning ``extra_container_args``/``extra_entrypoint_args``: every item
    an ``ArgumentSpec`` (Ceph does it in ``ServiceSpec.__setattr__``, which every other
    attribute would pay for). Only ``__set__``: a data descriptor without ``__get__`` leaves
    reading to the instance dict, where the value is kept (``vars()``, ``__eq__`` and
    ``to_json`` see it as before)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __set__(self, obj: Any, value: Any) -> None:
        if value is not None:
            for v in value:
                if not isinstance(v, ArgumentSpec):
                    raise TypeError(f'{self.name} is not all ArgumentSpec values: '
                                    f'{v!r}(is {type(v)} in {value!r}')
        obj.__dict__[self.name] = value


class ServiceSpec:
    """What the operator asks for: a service (a set of daemons) and where it runs.

    ``ServiceSpec('rgw', ...)`` builds an ``RGWSpec``: the class is chosen from the
    service type, as in Ceph.
    """

    KNOWN_SERVICE_TYPES = [
        'agent', 'alertmanager', 'ceph-exporter', 'cephfs-mirror', 'container', 'crash',
        'grafana', 'ingress', 'mgmt-gateway', 'oauth2-proxy', 'iscsi', 'loki', 'mds', 'mgr',
        'mon', 'nfs', 'node-exporter', 'node-proxy', 'nvmeof', 'osd', 'prometheus',
        'promtail', 'alloy', 'rbd-mirror', 'rgw', 'smb', 'snmp-gateway',
        'elasticsearch', 'jaeger-agent', 'jaeger-collector', 'jaeger-query', 'jaeger-tracing',
    ]
    REQUIRES_SERVICE_ID = ['container', 'ingress', 'iscsi', 'mds', 'nfs', 'nvmeof', 'rgw', 'smb']
    REQUIRES_CERTIFICATES = REQUIRES_CERTIFICATES
    MANAGED_CONFIG_OPTIONS = ['mds_join_fs']

    @classmethod
    def _cls(cls: Type[ServiceSpecT], service_type: Optional[str]) -> Type[ServiceSpecT]:
        if service_type == 'osd':
            # imported here: drive_group imports this module
            from ceph_orch_cli.deployment.drive_group import DriveGroupSpec
            return cast(Type[ServiceSpecT], DriveGroupSpec)
        ret = _SPEC_CLASSES.get(service_type, cls) if isinstance(service_type, str) else cls
        if ret is ServiceSpec and not service_type:
            raise SpecValidationError('Spec needs a "service_type" key.')
        return ret  # type: ignore[return-value]  # (cast() would subscript Type[...] per call)

    def __new__(cls: Type[ServiceSpecT], *args: Any, **kwargs: Any) -> ServiceSpecT:
        if cls is not ServiceSpec:
            return object.__new__(cls)
        service_type = kwargs.get('service_type', args[0] if args else None)
        sub_cls: Any = cls._cls(service_type)
        return object.__new__(sub_cls)

    def __init__(self,
                 service_type: str,
                 service_id: Optional[str] = None,
                 placement: Optional[PlacementSpec] = None,
                 count: Optional[int] = None,
                 config: Optional[Dict[str, str]] = None,
                 ssl: Optional[bool] = False,
                 certificate_source: Optional[str] = None,
                 custom_sans: Optional[List[str]] = None,
                 ssl_cert: Optional[str] = None,
                 ssl_key: Optional[str] = None,
                 unmanaged: bool = False,
                 preview_only: bool = False,
                 networks: Optional[List[str]] = None,
                 targets: Optional[List[str]] = None,
                 extra_container_args: Optional[GeneralArgList] = None,
                 extra_entrypoint_args: Optional[GeneralArgList] = None,
                 custom_configs: Optional[List[CustomConfig]] = None,
                 ssl_ca_cert: Optional[str] = None,
                 termination_grace_period_seconds: Optional[int] = None,
                 ip_addrs: Optional[Dict[str, str]] = None,
                 ) -> None:
        #: See the placement section of the docs.
        self.placement: PlacementSpec = PlacementSpec() if placement is None else placement
        if not isinstance(self.placement, PlacementSpec):
            raise SpecValidationError(f'placement must be a PlacementSpec. Got {placement!r}')
        if service_type not in _KNOWN_TYPES:
            # Ceph asserts here; an unknown type is a spec error for the user.
            raise SpecValidationError(f'Unknown service type: {service_type}')
        self.service_type = service_type
        #: Required for iscsi, nvmeof, mds, nfs, osd, rgw, container, ingress, smb;
        #: dropped for every other type.
        self.service_id = None
        if self.service_type in self.REQUIRES_CERTIFICATES:
            self.certificate_source = certificate_source
            self.ssl = ssl
            self.ssl_cert = ssl_cert
            self.ssl_key = ssl_key
            self.ssl_ca_cert = ssl_ca_cert
            self.custom_sans = custom_sans
        if self.service_type in _ID_TYPES:
            self.service_id = service_id
        #: deploy or remove nothing for this service while true
        self.unmanaged = unmanaged
        self.preview_only = preview_only
        #: networks the daemons bind to
        self.networks: List[str] = networks or []
        self.targets: List[str] = targets or []
        self.config: Optional[Dict[str, str]] = None
        if config:
            if not isinstance(config, dict):
                raise SpecValidationError(f'config must be a mapping. Got {config!r}')
            self.config = {str(k).replace(' ', '_'): v for k, v in config.items()}
        self.extra_container_args = None
        self.extra_entrypoint_args = None
        if extra_container_args:
            self.extra_container_args = ArgumentSpec.from_general_args(extra_container_args)
        if extra_entrypoint_args:
            self.extra_entrypoint_args = ArgumentSpec.from_general_args(extra_entrypoint_args)
        self.custom_configs: Optional[List[CustomConfig]] = custom_configs
        self.termination_grace_period_seconds = termination_grace_period_seconds
        if termination_grace_period_seconds is not None:
            if (not isinstance(termination_grace_period_seconds, int)
                    or termination_grace_period_seconds < 0):
                raise SpecValidationError('termination_grace_period_seconds must be >= 0')
        #: {hostname: ip} the daemons bind to, per host
        self.ip_addrs = ip_addrs

    def _init_base(self, service_type: str, service_id: Optional[str],
                   placement: Optional[PlacementSpec], base: Dict[str, Any],
                   defaults: Optional[Dict[str, Any]] = None) -> None:
        """``ServiceSpec.__init__(self, service_type, service_id=service_id,
        placement=placement, **base)``, then the attributes ``defaults`` (a type's own
        fields, each mutable one a fresh copy).

        Through the codec of this kind of spec (``codec.SpecCodec``) when it stores every
        argument as ``__init__`` would; ``__init__`` itself otherwise.
        """
        codec = _TEMPLATES.get((self.__class__, service_type, None))
        if codec is None:
            codec = _codec((self.__class__, service_type, None))
        if codec and (placement is None or placement.__class__ is PlacementSpec) \
                and codec.takes(base):
            codec.fill(self, service_id, placement, base)
            return
        ServiceSpec.__init__(self, service_type, service_id=service_id, placement=placement,
                             **base)
        if defaults:
            fields = self.__dict__
            fields.update(defaults)
            for name, default in defaults.items():
                if isinstance(default, (list, dict, set)):
                    fields[name] = copy.deepcopy(default) if default else type(default)()

    if TYPE_CHECKING:  # the values, as read from the instance
        extra_container_args: Optional[ArgumentList]
        extra_entrypoint_args: Optional[ArgumentList]
    else:
        extra_container_args = _ArgumentListField('extra_container_args')
        extra_entrypoint_args = _ArgumentListField('extra_entrypoint_args')

    @classmethod
    def from_json(cls: Type[ServiceSpecT], json_spec: Dict) -> ServiceSpecT:
        """Build a spec from a JSON/YAML document, in the old style (special fields at
        the top level) or the new style (special fields under ``spec:``), and validate it
        unless ``service_spec_allow_invalid_from_json`` is active."""
        # handle_type_error, inline (one call less per spec)
        try:
            if json_spec.__class__ is dict:
                service_type = json_spec.get('service_type')
                networks = json_spec.get('networks')
                if service_type.__class__ is str and \
                        (networks is None or networks.__class__ is list):
                    codec = _TEMPLATES.get((cls, service_type))
                    if codec is None:
                        codec = _codec((cls, service_type))
                    spec = codec.build(json_spec) if codec else None
                    if spec is not None:
                        if _service_spec_from_json_validate:
                            spec.validate()
                        return spec
            return cls._from_json_long(json_spec)
        except (TypeError, AttributeError) as e:
            raise SpecValidationError(type_error_text(cls, e)) from None

    @classmethod
    def _from_json_long(cls: Type[ServiceSpecT], json_spec: Dict) -> ServiceSpecT:
        """``from_json`` for every document: normalise it, pick the class, build."""
        if not isinstance(json_spec, dict):
            raise SpecValidationError(
                f'Service Spec is not an (JSON or YAML) object. got "{str(json_spec)}"')
        c = dict(json_spec)
        networks = c.get('networks')
        if (networks is not None and networks.__class__ is not list) or \
                cls.normalize_json is not _NORMALIZE_JSON:
            c = cls.normalize_json(c)
        # `service_name` is accepted so that ServiceDescription.to_json() round-trips
        if 'service_name' in c:
            if c['service_name']:
                service_type_id = str(c['service_name']).split('.', 1)
                if not c.get('service_type', ''):
                    c['service_type'] = service_type_id[0]
                if not c.get('service_id', '') and len(service_type_id) > 1:
                    c['service_id'] = service_type_id[1]
            del c['service_name']
        service_type = c.get('service_type', '')
        _cls = cls._cls(service_type)
        if 'status' in c:
            del c['status']  # compatibility with ServiceDescription.to_json()
        return _cls._from_json_impl(c)

    @staticmethod
    def normalize_json(json_spec: dict) -> dict:
        networks = json_spec.get('networks')
        if networks is None or isinstance(networks, list):
            return json_spec
        if not isinstance(networks, str):
            raise SpecValidationError(f'Networks ({networks}) must be a string or list of strings')
        json_spec['networks'] = [networks]
        return json_spec

    @classmethod
    def _from_json_impl(cls: Type[ServiceSpecT], json_spec: dict) -> ServiceSpecT:
        args: Dict[str, Any] = {}
        for k, v in json_spec.items():
            if k == 'placement':
                v = PlacementSpec.from_json(v)
            elif k == 'custom_configs':
                v = [CustomConfig.from_json(c) for c in v]
            elif k == 'spec':
                args.update(v)
                continue
            args[k] = v
        spec = cls(**args)
        if _service_spec_from_json_validate:
            spec.validate()
        return spec

    def service_name(self) -> str:
        n = self.service_type
        if self.service_id:
            n += '.' + self.service_id
        return n

    def get_port_start(self) -> List[int]:
        """Ports the scheduler allocates, counting up from these, per daemon."""
        return []

    def get_virtual_ip(self) -> Optional[str]:
        return None

    def is_using_certificates_source(self, source: CertificateSource) -> bool:
        return (getattr(self, 'ssl', False) is True
                and getattr(self, 'certificate_source', None) == source.value)

    def to_json(self) -> 'OrderedDict[str, Any]':
        """The new-style document, keys in Ceph's order; special fields under ``spec``."""
        ret: OrderedDict[str, Any] = OrderedDict()
        ret['service_type'] = self.service_type
        if self.service_id:
            ret['service_id'] = self.service_id
        stype = self.service_type
        if self.__class__.service_name is _SERVICE_NAME and stype.__class__ is str:
            # service_name(), inline (no type overrides it)
            ret['service_name'] = stype + '.' + self.service_id if self.service_id else stype
        else:
            ret['service_name'] = self.service_name()
        placement = self.placement.to_json()
        if placement:
            ret['placement'] = placement
        if self.unmanaged:
            ret['unmanaged'] = self.unmanaged
        if self.networks:
            ret['networks'] = self.networks
        if self.extra_container_args:
            ret['extra_container_args'] = ArgumentSpec.map_json(self.extra_container_args)
        if self.extra_entrypoint_args:
            ret['extra_entrypoint_args'] = ArgumentSpec.map_json(self.extra_entrypoint_args)
        if self.custom_configs:
            ret['custom_configs'] = [c.to_json() for c in self.custom_configs]

        c = spec_block(self)
        if getattr(self, 'termination_grace_period_seconds', None) is not None:
            c['termination_grace_period_seconds'] = self.termination_grace_period_seconds
        if self.service_type in self.REQUIRES_CERTIFICATES:
            tls: Dict[str, Any] = {}
            if self.ssl:
                tls['ssl'] = self.ssl
            if self.certificate_source:
                tls['certificate_source'] = self.certificate_source
            inline = self.certificate_source == _INLINE
            if self.ssl_cert and inline:
                tls['ssl_cert'] = self.ssl_cert
            if self.ssl_key and inline:
                tls['ssl_key'] = self.ssl_key
            if self.custom_sans:
                tls['custom_sans'] = self.custom_sans
            c.update(tls)
        if c:
            ret['spec'] = c
        return ret

    def _normalize_and_validate_tls(self) -> None:
        if not self.ssl:
            return
        valid_sources = _CERTIFICATE_SOURCES
        if self.certificate_source and self.certificate_source not in valid_sources:
            raise SpecValidationError(
                f"Invalid certificate_source: '{self.certificate_source}'. "
                f"Valid values are: {', '.join(sorted(valid_sources))}")
        has_cert = bool(getattr(self, 'ssl_cert', None))
        has_key = bool(getattr(self, 'ssl_key', None))
        has_ca_cert = bool(getattr(self, 'ssl_ca_cert', None))
        if (has_cert or has_key) and not (has_cert and has_key):
            raise SpecValidationError(
                'Inline TLS credentials detected but incomplete: '
                'both ssl_cert and ssl_key must be provided.')
        if not self.certificate_source:
            # older specs meant "inline" when they embedded a cert and key
            if has_cert and has_key:
                self.certificate_source = _INLINE
            else:
                self.certificate_source = _CEPHADM_SIGNED
        if self.certificate_source == _INLINE:
            if not (has_cert and has_key):
                raise SpecValidationError(
                    f"When using '{_INLINE}' certificate_source, "
                    'both an embedded certificate (ssl_cert) and private key'
                    '(ssl_key) must be provided.')
            if (self.REQUIRES_CERTIFICATES[self.service_type].get('requires_ca_cert', False)
                    and not has_ca_cert):
                raise SpecValidationError(
                    f'CA certificate required for {self.service_type} service')
        if (self.certificate_source == _CEPHADM_SIGNED
                and (has_cert or has_key)):
            raise SpecValidationError(
                f"When using certificate_source '{self.certificate_source}', custom "
                'ssl_cert or ssl_key must not be provided.')

    def validate(self) -> None:
        if not self.service_type:
            raise SpecValidationError('Cannot add Service: type required')
        if self.service_type in self.REQUIRES_CERTIFICATES:
            self._normalize_and_validate_tls()
        if self.service_type != 'osd':
            needs_id = self.service_type in _REQUIRES_ID
            if needs_id and not self.service_id:
                raise SpecValidationError('Cannot add Service: id required')
            if not needs_id and self.service_id:
                raise SpecValidationError(
                    f"Service of type '{self.service_type}' should not contain a service id")
        if self.service_id:
            if not _SERVICE_ID_RE.match(str(self.service_id)):
                raise SpecValidationError('Service id contains invalid characters, '
                                          'only [a-zA-Z0-9_.-] allowed')
        if self.placement is not None:
            self.placement.validate()
        check_field_types(self)  # _validate_field_types, one call less
        if self.config:
            for k in self.config:
                if k in self.MANAGED_CONFIG_OPTIONS:
                    raise SpecValidationError(
                        f'Cannot set config option {k} in spec: it is managed by cephadm')
        if not isinstance(self.networks, list):
            raise SpecValidationError(
                f'Networks ({self.networks}) must be a string or list of strings')
        for network in self.networks:
            if type(network) is str:
                problem = _network_problem(network)
                if problem is not None:
                    raise SpecValidationError(f'Cannot parse network {network}: {problem}')
                continue
            try:
                ip_network(network)
            except (ValueError, TypeError) as e:
                raise SpecValidationError(f'Cannot parse network {network}: {e}')

    def _validate_field_types(self) -> None:
        """Every ``port``/``*_port`` field is a number, every service reference a string.

        Each service checks its own ports' ranges (with Ceph's messages); this catches the
        types no service checks (``port: [0]``), which would otherwise pass validation, be
        stored, and break the scheduler that collects the ports.
        """
        # names of other services and addresses are looked up, split and compared
        check_field_types(self)

    def __repr__(self) -> str:
        from ceph_orch_cli.deployment.loader import dump_specs
        y = dump_specs([self])
        return f"{self.__class__.__name__}.from_json(yaml.safe_load('''{y}'''))"

    def __eq__(self, other: Any) -> bool:
        return self.__class__ == other.__class__ and self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]

    def one_line_str(self) -> str:
        return '<{} for service_name={}>'.format(self.__class__.__name__, self.service_name())


_SERVICE_ID_RE = re.compile(r'^[a-zA-Z0-9_.-]+$')

# set lookups for the checks every spec runs (the public lists stay lists, as in Ceph)
_KNOWN_TYPES = frozenset(ServiceSpec.KNOWN_SERVICE_TYPES)
_REQUIRES_ID = frozenset(ServiceSpec.REQUIRES_SERVICE_ID)
_ID_TYPES = _REQUIRES_ID | {'osd'}

@functools.lru_cache(maxsize=4096)
def _network_problem(network: str) -> Optional[str]:
    """Why ``ip_network`` rejects a network, or None (pure: cached; a cluster has few)."""
    try:
        ip_network(network)
    except (ValueError, TypeError) as e:
        return str(e)
    return None


_NORMALIZE_JSON = ServiceSpec.normalize_json
_SERVICE_NAME = ServiceSpec.service_name
_FROM_JSON_IMPL = ServiceSpec._from_json_impl.__func__  # type: ignore[attr-defined]

#: The codecs (``codec.SpecCodec``, False for a kind without one): ``(class, type, None)``
#: -> the codec of ``class(service_type=type)``, ``(class, type)`` -> the one of the specs
#: ``class.from_json`` builds for that type (``_cls`` may choose a subclass).
_TEMPLATES: Dict[tuple, Any] = {}


def _codec(key: tuple) -> Any:
    """Make and keep the codec of ``key`` (see ``_TEMPLATES``); None, the long way, when
    there is no room to keep it."""
    if len(_TEMPLATES) >= 512:
        return None
    cls, service_type = key[0], key[1]
    if len(key) == 3:
        found = make_codec(cls, service_type)
    elif cls.normalize_json is not _NORMALIZE_JSON:
        found = False
    else:
        try:
            target = cls._cls(service_type)
        except SpecValidationError:
            found = False
        else:
            impl = getattr(target._from_json_impl, '__func__', None)
            found = impl is _FROM_JSON_IMPL and _TEMPLATES.get((target, service_type, None))
            if found is None:
                found = _codec((target, service_type, None))
                if found is None:
                    return None
    _TEMPLATES[key] = found
    return found



_SPEC_CLASSES: Dict[str, Type[ServiceSpec]] = {}
