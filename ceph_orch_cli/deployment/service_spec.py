"""Service specs and placement, mirroring Ceph's ``ceph.deployment.service_spec``.

Behaviour, field names, defaults, JSON key order and error messages follow Ceph so that
spec files written for ``ceph orch apply`` work unchanged, and ``orch ls --export``
prints what Ceph prints.  Plain classes with ``from_json``/``to_json``/``validate``;
no I/O (yaml is imported lazily, only by ``__repr__``).
"""
from __future__ import annotations

import copy
import enum
import fnmatch
import os
import re
from collections import OrderedDict
from contextlib import contextmanager
from functools import wraps
from ipaddress import ip_address, ip_interface, ip_network
from typing import (Any, Callable, Dict, FrozenSet, Iterable, Iterator, List, NamedTuple,
                    Optional, Tuple, Type, TypeVar, Union, cast)

from ceph_orch_cli.deployment.hostspec import HostSpec, SpecValidationError, assert_valid_host

ServiceSpecT = TypeVar('ServiceSpecT', bound='ServiceSpec')
FuncT = TypeVar('FuncT', bound=Callable)


def handle_type_error(method: FuncT) -> FuncT:
    """Turn a wrong-shaped document (unknown key, list where a dict belongs) into a
    ``SpecValidationError`` naming the class, as Ceph does."""
    @wraps(method)
    def inner(cls: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(cls, *args, **kwargs)
        except (TypeError, AttributeError) as e:
            raise SpecValidationError('{}: {}'.format(cls.__name__, e))
    return cast(FuncT, inner)


def unwrap_ipv6(address: str) -> str:
    if address.startswith('[') and address.endswith(']'):
        return address[1:-1]
    return address


def _is_hex(s: str) -> bool:
    try:
        int(s, 16)
    except ValueError:
        return False
    return True


def valid_addr(addr: str) -> Tuple[bool, str]:
    """Classify ``addr`` as ``IPv4[:Port]``, ``IPv6[:Port]`` or ``Name[:Port]``.

    Unlike Ceph, a name is not resolved through DNS: spec parsing stays free of I/O.
    """
    from urllib.parse import urlparse

    dots = addr.count('.')
    colons = addr.count(':')
    if not addr:
        return False, 'Address is empty'
    if addr.startswith('[') and dots:
        return False, 'IPv4 address wrapped in brackets is invalid'
    try:
        res = urlparse(f'http://{addr}')
    except ValueError as e:
        if str(e) == 'Invalid IPv6 URL':
            return False, 'Address has incorrect/incomplete use of enclosing brackets'
        return False, f'Unknown urlparse error {e} for http://{addr}'
    host = res.netloc
    port = None
    try:
        port = res.port
        if port:
            host = host[:-len(f':{port}')]
    except ValueError:
        if colons == 1:
            return False, 'Port must be numeric'
        elif ']:' in host:
            return False, 'Port must be numeric'
    if not host:
        return False, 'Invalid IP v4 or v6 address format'
    if dots and host[0].isdigit() and dots != 3:
        return False, 'Invalid partial IPv4 address'
    if host[0].isalpha() and '.' in host:
        return True, 'Name:Port' if port else 'Name'
    try:
        ip = ip_address(unwrap_ipv6(host))
    except ValueError:
        if host[0].isalpha() and colons <= 1:
            return True, 'Name:Port' if port else 'Name'
        return False, 'Invalid IP v4 or v6 address format'
    return True, f'IPv{ip.version}:Port' if port else f'IPv{ip.version}'


def validate_port(port: Optional[int], field_name: str = 'port') -> None:
    if port is not None and not (isinstance(port, int) and 1 <= port <= 65535):
        raise SpecValidationError(f'Invalid {field_name}: {port}. Must be between 1 and 65535.')


def validate_unique_ports(ports: List[int]) -> None:
    if len(ports) != len(set(ports)):
        raise SpecValidationError('Invalid port: Duplicate ports are not allowed')


def verify_non_empty_string(field: Any, field_name: str) -> None:
    if not isinstance(field, str) or not field.strip():
        raise SpecValidationError(f'Invalid {field_name}: Must be a non-empty string.')


def verify_boolean(field: Any, field_name: str) -> None:
    if field is not None and not isinstance(field, bool):
        raise SpecValidationError(f'{field_name} must be a boolean')


def verify_non_negative_int(field: Any, field_name: str) -> None:
    if field is None:
        return
    if not isinstance(field, int) or isinstance(field, bool):
        raise SpecValidationError(f'{field_name} must be an integer')
    if field < 0:
        raise SpecValidationError(f"{field_name} can't be negative")


def verify_positive_int(field: Any, field_name: str) -> None:
    verify_non_negative_int(field, field_name)
    if field is not None and field <= 0:
        raise SpecValidationError(f'{field_name} must be greater than zero')


def verify_enum(field: Any, field_name: str, allowed: List[str]) -> None:
    if field:
        if not isinstance(field, str):
            raise SpecValidationError(f'{field_name} must be a string')
        if field.lower() not in [a.lower() for a in allowed]:
            raise SpecValidationError(
                f'Invalid {field_name}. Valid values are: {", ".join(allowed)}')


def parse_combined_pem_file(pem_data: str) -> Tuple[Optional[str], Optional[str]]:
    """Split a PEM bundle (certificate + private key) into its two parts."""
    cert = key = None
    cs, ce = '-----BEGIN CERTIFICATE-----', '-----END CERTIFICATE-----'
    ks, ke = '-----BEGIN PRIVATE KEY-----', '-----END PRIVATE KEY-----'
    if cs in pem_data and ce in pem_data:
        cert = pem_data[pem_data.index(cs):pem_data.index(ce) + len(ce)]
    if ks in pem_data and ke in pem_data:
        key = pem_data[pem_data.index(ks):pem_data.index(ke) + len(ke)]
    return cert, key


# --------------------------------------------------------------------------- placement

_HOST_RE = re.compile(r'^(.*?)(:|=|$)')
_IP_RE = re.compile(r':(.*?)(=|$)')
_NAME_RE = re.compile(r'=(.*?)$')


class HostPlacementSpec(NamedTuple):
    """One explicitly named host, optionally with a network and a daemon name."""
    hostname: str
    network: str
    name: str

    def __str__(self) -> str:
        res = self.hostname
        if self.network:
            res += ':' + self.network
        if self.name:
            res += '=' + self.name
        return res

    @classmethod
    @handle_type_error
    def from_json(cls, data: Union[dict, str]) -> 'HostPlacementSpec':
        if isinstance(data, str):
            return cls.parse(data)
        return cls(**data)

    def to_json(self) -> str:
        return str(self)

    @classmethod
    def parse(cls, host: str, require_network: bool = True) -> 'HostPlacementSpec':
        """Split ``host[:network][=name]``; the network may be an IP, a CIDR or a Ceph
        address vector such as ``[v2:1.2.3.4:3300,v1:1.2.3.4:6789]``.

        With ``require_network`` the network part is checked (``ValueError`` if it is
        not an address or network, as in Ceph) and the hostname validated.
        """
        hostname = network = name = ''
        m = _HOST_RE.search(host)
        if m:
            hostname = m.group(1)
        m = _NAME_RE.search(host)
        if m:
            name = m.group(1)
        m = _IP_RE.search(host)
        if m:
            network = m.group(1)
        spec = cls(hostname, network, name)
        if not require_network:
            return spec
        networks = network.split(',') if ',' in network else ([network] if network else [])
        for net in networks:
            if net.startswith('v') or net.startswith('[v'):
                # versioned address: strip the 'v2:' prefix and the ':port' suffix
                net = net.split(':', 1)[1]
                net = net.rsplit(':', 1)[0]
            if '/' in net:
                ip_network(net)
            else:
                ip_address(unwrap_ipv6(net))
        spec.validate()
        return spec

    def validate(self) -> None:
        assert_valid_host(self.hostname)


HostPatternType = Union[str, None, Dict[str, Union[str, bool, None]], 'HostPattern']


class PatternType(enum.Enum):
    fnmatch = 'fnmatch'
    regex = 'regex'


class HostPattern:
    """A host name pattern: fnmatch (the default) or a regex (``regex:`` prefix)."""

    def __init__(self, pattern: Optional[str] = None,
                 pattern_type: PatternType = PatternType.fnmatch) -> None:
        self.pattern: Optional[str] = pattern
        self.pattern_type: PatternType = pattern_type
        # Compiled once per pattern, so filtering 10k hosts costs one match per host.
        self.compiled_regex: Optional[re.Pattern] = None
        if self.pattern:
            if self.pattern_type == PatternType.regex:
                try:
                    self.compiled_regex = re.compile(self.pattern)
                except re.error as e:
                    raise SpecValidationError(f'Invalid regex host pattern {self.pattern!r}: {e}')
            else:
                self.compiled_regex = re.compile(fnmatch.translate(self.pattern))

    def filter_hosts(self, hosts: Iterable[str]) -> List[str]:
        if not self.pattern or self.compiled_regex is None:
            return []
        if self.pattern_type == PatternType.regex:
            match = self.compiled_regex.match
        elif self.pattern_type == PatternType.fnmatch:
            match = self.compiled_regex.match
        else:
            raise SpecValidationError(f'Got unexpected pattern_type: {self.pattern_type}')
        return [h for h in hosts if match(h)]

    @classmethod
    def to_host_pattern(cls, arg: HostPatternType) -> 'HostPattern':
        if arg is None:
            return cls()
        if isinstance(arg, str):
            return cls(arg)
        if isinstance(arg, cls):
            return arg
        if isinstance(arg, dict):
            if 'pattern' not in arg:
                raise SpecValidationError(f'Got dict for host pattern with no pattern field: {arg}')
            pattern = arg['pattern']
            if not pattern:
                raise SpecValidationError(f'Got dict for host patternwith empty pattern: {arg}')
            if not isinstance(pattern, str):
                raise SpecValidationError(f'host_pattern must be of type string: {arg}')
            if 'pattern_type' in arg:
                pattern_type = arg['pattern_type']
                if not pattern_type or pattern_type == 'fnmatch':
                    return cls(pattern, pattern_type=PatternType.fnmatch)
                if pattern_type == 'regex':
                    return cls(pattern, pattern_type=PatternType.regex)
                raise SpecValidationError(
                    f'Got dict for host pattern with unknown pattern type: {arg}')
            return cls(pattern)
        raise SpecValidationError(f'Cannot convert {type(arg)} object to HostPattern')

    def __eq__(self, other: Any) -> bool:
        try:
            other_hp = self.to_host_pattern(other)
        except SpecValidationError:
            return False
        return self.pattern == other_hp.pattern and self.pattern_type == other_hp.pattern_type

    __hash__ = None  # type: ignore[assignment]

    def pretty_str(self) -> str:
        res = self.pattern if self.pattern else ''
        if self.pattern_type == PatternType.regex:
            res = 'regex:' + res
        return res

    @classmethod
    def from_pretty_str(cls, val: str) -> 'HostPattern':
        if 'regex:' in val:
            return cls(val[6:], pattern_type=PatternType.regex)
        return cls(val)

    def __repr__(self) -> str:
        return f"HostPattern(pattern='{self.pattern}', pattern_type={str(self.pattern_type)})"

    def to_json(self) -> Union[str, Dict[str, Any], None]:
        if self.pattern_type and self.pattern_type != PatternType.fnmatch:
            return {'pattern': self.pattern, 'pattern_type': self.pattern_type.name}
        return self.pattern

    @classmethod
    def from_json(cls, val: Any) -> 'HostPattern':
        return cls.to_host_pattern(val)

    def __bool__(self) -> bool:
        return bool(self.pattern)


class PlacementSpec:
    """Where a service's daemons go: a count, a label, named hosts, or a host pattern."""

    def __init__(self,
                 label: Optional[str] = None,
                 hosts: Union[List[str], List[HostPlacementSpec], None] = None,
                 count: Optional[int] = None,
                 count_per_host: Optional[int] = None,
                 host_pattern: HostPatternType = None,
                 ) -> None:
        self.label = label
        self.hosts: List[HostPlacementSpec] = []
        if hosts:
            self.set_hosts(hosts)
        self.count = count
        self.count_per_host = count_per_host
        #: fnmatch patterns to select hosts. Can also be a single host.
        self.host_pattern: HostPattern = HostPattern.to_host_pattern(host_pattern)
        self.validate()

    def is_empty(self) -> bool:
        return (self.label is None and not self.hosts and not self.host_pattern
                and self.count is None and self.count_per_host is None)

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, PlacementSpec):
            return (self.label == other.label
                    and self.hosts == other.hosts
                    and self.count == other.count
                    and self.host_pattern == other.host_pattern
                    and self.count_per_host == other.count_per_host)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def set_hosts(self, hosts: Union[List[str], List[HostPlacementSpec]]) -> None:
        if all(isinstance(h, HostPlacementSpec) for h in hosts):
            self.hosts = list(hosts)  # type: ignore[arg-type]
        else:
            self.hosts = [HostPlacementSpec.parse(x, require_network=False)  # type: ignore
                          for x in hosts if x]

    def filter_matching_hosts(self, _get_hosts_func: Callable) -> List[str]:
        """Deprecated in Ceph; kept for callers ported from it."""
        return self.filter_matching_hostspecs(_get_hosts_func(as_hostspec=True))

    def filter_matching_hostspecs(self, hostspecs: Iterable[HostSpec]) -> List[str]:
        """Names of the hosts this placement selects, before counting."""
        if self.hosts:
            known = {hs.hostname for hs in hostspecs}
            return [h.hostname for h in self.hosts if h.hostname in known]
        if self.label:
            label = self.label
            return [hs.hostname for hs in hostspecs if label in hs.labels]
        all_hosts = [hs.hostname for hs in hostspecs]
        if self.host_pattern:
            return self.host_pattern.filter_hosts(all_hosts)
        return all_hosts

    def get_target_count(self, hostspecs: Iterable[HostSpec]) -> int:
        if self.count:
            return self.count
        return len(self.filter_matching_hostspecs(hostspecs)) * (self.count_per_host or 1)

    def pretty_str(self) -> str:
        """The ``--placement`` string that ``from_string`` turns back into this spec."""
        kv = []
        if self.hosts:
            kv.append(';'.join(str(h) for h in self.hosts))
        if self.count:
            kv.append('count:%d' % self.count)
        if self.count_per_host:
            kv.append('count-per-host:%d' % self.count_per_host)
        if self.label:
            kv.append('label:%s' % self.label)
        if self.host_pattern:
            kv.append(self.host_pattern.pretty_str())
        return ';'.join(kv)

    def __repr__(self) -> str:
        kv = []
        if self.count:
            kv.append('count=%d' % self.count)
        if self.count_per_host:
            kv.append('count_per_host=%d' % self.count_per_host)
        if self.label:
            kv.append('label=%r' % self.label)
        if self.hosts:
            kv.append('hosts={!r}'.format(self.hosts))
        if self.host_pattern:
            kv.append('host_pattern={!r}'.format(self.host_pattern))
        return 'PlacementSpec(%s)' % ', '.join(kv)

    @classmethod
    @handle_type_error
    def from_json(cls, data: dict) -> 'PlacementSpec':
        c = data.copy()
        hosts = c.get('hosts', [])
        if isinstance(hosts, str):
            # Ceph would split the string into one "host" per character
            raise SpecValidationError(f'hosts must be a list of host names. Got "{hosts}"')
        if hosts:
            c['hosts'] = [HostPlacementSpec.from_json(h) for h in hosts]
        ps = cls(**c)
        ps.validate()
        return ps

    def to_json(self) -> dict:
        r: Dict[str, Any] = {}
        if self.label:
            r['label'] = self.label
        if self.hosts:
            r['hosts'] = [h.to_json() for h in self.hosts]
        if self.count:
            r['count'] = self.count
        if self.count_per_host:
            r['count_per_host'] = self.count_per_host
        if self.host_pattern:
            r['host_pattern'] = self.host_pattern.to_json()
        return r

    @staticmethod
    def _check_int(value: Any, name: str) -> None:
        if isinstance(value, bool):
            raise SpecValidationError(f'{name} must be an integer value')
        try:
            intval = int(value)
        except (ValueError, TypeError):
            raise SpecValidationError(f'{name} must be a numeric value')
        if value != intval:
            raise SpecValidationError(f'{name} must be an integer value')
        if value < 1:
            raise SpecValidationError(f'{name} must be >= 1')

    def validate(self) -> None:
        if self.hosts and self.label:
            raise SpecValidationError('Host and label are mutually exclusive')
        if self.label is not None and not isinstance(self.label, str):
            raise SpecValidationError(f'label must be a string. Got {self.label!r}')
        if self.count is not None:
            self._check_int(self.count, 'num/count')
        if self.count_per_host is not None:
            self._check_int(self.count_per_host, 'count-per-host')
        if self.count_per_host is not None and not (
                self.label or self.hosts or self.host_pattern):
            raise SpecValidationError(
                'count-per-host must be combined with label or hosts or host_pattern')
        if self.count is not None and self.count_per_host is not None:
            raise SpecValidationError('cannot combine count and count-per-host')
        if (self.count_per_host is not None and self.hosts
                and any(hs.network or hs.name for hs in self.hosts)):
            raise SpecValidationError(
                'count-per-host cannot be combined explicit placement with names or networks')
        if self.host_pattern and self.hosts:
            raise SpecValidationError('cannot combine host patterns and hosts')
        for h in self.hosts:
            h.validate()

    @classmethod
    def from_string(cls, arg: Optional[str]) -> 'PlacementSpec':
        """Parse the ``--placement`` argument.

        A single integer is parsed as a count:

        >>> PlacementSpec.from_string('3')
        PlacementSpec(count=3)

        A list of names is parsed as host specifications:

        >>> PlacementSpec.from_string('host1 host2')
        PlacementSpec(hosts=[HostPlacementSpec(hostname='host1', network='', name=''), \
HostPlacementSpec(hostname='host2', network='', name='')])

        You can also prefix the hosts with a count as follows:

        >>> PlacementSpec.from_string('2 host1 host2')
        PlacementSpec(count=2, hosts=[HostPlacementSpec(hostname='host1', network='', \
name=''), HostPlacementSpec(hostname='host2', network='', name='')])

        You can specify labels using `label:<label>`

        >>> PlacementSpec.from_string('label:mon')
        PlacementSpec(label='mon')

        Labels also support a count:

        >>> PlacementSpec.from_string('3 label:mon')
        PlacementSpec(count=3, label='mon')

        You can specify a regex to match with `regex:<regex>`

        >>> PlacementSpec.from_string('regex:Foo[0-9]|Bar[0-9]')
        PlacementSpec(host_pattern=HostPattern(pattern='Foo[0-9]|Bar[0-9]', \
pattern_type=PatternType.regex))

        fnmatch is the default for a single string if "regex:" is not provided:

        >>> PlacementSpec.from_string('data[1-3]')
        PlacementSpec(host_pattern=HostPattern(pattern='data[1-3]', \
pattern_type=PatternType.fnmatch))

        >>> PlacementSpec.from_string(None)
        PlacementSpec()
        """
        if arg is None or not arg:
            strings: List[str] = []
        elif isinstance(arg, str):
            if ' ' in arg:
                strings = arg.split(' ')
            elif ';' in arg:
                strings = arg.split(';')
            elif ',' in arg and '[' not in arg:
                # commas separate hosts, except inside address vectors ([v2:..,v1:..])
                strings = arg.split(',')
            else:
                strings = [arg]
        else:
            raise SpecValidationError('invalid placement %s' % arg)

        count = None
        count_per_host = None
        if strings:
            try:
                count = int(strings[0])
                strings = strings[1:]
            except ValueError:
                pass
        for s in strings:
            if s.startswith('count:'):
                try:
                    count = int(s[len('count:'):])
                    strings.remove(s)
                    break
                except ValueError:
                    pass
        for s in strings:
            if s.startswith('count-per-host:'):
                try:
                    count_per_host = int(s[len('count-per-host:'):])
                    strings.remove(s)
                    break
                except ValueError:
                    pass

        advanced_hostspecs = [h for h in strings
                              if (':' in h or '=' in h or not any(c in '[]?*:=' for c in h))
                              and 'label:' not in h and 'regex:' not in h]
        for a_h in advanced_hostspecs:
            strings.remove(a_h)

        labels = [x for x in strings if 'label:' in x]
        if len(labels) > 1:
            raise SpecValidationError('more than one label provided: {}'.format(labels))
        for lbl in labels:
            strings.remove(lbl)
        label = labels[0][6:] if labels else None

        host_patterns = strings
        host_pattern: Optional[HostPattern] = None
        if len(host_patterns) > 1:
            raise SpecValidationError(
                'more than one host pattern provided: {}'.format(host_patterns))
        if host_patterns:
            host_pattern = HostPattern.from_pretty_str(host_patterns[0])

        return PlacementSpec(count=count,
                             count_per_host=count_per_host,
                             hosts=advanced_hostspecs,
                             label=label,
                             host_pattern=host_pattern)


