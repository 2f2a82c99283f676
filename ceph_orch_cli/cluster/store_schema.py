"""The state database's schema and row types, and the base its record layers build on.

The store is split by job: this module (the schema, its migrations, the row types), the
intent (``store_intent``: settings, hosts, specs), the caches of what hosts reported
(``store_cache``: daemons, devices, facts, events), the workflows' state
(``store_workflows``: OSD removal queue, upgrade state, tuned profiles) and, in ``store``,
the connection with its transactions, which ``Store`` adds on top of the layers.
"""
from __future__ import annotations

import datetime
import errno
import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ContextManager, Dict, List, Optional, Sequence, Tuple

from ceph_orch_cli.orchestrator.errors import OrchestratorError

# Each entry upgrades the schema from version i to i+1; never edit a released entry,
# append a new one instead. (store_names.py reads hosts, specs and daemons for completion.)
MIGRATIONS: List[Sequence[str]] = [
    (
        "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        # status: '' or 'maintenance' (intent); offline_reason: set while unreachable
        "CREATE TABLE hosts (hostname TEXT PRIMARY KEY, seq INTEGER NOT NULL, spec TEXT NOT NULL,"
        " offline_reason TEXT, last_check TEXT)",
        "CREATE INDEX hosts_seq ON hosts (seq)",
        "CREATE TABLE specs (service_name TEXT PRIMARY KEY, service_type TEXT NOT NULL,"
        " spec TEXT NOT NULL, created TEXT NOT NULL, deleted TEXT, unmanaged INTEGER NOT NULL"
        " DEFAULT 0, rank_map TEXT)",
        "CREATE TABLE daemons (daemon_name TEXT PRIMARY KEY, hostname TEXT NOT NULL,"
        " service_name TEXT NOT NULL, daemon_type TEXT NOT NULL, daemon_id TEXT NOT NULL,"
        " data TEXT NOT NULL)",
        "CREATE INDEX daemons_host ON daemons (hostname)",
        "CREATE INDEX daemons_service ON daemons (service_name)",
        "CREATE INDEX daemons_type ON daemons (daemon_type)",
        "CREATE TABLE daemon_refresh (hostname TEXT PRIMARY KEY, last_refresh TEXT NOT NULL)",
        "CREATE TABLE devices (hostname TEXT PRIMARY KEY, inventory TEXT NOT NULL,"
        " last_refresh TEXT NOT NULL)",
        "CREATE TABLE facts (hostname TEXT PRIMARY KEY, facts TEXT NOT NULL,"
        " networks TEXT NOT NULL, last_refresh TEXT NOT NULL)",
        "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL,"
        " subject TEXT NOT NULL, level TEXT NOT NULL, message TEXT NOT NULL,"
        " created TEXT NOT NULL)",
        "CREATE INDEX events_subject ON events (kind, subject)",
        # workflow state for the OSD removal and upgrade helpers (cluster/osd_removal.py,
        # cluster/upgrade.py): JSON documents in the shapes those modules choose
        "CREATE TABLE osd_removal_queue (osd_id INTEGER PRIMARY KEY, hostname TEXT NOT NULL,"
        " data TEXT NOT NULL)",
        "CREATE TABLE upgrade_state (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL)",
        "CREATE TABLE tuned_profiles (profile_name TEXT PRIMARY KEY, spec TEXT NOT NULL)",
    ),
    (
        # `orch ps --format json` prints `data` as it is (cluster/daemon_listing.py): the
        # fields kept for redeploys move to `extra`; `events_at` is where the events splice in
        # (NULL: a row written before this version, re-encoded when listed)
        "ALTER TABLE daemons ADD COLUMN extra TEXT",
        "ALTER TABLE daemons ADD COLUMN events_at INTEGER",
    ),
]
SCHEMA_VERSION = len(MIGRATIONS)


#: the key column of each table, for naming a damaged row
_KEYS = {"settings": "key", "hosts": "hostname", "specs": "service_name",
         "devices": "hostname", "facts": "hostname", "osd_removal_queue": "osd_id",
         "upgrade_state": "id", "tuned_profiles": "profile_name"}


class DamagedRow(OrchestratorError):
    """A cell of the state database that does not parse: names the row and the repair."""

    def __init__(self, path: Path, table: str, key: Any, why: str) -> None:
        column = _KEYS.get(table, "rowid")
        shown = str(key) if len(str(key)) <= 64 else str(key)[:64] + "..."
        super().__init__(
            f"Cannot use the state database {path}: row {column}={shown!r} of table "
            f"{table} is damaged ({why}); repair: sqlite3 {path} \"DELETE FROM {table} "
            f"WHERE {column} = '{shown}'\" and re-apply it, or restore a backup",
            errno=-errno.EIO)


def _cell(path: Path, text: Any, table: str, key: Any) -> Any:
    """``json.loads`` of one stored cell; a damaged cell names its row."""
    try:
        return json.loads(text)
    except (TypeError, ValueError) as e:
        raise DamagedRow(path, table, key, f"not JSON: {str(e)[:80]}") from None


def now_str() -> str:
    """UTC now in Ceph's datetime format (``2020-07-17T13:01:43.147684Z``)."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class HostRow:
    hostname: str
    spec: Dict[str, Any]
    offline_reason: Optional[str]
    last_check: Optional[str]


@dataclass
class SpecRow:
    service_name: str
    service_type: str
    spec: Dict[str, Any]
    created: str
    deleted: Optional[str]
    unmanaged: bool
    rank_map: Optional[Dict[str, Any]]


@dataclass
class EventRow:
    kind: str
    subject: str
    level: str
    message: str
    created: str


_CREATED_NAME = re.compile(r"CREATE\s+(?:UNIQUE\s+)?(?:TABLE|INDEX)\s+IF\s+NOT\s+EXISTS\s+(\w+)",
                           re.IGNORECASE)


def _created_name(statement: str) -> Optional[str]:
    """The table or index a ``CREATE ... IF NOT EXISTS`` statement makes (None: always run)."""
    found = _CREATED_NAME.search(statement)
    return found.group(1) if found else None


class StoreTables:
    """What every record layer uses of the store: the file's path, the connection (read
    under ``_lock`` on the hot paths) and ``transaction``/``query``, which ``Store`` (and a
    backend's subclass of it) implements."""

    path: Path
    _conn: sqlite3.Connection
    _lock: ContextManager[Any]

    def transaction(self) -> ContextManager[sqlite3.Connection]:
        """One atomic change (``Store.transaction``)."""
        raise NotImplementedError

    def query(self, sql: str, params: Sequence[Any] = ()) -> List[Tuple[Any, ...]]:
        """Rows of one read (``Store.query``)."""
        raise NotImplementedError
