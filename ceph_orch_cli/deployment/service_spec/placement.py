"""The placement language: where a service's daemons go.

``PlacementSpec`` (count, label, named hosts, host pattern), the ``--placement`` string
parser and printer, and the host pieces it is made of.  ``repr`` and ``pretty_str`` are
fixed by the seed's doctests and the round-trip promise in DESIGN.md.
"""
from __future__ import annotations

import enum
import fnmatch
import functools
import re
from ipaddress import ip_address, ip_network
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Set, Union

from ceph_orch_cli.deployment.hostspec import (KNOWN_GOOD_LABELS, HostSpec, SpecValidationError,
                                              assert_valid_host, assert_valid_label)
from ceph_orch_cli.deployment.service_spec.validators import (handle_type_error, type_error_text,
                                                          unwrap_ipv6)


#: the keys a placement document can have for ``from_json``'s direct path
_SIMPLE_PLACEMENT = frozenset({'label', 'count', 'count_per_host', 'host_pattern'})
#: a placement word with none of these is a host name, not a pattern
_PATTERN_CHARS = frozenset('[]?*:=')
_HOST_RE = re.compile(r'^(.*?)(:|=|$)')
_IP_RE = re.compile(r':(.*?)(=|$)')
_NAME_RE = re.compile(r'=(.*?)$')
_new_instance = object.__new__


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
        if cls is HostPlacementSpec and type(host) is str:
            # a pure function of the string, and the result is immutable: cached (a
            # failure raises again every time; lru_cache keeps only results)
            return _parse_host(host, require_network)
        return cls._parse(host, require_network)

    @classmethod
    def _parse(cls, host: str, require_network: bool = True) -> 'HostPlacementSpec':
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
        spec.validate()
        return spec

    def validate(self) -> None:
        """The host name, and the network part: an IP, a CIDR or an address vector (Ceph
        raises ``ValueError``; here it is the spec's error, naming the host)."""
        self._validate()
        if self.__class__ is HostPlacementSpec and len(_VALID_HOSTS) < 16384:
            try:
                _VALID_HOSTS.add(self)
            except TypeError:  # a part that is not a string (the checks took it)
                pass

    def _validate(self) -> None:
        assert_valid_host(self.hostname)
        network = self.network
        networks = network.split(',') if ',' in network else ([network] if network else [])
        for net in networks:
            addr = net.strip('[]')
            if addr.startswith('v'):
                # versioned address: strip the 'v2:' prefix and the ':port' suffix
                addr = addr.split(':', 1)[1] if ':' in addr else addr
                addr = addr.rsplit(':', 1)[0]
            try:
                if '/' in addr:
                    ip_network(addr)
                else:
                    ip_address(unwrap_ipv6(addr))
            except ValueError as e:
                why = 'has host bits set' if 'host bits' in str(e) else 'not an IP or CIDR'
                raise SpecValidationError(
                    f'Invalid network {_quote(net)} for host {_quote(self.hostname)} in the '
                    f'placement ({why}): expected host[:IP or CIDR][=name]') from None


def _quote(text: str, limit: int = 64) -> str:
    """A user-given word in an error, cut to ``limit`` characters."""
    if len(text) > limit:
        text = text[:limit] + f'... ({len(text)} chars)'
    return repr(text)


@functools.lru_cache(maxsize=1024)
def _compiled_fnmatch(pattern: str) -> 're.Pattern[str]':
    """``fnmatch.translate`` is pure Python (~4 us); a cluster has a handful of patterns."""
    return re.compile(fnmatch.translate(pattern))


@functools.lru_cache(maxsize=16384)
def _parse_host(host: str, require_network: bool) -> HostPlacementSpec:
    return HostPlacementSpec._parse(host, require_network)


#: hosts of placements found valid (immutable, and the checks are a pure function of the
#: three strings; the network part costs an ``ipaddress`` parse each time otherwise)
_VALID_HOSTS: Set[HostPlacementSpec] = set()


def _known_valid(host: Any) -> bool:
    try:
        return host.__class__ is HostPlacementSpec and host in _VALID_HOSTS
    except TypeError:  # unhashable parts: the checks say what is wrong
        return False


def _no_pattern() -> 'HostPattern':
    """``HostPattern()``: no pattern (a fresh one each time: a placement's own)."""
    pattern = _new_instance(HostPattern)
    pattern.pattern = None
    pattern.pattern_type = PatternType.fnmatch
    pattern.compiled_regex = None
    return pattern


def _placement_words(arg: Optional[str]) -> List[str]:
    """The words of a ``--placement`` string: split at spaces, else at semicolons, else at
    commas (except inside address vectors, ``[v2:..,v1:..]``)."""
    if arg is None or not arg:
        return []
    if not isinstance(arg, str):
        raise SpecValidationError('invalid placement %s' % arg)
    if ' ' in arg:
        return arg.split(' ')
    if ';' in arg:
        return arg.split(';')
    if ',' in arg and '[' not in arg:
        return arg.split(',')
    return [arg]


