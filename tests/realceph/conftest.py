"""A real Ceph cluster, brought up by `orch` alone on SSH test hosts.

Four test hosts (real sshd, each PID 1 of its own UTS, mount and PID namespaces, see
``tests/testhosts.py``) with 10 GiB sparse loop devices as disks, and the
Debian packages' Ceph daemons (``.ci/run`` installs them). Nothing here is faked: the
``ceph`` that answers is the real one. The cluster is made once per module by the commands an
operator types (``orch bootstrap``, ``orch host add``, ``orch apply -i``) and the tests run
against it in file order. Every wait polls state and is bounded.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, Optional

import pytest

from testhosts import SSHTestHosts, TestHost, missing_requirements

GB = 1024 ** 3
PACKAGES = {"ceph-mon": "ceph-mon", "ceph-mgr": "ceph-mgr", "ceph-osd": "ceph-osd",
            "ceph-volume": "ceph-osd", "ceph-mds": "ceph-mds", "radosgw": "radosgw",
            "ceph-authtool": "ceph-common", "monmaptool": "ceph-common", "ceph": "ceph-common",
            "rados": "ceph-common", "nsenter": "util-linux"}
#: the settings a small test cluster needs (``../shared/reference/real-ceph.md`` §10)
CLUSTER_CONF = """\
[global]
mon_data_avail_warn = 2
mon_warn_on_pool_no_redundancy = false
osd_pool_default_size = 3
osd_pool_default_min_size = 2
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
auth_allow_insecure_global_id_reclaim = false
ms_bind_ipv6 = false
public_network = 127.0.0.0/8
mgr_disabled_modules = alerts,influx,insights,iostat,localpool,mirroring,nfs,osd_perf_query,osd_support,prometheus,restful,selftest,snap_schedule,stats,telegraf,test_orchestrator,zabbix
debug_ms = 0/0
[osd]
bluestore_cache_autotune = false
bluestore_cache_size = 67108864
osd_memory_cache_min = 67108864
osd_delete_sleep_hdd = 0
"""
#: mons, mgrs and gateways on the first three hosts; host4 holds only crash and an OSD, so
#: that draining it can finish (a size-3 pool over 3 hosts can lose no host's OSDs)
CLUSTER_SPECS = """\
service_type: mon
placement:
  hosts: [host1, host2, host3]
---
service_type: mgr
placement:
  hosts: [host1, host2]
---
service_type: crash
placement:
  host_pattern: '*'
---
service_type: osd
service_id: all-available
placement:
  host_pattern: '*'
spec:
  data_devices:
    all: true
---
service_type: mds
service_id: cephfs
placement:
  hosts: [host3]
---
service_type: rgw
service_id: s3
placement:
  hosts: [host2]
spec:
  rgw_frontend_port: 8080
"""


def missing_ceph() -> Optional[str]:
    reason = missing_requirements()
    if reason:
        return reason
    for tool, package in PACKAGES.items():
        if shutil.which(tool) is None and not os.access(f"/usr/sbin/{tool}", os.X_OK):
            return f"{tool} is not installed (Debian package {package})"
    return None


def wait_until(what: str, check: Callable[[], Any], timeout: float, every: float = 1.0) -> Any:
    """Poll ``check`` until it returns something true; fail naming ``what`` and the last
    answer after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = check()
        except (subprocess.SubprocessError, ValueError, KeyError) as exc:
            last = exc
        if last and not isinstance(last, Exception):
            return last
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}; last: {last!r}")
        time.sleep(every)