# ------------------------------------------------------------- service spec building blocks

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


class CustomConfig:
    """A config file to mount into the daemon's container."""

    _fields = ['content', 'mount_path']

    def __init__(self, content: str, mount_path: str) -> None:
        self.content = content
        self.mount_path = mount_path
        self.validate()

    def to_json(self) -> Dict[str, Any]:
        return {'content': self.content, 'mount_path': self.mount_path}

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> 'CustomConfig':
        if not isinstance(data, dict):
            raise SpecValidationError(f'CustomConfig must be an object. Got {data!r}')
        for k in cls._fields:
            if k not in data:
                raise SpecValidationError(f'CustomConfig must have "{k}" field')
        for k in data.keys():
            if k not in cls._fields:
                raise SpecValidationError(f'CustomConfig got unknown field "{k}"')
        return cls(**data)

    @property
    def filename(self) -> str:
        return os.path.basename(self.mount_path)

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, CustomConfig):
            return self.content == other.content and self.mount_path == other.mount_path
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f'CustomConfig({self.mount_path})'

    def validate(self) -> None:
        if not isinstance(self.content, str):
            raise SpecValidationError(
                f'CustomConfig content must be a string. Got {type(self.content)}')
        if not isinstance(self.mount_path, str):
            raise SpecValidationError(
                f'CustomConfig content must be a string. Got {type(self.mount_path)}')


