"""`orch cephadm prepare-host`, `registry-login` and `osd activate` on real sshd test hosts,
through the real CLI. The container engine is the one mocked edge (the recording `podman`
shim, which keeps a login in its authfile as podman does); the Ceph cluster is not needed
for these: nothing here asks it."""
from __future__ import annotations

import base64
import json
import os
import stat

import pytest

from testhosts import SSHTestHosts, missing_requirements
from test_ssh_backend import Orch

GB = 1024 ** 3


@pytest.fixture(scope="module")
def added(tmp_path_factory):
    """Two test hosts added to a state dir, nothing deployed."""
    reason = missing_requirements()
    if reason:
        pytest.skip(reason)
    base = tmp_path_factory.mktemp("cephadm-host-commands")
    hosts = SSHTestHosts(base / "hosts", 2, disks=[1 * GB]).start()
    try:
        orch = Orch(base / "state")
        (base / "ssh_config").write_text(hosts.ssh_config())
        orch("ssh", "set-priv-key", "-i", str(hosts.client_key))
        orch("ssh", "set-config", "-i", str(base / "ssh_config"))
        orch("host", "add", "host1", hosts.hosts[0].addr)
        orch("host", "add", "host2", hosts.hosts[1].addr)
        yield orch, hosts
    finally:
        hosts.close()


def test_prepare_host_creates_the_missing_ceph_directories_and_says_so(added):
    orch, hosts = added
    root = hosts.hosts[1].root
    wanted = {"/etc/ceph": 0o755, "/var/lib/ceph": 0o755, "/var/log/ceph": 0o770,
              "/run/ceph": 0o770}
    absent = sorted(p for p in wanted if not (root / p[1:]).is_dir())
    lines = orch("cephadm", "prepare-host", "host2").stdout.splitlines()
    assert lines[0] == "host2 (None) ok"
    assert [ln for ln in lines if ln.startswith("Created ")] == [f"Created {p}" for p in absent]
    for path, mode in wanted.items():
        assert (root / path[1:]).is_dir()
        if path in absent:
            assert stat.S_IMODE(os.stat(root / path[1:]).st_mode) == mode
    # a second run finds nothing to do
    again = orch("cephadm", "prepare-host", "host2").stdout.splitlines()
    assert again[0] == "host2 (None) ok" and not [ln for ln in again if "Created" in ln]


def test_prepare_host_of_an_unknown_host_is_enoent(added):
    orch, _ = added
    proc = orch("cephadm", "prepare-host", "host9", ok=False)
    assert proc.returncode == 2 and "Error ENOENT: Host 'host9' is not managed" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_registry_login_logs_every_host_in_with_the_password_on_stdin(added):
    orch, hosts = added
    assert orch("cephadm", "registry-login", "registry.example:5000", "me", "s3cret").stdout \
        == "registry login scheduled\n"
    for host in hosts:
        calls = [json.loads(line) for line in
                 (host.root / "engine-calls.jsonl").read_text().splitlines()]
        logins = [c for c in calls if c[0] == "login"]
        assert logins[-1] == ["login", "-u", "me", "--password-stdin",
                              f"--authfile={host.root}/etc/ceph/podman-auth.json",
                              "registry.example:5000"]
        assert not any("s3cret" in word for c in calls for word in c)
        auth = host.root / "etc/ceph/podman-auth.json"
        assert stat.S_IMODE(auth.stat().st_mode) == 0o600
        token = json.loads(auth.read_text())["auths"]["registry.example:5000"]["auth"]
        assert base64.b64decode(token) == b"me:s3cret"


def test_registry_login_refuses_bad_input_without_touching_hosts(added):
    orch, hosts = added
    before = (hosts.hosts[0].root / "engine-calls.jsonl").read_text()
    proc = orch("cephadm", "registry-login", "-i", "-", ok=False, stdin='{"url": "x"}')
    assert proc.returncode == 22 and 'the registry login JSON needs "url"' in proc.stderr
    proc = orch("cephadm", "registry-login", "bad url", "me", "pw", ok=False)
    assert proc.returncode == 22 and "invalid registry url or username" in proc.stderr
    assert (hosts.hosts[0].root / "engine-calls.jsonl").read_text() == before


def test_osd_activate_finds_no_osds_on_fresh_disks(added):
    orch, hosts = added
    out = orch("cephadm", "osd", "activate", "host1").stdout
    assert out == "Created no osd(s) on host host1; already created?\n"
    calls = [json.loads(line) for line in
             (hosts.hosts[0].root / "engine-calls.jsonl").read_text().splitlines()]
    listed = [c for c in calls if c[0] == "run" and "raw" in c and "list" in c]
    assert listed and listed[-1][-1] == hosts.hosts[0].devices[0]


def test_registry_login_in_the_package_runtime_is_recorded_not_used(added):
    orch, hosts = added
    orch("cephadm", "set-runtime", "package")
    try:
        assert orch("cephadm", "registry-login", "quay.io", "me", "pw2").stdout == \
            "registry login scheduled\n"
        for host in hosts:
            record = host.root / "var/lib/ceph-orch/registry.json"
            assert stat.S_IMODE(record.stat().st_mode) == 0o600
            data = json.loads(record.read_text())
            assert (data["url"], data["username"]) == ("quay.io", "me")
            assert "pw2" not in record.read_text()
    finally:
        orch("cephadm", "set-runtime", "container")


def test_the_config_checker_runs_over_the_facts_the_agents_gathered(added):
    orch, _ = added
    assert orch("cephadm", "config-check", "status").stdout == "Disabled\n"
    orch("cephadm", "config-check", "set-enabled", "true")
    try:
        # the test hosts share this machine's kernel, LSM and NICs: nothing is inconsistent
        assert orch("cephadm", "config-check", "status").stdout == "Enabled\n"
        assert "health_checks" not in orch.json("status")
    finally:
        orch("cephadm", "config-check", "set-enabled", "false")
