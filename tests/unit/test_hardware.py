"""`orch hardware ...` on the local backend. The BMC behind node-proxy is simulated from the
fleet file (see `cluster/hardware.py`): reports are synthesised from each host's entry and an
optional `hardware:` section overrides them; LEDs are remembered; power-cycle and shutdown act
on the simulated host (offline until the next pass / in maintenance until it is exited)."""
from __future__ import annotations

import errno
import json
import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from workflow_cluster import applied_cluster, daemons, events_of, fleet, ok

from ceph_orch_cli.backends.local_bmc import SimulatedBmc
from ceph_orch_cli.cluster.hardware import COMPONENTS, Hardware, criticals, summarize
from ceph_orch_cli.orchestrator.errors import OrchestratorError

FAILED_PSU = {"sn": "FR8Y5X3",
              "status": {"power": {"1": {"status": {"health": "Critical",
                                                    "state": "unplugged"}}}}}


def write(path, hardware=None):
    entries = fleet()
    if hardware is not None:
        entries[0]["hardware"] = hardware
    path.write_text(json.dumps(entries))
    return path


@pytest.fixture
def fleet_file(tmp_path, monkeypatch):
    path = write(tmp_path / "fleet.json", FAILED_PSU)
    monkeypatch.setenv("ORCH_FLEET", str(path))
    return path


@pytest.fixture
def orch(fleet_file, tmp_path):
    return applied_cluster(tmp_path / "state")


def error_of(call):
    with pytest.raises(OrchestratorError) as e:
        ok(call)
    return e.value


def host_status(orch, name):
    return next(h.status for h in ok(orch.get_hosts()) if h.hostname == name)


def test_summary_covers_every_host_and_flags_the_failed_power_supply(orch):
    summary = ok(orch.node_proxy_summary())
    assert sorted(summary) == ["host1", "host2", "host3", "host4"]
    assert summary["host1"]["status"]["power"] == "error"
    assert summary["host1"]["sn"] == "FR8Y5X3"
    assert set(summary["host2"]["status"].values()) == {"ok"}
    assert json.loads(ok(orch.hardware_status())) == summary


def test_the_storage_report_lists_the_fleets_disks(orch):
    storage = ok(orch.node_proxy_common("storage", "host2"))["host2"]
    assert len(storage) == 2
    assert {d["capacity_bytes"] for d in storage.values()} == {4 * 2 ** 40}
    assert {d["serial_number"] for d in storage.values()} == {"B", "C"}


def test_criticals_name_only_the_unhealthy_members(orch):
    crit = ok(orch.node_proxy_criticals())
    assert crit["host1"]["power"]["1"]["status"] == {"health": "Critical", "state": "unplugged"}
    assert crit["host1"]["power"]["1"]["name"] == "PS2 Status"
    assert not any(members for members in crit["host2"].values())


def test_firmwares_and_fullreport(orch):
    fw = ok(orch.node_proxy_firmwares("host3"))
    assert "BIOS" in {f["name"] for f in fw["host3"].values()}
    full = ok(orch.node_proxy_fullreport("host3"))["host3"]
    assert set(full) == {"host", "sn", "status", "firmwares"}


def test_unknown_hosts_and_categories_are_errors(orch):
    assert error_of(orch.hardware_status("nohost")).errno == -errno.ENOENT
    assert str(error_of(orch.hardware_status(None, "gpus"))) == "'gpus' is not a valid category."


def test_a_malformed_hardware_section_names_the_host(tmp_path, monkeypatch):
    monkeypatch.setenv("ORCH_FLEET", str(write(tmp_path / "f.json", ["not", "a", "mapping"])))
    orch = applied_cluster(tmp_path / "state")
    assert "host 'host1': hardware must be a mapping" in str(error_of(orch.node_proxy_summary()))


