"""The engine's state: one SQLite database (``orch.db``) in the state directory.

Why SQLite: several ``orch`` processes may run at once (operators, CI jobs, ``orch serve``),
and a ``kill -9`` may hit any of them. WAL mode plus ``BEGIN IMMEDIATE`` transactions give
each change all-or-nothing semantics and serialise writers without losing anyone's write:
a read-modify-write (e.g. adding a label to a host) happens inside one immediate
transaction, so two processes adding different labels both win.

The store is a cache of the hosts' truth (daemons, devices, facts) plus the operator's
intent (hosts, specs, settings) and the long workflows' state (OSD removal queue, upgrade).
Rows hold JSON in the shapes of Ceph's ``to_json`` so nothing here knows the spec classes.
"""
from __future__ import annotations

import datetime
import errno
import json
import os
import re
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from ceph_orch_cli.cluster import daemon_listing, state_dir
from ceph_orch_cli.cluster.store_names import DB_NAME
from ceph_orch_cli.orchestrator.errors import OrchestratorError

#: events kept per (kind, subject); cephadm keeps only the latest few as well
EVENTS_PER_SUBJECT = 5

#: milliseconds a writer waits for another process's transaction before giving up
BUSY_TIMEOUT_MS = 60_000

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

#: compact, no cycle check: the daemon cache writes one document per daemon
_dumps = json.JSONEncoder(check_circular=False, separators=(",", ":")).encode

_INSERT_DAEMON = ("INSERT OR REPLACE INTO daemons (daemon_name, hostname, service_name, "
                  "daemon_type, daemon_id, data, extra, events_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")

#: an event as ``OrchestratorEvent.to_json()`` prints it, formatted by SQLite
_EVENT_LINE = ("created || ' ' || kind || ':' || subject || ' [' || level || '] \"' || "
               "message || '\"'")


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


def _daemon_filter(hostname: Optional[str], service_name: Optional[str],
                   daemon_type: Optional[str], daemon_id: Optional[str]
                   ) -> Tuple[str, List[str]]:
    """The WHERE clause (indexed columns only) and parameters of a daemon-cache query."""
    clauses, params = [], []
    for col, value in (("hostname", hostname), ("service_name", service_name),
                       ("daemon_type", daemon_type), ("daemon_id", daemon_id)):
        if value is not None:
            clauses.append(f"{col} = ?")
            params.append(value)
    return ((" WHERE " + " AND ".join(clauses)) if clauses else ""), params

