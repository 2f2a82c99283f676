"""Hosts as the orchestrator knows them, mirroring Ceph's ``ceph.deployment.hostspec``.

``SpecValidationError`` lives here (as in Ceph) because every spec module, including
the host spec, raises it; the CLI maps it to ``Error EINVAL`` like a validation error.
"""
from __future__ import annotations

import errno as _errno
import functools
import re
from enum import Enum
from typing import Any, Dict, List, Optional, Set

# Compiled once: hostname validation runs for every host of a 10k-host inventory.
_HOST_COMPONENT_RE = re.compile(r'^[a-zA-Z0-9-]+$')


class SpecValidationError(Exception):
    """A spec (service, placement, host, drive group) is malformed."""

    def __init__(self, msg: str, errno: int = -_errno.EINVAL) -> None:
        super().__init__(msg)
        self.errno = errno


class SpecialHostLabels(str, Enum):
    """Labels with a meaning to the orchestrator; everything else is free-form."""

    ADMIN = '_admin'
    NO_MEMORY_AUTOTUNE = '_no_autotune_memory'
    DRAIN_DAEMONS = '_no_schedule'
    DRAIN_CONF_KEYRING = '_no_conf_keyring'

    def to_json(self) -> str:
        return self.value


@functools.lru_cache(maxsize=16384)
def _host_problem(name: str) -> Optional[str]:
    """What is wrong with a host name, or None (a pure function of the name: cached, as a
    placement's hosts are checked each time a spec is built and again when it validates)."""
    if len(name) > 250:
        return 'name is too long (max 250 chars)'
    for part in name.split('.'):
        if not part:
            return '.-delimited name component must not be empty'
        if len(part) > 63:
            return '.-delimited name component must not be more than 63 chars'
        if not _HOST_COMPONENT_RE.match(part):
            return 'name component must include only a-z, 0-9, and -'
    return None


def assert_valid_host(name: str) -> None:
    """Raise ``SpecValidationError`` unless ``name`` is a valid (DNS-like) host name."""
    if not isinstance(name, str):
        raise SpecValidationError(f'name must be a string. Got "{name}"')
    problem = _host_problem(name)
    if problem:
        raise SpecValidationError(f'{problem}. Got "{name}"')


def _shown(text: str, limit: int = 64) -> str:
    return repr(text if len(text) <= limit else text[:limit] + f'... ({len(text)} chars)')


#: longest label accepted (a label is a word in placements and listings)
LABEL_MAX = 255


#: labels found valid (a pure function of the string: every placement with a label is
#: checked when it is built and again when its spec validates); at most 4096
KNOWN_GOOD_LABELS: Set[str] = set()


def assert_valid_label(label: Any) -> None:
    """A label is one non-empty word: no whitespace or control characters."""
    if label.__class__ is str and label in KNOWN_GOOD_LABELS:
        return
    if not isinstance(label, str):
        raise SpecValidationError(f'label must be a string. Got {label!r}'[:120])
    if not label:
        raise SpecValidationError('Invalid label: a label must not be empty')
    if len(label) > LABEL_MAX:
        raise SpecValidationError(f'Invalid label {_shown(label)}: longer than {LABEL_MAX} '
                                  'characters')
    if any(c.isspace() or not c.isprintable() for c in label):
        raise SpecValidationError(f'Invalid label {_shown(label)}: a label must not contain '
                                  'spaces or control characters')
    if label.__class__ is str and len(KNOWN_GOOD_LABELS) < 4096:
        KNOWN_GOOD_LABELS.add(label)


def assert_valid_addr(addr: Any) -> None:
    """A host address is an IPv4/IPv6 address or a DNS name."""
    from ipaddress import ip_address
    if not isinstance(addr, str) or not addr:
        raise SpecValidationError(f'Invalid addr {addr!r}: expected an IP address or a DNS '
                                  'name'[:160])
    bare = addr[1:-1] if addr.startswith('[') and addr.endswith(']') else addr
    try:
        ip_address(bare)
        return
    except ValueError:
        pass
    if ':' in bare or bare.replace('.', '').isdigit() or _host_problem(bare.rstrip('.')):
        raise SpecValidationError(f'Invalid addr {_shown(addr)}: expected an IP address or a '
                                  'DNS name')


