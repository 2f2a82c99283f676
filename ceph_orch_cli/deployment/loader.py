"""Multi-document YAML spec files in and out (``orch apply -i``, ``orch ls --export``).

Whatever the input, loading fails only with ``SpecValidationError`` and a one-line
message naming the source, the document number and the problem, so the CLI can print
``Error EINVAL: spec.yaml: document 2: Cannot add Service: id required``.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Tuple, Union

from ceph_orch_cli.deployment.hostspec import HostSpec, SpecValidationError

# What a malformed document can make the spec constructors raise.  Ceph lets these
# escape from from_json (ValueError from an address, KeyError, ...); the loader turns
# each into a spec error.  RecursionError covers pathologically nested documents.
_SPEC_FAILURES: Tuple[type, ...] = (SpecValidationError, TypeError, ValueError,
                                    AttributeError, LookupError, ArithmeticError,
                                    AssertionError, RecursionError)

_MAX_SHOWN = 200


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


def load_spec_documents(text: Union[str, bytes], source: str = '<stdin>'
                        ) -> List[Tuple[int, Any]]:
    """The non-empty YAML documents of ``text`` with their 1-based numbers."""
    import yaml
    loader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)
    content = _decode(text, source)
    docs: List[Tuple[int, Any]] = []
    number = 0
    try:
        for number, doc in enumerate(yaml.load_all(content, Loader=loader), start=1):
            if doc is None:
                continue
            docs.append((number, doc))
    except yaml.YAMLError as e:
        where = ''
        mark = getattr(e, 'problem_mark', None)
        if mark is not None:
            where = f' (line {mark.line + 1}, column {mark.column + 1})'
        problem = getattr(e, 'problem', None) or str(e)
        raise SpecValidationError(
            f'{source}: document {number + 1}: invalid YAML: {_one_line(problem)}{where}'
        ) from None
    except RecursionError:
        raise SpecValidationError(
            f'{source}: document {number + 1}: invalid YAML: nested too deeply') from None
    return docs


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
