"""Convergence invariants over generated fleets and specs (local backend)."""
from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ceph_orch_cli.backends.local import LocalOrchestrator
from ceph_orch_cli.deployment.hostspec import HostSpec
from ceph_orch_cli.deployment.service_spec import ServiceSpec
from ceph_orch_cli.orchestrator import raise_if_exception as ok

ACTION_KEYS = {"deployed", "removed", "reconfigured", "osds_created", "failed"}


def device(path, rotational):
    return {"path": path, "available": True, "rejected_reasons": [], "device_id": path,
            "lvs": [], "sys_api": {"rotational": rotational, "size": 2 * 1024 ** 4,
                                  "model": "M", "vendor": "V"}}


host_st = st.fixed_dictionaries({
    "devices": st.lists(st.sampled_from(["1", "0"]), max_size=4),
    "labels": st.lists(st.sampled_from(["mon", "rgw", "_no_schedule"]), unique=True, max_size=2),
    "maintenance": st.booleans(),
})

services_st = st.fixed_dictionaries({
    "mgr": st.integers(1, 3),
    "mon_label": st.booleans(),
    "rgw": st.integers(1, 4),
    "rgw_per_host": st.one_of(st.none(), st.integers(1, 2)),
    "mds": st.integers(1, 3),
    "osd_rotational": st.sampled_from([None, 1, 0]),
})


def build(fleet_hosts, services, state_dir: Path):
    fleet = [{"hostname": f"host{i}", "addr": f"10.1.0.{i + 1}",
              "devices": [device(f"/dev/sd{chr(98 + j)}", r) for j, r in enumerate(h["devices"])]}
             for i, h in enumerate(fleet_hosts)]
    (state_dir / "fleet.yaml").write_text(json.dumps(fleet))
    orch = LocalOrchestrator(state_dir)
    specs = [HostSpec(f"host{i}", f"10.1.0.{i + 1}", labels=list(h["labels"]),
                      status="maintenance" if h["maintenance"] else None)
             for i, h in enumerate(fleet_hosts)]
    mon = {"label": "mon"} if services["mon_label"] else {"count": 3}
    rgw = {"count": services["rgw"]} if services["rgw_per_host"] is None else \
        {"count_per_host": services["rgw_per_host"], "host_pattern": "*"}
    data = {"all": True} if services["osd_rotational"] is None else \
        {"rotational": services["osd_rotational"]}
    service_specs = [
        {"service_type": "mon", "placement": mon},
        {"service_type": "mgr", "placement": {"count": services["mgr"]}},
        {"service_type": "crash", "placement": {"host_pattern": "*"}},
        {"service_type": "rgw", "service_id": "foo", "placement": rgw},
        {"service_type": "mds", "service_id": "fs", "placement": {"count": services["mds"]}},
        {"service_type": "osd", "service_id": "dg", "placement": {"host_pattern": "*"},
         "spec": {"data_devices": data}},
    ]
    ok(orch.apply(specs))
    ok(orch.apply([ServiceSpec.from_json(s) for s in service_specs], continue_on_error=True))
    return orch, service_specs


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleet_hosts=st.lists(host_st, min_size=1, max_size=6), services=services_st)
def test_convergence_invariants(fleet_hosts, services):
    with tempfile.TemporaryDirectory() as tmp:
        orch, service_specs = build(fleet_hosts, services, Path(tmp))
        daemons = ok(orch.list_daemons())

        # a second reconcile is a no-op
        summary = orch.reconcile_pass()
        assert not (ACTION_KEYS & set(summary)), summary
        assert sorted(d.name() for d in ok(orch.list_daemons())) == sorted(d.name() for d in daemons)

        # nothing lands on a _no_schedule or maintenance host
        barred = {f"host{i}" for i, h in enumerate(fleet_hosts)
                  if "_no_schedule" in h["labels"] or h["maintenance"]}
        assert not [d.name() for d in daemons if d.hostname in barred]

        # every eligible host runs a crash daemon (placement actually happened)
        eligible = {f"host{i}" for i in range(len(fleet_hosts))} - barred
        assert {d.hostname for d in daemons if d.daemon_type == "crash"} == eligible

        # no service exceeds its count
        per_service = Counter(d.service_name() for d in daemons)
        assert per_service["mgr"] <= services["mgr"]
        assert per_service["mds.fs"] <= services["mds"]
        if services["rgw_per_host"] is None:
            assert per_service["rgw.foo"] <= services["rgw"]
        else:
            per_host = Counter(d.hostname for d in daemons if d.daemon_type == "rgw")
            assert max(per_host.values(), default=0) <= services["rgw_per_host"]
        if not services["mon_label"]:
            assert per_service["mon"] <= 3

        # a device is never given to two OSDs, and each OSD has exactly one data device
        owners = Counter()
        for inv in ok(orch.get_inventory()):
            for dev in inv.devices.devices:
                block = [lv["osd_id"] for lv in dev.lvs or [] if lv.get("type") == "block"]
                assert len(block) <= 1, (inv.name, dev.path, block)
                owners.update(block)
        osds = [d.daemon_id for d in daemons if d.daemon_type == "osd"]
        assert sorted(owners) == sorted(osds) and all(n == 1 for n in owners.values())
        orch.close()
