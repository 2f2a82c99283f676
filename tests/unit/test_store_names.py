"""cluster/store_names.py: the read-only name lookups behind shell completion."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from ceph_orch_cli.cluster import store_names
from ceph_orch_cli.cluster.store import Store


def _store_with_names(state: Path) -> None:
    store = Store(state)
    try:
        store.put_host({'hostname': 'host2', 'addr': '10.0.0.2', 'labels': []})
        store.put_host({'hostname': 'host1', 'addr': '10.0.0.1', 'labels': []})
        store.put_specs([{'service_type': 'mon', 'service_name': 'mon'},
                         {'service_type': 'rgw', 'service_name': 'rgw.gone'}])
        store.mark_spec_deleted('rgw.gone')
        store.replace_host_daemons('host1', [
            {'daemon_type': 'osd', 'daemon_id': '3', 'hostname': 'host1',
             'service_name': 'osd.default'},
            {'daemon_type': 'mon', 'daemon_id': 'host1', 'hostname': 'host1',
             'service_name': 'mon'},
        ])
    finally:
        store.close()


def test_names_come_from_the_store_sorted(tmp_path: Path) -> None:
    _store_with_names(tmp_path)
    assert store_names.hostnames(tmp_path) == ['host1', 'host2']
    assert store_names.daemon_names(tmp_path) == ['mon.host1', 'osd.3']
    assert store_names.osd_ids(tmp_path) == ['3']
    assert store_names.service_names(tmp_path) == ['mon']  # not the one being deleted


def test_no_database_gives_nothing_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / 'none'
    assert store_names.hostnames(missing) == []
    assert not missing.exists()


def test_a_database_without_the_tables_gives_nothing_and_stays_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / store_names.DB_NAME
    sqlite3.connect(path).close()
    assert store_names.service_names(tmp_path) == []
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []
    finally:
        conn.close()


def test_the_store_uses_the_same_file() -> None:
    from ceph_orch_cli.cluster import store
    assert store.DB_NAME == store_names.DB_NAME


def test_labels_device_paths_and_tuned_profiles(tmp_path: Path) -> None:
    store = Store(tmp_path)
    try:
        store.put_host({'hostname': 'host1', 'addr': '10.0.0.1', 'labels': ['mon', '_admin']})
        store.put_host({'hostname': 'host2', 'addr': '10.0.0.2', 'labels': ['mon', 'rgw']})
    finally:
        store.close()
    conn = sqlite3.connect(tmp_path / store_names.DB_NAME)
    try:
        with conn:
            conn.execute("INSERT INTO devices VALUES ('host1', ?, '')",
                         ('[{"path": "/dev/sdb"}, {"path": "/dev/sdc"}]',))
            conn.execute("INSERT INTO devices VALUES ('host2', ?, '')", ('[{"path": "/dev/vdb"}]',))
            conn.execute("INSERT INTO tuned_profiles VALUES ('low-latency', '{}')")
    finally:
        conn.close()
    assert store_names.labels(tmp_path) == ['_admin', 'mon', 'rgw']
    assert store_names.device_paths(tmp_path, 'host1') == ['/dev/sdb', '/dev/sdc']
    assert store_names.device_paths(tmp_path) == ['/dev/sdb', '/dev/sdc', '/dev/vdb']
    assert store_names.device_paths(tmp_path, 'host%') == []  # a name, not a pattern
    assert store_names.tuned_profiles(tmp_path) == ['low-latency']


def test_a_corrupted_inventory_row_offers_nothing_and_fails_nothing(tmp_path: Path) -> None:
    Store(tmp_path).close()
    conn = sqlite3.connect(tmp_path / store_names.DB_NAME)
    try:
        with conn:
            conn.execute("INSERT INTO devices VALUES ('host1', 'not json', '')")
    finally:
        conn.close()
    assert store_names.device_paths(tmp_path, 'host1') == []
