"""The SQLite store: safe to open, safe to share, and never a traceback for a bad file."""
from __future__ import annotations

import os
import sqlite3
import stat

import pytest

from ceph_orch_cli.cluster.store import (EVENTS_PER_SUBJECT, SCHEMA_VERSION, EventRow, Store,
                                         now_str)
from ceph_orch_cli.orchestrator.errors import OrchestratorError


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "state")
    yield s
    s.close()


def test_a_new_state_dir_is_private(tmp_path):
    Store(tmp_path / "state").close()
    assert stat.S_IMODE(os.stat(tmp_path / "state").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(tmp_path / "state" / "orch.db").st_mode) == 0o600


def test_the_database_uses_wal_and_records_its_schema_version(store):
    assert store.query("PRAGMA journal_mode")[0][0] == "wal"
    assert store.query("SELECT version FROM schema_version")[0][0] == SCHEMA_VERSION


def test_a_garbage_file_is_a_clear_error_and_is_left_untouched(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    garbage = b"this is not a database, it is a shopping list\n" * 100
    (state / "orch.db").write_bytes(garbage)
    with pytest.raises(OrchestratorError) as e:
        Store(state)
    assert str(state / "orch.db") in str(e.value)
    assert (state / "orch.db").read_bytes() == garbage


def test_a_database_from_a_newer_orch_is_refused_without_changes(tmp_path):
    Store(tmp_path).close()
    conn = sqlite3.connect(tmp_path / "orch.db")
    conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 5,))
    conn.commit()
    conn.close()
    with pytest.raises(OrchestratorError, match="newer orch"):
        Store(tmp_path)
    conn = sqlite3.connect(tmp_path / "orch.db")
    assert conn.execute("SELECT version FROM schema_version").fetchone()[0] == SCHEMA_VERSION + 5


