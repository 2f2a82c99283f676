"""SSH refresh of N test hosts against one: does fan-out keep a refresh flat as hosts grow?

``measure_refresh(n_hosts)`` starts N real sshd test hosts (``backends.ssh.testhosts``; needs
root), connects once (host keys recorded, agent uploaded, connections pooled, as after
``orch host add``), then times full refreshes (check-host, ls, gather-facts, list-networks,
inventory per host, the work of a ``--refresh``) over the pooled connections and returns the
median in seconds. The target (issue #6) is 16 hosts in at most 2x the time of 1.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import List

FSID = "5a1c9a40-1f6e-11ef-9d4a-525400a1b2c3"


def measure_refresh(n_hosts: int, runs: int = 5, mode: str = "warm") -> float:
    """Median seconds of one refresh of ``n_hosts`` SSH test hosts.

    ``mode="warm"``: the steady state of ``orch serve``: connections pooled, one agent round
    trip per host (``SSHHostDriver.refresh_host``). ``mode="cli"``: what an operator waits
    for: ``orch ps --refresh --format json`` end to end (a new process, new connections, the
    engine's refresh).
    """
    from ceph_orch_cli.backends.ssh.testhosts import SSHTestHosts

    with tempfile.TemporaryDirectory(prefix="orch-ssh-bench-") as tmp:
        with SSHTestHosts(Path(tmp) / "hosts", n_hosts) as hosts:
            if mode == "warm":
                return _measure_warm(hosts, Path(tmp) / "state", runs)
            if mode == "cli":
                return _measure_cli(hosts, Path(tmp) / "state", runs)
            raise ValueError(f"unknown mode {mode!r}")


def _state(hosts, state: Path):
    from ceph_orch_cli.backends.ssh import keys

    files = keys.SSHFiles(state)
    keys.set_private_key(files, hosts.client_key.read_text())
    keys.set_config(files, hosts.ssh_config())
    return files


def _measure_warm(hosts, state: Path, runs: int) -> float:
    from ceph_orch_cli.backends.ssh.driver import SSHHostDriver
    from ceph_orch_cli.backends.ssh.pool import ConnectionPool
    from ceph_orch_cli.backends.ssh.transport import KnownHosts

    files = _state(hosts, state)
    pool = ConnectionPool(files.private_key, KnownHosts(files.known_hosts), files.config_path())
    driver = SSHHostDriver(pool, fsid=lambda: FSID)
    specs = [h.spec() for h in hosts]
    try:
        _fail_on_errors(driver.map_hosts(driver.learn_host_key, specs))
        times: List[float] = []
        for _ in range(runs):
            start = time.perf_counter()
            _fail_on_errors(driver.map_hosts(driver.refresh_host, specs))
            times.append(time.perf_counter() - start)
    finally:
        driver.close()
    return statistics.median(times)


def _measure_cli(hosts, state: Path, runs: int) -> float:
    import subprocess

    _state(hosts, state)
    hosts.write_ceph_cluster(hosts.hosts[0], {"fsid": FSID, "osds": {}})
    docs = "".join(f"---\nservice_type: host\nhostname: {h.name}\naddr: {h.addr}\n" for h in hosts)
    base = [sys.executable, "-m", "ceph_orch_cli", "--backend", "ssh", "--state-dir", str(state)]
    subprocess.run(base + ["apply", "-i", "-"], input=docs, text=True, check=True, capture_output=True)
    times: List[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(base + ["ps", "--refresh", "--format", "json"], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _fail_on_errors(results) -> None:
    failed = {h: r for h, r in results.items() if isinstance(r, BaseException)}
    if failed:
        raise RuntimeError(f"refresh failed on {sorted(failed)}: {next(iter(failed.values()))}")


def main() -> int:
    print(f"{'SSH refresh':<34}{'1 host':>9}{'16 hosts':>10}{'ratio':>8}")
    for mode, label in (("warm", "pooled, one round trip per host"), ("cli", "orch ps --refresh (new process)")):
        one, many = measure_refresh(1, mode=mode), measure_refresh(16, mode=mode)
        print(f"{label:<34}{one:>8.3f}s{many:>9.3f}s{many / one:>7.2f}x")
    print("target: 16 hosts in at most 2x the time of 1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
