"""Multi-document YAML spec files in and out (``orch apply -i``, ``orch ls --export``).

Whatever the input, loading fails only with ``SpecValidationError`` and a one-line
message naming the source, the document number and the problem, so the CLI can print
``Error EINVAL: spec.yaml: document 2: Cannot add Service: id required``.
"""
from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Tuple, Type, Union

from ceph_orch_cli.deployment.hostspec import HostSpec, SpecValidationError

# What a malformed document can make the spec constructors raise.  Ceph lets these
# escape from from_json (ValueError from an address, KeyError, ...); the loader turns
# each into a spec error.  RecursionError covers pathologically nested documents.
_SPEC_FAILURES: Tuple[Type[BaseException], ...] = (SpecValidationError, TypeError, ValueError,
                                    AttributeError, LookupError, ArithmeticError,
                                    AssertionError, RecursionError)

_MAX_SHOWN = 200

#: the biggest spec file read: far above any real cluster's specs (a 5,000-host
#: ``host.yaml`` is about 1 MiB), small enough that a stray ``-i /dev/sda`` image fails fast
MAX_SPEC_BYTES = 32 * 1024 * 1024

#: values a file may hold once YAML aliases are expanded.  Aliases cost nothing to load
#: (they share one object), but every later step (validation, JSON for the store, export)
#: walks the expanded tree, so a "billion laughs" file would take the CLI's memory and
#: time without this cap.
MAX_EXPANDED_VALUES = 5_000_000


def _one_line(msg: str) -> str:
    text = ' '.join(str(msg).split())
    if len(text) > _MAX_SHOWN * 2:
        text = text[:_MAX_SHOWN * 2] + '...'
    return text


def _decode(text: Union[str, bytes], source: str) -> str:
    if isinstance(text, str):
        return text
    if not isinstance(text, (bytes, bytearray)):
        raise SpecValidationError(f'{source}: expected text, got {type(text).__name__}')
    try:
        return bytes(text).decode('utf-8-sig')
    except UnicodeDecodeError as e:
        raise SpecValidationError(
            f'{source}: not UTF-8 text (byte {e.start}: {e.reason})') from None


#: collections inside collections a file may nest.  Real specs nest a few levels;
#: libyaml's composer recurses in C, and a few tens of thousands of levels (``[[[[...``,
#: ``- - - - ...``: a few hundred KiB) overflow the C stack and kill the process.
MAX_NESTING = 1000