def _pop_prefixed_int(words: List[str], prefix: str) -> Optional[int]:
    """The number of the first ``<prefix><int>`` word, taken out of ``words``; None if none."""
    for word in words:
        if word.startswith(prefix):
            try:
                value = int(word[len(prefix):])
            except ValueError:
                continue
            words.remove(word)
            return value
    return None


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
                self.compiled_regex = _compiled_fnmatch(self.pattern)

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
        self._set(label, hosts, count, count_per_host, host_pattern)

    def _set(self, label: Optional[str], hosts: Union[List[str], List[HostPlacementSpec], None],
             count: Optional[int], count_per_host: Optional[int],
             host_pattern: HostPatternType) -> None:
        self.label = label
        self.hosts: List[HostPlacementSpec] = []
        if hosts:
            self.set_hosts(hosts)
        self.count = count
        self.count_per_host = count_per_host
        #: fnmatch patterns to select hosts. Can also be a single host.
        self.host_pattern: HostPattern = (_no_pattern() if host_pattern is None
                                          else HostPattern.to_host_pattern(host_pattern))
        self.validate()

    @classmethod
    def _new(cls, label: Optional[str], hosts: Union[List[str], List[HostPlacementSpec], None],
             count: Optional[int], count_per_host: Optional[int],
             host_pattern: HostPatternType) -> 'PlacementSpec':
        """``PlacementSpec(label, hosts, count, count_per_host, host_pattern)`` without
        binding keyword arguments (the parsers build thousands)."""
        ps = object.__new__(cls)
        ps._set(label, hosts, count, count_per_host, host_pattern)
        return ps

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
    def from_json(cls, data: dict) -> 'PlacementSpec':
        # handle_type_error, inline (one call less per spec)
        try:
            if cls is PlacementSpec and data.__class__ is dict and \
                    _SIMPLE_PLACEMENT.issuperset(data):
                # what cls(**data) does (see _set), without binding keyword arguments
                ps = _new_instance(cls)
                ps.label = data.get('label')
                ps.hosts = []
                ps.count = data.get('count')
                ps.count_per_host = data.get('count_per_host')
                pattern = data.get('host_pattern')
                ps.host_pattern = _no_pattern() if pattern is None else \
                    HostPattern.to_host_pattern(pattern)
                ps.validate()
                return ps
            c = data.copy()
            hosts = c.get('hosts', [])
            if isinstance(hosts, str):
                # Ceph would split the string into one "host" per character
                raise SpecValidationError(f'hosts must be a list of host names. Got "{hosts}"')
            if hosts:
                c['hosts'] = [HostPlacementSpec.from_json(h) for h in hosts]
            return cls(**c)  # __init__ validates
        except (TypeError, AttributeError) as e:
            raise SpecValidationError(type_error_text(cls, e)) from None

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
        pattern = self.host_pattern
        if pattern.pattern if pattern.__class__ is HostPattern else pattern:
            r['host_pattern'] = pattern.to_json()
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
        hosts = self.hosts
        label = self.label
        if hosts and label:
            raise SpecValidationError('Host and label are mutually exclusive')
        if label is not None and not (label.__class__ is str and label in KNOWN_GOOD_LABELS):
            assert_valid_label(label)
        count = self.count
        if count is not None and (count.__class__ is not int or count < 1):
            self._check_int(count, 'num/count')
        if self.count_per_host is not None:
            self._validate_count_per_host()
        if hosts:
            if self.host_pattern:
                raise SpecValidationError('cannot combine host patterns and hosts')
            for h in hosts:
                if not _known_valid(h):
                    h.validate()

    def _validate_count_per_host(self) -> None:
        self._check_int(self.count_per_host, 'count-per-host')
        if not (self.label or self.hosts or self.host_pattern):
            raise SpecValidationError(
                'count-per-host must be combined with label or hosts or host_pattern')
        if self.count is not None:
            raise SpecValidationError('cannot combine count and count-per-host')
        if self.hosts and any(hs.network or hs.name for hs in self.hosts):
            raise SpecValidationError(
                'count-per-host cannot be combined explicit placement with names or networks')

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
        strings = _placement_words(arg)
        count = None
        count_per_host = None
        if strings:
            first = strings[0].strip()
            # int() fails (slowly, raising) on anything not starting with a sign or a digit
            if first and (first[0] in '+-' or first[0].isdigit()):
                try:
                    count = int(strings[0])
                    strings = strings[1:]
                except ValueError:
                    pass
        if strings and 'count' in arg:  # type: ignore[operator]
            value = _pop_prefixed_int(strings, 'count:')
            if value is not None:
                count = value
            count_per_host = _pop_prefixed_int(strings, 'count-per-host:')

        advanced_hostspecs = [h for h in strings
                              if (':' in h or '=' in h or _PATTERN_CHARS.isdisjoint(h))
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

        return PlacementSpec._new(label, advanced_hostspecs, count, count_per_host, host_pattern)
