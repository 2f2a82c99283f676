"""`orch upgrade`: mgr first and Ceph's order after, a few daemons per pass, staggered by type,
host, service or count with Ceph's rules, paused on a daemon that does not come back, never
stalled by an offline host, and resumable after a crash."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from workflow_cluster import daemons, events_of, ok, open_orch, passes, service_events, write_fleet

from ceph_orch_cli.cluster.driver import HostActionError
from ceph_orch_cli.cluster.upgrade import CEPH_UPGRADE_ORDER
from ceph_orch_cli.orchestrator.errors import OrchestratorError

TESTS_DIR = Path(__file__).resolve().parents[1]
OLD = "quay.io/ceph/ceph:v18.2.4"
NEW = "quay.io/ceph/ceph:v18.2.5"


def status(orch):
    return ok(orch.upgrade_status()).to_json()


def images(orch):
    return {n: d.container_image_name for n, d in daemons(orch).items()}


def upgraded_order(orch, limit=20):
    """Run passes until the upgrade is over; the daemons in the order they were upgraded."""
    order = []
    for _ in range(limit):
        if not status(orch)["in_progress"]:
            return order
        summary = orch.reconcile_pass().get("upgrade_step") or {}
        order.extend(summary.get("upgraded", []))
    raise AssertionError(f"upgrade still running: {status(orch)}")


def test_idle_status_is_cephs(orch):
    assert status(orch) == {"in_progress": False, "target_image": None, "which": "<unknown>",
                            "services_complete": [], "progress": None, "message": "",
                            "is_paused": False}


def test_ceph_version_becomes_the_image_and_upgrade_runs_in_cephs_order(orch):
    assert ok(orch.upgrade_start(None, "18.2.5", None, None, None, None)) == \
        f"Initiating upgrade to {NEW}"
    st = status(orch)
    assert (st["target_image"], st["which"], st["progress"]) == \
        (NEW, "Upgrading all daemon types on all hosts", "0/17 daemons upgraded")
    order = upgraded_order(orch)
    types = [n.split(".")[0] for n in order]
    assert types == sorted(types, key=CEPH_UPGRADE_ORDER.index)
    assert types[:2] == ["mgr", "mgr"]
    assert set(images(orch).values()) == {NEW}
    assert orch.store.get_setting("container_image") == NEW
    assert any("Upgraded mon.host1" in m for m in events_of(orch, "mon.host1"))
    assert any(f"Upgrade to {NEW} complete" in m for m in service_events(orch, "mon"))


def test_a_pass_upgrades_only_a_few_daemons(orch):
    ok(orch.upgrade_start(NEW, None, None, None, None, None))
    passes(orch, 1)
    # one mgr: the other must stay up meanwhile
    assert sum(1 for i in images(orch).values() if i == NEW) == 1
    assert status(orch)["message"] == "Currently upgrading mgr daemons"


def test_limit_3_then_continue(orch):
    ok(orch.upgrade_start(NEW, None, None, None, None, 3))
    assert status(orch)["which"].endswith(". Upgrade limited to 3 daemons (3 remaining).")
    upgraded_order(orch)
    assert sum(1 for i in images(orch).values() if i == NEW) == 3
    assert not status(orch)["in_progress"]
    ok(orch.upgrade_start(NEW, None, None, None, None, None))
    upgraded_order(orch)
    assert set(images(orch).values()) == {NEW}


def test_staggered_order_is_enforced_like_ceph(orch):
    with pytest.raises(OrchestratorError) as e:
        ok(orch.upgrade_start(NEW, None, ["osd"], None, None, None))
    msg = str(e.value)
    assert msg.startswith("Cannot start upgrade. Daemons with types earlier in upgrade order "
                          "than given types need upgrading.\nPlease first upgrade ")
    assert "mgr." in msg and "mon.host1" in msg
    assert msg.endswith("NOTE: Enforced upgrade order is: mgr -> mon -> crash -> osd -> mds -> "
                        "rgw -> rbd-mirror -> cephfs-mirror -> ceph-exporter -> iscsi -> nfs -> "
                        "nvmeof -> smb")
    ok(orch.upgrade_start(NEW, None, ["mgr"], None, None, None))
    assert status(orch)["which"] == "Upgrading daemons of type(s) mgr"
    upgraded_order(orch)
    assert {n for n, i in images(orch).items() if i == NEW} == set(daemons(orch, daemon_type="mgr"))
    ok(orch.upgrade_start(NEW, None, ["mon", "crash"], None, None, None))
    upgraded_order(orch)
    ok(orch.upgrade_start(NEW, None, None, "host2", None, None))
    assert status(orch)["which"] == "Upgrading all daemons on host(s) host2"
    upgraded_order(orch)
    assert all(d.container_image_name == NEW for d in daemons(orch, hostname="host2").values())


def test_filters_are_validated_with_cephs_messages(orch):
    cases = [
        (dict(daemon_types=["foo"]), 'Upgrade aborted - Got unexpected daemon type "foo".'),
        (dict(services=["rgw.nope"]), 'Upgrade aborted - Got unknown service name "rgw.nope".'),
        (dict(hosts="nohost"), 'Upgrade aborted - hosts parameter "nohost" provided did not '
                               "match any hosts"),
        (dict(limit=0), "Upgrade aborted - --limit arg must be a positive integer, not 0"),
        (dict(daemon_types=["mgr"], services=["mon"]),
         "--daemon-types and --services are mutually exclusive"),
    ]
    for kwargs, expected in cases:
        args = dict(daemon_types=None, hosts=None, services=None, limit=None)
        args.update(kwargs)
        with pytest.raises(OrchestratorError) as e:
            ok(orch.upgrade_start(NEW, None, **args))
        assert str(e.value).startswith(expected)
    with pytest.raises(OrchestratorError, match="must specify either image or version"):
        ok(orch.upgrade_start(None, None, None, None, None, None))
    with pytest.raises(OrchestratorError, match="ceph cannot downgrade major versions"):
        ok(orch.upgrade_start(None, "17.2.7", None, None, None, None))


def test_already_in_progress_only_while_one_is(orch):
    ok(orch.upgrade_start(NEW, None, None, None, None, None))
    again = ok(orch.upgrade_start(NEW, None, None, None, None, None))
    assert again == f"Upgrade to {NEW} in progress"
    other = "quay.io/ceph/ceph:v19.2.0"
    with pytest.raises(OrchestratorError) as e:
        ok(orch.upgrade_start(other, None, None, None, None, None))
    assert str(e.value) == f"Upgrade to {NEW} (not {other}) already in progress"
    with pytest.raises(OrchestratorError, match="Cannot set values for --daemon-types"):
        ok(orch.upgrade_start(NEW, None, ["mgr"], None, None, None))
    assert ok(orch.upgrade_stop()) == f"Stopped upgrade to {NEW}"
    assert ok(orch.upgrade_stop()) == "No upgrade in progress"
    assert ok(orch.upgrade_start("quay.io/ceph/ceph:v19.2.0", None, None, None, None, None)) == \
        "Initiating upgrade to quay.io/ceph/ceph:v19.2.0"


def test_pause_resume_stop_at_any_point(orch):
    ok(orch.upgrade_start(NEW, None, None, None, None, None))
    passes(orch, 2)
    assert ok(orch.upgrade_pause()) == f"Paused upgrade to {NEW}"
    assert ok(orch.upgrade_pause()) == f"Upgrade to {NEW} already paused"
    before = images(orch)
    passes(orch, 3)
    assert images(orch) == before
    st = status(orch)
    assert (st["is_paused"], st["message"]) == (True, "Upgrade paused")
    assert ok(orch.upgrade_resume()) == f"Resumed upgrade to {NEW}"
    assert ok(orch.upgrade_resume()) == f"Upgrade to {NEW} not paused"
    passes(orch, 2)
    assert ok(orch.upgrade_stop()) == f"Stopped upgrade to {NEW}"
    after = images(orch)
    passes(orch, 2)
    assert images(orch) == after
    assert not status(orch)["in_progress"]
    with pytest.raises(OrchestratorError, match="No upgrade in progress"):
        ok(orch.upgrade_pause())


def test_a_daemon_that_does_not_come_back_pauses_the_upgrade(orch, monkeypatch):
    ok(orch.upgrade_start(NEW, None, None, None, None, None))
    passes(orch, 2)  # both mgrs
    real = orch.driver.deploy_daemon

    def broken(host, request):
        entry = real(host, request)
        if request.name == "mon.host1":
            orch.driver._host_state(host.hostname)["daemons"][request.name]["state"] = "error"
        return entry
    monkeypatch.setattr(orch.driver, "deploy_daemon", broken)
    passes(orch, 3)
    st = status(orch)
    assert st["is_paused"]
    assert st["message"].startswith("Error: UPGRADE_REDEPLOY_DAEMON: Upgrading daemon mon.host1 "
                                    "on host host1 failed.")
    assert images(orch)["mon.host3"] == OLD  # not pressing on
    assert any("Upgrade paused" in m for m in events_of(orch, "mon.host1"))


def test_a_failed_redeploy_pauses_with_the_hosts_reason(orch, monkeypatch):
    ok(orch.upgrade_start(NEW, None, ["mgr"], None, None, None))

    def fail(host, request):
        raise HostActionError(host.hostname, "deploy", "image pull failed")
    monkeypatch.setattr(orch.driver, "deploy_daemon", fail)
    orch.reconcile_pass()
    assert "image pull failed" in status(orch)["message"]
    assert status(orch)["is_paused"]


def test_an_offline_host_holds_the_upgrade_naming_it_and_it_goes_on_when_the_host_is_back(
        orch, state, tmp_path):
    ok(orch.upgrade_start(NEW, None, None, None, None, None))
    write_fleet(tmp_path / "fleet.json", offline=["host3"])
    orch = open_orch(state)
    seen = []
    for _ in range(20):
        orch.reconcile_pass()
        seen.append(status(orch)["message"])
    assert status(orch)["in_progress"]  # held, never finished without host3's daemons
    # held naming host3: either every other daemon is done, or a mon waits because with
    # host3's mon down, stopping another would leave no majority of the monmap
    assert "paused while host(s) host3 are offline" in seen[-1] or (
        "not enough monitors would be available" in seen[-1] and "host(s) host3" in seen[-1])
    on_host3 = {n: i for n, i in images(orch).items() if daemons(orch)[n].hostname == "host3"}
    assert set(on_host3.values()) == {OLD}
    write_fleet(tmp_path / "fleet.json")
    orch = open_orch(state)
    for _ in range(30):
        if not status(orch)["in_progress"]:
            break
        orch.reconcile_pass()
    assert not status(orch)["in_progress"]
    assert set(images(orch).values()) == {NEW}
    assert orch.store.get_setting("container_image") == NEW


CHILD = """
import sys
from pathlib import Path
from workflow_cluster import open_orch
orch = open_orch(Path(sys.argv[1]))
for _ in range(30):
    orch.reconcile_pass()
