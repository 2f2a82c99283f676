"""The host agent, run as the SSH backend runs it (``python3 agent.py <sub>``, JSON in and
out) but locally, with a private ``ORCH_AGENT_ROOT``. The container engine is the one faked
edge: a ``podman`` shim that records every call and keeps container state in a JSON file."""
from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys

import pytest
from hypothesis import given, strategies as st

from ceph_orch_cli.backends.ssh import agent
from testhosts import write_shims

AGENT = agent.__file__
FSID = "5a1c9a40-1f6e-11ef-9d4a-525400a1b2c3"
IMAGE = "quay.io/ceph/ceph:v19"
CNAME = f"ceph-{FSID}-mon-host1"


@pytest.fixture
def host(tmp_path):
    """A pretend host: an agent root and a PATH whose podman is the recording shim."""
    shims = tmp_path / "shims"
    write_shims(shims)
    root = tmp_path / "root"
    root.mkdir()

    class Host:
        def __init__(self):
            self.root = root
            self.env = dict(os.environ, ORCH_AGENT_ROOT=str(root),
                            ORCH_CONTAINER_ENGINE=str(shims / "podman"), ORCH_AGENT_DEVICES="",
                            PATH=f"{shims}:{os.environ['PATH']}")

        def agent(self, *words, request=None, ok=True):
            proc = subprocess.run([sys.executable, AGENT, *words], input=json.dumps(request or {}),
                                  capture_output=True, text=True, env=self.env, timeout=60)
            answer = json.loads(proc.stdout)
            assert (proc.returncode == 0) == ok, (proc.returncode, answer, proc.stderr)
            return answer

        def engine_calls(self):
            path = root / "engine-calls.jsonl"
            return [json.loads(l) for l in path.read_text().splitlines()] if path.exists() else []

        def engine_actions(self):
            """The calls that change containers (not the image questions)."""
            return [c for c in self.engine_calls()
                    if c[0] in ("start", "stop", "restart", "rm") or (c[0] == "run" and "-d" in c)]

    return Host()


def deploy_mon(host, **extra):
    request = {"name": "mon.host1", "fsid": FSID, "image": IMAGE, "service_name": "mon",
               "ports": [3300, 6789], "config": {"keyring": "AQBsecretsecretsecret=="}}
    request.update(extra)
    return host.agent("deploy", request=request)


def test_check_host_answers_with_its_own_hostname(host):
    answer = host.agent("check-host")
    assert answer["hostname"] == socket.gethostname()
    assert answer["container_engine"] == "podman"


def test_check_host_fails_without_a_container_engine(host):
    host.env["ORCH_CONTAINER_ENGINE"] = "/nonexistent/podman"
    answer = host.agent("check-host", ok=False)
    assert "No container engine binary found" in answer["error"]


def test_gather_facts_has_cephadms_keys(host):
    facts = host.agent("gather-facts")
    for key in ("hostname", "arch", "kernel", "cpu_count", "cpu_cores", "cpu_threads", "cpu_load",
                "memory_total_kb", "hdd_count", "flash_count", "interfaces", "nic_count",
                "tcp_ports_used", "system_uptime", "timestamp"):
        assert key in facts
    assert facts["memory_total_kb"] > 0 and facts["cpu_threads"] >= 1
    assert list(facts) == sorted(facts)


def test_list_networks_maps_cidr_to_interfaces_to_addresses(host):
    networks = host.agent("list-networks")
    for cidr, ifaces in networks.items():
        assert "/" in cidr
        assert all(isinstance(ips, list) and ips for ips in ifaces.values())


def test_inventory_reports_only_this_hosts_devices(host):
    assert host.agent("inventory") == []


def test_deploy_runs_a_container_and_ls_reports_it(host):
    entry = deploy_mon(host)
    assert entry["name"] == "mon.host1" and entry["state"] == "running"
    assert entry["service_name"] == "mon" and entry["ports"] == [3300, 6789]
    assert entry["version"] == "19.2.0" and entry["container_image_name"] == IMAGE
    assert entry["systemd_unit"] == f"ceph-{FSID}@mon.host1"
    run = [c for c in host.engine_calls() if c[0] == "run" and "-d" in c]
    # cephadm's order (CephContainer.run_cmd); the agent detaches the container itself
    assert len(run) == 1 and run[0][:11] == [
        "run", "--ipc=host", "--stop-signal=SIGTERM", "--net=host", "--entrypoint",
        "/usr/bin/ceph-mon", "--privileged", "--group-add=disk", "--init", "--name", CNAME]
    assert IMAGE in run[0] and run[0][run[0].index(IMAGE) + 1:][:2] == ["-n", "mon.host1"]
    [listed] = host.agent("ls")
    assert listed["name"] == "mon.host1" and listed["state"] == "running"
    assert listed["container_id"] == entry["container_id"]


