"""Issue 13 part 3: a real cluster at the speed of its daemons.

Three SSH test hosts (``tests/realceph``'s machinery: real sshd in their own namespaces, a
10 GiB loop device each, Debian's Ceph packages) and the commands an operator types. Rows:

- ``orch bootstrap`` to HEALTH_OK with 3 mons, 1 mgr and 3 OSDs (bootstrap, two ``host
  add``, one ``apply -i``, then the wait for the daemons); the note splits the time into
  those phases so that a miss says where the time went;
- ``orch ps`` from the cache (a new process each run: what an operator waits for), with the
  state dir's control master running, beside the same without it and without the version
  question;
- ``orch ps --refresh`` of the three hosts (end to end, a new process each run);
- one cluster question (``status``) through the rados path (the agent's librados session
  over the pooled SSH connection, what orch uses) against the ``ceph`` CLI on the host.

Needs root and the Ceph packages; without them every row says ``skipped (why)``. The hosts
sit at ``127.0.0.<ORCH_REALCEPH_FIRST>`` and on (11 unless set), as the tests do: never run
it beside a real-cluster test that uses the same addresses.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

from cases import Context, Row
from measure import Figure

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.append(str(HERE.parent))
if str(HERE.parent / "tests") not in sys.path:
    sys.path.append(str(HERE.parent / "tests"))  # testhosts, as tests/realceph imports it

GB = 1024 ** 3
#: the mgr of this cluster: one (the tests' cluster file has two)
MGR_SPEC = "service_type: mgr\nplacement:\n  count: 1\n"


def _specs(cluster_specs: str) -> str:
    """The tests' cluster file cut to this cluster: its mon (on host1..3) and OSD specs
    (every available device), and one mgr."""
    docs = [d for d in cluster_specs.split("---\n")
            if d.startswith(("service_type: mon\n", "service_type: osd\n"))]
    return "---\n".join(docs + [MGR_SPEC])


def _rows() -> List[Row]:
    return [
        Row("real-bootstrap", "real cluster: `orch bootstrap` to HEALTH_OK, 3 mons, 1 mgr, "
            "3 OSDs", "3 hosts", "at most 60 s", target_s=60.0),
        Row("real-ps", "real cluster: `orch ps` from the cache", "3 hosts", "at most 150 ms",
            target_s=0.150),
        Row("real-ps-refresh", "real cluster: `orch ps --refresh`", "3 hosts", "at most 1 s",
            target_s=1.0),
        Row("real-question", "real cluster: `status` through rados (agent) vs the `ceph` CLI",
            "1 question", "CLI / rados >= 10x", target_min_ratio=10.0),
    ]


def bench_real(ctx: Context) -> List[Row]:
    """The four rows (module docstring); each skipped with the reason when this machine
    cannot run a real cluster."""
    rows = _rows()
    from tests.realceph import conftest  # the one place the test hosts are imported from
    reason = conftest.missing_ceph()
    if ctx.scale.ssh_hosts == 0:  # the smoke test's size: no test hosts, as the SSH rows
        reason = f"not run at scale {ctx.scale.name}"
    if reason:
        for row in rows:
            row.skipped = f"skipped ({reason})"
        return rows
    # the commands run with the operator's environment: bytecode cached (Context.base_env)
    saved, env = dict(os.environ), ctx.base_env()
    os.environ.clear()
    os.environ.update(env)
    try:
        _run(ctx, conftest, rows)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return rows


def _run(ctx: Context, conftest: Any, rows: List[Row]) -> None:
    with tempfile.TemporaryDirectory(prefix="orch-bench-real-") as tmp:
        work = Path(tmp)
        hosts = _start_hosts(conftest, work)
        if hosts is None:
            for row in rows:
                row.error = "no loop device for every test host (losetup failed twice)"
            return
        try:
            _measure(ctx, conftest, hosts, work, rows)
        except BaseException as e:  # pytest.fail's Failed is a BaseException: a row error
            if isinstance(e, KeyboardInterrupt):
                raise
            for row in rows:
                if row.figure is None and not row.skipped:
                    row.error = f"{type(e).__name__}: {str(e).splitlines()[0][:300]}"
            ctx.setup_notes.append("real cluster at the failure: " + _diagnose(hosts))
        finally:
            hosts.close()


def _start_hosts(conftest: Any, work: Path) -> Any:
    """Three test hosts with a disk each. ``losetup -f`` can lose a race for a free loop
    device to another process on the machine: a host without its disk is started again."""
    first = int(os.environ.get("ORCH_REALCEPH_FIRST", "11"))
    for attempt in range(2):
        hosts = conftest.SSHTestHosts(work / f"hosts{attempt}", 3, disks=[10 * GB],
                                      ceph_shim=False, first=first)
        hosts.start()
        if all(h.devices for h in hosts.hosts):
            return hosts
        hosts.close()
    return None


def _diagnose(hosts: Any) -> str:
    """What the cluster and the first host's agent say, for a row that failed."""
    out = []
    for argv in (["ceph", "-s"], ["ceph", "osd", "tree"]):
        try:
            r = hosts.hosts[0].run(argv, timeout=60)
            out.append(f"`{' '.join(argv)}`: {(r.stdout + r.stderr).decode()[-1500:]}")
        except (OSError, RuntimeError, subprocess.SubprocessError) as e:
            out.append(f"`{' '.join(argv)}`: {e}")
    return " | ".join(out)