class Store:
    """The SQLite state of one cluster. Cheap to open; safe to share between threads."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = Path(state_dir)
        self.path = self.state_dir / DB_NAME
        self._lock = threading.RLock()
        self._depth = 0
        self._snapshots = 0
        self.read_only = False
        self._conn = self._open()

    # -- opening -----------------------------------------------------------------------
    def _fail(self, why: str) -> OrchestratorError:
        return OrchestratorError(f"Cannot use the state database {self.path}: {why}")

    def _open(self) -> sqlite3.Connection:
        try:
            state_dir.prepare(self.state_dir)
            state_dir.refuse_link(self.path)
        except OSError as e:
            raise self._fail(e.strerror or str(e))
        self.read_only = not state_dir.writable(self.state_dir)
        if self.read_only:
            return self._open_read_only()
        if self.path.exists():
            self._check_file()
            state_dir.tighten(self.path)
        else:
            try:
                # created empty with 0600 first, so the database never exists group-readable
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                                 | os.O_NOFOLLOW, 0o600))
            except FileExistsError:
                pass  # another process created it in the meantime
            except OSError as e:
                raise self._fail(e.strerror or str(e))
        try:
            conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000,
                                   isolation_level=None, check_same_thread=False)
        except sqlite3.Error as e:
            raise self._fail(str(e))
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # reading the header first: a garbage file fails here, before any write
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            # and refusing a foreign or newer database before switching it to WAL, which
            # rewrites the header of the user's file
            self._check_schema(conn)
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise self._fail(f"cannot switch to WAL mode (got {mode})")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._migrate(conn)
        except sqlite3.DatabaseError as e:
            conn.close()
            raise self._fail(f"not a valid orch database ({e})")
        except OrchestratorError:
            conn.close()
            raise
        return conn

    def _read_only_errno(self) -> int:
        try:
            return errno.EROFS if os.statvfs(self.state_dir).f_flag & os.ST_RDONLY \
                else errno.EACCES
        except OSError:
            return errno.EACCES

    def _read_only_error(self) -> OrchestratorError:
        return OrchestratorError(
            f"the state directory {self.state_dir} is not writable: this command changes the "
            "state (read commands still work)", errno=-self._read_only_errno())

    def _open_read_only(self) -> sqlite3.Connection:
        """A state directory this process cannot write still serves reads: the database
        opened read-only (``immutable`` when SQLite cannot create the WAL index)."""
        if not self.path.exists():
            raise OrchestratorError(
                f"the state directory {self.state_dir} is not writable and holds no "
                f"{DB_NAME} yet", errno=-self._read_only_errno())
        self._check_file()
        uri = self.path.resolve().as_uri()
        last: Optional[sqlite3.Error] = None
        for query in ("?mode=ro", "?mode=ro&immutable=1"):
            try:
                conn = sqlite3.connect(uri + query, uri=True, isolation_level=None,
                                       check_same_thread=False,
                                       timeout=BUSY_TIMEOUT_MS / 1000)
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlite3.Error as e:
                last = e
                continue
            try:
                self._check_schema(conn)
                if self._version(conn) != SCHEMA_VERSION:
                    raise self._read_only_error()
            except BaseException:
                conn.close()
                raise
            return conn
        raise self._fail(f"cannot open it read-only ({last})")

    def _check_file(self) -> None:
        """Refuse, before SQLite touches it, a file that is not a whole SQLite database.

        SQLite treats a file shorter than its 100-byte header as a new, empty database
        and would write over it; and a file cut short at a page boundary opens "fine" with
        the tail of the state missing.  An empty file is ours (created before the header
        is written).  The size check is skipped while a WAL exists: SQLite's recovery
        from it (e.g. after a crash mid-checkpoint) legitimately extends the file.
        """
        try:
            size = self.path.stat().st_size
            if size == 0 or not self.path.is_file():
                return  # a new database; a directory fails in connect with its own message
            with open(self.path, "rb") as f:
                header = f.read(100)
        except OSError as e:
            raise self._fail(e.strerror or str(e))
        if not header.startswith(b"SQLite format 3\x00"):
            raise self._fail(f"not a valid orch database (not an SQLite file; {size} bytes)")
        if len(header) < 100:
            raise self._fail(f"not a valid orch database (truncated to {size} bytes)")
        page_size = int.from_bytes(header[16:18], "big")
        page_size = 65536 if page_size == 1 else page_size
        pages = int.from_bytes(header[28:32], "big")
        header_size_valid = pages > 0 and header[24:28] == header[92:96]
        wal = self.path.with_name(self.path.name + "-wal")
        wal_has_frames = wal.exists() and wal.stat().st_size > 32
        if header_size_valid and not wal_has_frames and pages * page_size > size:
            raise self._fail(f"not a valid orch database (truncated: {size} of "
                             f"{pages * page_size} bytes)")

    def _check_schema(self, conn: sqlite3.Connection) -> None:
        """Read-only: is this an orch database this orch can use?"""
        version = self._version(conn)
        if version > SCHEMA_VERSION:
            raise self._fail(f"it was written by a newer orch (schema version {version}, "
                             f"this orch knows up to {SCHEMA_VERSION}); upgrade orch")
        if version == 0 and conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' LIMIT 1").fetchone():
            raise self._fail("it holds tables but no orch schema version")

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = self._version(conn)
        self._check_schema(conn)
        if version == SCHEMA_VERSION:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = self._version(conn)  # another process may have migrated meanwhile
            if version == 0:
                tables = conn.execute(
                    "SELECT name FROM sqlite_master WHERE type='table'").fetchall()
                if tables:
                    raise self._fail("it holds tables but no orch schema version")
                conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
                conn.execute("INSERT INTO schema_version VALUES (0)")
            for step in MIGRATIONS[version:]:
                for ddl in step:
                    conn.execute(ddl)
            conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @staticmethod
    def _version(conn: sqlite3.Connection) -> int:
        row = conn.execute("SELECT name FROM sqlite_master WHERE type='table' "
                           "AND name='schema_version'").fetchone()
        if row is None:
            return 0
        got = conn.execute("SELECT version FROM schema_version").fetchone()
        return int(got[0]) if got else 0

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- transactions ------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic change. Nested calls join the outer transaction.

        ``BEGIN IMMEDIATE`` takes the write lock up front, so a read-modify-write inside
        cannot interleave with another process's write.
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            if self.read_only:
                raise self._read_only_error()
            if self._snapshots and self._conn.in_transaction:
                self._conn.execute("COMMIT")  # a write ends the read snapshot
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as e:
                raise self._sql_failure(e) from None
            self._depth = 1
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException as e:
                self._depth = 0
                # SQLite ends the transaction itself on some errors (disk full, I/O)
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                if self._snapshots:
                    self._conn.execute("BEGIN DEFERRED")
                if isinstance(e, sqlite3.Error):
                    raise self._sql_failure(e) from None
                raise
            self._depth = 0
            if self._snapshots:
                self._conn.execute("BEGIN DEFERRED")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads that see one state: every SELECT inside is answered from one snapshot
        (a deferred read transaction; with WAL, writers are not blocked). A write inside
        ends the snapshot, commits on its own, and a new snapshot starts after it."""
        with self._lock:
            if self._depth or self._snapshots:
                self._snapshots += 1 if self._snapshots else 0
                nested = True
            else:
                nested = False
                try:
                    self._conn.execute("BEGIN DEFERRED")
                except sqlite3.Error as e:
                    raise self._sql_failure(e) from None
                self._snapshots = 1
        if nested:
            try:
                yield
            finally:
                with self._lock:
                    if self._snapshots > 1:
                        self._snapshots -= 1
            return
        try:
            yield
        finally:
            with self._lock:
                self._snapshots = 0
                if self._conn.in_transaction and not self._depth:
                    self._conn.execute("COMMIT")

    @contextmanager
    def writer(self) -> Iterator[None]:
        """Hold the right to change durable state. SQLite's own locking is enough here; a
        store whose home is elsewhere (``backends/ssh/shared_state.py``) takes that home's
        writer lock."""
        yield

    def ensure_tables(self, ddl: Iterable[str]) -> None:
        """Let a backend keep its own tables here (``CREATE ... IF NOT EXISTS`` statements).

        Only what is missing is created: a read-only command opening the backend must not
        wait for the write lock behind another process's long apply.
        """
        existing = {name for (name,) in self.query("SELECT name FROM sqlite_master")}
        missing = [s for s in ddl if _created_name(s) not in existing]
        if missing:
            with self.transaction() as c:
                for statement in missing:
                    c.execute(statement)

    def query(self, sql: str, params: Sequence[Any] = ()) -> List[Tuple[Any, ...]]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as e:
                raise self._sql_failure(e) from None

    def _sql_failure(self, e: sqlite3.Error) -> Exception:
        """What the operator can do about a failed statement, naming the database.

        Programming errors (bad SQL) stay what they are: only the conditions of the file
        itself (locked, read-only, damaged, disk full) become an ``OrchestratorError``.
        """
        text = str(e)
        if isinstance(e, sqlite3.OperationalError) and ("locked" in text or "busy" in text):
            return OrchestratorError(
                f"Cannot use the state database {self.path}: it is locked by another orch "
                f"process (gave up after {BUSY_TIMEOUT_MS / 1000:g}s); retry when it is done",
                errno=-errno.EBUSY)
        if "readonly" in text or "read-only" in text:
            return self._read_only_error()
        programming = isinstance(e, (sqlite3.ProgrammingError, sqlite3.InterfaceError,
                                     sqlite3.IntegrityError)) or \
            text.startswith("near ")  # a syntax error; "no such table" is a damaged file
        if isinstance(e, sqlite3.DatabaseError) and not programming:
            return OrchestratorError(f"Cannot use the state database {self.path}: {text}",
                                     errno=-errno.EIO)
        return e

    # -- settings ----------------------------------------------------------------------
    def get_setting(self, key: str, default: Any = None) -> Any:
        rows = self.query("SELECT value FROM settings WHERE key = ?", (key,))
        return _cell(self.path, rows[0][0], "settings", key) if rows else default

    def set_setting(self, key: str, value: Any) -> None:
        with self.transaction() as c:
            if value is None:
                c.execute("DELETE FROM settings WHERE key = ?", (key,))
            else:
                c.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)",
                          (key, json.dumps(value)))

    def setting_default(self, key: str, make: Callable[[], Any]) -> Any:
        """Read a setting, storing ``make()`` first if it is unset (e.g. the fsid).

        A set value is read without the write lock (the common case, on every command)."""
        found = self.query("SELECT value FROM settings WHERE key = ?", (key,))
        if found:
            return json.loads(found[0][0])
        with self.transaction() as c:
            row = c.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
            if row:
                return json.loads(row[0])
            value = make()
            c.execute("INSERT INTO settings VALUES (?, ?)", (key, json.dumps(value)))
            return value

    # -- hosts -------------------------------------------------------------------------
    def _host_row(self, r: Tuple[Any, ...]) -> HostRow:
        spec = _cell(self.path, r[1], "hosts", r[0])
        if not isinstance(spec, dict) or not isinstance(spec.get("hostname"), str):
            raise DamagedRow(self.path, "hosts", r[0], "not a host spec")
        return HostRow(r[0], spec, r[2], r[3])

    def get_hosts(self) -> List[HostRow]:
        rows = self.query("SELECT hostname, spec, offline_reason, last_check FROM hosts "
                          "ORDER BY seq")
        return [self._host_row(r) for r in rows]

    def get_host(self, hostname: str) -> Optional[HostRow]:
        rows = self.query("SELECT hostname, spec, offline_reason, last_check FROM hosts "
                          "WHERE hostname = ?", (hostname,))
        return self._host_row(rows[0]) if rows else None

    def put_host(self, spec: Dict[str, Any]) -> None:
        """Add a host or replace its spec, keeping its place in the listing."""
        with self.transaction() as c:
            cur = c.execute("UPDATE hosts SET spec = ? WHERE hostname = ?",
                            (json.dumps(spec), spec["hostname"]))
            if cur.rowcount == 0:
                c.execute("INSERT INTO hosts (hostname, seq, spec, offline_reason, last_check) "
                          "VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM hosts), ?, NULL,"
                          " ?)", (spec["hostname"], json.dumps(spec), now_str()))

    def update_host(self, hostname: str,
                    change: Callable[[Dict[str, Any]], Optional[Dict[str, Any]]]) -> Optional[Dict[str, Any]]:
        """Read-modify-write one host's spec atomically; ``change`` returns the new spec
        (or None to leave it as is). Returns the spec as stored, None if no such host."""
        with self.transaction() as c:
            row = c.execute("SELECT spec FROM hosts WHERE hostname = ?", (hostname,)).fetchone()
            if row is None:
                return None
            spec = _cell(self.path, row[0], "hosts", hostname)
            new = change(spec)
            if new is None:
                return spec
            c.execute("UPDATE hosts SET spec = ? WHERE hostname = ?", (json.dumps(new), hostname))
            return new

    def hosts_away(self) -> List[Tuple[str, bool]]:
        """(hostname, offline) of the hosts that are offline or in maintenance (a host in
        maintenance is not checked, so maintenance wins, as in ``host ls``), without parsing
        every host spec (``orch ps`` asks on every listing)."""
        return [(r[0], not r[1]) for r in self.query(
            "SELECT hostname, lower(json_extract(spec, '$.status')) IS 'maintenance' FROM hosts"
            " WHERE offline_reason IS NOT NULL"
            " OR lower(json_extract(spec, '$.status')) = 'maintenance'")]

    def set_host_offline(self, hostname: str, reason: Optional[str]) -> None:
        with self.transaction() as c:
            c.execute("UPDATE hosts SET offline_reason = ?, last_check = ? WHERE hostname = ?",
                      (reason, now_str(), hostname))

    def set_hosts_checked(self, results: Dict[str, Optional[str]]) -> None:
        """Record a check of many hosts at once: hostname -> offline reason or None."""
        ts = now_str()
        with self.transaction() as c:
            c.executemany("UPDATE hosts SET offline_reason = ?, last_check = ? WHERE hostname = ?",
                          [(reason, ts, h) for h, reason in results.items()])

    def remove_host(self, hostname: str) -> None:
        """Forget a host and everything cached about it."""
        with self.transaction() as c:
            for table in ("hosts", "daemons", "daemon_refresh", "devices", "facts"):
                c.execute(f"DELETE FROM {table} WHERE hostname = ?", (hostname,))

    # -- specs -------------------------------------------------------------------------
    def _spec_row(self, r: Tuple[Any, ...]) -> SpecRow:
        spec = _cell(self.path, r[2], "specs", r[0])
        if not isinstance(spec, dict):
            raise DamagedRow(self.path, "specs", r[0], "not a service spec")
        return SpecRow(r[0], r[1], spec, r[3], r[4], bool(r[5]),
                       _cell(self.path, r[6], "specs", r[0]) if r[6] else None)

    _SPEC_COLS = "service_name, service_type, spec, created, deleted, unmanaged, rank_map"

    def get_specs(self, include_deleted: bool = False) -> List[SpecRow]:
        where = "" if include_deleted else " WHERE deleted IS NULL"
        rows = self.query(f"SELECT {self._SPEC_COLS} FROM specs{where} ORDER BY service_name")
        return [self._spec_row(r) for r in rows]

    def get_spec(self, service_name: str) -> Optional[SpecRow]:
        rows = self.query(f"SELECT {self._SPEC_COLS} FROM specs WHERE service_name = ?",
                          (service_name,))
        return self._spec_row(rows[0]) if rows else None

    def put_specs(self, specs: Sequence[Dict[str, Any]], no_overwrite: bool = False) -> List[bool]:
        """Store service specs (``ServiceSpec.to_json`` dicts) in one transaction.

        A re-applied spec keeps its ``created`` time and rank map and is undeleted.
        Returns, per spec, whether it was written (False: skipped by ``no_overwrite``).
        """
        ts = now_str()
        written: List[bool] = []
        with self.transaction() as c:
            for spec in specs:
                name = spec["service_name"]
                row = c.execute("SELECT deleted FROM specs WHERE service_name = ?",
                                (name,)).fetchone()
                if row is not None and row[0] is None and no_overwrite:
                    written.append(False)
                    continue
                unmanaged = 1 if spec.get("unmanaged") else 0
                if row is None:
                    c.execute("INSERT INTO specs (service_name, service_type, spec, created,"
                              " deleted, unmanaged, rank_map) VALUES (?, ?, ?, ?, NULL, ?, NULL)",
                              (name, spec["service_type"], json.dumps(spec), ts, unmanaged))
                else:
                    c.execute("UPDATE specs SET spec = ?, deleted = NULL, unmanaged = ?,"
                              " created = CASE WHEN deleted IS NULL THEN created ELSE ? END"
                              " WHERE service_name = ?", (json.dumps(spec), unmanaged, ts, name))
                written.append(True)
        return written

    def mark_spec_deleted(self, service_name: str) -> bool:
        with self.transaction() as c:
            cur = c.execute("UPDATE specs SET deleted = ? WHERE service_name = ? AND deleted IS NULL",
                            (now_str(), service_name))
            return cur.rowcount > 0

    def purge_spec(self, service_name: str) -> None:
        with self.transaction() as c:
            c.execute("DELETE FROM specs WHERE service_name = ?", (service_name,))

    def set_rank_map(self, service_name: str, rank_map: Dict[str, Any]) -> None:
        with self.transaction() as c:
            c.execute("UPDATE specs SET rank_map = ? WHERE service_name = ?",
                      (json.dumps(rank_map), service_name))

    # -- daemon cache ------------------------------------------------------------------
    def get_daemons(self, hostname: Optional[str] = None, service_name: Optional[str] = None,
                    daemon_type: Optional[str] = None,
                    daemon_id: Optional[str] = None) -> List[Dict[str, Any]]:
        """DaemonDescription JSON dicts (plus ``last_refresh``) matching every given filter."""
        where, params = _daemon_filter(hostname, service_name, daemon_type, daemon_id)
        decode = daemon_listing.decode
        with self._lock:
            # row by row: 100,000 daemons' JSON text is never held next to the parsed dicts
            cur = self._conn.execute(f"SELECT data, extra FROM daemons{where}", params)
            return [decode(data, extra) for data, extra in cur]

    def daemons_listing_text(self, hostname: Optional[str] = None,
                             service_name: Optional[str] = None,
                             daemon_type: Optional[str] = None, daemon_id: Optional[str] = None,
                             batch: int = 2000) -> Iterator[List[str]]:
        """``json.dumps(DaemonDescription.to_json(), sort_keys=True)`` of every daemon
        matching the filters, events included, in ``orch ps`` order (type, host, id; SQLite's
        BINARY collation on UTF-8 text orders as Python orders str), a batch at a time:
        listing 100,000 daemons parses no JSON and never holds them all. The store's lock is
        held until the iteration ends: consume it at once."""
        where, params = _daemon_filter(hostname, service_name, daemon_type, daemon_id)
        listed = daemon_listing.listed
        # one row per (daemon, event), events oldest first: no query per daemon
        sql = (f"SELECT daemon_name, data, events_at, {_EVENT_LINE} FROM daemons "
               "LEFT JOIN events ON kind = 'daemon' AND subject = daemon_name"
               f"{where} ORDER BY daemon_type, hostname, daemon_id, id")
        out: List[str] = []
        name: Optional[str] = None
        text, at, lines = "", None, []  # type: Tuple[str, Optional[int], List[str]]
        with self._lock:
            for row_name, row_text, row_at, line in self._conn.execute(sql, params):
                if row_name != name:
                    if name is not None:
                        out.append(listed(text, at, lines))
                        if len(out) >= batch:
                            yield out
                            out = []
                    name, text, at, lines = row_name, row_text, row_at, []
                if line is not None:
                    lines.append(line)
            if name is not None:
                out.append(listed(text, at, lines))
            if out:
                yield out

    def get_daemons_except(self, daemon_type: str) -> List[Dict[str, Any]]:
        decode = daemon_listing.decode
        return [decode(data, extra) for data, extra in self.query(
            "SELECT data, extra FROM daemons WHERE daemon_type != ?", (daemon_type,))]

    def count_daemons_by_service_host(self, daemon_type: str) -> Dict[Tuple[str, str], int]:
        return {(r[0], r[1]): r[2] for r in self.query(
            "SELECT service_name, hostname, count(*) FROM daemons WHERE daemon_type = ? "
            "GROUP BY service_name, hostname", (daemon_type,))}

    def daemon_summary(self) -> Dict[str, Dict[str, Any]]:
        """Per service, what ``orch ls`` shows of its daemons, aggregated by SQLite instead
        of parsing every row (``orch ls`` on 100,000 daemons): ``count``, ``running``
        (status 1), ``last_refresh`` (the oldest non-empty one) and the image of the first
        daemon in table order, the one a scan of ``get_daemons()`` meets first."""
        out: Dict[str, Dict[str, Any]] = {}
        for name, count, running, refreshed in self.query(
                "SELECT service_name, COUNT(*),"
                " SUM(CASE WHEN json_extract(data, '$.status') = 1 THEN 1 ELSE 0 END),"
                " MIN(NULLIF(json_extract(data, '$.last_refresh'), ''))"
                " FROM daemons GROUP BY service_name"):
            out[name] = {"count": count, "running": running, "last_refresh": refreshed,
                         "container_image_id": None, "container_image_name": None}
        for name, image_id, image_name in self.query(
                "SELECT service_name, json_extract(data, '$.container_image_id'),"
                " json_extract(data, '$.container_image_name') FROM daemons"
                " WHERE rowid IN (SELECT MIN(rowid) FROM daemons GROUP BY service_name)"):
            out[name].update(container_image_id=image_id, container_image_name=image_name)
        return out

    def running_daemons_on_hosts(self, hostnames: Sequence[str]) -> Dict[str, int]:
        """Per service, the daemons cached as running (status 1) on these hosts."""
        marks = ",".join("?" * len(hostnames))
        return {r[0]: r[1] for r in self.query(
            "SELECT service_name, COUNT(*) FROM daemons WHERE hostname IN (%s)"
            " AND json_extract(data, '$.status') = 1 GROUP BY service_name" % marks,
            tuple(hostnames))}

    def daemon_counts(self) -> Dict[str, int]:
        return {r[0]: r[1] for r in self.query(
            "SELECT service_name, count(*) FROM daemons GROUP BY service_name")}

    @staticmethod
    def _daemon_params(hostname: str, daemons: Iterable[Dict[str, Any]]) -> List[Tuple[Any, ...]]:
        encode = daemon_listing.encode
        return [(f"{d['daemon_type']}.{d['daemon_id']}", hostname, d.get("service_name") or "",
                 d["daemon_type"], str(d["daemon_id"]), *encode(d)) for d in daemons]

    def replace_host_daemons(self, hostname: str, daemons: Sequence[Dict[str, Any]],
                             refreshed: Optional[str] = None) -> None:
        """The host's daemon list as just read from it: replaces what was cached."""
        with self.transaction() as c:
            c.execute("DELETE FROM daemons WHERE hostname = ?", (hostname,))
            c.executemany(_INSERT_DAEMON,
                          self._daemon_params(hostname, daemons))
            c.execute("INSERT OR REPLACE INTO daemon_refresh VALUES (?, ?)",
                      (hostname, refreshed or now_str()))

    def replace_daemons_of_hosts(self, daemons: Dict[str, Sequence[Dict[str, Any]]],
                                 refreshed: Optional[str] = None) -> None:
        """``replace_host_daemons`` for many hosts in a few bulk statements."""
        if not daemons:
            return
        ts = refreshed or now_str()
        params: List[Tuple[Any, ...]] = []
        for hostname, dds in daemons.items():
            params.extend(self._daemon_params(hostname, dds))
        with self.transaction() as c:
            c.executemany("DELETE FROM daemons WHERE hostname = ?", [(h,) for h in daemons])
            c.executemany(_INSERT_DAEMON, params)
            c.executemany("INSERT OR REPLACE INTO daemon_refresh VALUES (?, ?)",
                          [(h, ts) for h in daemons])

    def upsert_daemons(self, hostname: str, daemons: Sequence[Dict[str, Any]]) -> None:
        with self.transaction() as c:
            c.executemany(_INSERT_DAEMON,
                          self._daemon_params(hostname, daemons))

    def delete_daemons(self, names: Sequence[str]) -> None:
        with self.transaction() as c:
            c.executemany("DELETE FROM daemons WHERE daemon_name = ?", [(n,) for n in names])

    # -- device cache ------------------------------------------------------------------
    def get_devices(self, hostname: Optional[str] = None) -> Dict[str, Tuple[List[Dict[str, Any]], str]]:
        if hostname is None:
            rows = self.query("SELECT hostname, inventory, last_refresh FROM devices")
        else:
            rows = self.query("SELECT hostname, inventory, last_refresh FROM devices "
                              "WHERE hostname = ?", (hostname,))
        return {r[0]: (json.loads(r[1]), r[2]) for r in rows}

    def refresh_times(self, table: str) -> Dict[str, str]:
        """hostname -> last refresh of the ``devices`` or ``facts`` cache, without the data."""
        if table not in ("devices", "facts", "daemon_refresh"):
            raise ValueError(table)
        return dict(self.query(f"SELECT hostname, last_refresh FROM {table}"))

    def put_devices(self, inventories: Dict[str, List[Dict[str, Any]]]) -> str:
        """Cache inventories; returns the refresh time they were stored with."""
        ts = now_str()
        if inventories:
            with self.transaction() as c:
                c.executemany("INSERT OR REPLACE INTO devices VALUES (?, ?, ?)",
                              # compact text, no cycle check: 5,000 inventories of 24 disks
                              [(h, _dumps(inv), ts) for h, inv in inventories.items()])
        return ts

    # -- facts / networks cache --------------------------------------------------------
    def get_facts(self, hostname: Optional[str] = None) -> Dict[str, Tuple[Dict[str, Any], Dict[str, Any], str]]:
        if hostname is None:
            rows = self.query("SELECT hostname, facts, networks, last_refresh FROM facts")
        else:
            rows = self.query("SELECT hostname, facts, networks, last_refresh FROM facts "
                              "WHERE hostname = ?", (hostname,))
        return {r[0]: (json.loads(r[1]), json.loads(r[2]), r[3]) for r in rows}

    def get_networks(self) -> Dict[str, Dict[str, Any]]:
        """hostname -> cached networks, without parsing the (much larger) facts."""
        loads = json.loads
        return {h: loads(n) for h, n in self.query("SELECT hostname, networks FROM facts")}

    def put_facts(self, facts: Dict[str, Tuple[Dict[str, Any], Dict[str, Any]]]) -> None:
        ts = now_str()
        with self.transaction() as c:
            c.executemany("INSERT OR REPLACE INTO facts VALUES (?, ?, ?, ?)",
                          [(h, _dumps(f), _dumps(n), ts) for h, (f, n) in facts.items()])

    # -- events ------------------------------------------------------------------------
    def add_events(self, events: Sequence[EventRow]) -> None:
        """Record events, keeping only the newest ``EVENTS_PER_SUBJECT`` per subject."""
        if not events:
            return
        with self.transaction() as c:
            c.executemany("INSERT INTO events (kind, subject, level, message, created) "
                          "VALUES (?, ?, ?, ?, ?)",
                          [(e.kind, e.subject, e.level, e.message, e.created) for e in events])
            by_kind: Dict[str, Set[str]] = {}
            for e in events:
                by_kind.setdefault(e.kind, set()).add(e.subject)
            full: List[Tuple[str, str]] = []
            for kind, subjects in by_kind.items():
                ordered = sorted(subjects)
                for start in range(0, len(ordered), 500):
                    chunk = ordered[start:start + 500]
                    marks = ",".join("?" * len(chunk))
                    full.extend((kind, r[0]) for r in c.execute(
                        f"SELECT subject FROM events WHERE kind = ? AND subject IN ({marks}) "
                        f"GROUP BY subject HAVING count(*) > {EVENTS_PER_SUBJECT}",
                        [kind, *chunk]).fetchall())
            c.executemany("DELETE FROM events WHERE kind = ? AND subject = ? AND id NOT IN "
                          "(SELECT id FROM events WHERE kind = ? AND subject = ? "
                          f"ORDER BY id DESC LIMIT {EVENTS_PER_SUBJECT})",
                          [(k, s, k, s) for k, s in full])

    def get_events(self, kind: Optional[str] = None) -> Dict[Tuple[str, str], List[EventRow]]:
        """All events (of one kind), grouped by (kind, subject), oldest first."""
        if kind is None:
            rows = self.query("SELECT kind, subject, level, message, created FROM events "
                              "ORDER BY id")
        else:
            rows = self.query("SELECT kind, subject, level, message, created FROM events "
                              "WHERE kind = ? ORDER BY id", (kind,))
        out: Dict[Tuple[str, str], List[EventRow]] = {}
        for r in rows:
            out.setdefault((r[0], r[1]), []).append(EventRow(*r))
        return out

    def get_events_for(self, kind: str, subjects: Sequence[str]) -> Dict[Tuple[str, str], List[EventRow]]:
        """Events of these subjects only (a filtered ``orch ps`` must not read them all)."""
        out: Dict[Tuple[str, str], List[EventRow]] = {}
        subjects = list(subjects)
        for start in range(0, len(subjects), 500):
            chunk = subjects[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for r in self.query("SELECT kind, subject, level, message, created FROM events "
                                f"WHERE kind = ? AND subject IN ({marks}) ORDER BY id",
                                [kind, *chunk]):
                out.setdefault((r[0], r[1]), []).append(EventRow(*r))
        return out

    def remove_events(self, kind: str, subjects: Sequence[str]) -> None:
        with self.transaction() as c:
            c.executemany("DELETE FROM events WHERE kind = ? AND subject = ?",
                          [(kind, s) for s in subjects])

    # -- OSD removal queue (workflow: cluster/osd_removal.py) ----------------------------
    def get_osd_removal_queue(self) -> List[Dict[str, Any]]:
        return [json.loads(r[0]) for r in
                self.query("SELECT data FROM osd_removal_queue ORDER BY osd_id")]

    def put_osd_removals(self, entries: Sequence[Dict[str, Any]]) -> None:
        """Queue or update entries; each needs ``osd_id`` and ``hostname``."""
        with self.transaction() as c:
            c.executemany("INSERT OR REPLACE INTO osd_removal_queue VALUES (?, ?, ?)",
                          [(int(e["osd_id"]), e["hostname"], json.dumps(e)) for e in entries])

    def remove_osd_removals(self, osd_ids: Sequence[int]) -> None:
        with self.transaction() as c:
            c.executemany("DELETE FROM osd_removal_queue WHERE osd_id = ?",
                          [(int(i),) for i in osd_ids])

    # -- upgrade state (workflow: cluster/upgrade.py) ------------------------------------
    def get_upgrade_state(self) -> Optional[Dict[str, Any]]:
        rows = self.query("SELECT data FROM upgrade_state WHERE id = 1")
        return json.loads(rows[0][0]) if rows else None

    def put_upgrade_state(self, state: Optional[Dict[str, Any]]) -> None:
        with self.transaction() as c:
            if state is None:
                c.execute("DELETE FROM upgrade_state")
            else:
                c.execute("INSERT OR REPLACE INTO upgrade_state VALUES (1, ?)",
                          (json.dumps(state),))

    # -- tuned profiles ----------------------------------------------------------------
    def get_tuned_profiles(self) -> Dict[str, Dict[str, Any]]:
        return {r[0]: json.loads(r[1]) for r in
                self.query("SELECT profile_name, spec FROM tuned_profiles ORDER BY profile_name")}

    def put_tuned_profile(self, name: str, spec: Dict[str, Any]) -> None:
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO tuned_profiles VALUES (?, ?)",
                      (name, json.dumps(spec)))

    def remove_tuned_profile(self, name: str) -> bool:
        with self.transaction() as c:
            return c.execute("DELETE FROM tuned_profiles WHERE profile_name = ?",
                             (name,)).rowcount > 0
