"""Timestamps as Ceph writes them (``ceph.utils``): aware UTC datetimes, ``...%fZ`` strings.

Shared by the spec model (device ``created``) and the orchestrator (daemons, services, events).

Every JSON date the orchestrator emits (``last_refresh``, ``created``, event times) goes through
these helpers, so ``orch ps --format json`` carries the same strings ``ceph orch ps`` does.
"""
from __future__ import annotations

import datetime
import re

_FORMAT = '%Y-%m-%dT%H:%M:%S.%fZ'
_PARSE_FORMATS = ('%Y-%m-%dT%H:%M:%S.%f', '%Y-%m-%dT%H:%M:%S.%f%z')
# strptime's %f takes at most 6 digits; container runtimes report nanoseconds.
_SUBSECOND = re.compile(r'(\.\d{6})\d*')
# What datetime_to_str writes: read back without strptime, which is slow on 100k daemons.
_CANONICAL = re.compile(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\Z')
_UTC = datetime.timezone.utc


def datetime_now() -> datetime.datetime:
    """The current time, timezone-aware in UTC (naive datetimes never leave this package)."""
    return datetime.datetime.now(tz=datetime.timezone.utc)


def datetime_to_str(dt: datetime.datetime) -> str:
    """``2019-04-24T17:06:53.039991Z``; aware datetimes are converted to UTC first."""
    utc = dt.astimezone(tz=_UTC)
    if utc.year < 1000:  # libcs differ in padding %Y here; keep strftime's (Ceph's) answer
        return utc.strftime(_FORMAT)
    return '%04d-%02d-%02dT%02d:%02d:%02d.%06dZ' % (
        utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond)


def str_to_datetime(string: str) -> datetime.datetime:
    """Parse the ISO 8601 variants Ceph accepts; a missing zone means UTC.

    Accepted: ``...43.636153304Z``, ``...30.136257504-0600`` and ``...30.136257504``.
    Raises ValueError for anything else.
    """
    if _CANONICAL.match(string):
        return datetime.datetime.fromisoformat(string[:-1]).replace(tzinfo=_UTC)
    text = _SUBSECOND.sub(r'\1', string)
    if text.endswith('Z'):
        text = text[:-1] + '-0000'
    for fmt in _PARSE_FORMATS:
        try:
            parsed = datetime.datetime.strptime(text, fmt)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=datetime.timezone.utc)
        return parsed
    raise ValueError('Time data {} does not match one of the formats {}'.format(
        text, str(list(_PARSE_FORMATS))))
