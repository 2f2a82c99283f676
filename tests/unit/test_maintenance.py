"""`orch host maintenance enter|exit` and `orch host drain`: Ceph's checks and messages, a
host that went offline or was rebooted meanwhile, and a drain that empties a host with OSDs."""
from __future__ import annotations

import pytest
from workflow_cluster import daemons, events_of, ok, open_orch, passes, write_fleet

from ceph_orch_cli.orchestrator.errors import OrchestratorError


def host_of(orch, name):
    return next(h for h in ok(orch.get_hosts()) if h.hostname == name)


def mon_hosts(orch):
    return sorted(d.hostname for d in daemons(orch, daemon_type="mon").values())


def mgr_failed_over_from(orch, host):
    """What cephadm's ALERT asks of the operator before the active mgr's host stops:
    `ceph mgr fail <id>`, so that a standby elsewhere is active."""
    active = orch.cluster.active_mgr()
    if daemons(orch, daemon_type="mgr").get(f"mgr.{active}").hostname == host:
        orch.cluster.fail_mgr(active)
    assert daemons(orch, daemon_type="mgr")[f"mgr.{orch.cluster.active_mgr()}"].hostname != host


def error_of(call):
    with pytest.raises(OrchestratorError) as e:
        ok(call)
    return str(e.value)


def test_enter_stops_the_hosts_daemons_and_exit_starts_them(orch):
    host = mon_hosts(orch)[-1]
    fsid = orch.cluster.fsid()
    assert ok(orch.enter_host_maintenance(host)) == (
        f"Daemons for Ceph cluster {fsid} stopped on host {host}. "
        f"Host {host} moved to maintenance mode")
    assert host_of(orch, host).status == "maintenance"
    on_host = daemons(orch, hostname=host)
    assert on_host and {d.status_desc for d in on_host.values()} == {"stopped"}
    assert any("entered maintenance" in m for m in events_of(orch, f"mon.{host}"))
    passes(orch, 2)  # the reconcile leaves a host in maintenance alone
    assert set(daemons(orch, hostname=host)) == set(on_host)
    assert error_of(orch.enter_host_maintenance(host)) == f"Host {host} is already in maintenance"
    assert ok(orch.exit_host_maintenance(host)) == \
        f"Ceph cluster {fsid} on {host} has exited maintenance mode"
    assert host_of(orch, host).status == ""
    assert {d.status_desc for d in daemons(orch, hostname=host).values()} == {"running"}
    assert error_of(orch.exit_host_maintenance(host)) == f"Host {host} is not in maintenance mode"


def test_unknown_host_gets_cephs_hint(orch):
    assert error_of(orch.enter_host_maintenance("nohost")) == \
        "Cannot find host 'nohost' in the inventory. "
    assert error_of(orch.exit_host_maintenance("host")) == \
        "Cannot find host 'host' in the inventory. Did you mean host1,host2,host3,host4?"


def test_yes_i_really_mean_it_needs_force(orch):
    assert error_of(orch.enter_host_maintenance("host1", yes_i_really_mean_it=True)) == \
        "--force must be passed with --yes-i-really-mean-it"


def test_no_maintenance_during_an_upgrade(orch):
    ok(orch.upgrade_start("quay.io/ceph/ceph:v18.2.5", None, None, None, None, None))
    assert error_of(orch.enter_host_maintenance("host2")) == \
        "Unable to place host2 in maintenance with upgrade active/paused"


def test_losing_mon_quorum_needs_force_and_yes_i_really_mean_it(orch):
    first, second, _ = mon_hosts(orch)
    ok(orch.enter_host_maintenance(first))
    msg = error_of(orch.enter_host_maintenance(second))
    assert msg.startswith(f"It is NOT safe to stop mon.{second} at this time")
    assert msg.endswith("Note: Warnings can be bypassed with the --force flag")
    msg = error_of(orch.enter_host_maintenance(second, force=True))
    assert msg.endswith("--force --yes-i-really-mean-it")
    ok(orch.enter_host_maintenance(second, force=True, yes_i_really_mean_it=True))
    assert host_of(orch, second).status == "maintenance"