class ArgumentSpec:
    """One argument for the container engine or the daemon's entrypoint.

    The plain-string form (``"--cpus 8"``) is split on spaces, as it always was; the
    object form (``{argument: ..., split: false}``) keeps spaces in an argument.
    """

    _fields = ['argument', 'split']

    class OriginalType(enum.Enum):
        OBJECT = 0
        STRING = 1

    def __init__(self, argument: str, split: bool = False, *,
                 origin: 'ArgumentSpec.OriginalType' = OriginalType.OBJECT) -> None:
        self.argument = argument
        self.split = bool(split)
        # remembers the input form so that to_json round-trips strings as strings
        self._origin = origin
        self.validate()

    def to_json(self) -> Union[str, Dict[str, Any]]:
        if self._origin == self.OriginalType.STRING:
            return self.argument
        return {'argument': self.argument, 'split': self.split}

    def to_args(self) -> List[str]:
        if not self.split:
            return [self.argument]
        return [part for part in self.argument.split(' ') if part]

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, ArgumentSpec):
            return self.argument == other.argument and self.split == other.split
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f'ArgumentSpec({self.argument!r}, {self.split!r})'

    def validate(self) -> None:
        if not isinstance(self.argument, str):
            raise SpecValidationError(
                f'ArgumentSpec argument must be a string. Got {type(self.argument)}')
        if not isinstance(self.split, bool):
            raise SpecValidationError(
                f'ArgumentSpec split must be a boolean. Got {type(self.split)}')

    @classmethod
    def from_json(cls, data: Union[str, Dict[str, Any]]) -> 'ArgumentSpec':
        if isinstance(data, str):
            return cls(data, split=True, origin=cls.OriginalType.STRING)
        if 'argument' not in data:
            raise SpecValidationError('ArgumentSpec must have an "argument" field')
        for k in data.keys():
            if k not in cls._fields:
                raise SpecValidationError(f'ArgumentSpec got an unknown field {k!r}')
        return cls(**data)

    @staticmethod
    def map_json(values: Optional[List['ArgumentSpec']]
                 ) -> Optional[List[Union[str, Dict[str, Any]]]]:
        if values is None:
            return None
        return [v.to_json() for v in values]

    @classmethod
    def from_general_args(cls, data: Any) -> List['ArgumentSpec']:
        if not isinstance(data, list):
            raise SpecValidationError(f'Arguments must be a list. Got {data!r}')
        out: List[ArgumentSpec] = []
        for item in data:
            if isinstance(item, (str, dict)):
                out.append(cls.from_json(item))
            elif isinstance(item, cls):
                out.append(item)
            else:
                raise SpecValidationError(f'Unknown type for argument: {type(item)}')
        return out


