"""A damaged, foreign, locked or half-written state directory: named, refused, never lost.

Whatever happened to ``orch.db`` (a disk that filled up and truncated it, random bytes, a
WAL and shm left behind by ``kill -9``, a database from a newer orch, another process
holding the write lock), every command either works on the state that is there or fails
with one ``Error E...`` line naming the database, and the file keeps every byte it had.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, List, Optional

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ceph_orch_cli.cli import orch as orch_group
from ceph_orch_cli.cluster import store as store_module

REPO = Path(__file__).resolve().parents[2]
DEMO_CLUSTER = REPO / 'specs' / 'demo' / 'cluster.yaml'
DEMO_FLEET = REPO / 'specs' / 'demo' / 'fleet.yaml'

#: one reader and one writer of each kind of state
COMMANDS: List[List[str]] = [
    ['ls', '--format', 'json'], ['ps', '--format', 'json'], ['host', 'ls', '--format', 'json'],
    ['ls', '--export'], ['host', 'label', 'add', 'host1', 'recovered'], ['apply', 'crash'],
]


def orch(state: Path, *args: str) -> Result:
    env: Dict[str, Optional[str]] = {'ORCH_STATE_DIR': str(state), 'ORCH_FLEET': str(DEMO_FLEET),
                                     'ORCH_BACKEND': None, 'ORCH_DEBUG': None, 'NO_COLOR': '1'}
    return CliRunner().invoke(orch_group, list(args), env=env, prog_name='orch')


def assert_names_the_database(result: Result, db: Path) -> None:
    assert result.exit_code != 0, result.stdout
    assert result.stdout == ''
    assert 'Traceback' not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith('Error E'), result.stderr
    assert str(db) in lines[0], lines[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class DemoDb:
    """The demo cluster's database as one self-contained file (WAL checkpointed in).

    A wrapper rather than the bytes themselves, so hypothesis does not print 300 KiB when
    it reports an example."""

    def __init__(self, content: bytes) -> None:
        self.content = content

    def __repr__(self) -> str:
        return f'<demo orch.db, {len(self.content)} bytes>'


@pytest.fixture(scope='module')
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoDb:
    state = tmp_path_factory.mktemp('demo')
    assert orch(state, 'apply', '-i', str(DEMO_CLUSTER)).exit_code == 0
    conn = sqlite3.connect(state / 'orch.db')
    conn.execute('PRAGMA wal_checkpoint(TRUNCATE)')
    conn.close()
    return DemoDb((state / 'orch.db').read_bytes())


@pytest.fixture
def demo_db(demo: DemoDb) -> bytes:
    return demo.content


def _state_with(tmp_path: Path, content: bytes, name: str = 'state') -> Path:
    state = tmp_path / name
    state.mkdir()
    (state / 'orch.db').write_bytes(content)
    return state


# ----------------------------------------------------------------------------- damaged files

@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fraction=st.floats(min_value=0.0, max_value=1.0, exclude_min=True, exclude_max=True))
def test_a_truncated_database_is_refused_and_kept(demo: DemoDb, tmp_path_factory:
                                                  pytest.TempPathFactory,
                                                  fraction: float) -> None:
    """Cut at any offset, even at a page boundary, the file is never silently reused."""
    cut = min(len(demo.content) - 1, max(1, int(len(demo.content) * fraction)))
    state = _state_with(tmp_path_factory.mktemp('cut'), demo.content[:cut])
    db = state / 'orch.db'
    before = digest(db)
    for args in COMMANDS:
        assert_names_the_database(orch(state, *args), db)
    assert digest(db) == before


@pytest.mark.parametrize('content', [b'\x00', os.urandom(100), os.urandom(8192),
                                     b'SQLite format 3\x00' + os.urandom(200)],
                         ids=['1 byte', '100 bytes', '8 KiB', 'sqlite header then noise'])
def test_random_bytes_are_not_a_database(tmp_path: Path, content: bytes) -> None:
    state = _state_with(tmp_path, content)
    for args in COMMANDS:
        assert_names_the_database(orch(state, *args), state / 'orch.db')
    assert (state / 'orch.db').read_bytes() == content


def test_an_empty_file_is_a_new_database(tmp_path: Path) -> None:
    """`orch` creates orch.db empty before SQLite writes its header: that is not damage."""
    state = _state_with(tmp_path, b'')
    result = orch(state, 'ls')
    assert result.exit_code == 0, result.stderr
    assert result.stdout == 'No services reported\n'


def test_a_database_from_a_newer_orch_is_refused_untouched(demo_db: bytes,
                                                           tmp_path: Path) -> None:
    state = _state_with(tmp_path, demo_db)
    db = state / 'orch.db'
    conn = sqlite3.connect(db)
    conn.execute('UPDATE schema_version SET version = 99')
    conn.commit()
    conn.close()
    before = digest(db)
    for args in COMMANDS:
        result = orch(state, *args)
        assert_names_the_database(result, db)
        assert 'newer orch' in result.stderr
    assert digest(db) == before


def test_a_database_with_its_tables_gone_is_named(demo_db: bytes, tmp_path: Path) -> None:
    """The schema says current, the tables are missing: damaged, not a crash."""
    state = _state_with(tmp_path, demo_db)
    db = state / 'orch.db'
    conn = sqlite3.connect(db)
    conn.execute('DROP TABLE specs')
    conn.commit()
    conn.close()
    result = orch(state, 'ls', '--format', 'json')
    assert_names_the_database(result, db)
    assert 'no such table' in result.stderr


def test_a_foreign_sqlite_database_is_refused(tmp_path: Path) -> None:
    state = tmp_path / 'state'
    state.mkdir()
    conn = sqlite3.connect(state / 'orch.db')
    conn.execute('CREATE TABLE photos (id INTEGER)')
    conn.commit()
    conn.close()
    before = digest(state / 'orch.db')
    assert_names_the_database(orch(state, 'host', 'add', 'host1'), state / 'orch.db')
    assert digest(state / 'orch.db') == before


def test_a_directory_where_the_database_should_be(tmp_path: Path) -> None:
    state = tmp_path / 'state'
    (state / 'orch.db').mkdir(parents=True)
    assert_names_the_database(orch(state, 'ls'), state / 'orch.db')


def test_garbage_wal_and_shm_from_a_crash_do_not_hide_the_state(demo_db: bytes,
                                                                tmp_path: Path) -> None:
    """SQLite ignores a WAL whose checksums do not match: the committed state stays visible."""
    state = _state_with(tmp_path, demo_db)
    (state / 'orch.db-wal').write_bytes(os.urandom(4096))
    (state / 'orch.db-shm').write_bytes(os.urandom(32768))
    result = orch(state, 'ls', '--format', 'json')
    assert result.exit_code == 0, result.stderr
    assert '"service_name": "mon"' in result.stdout or '"mon"' in result.stdout


KILLED_WRITER = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    from ceph_orch_cli.cluster.store import Store
    store = Store(Path(sys.argv[1]))
    store.set_setting('recovered/marker', 'committed before the kill')
    with store.transaction() as c:
        c.execute("INSERT OR REPLACE INTO settings VALUES ('recovered/lost', '1')")
        os.kill(os.getpid(), 9)
""")


