"""``_FieldSpec``: the base of every service type with fields of its own.

A type declares its fields as annotated class attributes with their defaults::

    class NFSServiceSpec(_FieldSpec):
        #: the port ganesha listens on (2049 when unset)
        port: Optional[int] = None

so that type checkers and readers see them where they are declared.  ``__init_subclass__``
turns the declarations into ``_FIELDS`` (name -> default, inherited fields first) once per
class and takes the defaults off the class, so an instance has exactly the attributes it
always had and construction stays one dict update (listing 1,000 stored specs builds tens
of thousands of fields).
"""
from __future__ import annotations

from typing import Any, ClassVar, Dict, FrozenSet, Optional, Tuple

from ceph_orch_cli.deployment.hostspec import SpecValidationError
from ceph_orch_cli.deployment.service_spec.base import ServiceSpec
from ceph_orch_cli.deployment.service_spec.placement import PlacementSpec


#: The ServiceSpec arguments most types accept, and the TLS block of those that have one.
_COMMON = frozenset({'placement', 'unmanaged', 'preview_only', 'config', 'networks',
                     'extra_container_args', 'extra_entrypoint_args', 'custom_configs'})
_TLS = frozenset({'ssl', 'certificate_source', 'ssl_cert', 'ssl_key', 'custom_sans'})


def _is_class_var(annotation: Any) -> bool:
    return str(annotation).startswith(('ClassVar', 'typing.ClassVar'))


class _FieldSpec(ServiceSpec):
    """A service type with special fields, declared on the class rather than in a long
    signature.

    ``_BASE`` names the common ServiceSpec arguments the type accepts (any other key is an
    error naming the class, as Python's own "unexpected keyword argument" is in Ceph);
    ``_BASE_DEFAULTS`` their defaults where they differ from ServiceSpec's;
    ``_NOT_INHERITED`` the fields of the parent class this one does not accept.
    """

    _TYPES: ClassVar[Tuple[str, ...]] = ()
    _BASE: ClassVar[FrozenSet[str]] = _COMMON
    _BASE_DEFAULTS: ClassVar[Dict[str, Any]] = {}
    _IGNORED: ClassVar[FrozenSet[str]] = frozenset()
    _NOT_INHERITED: ClassVar[FrozenSet[str]] = frozenset()
    _ACCEPTS_ID: ClassVar[bool] = True
    #: Built from the annotations: every field and its default, inherited ones first.
    _FIELDS: ClassVar[Dict[str, Any]] = {}
    #: The fields whose defaults are lists, dicts or sets: each instance gets its own copy.
    _MUTABLE: ClassVar[Tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields = {name: default for name, default in cls._FIELDS.items()
                  if name not in cls._NOT_INHERITED}
        for name, annotation in cls.__dict__.get('__annotations__', {}).items():
            if name.startswith('_') or _is_class_var(annotation):
                continue
            if name not in cls.__dict__:
                raise TypeError(f'{cls.__name__}.{name}: a spec field needs a default')
            fields[name] = cls.__dict__[name]
            # the instance holds the value; a class attribute would answer for a missing one
            delattr(cls, name)
        cls._FIELDS = fields
        cls._MUTABLE = tuple(n for n, d in fields.items() if isinstance(d, (list, dict, set)))

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
        # The type's fields are plain attributes (only the container argument lists, base
        # fields, check what is assigned): _init_base puts every default in (each mutable
        # one a fresh copy, never shared), from a template of the whole attribute dict
        # after the first spec of a kind; then the given values.
        self._init_base(service_type, service_id, placement, base, self._FIELDS)
        fields = self.__dict__
        fields.update(own)
        self._post_init()

    def _derive_service_id(self, service_id: Optional[str], own: Dict[str, Any]
                           ) -> Optional[str]:
        return service_id

    def _post_init(self) -> None:
        """Hook for defaults that depend on other fields."""
