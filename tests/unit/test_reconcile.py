"""Planning: specs against daemons give the actions cephadm would take, and change nothing."""
from __future__ import annotations

import pytest

from ceph_orch_cli.cluster import reconcile
from ceph_orch_cli.cluster.reconcile import ClusterState, plan_all, plan_service, preview
from ceph_orch_cli.deployment.hostspec import HostSpec
from ceph_orch_cli.deployment.inventory import Device
from ceph_orch_cli.deployment.service_spec import ServiceSpec
from ceph_orch_cli.orchestrator import DaemonDescription


def spec(**kw):
    return ServiceSpec.from_json(kw)


def hosts(n, **labels):
    return [HostSpec(f"host{i}", f"10.0.0.{i}", labels=labels.get(f"host{i}", [])) for i in range(1, n + 1)]


def networks(n):
    """What list-networks reports: every host on 10.0.0.0/24 (ingress needs its VIP's subnet)."""
    return {f"host{i}": {"10.0.0.0/24": {"eth0": [f"10.0.0.{i}"]}} for i in range(1, n + 1)}


def dd(dtype, did, host, service=None, **kw):
    return DaemonDescription(daemon_type=dtype, daemon_id=did, hostname=host,
                             service_name=service or dtype, **kw)


def disk(path, rotational="1", size=4 * 1024 ** 4, available=True, lvs=None):
    return Device(path, available=available, lvs=lvs or [],
                  sys_api={"rotational": rotational, "size": size, "human_readable_size": "4.00 TB"},
                  rejected_reasons=[] if available else ["LVM detected"])


def test_new_daemons_get_cephadm_names_on_placed_hosts():
    state = ClusterState(hosts=hosts(3), daemons=[])
    plan = plan_service(spec(service_type="crash", placement={"host_pattern": "*"}), state)
    assert sorted(f"{s.daemon_type}.{s.name}" for s in plan.add) == \
        ["crash.host1", "crash.host2", "crash.host3"]
    plan = plan_service(spec(service_type="rgw", service_id="foo", placement={"count": 2}), state)
    assert len(plan.add) == 2 and all(s.name.startswith(f"foo.{s.hostname}.") for s in plan.add)


def test_existing_daemons_are_kept_and_extra_ones_removed():
    state = ClusterState(hosts=hosts(3), daemons=[dd("crash", "host1", "host1"),
                                                   dd("crash", "gone", "host9")])
    plan = plan_service(spec(service_type="crash", placement={"host_pattern": "*"}), state)
    assert sorted(s.hostname for s in plan.add) == ["host2", "host3"]
    assert [d.name() for d in plan.remove] == ["crash.gone"]


def test_no_schedule_and_maintenance_hosts_get_nothing_new():
    hs = hosts(3, host2=["_no_schedule"])
    hs[2].status = "maintenance"
    state = ClusterState(hosts=hs, daemons=[dd("crash", "host2", "host2"), dd("crash", "host3", "host3")])
    plan = plan_service(spec(service_type="crash", placement={"host_pattern": "*"}), state)
    assert [s.hostname for s in plan.add] == ["host1"]
    # the draining host loses its daemon; the host in maintenance keeps its own
    assert [d.name() for d in plan.remove] == ["crash.host2"]


def test_mon_and_mgr_are_never_scaled_to_zero_by_reconciliation():
    state = ClusterState(hosts=hosts(2, host1=["_no_schedule"], host2=["_no_schedule"]),
                         daemons=[dd("mgr", "host1.aaaaaa", "host1"), dd("mgr", "host2.bbbbbb", "host2")])
    plan = plan_service(spec(service_type="mgr", placement={"count": 2}), state)
    # cephadm's sanity check skips the whole pass: both stay, nothing is added
    assert plan.remove == [] and plan.add == []


def test_unmanaged_specs_are_not_planned():
    state = ClusterState(hosts=hosts(2), daemons=[])
    plans = plan_all([spec(service_type="crash", unmanaged=True, placement={"host_pattern": "*"}),
                      spec(service_type="mon", placement={"count": 1})], state)
    assert [p.service_name for p in plans] == ["mon"]


def test_a_placement_problem_is_data_not_an_exception():
    state = ClusterState(hosts=hosts(2), daemons=[])
    plan = plan_service(spec(service_type="mgr", placement={"hosts": ["nohost"]}), state)
    assert "Unknown hosts" in plan.error and plan.is_noop()


def test_nfs_ranks_are_recorded_in_the_rank_map():
    state = ClusterState(hosts=hosts(3), daemons=[])
    plan = plan_service(spec(service_type="nfs", service_id="foo", placement={"count": 2}), state, [], {})
    assert sorted(s.rank for s in plan.add) == [0, 1]
    assert {r: dict(g) for r, g in plan.rank_map.items()} == \
        {s.rank: {0: s.name} for s in plan.add}
    for s in plan.add:
        assert s.name.startswith(f"foo.{s.rank}.0.{s.hostname}.")


