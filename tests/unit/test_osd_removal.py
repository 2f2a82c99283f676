"""`orch osd rm`: the removal queue drains, removes, destroys or purges and zaps OSDs over
reconcile passes, survives a crash between any two steps, and can be stopped."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from workflow_cluster import daemons, events_of, ok, open_orch, passes, service_events, write_fleet

TESTS_DIR = Path(__file__).resolve().parents[1]

CEPH_KEYS = ["osd_id", "started", "draining", "stopped", "replace", "force", "zap", "hostname",
             "original_weight", "drain_started_at", "drain_stopped_at", "drain_done_at",
             "process_started_at"]


def queue(orch):
    return {e.osd_id: e for e in ok(orch.remove_osds_status())}


def run_until_removed(orch, osd_id, limit=10):
    for _ in range(limit):
        if osd_id not in queue(orch):
            return
        orch.reconcile_pass()
    raise AssertionError(f"osd.{osd_id} still queued: {queue(orch)[osd_id].to_json()}")


def test_rm_schedules_and_warns_that_devices_are_not_zapped(orch):
    msg = ok(orch.remove_osds(["2"]))
    assert msg.startswith("Scheduled OSD(s) for removal.\nVG/LV for the OSDs won't be zapped")
    assert ok(orch.remove_osds(["3"], zap=True)) == "Scheduled OSD(s) for removal."
    entry = queue(orch)[2]
    assert entry.drain_status_human() == "started"
    assert entry.hostname == daemons(orch)["osd.2"].hostname
    assert list(entry.to_json()) == CEPH_KEYS


def test_unknown_osds_are_reported_like_ceph(orch):
    assert ok(orch.remove_osds(["42"])) == "Unable to find OSDs: ['42']"
    assert ok(orch.stop_remove_osds(["42"])) == "Unable to find OSD in the queue: 42"


def test_osd_drains_over_passes_then_is_purged(orch):
    ok(orch.remove_osds(["2"]))
    orch.reconcile_pass()
    entry = queue(orch)[2]
    assert entry.drain_status_human() == "draining"
    assert entry.drain_started_at and entry.get_pg_count() > 0
    assert orch.cluster.osd_weight(2) == 0.0
    run_until_removed(orch, 2)
    assert "osd.2" not in daemons(orch)
    assert orch.cluster.osd_weight(2) is None  # purged: the id is free again
    assert any("Purged osd.2" in m for m in service_events(orch, "osd.all"))


def test_draining_osd_shows_its_steps_as_daemon_events(orch):
    ok(orch.remove_osds(["5"]))
    orch.reconcile_pass()
    messages = events_of(orch, "osd.5")
    assert any(m.startswith("Scheduled osd.5") for m in messages)
    assert any(m.startswith("Draining osd.5") for m in messages)


def test_stop_returns_the_osd_to_service_with_its_weight(orch):
    ok(orch.remove_osds(["4"]))
    orch.reconcile_pass()
    assert orch.cluster.osd_weight(4) == 0.0
    assert ok(orch.stop_remove_osds(["4"])) == "Stopped OSD(s) removal"
    assert orch.cluster.osd_weight(4) == 1.0
    assert 4 not in queue(orch)
    passes(orch, 4)
    assert "osd.4" in daemons(orch)
    assert any("back in service" in m for m in events_of(orch, "osd.4"))


def test_force_removes_without_waiting_for_the_drain(orch):
    ok(orch.remove_osds(["1"], force=True))
    orch.reconcile_pass()
    assert 1 not in queue(orch)
    assert "osd.1" not in daemons(orch)


def test_replace_keeps_the_id_destroyed_until_a_new_disk_claims_it(orch):
    host = daemons(orch)["osd.0"].hostname
    ok(orch.remove_osds(["0"], replace=True))
    run_until_removed(orch, 0)
    assert "osd.0" not in daemons(orch)
    assert orch.cluster.destroyed_osds() == {host: [0]}
    # the operator swaps the disk: once the device is clean the OSD spec claims the id
    devices = ok(orch.get_inventory())
    used = [d.path for h in devices if h.name == host for d in h.devices.devices
            if any(str(lv.get("osd_id")) == "0" for lv in d.lvs or [])]
    ok(orch.zap_device(host, used[0]))
    passes(orch, 2)
    again = daemons(orch)["osd.0"]
    assert again.hostname == host
    assert orch.cluster.destroyed_osds() == {}


def test_replace_with_zap_recreates_the_same_id_by_itself(orch):
    host = daemons(orch)["osd.3"].hostname
    ok(orch.remove_osds(["3"], replace=True, zap=True))
    run_until_removed(orch, 3)
    orch.reconcile_pass()
    assert daemons(orch)["osd.3"].hostname == host
    assert sorted(daemons(orch, daemon_type="osd")) == [f"osd.{i}" for i in range(8)]


def test_zap_makes_the_devices_available_again(orch):
    osd = daemons(orch)["osd.6"]
    ok(orch.set_unmanaged("osd.all", True))  # keep the freed disk free to look at it
    ok(orch.remove_osds(["6"], zap=True))
    run_until_removed(orch, 6)
    inv = {h.name: h for h in ok(orch.get_inventory(refresh=True))}
    free = [d.path for d in inv[osd.hostname].devices.devices if d.available]
    assert len(free) == 1


def test_an_offline_host_holds_its_removal_without_blocking_others(orch, tmp_path):
    host = daemons(orch)["osd.7"].hostname
    other = next(d for d in daemons(orch, daemon_type="osd").values() if d.hostname != host)
    ok(orch.remove_osds(["7", other.daemon_id], force=True))
    write_fleet(tmp_path / "fleet.json", offline=[host])
    orch = open_orch(orch.store.state_dir)
    orch.reconcile_pass()
    assert list(queue(orch)) == [7]
    assert any("Waiting to remove osd.7" in m for m in service_events(orch, "osd.all"))
    write_fleet(tmp_path / "fleet.json")
    orch = open_orch(orch.store.state_dir)
    run_until_removed(orch, 7)
    assert "osd.7" not in daemons(orch)


CHILD = """
import sys
from pathlib import Path
from workflow_cluster import open_orch
orch = open_orch(Path(sys.argv[1]))
for _ in range(8):
    orch.reconcile_pass()