def test_the_last_running_mgr_is_a_warning_that_force_bypasses(orch):
    mgr_hosts = sorted(d.hostname for d in daemons(orch, daemon_type="mgr").values())
    mons = mon_hosts(orch)
    first = next(h for h in mgr_hosts if h in mons) if set(mgr_hosts) & set(mons) else mgr_hosts[0]
    second = next(h for h in mgr_hosts if h != first)
    ok(orch.enter_host_maintenance(first))
    msg = error_of(orch.enter_host_maintenance(second))
    assert "It is NOT safe to stop mgr." in msg
    ok(orch.enter_host_maintenance(second, force=True))
    assert host_of(orch, second).status == "maintenance"


def test_a_host_that_went_offline_exits_maintenance_with_offline_and_force(orch, state, tmp_path):
    mgr_failed_over_from(orch, "host2")
    ok(orch.enter_host_maintenance("host2"))
    write_fleet(tmp_path / "fleet.json", offline=["host2"])
    orch = open_orch(state)
    assert error_of(orch.exit_host_maintenance("host2")) == (
        "host2 is offline, please use --offline and --force to take this host out of "
        "maintenance mode")
    assert error_of(orch.exit_host_maintenance("host2", offline=True)) == \
        "Taking an offline host out of maintenance mode requires --force"
    ok(orch.exit_host_maintenance("host2", force=True, offline=True))
    assert host_of(orch, "host2").status == "offline"
    write_fleet(tmp_path / "fleet.json")
    orch = open_orch(state)
    assert error_of(orch.exit_host_maintenance("host2", force=True, offline=True)) == \
        "Host host2 is not in maintenance mode"
    passes(orch, 1)
    assert host_of(orch, "host2").status == ""


def test_an_online_host_refuses_offline_exit(orch):
    mgr_failed_over_from(orch, "host2")
    ok(orch.enter_host_maintenance("host2"))
    assert error_of(orch.exit_host_maintenance("host2", force=True, offline=True)) == \
        "host2 is online, please take host out of maintenance mode without --offline."


def test_an_offline_host_enters_maintenance_only_when_really_meant(orch, state, tmp_path):
    mgr_failed_over_from(orch, "host2")
    write_fleet(tmp_path / "fleet.json", offline=["host2"])
    orch = open_orch(state)
    assert error_of(orch.enter_host_maintenance("host2")).startswith(
        "Failed to place host2 into maintenance for cluster")
    ok(orch.enter_host_maintenance("host2", force=True, yes_i_really_mean_it=True))
    assert host_of(orch, "host2").status == "maintenance"


def test_a_rebooted_host_exits_maintenance_with_every_daemon_started(orch):
    mgr_failed_over_from(orch, "host2")
    ok(orch.enter_host_maintenance("host2"))
    # the reboot left one daemon failed and another half started
    st = orch.driver._host_state("host2")
    names = sorted(st["daemons"])
    st["daemons"][names[0]]["state"] = "error"
    st["daemons"][names[1]]["state"] = "running"
    orch.driver._dirty.add("host2")
    with orch.store.transaction():
        orch.driver.flush()
    ok(orch.exit_host_maintenance("host2"))
    assert {d.status_desc for d in daemons(orch, hostname="host2").values()} == {"running"}


# -------------------------------------------------------------------------------- drain

