"""kill -9 in the middle of a large apply: the store opens consistent, the intent is kept,
and the next run converges."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest

from ceph_orch_cli.backends.local import LocalOrchestrator
from ceph_orch_cli.orchestrator import raise_if_exception as ok

pytestmark = pytest.mark.slow

HOSTS = 40

APPLY = textwrap.dedent("""
    import sys
    from pathlib import Path
    from ceph_orch_cli.cluster import engine
    engine.BATCH_HOSTS = 4          # many small batches: a crash lands between and inside them
    from ceph_orch_cli.backends.local import LocalOrchestrator
    from ceph_orch_cli.deployment.hostspec import HostSpec
    from ceph_orch_cli.deployment.service_spec import ServiceSpec
    from ceph_orch_cli.orchestrator import raise_if_exception
    orch = LocalOrchestrator(Path(sys.argv[1]))
    print("applying", flush=True)
    hosts = [HostSpec(f"host{i}", f"10.2.0.{i + 1}") for i in range(int(sys.argv[2]))]
    specs = [ServiceSpec.from_json(s) for s in [
        {"service_type": "mon", "placement": {"count": 3}},
        {"service_type": "mgr", "placement": {"count": 2}},
        {"service_type": "crash", "placement": {"host_pattern": "*"}},
        {"service_type": "node-exporter", "placement": {"host_pattern": "*"}},
        {"service_type": "rgw", "service_id": "foo", "placement": {"count": 8}},
        {"service_type": "osd", "service_id": "all", "placement": {"host_pattern": "*"},
         "spec": {"data_devices": {"all": True}}},
    ]]
    raise_if_exception(orch.apply(hosts + specs))
""")


def write_fleet(state: Path) -> None:
    fleet = [{"hostname": f"host{i}", "addr": f"10.2.0.{i + 1}",
              "devices": [{"path": f"/dev/sd{c}", "available": True, "rejected_reasons": [],
                           "lvs": [], "sys_api": {"rotational": "1", "size": 4 * 1024 ** 4}}
                          for c in "bcde"]} for i in range(HOSTS)]
    state.mkdir(parents=True, exist_ok=True)
    (state / "fleet.yaml").write_text(json.dumps(fleet))


def run_apply(state: Path, crash_after=None, timeout=120):
    env = dict(os.environ)
    env.pop("ORCH_FLEET", None)
    env.pop("UNITTEST", None)
    if crash_after is not None:
        env["ORCH_TEST_CRASH_AFTER"] = str(crash_after)
    return subprocess.run([sys.executable, "-c", APPLY, str(state), str(HOSTS)], env=env,
                          capture_output=True, text=True, timeout=timeout)


def assert_converged(state: Path) -> None:
    orch = LocalOrchestrator(state)
    assert orch.store.query("PRAGMA integrity_check")[0][0] == "ok"
    # the intent survived the crash: every spec is stored
    assert {r.service_name for r in orch.store.get_specs()} == \
        {"mon", "mgr", "crash", "node-exporter", "rgw.foo", "osd.all"}
    orch.reconcile_pass()
    assert not {"deployed", "removed", "osds_created", "failed"} & set(orch.reconcile_pass())
    daemons = ok(orch.list_daemons())
    per_service = Counter(d.service_name() for d in daemons)
    assert per_service["crash"] == per_service["node-exporter"] == HOSTS
    assert (per_service["mon"], per_service["mgr"], per_service["rgw.foo"]) == (3, 2, 8)
    assert per_service["osd.all"] == HOSTS * 4
    owners = Counter(lv["osd_id"] for inv in ok(orch.get_inventory()) for dev in inv.devices.devices
                     for lv in dev.lvs or [])
    assert all(n == 1 for n in owners.values()) and len(owners) == HOSTS * 4
    assert len({d.name() for d in daemons}) == len(daemons)


@pytest.mark.parametrize("crash_after", [1, 7, 45, 90, 130])
def test_a_crash_at_any_action_leaves_a_store_that_converges(tmp_path, crash_after):
    state = tmp_path / "state"
    write_fleet(state)
    proc = run_apply(state, crash_after)
    assert proc.returncode == 137, proc.stderr
    assert_converged(state)


def test_sigkill_at_random_moments_then_a_rerun_converges(tmp_path):
    state = tmp_path / "state"
    write_fleet(state)
    env = dict(os.environ)
    env.pop("ORCH_FLEET", None)
    env.pop("UNITTEST", None)
    for delay in (0.0, 0.02, 0.05, 0.1, 0.2):
        proc = subprocess.Popen([sys.executable, "-c", APPLY, str(state), str(HOSTS)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout.readline() == b"applying\n"
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
    assert run_apply(state).returncode == 0
    assert_converged(state)
