"""SSH refresh of N test hosts against one: does fan-out keep a refresh flat as hosts grow?

``measure(n_hosts, mode=...)`` starts N real sshd test hosts (``tests/testhosts.py``;
needs root) and times full refreshes (check-host, ls, gather-facts, list-networks, inventory
per host, the work of a ``--refresh``). The target (issue #6) is 16 hosts in at most 2x the
time of 1.

Besides the wall time it reports where the CPU went, because every test host runs on this
machine: the CPU of ``orch`` itself, and the CPU of the whole machine (``orch`` plus each
host's sshd, agent and the tools the agent runs). On real hosts the second part is spread over
the hosts' own CPUs; here 16 hosts' worth of it shares the orchestrator's CPUs, which bounds
the ratio from below however the fan-out is built.
"""
from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Tuple

FSID = "5a1c9a40-1f6e-11ef-9d4a-525400a1b2c3"
MODES = ("cli", "warm")


@dataclass
class RefreshFigures:
    """One refresh of N hosts: the median wall time, and CPU seconds per refresh averaged over
    the runs (the kernel's CPU clocks tick every 10 ms: too coarse for one short refresh)."""

    hosts: int
    wall_s: float
    orch_cpu_s: float     # the orch process (cli) or this process's threads (warm)
    machine_cpu_s: float  # every process on the machine: orch, sshd, agents, lsblk, ...


def _tests_on_path() -> None:
    """The test hosts live in the test tree (``tests/testhosts.py``), outside the installed
    package; this script runs from a checkout, so it finds them beside itself."""
    tests = str(Path(__file__).resolve().parent.parent / "tests")
    if tests not in sys.path:
        sys.path.append(tests)


def measure(n_hosts: int, runs: int = 5, mode: str = "cli", delay: float = 0.0) -> RefreshFigures:
    """Refresh ``n_hosts`` SSH test hosts ``runs`` times.

    ``mode="cli"``: what an operator waits for: ``orch ps --refresh --format json`` end to end
    (a new process, new connections, the agent session started, the engine's refresh).
    ``mode="warm"``: the steady state of ``orch serve``: connections pooled and agents
    running, one agent round trip per host (``SSHHostDriver.refresh_host``).

    ``delay`` > 0 puts ``latency_proxy.LatencyProxy`` between orch and every host: that many
    seconds each way, as a network would add (the hosts all run on this machine).
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}")
    _tests_on_path()
    from testhosts import SSHTestHosts  # tests/testhosts.py: test infrastructure, not shipped

    with tempfile.TemporaryDirectory(prefix="orch-ssh-bench-") as tmp:
        with SSHTestHosts(Path(tmp) / "hosts", n_hosts) as hosts:
            state = Path(tmp) / "state"
            route = _Direct(hosts)
            proxy = None
            if delay > 0:
                from latency_proxy import LatencyProxy  # benchmarks/latency_proxy.py
                proxy = LatencyProxy([(h.addr, h.port) for h in hosts], delay=delay).start()
                route = _Proxied(hosts, proxy)
            try:
                if mode == "warm":
                    samples = _measure_warm(hosts, state, runs, route)
                else:
                    samples = _measure_cli(hosts, state, runs, route)
            finally:
                if proxy is not None:
                    proxy.stop()
    return RefreshFigures(
        hosts=n_hosts, wall_s=statistics.median(s[0] for s in samples),
        orch_cpu_s=sum(s[1] for s in samples) / len(samples),
        machine_cpu_s=sum(s[2] for s in samples) / len(samples))


def _machine_cpu() -> float:
    """CPU seconds spent by every process since boot (/proc/stat: all but idle and iowait)."""
    with open("/proc/stat") as f:
        ticks = [int(v) for v in f.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(runs: int, refresh: Callable[[], None],
           orch_cpu: Callable[[], float]) -> List[Tuple[float, float, float]]:
    samples = []
    for _ in range(runs):
        cpu0, machine0, start = orch_cpu(), _machine_cpu(), time.perf_counter()
        refresh()
        samples.append((time.perf_counter() - start, orch_cpu() - cpu0, _machine_cpu() - machine0))
    return samples


class _Direct:
    """orch reaches each test host at its own address."""

    def __init__(self, hosts) -> None:
        self.hosts = hosts

    def addr(self, host) -> str:
        return host.addr

    def ssh_config(self) -> str:
        return self.hosts.ssh_config()


class _Proxied(_Direct):
    """orch reaches each test host through the latency proxy's address for it."""

    def __init__(self, hosts, proxy) -> None:
        super().__init__(hosts)
        self.proxy = proxy
        self.by_addr = proxy.mapping()

    def addr(self, host) -> str:
        return self.by_addr[host.addr]

    def ssh_config(self) -> str:
        return "".join(f"Host {h.name}\n    HostName {self.addr(h)}\n    Port {self.proxy.port}\n"
                       f"    User root\n" for h in self.hosts)