def test_drain_empties_a_host_with_osds_and_then_it_can_be_removed(orch):
    before = daemons(orch, hostname="host4")
    msg = ok(orch.drain_host("host4", zap_osd_devices=True))
    lines = msg.splitlines()
    assert lines[0] == "Scheduled to remove the following daemons from host 'host4'"
    assert lines[1].split() == ["type", "id"] and lines[2] == "-" * 20 + " " + "-" * 15
    assert sorted(line.split()[0] + "." + line.split()[1] for line in lines[3:]) == sorted(before)
    assert host_of(orch, "host4").labels[-2:] == ["_no_schedule", "_no_conf_keyring"]
    queued = {e.osd_id: e for e in ok(orch.remove_osds_status())}
    assert {f"osd.{i}" for i in queued} == {n for n in before if n.startswith("osd.")}
    assert all(e.zap for e in queued.values())
    with pytest.raises(OrchestratorError, match="Not allowed to remove host4 from cluster"):
        ok(orch.remove_host("host4", force=False, offline=False, rm_crush_entry=False))
    results = passes(orch, 8)
    assert daemons(orch, hostname="host4") == {}
    assert any((r.get("drain_step") or {}).get("host4") == "drained" for r in results)
    assert len(mon_hosts(orch)) == 3 and "host4" not in mon_hosts(orch)
    free = [d for h in ok(orch.get_inventory(refresh=True)) if h.name == "host4"
            for d in h.devices.devices if d.available]
    assert len(free) == 2
    assert ok(orch.remove_host("host4", force=False, offline=False, rm_crush_entry=False)) == \
        "Removed  host 'host4'"


def test_keep_conf_keyring_only_stops_scheduling(orch):
    ok(orch.drain_host("host3", keep_conf_keyring=True))
    labels = host_of(orch, "host3").labels
    assert "_no_schedule" in labels and "_no_conf_keyring" not in labels


def test_stop_drain_returns_the_osds_to_service(orch):
    ok(orch.drain_host("host3"))
    orch.reconcile_pass()
    osds = [int(d.daemon_id) for d in daemons(orch, hostname="host3").values()
            if d.daemon_type == "osd"]
    assert ok(orch.stop_drain_host("host3")) == "Stopped host drain for host3"
    assert not {"_no_schedule", "_no_conf_keyring"} & set(host_of(orch, "host3").labels)
    assert ok(orch.remove_osds_status()) == []
    assert {orch.cluster.osd_weight(i) for i in osds} == {1.0}
    assert error_of(orch.stop_drain_host("host3")) == "Host host3 is not currently being drained"


def test_drain_refuses_the_last_admin_host_without_force(orch):
    msg = error_of(orch.drain_host("host1"))
    assert msg.startswith("Host host1 is the last host with the '_admin' label.")
    assert error_of(orch.drain_host("nohost")) == "host nohost does not exist"
    ok(orch.drain_host("host1", force=True))


def test_a_dead_host_is_removed_with_offline_and_force(orch, state, tmp_path):
    osds = [int(d.daemon_id) for d in daemons(orch, hostname="host4").values()
            if d.daemon_type == "osd"]
    write_fleet(tmp_path / "fleet.json", offline=["host4"])
    orch = open_orch(state)
    passes(orch, 1)
    assert host_of(orch, "host4").status == "offline"
    assert "is offline, please use --offline and --force" in error_of(
        orch.remove_host("host4", force=False, offline=False, rm_crush_entry=False))
    assert ok(orch.remove_host("host4", force=True, offline=True, rm_crush_entry=False)) == \
        "Removed offline host 'host4'"
    assert all(orch.cluster.osd_weight(i) is None for i in osds)


def test_a_drain_names_the_daemons_it_cannot_move_and_the_service_says_why(tmp_path, monkeypatch):
    """host6 is the demo's only `monitoring` host: as in cephadm, draining it cannot move the
    monitoring stack anywhere, so the drain names what stays and the service's events say why."""
    from pathlib import Path

    from ceph_orch_cli.backends import load_backend
    from ceph_orch_cli.deployment.loader import load_specs

    demo = Path(__file__).resolve().parents[2] / "specs" / "demo"
    monkeypatch.setenv("ORCH_FLEET", str(demo / "fleet.yaml"))
    orch = load_backend("local", tmp_path / "state")
    ok(orch.apply(load_specs((demo / "cluster.yaml").read_text())))
    ok(orch.drain_host("host6"))
    reports = [p.get("drain_step", {}).get("host6", "") for p in passes(orch, 8)]
    assert reports[-1] == ("3 daemon(s) left: alertmanager.host6, grafana.host6, "
                           "prometheus.host6")
    events = [e.message for s in ok(orch.describe_service(service_name="alertmanager"))
              for e in s.events]
    assert any("No matching hosts for label monitoring" in m for m in events)
