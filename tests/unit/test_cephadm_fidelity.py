"""The demo cluster on the local backend, checked against what cephadm itself would do.

Every expected host below is worked out here from cephadm's rules (scheduling.md), not by
asking the engine: a count-placed service takes the first hosts of its candidates sorted
by name and shuffled with ``random.Random(sha1(service_name) % 2**32)``; a host that is
offline keeps its daemons (they still count) unless the service is nfs or haproxy; a
``_no_schedule`` host leaves the candidates and loses its daemons; ingress runs a
keepalived beside every haproxy; mon and mgr are never left empty.
"""
from __future__ import annotations

import hashlib
import random
import re
from typing import Dict, List

import pytest
import yaml
from demo_cluster import DEMO, REPO, ok
from demo_cluster import cluster, orch  # noqa: F401  (pytest fixtures)

from ceph_orch_cli.backends import load_backend
from ceph_orch_cli.deployment.loader import load_specs

FLEET = list(yaml.safe_load_all((REPO / "specs" / "demo" / "fleet.yaml").read_text()))
ALL = [f"host{i}" for i in range(1, 7)]
LABELS = {"mon": ["host1", "host2", "host3"], "rgw": ["host4", "host5"],
          "monitoring": ["host6"]}
SUFFIX = r"\.[a-z]{6}"

# The algorithm checked here is CPython's shuffle: pin it with cephadm's own test orders
# (test_scheduling.py) so a wrong seed formula fails loudly rather than agreeing with itself.
PINNED = {"mgr": [4, 2, 1, 3], "mon": [1, 3, 4, 2], "rgw": [1, 3, 2, 4],
          "prometheus": [3, 2, 4, 1], "grafana": [1, 2, 4, 3]}


def shuffled(service_name: str, hosts: List[str]) -> List[str]:
    """cephadm's candidate order for a service on these hosts."""
    order = sorted(hosts)
    random.Random(int(hashlib.sha1(service_name.encode("utf-8")).hexdigest(), 16)
                  % 2 ** 32).shuffle(order)
    return order


@pytest.mark.parametrize("name,order", sorted(PINNED.items()))
def test_the_shuffle_reproduces_cephadms_pinned_orders(name, order):
    assert shuffled(name, ["host1", "host2", "host3", "host4"]) == [f"host{i}" for i in order]


def fleet_with(tmp_path, monkeypatch, **status: str) -> None:
    """Point the local backend at the demo fleet with some hosts' status changed."""
    entries = [dict(e, status=status[e["hostname"]]) if e["hostname"] in status else e
               for e in FLEET]
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump_all(entries))
    monkeypatch.setenv("ORCH_FLEET", str(path))


def daemons(orch, service: str, dtype: str = "") -> Dict[str, str]:
    """name -> host of a service's daemons (of one type, if given)."""
    return {d.name(): d.hostname for d in ok(orch.list_daemons(service_name=service))
            if not dtype or d.daemon_type == dtype}


def hosts(orch, service: str, dtype: str = "") -> List[str]:
    return sorted(daemons(orch, service, dtype).values())


def apply_yaml(orch, text: str) -> None:
    ok(orch.apply(load_specs(text)))


# -- the demo cluster --------------------------------------------------------------------
# service, daemon type, expected hosts, daemon-name pattern ({h} = the host)
DEMO_TABLE = [
    ("mon", "mon", LABELS["mon"], r"mon\.{h}"),
    ("mgr", "mgr", shuffled("mgr", ALL)[:2], r"mgr\.{h}" + SUFFIX),
    ("crash", "crash", ALL, r"crash\.{h}"),
    ("mds.cephfs", "mds", shuffled("mds.cephfs", ALL)[:2], r"mds\.cephfs\.{h}" + SUFFIX),
    ("rgw.myrgw", "rgw", LABELS["rgw"], r"rgw\.myrgw\.{h}" + SUFFIX),
    ("nfs.mynfs", "nfs", shuffled("nfs.mynfs", ALL)[:1], r"nfs\.mynfs\.0\.0\.{h}" + SUFFIX),
    ("ingress.rgw.myrgw", "haproxy", LABELS["rgw"], r"haproxy\.rgw\.myrgw\.{h}" + SUFFIX),
    ("ingress.rgw.myrgw", "keepalived", LABELS["rgw"], r"keepalived\.rgw\.myrgw\.{h}" + SUFFIX),
    ("prometheus", "prometheus", LABELS["monitoring"], r"prometheus\.{h}"),
    ("grafana", "grafana", LABELS["monitoring"], r"grafana\.{h}"),
    ("alertmanager", "alertmanager", LABELS["monitoring"], r"alertmanager\.{h}"),
    ("node-exporter", "node-exporter", ALL, r"node-exporter\.{h}"),
    ("osd.default_drive_group", "osd", ALL, r"osd\.\d+"),
]


