"""Code written for one shape of spec (the names of its attributes, in order), once.

``to_json`` puts every set attribute that is not a top-level key under ``spec:``, sorted,
and ``validate`` checks the type of every ``port``/``*_port`` and ``*_service``/``virtual_ip``
attribute.  A loop over 20-50 attributes per spec, with a lookup per name of what kind it
is, costs more than the answer; the names depend only on the class and the type, so for
each tuple of names this module writes, with ``exec`` (as ``dataclasses`` writes
``__init__``), a function that reads exactly those attributes::

    def spec_block(fields):
        block = {}
        value = fields['port']
        if value is not None:
            if value.__class__ not in _PLAIN:
                value = _converted(value)
            if value:
                block['port'] = value
        ...

The functions are kept per tuple of names (a few dozen in a cluster; at most 512 each).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Tuple

from ceph_orch_cli.deployment.hostspec import SpecValidationError

#: the attributes ``to_json`` writes at the top level (when set) rather than under ``spec``
TOP_LEVEL = frozenset({'service_type', 'service_id', 'placement', 'unmanaged', 'networks',
                       'extra_container_args', 'extra_entrypoint_args', 'custom_configs'})
#: types of values that have no ``to_json``
PLAIN = frozenset({type(None), bool, int, float, str, list, dict})

#: an attribute dict -> its ``spec`` block
SpecBlock = Callable[[Dict[str, Any]], Dict[str, Any]]
#: an attribute dict -> None; raises for a badly typed attribute
TypeCheck = Callable[[Dict[str, Any]], None]

#: the functions per tuple of names
_BLOCKS: Dict[Tuple[str, ...], SpecBlock] = {}
_CHECKS: Dict[Tuple[str, ...], TypeCheck] = {}


def _converted(value: Any) -> Any:
    """A value as ``to_json`` writes it: its own ``to_json()`` if it has one."""
    return value.to_json() if hasattr(value, 'to_json') else value


def _compile(name: str, lines: List[str], env: Dict[str, Any]) -> Any:
    """The function ``name`` that ``lines`` define (attribute names only ever appear in
    them as ``repr()`` literals, whatever they are)."""
    namespace: Dict[str, Any] = {}
    exec(compile('\n'.join(lines), f'<spec shape: {name}>', 'exec'), dict(env), namespace)
    return namespace[name]


def spec_block(spec: Any) -> Dict[str, Any]:
    """``to_json``'s ``spec`` block before its TLS part: the set values of the attributes
    that are neither top-level nor private, sorted by name, each converted by its
    ``to_json`` if it is not plain."""
    fields = spec.__dict__
    names = tuple(fields)
    write = _BLOCKS.get(names)
    if write is None:
        write = _kept(_BLOCKS, names, _write_spec_block(names))
    return write(fields)


def check_field_types(spec: Any) -> None:
    """Raise the error of the first attribute (in attribute order) named ``port``/
    ``*_port`` that is not an integer, or ``*_service``/``virtual_ip`` that is not a string
    (None is always accepted)."""
    fields = spec.__dict__
    names = tuple(fields)
    check = _CHECKS.get(names)
    if check is None:
        check = _kept(_CHECKS, names, _write_type_check(names))
    check(fields)


def _kept(cache: Dict[Tuple[str, ...], Any], names: Tuple[str, ...], function: Any) -> Any:
    if len(cache) < 512:
        cache[names] = function
    return function


def _write_spec_block(names: Tuple[str, ...]) -> SpecBlock:
    lines = ['def spec_block(fields):', '    block = {}']
    for key in sorted(n for n in names if n not in TOP_LEVEL and not n.startswith('_')):
        lines += [f'    value = fields[{key!r}]',
                  '    if value is not None:',
                  '        if value.__class__ not in _PLAIN:',
                  '            value = _converted(value)',
                  '        if value:',
                  f'            block[{key!r}] = value']
    lines.append('    return block')
    return _compile('spec_block', lines, {'_PLAIN': PLAIN, '_converted': _converted})


def _write_type_check(names: Tuple[str, ...]) -> TypeCheck:
    lines = ['def type_check(fields):']
    for name in names:
        is_port = name == 'port' or name.endswith('_port')
        if is_port or name.endswith('_service') or name == 'virtual_ip':
            lines += [f'    value = fields[{name!r}]',
                      '    if value is not None and value.__class__ is not '
                      f'{"int" if is_port else "str"}:',
                      f'        _raise_bad({name!r}, value)']
    lines.append('    return None')
    return _compile('type_check', lines, {'_raise_bad': _raise_bad})


def _raise_bad(name: str, value: Any) -> None:
    """The error for a value not of its field's type (an int subclass other than bool, a
    str subclass, pass)."""
    if name == 'port' or name.endswith('_port'):
        if isinstance(value, bool) or not isinstance(value, int):
            raise SpecValidationError(
                f'Invalid {name}: {value!r}. Must be an integer between 1 and 65535.')
    elif not isinstance(value, str):
        raise SpecValidationError(f'Invalid {name}: {value!r}. Must be a string.')