def assert_valid_oob(oob: Dict[str, str]) -> None:
    """An out-of-band management block needs at least credentials."""
    for field in ('username', 'password'):
        if field not in oob:
            # Ceph raises with the (empty) message of a bare assert here.
            raise SpecValidationError('')


def _dedup(labels: List[str]) -> List[str]:
    return list(dict.fromkeys(labels))


class HostSpec:
    """A host of the cluster: its name, address, labels and (CRUSH) location."""

    def __init__(self,
                 hostname: str,
                 addr: Optional[str] = None,
                 labels: Optional[List[str]] = None,
                 status: Optional[str] = None,
                 location: Optional[Dict[str, str]] = None,
                 oob: Optional[Dict[str, str]] = None,
                 ) -> None:
        self.service_type = 'host'
        #: the bare hostname on the host, not the FQDN
        self.hostname = hostname
        #: DNS name or IP address to reach it; the hostname when not given
        self.addr = addr or hostname
        self.labels: List[str] = labels or []
        #: human readable status ('', 'maintenance', 'offline')
        self.status = status or ''
        self.location = location
        self.oob = oob

    def validate(self) -> None:
        assert_valid_host(self.hostname)
        assert_valid_addr(self.addr)
        for label in self.labels:
            assert_valid_label(label)
        if self.oob:
            assert_valid_oob(self.oob)

    def to_json(self) -> Dict[str, Any]:
        r: Dict[str, Any] = {
            'hostname': self.hostname,
            'addr': self.addr,
            'labels': _dedup(self.labels),
            'status': self.status,
        }
        if self.location:
            r['location'] = self.location
        if self.oob:
            r['oob'] = self.oob
        return r

    @classmethod
    def from_json(cls, host_spec: dict) -> 'HostSpec':
        if not isinstance(host_spec, dict):
            raise SpecValidationError(f'Host spec must be an object. Got "{host_spec}"')
        host_spec = cls.normalize_json(host_spec)
        if 'hostname' not in host_spec:
            raise SpecValidationError('Host spec needs a "hostname" key.')
        return cls(
            host_spec['hostname'],
            host_spec.get('addr'),
            _dedup(host_spec['labels']) if 'labels' in host_spec else None,
            host_spec.get('status'),
            host_spec.get('location'),
            host_spec.get('oob'),
        )

    @staticmethod
    def normalize_json(host_spec: dict) -> dict:
        """Accept a single label as a string; reject labels/location of the wrong shape."""
        labels = host_spec.get('labels')
        if labels is not None:
            if isinstance(labels, str):
                host_spec['labels'] = [labels]
            elif not isinstance(labels, list) or any(not isinstance(v, str) for v in labels):
                raise SpecValidationError(
                    f'Labels ({labels}) must be a string or list of strings')
        loc = host_spec.get('location')
        if loc is not None:
            if (not isinstance(loc, dict)
                    or any(not isinstance(k, str) for k in loc.keys())
                    or any(not isinstance(v, str) for v in loc.values())):
                raise SpecValidationError(
                    f'Location ({loc}) must be a dictionary of strings to strings')
        return host_spec

    def __repr__(self) -> str:
        args: List[Any] = [self.hostname]
        if self.addr is not None:
            args.append(self.addr)
        if self.labels:
            args.append(self.labels)
        if self.status:
            args.append(self.status)
        if self.location:
            args.append(self.location)
        return 'HostSpec({})'.format(', '.join(map(repr, args)))

    def __str__(self) -> str:
        if self.hostname != self.addr:
            return f'{self.hostname} ({self.addr})'
        return self.hostname

    def __eq__(self, other: Any) -> bool:
        # status is left out on purpose, as in Ceph: it is still the very same host.
        if not isinstance(other, HostSpec):
            return NotImplemented
        return (self.hostname == other.hostname
                and self.addr == other.addr
                and sorted(self.labels) == sorted(other.labels)
                and self.location == other.location)

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value