class RealCluster:
    """The test hosts, the operator's state dir, and the two CLIs an operator uses."""

    def __init__(self, hosts: SSHTestHosts, state_dir: Path, work: Path) -> None:
        self.hosts = hosts
        self.state_dir = state_dir
        self.work = work
        self.timings: Dict[str, float] = {}

    def host(self, name: str) -> TestHost:
        return next(h for h in self.hosts if h.name == name)

    def orch(self, *args: str, check: bool = True, timeout: float = 600,
             stdin: Optional[str] = None) -> subprocess.CompletedProcess:
        env = dict(os.environ, ORCH_STATE_DIR=str(self.state_dir), ORCH_BACKEND="ssh")
        env.pop("ORCH_SSH_CONFIG", None)
        result = subprocess.run([sys.executable, "-m", "ceph_orch_cli", *args], env=env,
                                capture_output=True, text=True, timeout=timeout, input=stdin)
        if check and result.returncode != 0:
            pytest.fail(f"orch {' '.join(args)} exited {result.returncode}:\n"
                        f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
        return result

    def orch_json(self, *args: str) -> Any:
        return json.loads(self.orch(*args, "--format", "json").stdout)

    def ceph(self, *args: str, on: str = "host1", check: bool = True) -> str:
        """The real ``ceph`` CLI on an admin host."""
        result = self.host(on).run(["ceph", *args], timeout=120)
        if check and result.returncode != 0:
            raise subprocess.SubprocessError(
                f"ceph {' '.join(args)}: rc {result.returncode}: {result.stderr.decode()[-500:]}")
        return result.stdout.decode()

    def ceph_json(self, *args: str, on: str = "host1") -> Any:
        return json.loads(self.ceph(*args, "--format", "json", on=on))

    def health(self) -> str:
        return self.ceph_json("health")["status"]

    def pgs_clean(self) -> bool:
        """Every placement group active+clean (HEALTH_OK alone allows backfill of misplaced
        objects, while ok-to-stop still refuses)."""
        stat = self.ceph_json("pg", "stat")
        summary = stat.get("pg_summary", stat)
        states = summary.get("num_pg_by_state") or []
        total = summary.get("num_pgs", 0)
        clean = sum(s.get("num", 0) for s in states if s.get("name") == "active+clean")
        return total > 0 and clean == total

    def wait_healthy(self, timeout: float = 240) -> None:
        """HEALTH_OK with every PG active+clean (what an operator waits for before the next
        disruptive step)."""
        wait_until("HEALTH_OK and all PGs active+clean",
                   lambda: self.health() == "HEALTH_OK" and self.pgs_clean(), timeout, every=2)

    def osd_stat(self) -> Dict[str, int]:
        return self.ceph_json("osd", "stat")

    def serve_until(self, what: str, done: Callable[[], Any], timeout: float = 240) -> Any:
        """Run `orch serve --once` passes until ``done()`` holds (how a script advances a
        long workflow)."""
        def step() -> Any:
            self.orch("serve", "--once", timeout=300)
            return done()
        return wait_until(what, step, timeout, every=1)


def bring_up(cluster: RealCluster) -> str:
    """What an operator types, from nothing to a healthy cluster with data in a size-3
    pool: bootstrap, three hosts added, the cluster file applied. Returns bootstrap's
    output."""
    start = time.monotonic()
    cluster.orch("cephadm", "set-runtime", "package")
    out = cluster.orch("bootstrap", "host1", "--mon-ip", cluster.host("host1").addr,
                       "--config", str(cluster.work / "cluster.conf"),
                       "--skip-monitoring-stack").stdout
    assert "Bootstrap complete." in out
    for name, addr in ((h.name, h.addr) for h in cluster.hosts.hosts[1:]):
        assert f"Added host '{name}'" in cluster.orch("host", "add", name, addr).stdout
    cluster.orch("apply", "-i", str(cluster.work / "cluster.yaml"))
    cluster.timings["apply"] = time.monotonic() - start
    wait_until("7 OSDs up and in", lambda: (lambda s: s["num_up_osds"] == 7 and
                                             s["num_in_osds"] == 7)(cluster.osd_stat()),
               300, every=2)
    cluster.ceph("osd", "pool", "create", "data", "8", "8", "replicated")
    cluster.ceph("osd", "pool", "set", "data", "size", "3")
    cluster.ceph("osd", "pool", "application", "enable", "data", "rados")
    for n in range(8):
        cluster.host("host1").run(["rados", "-p", "data", "put", f"obj{n}", "-"],
                                  stdin=payload(n))
    cluster.wait_healthy(300)
    cluster.timings["health_ok"] = time.monotonic() - start
    return out


def payload(n: int) -> bytes:
    """Object ``obj<n>``'s contents: 1 MiB that differs per object."""
    return bytes((i * 7 + n) % 256 for i in range(256)) * 4096


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> RealCluster:
    reason = missing_ceph()
    if reason:
        pytest.skip(reason)
    from ceph_orch_cli.backends.ssh import keys
    work = tmp_path_factory.mktemp("realceph")
    # ORCH_REALCEPH_FIRST moves the hosts to 127.0.0.<first>..: two real clusters on one
    # machine must not share addresses (their daemons bind Ceph's fixed ports)
    first = int(os.environ.get("ORCH_REALCEPH_FIRST", "11"))
    hosts = SSHTestHosts(work / "hosts", 4, disks=[10 * GB, 10 * GB], ceph_shim=False,
                         first=first)
    hosts.start()
    try:
        # host4 has one disk only (the OSD its drain moves)
        subprocess.run(["losetup", "-d", hosts.hosts[3].devices[1]], check=True)
        hosts._loops.remove(hosts.hosts[3].devices[1])
        hosts.hosts[3].devices = hosts.hosts[3].devices[:1]
        hosts.restart(hosts.hosts[3])  # its sshd environment names its devices
        state = work / "state"
        files = keys.SSHFiles(state)
        keys.set_private_key(files, hosts.client_key.read_text())
        keys.set_config(files, hosts.ssh_config())
        real = RealCluster(hosts, state, work)
        (work / "cluster.conf").write_text(CLUSTER_CONF)
        (work / "cluster.yaml").write_text(CLUSTER_SPECS)
        yield real
    finally:
        hosts.close()