ArgumentList = List[ArgumentSpec]
GeneralArgList = List[Union[str, Dict[str, Any], ArgumentSpec]]


class CertificateSource(enum.Enum):
    """Where a TLS certificate comes from: the spec, the cert store, or cephadm itself."""
    INLINE = 'inline'
    REFERENCE = 'reference'
    CEPHADM_SIGNED = 'cephadm-signed'


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


# ---------------------------------------------------------------------------- ServiceSpec

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
    def _cls(cls: Type[ServiceSpecT], service_type: str) -> Type[ServiceSpecT]:
        if service_type == 'osd':
            # imported here: drive_group imports this module
            from ceph_orch_cli.deployment.drive_group import DriveGroupSpec
            return cast(Type[ServiceSpecT], DriveGroupSpec)
        ret = _SPEC_CLASSES.get(service_type, cls) if isinstance(service_type, str) else cls
        if ret is ServiceSpec and not service_type:
            raise SpecValidationError('Spec needs a "service_type" key.')
        return cast(Type[ServiceSpecT], ret)

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
        if service_type not in ServiceSpec.KNOWN_SERVICE_TYPES:
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
        if self.service_type in self.REQUIRES_SERVICE_ID or self.service_type == 'osd':
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
        self.extra_container_args: Optional[ArgumentList] = None
        self.extra_entrypoint_args: Optional[ArgumentList] = None
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

    def __setattr__(self, name: str, value: Any) -> None:
        if value is not None and name in ('extra_container_args', 'extra_entrypoint_args'):
            for v in value:
                if not isinstance(v, ArgumentSpec):
                    raise TypeError(f'{name} is not all ArgumentSpec values: '
                                    f'{v!r}(is {type(v)} in {value!r}')
        super().__setattr__(name, value)

    @classmethod
    @handle_type_error
    def from_json(cls: Type[ServiceSpecT], json_spec: Dict) -> ServiceSpecT:
        """Build a spec from a JSON/YAML document, in the old style (special fields at
        the top level) or the new style (special fields under ``spec:``), and validate it
        unless ``service_spec_allow_invalid_from_json`` is active."""
        if not isinstance(json_spec, dict):
            raise SpecValidationError(
                f'Service Spec is not an (JSON or YAML) object. got "{str(json_spec)}"')
        json_spec = cls.normalize_json(dict(json_spec))
        c = json_spec.copy()
        # `service_name` is accepted so that ServiceDescription.to_json() round-trips
        if c.get('service_name', ''):
            service_type_id = str(c['service_name']).split('.', 1)
            if not c.get('service_type', ''):
                c['service_type'] = service_type_id[0]
            if not c.get('service_id', '') and len(service_type_id) > 1:
                c['service_id'] = service_type_id[1]
        c.pop('service_name', None)
        service_type = c.get('service_type', '')
        _cls = cls._cls(service_type)
        c.pop('status', None)  # compatibility with ServiceDescription.to_json()
        return _cls._from_json_impl(c)  # type: ignore[attr-defined]

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
            if k == 'custom_configs':
                v = [CustomConfig.from_json(c) for c in v]
            if k == 'spec':
                args.update(v)
                continue
            args.update({k: v})
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

        c: Dict[str, Any] = {}
        for key, val in sorted(self.__dict__.items(), key=lambda tpl: tpl[0]):
            if key in ret or key.startswith('_'):
                continue
            if hasattr(val, 'to_json'):
                val = val.to_json()
            if val:
                c[key] = val
        if getattr(self, 'termination_grace_period_seconds', None) is not None:
            c['termination_grace_period_seconds'] = self.termination_grace_period_seconds
        if self.service_type in self.REQUIRES_CERTIFICATES:
            tls: Dict[str, Any] = {}
            if self.ssl:
                tls['ssl'] = self.ssl
            if self.certificate_source:
                tls['certificate_source'] = self.certificate_source
            inline = self.certificate_source == CertificateSource.INLINE.value
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
        valid_sources = {e.value for e in CertificateSource}
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
                self.certificate_source = CertificateSource.INLINE.value
            else:
                self.certificate_source = CertificateSource.CEPHADM_SIGNED.value
        if self.certificate_source == CertificateSource.INLINE.value:
            if not (has_cert and has_key):
                raise SpecValidationError(
                    f"When using '{CertificateSource.INLINE.value}' certificate_source, "
                    'both an embedded certificate (ssl_cert) and private key'
                    '(ssl_key) must be provided.')
            if (self.REQUIRES_CERTIFICATES[self.service_type].get('requires_ca_cert', False)
                    and not has_ca_cert):
                raise SpecValidationError(
                    f'CA certificate required for {self.service_type} service')
        if (self.certificate_source == CertificateSource.CEPHADM_SIGNED.value
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
            if self.service_type in self.REQUIRES_SERVICE_ID and not self.service_id:
                raise SpecValidationError('Cannot add Service: id required')
            if self.service_type not in self.REQUIRES_SERVICE_ID and self.service_id:
                raise SpecValidationError(
                    f"Service of type '{self.service_type}' should not contain a service id")
        if self.service_id:
            if not _SERVICE_ID_RE.match(str(self.service_id)):
                raise SpecValidationError('Service id contains invalid characters, '
                                          'only [a-zA-Z0-9_.-] allowed')
        if self.placement is not None:
            self.placement.validate()
        self._validate_field_types()
        if self.config:
            for k in self.config:
                if k in self.MANAGED_CONFIG_OPTIONS:
                    raise SpecValidationError(
                        f'Cannot set config option {k} in spec: it is managed by cephadm')
        if not isinstance(self.networks, list):
            raise SpecValidationError(
                f'Networks ({self.networks}) must be a string or list of strings')
        for network in self.networks:
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
        for name, value in vars(self).items():
            if value is None:
                continue
            if (name == 'port' or name.endswith('_port')) and \
                    (isinstance(value, bool) or not isinstance(value, int)):
                raise SpecValidationError(
                    f'Invalid {name}: {value!r}. Must be an integer between 1 and 65535.')
            # names of other services and addresses are looked up, split and compared
            if (name.endswith('_service') or name == 'virtual_ip') and \
                    not isinstance(value, str):
                raise SpecValidationError(f'Invalid {name}: {value!r}. Must be a string.')

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

_COMMON = frozenset({'placement', 'unmanaged', 'preview_only', 'config', 'networks',
                     'extra_container_args', 'extra_entrypoint_args', 'custom_configs'})
_TLS = frozenset({'ssl', 'certificate_source', 'ssl_cert', 'ssl_key', 'custom_sans'})


class _FieldSpec(ServiceSpec):
    """A service type with special fields, declared as data rather than long signatures.

    ``_FIELDS`` maps each special field to its default; ``_BASE`` names the common
    ServiceSpec arguments the type accepts (any other key is an error naming the class,
    as Python's own "unexpected keyword argument" is in Ceph).
    """

    _TYPES: Tuple[str, ...] = ()
    _BASE: FrozenSet[str] = _COMMON
    _BASE_DEFAULTS: Dict[str, Any] = {}
    _FIELDS: Dict[str, Any] = {}
    _IGNORED: FrozenSet[str] = frozenset()
    _ACCEPTS_ID = True

    def __init__(self, service_type: Optional[str] = None, service_id: Optional[str] = None,
                 placement: Optional[PlacementSpec] = None, **kwargs: Any) -> None:
        if service_type is None:
            service_type = self._TYPES[0]
        if service_type not in self._TYPES:
            raise SpecValidationError(
                f'{type(self).__name__} cannot be of service type {service_type!r}')
        if service_id is not None and not self._ACCEPTS_ID:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword "
                            "argument 'service_id'")
        base = dict(self._BASE_DEFAULTS)
        own: Dict[str, Any] = {}
        for k, v in kwargs.items():
            if k in self._BASE:
                base[k] = v
            elif k in self._FIELDS:
                own[k] = v
            elif k not in self._IGNORED:
                raise TypeError(f'{type(self).__name__}.__init__() got an unexpected keyword '
                                f"argument '{k}'")
        service_id = self._derive_service_id(service_id, own)
        super().__init__(service_type, service_id=service_id, placement=placement, **base)
        # Type fields are plain attributes (ServiceSpec.__setattr__ only guards the container
        # argument lists, which are base fields), so they go straight into the instance dict:
        # listing 1,000 stored specs builds 27,000 of them.
        # The defaults go in with one update (None, numbers, strings are immutable; each
        # key keeps its _FIELDS position when overwritten below), then a fresh copy of
        # every mutable default (never shared; an empty one needs no deep copy), then
        # the given values.
        fields = self.__dict__
        fields.update(self._FIELDS)
        for name in _mutable_fields(type(self)):
            if name not in own:
                default = fields[name]
                fields[name] = copy.deepcopy(default) if default else type(default)()
        fields.update(own)
        self._post_init(base)

    def _derive_service_id(self, service_id: Optional[str], own: Dict[str, Any]
                           ) -> Optional[str]:
        return service_id

    def _post_init(self, base: Dict[str, Any]) -> None:
        """Hook for defaults that depend on other fields."""


