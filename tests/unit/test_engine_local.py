"""The local backend end to end: apply the demo cluster and find the daemons Ceph would
deploy, on the hosts Ceph would choose."""
from __future__ import annotations

import json

import pytest
from demo_cluster import DEMO, REPO, ok
from demo_cluster import cluster, orch  # noqa: F401  (pytest fixtures)

from ceph_orch_cli.backends import KNOWN_BACKENDS, load_backend
from ceph_orch_cli.cluster.scheduling import HostAssignment
from ceph_orch_cli.deployment.hostspec import HostSpec
from ceph_orch_cli.deployment.loader import load_specs
from ceph_orch_cli.deployment.service_spec import ServiceSpec
from ceph_orch_cli.orchestrator import DeviceLightLoc
from ceph_orch_cli.orchestrator.errors import OrchestratorError, OrchestratorValidationError


def by_service(orch):
    out = {}
    for d in ok(orch.list_daemons()):
        out.setdefault(d.service_name(), []).append(d)
    return out


def hosts_of(daemons, dtype=None):
    return sorted(d.hostname for d in daemons if dtype is None or d.daemon_type == dtype)


def first_candidates(spec_yaml, hosts, n):
    """Where cephadm puts a count-placed service on a fresh cluster: the first n of its
    shuffled candidates."""
    spec = load_specs(spec_yaml)[0]
    ha = HostAssignment(spec=spec, hosts=hosts, unreachable_hosts=[], draining_hosts=[], daemons=[])
    return sorted(c.hostname for c in ha.get_candidates()[:n])


def test_registry_knows_local_and_ssh_and_refuses_others(tmp_path):
    assert set(KNOWN_BACKENDS) == {"local", "ssh"}
    with pytest.raises(OrchestratorValidationError, match="Module 'rook' not found"):
        load_backend("rook", tmp_path)


def test_apply_reports_like_cephadm(orch):
    out = ok(orch.apply(load_specs(DEMO)))
    assert out[0] == "Added host 'host1' with addr '10.0.0.11'"
    assert "Scheduled mon update..." in out
    assert "Scheduled osd.default_drive_group update..." in out
    assert "Scheduled ingress.rgw.myrgw update..." in out


def test_demo_cluster_lands_where_ceph_would_put_it(cluster):
    services = by_service(cluster)
    hosts = ok(cluster.get_hosts())
    names = [h.hostname for h in hosts]
    assert hosts_of(services["crash"]) == names
    assert hosts_of(services["node-exporter"]) == names
    assert hosts_of(services["mon"]) == ["host1", "host2", "host3"]
    assert all(d.daemon_id == d.hostname for d in services["mon"] + services["crash"])
    assert hosts_of(services["rgw.myrgw"]) == ["host4", "host5"]
    assert hosts_of(services["prometheus"]) == hosts_of(services["grafana"]) == ["host6"]
    assert hosts_of(services["mgr"]) == first_candidates(
        "service_type: mgr\nplacement:\n  count: 2\n", hosts, 2)
    assert hosts_of(services["mds.cephfs"]) == first_candidates(
        "service_type: mds\nservice_id: cephfs\nplacement:\n  count: 2\n", hosts, 2)
    ingress = services["ingress.rgw.myrgw"]
    assert hosts_of(ingress, "haproxy") == hosts_of(ingress, "keepalived") == ["host4", "host5"]
    for d in ingress:
        assert d.daemon_id.startswith(f"rgw.myrgw.{d.hostname}.")
    nfs = services["nfs.mynfs"]
    assert len(nfs) == 1 and nfs[0].rank == 0 and nfs[0].rank_generation == 0
    assert nfs[0].daemon_id.startswith(f"mynfs.0.0.{nfs[0].hostname}.")
    assert all(d.status_desc == "running" for ds in services.values() for d in ds)


def test_osd_spec_uses_hdds_for_data_and_the_ssd_for_db(cluster):
    osds = by_service(cluster)["osd.default_drive_group"]
    # host1-4: two HDDs each; host5-6: two virtual disks each; the 4 GB disks are rejected
    assert len(osds) == 12
    assert sorted(int(d.daemon_id) for d in osds) == list(range(12))
    inv = {h.name: {d.path: d for d in h.devices.devices} for h in ok(cluster.get_inventory())}
    for host in ("host1", "host2", "host3", "host4"):
        assert not inv[host]["/dev/sdb"].available and not inv[host]["/dev/sdc"].available
        assert [lv["type"] for lv in inv[host]["/dev/nvme0n1"].lvs] == ["db", "db"]
        assert inv[host]["/dev/sdd"].rejected_reasons == ["Insufficient space (<5GB)"]


