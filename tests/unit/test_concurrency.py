"""Eight orch processes at once: different specs, labels on the same hosts; nothing is lost."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections import Counter

import pytest

from ceph_orch_cli.backends.local import LocalOrchestrator
from ceph_orch_cli.deployment.hostspec import HostSpec
from ceph_orch_cli.orchestrator import raise_if_exception as ok

pytestmark = pytest.mark.slow

WORKERS = 8
HOSTS = ["host1", "host2", "host3", "host4", "host5", "host6"]

WORKER = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from ceph_orch_cli.backends.local import LocalOrchestrator
    from ceph_orch_cli.deployment.service_spec import ServiceSpec
    from ceph_orch_cli.orchestrator import raise_if_exception
    state, n, go = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    while not go.exists():
        time.sleep(0.005)
    orch = LocalOrchestrator(state)
    raise_if_exception(orch.apply([ServiceSpec.from_json(
        {"service_type": "rgw", "service_id": f"s{n}", "placement": {"count": 1},
         # ports are real: rgws on one host need ports of their own
         "spec": {"rgw_frontend_port": 8000 + n}})]))
    for host in sys.argv[4:]:
        raise_if_exception(orch.add_host_label(host, f"worker{n}"))
""")


def test_parallel_applies_and_label_changes_all_land(tmp_path, monkeypatch):
    monkeypatch.delenv("ORCH_FLEET", raising=False)
    state = tmp_path / "state"
    orch = LocalOrchestrator(state)
    ok(orch.apply([HostSpec(h, f"10.0.0.{10 + i}") for i, h in enumerate(HOSTS, start=1)]))
    go = tmp_path / "go"
    env = {k: v for k, v in os.environ.items() if k not in ("ORCH_FLEET", "UNITTEST")}
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(state), str(n), str(go), *HOSTS],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for n in range(WORKERS)]
    time.sleep(0.5)  # let every worker start and wait at the line
    go.touch()
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err

    orch = LocalOrchestrator(state)
    labels = {h.hostname: set(h.labels) for h in ok(orch.get_hosts())}
    assert labels == {h: {f"worker{n}" for n in range(WORKERS)} for h in HOSTS}
    assert {r.service_name for r in orch.store.get_specs()} == {f"rgw.s{n}" for n in range(WORKERS)}
    per_service = Counter(d.service_name() for d in ok(orch.list_daemons()))
    assert per_service == {f"rgw.s{n}": 1 for n in range(WORKERS)}
    assert not {"deployed", "removed", "failed"} & set(orch.reconcile_pass())