def test_chassis_and_device_leds_are_remembered(orch):
    assert ok(orch.hardware_light("chassis", "get", "host2")) == {"LocationIndicatorActive": False}
    ok(orch.hardware_light("chassis", "on", "host2"))
    assert ok(orch.hardware_light("chassis", "get", "host2")) == {"LocationIndicatorActive": True}
    drive = next(iter(ok(orch.node_proxy_common("storage", "host2"))["host2"]))
    ok(orch.hardware_light("device", "on", "host2", drive))
    assert ok(orch.hardware_light("device", "get", "host2", drive))["LocationIndicatorActive"]
    ok(orch.hardware_light("device", "off", "host2", drive))
    assert not ok(orch.hardware_light("device", "get", "host2", drive))["LocationIndicatorActive"]
    assert error_of(orch.hardware_light("device", "on", "host2", "disk.bay.99")).errno == \
        -errno.ENOENT
    assert str(error_of(orch.hardware_light("device", "on", "host2"))) == \
        "you must pass a device ID."


def test_powercycle_restarts_the_daemons_and_the_host_is_back_after_a_pass(orch):
    assert "you must pass --yes-i-really-mean-it" in str(error_of(orch.hardware_powercycle("host2")))
    before = {n: d.container_id for n, d in daemons(orch, "host2").items()}
    assert ok(orch.hardware_powercycle("host2", yes_i_really_mean_it=True)).startswith(
        "Powercycle requested for host2")
    assert host_status(orch, "host2") == "offline"
    after = daemons(orch, "host2")
    assert all(after[n].container_id != before[n] for n in before)  # new containers: rebooted
    name = next(iter(after))
    assert any("power-cycled through its BMC" in m for m in events_of(orch, name))
    assert orch.reconcile_pass().get("online") == ["host2"]
    assert host_status(orch, "host2") == ""


def test_shutdown_keeps_the_host_down_until_maintenance_exit_powers_it_on(orch):
    assert "you must pass --yes-i-really-mean-it" in str(error_of(orch.hardware_shutdown("host4")))
    ok(orch.hardware_shutdown("host4", yes_i_really_mean_it=True))
    assert host_status(orch, "host4") == "maintenance"
    assert orch.power_state("host4") == "off"
    assert {d.status_desc for d in daemons(orch, "host4").values()} == {"stopped"}
    orch.reconcile_pass()
    assert host_status(orch, "host4") == "maintenance"
    assert "already powered off" in str(error_of(
        orch.hardware_shutdown("host4", yes_i_really_mean_it=True)))
    ok(orch.exit_host_maintenance("host4"))
    assert orch.power_state("host4") == "on"
    assert host_status(orch, "host4") == ""
    assert {d.status_desc for d in daemons(orch, "host4").values()} == {"running"}


def test_backends_without_a_simulated_bmc_say_node_proxy_is_not_supported():
    core = types.SimpleNamespace(store=None, driver=object())
    ssh_like = Hardware(core, node_proxy=None, backend_name="ssh")  # type: ignore[arg-type]
    with pytest.raises(OrchestratorError) as e:
        ssh_like._node_proxy()
    assert e.value.errno == -errno.EOPNOTSUPP
    assert "not supported by the ssh backend" in str(e.value)


_members = st.dictionaries(st.sampled_from(["0", "1", "2", "3"]),
                           st.sampled_from(["OK", "Warning", "Critical"]), max_size=4)


@given(st.dictionaries(st.sampled_from(list(COMPONENTS)), _members, max_size=6))
@settings(max_examples=60, deadline=None)
def test_a_component_is_in_error_exactly_when_it_has_critical_members(healths):
    """Whatever the fleet overrides, summary and criticals agree with each member's health."""
    overrides = {c: {k: {"status": {"health": h, "state": "Enabled"}} for k, h in m.items()}
                 for c, m in healths.items()}
    entry = dict(fleet()[0], hardware={"status": overrides})
    report = SimulatedBmc(entry).report()
    summary, crit = summarize(report), criticals(report)
    for component in COMPONENTS:
        bad = {k for k, h in healths.get(component, {}).items() if h != "OK"}
        assert set(crit[component]) == bad
        assert summary["status"][component] == ("error" if bad else "ok")
