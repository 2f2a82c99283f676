"""Checks shared by the spec classes, with Ceph's error messages.

Pure functions of their arguments: no DNS, no I/O, so parsing a spec file never waits on the
network.
"""
from __future__ import annotations

import re
from functools import wraps
from ipaddress import ip_address
from typing import Any, Callable, List, Optional, Tuple, TypeVar, cast

from ceph_orch_cli.deployment.hostspec import SpecValidationError

FuncT = TypeVar('FuncT', bound=Callable)


def handle_type_error(method: FuncT) -> FuncT:
    """Turn a wrong-shaped document (unknown key, list where a dict belongs) into a
    ``SpecValidationError`` naming the class, as Ceph does."""
    @wraps(method)
    def inner(cls: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(cls, *args, **kwargs)
        except (TypeError, AttributeError) as e:
            raise SpecValidationError(type_error_text(cls, e)) from None
    return cast(FuncT, inner)


#: fields of older releases' specs that later releases spell differently
RENAMED_FIELDS = {'ssl_certificate': 'ssl_cert', 'ssl_certificate_key': 'ssl_key'}

_UNEXPECTED = re.compile(r"unexpected keyword argument '([^']*)'")


def type_error_text(cls: Any, e: BaseException) -> str:
    """An unknown field named as the spec's error, not as Python's ``__init__()``."""
    name = getattr(cls, '__name__', str(cls))
    m = _UNEXPECTED.search(str(e))
    if m is None:
        return '{}: {}'.format(name, e)
    field = m.group(1)
    shown = field if len(field) <= 64 else field[:64] + '...'
    if field in RENAMED_FIELDS:
        return (f'{name}: field {shown!r} is now spelled {RENAMED_FIELDS[field]!r}: rename it '
                'in the spec')
    return f'{name}: unknown field {shown!r}'



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