def _measure(ctx: Context, conftest: Any, hosts: Any, work: Path, rows: List[Row]) -> None:
    from ceph_orch_cli.backends.ssh import keys
    state = work / "state"
    files = keys.SSHFiles(state)
    keys.set_private_key(files, hosts.client_key.read_text())
    keys.set_config(files, hosts.ssh_config())
    cluster = conftest.RealCluster(hosts, state, work)
    (work / "cluster.conf").write_text(conftest.CLUSTER_CONF)
    (work / "cluster.yaml").write_text(_specs(conftest.CLUSTER_SPECS))
    boot, ps, refresh, question = rows
    phases = _bring_up(cluster, conftest)
    boot.figure = Figure(seconds=[phases["total"]], memory_kind="n/a")
    boot.runs_shown = 1
    boot.note = "; ".join(f"{k} {v:.1f} s" for k, v in phases.items() if k != "total")
    ctx.log(f"  real cluster up: {boot.note}, total {phases['total']:.1f} s")
    ps.figure, ps.note = _ps_three_ways(ctx, conftest, cluster, work)
    refresh.figure, refresh.note = _refresh_both_ways(ctx, cluster)
    _question(ctx, cluster, question)


def _ps_three_ways(ctx: Context, conftest: Any, cluster: Any, work: Path) -> Tuple[Figure, str]:
    """`orch ps` from the cache as it runs (the version asked through the state dir's control
    master, ``control.py``), alternated run by run with the same command without the master
    (``ORCH_SSH_CONTROL_PERSIST=0``: a new SSH session per command, as before it) and on a
    copy of the state dir not marked bootstrapped (no version question at all, as before
    issue 14), so the machine's load weighs on the three alike."""
    import shutil
    import sqlite3
    cluster.orch("ps")  # a first read starts the master
    conftest.wait_until("the control master", (cluster.state_dir / "ssh" / "control.sock").exists,
                        30, every=0.1)
    copy = work / "state-copy"
    shutil.copytree(cluster.state_dir, copy, ignore=shutil.ignore_patterns("control.*"))
    with sqlite3.connect(copy / "orch.db") as db:
        db.execute("UPDATE settings SET value = 'false' WHERE key = 'bootstrapped'")
    alone = conftest.RealCluster(cluster.hosts, copy, work)
    master: List[float] = []
    direct: List[float] = []
    plain: List[float] = []
    for _ in range(ctx.fast_runs):
        master += _timed(1, lambda: cluster.orch("ps"))
        os.environ["ORCH_SSH_CONTROL_PERSIST"] = "0"
        try:
            direct += _timed(1, lambda: cluster.orch("ps"))
        finally:
            del os.environ["ORCH_SSH_CONTROL_PERSIST"]
        plain += _timed(1, lambda: alone.orch("ps"))
    note = (f"alternated run by run (medians): without the control master "
            f"(ORCH_SSH_CONTROL_PERSIST=0, a new SSH session per command) "
            f"{statistics.median(direct) * 1000:.0f} ms; without the cluster's version "
            f"check (a copy of the state dir not marked bootstrapped, as before issue 14) "
            f"{statistics.median(plain) * 1000:.0f} ms")
    return Figure(seconds=master, memory_kind="n/a"), note