"""


@pytest.mark.parametrize("crash_after", [1, 2, 3, 4])
def test_a_crash_between_any_two_steps_resumes_on_the_next_pass(orch, state, crash_after):
    ok(orch.remove_osds(["2"], force=True, zap=True))
    ok(orch.set_unmanaged("osd.all", True))  # the freed disk stays free, to check the zap
    env = dict(os.environ, ORCH_TEST_CRASH_AFTER=str(crash_after),
               PYTHONPATH=os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]))
    child = subprocess.run([sys.executable, "-c", CHILD, str(state)], env=env, cwd=TESTS_DIR,
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == 137, child.stderr
    again = open_orch(state)
    run_until_removed(again, 2)
    assert "osd.2" not in daemons(again)
    assert again.cluster.osd_weight(2) is None
    free = [d for h in ok(again.get_inventory(refresh=True)) for d in h.devices.devices
            if d.available]
    assert len(free) == 1


def test_removal_of_an_osd_whose_dead_host_was_removed_does_not_linger(orch, tmp_path):
    host = daemons(orch)["osd.7"].hostname
    ok(orch.remove_osds(["7"], force=True))
    write_fleet(tmp_path / "fleet.json", offline=[host])
    orch = open_orch(orch.store.state_dir)
    orch.reconcile_pass()
    assert list(queue(orch)) == [7]  # waiting for its host
    ok(orch.remove_host(host, force=True, offline=True, rm_crush_entry=False))
    orch.reconcile_pass()
    assert queue(orch) == {}
    assert orch.cluster.osd_weight(7) is None


def test_a_cluster_error_is_reported_and_retried_on_the_next_pass(orch, monkeypatch):
    from ceph_orch_cli.orchestrator.errors import OrchestratorError
    ok(orch.remove_osds(["4"], force=True))

    def refuse(osd_id):
        raise OrchestratorError("Error EBUSY: mon is busy")
    monkeypatch.setattr(orch.cluster, "purge_osd", refuse)
    assert orch.reconcile_pass()["osd_removal_step"] == {"failed": [4]}
    assert any("mon is busy" in m for m in service_events(orch, "osd.all"))
    monkeypatch.undo()
    run_until_removed(orch, 4)
    assert orch.cluster.osd_weight(4) is None