def test_ingress_runs_keepalived_beside_every_haproxy():
    state = ClusterState(hosts=hosts(3), daemons=[], networks=networks(3))
    ingress = spec(service_type="ingress", service_id="rgw.foo", placement={"count": 2},
                   spec={"backend_service": "rgw.foo", "virtual_ip": "10.0.0.100/24",
                         "frontend_port": 8080, "monitor_port": 8999})
    plan = plan_service(ingress, state)
    haproxy = sorted(s.hostname for s in plan.add if s.daemon_type == "haproxy")
    keepalived = sorted(s.hostname for s in plan.add if s.daemon_type == "keepalived")
    assert len(haproxy) == 2 and haproxy == keepalived


def test_ingress_prefers_hosts_of_its_backend():
    backend = [dd("rgw", "foo.host3.aaaaaa", "host3", "rgw.foo", ports=[80])]
    state = ClusterState(hosts=hosts(5), daemons=backend, networks=networks(5))
    ingress = spec(service_type="ingress", service_id="rgw.foo", placement={"count": 1},
                   spec={"backend_service": "rgw.foo", "virtual_ip": "10.0.0.100/24",
                         "frontend_port": 8080, "monitor_port": 8999})
    plan = plan_service(ingress, state, [ingress])
    assert [s.hostname for s in plan.add if s.daemon_type == "haproxy"] == ["host3"]


def osd_spec(**extra):
    return spec(service_type="osd", service_id="dg", placement={"host_pattern": "*"},
                spec=dict({"data_devices": {"rotational": 1}, "db_devices": {"rotational": 0}}, **extra))


def test_osd_spec_skips_used_devices_and_uses_claims():
    devices = {"host1": [disk("/dev/sdb"), disk("/dev/sdc", available=False,
                                                 lvs=[{"osd_id": "0", "osdspec_affinity": "dg"}]),
                         disk("/dev/nvme0n1", rotational="0")],
               "host2": [disk("/dev/sdb", available=False, lvs=[{"osd_id": "1", "osdspec_affinity": "dg"}])]}
    state = ClusterState(hosts=hosts(2), daemons=[dd("osd", "0", "host1", "osd.dg")],
                         devices=devices, destroyed_osds={"host1": [7]})
    plan = plan_service(osd_spec(), state)
    assert [(o.hostname, o.data, o.db, o.claims) for o in plan.osds] == \
        [("host1", ["/dev/sdb"], ["/dev/nvme0n1"], [7])]
    assert "--osd-ids 7" in plan.osds[0].commands[0]


def test_osd_spec_on_unreachable_hosts_waits():
    hs = hosts(1)
    hs[0].status = "offline"
    state = ClusterState(hosts=hs, daemons=[], devices={"host1": [disk("/dev/sdb")]})
    assert plan_service(osd_spec(), state).osds == []


def test_preview_has_cephs_shape():
    state = ClusterState(hosts=hosts(2), daemons=[dd("mgr", "host9.aaaaaa", "host9")],
                         devices={"host1": [disk("/dev/sdb"), disk("/dev/nvme0n1", rotational="0")]})
    plans = plan_all([spec(service_type="mgr", placement={"count": 1}), osd_spec()], state)
    out = preview(plans)
    assert out[0] == {"warning": reconcile.PLAN_WARNING}
    mgr = next(p for p in out if p.get("service_name") == "mgr")
    assert len(mgr["add"]) == 1 and mgr["remove"] == ["mgr.host9.aaaaaa"]
    osd = next(p for p in out if p.get("service_type") == "osd")
    report = osd["data"]["host1"][0]
    assert report["osdspec"] == "dg"
    assert report["data"] == [{"data": "/dev/sdb", "data_size": "4.00 TB", "encryption": "None",
                               "block_db": "/dev/nvme0n1"}]


def test_preview_of_an_osd_spec_matching_nothing():
    state = ClusterState(hosts=hosts(1), daemons=[], devices={"host1": []})
    out = reconcile.osd_preview(plan_service(osd_spec(), state))
    assert out["data"] == {"n/a": [{"error": True, "message": "No OSDSpec or matching hosts found."}]}


def test_a_changed_spec_reconfigures_kept_daemons_only():
    state = ClusterState(hosts=hosts(2), daemons=[dd("crash", "host1", "host1")])
    plan = plan_service(spec(service_type="crash", placement={"host_pattern": "*"}), state,
                        digest_changed=True)
    assert [d.name() for d in plan.reconfig] == ["crash.host1"]
    a = reconcile.config_digest({"service_type": "crash", "placement": {"count": 1}})
    b = reconcile.config_digest({"service_type": "crash", "placement": {"count": 2}})
    c = reconcile.config_digest({"service_type": "crash", "config": {"x": "1"}})
    assert a == b != c


@pytest.mark.parametrize("image, dtype, want", [
    ("quay.io/ceph/ceph:v18.2.4", "mon", "quay.io/ceph/ceph:v18.2.4"),
    ("quay.io/ceph/ceph:v18.2.4", "grafana", reconcile.DEFAULT_IMAGES["grafana"]),
])
def test_images_per_daemon_type(image, dtype, want):
    assert reconcile.image_for(dtype, image) == want