def test_a_second_pass_changes_nothing(cluster):
    before = sorted(d.name() for d in ok(cluster.list_daemons()))
    assert cluster.reconcile_pass() == {}
    assert sorted(d.name() for d in ok(cluster.list_daemons())) == before


def test_describe_service_counts_running_and_size(cluster):
    services = {s.spec.service_name(): s for s in ok(cluster.describe_service())}
    assert (services["mon"].running, services["mon"].size) == (3, 3)
    assert (services["crash"].running, services["crash"].size) == (6, 6)
    assert services["ingress.rgw.myrgw"].size == 4
    assert services["osd.default_drive_group"].running == 12
    assert services["mon"].created is not None and services["mon"].last_refresh is not None
    assert [s.spec.service_name() for s in ok(cluster.describe_service(service_type="rgw"))] == ["rgw.myrgw"]


def test_ps_filters_and_events(cluster):
    rgws = ok(cluster.list_daemons(service_name="rgw.myrgw"))
    assert {d.daemon_type for d in rgws} == {"rgw"}
    assert ok(cluster.list_daemons(host="host1", daemon_type="mon"))[0].name() == "mon.host1"
    mon = ok(cluster.list_daemons(daemon_type="mon", daemon_id="host2"))[0]
    assert mon.events and "Deployed mon.host2 on host 'host2'" in mon.events[-1].message


def test_scaling_down_removes_daemons_and_labels_move_them(cluster):
    ok(cluster.apply([ServiceSpec.from_json({"service_type": "mon",
                                             "placement": {"count": 1, "label": "mon"}})]))
    assert len(ok(cluster.list_daemons(daemon_type="mon"))) == 1
    ok(cluster.add_host_label("host6", "rgw"))
    assert hosts_of(ok(cluster.list_daemons(service_name="rgw.myrgw"))) == ["host4", "host5", "host6"]
    assert ok(cluster.remove_host_label("host6", "rgw")) == "Removed label rgw from host host6"
    assert hosts_of(ok(cluster.list_daemons(service_name="rgw.myrgw"))) == ["host4", "host5"]
    assert "does not have label" in ok(cluster.remove_host_label("host6", "rgw"))


def test_no_schedule_label_drains_a_host(cluster):
    ok(cluster.add_host_label("host4", "_no_schedule"))
    assert ok(cluster.list_daemons(host="host4", daemon_type="crash")) == []
    assert ok(cluster.list_daemons(host="host4", daemon_type="rgw")) == []
    # OSDs are not moved by a label; their removal is the drain workflow's job
    assert ok(cluster.list_daemons(host="host4", daemon_type="osd"))


def test_unmanaged_specs_are_left_alone(cluster):
    assert ok(cluster.set_unmanaged("crash", True)) == "Set unmanaged to True for service crash"
    ok(cluster.remove_daemons(["crash.host1"]))
    cluster.reconcile_pass()
    assert "crash.host1" not in [d.name() for d in ok(cluster.list_daemons())]
    assert "already" in ok(cluster.set_unmanaged("crash", True))
    ok(cluster.set_unmanaged("crash", False))
    assert "crash.host1" in [d.name() for d in ok(cluster.list_daemons())]


def test_remove_service_and_its_messages(cluster):
    assert ok(cluster.remove_service("rgw.myrgw")) == "Removed service rgw.myrgw"
    assert ok(cluster.list_daemons(service_name="rgw.myrgw")) == []
    assert "rgw.myrgw" not in [s.spec.service_name() for s in ok(cluster.describe_service())]
    assert ok(cluster.remove_service("rgw.nope")).startswith("Invalid service 'rgw.nope'")
    assert ok(cluster.remove_service("mon")).startswith("Unable to remove mon service.")
    with pytest.raises(OrchestratorError, match="following OSDs will remain"):
        ok(cluster.remove_service("osd.default_drive_group"))


def test_host_rm_refuses_while_daemons_remain(cluster):
    with pytest.raises(OrchestratorError, match="Not allowed to remove host6 from cluster"):
        ok(cluster.remove_host("host6", force=False, offline=False))
    with pytest.raises(OrchestratorError, match="host6 is online"):
        ok(cluster.remove_host("host6", force=True, offline=True))


def test_adding_a_host_that_is_not_in_the_fleet_fails_like_an_unreachable_host(orch):
    with pytest.raises(OrchestratorError, match=r"Failed to connect to host9 \(10.0.0.19\)"):
        ok(orch.add_host(HostSpec("host9", "10.0.0.19")))
    assert ok(orch.get_hosts()) == []