def _state(hosts, state: Path, route: _Direct):
    from ceph_orch_cli.backends.ssh import keys

    files = keys.SSHFiles(state)
    keys.set_private_key(files, hosts.client_key.read_text())
    keys.set_config(files, route.ssh_config())
    return files


def _measure_warm(hosts, state: Path, runs: int, route: _Direct) -> List[Tuple[float, float, float]]:
    from ceph_orch_cli.backends.ssh.driver import SSHHostDriver
    from ceph_orch_cli.backends.ssh.pool import ConnectionPool
    from ceph_orch_cli.backends.ssh.transport import KnownHosts

    from ceph_orch_cli.deployment.hostspec import HostSpec

    files = _state(hosts, state, route)
    pool = ConnectionPool(files.private_key, KnownHosts(files.known_hosts), files.config_path())
    driver = SSHHostDriver(pool, fsid=lambda: FSID)
    specs = [HostSpec(h.name, addr=route.addr(h)) for h in hosts]
    try:
        _fail_on_errors(driver.map_hosts(driver.learn_host_key, specs))
        _fail_on_errors(driver.map_hosts(driver.refresh_host, specs))  # agents started
        return _timed(runs, lambda: _fail_on_errors(driver.map_hosts(driver.refresh_host, specs)),
                      time.process_time)
    finally:
        driver.close()


def _measure_cli(hosts, state: Path, runs: int, route: _Direct) -> List[Tuple[float, float, float]]:
    _state(hosts, state, route)
    hosts.write_ceph_cluster(hosts.hosts[0], {"fsid": FSID, "osds": {}})
    docs = "".join(f"---\nservice_type: host\nhostname: {h.name}\naddr: {route.addr(h)}\n"
                   for h in hosts)
    base = [sys.executable, "-m", "ceph_orch_cli", "--backend", "ssh", "--state-dir", str(state)]
    subprocess.run(base + ["apply", "-i", "-"], input=docs, text=True, check=True, capture_output=True)
    ps = base + ["ps", "--refresh", "--format", "json"]
    return _timed(runs, lambda: subprocess.run(ps, check=True, capture_output=True), _children_cpu)


def _fail_on_errors(results) -> None:
    failed = {h: r for h, r in results.items() if isinstance(r, BaseException)}
    if failed:
        raise RuntimeError(f"refresh failed on {sorted(failed)}: {next(iter(failed.values()))}")


def describe(one: RefreshFigures, many: RefreshFigures) -> str:
    """Where the difference between 1 and N hosts went, in one line."""
    hosts_cpu = [(f.machine_cpu_s - f.orch_cpu_s) / f.hosts for f in (one, many)]
    return (f"1 host {one.wall_s * 1000:.0f} ms, {many.hosts} hosts {many.wall_s * 1000:.0f} ms "
            f"(medians); orch's own CPU {one.orch_cpu_s * 1000:.0f} -> "
            f"{many.orch_cpu_s * 1000:.0f} ms ({many.orch_cpu_s / one.orch_cpu_s:.2f}x; "
            f"{many.orch_cpu_s / many.hosts * 1000:.1f} ms per host, "
            f"{(many.orch_cpu_s - one.orch_cpu_s) / max(1, many.hosts - 1) * 1000:.1f} ms per "
            f"added host); "
            f"the machine's CPU less orch's, per host (sshd, agent, tools and whatever else "
            f"ran meanwhile) {hosts_cpu[1] * 1000:.0f} ms, all "
            f"on this machine's {os.cpu_count()} CPUs")


def main() -> int:
    print(f"{'SSH refresh':<36}{'1 host':>9}{'16 hosts':>10}{'ratio':>8}")
    for mode, label in (("cli", "orch ps --refresh (end to end)"), ("warm", "pooled, agents running")):
        one, many = measure(1, mode=mode), measure(16, mode=mode)
        print(f"{label:<36}{one.wall_s:>8.3f}s{many.wall_s:>9.3f}s{many.wall_s / one.wall_s:>7.2f}x")
        print(f"  {describe(one, many)}")
    print("target: 16 hosts in at most 2x the time of 1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
