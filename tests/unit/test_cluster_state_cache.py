"""The cluster as the home of the state (backends/ssh/shared_state.py), over an in-memory
config-key store and lock: two state dirs share one truth; writes go to the cluster first."""
from __future__ import annotations

import errno
import json
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

import pytest

from ceph_orch_cli.backends.ssh import shared_state
from ceph_orch_cli.backends.ssh.shared_state import VERSION_KEY, ClusterStore, StateRemote
from ceph_orch_cli.cluster.store import EventRow, Store
from ceph_orch_cli.orchestrator.errors import OrchestratorError


class MemoryCluster:
    def __init__(self) -> None:
        self.keys: Dict[str, str] = {}
        self.lock_holder: Optional[tuple] = None  # (cookie, holder, expires)
        self.fail_after: Optional[int] = None
        self.asked = 0
        #: None: the RADOS lock works; else why it is unavailable (no lock pool yet)
        self.no_pool: Optional[str] = None
        #: cephx entities (entity -> key) and config-key records, as the mons keep them
        self.auth: Dict[str, str] = {}
        self.mon_keys: Dict[str, str] = {}
        self.mon_mutex = threading.Lock()  # the mons commit one proposal at a time


class MemoryRemote(StateRemote):
    def __init__(self, cluster: MemoryCluster) -> None:
        self.c = cluster

    def get_version(self) -> Optional[str]:
        self.c.asked += 1
        return self.c.keys.get(VERSION_KEY)

    def dump(self) -> Dict[str, str]:
        return dict(self.c.keys)

    def write(self, sets: Dict[str, str], rms: List[str], pending: str, version: str) -> None:
        steps = [(VERSION_KEY, pending)] + sorted(sets.items()) + [(k, None) for k in rms] + \
            [(VERSION_KEY, version)]
        for n, (k, v) in enumerate(steps):
            if self.c.fail_after is not None and n >= self.c.fail_after:
                raise OrchestratorError("the mons went away")
            if v is None:
                self.c.keys.pop(k, None)
            else:
                self.c.keys[k] = v

    def mon_command(self, cmd: Dict[str, Any], argv: List[str],
                    inbuf: str = "") -> Tuple[int, str, str]:
        """The few mon commands the mon lock sends, with the mons' answers."""
        with self.c.mon_mutex:
            prefix, entity = cmd["prefix"], cmd.get("entity")
            if prefix == "auth add":
                key = inbuf.split("key = ", 1)[1].strip()
                if self.c.auth.get(entity, key) != key:
                    return errno.EEXIST, "", f"entity {entity} exists but key does not match"
                self.c.auth[entity] = key
                return 0, "", ""
            if prefix == "auth get":
                if entity not in self.c.auth:
                    return errno.ENOENT, "", "failed to find"
                return 0, json.dumps([{"entity": entity, "key": self.c.auth[entity]}]), ""
            if prefix == "auth rm":
                self.c.auth.pop(entity, None)
                return 0, "", ""
            if prefix == "config-key get":
                if cmd["key"] not in self.c.mon_keys:
                    return errno.ENOENT, "", ""
                return 0, self.c.mon_keys[cmd["key"]], ""
            if prefix == "config-key set":
                self.c.mon_keys[cmd["key"]] = cmd["val"]
                return 0, "", ""
        raise AssertionError(f"unexpected mon command {cmd}")

    def lock(self, op: str, cookie: str, holder: Dict[str, Any], duration: int) -> Dict[str, Any]:
        if self.c.no_pool:
            return {"unavailable": self.c.no_pool}
        now = time.time()
        held = self.c.lock_holder
        if held and held[2] < now:
            held = self.c.lock_holder = None
        if op == "unlock":
            if held and held[0] == cookie:
                self.c.lock_holder = None
            return {"unlocked": True}
        if held and held[0] != cookie:
            return {"busy": True, "holder": held[1]}
        self.c.lock_holder = (cookie, holder, now + duration)
        return {"locked": True}


def admin(tmp_path, name: str, cluster: MemoryCluster, bootstrapped: bool = True) -> ClusterStore:
    store = ClusterStore(tmp_path / name, say=lambda text: None)
    store.attach_remote(MemoryRemote(cluster))
    if bootstrapped:
        Store.set_setting(store, "bootstrapped", True)  # as bootstrap's last local write
    return store


def spec(name: str, **extra: Any) -> Dict[str, Any]:
    stype, _, sid = name.partition(".")
    return dict({"service_type": stype, "service_name": name,
                 **({"service_id": sid} if sid else {})}, **extra)