def test_deploy_keeps_the_config_private_and_out_of_the_answer(host):
    entry = deploy_mon(host)
    assert "AQBsecret" not in json.dumps(entry)
    config = host.root / "var/lib/ceph" / FSID / "mon.host1" / "config.json"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert json.loads(config.read_text()) == {"keyring": "AQBsecretsecretsecret=="}
    meta = json.loads((config.parent / "unit.meta").read_text())
    assert meta["service_name"] == "mon" and "keyring" not in json.dumps(meta)
    assert (config.parent / "unit.run").exists()


def test_reconfig_rewrites_config_without_touching_the_container(host):
    deploy_mon(host)
    before = host.engine_actions()
    deploy_mon(host, reconfig=True, config={"keyring": "AQBnewsecret=="})
    assert host.engine_actions() == before


def test_unit_stop_and_start_go_to_the_engine(host):
    deploy_mon(host)
    (host.root / "engine-calls.jsonl").unlink()
    assert host.agent("unit", "stop", request={"name": "mon.host1", "fsid": FSID})["state"] == "stopped"
    assert host.agent("unit", "start", request={"name": "mon.host1", "fsid": FSID})["state"] == "running"
    assert host.engine_actions() == [["stop", CNAME], ["start", CNAME]]


def test_unit_on_an_unknown_daemon_fails(host):
    answer = host.agent("unit", "restart", request={"name": "mgr.nope", "fsid": FSID}, ok=False)
    assert answer["error"] == "daemon mgr.nope not found"


def test_rm_daemon_stops_removes_and_keeps_the_data_aside(host):
    deploy_mon(host)
    assert host.agent("rm-daemon", request={"name": "mon.host1", "fsid": FSID}) == {"removed": "mon.host1"}
    assert host.agent("ls") == []
    assert host.engine_actions()[-2:] == [["stop", CNAME], ["rm", "-f", CNAME]]
    [kept] = (host.root / "var/lib/ceph" / FSID / "removed").iterdir()
    assert kept.name.startswith("mon.host1_")


def test_maintenance_stops_running_daemons_and_exit_starts_them(host):
    deploy_mon(host)
    host.agent("deploy", request={"name": "crash.host1", "fsid": FSID, "image": IMAGE,
                                  "service_name": "crash"})
    host.agent("unit", "stop", request={"name": "crash.host1", "fsid": FSID})
    entered = host.agent("maintenance", "enter", request={"fsid": FSID})
    assert entered == {"maintenance": True, "stopped": ["mon.host1"]}
    assert {d["name"]: d["state"] for d in host.agent("ls")} == {"crash.host1": "stopped", "mon.host1": "stopped"}
    exited = host.agent("maintenance", "exit", request={"fsid": FSID})
    assert exited == {"maintenance": False, "started": ["mon.host1"]}
    assert {d["name"]: d["state"] for d in host.agent("ls")} == {"crash.host1": "stopped", "mon.host1": "running"}


def test_prepare_osds_runs_ceph_volume_in_a_container_then_deploys_the_osds(host):
    host.env["ORCH_AGENT_DEVICES"] = "/dev/vdb:/dev/vdc"
    created = host.agent("prepare-osds", request={
        "fsid": FSID, "image": IMAGE, "service_name": "osd.default",
        "ceph_volume_args": [["lvm", "batch", "--no-auto", "/dev/vdb", "/dev/vdc", "--yes", "--no-systemd"]],
        "data_devices": ["/dev/vdb", "/dev/vdc"], "osd_ids": [0, 1]})
    assert [(o["name"], o["osd_devices"], o["service_name"]) for o in created] == [
        ("osd.0", ["/dev/vdb"], "osd.default"), ("osd.1", ["/dev/vdc"], "osd.default")]
    [batch] = [c for c in host.engine_calls() if "--rm" in c and "/usr/sbin/ceph-volume" in c]
    assert batch[-7:] == ["lvm", "batch", "--no-auto", "/dev/vdb", "/dev/vdc", "--yes", "--no-systemd"]
    assert "CEPH_VOLUME_OSDSPEC_AFFINITY=default" in batch


