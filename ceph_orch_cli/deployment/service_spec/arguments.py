"""What a spec adds to a daemon's container: extra arguments and mounted config files."""
from __future__ import annotations

import enum
import os
from typing import Any, Dict, List, Optional, Union

from ceph_orch_cli.deployment.hostspec import SpecValidationError


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