def test_a_write_on_one_admin_host_is_read_on_the_other(tmp_path):
    cluster = MemoryCluster()
    a, b = admin(tmp_path, "a", cluster), admin(tmp_path, "b", cluster)
    a.put_specs([spec("rgw.s3")])
    a.put_host({"hostname": "host1", "addr": "10.0.0.1", "labels": ["_admin"]})
    assert "mgr/orch/spec/rgw.s3" in cluster.keys and cluster.keys[VERSION_KEY] == "2"
    b._checked = False
    assert [s.service_name for s in b.get_specs()] == ["rgw.s3"]
    b.update_host("host1", lambda h: dict(h, labels=h["labels"] + ["foo"]))
    a._checked = False
    assert a.get_host("host1").spec["labels"] == ["_admin", "foo"]
    assert a.get_setting("bootstrapped") is True


def test_the_first_write_migrates_an_old_store_once(tmp_path):
    cluster = MemoryCluster()
    old = Store(tmp_path / "a")
    old.put_specs([spec("mon"), spec("mgr")])
    old.put_host({"hostname": "host1", "labels": []})
    old.set_setting("bootstrapped", True)
    old.set_setting("orchestrator", "ssh")  # this state dir's own: never shared
    old.close()
    said: List[str] = []
    a = ClusterStore(tmp_path / "a", say=said.append)
    a.attach_remote(MemoryRemote(cluster))
    assert a.get_specs() and not cluster.keys  # a read pushes nothing
    a.put_specs([spec("crash")])
    assert len(said) == 1 and "storing" in said[0]
    assert {k for k in cluster.keys if "/spec/" in k} == {
        "mgr/orch/spec/mon", "mgr/orch/spec/mgr", "mgr/orch/spec/crash"}
    assert "mgr/orch/setting/orchestrator" not in cluster.keys
    a.put_specs([spec("node-exporter")])
    assert len(said) == 1


def test_an_interrupted_push_leaves_the_cache_without_the_change_and_others_notice(tmp_path):
    cluster = MemoryCluster()
    a, b = admin(tmp_path, "a", cluster), admin(tmp_path, "b", cluster)
    a.put_specs([spec("mon")])
    cluster.fail_after = 2  # the pending version and one record written, then the mons go
    with pytest.raises(OrchestratorError):
        a.put_specs([spec("mds.fs"), spec("rgw.s3")])
    cluster.fail_after = None
    assert [s.service_name for s in Store.get_specs(a)] == ["mon"]  # the cache rolled back
    assert cluster.keys[VERSION_KEY] == "2-writing"
    b._checked = False
    assert "mds.fs" in [s.service_name for s in b.get_specs()]  # the cluster has what it has
    a.put_specs([spec("crash")])  # the next write pulls first, then writes version 3
    assert cluster.keys[VERSION_KEY] == "3"
    assert sorted(s.service_name for s in a.get_specs()) == ["crash", "mds.fs", "mon"]


def test_a_removal_and_events_and_workflow_state_round_trip(tmp_path):
    cluster = MemoryCluster()
    a, b = admin(tmp_path, "a", cluster), admin(tmp_path, "b", cluster)
    a.put_specs([spec("mon"), spec("mgr")])
    a.purge_spec("mgr")
    a.add_events([EventRow("service", "mon", "INFO", "deployed", "2026-01-01T00:00:00.000000Z")])
    a.put_osd_removals([{"osd_id": 3, "hostname": "host1", "replace": True}])
    a.put_upgrade_state({"target_image": "x"})
    a.put_tuned_profile("p", {"profile_name": "p"})
    a.set_rank_map("mon", {"0": {"0": "mon.a"}})
    b._checked = False
    assert [s.service_name for s in b.get_specs()] == ["mon"]
    assert b.get_spec("mon").rank_map == {"0": {"0": "mon.a"}}
    assert [e.message for e in b.get_events("service")[("service", "mon")]] == ["deployed"]
    assert b.get_osd_removal_queue() == [{"osd_id": 3, "hostname": "host1", "replace": True}]
    assert b.get_upgrade_state() == {"target_image": "x"}
    assert b.get_tuned_profiles() == {"p": {"profile_name": "p"}}
    a.put_upgrade_state(None)
    a.remove_osd_removals([3])
    b.sync()
    assert b.get_upgrade_state() is None and b.get_osd_removal_queue() == []


def test_export_then_import_restores_the_state(tmp_path):
    cluster = MemoryCluster()
    a = admin(tmp_path, "a", cluster)
    a.put_specs([spec("mon"), spec("rgw.s3", placement={"count": 2})])
    a.put_host({"hostname": "host1", "labels": ["_admin"]})
    saved = a.export_records()
    a.purge_spec("rgw.s3")
    a.put_specs([spec("mds.x")])
    a.update_host("host1", lambda h: dict(h, labels=[]))
    a.import_records(saved)
    assert a.export_records() == saved
    assert {k: v for k, v in cluster.keys.items() if k != VERSION_KEY} == saved
    b = admin(tmp_path, "b", cluster)
    assert b.export_records() == saved