_MUTABLE_FIELDS: Dict[type, Tuple[str, ...]] = {}


def _mutable_fields(cls: type) -> Tuple[str, ...]:
    """The ``_FIELDS`` of a spec class whose defaults are lists, dicts or sets (per class,
    computed once)."""
    found = _MUTABLE_FIELDS.get(cls)
    if found is None:
        found = tuple(n for n, d in cls._FIELDS.items()  # type: ignore[attr-defined]
                      if isinstance(d, (list, dict, set)))
        _MUTABLE_FIELDS[cls] = found
    return found


class NFSServiceSpec(_FieldSpec):
    _TYPES = ('nfs',)
    _BASE = _COMMON | _TLS | {'ip_addrs', 'ssl_ca_cert'}
    _FIELDS = {
        'port': None, 'monitoring_networks': None, 'monitoring_ip_addrs': None,
        'monitoring_port': None, 'virtual_ip': None, 'enable_nlm': False,
        'enable_haproxy_protocol': False, 'enable_rdma': False, 'rdma_port': None,
        'idmap_conf': None, 'enable_virtual_server': False, 'kmip_cert': None,
        'kmip_key': None, 'kmip_ca_cert': None, 'kmip_host_list': None,
        'cluster_qos_config': None, 'cluster_qos_port': None, 'tls_ktls': False,
        'tls_debug': False, 'tls_min_version': None, 'tls_ciphers': None,
        'enable_nfsv3': False,
    }

    def _post_init(self, base: Dict[str, Any]) -> None:
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

    def validate(self) -> None:
        super().validate()
        if self.placement is not None and self.placement.count_per_host is not None:
            raise SpecValidationError(
                "Placement 'count_per_host' is not supported for nfs service.")
        if self.virtual_ip and (self.ip_addrs or self.networks):
            raise SpecValidationError(
                'Invalid NFS spec: Cannot set virtual_ip and '
                f"{'ip_addrs' if self.ip_addrs else 'networks'} fields")
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
        if self.cluster_qos_config:
            qos = self.cluster_qos_config
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
    DEFAULT_HAPROXY_CONCENTRATOR_VALUES: Dict[str, Union[int, str]] = {
        'concentrator_frontend_port': 8080,
        'concentrator_monitor_port': 1967,
        'concentrator_monitor_user': 'admin',
    }
    _FIELDS = {
        'rgw_realm': None, 'rgw_zonegroup': None, 'rgw_zone': None,
        'rgw_frontend_port': None, 'rgw_frontend_ssl_certificate': None,
        'rgw_frontend_type': None, 'rgw_frontend_extra_args': None,
        'only_bind_port_on_networks': False, 'rgw_realm_token': None,
        'update_endpoints': False, 'zone_endpoints': None, 'zonegroup_hostnames': None,
        'data_pool_attributes': None, 'rgw_user_counters_cache': False,
        'rgw_user_counters_cache_size': None, 'rgw_bucket_counters_cache': False,
        'rgw_bucket_counters_cache_size': None, 'generate_cert': False,
        'disable_multisite_sync_traffic': None, 'wildcard_enabled': False,
        'rgw_exit_timeout_secs': 120, 'd3n_cache': {}, 'concentrator': None,
        'concentrator_frontend_port': None, 'concentrator_monitor_port': None,
        'concentrator_monitor_user': None, 'concentrator_monitor_password': None,
        'qat': {}, 'allow_port_reuse': False,
    }

    def _derive_service_id(self, service_id: Optional[str], own: Dict[str, Any]
                           ) -> Optional[str]:
        realm, zone = own.get('rgw_realm'), own.get('rgw_zone')
        if not service_id and realm and zone:
            # octopus spec files named rgw services <realm>.<zone>
            return f'{realm}.{zone}'
        return service_id

    def _post_init(self, base: Dict[str, Any]) -> None:
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
            combined = self.rgw_frontend_ssl_certificate
            if isinstance(combined, list):
                combined = '\n'.join(combined)
            self.certificate_source = CertificateSource.INLINE.value
            self.ssl_cert, self.ssl_key = parse_combined_pem_file(combined)
            self.rgw_frontend_ssl_certificate = None
            if not (self.ssl_cert and self.ssl_key):
                raise SpecValidationError('Failed to parse rgw_frontend_ssl_certificate field.')
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
            if self.data_pool_attributes.get('type', 'ec') == 'ec':
                if any(a not in self.data_pool_attributes for a in ['k', 'm']):
                    raise SpecValidationError(
                        '"k" and "m" are required parameters for ec pool (defaults to ec pool)')
                if 'erasure_code_profile' in self.data_pool_attributes:
                    raise SpecValidationError(
                        'invalid option in data_pool_attribues "erasure_code_profile"'
                        'ec profile will be generated automatically based on provided '
                        'attributes')
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
        if self.qat:
            compression = self.qat.get('compression')
            if compression and compression not in ('sw', 'hw'):
                raise SpecValidationError(
                    f"Invalid compression mode {compression}. Only 'sw' and 'hw' are allowed")