@pytest.mark.parametrize("service,dtype,expected,pattern", DEMO_TABLE,
                         ids=[f"{r[0]}:{r[1]}" for r in DEMO_TABLE])
def test_the_demo_cluster_places_each_daemon_where_cephadm_would(cluster, service, dtype,
                                                                   expected, pattern):
    placed = daemons(cluster, service, dtype)
    if dtype == "osd":
        # two free spinning disks on every host (the 4 GB ones are rejected): 2 OSDs each
        assert sorted(placed.values()) == sorted(ALL * 2)
    else:
        assert sorted(placed.values()) == sorted(expected)
    for name, host in placed.items():
        assert re.fullmatch(pattern.replace("{h}", host), name), name


# service -> (size, running) as `orch ls` shows them (RUNNING is running/size)
DEMO_LS = {
    "mon": (3, 3), "mgr": (2, 2), "crash": (6, 6), "mds.cephfs": (2, 2), "rgw.myrgw": (2, 2),
    "nfs.mynfs": (1, 1),
    "ingress.rgw.myrgw": (4, 4),  # a haproxy and a keepalived on each of 2 hosts
    "prometheus": (1, 1), "grafana": (1, 1), "alertmanager": (1, 1), "node-exporter": (6, 6),
    "osd.default_drive_group": (12, 12),  # osd size is the OSDs there are
}


def test_orch_ls_counts_running_against_size_as_cephadm_does(cluster):
    shown = {s.spec.service_name(): (s.size, s.running) for s in ok(cluster.describe_service())}
    assert shown == DEMO_LS


def test_ports_follow_the_service_types(cluster):
    ports = {d.name().split(".")[0]: d.ports for d in ok(cluster.list_daemons())}
    assert ports["rgw"] == [8080] and ports["haproxy"] == [8000, 8999]
    assert ports["nfs"] == [12049] and ports["prometheus"] == [9095]
    assert ports["grafana"] == [3000] and ports["alertmanager"] == [9093, 9094]
    assert ports["node-exporter"] == [9100]
    assert ports["mgr"] == [8443, 9283, 8765]  # dashboard, prometheus module, service discovery
    assert not ports["mon"] and not ports["keepalived"] and not ports["crash"]


def test_mon_and_osd_ask_for_their_memory_target_others_ask_nothing(cluster):
    req = {d.daemon_type: d.memory_request for d in ok(cluster.list_daemons())}
    assert req["mon"] == 2 * 1024 ** 3 and req["osd"] == 4 * 1024 ** 3
    assert req["mgr"] is None and req["rgw"] is None


def test_a_set_memory_target_reaches_new_daemons(orch):
    orch.store.set_setting("osd_memory_target", 3 * 1024 ** 3)
    apply_yaml(orch, DEMO)
    assert {d.memory_request for d in ok(orch.list_daemons(daemon_type="osd"))} == {3 * 1024 ** 3}


def test_reapplying_the_same_cluster_changes_nothing(cluster):
    before = {d.name() for d in ok(cluster.list_daemons())}
    apply_yaml(cluster, DEMO)
    assert {d.name() for d in ok(cluster.list_daemons())} == before


# -- count changes ------------------------------------------------------------------------
@pytest.mark.parametrize("service_yaml,service,steps", [
    ("service_type: mds\nservice_id: cephfs\nplacement: {count: %d}\n", "mds.cephfs", [2, 4, 1]),
    ("service_type: mgr\nplacement: {count: %d}\n", "mgr", [2, 3, 1]),
])
def test_counts_grow_along_the_shuffle_and_shrink_keeping_the_first_hosts(
        orch, service_yaml, service, steps):
    apply_yaml(orch, "---\n".join(f"service_type: host\nhostname: {h}\naddr: 10.0.0.1{h[-1]}\n"
                                   for h in ALL))
    order = shuffled(service, ALL)
    previous: List[str] = []
    for count in steps:
        apply_yaml(orch, service_yaml % count)
        placed = hosts(orch, service)
        if count >= len(previous):
            # growth keeps what runs and takes the next hosts in shuffled order
            grown = previous + [h for h in order if h not in previous]
            assert placed == sorted(grown[:count])
        else:
            # a shrink keeps the first daemons in cephadm's cache order (hosts as added)
            assert placed == sorted(previous, key=ALL.index)[:count]
        previous = placed


