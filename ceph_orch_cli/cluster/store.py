"""The engine's state: one SQLite database (``orch.db``) in the state directory.

Why SQLite: several ``orch`` processes may run at once (operators, CI jobs, ``orch serve``),
and a ``kill -9`` may hit any of them. WAL mode plus ``BEGIN IMMEDIATE`` transactions give
each change all-or-nothing semantics and serialise writers without losing anyone's write:
a read-modify-write (e.g. adding a label to a host) happens inside one immediate
transaction, so two processes adding different labels both win.

The store is a cache of the hosts' truth (daemons, devices, facts) plus the operator's
intent (hosts, specs, settings) and the long workflows' state (OSD removal queue, upgrade).
Rows hold JSON in the shapes of Ceph's ``to_json`` so nothing here knows the spec classes.

All SQL of the engine is in the store, split by job: ``store_schema`` (schema, migrations,
row types), ``store_intent`` (settings, hosts, specs), ``store_cache`` (daemons, devices,
facts, events), ``store_workflows`` (OSD removal queue, upgrade state, tuned profiles);
this module opens the file and owns the connection and its transactions. Every name is
importable from here.
"""
from __future__ import annotations

import errno
import os
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator, List, Optional, Sequence, Tuple

from ceph_orch_cli.cluster import state_dir
from ceph_orch_cli.cluster.store_cache import EVENTS_PER_SUBJECT
from ceph_orch_cli.cluster.store_names import DB_NAME
from ceph_orch_cli.cluster.store_schema import (MIGRATIONS, SCHEMA_VERSION, DamagedRow,
                                                EventRow, HostRow, SpecRow, _created_name,
                                                now_str)
from ceph_orch_cli.cluster.store_workflows import WorkflowTables
from ceph_orch_cli.orchestrator.errors import OrchestratorError

#: milliseconds a writer waits for another process's transaction before giving up
BUSY_TIMEOUT_MS = 60_000

__all__ = ["BUSY_TIMEOUT_MS", "DB_NAME", "DamagedRow", "EVENTS_PER_SUBJECT", "EventRow",
           "HostRow", "MIGRATIONS", "SCHEMA_VERSION", "SpecRow", "Store", "now_str"]


class Store(WorkflowTables):
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
