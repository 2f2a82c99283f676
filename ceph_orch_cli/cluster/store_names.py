"""Names in the state database for shell completion: hosts, labels, services, daemons, OSD
ids, device paths, tuned profiles.

The store's schema stays in `cluster/` (the CLI never writes SQL), but a TAB press must
not pay for opening a `Store`: that imports the engine's interface types (some 30 ms),
takes a read-write connection, switches the file to WAL and may migrate it. So this module
is stdlib-only and reads the file as it is: read-only (``mode=ro``), never creating it or
its tables, giving up on a lock after half a second. Any failure answers with no names:
completion must never fail a shell.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import List

#: the database file in the state dir (`store.py` takes it from here)
DB_NAME = "orch.db"

_HOSTS = "SELECT hostname FROM hosts"
_SERVICES = "SELECT service_name FROM specs WHERE deleted IS NULL"
_DAEMONS = "SELECT daemon_name FROM daemons"
_OSD_IDS = "SELECT daemon_id FROM daemons WHERE daemon_type = 'osd'"
_LABELS = ("SELECT DISTINCT l.value FROM hosts, json_each(hosts.spec, '$.labels') AS l"
           " WHERE json_valid(hosts.spec)")
_DEVICE_PATHS = ("SELECT DISTINCT json_extract(d.value, '$.path') FROM devices,"
                 " json_each(devices.inventory) AS d"
                 " WHERE json_valid(devices.inventory) AND (?1 = '' OR devices.hostname = ?1)")
_TUNED_PROFILES = "SELECT profile_name FROM tuned_profiles"


def _names(state_dir: Path, sql: str, *params: str) -> List[str]:
    """The sorted distinct values of the first column of ``sql``; [] on any failure."""
    path = Path(state_dir) / DB_NAME
    if not path.exists():
        return []
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.5)
        try:
            rows = conn.execute(sql, params).fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        # a locked database or a missing table offers nothing
        return []
    return sorted({str(r[0]) for r in rows if r[0] is not None})


def hostnames(state_dir: Path) -> List[str]:
    """Every host added (`orch host ls`)."""
    return _names(state_dir, _HOSTS)


def service_names(state_dir: Path) -> List[str]:
    """Every service with a spec that is not being deleted (`orch ls`)."""
    return _names(state_dir, _SERVICES)


def daemon_names(state_dir: Path) -> List[str]:
    """Every cached daemon (`orch ps`), as ``<type>.<id>``."""
    return _names(state_dir, _DAEMONS)


def osd_ids(state_dir: Path) -> List[str]:
    """The ids of the cached OSD daemons."""
    return _names(state_dir, _OSD_IDS)


def labels(state_dir: Path) -> List[str]:
    """Every label on some host (`orch host label rm`, `label:` placements)."""
    return _names(state_dir, _LABELS)


def device_paths(state_dir: Path, hostname: str = "") -> List[str]:
    """The device paths of the last inventory: of ``hostname``, or of every host."""
    return _names(state_dir, _DEVICE_PATHS, hostname)


def tuned_profiles(state_dir: Path) -> List[str]:
    """Every tuned profile (`orch tuned-profile ls`)."""
    return _names(state_dir, _TUNED_PROFILES)