# -- offline hosts ------------------------------------------------------------------------
def test_an_offline_hosts_daemons_keep_their_slots_when_a_spec_grows(tmp_path, monkeypatch,
                                                                     cluster):
    mgr_hosts = shuffled("mgr", ALL)[:2]
    down = mgr_hosts[0]
    fleet_with(tmp_path, monkeypatch, **{down: "offline"})
    again = load_backend("local", cluster.store.state_dir)
    assert again.reconcile_pass()["offline"] == [down]
    apply_yaml(again, "service_type: mgr\nplacement: {count: 3}\n")
    # the offline mgr still counts: one more, on the first reachable host not yet used
    third = next(h for h in shuffled("mgr", ALL) if h not in mgr_hosts and h != down)
    assert hosts(again, "mgr") == sorted(mgr_hosts + [third])
    # a label-placed service never gets a new daemon on the offline host, nor loses one
    assert down in hosts(again, "crash")


def test_nfs_moves_off_an_offline_host_with_a_new_rank_generation(tmp_path, monkeypatch,
                                                                  cluster):
    first = shuffled("nfs.mynfs", ALL)[0]
    fleet_with(tmp_path, monkeypatch, **{first: "offline"})
    again = load_backend("local", cluster.store.state_dir)
    again.reconcile_pass()
    # candidates drop the offline host after the shuffle (not before): next in that order
    moved_to = [h for h in shuffled("nfs.mynfs", ALL) if h != first][0]
    now = daemons(again, "nfs.mynfs")
    new = [n for n, h in now.items() if h == moved_to]
    assert len(new) == 1 and re.fullmatch(rf"nfs\.mynfs\.0\.1\.{moved_to}{SUFFIX}", new[0])
    # the old rank-0 generation-0 daemon cannot be removed while its host is unreachable
    assert [h for h in now.values() if h == first] == [first]


def test_haproxy_is_replaced_away_from_an_offline_host_but_keepalived_is_not(
        tmp_path, monkeypatch, orch):
    apply_yaml(orch, DEMO.replace("  count: 2\n  label: rgw\nspec:\n  backend_service",
                        "  count: 2\nspec:\n  backend_service"))
    ha = hosts(orch, "ingress.rgw.myrgw", "haproxy")
    # the backend's hosts come first (related service daemons): rgw runs on host4, host5
    assert ha == LABELS["rgw"]
    fleet_with(tmp_path, monkeypatch, host5="offline")
    again = load_backend("local", orch.store.state_dir)
    again.reconcile_pass()
    replacement = next(h for h in shuffled("ingress.rgw.myrgw", ALL)
                       if h not in ("host4", "host5"))
    assert hosts(again, "ingress.rgw.myrgw", "haproxy") == sorted(
        ["host4", "host5", replacement])
    # keepalived follows every haproxy slot; the one on the offline host stays too
    assert hosts(again, "ingress.rgw.myrgw", "keepalived") == sorted(
        ["host4", "host5", replacement])


# -- draining (_no_schedule) ----------------------------------------------------------------
def test_a_no_schedule_host_loses_its_daemons_and_they_are_replaced(cluster):
    drained = shuffled("mgr", ALL)[0]  # runs a mgr (and crash, node-exporter, maybe mds)
    kept_mgr = shuffled("mgr", ALL)[1]
    ok(cluster.add_host_label(drained, "_no_schedule"))
    rest = [h for h in ALL if h != drained]
    # the candidates are the schedulable hosts only, shuffled as a shorter list
    new_mgr = next(h for h in shuffled("mgr", rest) if h != kept_mgr)
    assert hosts(cluster, "mgr") == sorted([kept_mgr, new_mgr])
    assert hosts(cluster, "crash") == rest and hosts(cluster, "node-exporter") == rest
    assert drained not in hosts(cluster, "mds.cephfs")
    # OSDs are not removed by the serve loop (draining them is `orch host drain`'s job)
    assert drained in hosts(cluster, "osd.default_drive_group")
    ls = {s.spec.service_name(): (s.size, s.running) for s in ok(cluster.describe_service())}
    assert ls["crash"] == (5, 5)


def test_mon_is_never_left_empty(cluster):
    # draining two mon hosts removes their mons: the label leaves too few candidates
    for h in LABELS["mon"][:2]:
        ok(cluster.add_host_label(h, "_no_schedule"))
    assert hosts(cluster, "mon") == ["host3"]
    # the last one would leave none: cephadm skips the pass rather than remove it
    ok(cluster.add_host_label("host3", "_no_schedule"))
    assert hosts(cluster, "mon") == ["host3"]


# -- networks -----------------------------------------------------------------------------
def test_ingress_only_goes_where_an_interface_holds_the_virtual_ip(orch):
    apply_yaml(orch, DEMO.replace("virtual_ip: 10.0.0.100/24", "virtual_ip: 192.168.7.5/24"))
    assert hosts(orch, "ingress.rgw.myrgw") == []
    events = [e.message for s in ok(orch.describe_service(service_name="ingress.rgw.myrgw"))
              for e in (s.events or [])]
    # no host can take the VIP: nothing is placed, and that is not an apply failure
    assert not [m for m in events if m.startswith("Failed")]


