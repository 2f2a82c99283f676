"""Custom containers: any image deployed like a Ceph daemon, with its init containers."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Dict, List, Optional

from ceph_orch_cli.deployment.hostspec import SpecValidationError
from ceph_orch_cli.deployment.service_spec.arguments import (ArgumentList, ArgumentSpec,
                                                             GeneralArgList)
from ceph_orch_cli.deployment.service_spec.fields import _FieldSpec


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
    #: the container image (required)
    image: Optional[str] = None
    entrypoint: Optional[str] = None
    uid: Optional[int] = None
    gid: Optional[int] = None
    #: host path (relative to the daemon's data dir) -> container path
    volume_mounts: Dict[str, str] = {}
    #: arguments for the container engine (``extra_container_args`` does the same)
    args: List[str] = []
    envs: List[str] = []
    privileged: bool = False
    bind_mounts: Optional[List[List[str]]] = None
    ports: List[int] = []
    dirs: List[str] = []
    #: file name -> content, written to the daemon's data dir
    files: Dict[str, Any] = {}
    init_containers: Optional[List[InitContainerSpec]] = None

    def _post_init(self) -> None:
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