class NvmeofServiceSpec(_FieldSpec):
    _TYPES = ('nvmeof',)
    _BASE = _COMMON | _TLS
    _FIELDS = {
        'name': None, 'group': '', 'addr': None, 'addr_map': None, 'port': None,
        'pool': None, 'enable_auth': False, 'state_update_notify': True,
        'state_update_interval_sec': 5, 'enable_spdk_discovery_controller': False,
        'enable_prometheus_exporter': True, 'prometheus_port': None,
        'verify_nqns': True, 'server_key': None, 'server_cert': None,
        'client_key': None, 'client_cert': None, 'root_ca_cert': None,
        'spdk_path': None, 'tgt_path': None, 'spdk_timeout': 60.0,
        'spdk_log_level': '', 'spdk_mem_size': None, 'spdk_huge_pages': None,
        'rpc_socket_dir': None, 'rpc_socket_name': None, 'conn_retries': 10,
        'transports': 'tcp',
        'transport_tcp_options': {'in_capsule_data_size': 8192, 'max_io_qpairs_per_ctrlr': 7},
        'tgt_cmd_extra_args': None, 'discovery_addr': None, 'discovery_port': None,
        'log_level': 'INFO', 'log_directory': None, 'monitor_timeout': 1.0,
        'enable_monitor_client': True, 'bdevs_per_cluster': None,
        'flat_bdevs_per_cluster': None, 'cluster_connections': None,
    }

    def _post_init(self, base: Dict[str, Any]) -> None:
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
    _FIELDS = {'pool': None, 'trusted_ip_list': None, 'api_port': 5000,
               'api_user': 'admin', 'api_password': 'admin', 'api_secure': None}

    def _post_init(self, base: Dict[str, Any]) -> None:
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


class MgmtGatewaySpec(_FieldSpec):
    """The nginx management gateway in front of the dashboard and monitoring."""

    _TYPES = ('mgmt-gateway',)
    _BASE = (_COMMON - {'unmanaged'}) | _TLS | {'unmanaged'}
    _BASE_DEFAULTS = {'ssl': True}
    _FIELDS = {
        'enable_auth': False, 'port': None, 'ssl_prefer_server_ciphers': None,
        'ssl_session_tickets': None, 'ssl_session_timeout': None, 'ssl_session_cache': None,
        'server_tokens': None, 'ssl_stapling': None, 'ssl_stapling_verify': None,
        'ssl_protocols': None, 'ssl_ciphers': None, 'enable_health_check_endpoint': False,
        'virtual_ip': None,
    }

    def get_port_start(self) -> List[int]:
        return [self.port if self.port is not None else 443]

    def validate(self) -> None:
        super().validate()
        validate_port(self.port, 'port')
        for name in ('ssl_cert', 'ssl_key'):
            val = getattr(self, name)
            if val is not None and not isinstance(val, str):
                raise SpecValidationError(f'Invalid {name}. Must be a string.')
        for name in ('ssl_prefer_server_ciphers', 'ssl_session_tickets', 'ssl_stapling',
                     'ssl_stapling_verify'):
            val = getattr(self, name)
            if val is not None and val not in ['on', 'off']:
                raise SpecValidationError(f'Invalid {name}: {val}. Supported values: on | off.')
        t = self.ssl_session_timeout
        if t is not None and not (isinstance(t, str) and re.match(r'^\d+[smhd]$', t)):
            raise SpecValidationError(
                f"Invalid SSL Session Timeout: {t}. Value must be a number followed by "
                "'s', 'm', 'h', or 'd'.")
        cache = self.ssl_session_cache
        if cache is not None and not (isinstance(cache, str) and any(
                cache.startswith(v) for v in ('none', 'off', 'builtin', 'shared'))):
            raise SpecValidationError(
                f'Invalid SSL Session Cache: {cache}. Supported values are: '
                'off | none | [builtin[:size]] [shared:name:size]')
        if self.server_tokens is not None and \
                self.server_tokens not in ['on', 'off', 'build', 'string']:
            raise SpecValidationError(
                f"Invalid Server Tokens: {self.server_tokens}. Must be one of "
                "['on', 'off', 'build', 'version'].")
        for protocol in self.ssl_protocols or []:
            if protocol not in ['TLSv1.2', 'TLSv1.3']:
                raise SpecValidationError(
                    f"Invalid SSL Protocol: {protocol}. Must be one of ['TLSv1.2', 'TLSv1.3'].")