def test_a_foreign_sqlite_database_is_refused(tmp_path):
    conn = sqlite3.connect(tmp_path / "orch.db")
    conn.execute("CREATE TABLE photos (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(OrchestratorError, match="no orch schema version"):
        Store(tmp_path)


def test_settings_round_trip_and_unset(store):
    assert store.get_setting("orchestrator") is None
    store.set_setting("orchestrator", "local")
    assert store.get_setting("orchestrator") == "local"
    store.set_setting("orchestrator", None)
    assert store.get_setting("orchestrator", "default") == "default"
    fsid = store.setting_default("fsid", lambda: "abc")
    assert store.setting_default("fsid", lambda: "other") == fsid == "abc"


def test_hosts_keep_their_order_and_label_changes_are_atomic(store):
    store.put_host({"hostname": "host2", "addr": "10.0.0.12", "labels": [], "status": ""})
    store.put_host({"hostname": "host1", "addr": "10.0.0.11", "labels": [], "status": ""})
    assert [h.hostname for h in store.get_hosts()] == ["host2", "host1"]
    store.update_host("host1", lambda s: dict(s, labels=s["labels"] + ["mon"]))
    assert store.get_host("host1").spec["labels"] == ["mon"]
    assert store.update_host("nope", lambda s: s) is None
    store.set_host_offline("host2", "Connection refused")
    assert store.get_host("host2").offline_reason == "Connection refused"


def test_a_failed_transaction_changes_nothing(store):
    store.put_host({"hostname": "host1", "addr": "a", "labels": [], "status": ""})
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.put_host({"hostname": "host2", "addr": "b", "labels": [], "status": ""})
            raise RuntimeError("crash in the middle")
    assert [h.hostname for h in store.get_hosts()] == ["host1"]


def test_specs_no_overwrite_and_deletion(store):
    spec = {"service_type": "mon", "service_name": "mon", "placement": {"count": 3}}
    assert store.put_specs([spec]) == [True]
    created = store.get_spec("mon").created
    assert store.put_specs([dict(spec, placement={"count": 5})], no_overwrite=True) == [False]
    assert store.get_spec("mon").spec["placement"] == {"count": 3}
    store.put_specs([dict(spec, placement={"count": 5}, unmanaged=True)])
    row = store.get_spec("mon")
    assert row.spec["placement"] == {"count": 5} and row.unmanaged and row.created == created
    assert store.mark_spec_deleted("mon")
    assert store.get_specs() == [] and store.get_specs(include_deleted=True)[0].deleted
    store.purge_spec("mon")
    assert store.get_spec("mon") is None


def test_daemon_cache_is_queried_by_service_type_and_host(store):
    def dd(t, i, host, svc):
        return {"daemon_type": t, "daemon_id": i, "hostname": host, "service_name": svc}
    store.replace_host_daemons("host1", [dd("mon", "host1", "host1", "mon"),
                                         dd("rgw", "foo.host1.aaaaaa", "host1", "rgw.foo")])
    store.replace_host_daemons("host2", [dd("rgw", "foo.host2.bbbbbb", "host2", "rgw.foo")])
    assert len(store.get_daemons(service_name="rgw.foo")) == 2
    assert [d["daemon_id"] for d in store.get_daemons(hostname="host1", daemon_type="mon")] == ["host1"]
    store.replace_host_daemons("host1", [])
    assert [d["hostname"] for d in store.get_daemons()] == ["host2"]
    plan = store.query("EXPLAIN QUERY PLAN SELECT data FROM daemons WHERE service_name = ?", ("x",))
    assert any("daemons_service" in str(row) for row in plan)


def test_events_are_bounded_per_subject(store):
    store.add_events([EventRow("service", "rgw.foo", "INFO", f"event {i}", now_str())
                      for i in range(EVENTS_PER_SUBJECT + 3)])
    store.add_events([EventRow("service", "mon", "ERROR", "other", now_str())])
    events = store.get_events("service")
    assert [e.message for e in events[("service", "rgw.foo")]] == \
        [f"event {i}" for i in range(3, EVENTS_PER_SUBJECT + 3)]
    assert len(events[("service", "mon")]) == 1


def test_workflow_tables_for_osd_removal_and_upgrade(store):
    store.put_osd_removals([{"osd_id": 3, "hostname": "host1", "draining": True}])
    assert store.get_osd_removal_queue() == [{"osd_id": 3, "hostname": "host1", "draining": True}]
    store.remove_osd_removals([3])
    assert store.get_osd_removal_queue() == []
    assert store.get_upgrade_state() is None
    store.put_upgrade_state({"target_image": "quay.io/ceph/ceph:v19"})
    assert store.get_upgrade_state()["target_image"] == "quay.io/ceph/ceph:v19"
    store.put_upgrade_state(None)
    assert store.get_upgrade_state() is None


def test_tuned_profiles(store):
    store.put_tuned_profile("p1", {"profile_name": "p1", "settings": {"a": "1"}})
    assert store.get_tuned_profiles() == {"p1": {"profile_name": "p1", "settings": {"a": "1"}}}
    assert store.remove_tuned_profile("p1") and not store.remove_tuned_profile("p1")


def test_two_stores_on_one_dir_see_each_others_writes(tmp_path):
    a, b = Store(tmp_path), Store(tmp_path)
    a.put_host({"hostname": "host1", "addr": "x", "labels": [], "status": ""})
    b.update_host("host1", lambda s: dict(s, labels=["mon"]))
    a.update_host("host1", lambda s: dict(s, labels=s["labels"] + ["mgr"]))
    assert b.get_host("host1").spec["labels"] == ["mon", "mgr"]
    a.close()
    b.close()


def test_reading_while_another_process_holds_the_write_lock(tmp_path, monkeypatch):
    """`orch ls` during another process's long apply: opening the local backend creates
    nothing that exists already, so it never waits for the writer."""
    from ceph_orch_cli.backends import load_backend
    from ceph_orch_cli.orchestrator import raise_if_exception

    monkeypatch.delenv("ORCH_FLEET", raising=False)
    load_backend("local", tmp_path).close()          # first use creates every table
    writer = sqlite3.connect(tmp_path / "orch.db", timeout=0)
    writer.execute("BEGIN IMMEDIATE")               # another orch in the middle of a change
    try:
        monkeypatch.setattr("ceph_orch_cli.cluster.store.BUSY_TIMEOUT_MS", 100)
        reader = load_backend("local", tmp_path)
        assert raise_if_exception(reader.describe_service()) == []
        assert raise_if_exception(reader.list_daemons()) == []
        assert raise_if_exception(reader.get_hosts()) == []
    finally:
        writer.rollback()
        writer.close()


def test_a_version_1_daemon_cache_is_migrated_and_lists_the_same(tmp_path):
    """Schema 1 kept each daemon as compact JSON with the redeploy fields inline; after the
    upgrade those rows still list (re-encoded) and read back whole, next to new rows."""
    import json

    from ceph_orch_cli.cluster.store import MIGRATIONS
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    conn = sqlite3.connect(state / "orch.db", isolation_level=None)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES (1)")
    for ddl in MIGRATIONS[0]:
        conn.execute(ddl)
    old = {"daemon_type": "crash", "daemon_id": "h1", "daemon_name": "crash.h1",
           "hostname": "h1", "status": 1, "extra_container_args": ["--cpus=2"]}
    conn.execute("INSERT INTO daemons VALUES ('crash.h1', 'h1', 'crash', 'crash', 'h1', ?)",
                 (json.dumps(old, separators=(",", ":")),))
    conn.execute("INSERT INTO events (kind, subject, level, message, created) VALUES "
                 "('daemon', 'crash.h1', 'INFO', 'Deployed crash.h1 on host ''h1''', "
                 "'2026-01-01T00:00:00.000000Z')")
    conn.close()

    store = Store(state)
    try:
        assert store.query("SELECT version FROM schema_version")[0][0] == SCHEMA_VERSION
        new = {"daemon_type": "mon", "daemon_id": "h1", "daemon_name": "mon.h1", "hostname": "h1",
               "extra_entrypoint_args": ["--x"]}
        store.upsert_daemons("h1", [new])
        listed = [t for batch in store.daemons_listing_text() for t in batch]
        shown_old = {k: v for k, v in old.items() if k != "extra_container_args"}
        shown_old["events"] = ['2026-01-01T00:00:00.000000Z daemon:crash.h1 [INFO] '
                               '"Deployed crash.h1 on host \'h1\'"']
        shown_new = {k: v for k, v in new.items() if k != "extra_entrypoint_args"}
        assert listed == [json.dumps(shown_old, sort_keys=True), json.dumps(shown_new, sort_keys=True)]
        assert sorted(store.get_daemons(), key=lambda d: d["daemon_type"]) == [old, new]
    finally:
        store.close()