def test_an_offline_host_is_marked_and_can_be_removed_with_force(tmp_path, monkeypatch, cluster):
    import yaml
    fleet = list(yaml.safe_load_all((REPO / "specs" / "demo" / "fleet.yaml").read_text()))
    for entry in fleet:
        if entry["hostname"] == "host6":
            entry["status"] = "offline"
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump_all(fleet))
    monkeypatch.setenv("ORCH_FLEET", str(path))
    again = load_backend("local", cluster.store.state_dir)
    assert again.reconcile_pass()["offline"] == ["host6"]
    assert "offline" not in again.reconcile_pass()  # reported when it happens, not every pass
    status = {h.hostname: h.status for h in ok(again.get_hosts())}
    assert status["host6"] == "offline" and status["host1"] == ""
    # prometheus is count-placed on label monitoring: only host6 has it, so it stays put
    assert hosts_of(ok(again.list_daemons(service_name="prometheus"))) == ["host6"]
    with pytest.raises(OrchestratorError, match="host6 is offline"):
        ok(again.remove_host("host6", force=False, offline=False))
    assert ok(again.remove_host("host6", force=True, offline=True)) == "Removed offline host 'host6'"
    assert ok(again.list_daemons(host="host6")) == []


def test_daemon_and_service_actions(cluster):
    mgr = ok(cluster.list_daemons(daemon_type="mgr"))[0]
    msg = ok(cluster.daemon_action("stop", mgr.name()))
    assert msg == f"Scheduled to stop {mgr.name()} on host '{mgr.hostname}'"
    assert ok(cluster.list_daemons(daemon_type="mgr", daemon_id=mgr.daemon_id))[0].status_desc == "stopped"
    ok(cluster.daemon_action("start", mgr.name()))
    assert ok(cluster.list_daemons(daemon_type="mgr", daemon_id=mgr.daemon_id))[0].status_desc == "running"
    with pytest.raises(OrchestratorError, match="Unable to find mgr.nope daemon"):
        ok(cluster.daemon_action("restart", "mgr.nope"))
    with pytest.raises(OrchestratorError, match="not a valid daemon name"):
        ok(cluster.daemon_action("restart", "mgr"))
    assert ok(cluster.service_action("stop", "mon")) == ["Stopping entire mon service is prohibited."]
    lines = ok(cluster.service_action("restart", "crash"))
    assert len(lines) == 6 and lines[0].startswith("Scheduled to restart crash.")
    with pytest.raises(OrchestratorError, match='Invalid service name "foo"'):
        ok(cluster.service_action("restart", "foo"))


def test_redeploy_with_image_only_for_ceph_types(cluster):
    with pytest.raises(OrchestratorError, match="Cannot redeploy grafana.host6 with a new image"):
        ok(cluster.daemon_action("redeploy", "grafana.host6", image="x:1"))
    ok(cluster.daemon_action("redeploy", "mon.host1", image="quay.io/ceph/ceph:v19.2.0"))
    mon = ok(cluster.list_daemons(daemon_type="mon", daemon_id="host1"))[0]
    assert mon.container_image_name == "quay.io/ceph/ceph:v19.2.0" and mon.version == "19.2.0"


def test_add_daemon_needs_a_service_and_hosts(cluster):
    with pytest.raises(OrchestratorError, match="Unable to add a Daemon without Service"):
        ok(cluster.add_daemon(ServiceSpec.from_json({"service_type": "rgw", "service_id": "x",
                                                      "placement": {"hosts": ["host1"]}})))
    out = ok(cluster.add_daemon(ServiceSpec.from_json({"service_type": "mds", "service_id": "cephfs",
                                                        "placement": {"hosts": ["host6"]}})))
    assert out[0].startswith("Deployed mds.cephfs.host6.") and out[0].endswith("on host 'host6'")