def test_zap_runs_ceph_volume_zap_on_an_own_device_only(host):
    host.env["ORCH_AGENT_DEVICES"] = "/dev/vdb"
    host.agent("zap", request={"path": "/dev/vdb", "fsid": FSID, "image": IMAGE})
    assert host.engine_calls()[-1][-4:] == ["lvm", "zap", "--destroy", "/dev/vdb"]
    refused = host.agent("zap", request={"path": "/dev/vda", "fsid": FSID, "image": IMAGE}, ok=False)
    assert refused["error"] == "device /dev/vda is not one of this host's devices"


def test_light_switches_the_led_through_lsmcli(host):
    host.env["ORCH_AGENT_DEVICES"] = "/dev/vdb"
    host.agent("light", request={"path": "/dev/vdb", "ident_fault": "ident", "on": True, "image": IMAGE})
    assert host.engine_calls()[-1][-3:] == ["local-disk-ident-led-on", "--path", "/dev/vdb"]


HOSTILE = ["mon.a;reboot", "mon.$(id)", "mon.a b", "mon.'a'", 'mon."a"', "mon.a\nreboot",
           "mon.`id`", "mon.a|cat", "mon.../../etc", "../mon.a"]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_daemon_names_are_refused_before_the_engine_runs(host, name):
    answer = host.agent("deploy", request={"name": name, "fsid": FSID, "image": IMAGE,
                                           "service_name": "mon"}, ok=False)
    assert answer["error"].startswith("invalid daemon name")
    assert host.engine_calls() == []


@pytest.mark.parametrize("path", ["/dev/sdb;reboot", "/dev/$(id)", "/dev/sd b", "/dev/../etc/passwd", "sdb"])
def test_hostile_device_paths_are_refused(host, path):
    answer = host.agent("zap", request={"path": path, "fsid": FSID, "image": IMAGE}, ok=False)
    assert answer["error"].startswith("invalid device path")
    assert host.engine_calls() == []


def test_unknown_subcommands_are_refused(host):
    assert host.agent("rm-cluster", ok=False)["error"] == "unknown subcommand 'rm-cluster'"
    assert host.agent("unit", "enable", request={"name": "mon.a", "fsid": FSID},
                      ok=False)["error"] == "unknown unit action 'enable'"


def test_client_files_get_the_keyrings_owner_and_mode_and_conf_stays_roots(host):
    """`orch client-keyring set ... --owner 1000:1001 --mode 640` reaches the host as a
    client-files request; the agent (root) applies them, as cephadm does."""
    if os.geteuid() != 0:
        pytest.skip("chown needs root")
    keyring = {"text": "[client.foo]\n\tkey = AQ==\n", "mode": 0o640, "uid": 1000, "gid": 1001}
    conf = {"text": "[global]\n\tfsid = %s\n" % FSID, "mode": 0o644, "uid": 0, "gid": 0}
    answer = host.agent("client-files", request={"files": {"ceph.client.foo.keyring": keyring,
                                                           "ceph.conf": conf}})
    assert answer == {"written": ["ceph.client.foo.keyring", "ceph.conf"], "removed": []}
    st_key = os.stat(host.root / "etc/ceph/ceph.client.foo.keyring")
    assert (st_key.st_uid, st_key.st_gid, stat.S_IMODE(st_key.st_mode)) == (1000, 1001, 0o640)
    st_conf = os.stat(host.root / "etc/ceph/ceph.conf")
    assert (st_conf.st_uid, st_conf.st_gid, stat.S_IMODE(st_conf.st_mode)) == (0, 0, 0o644)
    # a new owner alone (same text) is applied and reported
    answer = host.agent("client-files", request={"files": {
        "ceph.client.foo.keyring": dict(keyring, uid=0, gid=0, mode=0o600)}})
    assert answer["written"] == ["ceph.client.foo.keyring"]
    st_key = os.stat(host.root / "etc/ceph/ceph.client.foo.keyring")
    assert (st_key.st_uid, st_key.st_gid, stat.S_IMODE(st_key.st_mode)) == (0, 0, 0o600)
    assert host.agent("client-files", request={"files": {"ceph.client.foo.keyring": dict(
        keyring, uid=-1)}}, ok=False)["error"] == "invalid client file 'ceph.client.foo.keyring'"


@given(st.text(min_size=1, max_size=40))
def test_accepted_names_never_carry_shell_metacharacters(text):
    for check in (agent.valid_daemon_name, agent.valid_hostname, agent.valid_device):
        try:
            check(text)
        except agent.AgentError:
            continue
        assert not set(text) & set(";&|$`'\"\\ \t\n<>(){}*?!#~")