class OAuth2ProxySpec(_FieldSpec):
    """oauth2-proxy for single sign-on through the management gateway."""

    _TYPES = ('oauth2-proxy',)
    _BASE = (_COMMON - {'preview_only'}) | _TLS
    _BASE_DEFAULTS = {'ssl': True}
    _FIELDS = {
        'https_address': None, 'provider_display_name': None, 'client_id': None,
        'client_secret': None, 'oidc_issuer_url': None, 'redirect_url': None,
        'scope': None, 'cookie_secret': None, 'email_domains': None,
        'allowlist_domains': None, 'ssl_insecure_skip_verify': False,
    }

    def _post_init(self, base: Dict[str, Any]) -> None:
        if not self.cookie_secret:
            import base64
            self.cookie_secret = base64.urlsafe_b64encode(os.urandom(32)).decode('utf-8')

    def get_port_start(self) -> List[int]:
        return [4180]

    def validate(self) -> None:
        from urllib.parse import urlparse
        super().validate()
        required = {'provider_display_name': self.provider_display_name,
                    'oidc_issuer_url': self.oidc_issuer_url,
                    'client_id': self.client_id, 'client_secret': self.client_secret}
        missing = [f for f, v in required.items()
                   if v is None or (isinstance(v, str) and not v.strip())]
        if missing:
            raise SpecValidationError(
                'Missing required fields for oauth2-proxy: ' + ', '.join(missing) + '.')
        for name in ('provider_display_name', 'client_id', 'client_secret'):
            verify_non_empty_string(getattr(self, name), name)
        self._validate_cookie_secret(self.cookie_secret)
        for name in ('oidc_issuer_url', 'redirect_url'):
            url = getattr(self, name)
            if url is None:
                continue
            try:
                result = urlparse(url)
            except (ValueError, TypeError, AttributeError) as e:
                raise SpecValidationError(f'Invalid {name}: {e}. Must be a valid URL.')
            if not (result.scheme and result.netloc):
                raise SpecValidationError(f'Error parsing {name} field: Must be a valid URL.')
        if self.scope is not None:
            verify_non_empty_string(self.scope, 'scope')
        for domain in self.email_domains or []:
            if not isinstance(domain, str) or urlparse(f'http://{domain}').netloc != domain:
                raise SpecValidationError(
                    f"Invalid email_domains: '{domain}' is not a valid domain name. "
                    "Must be a valid domain (e.g., 'domain.test').")
        if self.https_address is not None:
            netloc = urlparse(f'http://{self.https_address}').netloc
            if not netloc or ':' not in netloc:
                raise SpecValidationError(
                    'Invalid https_address: Valid format [IP|hostname]:port.')
            port = netloc.rsplit(':', 1)[1]
            if not port.isdigit() or not 0 <= int(port) <= 65535:
                raise SpecValidationError(
                    'Invalid https_address: Port must be between 0 and 65535.')

    @staticmethod
    def _validate_cookie_secret(cookie_secret: Any) -> None:
        import base64
        import binascii
        if cookie_secret is None:
            return
        if not isinstance(cookie_secret, str):
            raise SpecValidationError('Invalid cookie_secret: Must be a non-empty string.')
        try:
            length = len(base64.urlsafe_b64decode(cookie_secret))
        except (binascii.Error, ValueError):
            length = len(cookie_secret.encode('utf-8'))
        if length not in [16, 24, 32]:
            raise SpecValidationError(f'cookie_secret is {length} bytes '
                                      'but must be 16, 24, or 32 bytes to create an AES cipher.')


class InitContainerSpec:
    """A container run to completion before the service container starts."""

    _basic_fields = ['image', 'entrypoint', 'volume_mounts', 'envs', 'privileged']
    _fields = _basic_fields + ['entrypoint_args']

    def __init__(self, image: Optional[str] = None, entrypoint: Optional[str] = None,
                 entrypoint_args: Optional[GeneralArgList] = None,
                 volume_mounts: Optional[Dict[str, str]] = None,
                 envs: Optional[List[str]] = None, privileged: Optional[bool] = None) -> None:
        self.image = image
        self.entrypoint = entrypoint
        self.entrypoint_args: Optional[ArgumentList] = None
        if entrypoint_args:
            self.entrypoint_args = ArgumentSpec.from_general_args(entrypoint_args)
        self.volume_mounts = volume_mounts
        self.envs = envs
        self.privileged = privileged
        self.validate()

    def validate(self) -> None:
        if all(getattr(self, key) is None for key in self._fields):
            raise SpecValidationError(
                'At least one parameter must be set (no values were specified)')

    def to_json(self, flatten_args: bool = False) -> Dict[str, Any]:
        data: Dict[str, Any] = {}
        for key in self._basic_fields:
            value = getattr(self, key, None)
            if value is not None:
                data[key] = value
        if self.entrypoint_args and flatten_args:
            data['entrypoint_args'] = sum((ea.to_args() for ea in self.entrypoint_args), [])
        elif self.entrypoint_args:
            data['entrypoint_args'] = ArgumentSpec.map_json(self.entrypoint_args)
        return data

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, InitContainerSpec):
            return self.to_json() == other.to_json()
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        vals = ((key, getattr(self, key)) for key in self._fields)
        contents = ', '.join(f'{key}={val!r}' for key, val in vals if val)
        return f'InitContainerSpec({contents})'

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> 'InitContainerSpec':
        return cls(image=data.get('image'), entrypoint=data.get('entrypoint'),
                   entrypoint_args=data.get('entrypoint_args'),
                   volume_mounts=data.get('volume_mounts'), envs=data.get('envs'),
                   privileged=data.get('privileged'))

    @classmethod
    def import_values(cls, values: List[Any]) -> List['InitContainerSpec']:
        out: List[InitContainerSpec] = []
        for value in values:
            if isinstance(value, dict):
                out.append(cls.from_json(value))
            elif isinstance(value, cls):
                out.append(value)
            else:
                raise SpecValidationError(f'Unknown type for InitContainerSpec: {type(value)}')
        return out


class CustomContainerSpec(_FieldSpec):
    """Any container image, deployed like a Ceph daemon."""

    _TYPES = ('container',)
    _FIELDS = {
        'image': None, 'entrypoint': None, 'uid': None, 'gid': None, 'volume_mounts': {},
        'args': [], 'envs': [], 'privileged': False, 'bind_mounts': None, 'ports': [],
        'dirs': [], 'files': {}, 'init_containers': None,
    }

    def _post_init(self, base: Dict[str, Any]) -> None:
        # Ceph asserts both; here they are spec errors a user can read.
        if self.service_id is None:
            raise SpecValidationError('Cannot add Service: id required')
        if self.image is None:
            raise SpecValidationError('Cannot add container: image required')
        if self.init_containers:
            self.init_containers = InitContainerSpec.import_values(self.init_containers)
        else:
            self.init_containers = None

    def config_json(self) -> Dict[str, Any]:
        """The ``--config-json`` cephadm gets: every property that is not None."""
        out = {}
        for prop in ['image', 'entrypoint', 'uid', 'gid', 'args', 'envs', 'volume_mounts',
                     'privileged', 'bind_mounts', 'ports', 'dirs', 'files']:
            value = getattr(self, prop)
            if value is not None:
                out[prop] = value
        return out

    def validate(self) -> None:
        super().validate()
        if not isinstance(self.image, str) or not self.image:
            # `image: false` would be stored, then dropped by the export (falsy): the
            # exported spec could not be applied back
            raise SpecValidationError('Cannot add container: image required')
        if self.args and self.extra_container_args:
            raise SpecValidationError('"args" and "extra_container_args" are mutually exclusive '
                                      '(and both serve the same purpose)')
        if self.files and self.custom_configs:
            raise SpecValidationError('"files" and "custom_configs" are mutually exclusive '
                                      '(and both serve the same purpose)')

    def to_json(self) -> 'OrderedDict[str, Any]':
        data = super().to_json()
        ics = data.get('spec', {}).get('init_containers')
        if ics:
            data['spec']['init_containers'] = [
                ic.to_json() if isinstance(ic, InitContainerSpec) else ic for ic in ics]
        return data


