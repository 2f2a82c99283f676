"""A real upgrade, Pacific 16.2.15 to Reef 18.2.7, by `orch upgrade` alone, faults included.

Reef runs from a Debian trixie root (``.ci/reef-root`` builds it once, outside the clone);
in the package runtime an image names a binary root, so the target is ``deb:reef``. The
upgrade is staggered (the mgrs first, then the rest), a host is killed in the middle and
comes back, and the upgrade is stopped and started again; at the end ``ceph versions``
shows only Reef, the cluster is healthy and the data reads back.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.realceph.conftest import bring_up, payload, wait_until

pytestmark = [pytest.mark.realceph, pytest.mark.timeout(1200)]

REEF_ROOT = Path(os.environ.get("ORCH_REEF_ROOT", "/var/lib/ceph-orch-ci/roots/reef"))
OLD, NEW = "16.2.15", "18.2.7"


@pytest.fixture(scope="module")
def reef(cluster):
    if not (REEF_ROOT / ".orch-root-complete").exists():
        pytest.skip(f"no Reef binary root at {REEF_ROOT} (build it with .ci/reef-root {REEF_ROOT})")
    for host in cluster.hosts:
        roots = host.root / "var/lib/ceph-orch/roots"
        roots.mkdir(parents=True, exist_ok=True)
        link = roots / "reef"
        if not link.exists():
            link.symlink_to(REEF_ROOT)
    return cluster


def versions(cluster):
    """``ceph versions``: {daemon type: {version string: count}} (and "overall")."""
    return cluster.ceph_json("versions")


def releases(by_type):
    return {v.split()[2] for v in by_type}


def status(cluster):
    """`orch upgrade status` (JSON, as Ceph prints it)."""
    return json.loads(cluster.orch("upgrade", "status").stdout)


def test_upgrade_ls_and_check_see_the_reef_root(reef):
    bring_up(reef)
    listing = json.loads(reef.orch("upgrade", "ls").stdout)
    assert {"image": "deb:reef", "version": NEW, "hosts": ["host1", "host2", "host3", "host4"]} \
        in listing["roots"]
    check = json.loads(reef.orch("upgrade", "check", "--image", "deb:reef").stdout)
    assert check["target_version"] == NEW
    assert len(check["needs_update"]) == 18  # 3 mon, 2 mgr, 7 osd, 4 crash, an mds, an rgw
    assert releases(versions(reef)["overall"]) == {OLD}


def test_mgrs_first_then_a_host_killed_mid_upgrade_holds_it_until_it_returns(reef):
    reef.orch("upgrade", "start", "--image", "deb:reef", "--daemon-types", "mgr")
    reef.serve_until("the mgrs on Reef", lambda: not status(reef)["in_progress"], 300)
    by_type = versions(reef)
    assert releases(by_type["mgr"]) == {NEW}
    assert releases(by_type["osd"]) == {OLD} and releases(by_type["mon"]) == {OLD}

    reef.orch("upgrade", "start", "--image", "deb:reef")
    reef.serve_until("a mon on Reef", lambda: NEW in " ".join(versions(reef)["mon"]), 300)
    host3 = reef.host("host3")
    reef.hosts.stop(host3)  # the host crashes in the middle of the mons
    held = reef.serve_until("the upgrade held by host3", lambda: (
        lambda s: "host3" in s["message"] and "offline" in s["message"] and s)(status(reef)), 240)
    assert held["in_progress"]
    reef.hosts.restart(host3)
    reef.serve_until("the mons on Reef",
                     lambda: releases(versions(reef)["mon"]) == {NEW} and
                     len(reef.ceph_json("quorum_status")["quorum_names"]) == 3, 400)


def test_stop_leaves_a_mixed_healthy_cluster_and_a_second_start_finishes(reef):
    reef.serve_until("some OSDs on Reef", lambda: NEW in " ".join(versions(reef)["osd"]), 400)
    reef.orch("upgrade", "stop")
    assert not status(reef)["in_progress"]
    by_type = versions(reef)
    assert releases(by_type["osd"]) == {OLD, NEW} or releases(by_type["mds"]) == {OLD}
    assert all(d["status_desc"] == "running" for d in reef.orch_json("ps", "--refresh"))
    # healthy but mixed: Ceph's only complaint may be that every OSD already runs Reef
    # while require_osd_release still says Pacific (the upgrade's last step did not run)
    wait_until("a mixed healthy cluster", lambda: set(
        reef.ceph_json("health")["checks"]) <= {"OSD_UPGRADE_FINISHED"}, 300, every=2)

    reef.orch("upgrade", "start", "--image", "deb:reef")
    reef.serve_until("the upgrade complete", lambda: not status(reef)["in_progress"], 900)
    assert releases(versions(reef)["overall"]) == {NEW}
    assert reef.ceph_json("osd", "dump")["require_osd_release"] == "reef"
    reef.wait_healthy(300)
    for n in range(8):
        got = reef.host("host1").run(["rados", "-p", "data", "get", f"obj{n}", "-"]).stdout
        assert got == payload(n)
    assert all(d.get("version") == NEW for d in reef.orch_json("ps", "--refresh"))
