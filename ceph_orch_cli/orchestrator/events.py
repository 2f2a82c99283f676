"""Events: the short, user-facing history attached to a service or daemon (like K8s events)."""
from __future__ import annotations

import datetime
import re
from contextlib import contextmanager
from typing import Any, Dict, Iterator, Union

from .errors import OrchestratorError, OrchestratorValidationError
from ceph_orch_cli.timeutil import datetime_to_str, str_to_datetime

_KINDS = ('service', 'daemon')
_LEVELS = ('INFO', 'ERROR')


class OrchestratorEvent:
    """One event, serialised as a single readable line so long event lists stay scannable.

    ``to_json()`` gives ``<created> <kind>:<subject> [<level>] "<message>"``; messages may span
    lines and ``from_json`` reads them back.
    """

    INFO = 'INFO'
    ERROR = 'ERROR'
    regex_v1 = re.compile(r'^([^ ]+) ([^:]+):([^ ]+) \[([^\]]+)\] "((?:.|\n)*)"$', re.MULTILINE)

    __slots__ = ('created', 'kind', 'subject', 'level', 'message')

    def __init__(self, created: Union[str, datetime.datetime], kind: str,
                 subject: str, level: str, message: str) -> None:
        if isinstance(created, str):
            created = str_to_datetime(created)
        if kind not in _KINDS:
            raise OrchestratorValidationError(f'OrchestratorEvent: kind must be one of {list(_KINDS)}, '
                                              f'got {kind!r}')
        if level not in _LEVELS:
            raise OrchestratorValidationError(f'OrchestratorEvent: level must be one of '
                                              f'{list(_LEVELS)}, got {level!r}')
        self.created: datetime.datetime = created
        self.kind = kind
        #: a service name (``rgw.foo``) or a daemon name (``rgw.foo.host1.abcdef``)
        self.subject = subject
        self.level = level
        self.message = message

    def kind_subject(self) -> str:
        return f'{self.kind}:{self.subject}'

    def to_json(self) -> str:
        return f'{datetime_to_str(self.created)} {self.kind_subject()} [{self.level}] "{self.message}"'

    def to_dict(self) -> Dict[str, Any]:
        """The structured form Ceph's dashboard uses (subject is ``kind:subject``)."""
        return {
            'created': datetime_to_str(self.created),
            'subject': self.kind_subject(),
            'level': self.level,
            'message': self.message,
        }

    @classmethod
    def from_json(cls, data: str) -> 'OrchestratorEvent':
        match = cls.regex_v1.match(data)
        if not match:
            raise ValueError(f'Unable to match: "{data}"')
        return cls(*match.groups())

    def __eq__(self, other: Any) -> bool:
        # level is deliberately not compared, as in Ceph
        if not isinstance(other, OrchestratorEvent):
            return False
        return (self.created == other.created and self.kind == other.kind
                and self.subject == other.subject and self.message == other.message)

    def __hash__(self) -> int:
        return hash((self.created, self.kind, self.subject, self.message))

    def __repr__(self) -> str:
        return f'OrchestratorEvent.from_json({self.to_json()!r})'


@contextmanager
def set_exception_subject(kind: str, subject: str, overwrite: bool = False) -> Iterator[None]:
    """Tag OrchestratorErrors raised inside the block with the service or daemon they concern.

    The engine turns a tagged error into an ERROR event on that subject. An error already
    tagged by an inner block keeps its subject unless ``overwrite`` is set.
    """
    try:
        yield
    except OrchestratorError as e:
        if overwrite or not getattr(e, 'event_subject', None):
            e.event_subject = (kind, subject)
        raise