_MONITORING_PORTS = {'prometheus': 9095, 'node-exporter': 9100, 'alertmanager': 9093,
                     'grafana': 3000, 'loki': 3100, 'alloy': 9080, 'promtail': 9080}


class MonitoringSpec(_FieldSpec):
    """node-exporter, loki, promtail, alloy (and the base of the other monitoring specs)."""

    _TYPES = ('grafana', 'node-exporter', 'prometheus', 'alertmanager', 'loki', 'alloy',
              'promtail')
    _BASE = _COMMON | {'ssl', 'certificate_source', 'targets'}
    _BASE_DEFAULTS = {'ssl': True}
    _FIELDS: Dict[str, Any] = {'port': None, 'remote_write_url': None,
                               'remote_write_allowed_metrics': None}

    def get_port_start(self) -> List[int]:
        return [self.get_port()]

    def get_port(self) -> int:
        return self.port or _MONITORING_PORTS[self.service_type]


class AlertManagerSpec(MonitoringSpec):
    _TYPES = ('alertmanager',)
    _BASE = _COMMON | {'ssl', 'certificate_source'}
    _FIELDS = {'port': None, 'user_data': None, 'secure': False,
               'only_bind_port_on_networks': False}

    def _post_init(self, base: Dict[str, Any]) -> None:
        #: e.g. ``default_webhook_urls``: extra webhook receivers
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
    _BASE = _COMMON | {'ssl', 'certificate_source'}
    _FIELDS = {'port': None, 'only_bind_port_on_networks': False, 'protocol': 'https',
               'initial_admin_password': None, 'anonymous_access': True}

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
    _FIELDS = {'port': None, 'only_bind_port_on_networks': False, 'retention_time': None,
               'retention_size': None, 'remote_write_url': None,
               'remote_write_allowed_metrics': None}

    def _post_init(self, base: Dict[str, Any]) -> None:
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
    _FIELDS = {'snmp_version': None, 'snmp_destination': '', 'credentials': {},
               'engine_id': None, 'auth_protocol': None, 'privacy_protocol': None,
               'port': None}

    @classmethod
    def _from_json_impl(cls, json_spec: dict) -> 'SNMPGatewaySpec':  # type: ignore[override]
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
        return super()._from_json_impl(cpy)  # type: ignore[return-value]

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


class MDSSpec(_FieldSpec):
    _TYPES = ('mds',)
    _BASE = _COMMON - {'networks'}

    def validate(self) -> None:
        super().validate()
        if str(self.service_id)[0].isdigit():
            raise SpecValidationError('MDS service id cannot start with a numeric digit')


class MONSpec(_FieldSpec):
    _TYPES = ('mon',)
    _BASE = _COMMON | {'count'}
    _FIELDS = {'crush_locations': None}

    def _post_init(self, base: Dict[str, Any]) -> None:
        self.validate()

    def validate(self) -> None:
        # As in Ceph, only the crush locations are checked for mon specs.
        if self.crush_locations:
            if not isinstance(self.crush_locations, dict):
                raise SpecValidationError('crush_locations must be a mapping of host to list')
            for host, crush_locs in self.crush_locations.items():
                try:
                    assert_valid_host(host)
                except SpecValidationError as e:
                    raise SpecValidationError(
                        f'Invalid hostname found in spec crush locations: {e}')
                for cloc in crush_locs:
                    if '=' not in cloc or len(cloc.split('=')) != 2:
                        raise SpecValidationError(
                            'Crush locations must be of form <bucket>=<location>. '
                            f'Found crush location: {cloc}')


class TracingSpec(_FieldSpec):
    SERVICE_TYPES = ['elasticsearch', 'jaeger-collector', 'jaeger-query', 'jaeger-agent']
    _TYPES = tuple(SERVICE_TYPES) + ('jaeger-tracing',)
    _BASE = frozenset({'placement', 'unmanaged', 'preview_only', 'config', 'networks'})
    _FIELDS = {'es_nodes': None, 'without_query': False}

    def get_port_start(self) -> List[int]:
        return [self.get_port()]

    def get_port(self) -> int:
        return {'elasticsearch': 9200, 'jaeger-agent': 6799, 'jaeger-collector': 14250,
                'jaeger-query': 16686}[self.service_type]

    def get_tracing_specs(self) -> List[ServiceSpec]:
        """Expand ``jaeger-tracing`` into the services it stands for."""
        daemons: Dict[str, Optional[PlacementSpec]] = {d: None for d in self.SERVICE_TYPES}
        if self.es_nodes:
            del daemons['elasticsearch']
        if self.without_query:
            del daemons['jaeger-query']
        if self.placement:
            daemons['jaeger-collector'] = self.placement
        return [TracingSpec(service_type=d, es_nodes=self.es_nodes, placement=p,
                            unmanaged=self.unmanaged, config=self.config,
                            networks=self.networks, preview_only=self.preview_only)
                for d, p in daemons.items()]


class CephExporterSpec(_FieldSpec):
    _TYPES = ('ceph-exporter',)
    _BASE = frozenset({'placement', 'unmanaged', 'preview_only', 'extra_container_args',
                       'extra_entrypoint_args', 'ssl', 'certificate_source'})
    _BASE_DEFAULTS = {'ssl': True}
    _ACCEPTS_ID = False
    _FIELDS = {'sock_dir': None, 'addrs': '', 'port': None, 'prio_limit': 5,
               'stats_period': 5}

    def _post_init(self, base: Dict[str, Any]) -> None:
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
    _FIELDS = {
        'cluster_id': '', 'features': None, 'config_uri': '', 'join_sources': None,
        'user_sources': None, 'custom_dns': None, 'include_ceph_users': None,
        'cluster_meta_uri': None, 'cluster_lock_uri': None, 'cluster_public_addrs': None,
        'custom_ports': None,
    }

    def _post_init(self, base: Dict[str, Any]) -> None:
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


class NodeProxySpec(_FieldSpec):
    _TYPES = ('node-proxy',)
    _BASE = frozenset({'placement', 'unmanaged', 'preview_only', 'extra_container_args',
                       'extra_entrypoint_args', 'custom_configs', 'ssl', 'certificate_source'})
    _BASE_DEFAULTS = {'ssl': True}
    _ACCEPTS_ID = False


_SPEC_CLASSES: Dict[str, Type[ServiceSpec]] = {
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
}


def __getattr__(name: str) -> Any:
    # Ceph exposes TunedProfileSpec from service_spec; it lives in tuned_profile here.
    if name == 'TunedProfileSpec':
        from ceph_orch_cli.deployment.tuned_profile import TunedProfileSpec
        return TunedProfileSpec
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