#: cheap signs that a file could nest deeply: many flow brackets, or a long run of
#: nested sequence entries / complex keys on one line.  Indentation alone cannot get
#: deep enough within MAX_SPEC_BYTES (n levels need n*n/2 bytes of indentation).
_DEEP_RUN = re.compile(r'(?:[-?][ \t]+){%d}' % (MAX_NESTING // 2))


def _check_nesting(content: str, loader: Any, source: str) -> None:
    """Measure nesting with the event parser (a loop, no recursion) before composing."""
    import yaml
    if content.count('[') + content.count('{') <= MAX_NESTING // 2 and \
            not _DEEP_RUN.search(content):
        return
    depth = 0
    number = 1
    try:
        for event in yaml.parse(content, Loader=loader):
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > MAX_NESTING:
                    raise SpecValidationError(
                        f'{source}: document {number}: nested too deeply (more than '
                        f'{MAX_NESTING} levels)')
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
            elif isinstance(event, yaml.DocumentEndEvent):
                number += 1
    except yaml.YAMLError:
        return  # loading reports it, with its position, at no greater depth than seen here


def check_size(data: bytes, source: str, limit: int = MAX_SPEC_BYTES) -> bytes:
    """``data`` if it is within ``limit``, else ``SpecValidationError`` naming ``source``.

    The caller (the CLI for ``-i``, the local backend for its fleet file) opens the file
    and reads at most ``limit + 1`` bytes, so `-i /dev/zero` cannot eat the memory; this
    package does no I/O of its own.
    """
    if len(data) > limit:
        raise SpecValidationError(f'{source}: too large (more than {limit} bytes)')
    return data


def expanded_size(doc: Any, limit: int = MAX_EXPANDED_VALUES) -> int:
    """How many values ``doc`` holds with every alias expanded (long strings count more).

    Shared sub-trees are measured once (memoised by identity), so this costs time in the
    number of distinct values, not in the expanded size.  Raises ``SpecValidationError``
    past ``limit`` or on a recursive alias (``&a [*a]``), which nothing downstream can use.
    """
    memo: Dict[int, int] = {}
    active: set = set()

    def size(value: Any) -> int:
        if isinstance(value, str):
            return 1 + len(value) // 64
        if not isinstance(value, (dict, list)):
            return 1
        key = id(value)
        if key in memo:
            return memo[key]
        if key in active:
            raise SpecValidationError('recursive YAML alias (a value that contains itself)')
        active.add(key)
        total = 1
        children = value.items() if isinstance(value, dict) else ((v, None) for v in value)
        for k, v in children:
            total += size(k) + (size(v) if isinstance(value, dict) else 0)
            if total > limit:
                raise SpecValidationError(
                    f'too large once YAML aliases are expanded (more than {limit} values)')
        active.discard(key)
        memo[key] = total
        return total

    try:
        return size(doc)
    except RecursionError:
        raise SpecValidationError('nested too deeply') from None


def yaml_problem(e: Exception) -> str:
    """A YAML parser error in one line (PyYAML's own text spans five, with a caret)."""
    where = ''
    mark = getattr(e, 'problem_mark', None)
    if mark is not None:
        where = f' (line {mark.line + 1}, column {mark.column + 1})'
    problem = getattr(e, 'problem', None) or str(e)
    return f'{_one_line(problem)}{where}'


def load_yaml_documents(text: Union[str, bytes], source: str = '<stdin>',
                        limit: int = MAX_EXPANDED_VALUES) -> List[Tuple[int, Any]]:
    """The non-empty YAML documents of any operator-supplied file, with their numbers.

    Safe against what a file can do to its reader: not UTF-8, too big, malformed, alias
    bombs, recursive aliases, deep nesting.  Every failure is one ``SpecValidationError``
    line naming ``source``.
    """
    import yaml
    loader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)
    if len(text) > MAX_SPEC_BYTES:
        raise SpecValidationError(
            f'{source}: too large (more than {MAX_SPEC_BYTES} bytes)')
    content = _decode(text, source)
    _check_nesting(content, loader, source)
    docs: List[Tuple[int, Any]] = []
    number = 0
    budget = limit
    try:
        for number, doc in enumerate(yaml.load_all(content, Loader=loader), start=1):
            if doc is None:
                continue
            try:
                budget -= expanded_size(doc, budget)
            except SpecValidationError as e:
                raise SpecValidationError(f'{source}: document {number}: {e}') from None
            docs.append((number, doc))
    except yaml.YAMLError as e:
        raise SpecValidationError(
            f'{source}: document {number + 1}: invalid YAML: {yaml_problem(e)}') from None
    except RecursionError:
        raise SpecValidationError(
            f'{source}: document {number + 1}: invalid YAML: nested too deeply') from None
    return docs


def load_spec_documents(text: Union[str, bytes], source: str = '<stdin>'
                        ) -> List[Tuple[int, Any]]:
    """The non-empty YAML documents of a spec file with their 1-based numbers."""
    return load_yaml_documents(text, source)


def spec_from_document(doc: Any) -> Any:
    """One document as a ``HostSpec`` (``service_type: host``) or a service spec."""
    from ceph_orch_cli.deployment.service_spec import ServiceSpec
    if isinstance(doc, dict) and doc.get('service_type') == 'host':
        host = HostSpec.from_json({k: v for k, v in doc.items() if k != 'service_type'})
        host.validate()
        return host
    return ServiceSpec.from_json(doc)


def load_specs(text: Union[str, bytes], source: str = '<stdin>') -> List[Any]:
    """Parse and validate every document of a spec file (service, OSD and host specs)."""
    specs = []
    for number, doc in load_spec_documents(text, source):
        try:
            specs.append(spec_from_document(doc))
        except _SPEC_FAILURES as e:
            if isinstance(e, RecursionError):
                msg = 'document nested too deeply'
            else:
                msg = _one_line(str(e)) or type(e).__name__
            raise SpecValidationError(f'{source}: document {number}: {msg}') from None
    return specs


# ------------------------------------------------------------------------------- dumping

class _TopLevel(list):
    """A document's top-level mapping, kept in ``to_json`` order (nested maps sort)."""


class _Literal(str):
    """A multi-line spec value, written as a YAML literal block."""


def _dumper() -> type:
    import yaml

    class SpecDumper(yaml.SafeDumper):
        pass

    def top(dumper: yaml.SafeDumper, data: _TopLevel) -> Any:
        return dumper.represent_mapping('tag:yaml.org,2002:map', list(data))

    def literal(dumper: yaml.SafeDumper, data: _Literal) -> Any:
        return dumper.represent_scalar('tag:yaml.org,2002:str', str(data), style='|')

    def plain_mapping(dumper: yaml.SafeDumper, data: Dict[Any, Any]) -> Any:
        return dumper.represent_dict(dict(data))

    def enum_value(dumper: yaml.SafeDumper, data: Any) -> Any:
        return dumper.represent_data(data.value)

    import enum
    from collections import OrderedDict
    SpecDumper.add_representer(_TopLevel, top)
    SpecDumper.add_representer(_Literal, literal)
    SpecDumper.add_representer(OrderedDict, plain_mapping)
    SpecDumper.add_multi_representer(enum.Enum, enum_value)
    return SpecDumper


def _document(spec: Any) -> _TopLevel:
    data = spec.to_json() if hasattr(spec, 'to_json') else spec
    if isinstance(spec, HostSpec):
        # host documents carry their type so that `orch apply -i` takes them back
        data = {'service_type': 'host', **data}
    if not isinstance(data, dict):
        raise TypeError(f'cannot export {type(spec).__name__}')
    inner = data.get('spec')
    if isinstance(inner, dict):
        inner = dict(inner)
        for key, value in inner.items():
            if isinstance(value, str) and '\n' in value:
                inner[key] = _Literal(value)
        data = dict(data)
        data['spec'] = inner
    return _TopLevel(data.items())


def dump_specs(specs: Iterable[Any]) -> str:
    """Multi-document YAML as ``ceph orch ls --export`` prints it."""
    import yaml
    docs = [_document(s) for s in specs]
    return yaml.dump_all(docs, Dumper=_dumper(), default_flow_style=False,
                         sort_keys=True, allow_unicode=True)
