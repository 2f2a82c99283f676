"""`orch device replace` and `orch osd set-spec-affinity` on the local backend: Ceph's checks and
messages, the replaced OSDs destroyed with their ids kept, a shared DB device that needs
--yes-i-really-mean-it, the "being replaced" mark and its --clear, and OSDs moved to another
OSD service."""
from __future__ import annotations

import json

import pytest
from workflow_cluster import (CLUSTER, _disk, applied_cluster, daemons, events_of, ok, open_orch,
                              passes, write_fleet)

from ceph_orch_cli.deployment.loader import load_specs

from ceph_orch_cli.orchestrator.errors import OrchestratorError

FAST = """service_type: osd
service_id: fast
unmanaged: true
placement: {host_pattern: '*'}
spec: {data_devices: {rotational: 0}}
"""


def error_of(call):
    with pytest.raises(OrchestratorError) as e:
        ok(call)
    return str(e.value)


def osd_on(orch, host, path):
    inv = orch.store.get_devices(host)[host][0]
    dev = next(d for d in inv if d["path"] == path)
    return sorted({str(lv["osd_id"]) for lv in dev.get("lvs") or []}, key=int)


@pytest.fixture
def orch(tmp_path, monkeypatch):
    monkeypatch.setenv("ORCH_FLEET", str(write_fleet(tmp_path / "fleet.json")))
    return applied_cluster(tmp_path / "state", FAST)


def test_replacing_a_block_device_destroys_its_osd_and_marks_the_device(orch):
    ids = osd_on(orch, "host1", "/dev/sdb")
    assert ok(orch.replace_device("host1", "/dev/sdb")) == \
        f"Scheduled to destroy osds: {ids} and mark /dev/sdb as being replaced."
    assert orch.being_replaced("host1") == {"/dev/sdb"}
    assert any("for replacement" in m for m in events_of(orch, f"osd.{ids[0]}"))
    passes(orch, 8)
    assert f"osd.{ids[0]}" not in daemons(orch, daemon_type="osd")
    assert int(ids[0]) in orch.cluster.destroyed_osds().get("host1", [])


def test_clear_removes_the_mark_once(orch, tmp_path):
    ok(orch.replace_device("host1", "/dev/sdc"))
    assert ok(open_orch(tmp_path / "state").replace_device("host1", "/dev/sdc", clear=True)) == \
        "Replacement header cleared on /dev/sdc"
    assert orch.being_replaced("host1") == set()
    assert ok(orch.replace_device("host1", "/dev/sdc", clear=True)).startswith(
        "No replacement header could be cleared on /dev/sdc.")


def test_a_device_without_osds_or_an_unknown_host_is_refused(orch):
    assert error_of(orch.replace_device("host1", "/dev/nope")) == \
        "/dev/nope doesn't appear to be used for an OSD, not a valid device in host1."
    assert "Cannot find host 'nohost' in the inventory" in \
        error_of(orch.replace_device("nohost", "/dev/sdb"))


def test_a_shared_db_device_needs_yes_i_really_mean_it(tmp_path, monkeypatch):
    entries = json.loads(write_fleet(tmp_path / "fleet.json").read_text())
    nvme = _disk("/dev/nvme0n1", "NVME_DB")
    nvme["sys_api"]["rotational"] = "0"
    entries[0]["devices"].append(nvme)
    (tmp_path / "fleet.json").write_text(json.dumps(entries))
    monkeypatch.setenv("ORCH_FLEET", str(tmp_path / "fleet.json"))
    orch = open_orch(tmp_path / "state")
    specs = CLUSTER.replace("spec: {data_devices: {all: true}}",
                            "spec: {data_devices: {rotational: 1}, db_devices: {rotational: 0}}")
    ok(orch.apply(load_specs(specs)))
    shared = osd_on(orch, "host1", "/dev/nvme0n1")
    assert len(shared) == 2
    assert error_of(orch.replace_device("host1", "/dev/nvme0n1")) == (
        f"/dev/nvme0n1 is a shared device.\nReplacing /dev/nvme0n1 implies destroying OSD(s): "
        f"{shared}.\nPlease, *be very careful*, this can be a very dangerous operation.\n"
        "If you know what you are doing, pass --yes-i-really-mean-it")
    assert ok(orch.replace_device("host1", "/dev/nvme0n1", yes_i_really_mean_it=True)) == \
        f"Scheduled to destroy osds: {shared} and mark /dev/nvme0n1 as being replaced."
    assert {str(e.osd_id) for e in orch._removal_queue()} == set(shared)


def test_set_spec_affinity_moves_osds_to_another_osd_service(orch, tmp_path):
    assert ok(orch.set_osd_spec("osd.fast", ["0", "1"])) == "Updated service for osd 0,1"
    again = open_orch(tmp_path / "state")
    again.reconcile_pass()
    osds = daemons(again, daemon_type="osd")
    assert osds["osd.0"].service_name() == "osd.fast"
    assert osds["osd.1"].service_name() == "osd.fast"
    assert osds["osd.2"].service_name() == "osd.all"
    assert "Moved osd.0 to service osd.fast" in events_of(again, "osd.0")


def test_set_spec_affinity_needs_an_existing_osd_service_and_osds(orch):
    assert error_of(orch.set_osd_spec("osd.nope", ["0"])).startswith(
        "Cannot find service 'osd.nope' in the inventory.")
    assert error_of(orch.set_osd_spec("mon", ["0"])).startswith("Cannot find service 'mon'")
    assert error_of(orch.set_osd_spec("osd.fast", ["99"])) == "Unable to find OSDs: ['99']"


def test_a_device_being_replaced_shows_so_and_gets_no_new_osd_until_cleared(orch):
    ids = osd_on(orch, "host1", "/dev/sdb")
    ok(orch.replace_device("host1", "/dev/sdb"))
    passes(orch, 8)

    def sdb():
        host = next(h for h in ok(orch.get_inventory()) if h.name == "host1")
        return next(d for d in host.devices.devices if d.path == "/dev/sdb")

    assert sdb().being_replaced is True
    assert f"osd.{ids[0]}" not in daemons(orch, daemon_type="osd")
    ok(orch.replace_device("host1", "/dev/sdb", clear=True))
    assert sdb().being_replaced is False