def test_zap_frees_a_device_only_when_no_osd_uses_it(cluster):
    with pytest.raises(OrchestratorError, match="Unable to zap: device '/dev/vdb' on host6 has 1 active OSD"):
        ok(cluster.zap_device("host6", "/dev/vdb"))
    with pytest.raises(OrchestratorError, match="Device path '/dev/nope' not found on host 'host6'"):
        ok(cluster.zap_device("host6", "/dev/nope"))
    with pytest.raises(OrchestratorError, match="Host 'host9' is not a member of the cluster"):
        ok(cluster.zap_device("host9", "/dev/vdb"))
    osd = next(d for d in ok(cluster.list_daemons(host="host6", daemon_type="osd")))
    ok(cluster.remove_daemons([osd.name()]))
    ok(cluster.set_unmanaged("osd.default_drive_group", True))
    paths = [d.path for h in ok(cluster.get_inventory()) if h.name == "host6"
             for d in h.devices.devices if d.lvs and any(lv["osd_id"] == osd.daemon_id for lv in d.lvs)]
    assert ok(cluster.zap_device("host6", paths[0])) == f"zap successful for {paths[0]} on host6"
    inv = {d.path: d for h in ok(cluster.get_inventory()) if h.name == "host6" for d in h.devices.devices}
    assert inv[paths[0]].available


def test_lights_facts_and_ok_to_stop(cluster):
    out = ok(cluster.blink_device_light("ident", True, [DeviceLightLoc("host1", "dev", "/dev/sdb")]))
    assert out == ["Set ident light for host1:/dev/sdb on"]
    facts = ok(cluster.get_facts("host1"))[0]
    assert facts["hostname"] == "host1" and facts["hdd_count"] == 3
    cluster.reconcile_pass()  # the new OSDs' PGs peer until a pass later, as on a real cluster
    assert ok(cluster.host_ok_to_stop("host6")).startswith("It is presumed safe to stop host host6")
    with pytest.raises(OrchestratorError, match='Cannot find host "nope"'):
        ok(cluster.host_ok_to_stop("nope"))


def test_dry_run_plan_has_cephs_shape_and_changes_nothing(orch):
    ok(orch.apply(load_specs(DEMO.split("---\nservice_type: mon")[0])))
    specs = load_specs("service_type: crash\nplacement:\n  host_pattern: '*'\n---\n"
                       "service_type: osd\nservice_id: all\nplacement:\n  host_pattern: 'host1'\n"
                       "spec:\n  data_devices:\n    all: true\n")
    plan = ok(orch.plan(specs))
    assert plan[0]["warning"].startswith("WARNING! Dry-Runs are snapshots")
    assert plan[1] == {"service_name": "crash", "service_type": "crash",
                       "add": ["host1", "host2", "host3", "host4", "host5", "host6"], "remove": []}
    osd = plan[2]
    assert osd["service_type"] == "osd"
    assert [r["data"] for r in osd["data"]["host1"][0]["data"]] == ["/dev/nvme0n1", "/dev/sdb", "/dev/sdc"]
    assert ok(orch.list_daemons()) == [] and ok(orch.describe_service()) == []
    # Ceph refuses previews with host specs; the engine plans the host (issue 16)
    hosts = ok(orch.get_hosts())
    assert ok(orch.plan([HostSpec("host1", "10.0.0.11")]))[0] == {
        "host": "host1", "addr": "10.0.0.11", "labels": [], "action": "update"}
    assert ok(orch.get_hosts()) == hosts


def test_placement_errors_are_raised_before_anything_is_stored(cluster):
    with pytest.raises(OrchestratorError, match="Unknown hosts"):
        ok(cluster.apply([ServiceSpec.from_json({"service_type": "mgr",
                                                  "placement": {"hosts": ["nohost"]}})]))
    out = ok(cluster.apply([ServiceSpec.from_json({"service_type": "mgr", "placement": {"hosts": ["nohost"]}}),
                            ServiceSpec.from_json({"service_type": "crash"})], continue_on_error=True))
    assert out[0].startswith("Failed to apply spec for") and out[1] == "Scheduled crash update..."
    assert ok(cluster.apply([ServiceSpec.from_json({"service_type": "crash"})], no_overwrite=True)) == \
        ["Skipped crash service spec. To change crash spec omit --no-overwrite flag"]


def test_create_osds_on_named_devices(orch):
    from ceph_orch_cli.deployment.drive_group import DeviceSelection, DriveGroupSpec
    from ceph_orch_cli.deployment.service_spec import PlacementSpec
    ok(orch.add_host(HostSpec("host5", "10.0.0.15")))
    dg = DriveGroupSpec(placement=PlacementSpec(host_pattern="host5"),
                        data_devices=DeviceSelection(paths=["/dev/vdb"]))
    assert ok(orch.create_osds(dg)) == "Created osd(s) 0 on host 'host5'"
    dg = DriveGroupSpec(placement=PlacementSpec(host_pattern="nohost"),
                        data_devices=DeviceSelection(paths=["/dev/vdb"]))
    assert ok(orch.create_osds(dg)).startswith("Invalid 'host:device' spec: host not found")