def _refresh_both_ways(ctx: Context, cluster: Any) -> Tuple[Figure, str]:
    """`orch ps --refresh` through the control master (the refresh fan-out and the writer
    lock on its kept sessions), alternated with the same without it."""
    master: List[float] = []
    direct: List[float] = []
    for _ in range(ctx.runs):
        master += _timed(1, lambda: cluster.orch("ps", "--refresh"))
        os.environ["ORCH_SSH_CONTROL_PERSIST"] = "0"
        try:
            direct += _timed(1, lambda: cluster.orch("ps", "--refresh"))
        finally:
            del os.environ["ORCH_SSH_CONTROL_PERSIST"]
    return Figure(seconds=master, memory_kind="n/a"), (
        f"alternated run by run: without the control master (ORCH_SSH_CONTROL_PERSIST=0) "
        f"{statistics.median(direct) * 1000:.0f} ms (median)")


def _timed(runs: int, call: Any) -> List[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        out.append(time.perf_counter() - start)
    return out


def _bring_up(cluster: Any, conftest: Any) -> Dict[str, float]:
    """What an operator types, timed by phase (seconds since the one before)."""
    phases: Dict[str, float] = {}
    start = last = time.monotonic()

    def phase(name: str) -> None:
        nonlocal last
        now = time.monotonic()
        phases[name] = now - last
        last = now
    cluster.orch("cephadm", "set-runtime", "package")
    cluster.orch("bootstrap", "host1", "--mon-ip", cluster.host("host1").addr,
                 "--config", str(cluster.work / "cluster.conf"), "--skip-monitoring-stack")
    phase("bootstrap")
    for h in cluster.hosts.hosts[1:]:
        cluster.orch("host", "add", h.name, h.addr)
    phase("host add x2")
    cluster.orch("apply", "-i", str(cluster.work / "cluster.yaml"))
    phase("apply (mons, OSDs prepared)")
    conftest.wait_until("3 OSDs up and in", lambda: (lambda s: s["num_up_osds"] == 3 and
                                                      s["num_in_osds"] == 3)(cluster.osd_stat()),
                        300, every=0.5)
    phase("OSDs up")
    conftest.wait_until("3 mons in quorum and HEALTH_OK", lambda: len(cluster.ceph_json(
        "quorum_status")["quorum_names"]) == 3 and cluster.health() == "HEALTH_OK", 300,
        every=0.5)
    phase("HEALTH_OK")
    phases["total"] = time.monotonic() - start
    return phases


def _question(ctx: Context, cluster: Any, row: Row) -> None:
    """``status`` asked as orch asks it (CephCLICluster over a pooled connection, the agent's
    rados session warm) and as the ``ceph`` CLI answers it on the admin host."""
    from ceph_orch_cli.backends.ssh.orchestrator import SSHOrchestrator
    orch = SSHOrchestrator(cluster.state_dir)
    try:
        cli = orch.cluster
        answer = cli.ask(_status_command())  # type: ignore[attr-defined]
        if answer.via != "rados":
            row.error = f"the agent answered through {answer.via}, not rados"
            return
        rados_s = _timed(ctx.fast_runs, lambda: cli.status())  # type: ignore[attr-defined]
    finally:
        orch.close()
    cli_s = _timed(ctx.runs, lambda: cluster.ceph("status", "--format", "json"))
    row.figure = Figure(seconds=rados_s, memory_kind="n/a")
    row.ratio = statistics.median(cli_s) / statistics.median(rados_s)
    row.note = (f"rados path {statistics.median(rados_s) * 1000:.1f} ms (orch's CephCLICluster "
                f"over its pooled SSH connection), `ceph status` CLI "
                f"{statistics.median(cli_s) * 1000:.0f} ms on the host (medians)")


def _status_command() -> Any:
    from ceph_orch_cli.backends.ssh.ceph_cli import CephCommand
    return CephCommand("status", ["status"])
