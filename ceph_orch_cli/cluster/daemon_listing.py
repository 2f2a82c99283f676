"""A cached daemon stored as the text ``orch ps --format json`` prints for it.

Why: listing 100,000 daemons spent most of its time in ``json.loads`` of every cache row and
``json.dumps(..., sort_keys=True)`` of it again. The store therefore keeps each daemon as
``json.dumps(DaemonDescription.to_json() minus events, sort_keys=True)`` (which ``json.loads``
reads as well as any other encoding), and a listing only splices in the daemon's events,
which live in their own table and change without the daemon being rewritten.

``events`` sorts between the keys before it and the keys after it, so the text is encoded as
those two halves joined, and the offset of the join is stored next to it.
"""
from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii
from typing import Any, Dict, Optional, Sequence, Tuple

#: ``json.dumps(..., sort_keys=True)``, Ceph's ``--format json`` encoding, minus the cycle check
_dumps = json.JSONEncoder(check_circular=False, sort_keys=True).encode
#: compact: the fields kept for redeploys are never printed
_dumps_compact = json.JSONEncoder(check_circular=False, separators=(",", ":")).encode

#: cache fields that redeploys need but ``DaemonDescription.to_json()`` does not show
EXTRA_FIELDS = ("extra_container_args", "extra_entrypoint_args")

_Shape = Tuple[Tuple[str, ...], Tuple[str, ...], Tuple[str, ...]]
#: a row's keys -> (sorted keys before "events", sorted keys after it, extra fields): the
#: daemon cache has a handful of shapes, and an apply encodes 100,000 rows
_shapes: Dict[Tuple[str, ...], _Shape] = {}


def _shape(keys: Tuple[str, ...]) -> _Shape:
    shape = _shapes.get(keys)
    if shape is None:
        shown = sorted(k for k in keys if k not in EXTRA_FIELDS and k != "events")
        shape = (tuple(k for k in shown if k < "events"), tuple(k for k in shown if k > "events"),
                 tuple(k for k in keys if k in EXTRA_FIELDS))
        if len(_shapes) < 1024:
            _shapes[keys] = shape
    return shape


def encode(daemon: Dict[str, Any]) -> Tuple[str, Optional[str], int]:
    """``(listing text, extra fields as JSON or None, events offset)`` of one cache row."""
    before, after, extra = _shape(tuple(daemon))
    front = _dumps({k: daemon[k] for k in before})[:-1]  # '{"a": 1' (or '{')
    back = _dumps({k: daemon[k] for k in after})[1:]     # '"z": 2}' (or '}')
    text = front + ", " + back if len(front) > 1 and len(back) > 1 else front + back
    extra_text = _dumps_compact({k: daemon[k] for k in extra}) if extra else None
    return text, extra_text, len(front)


def decode(text: str, extra: Optional[str]) -> Dict[str, Any]:
    """The cache row ``encode`` was given (events aside)."""
    daemon: Dict[str, Any] = json.loads(text)
    if extra:
        daemon.update(json.loads(extra))
    return daemon


def listed(text: str, events_at: Optional[int], lines: Sequence[str]) -> str:
    """What ``orch ps --format json`` prints for a stored row and its event lines."""
    if events_at is None:
        return reencode(text, lines)
    return with_events(text, events_at, lines)


def with_events(text: str, events_at: int, lines: Sequence[str]) -> str:
    """The listing text with ``"events": [<lines>]`` in its sorted place, exactly as
    ``json.dumps(..., sort_keys=True)`` of the row with its events would print it."""
    if not lines:
        return text
    item = '"events": [' + ", ".join(map(encode_basestring_ascii, lines)) + "]"
    if events_at > 1:  # keys before: '{..."a": 1' + ', "events": [...]' + (', "z": 2}' or '}')
        return text[:events_at] + ", " + item + text[events_at:]
    rest = text[1:]
    return "{" + item + (", " + rest if rest != "}" else rest)


def reencode(text: str, lines: Sequence[str]) -> str:
    """The listing text of a row stored before the listing encoding (any JSON encoding, the
    extra fields inline)."""
    daemon = json.loads(text)
    for key in (*EXTRA_FIELDS, "events"):
        daemon.pop(key, None)
    if lines:
        daemon["events"] = list(lines)
    return _dumps(daemon)