def test_a_writer_waits_for_the_lock_and_fails_naming_the_holder(tmp_path, monkeypatch):
    cluster = MemoryCluster()
    a, b = admin(tmp_path, "a", cluster), admin(tmp_path, "b", cluster)
    monkeypatch.setenv(shared_state.TIMEOUT_ENV, "1.5")
    said: List[str] = []
    b.say = b.cluster_lock.say = said.append
    with a.writer():
        with pytest.raises(OrchestratorError) as err:
            b.put_specs([spec("mon")])
    assert "state dir" in str(err.value) and str(tmp_path / "a") in str(err.value)
    assert said and said[0].startswith("Waiting for the cluster's state lock")
    b.put_specs([spec("mon")])  # released: goes through


def test_a_dead_holder_lets_go_after_its_lease(tmp_path, monkeypatch):
    cluster = MemoryCluster()
    b = admin(tmp_path, "b", cluster)
    cluster.lock_holder = ("dead-1", {"host": "x", "pid": 1, "since": time.time()},
                          time.time() + 1.0)
    start = time.monotonic()
    b.put_specs([spec("mon")])
    assert 0.5 < time.monotonic() - start < 5


def test_without_a_cluster_nothing_is_asked(tmp_path):
    cluster = MemoryCluster()
    a = admin(tmp_path, "a", cluster, bootstrapped=False)
    a.put_specs([spec("mon")])
    a.get_specs()
    assert cluster.keys == {} and cluster.asked == 0


# -- before the lock pool exists: the mon lock (backends/ssh/mon_lock.py) ---------------------
def test_before_the_lock_pool_exists_writers_take_turns_through_the_mons(tmp_path, monkeypatch):
    monkeypatch.setenv("ORCH_LOCK_LEASE", "30")
    cluster = MemoryCluster()
    cluster.no_pool = "only 0 OSDs up (the lock pool needs 3)"
    a, b = admin(tmp_path, "a", cluster), admin(tmp_path, "b", cluster)
    a.put_host({"hostname": "host1", "addr": "10.0.0.1", "labels": []})
    inside: List[str] = []
    overlaps: List[str] = []

    def label(store: ClusterStore, tag: str) -> None:
        for n in range(10):
            def add(h: Dict[str, Any]) -> Dict[str, Any]:
                if inside:
                    overlaps.append(tag)
                inside.append(tag)
                time.sleep(0.002)  # widen the window a second writer would slip into
                inside.remove(tag)
                return dict(h, labels=h["labels"] + [f"{tag}{n}"])
            store.update_host("host1", add)

    threads = [threading.Thread(target=label, args=(s, t)) for s, t in ((a, "a"), (b, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not overlaps
    a._checked = False
    labels = a.get_host("host1").spec["labels"]
    assert sorted(labels) == sorted(f"{t}{n}" for t in "ab" for n in range(10))
    assert "client.orch-lock" not in cluster.auth  # released


def test_a_dead_mon_lock_holder_is_taken_over_after_its_lease(tmp_path, monkeypatch):
    monkeypatch.setenv("ORCH_LOCK_LEASE", "1")
    monkeypatch.setenv("ORCH_LOCK_TIMEOUT", "20")
    cluster = MemoryCluster()
    cluster.no_pool = "no OSDs yet"
    cluster.auth["client.orch-lock"] = "a-key-of-an-orch-that-was-killed"
    a = admin(tmp_path, "a", cluster)
    a.put_specs([spec("mds.fs")])
    assert "mgr/orch/spec/mds.fs" in cluster.keys
    assert set(cluster.auth) == set()  # the dead key and the steal entity are gone


def test_a_live_mon_lock_holder_keeps_a_rados_lock_taker_out(tmp_path, monkeypatch):
    """The change from the mon lock to the RADOS lock: the pool came up while an orch held
    the mon lock; the next writer, with the RADOS lock in hand, still waits for it."""
    monkeypatch.setenv("ORCH_LOCK_LEASE", "30")
    monkeypatch.setenv("ORCH_LOCK_TIMEOUT", "1")
    cluster = MemoryCluster()
    cluster.no_pool = "no OSDs yet"
    a, b = admin(tmp_path, "a", cluster), admin(tmp_path, "b", cluster)
    with a.writer():
        assert a.cluster_lock.modes == ("mon",)
        cluster.no_pool = None
        with pytest.raises(OrchestratorError, match="state lock"):
            b.put_specs([spec("mds.late")])
        assert cluster.lock_holder is None  # b let the RADOS lock go again
    b.put_specs([spec("mds.late")])
    assert b.cluster_lock.modes == () and "mgr/orch/spec/mds.late" in cluster.keys