def test_tuned_profiles_are_stored(orch):
    from ceph_orch_cli.deployment.tuned_profile import TunedProfileSpec
    p = TunedProfileSpec("latency", settings={"vm.swappiness": "10"})
    assert ok(orch.apply_tuned_profiles([p], False)) == "Saved tuned profile latency"
    ok(orch.tuned_profile_add_setting("latency", "net.core.somaxconn", "1024"))
    ok(orch.tuned_profile_rm_setting("latency", "vm.swappiness"))
    assert ok(orch.tuned_profile_ls())[0].settings == {"net.core.somaxconn": "1024"}
    assert ok(orch.rm_tuned_profile("latency")) == "Removed tuned profile latency"
    with pytest.raises(OrchestratorError, match="does not exist"):
        ok(orch.rm_tuned_profile("latency"))


def test_pause_stops_convergence_and_workflow_hooks_run(cluster):
    calls = []
    cluster._workflow_steps.append(lambda: calls.append(1) or {"stepped": 1})
    cluster.pause()
    assert cluster.available() == (True, "", {"paused": True, "workers": 1})
    assert cluster.reconcile_pass() == {"paused": True} and calls == []
    cluster.resume()
    assert list(cluster.reconcile_pass().values()) == [{"stepped": 1}]


def test_progress_is_reported_while_converging(orch):
    seen = []
    orch.set_progress(lambda desc, done, total: seen.append((desc, done, total)))
    ok(orch.apply(load_specs(DEMO)))
    assert seen[-1][1] == seen[-1][2] > 0


def test_ps_json_fast_path_matches_the_descriptions(cluster):
    fast = {json.loads(t)["daemon_name"]: t
            for batch in cluster.daemons_json_text(service_name="mon") for t in batch}
    slow = {d.name(): json.dumps(d.to_json(), sort_keys=True)
            for d in ok(cluster.list_daemons(service_name="mon"))}
    assert fast == slow and fast.keys() == {"mon.host1", "mon.host2", "mon.host3"}


def test_a_daemon_type_the_fleet_marks_broken_reports_error(tmp_path, monkeypatch):
    import yaml
    fleet = list(yaml.safe_load_all((REPO / "specs" / "demo" / "fleet.yaml").read_text()))
    fleet[0]["error_daemon_types"] = ["crash"]
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump_all(fleet))
    monkeypatch.setenv("ORCH_FLEET", str(path))
    orch = load_backend("local", tmp_path / "state")
    ok(orch.apply([HostSpec("host1", "10.0.0.11"), ServiceSpec.from_json({"service_type": "crash"})]))
    crash = ok(orch.list_daemons(daemon_type="crash"))[0]
    assert crash.status_desc == "error"
    assert [s.running for s in ok(orch.describe_service(service_name="crash"))] == [0]


def test_an_invalid_document_in_a_multi_document_apply_stores_nothing(cluster):
    before = sorted(s.spec.service_name() for s in ok(cluster.describe_service()))
    specs = load_specs("service_type: rgw\nservice_id: new\nplacement: {count: 2}\n---\n"
                       "service_type: mds\nservice_id: fs2\nplacement: {label: nowhere}\n")
    with pytest.raises(OrchestratorError, match="No matching hosts for label nowhere"):
        ok(cluster.apply(specs))
    assert sorted(s.spec.service_name() for s in ok(cluster.describe_service())) == before


def test_a_files_own_host_documents_count_when_its_specs_are_checked(orch):
    specs = load_specs("service_type: host\nhostname: host1\naddr: 10.0.0.11\nlabels: [web]\n"
                       "---\nservice_type: rgw\nservice_id: web\nplacement: {label: web}\n")
    assert ok(orch.apply(specs))[-1] == "Scheduled rgw.web update..."


def test_the_simulated_cluster_answers_osd_questions_as_pacific(cluster):
    """Pacific's answers (shared/reference/real-ceph.md): `osd out` of a missing OSD exits 0,
    `osd destroy` of an up OSD is EBUSY "not `down`", `pg ls-by-osd` of a down OSD is
    EAGAIN (read as -1), safe-to-destroy of a missing id is true."""
    ceph = cluster.cluster
    ceph.mark_osd(99, "out")  # no error, nothing created
    assert ceph.osd_weight(99) is None and ceph.safe_to_destroy([99])
    with pytest.raises(OrchestratorError, match="osd.0 is not `down`.") as e:
        ceph.destroy_osd(0)
    assert e.value.errno == -16
    assert ceph.pg_count(0) > 0
    ceph.mark_osd(0, "down")
    assert ceph.pg_count(0) == -1