"""


@pytest.mark.parametrize("crash_after", [1, 3, 6])
def test_a_crash_mid_upgrade_resumes_on_the_next_pass(orch, state, crash_after):
    ok(orch.upgrade_start(NEW, None, None, None, None, None))
    env = dict(os.environ, ORCH_TEST_CRASH_AFTER=str(crash_after),
               PYTHONPATH=os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]))
    child = subprocess.run([sys.executable, "-c", CHILD, str(state)], env=env, cwd=TESTS_DIR,
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == 137, child.stderr
    again = open_orch(state)
    assert status(again)["in_progress"]
    upgraded_order(again)
    assert set(images(again).values()) == {NEW}
    assert all(d.status_desc == "running" for d in daemons(again).values())


def test_check_and_ls(orch):
    report = json.loads(ok(orch.upgrade_check(None, "18.2.5")))
    assert report["target_name"] == NEW
    assert set(report["needs_update"]) == set(daemons(orch))
    assert report["needs_update"]["mon.host1"]["current_name"] == OLD
    assert json.loads(ok(orch.upgrade_check(OLD, None)))["up_to_date"]
    ls = ok(orch.upgrade_ls(None, False, False))
    assert ls["image"] == "quay.io/ceph/ceph" and ls["registry"] == "quay.io"
    assert "18.2.5" in ls["versions"] and "17.2.7" not in ls["versions"]
    assert "17.2.7" in ok(orch.upgrade_ls(None, False, True))["versions"]
    assert "v19.2.0" in ok(orch.upgrade_ls(None, True, False))["tags"]


def test_an_unexpected_error_pauses_the_upgrade_instead_of_failing_every_pass(orch, monkeypatch):
    ok(orch.upgrade_start(NEW, None, None, None, None, None))

    def refuse(dtype, ids):
        raise OrchestratorError("mon command failed: timed out")
    monkeypatch.setattr(orch.cluster, "ok_to_stop", refuse)
    summary = orch.reconcile_pass()
    assert summary["upgrade_step"] == {"paused": "mon command failed: timed out"}
    assert status(orch)["message"] == ("Error: UPGRADE_EXCEPTION: Upgrade: failed due to an "
                                       "unexpected exception: mon command failed: timed out")
    monkeypatch.undo()
    ok(orch.upgrade_resume())
    upgraded_order(orch)
    assert set(images(orch).values()) == {NEW}
