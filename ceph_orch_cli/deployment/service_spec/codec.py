"""``SpecCodec``: one kind of spec (its class and service type) built without the long way.

``ServiceSpec.__init__`` sets the same attributes, in the same order, for every spec of one
class and type; of its arguments most are stored as given (``unmanaged``, a type's own
fields), dropped (the TLS block of a type without one, ``count``) or stored as ``value or
[]`` (``networks``, ``targets``).  A codec runs ``__init__`` once, with no arguments, keeps
the attribute dict it built as a template, and from then on builds a spec of its kind as a
copy of the template (each mutable default a fresh copy) with the given values stored in
it, and reads a document in one pass over its keys, each looked up in a table of what to
do with it.

Anything else (``config``, container arguments, custom configs, a key the type does not
take, a class that builds itself differently) is left to the long way, which gives the same
spec or raises the error it always raised: ``build`` returns None, ``fill`` is not called.
The codecs live in ``base._TEMPLATES`` so that the tests can turn them all off and compare.
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, Optional, Tuple

from ceph_orch_cli.deployment.service_spec.placement import PlacementSpec

if TYPE_CHECKING:
    from ceph_orch_cli.deployment.service_spec.base import ServiceSpec

# What to do with a key of a document or an argument of the constructor.
_STORE = 1       # the attribute of that name is the value
_LIST = 2        # the attribute is ``value or []`` (``networks``, ``targets``)
_DROP = 3        # accepted and not kept
_TYPE = 4        # ``service_type``: the codec was chosen by it
_ID = 5          # ``service_id``
_PLACEMENT = 6   # ``PlacementSpec.from_json``
_SPEC = 7        # the new style's ``spec:`` block, read with the inner table

#: ``ServiceSpec.__init__``'s arguments that are stored as given, or ``or []``
_STORED_BASE = frozenset({'unmanaged', 'preview_only', 'ip_addrs'})
_LIST_BASE = frozenset({'networks', 'targets'})
#: stored only for the types with a TLS block (``REQUIRES_CERTIFICATES``)
_CERT_BASE = frozenset({'ssl', 'certificate_source', 'ssl_cert', 'ssl_key', 'ssl_ca_cert',
                        'custom_sans'})
#: every argument of ``ServiceSpec.__init__`` past the first three (a plain spec's ``_BASE``)
_ALL_BASE = frozenset({'count', 'config', 'unmanaged', 'preview_only', 'networks', 'targets',
                       'extra_container_args', 'extra_entrypoint_args', 'custom_configs',
                       'termination_grace_period_seconds', 'ip_addrs'}) | _CERT_BASE

_new_instance = object.__new__


class SpecCodec:
    """The template and the key tables of one (class, service type)."""

    __slots__ = ('cls', 'service_type', 'template', 'fresh', 'base_actions', 'top', 'inner',
                 'own', 'accepts_id', 'keeps_id', 'derives_id', 'post_init')

    def __init__(self, cls: type, service_type: str, template: Dict[str, Any],
                 base_names: FrozenSet[str], own: FrozenSet[str], ignored: FrozenSet[str],
                 has_certificates: bool, keeps_id: bool, accepts_id: bool,
                 derives_id: bool, post_init: bool) -> None:
        self.cls = cls
        self.service_type = service_type
        self.template = template
        #: the mutable defaults: (name, value to copy) - no instance shares one
        self.fresh: Tuple[Tuple[str, Any], ...] = tuple(
            (n, v) for n, v in template.items() if isinstance(v, (list, dict, set)))
        self.base_actions = _base_actions(base_names, has_certificates)
        inner: Dict[str, int] = dict(self.base_actions)
        for name in ignored:
            inner.setdefault(name, _DROP)
        for name in own:
            inner.setdefault(name, _STORE)
        #: keys under ``spec:`` (a placement, type or id there is an argument of that name:
        #: the long way says what it says about it)
        self.inner = inner
        self.top = dict(inner, service_type=_TYPE, service_id=_ID, placement=_PLACEMENT,
                        spec=_SPEC)
        self.own = own
        self.accepts_id = accepts_id
        self.keeps_id = keeps_id
        self.derives_id = derives_id
        self.post_init = post_init

    def takes(self, base: Dict[str, Any]) -> bool:
        """Whether ``fill`` can store these constructor arguments."""
        return self.base_actions.keys() >= base.keys()

    def _fields(self) -> Dict[str, Any]:
        fields = self.template.copy()
        for name, default in self.fresh:
            fields[name] = copy.deepcopy(default) if default else type(default)()
        return fields

    def fill(self, spec: 'ServiceSpec', service_id: Optional[str],
             placement: Optional[PlacementSpec], base: Dict[str, Any]) -> None:
        """Set what ``ServiceSpec.__init__(spec, type, service_id, placement, **base)``
        and the type's field defaults set (``takes(base)`` is true)."""
        fields = self._fields()
        fields['placement'] = PlacementSpec() if placement is None else placement
        if service_id is not None and self.keeps_id:
            fields['service_id'] = service_id
        actions = self.base_actions
        for name, value in base.items():
            action = actions[name]
            if action == _STORE:
                fields[name] = value
            elif action != _DROP:
                fields[name] = value or []
        own = spec.__dict__
        if own:
            own.update(fields)  # a subclass set something first: keep it, as __init__ does
        else:
            spec.__dict__ = fields

    def build(self, doc: Dict[str, Any]) -> Optional['ServiceSpec']:
        """The spec ``cls._from_json_impl(doc)`` builds, before it validates; None for a
        document the long way has to read (it gives the same spec or error)."""
        fields = self.template.copy()
        for name, default in self.fresh:  # _fields(), inline: once per spec read
            fields[name] = copy.deepcopy(default) if default else type(default)()
        top = self.top
        service_id = placement = None
        for key, value in doc.items():
            action = top.get(key)
            if action == _STORE:
                fields[key] = value
            elif action == _PLACEMENT:
                placement = PlacementSpec.from_json(value)
            elif action == _ID:
                service_id = value
            elif action == _SPEC:
                if value.__class__ is not dict or not self._read_spec(fields, value):
                    return None
            elif action == _TYPE or action == _DROP:
                continue
            elif action == _LIST:
                fields[key] = value or []
            else:
                return None
        return self._finish(fields, service_id, placement, doc)

    def _read_spec(self, fields: Dict[str, Any], block: Dict[str, Any]) -> bool:
        inner = self.inner
        for key, value in block.items():
            action = inner.get(key)
            if action == _STORE:
                fields[key] = value
            elif action == _DROP:
                continue
            elif action == _LIST:
                fields[key] = value or []
            else:
                return False
        return True

    def _finish(self, fields: Dict[str, Any], service_id: Any,
                placement: Optional[PlacementSpec], doc: Dict[str, Any]
                ) -> Optional['ServiceSpec']:
        if service_id is not None and not self.accepts_id:
            return None  # the long way raises the constructor's error
        spec: Any = _new_instance(self.cls)
        if self.derives_id:
            service_id = spec._derive_service_id(service_id, _given_own(doc, self.own))
        fields['placement'] = PlacementSpec() if placement is None else placement
        if self.keeps_id:
            fields['service_id'] = service_id
        spec.__dict__ = fields
        if self.post_init:
            spec._post_init()
        return spec