def test_a_wal_left_by_kill_9_keeps_committed_work_and_drops_the_rest(tmp_path: Path) -> None:
    state = tmp_path / 'state'
    done = subprocess.run([sys.executable, '-c', KILLED_WRITER, str(state)],
                          capture_output=True, timeout=60)
    assert done.returncode == -9, done.stderr
    assert (state / 'orch.db-wal').exists()
    result = orch(state, 'ls')
    assert result.exit_code == 0, result.stderr
    store = store_module.Store(state)
    try:
        assert store.get_setting('recovered/marker') == 'committed before the kill'
        assert store.get_setting('recovered/lost') is None
    finally:
        store.close()


# ----------------------------------------------------------------------------- locks

def test_a_database_locked_by_another_process_is_named_not_a_crash(
        demo_db: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = _state_with(tmp_path, demo_db)
    db = state / 'orch.db'
    monkeypatch.setattr(store_module, 'BUSY_TIMEOUT_MS', 200)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute('PRAGMA journal_mode = WAL')
    holder.execute('BEGIN EXCLUSIVE')
    try:
        result = orch(state, 'host', 'label', 'add', 'host1', 'x')
        assert_names_the_database(result, db)
        assert 'locked by another orch process' in result.stderr
        assert result.exit_code == 16  # EBUSY
        # a reader may be served from the last commit; if it is not, it says why
        result = orch(state, 'ls')
        if result.exit_code != 0:
            assert_names_the_database(result, db)
            assert result.exit_code == 16
    finally:
        holder.execute('ROLLBACK')
        holder.close()
    assert orch(state, 'host', 'label', 'add', 'host1', 'x').exit_code == 0


def test_a_failed_write_leaves_the_store_as_it_was(demo_db: bytes, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A statement failing inside a transaction (here: the disk is full) rolls it all back."""
    state = _state_with(tmp_path, demo_db)
    store = store_module.Store(state)
    try:
        store.set_setting('kept', 1)
        with pytest.raises(store_module.OrchestratorError, match=str(state / 'orch.db')):
            with store.transaction() as c:
                c.execute("INSERT OR REPLACE INTO settings VALUES ('kept', '2')")
                raise sqlite3.OperationalError('database or disk is full')
        assert store.get_setting('kept') == 1
    finally:
        store.close()


# ----------------------------------------------------------------------------- the directory

def test_a_state_dir_that_is_a_file_is_named_and_kept(tmp_path: Path) -> None:
    blocker = tmp_path / 'state'
    blocker.write_text('not a directory\n')
    result = orch(blocker, 'host', 'ls')
    assert result.exit_code != 0
    assert result.stderr.startswith('Error ENOTDIR:') and str(blocker) in result.stderr
    assert blocker.read_text() == 'not a directory\n'


@pytest.mark.skipif(os.geteuid() == 0, reason='root ignores file permissions')
def test_an_unwritable_state_dir_is_named(tmp_path: Path) -> None:
    parent = tmp_path / 'ro'
    parent.mkdir()
    parent.chmod(0o500)
    try:
        result = orch(parent / 'state', 'host', 'ls')
        assert result.exit_code != 0
        assert str(parent / 'state') in result.stderr and 'Traceback' not in result.stderr
    finally:
        parent.chmod(0o700)


@pytest.mark.skipif(os.geteuid() == 0, reason='root ignores file permissions')
def test_a_read_only_database_still_reads_and_refuses_writes(demo_db: bytes,
                                                             tmp_path: Path) -> None:
    state = _state_with(tmp_path, demo_db)
    db = state / 'orch.db'
    db.chmod(0o400)
    state.chmod(0o500)
    try:
        before = digest(db)
        result = orch(state, 'host', 'label', 'add', 'host1', 'x')
        assert result.exit_code != 0 and 'Traceback' not in result.stderr
        assert str(db) in result.stderr
        assert digest(db) == before
    finally:
        state.chmod(0o700)
        db.chmod(0o600)


@pytest.mark.parametrize('pages', [1, 2, 10])
def test_a_database_cut_at_a_page_boundary_is_refused(demo_db: bytes, tmp_path: Path,
                                                      pages: int) -> None:
    """SQLite itself would open such a file and show a cluster with parts missing."""
    state = _state_with(tmp_path, demo_db[:4096 * pages])
    result = orch(state, 'ls', '--format', 'json')
    assert_names_the_database(result, state / 'orch.db')
    assert 'truncated' in result.stderr


def test_a_copied_state_dir_survives_the_copy(demo_db: bytes, tmp_path: Path) -> None:
    """Backing up orch.db alone (after a checkpoint) is a complete backup."""
    state = _state_with(tmp_path, demo_db)
    copy = tmp_path / 'copy'
    shutil.copytree(state, copy)
    assert orch(state, 'ls', '--export').stdout == orch(copy, 'ls', '--export').stdout