def test_mons_only_go_to_hosts_on_the_public_network(tmp_path, monkeypatch, orch):
    entries = []
    for e in FLEET:
        if e["hostname"] == "host2":
            e = dict(e, networks={"192.168.1.0/24": {"eth0": ["192.168.1.12"]}})
        entries.append(e)
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump_all(entries))
    monkeypatch.setenv("ORCH_FLEET", str(path))
    orch = load_backend("local", orch.store.state_dir)
    orch.store.set_setting("mon_public_network", "10.0.0.0/24")
    apply_yaml(orch, DEMO)
    assert hosts(orch, "mon") == ["host1", "host3"]


# -- removal ------------------------------------------------------------------------------
def test_removing_a_service_removes_its_daemons_and_osd_services_warn(cluster):
    assert ok(cluster.remove_service("rgw.myrgw")) == "Removed service rgw.myrgw"
    assert hosts(cluster, "rgw.myrgw") == []
    with pytest.raises(Exception, match=r"If osd.default_drive_group is removed then the "
                                        r"following OSDs will remain, --force to proceed"
                       ) as e:
        ok(cluster.remove_service("osd.default_drive_group"))
    # one tab-led "host <name>: osd.<id> osd.<id>" per host, hosts in the order they were added
    assert re.findall(r"\thost (host\d): osd\.\d+ osd\.\d+", str(e.value)) == ALL
    assert ok(cluster.remove_service("mon")).startswith("Unable to remove mon service.")
    assert ok(cluster.service_action("stop", "mon")) == \
        ["Stopping entire mon service is prohibited."]


# -- images after a staggered upgrade -----------------------------------------------------
def test_new_daemons_of_an_upgraded_type_get_the_target_image_others_the_old(cluster):
    old, new = "quay.io/ceph/ceph:v18.2.4", "quay.io/ceph/ceph:v18.2.5"
    ok(cluster.upgrade_start(new, None, ["mgr"], None, None, None))
    for _ in range(20):
        if not ok(cluster.upgrade_status()).in_progress:
            break
        cluster.reconcile_pass()
    # cephadm sets container_image in the mgr section once every mgr runs the target
    apply_yaml(cluster, "service_type: mgr\nplacement: {count: 3}\n")
    apply_yaml(cluster, "service_type: mds\nservice_id: cephfs\nplacement: {count: 3}\n")
    assert {d.container_image_name for d in ok(cluster.list_daemons(daemon_type="mgr"))} == {new}
    assert {d.container_image_name for d in ok(cluster.list_daemons(daemon_type="mds"))} == {old}


# -- reconfig when a daemon's dependencies change ------------------------------------------
def reconfigured(orch, dtype: str) -> List[str]:
    return sorted(d.name() for d in ok(orch.list_daemons(daemon_type=dtype))
                  if any(e.message.startswith("Reconfigured") for e in (d.events or [])))


def test_haproxy_is_reconfigured_when_its_backend_gains_a_daemon(cluster):
    assert reconfigured(cluster, "haproxy") == []
    apply_yaml(cluster, "service_type: rgw\nservice_id: myrgw\nplacement: {count: 3}\n"
                        "spec: {rgw_frontend_port: 8080}\n")
    # haproxy lists the backend's daemons: both are reconfigured for the new rgw
    assert reconfigured(cluster, "haproxy") == sorted(
        daemons(cluster, "ingress.rgw.myrgw", "haproxy"))
    # keepalived lists the haproxy daemons, which did not change
    assert reconfigured(cluster, "keepalived") == []
    assert reconfigured(cluster, "mon") == []


# -- the refresh seam -----------------------------------------------------------------------
def test_a_refresh_reads_everything_of_a_host_in_one_driver_call(cluster, tmp_path, monkeypatch):
    host = ok(cluster.get_hosts())[0]
    got = cluster.driver.refresh_host(host)
    assert set(got) == {"check_host", "ls", "facts", "networks", "inventory"}
    assert got["networks"] == {"10.0.0.0/24": {"eth0": ["10.0.0.11"]}}
    assert {e["name"] for e in got["ls"]} == {d.name() for d in ok(cluster.list_daemons())
                                              if d.hostname == host.hostname}
    from ceph_orch_cli.cluster.driver import HostUnreachable
    fleet_with(tmp_path, monkeypatch, host1="offline")
    again = load_backend("local", cluster.store.state_dir)
    with pytest.raises(HostUnreachable):
        again.driver.refresh_host(host)