def _given_own(doc: Dict[str, Any], own: FrozenSet[str]) -> Dict[str, Any]:
    """The type's own fields a document gives, the later of two spellings winning (the
    ``spec:`` block counts where it stands among the top-level keys)."""
    given: Dict[str, Any] = {}
    for key, value in doc.items():
        if key == 'spec':
            given.update((k, v) for k, v in value.items() if k in own)
        elif key in own:
            given[key] = value
    return given


def _base_actions(base_names: FrozenSet[str], has_certificates: bool) -> Dict[str, int]:
    actions = {}
    for name in base_names:
        if name in _STORED_BASE:
            actions[name] = _STORE
        elif name in _LIST_BASE:
            actions[name] = _LIST
        elif name in _CERT_BASE:
            actions[name] = _STORE if has_certificates else _DROP
        elif name == 'count':
            actions[name] = _DROP
    return actions


def make_codec(cls: type, service_type: str) -> Any:
    """The codec of ``cls(service_type=...)`` (exactly that class), or False for a kind
    that builds itself some other way or that ``__init__`` refuses."""
    # imported here: both import this module
    from ceph_orch_cli.deployment.hostspec import SpecValidationError
    from ceph_orch_cli.deployment.service_spec.base import _ID_TYPES, ServiceSpec
    from ceph_orch_cli.deployment.service_spec.fields import _FieldSpec

    if service_type == 'osd' or cls.__new__ is not ServiceSpec.__new__ or \
            getattr(cls, '_init_base', None) is not ServiceSpec._init_base:
        return False
    kind: Any = cls  # its fields and flags are read below
    has_certificates = service_type in kind.REQUIRES_CERTIFICATES
    keeps_id = service_type in _ID_TYPES
    template: Any = _new_instance(cls)
    try:
        if kind.__init__ is ServiceSpec.__init__:
            ServiceSpec.__init__(template, service_type)
            return SpecCodec(cls, service_type, dict(template.__dict__), _ALL_BASE,
                             frozenset(), frozenset(), has_certificates, keeps_id,
                             accepts_id=True, derives_id=False, post_init=False)
        if kind.__init__ is not _FieldSpec.__init__ or service_type not in kind._TYPES:
            return False
        ServiceSpec.__init__(template, service_type, **kind._BASE_DEFAULTS)
    except (SpecValidationError, TypeError):
        return False
    fields = template.__dict__
    fields.update(kind._FIELDS)
    base_names = kind._BASE - {'placement'}
    own = frozenset(kind._FIELDS) - base_names
    return SpecCodec(cls, service_type, dict(fields), base_names, own,
                     kind._IGNORED - base_names - own, has_certificates, keeps_id,
                     accepts_id=kind._ACCEPTS_ID,
                     derives_id=kind._derive_service_id is not _FieldSpec._derive_service_id,
                     post_init=kind._post_init is not _FieldSpec._post_init)
