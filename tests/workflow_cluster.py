"""A small simulated cluster for the workflow tests (OSD removal, upgrade, maintenance, drain):
four hosts with two disks each, 3 mons, 2 mgrs, crash everywhere and OSDs on every disk."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

from ceph_orch_cli.backends import load_backend
from ceph_orch_cli.deployment.loader import load_specs
from ceph_orch_cli.orchestrator import raise_if_exception

HOSTS = ["host1", "host2", "host3", "host4"]

CLUSTER = """
service_type: host
hostname: host1
addr: 10.0.0.11
labels: [_admin]
---
service_type: host
hostname: host2
addr: 10.0.0.12
---
service_type: host
hostname: host3
addr: 10.0.0.13
---
service_type: host
hostname: host4
addr: 10.0.0.14
---
service_type: mon
placement: {count: 3}
---
service_type: mgr
placement: {count: 2}
---
service_type: crash
placement: {host_pattern: '*'}
---
service_type: osd
service_id: all
placement: {host_pattern: '*'}
spec: {data_devices: {all: true}}
"""


def ok(result: Any) -> Any:
    return raise_if_exception(result)


def _disk(path: str, serial: str) -> Dict[str, Any]:
    return {"path": path, "available": True, "rejected_reasons": [], "device_id": serial,
            "lvs": [], "sys_api": {"rotational": "1", "size": 4 * 2 ** 40, "model": "ST4000",
                                   "vendor": "ATA", "human_readable_size": "4.00 TB"}}


def fleet(offline: List[str] = ()) -> List[Dict[str, Any]]:
    out = []
    for i, h in enumerate(HOSTS, start=1):
        entry = {"hostname": h, "addr": f"10.0.0.{10 + i}",
                 "devices": [_disk("/dev/sdb", f"ST4000_{h}_B"),
                             _disk("/dev/sdc", f"ST4000_{h}_C")]}
        if h in offline:
            entry["status"] = "offline"
        out.append(entry)
    return out


def write_fleet(path: Path, offline: List[str] = ()) -> Path:
    """(Re)write the fleet file; a host listed in ``offline`` stops answering."""
    path.write_text(json.dumps(fleet(offline)))
    return path


def open_orch(state_dir: Path) -> Any:
    """The local backend, as a fresh ``orch`` process would open it."""
    return load_backend("local", state_dir)


def applied_cluster(state_dir: Path, extra: str = "") -> Any:
    """The workflow cluster (plus ``extra`` spec documents) applied, converged and settled:
    one pass later, as on a real cluster a moment later, the new OSDs' PGs have peered
    (``osd ok-to-stop`` refuses while they peer)."""
    orch = open_orch(state_dir)
    ok(orch.apply(load_specs(CLUSTER + (("---\n" + extra) if extra else ""))))
    orch.reconcile_pass()
    return orch


def daemons(orch: Any, hostname: str = "", **filters: Any) -> Dict[str, Any]:
    return {d.name(): d for d in ok(orch.list_daemons(**filters))
            if not hostname or d.hostname == hostname}


def passes(orch: Any, n: int) -> List[Dict[str, Any]]:
    return [orch.reconcile_pass() for _ in range(n)]


def events_of(orch: Any, daemon_name: str) -> List[str]:
    found = [d for d in ok(orch.list_daemons()) if d.name() == daemon_name]
    return [e.message for e in found[0].events] if found else []


def service_events(orch: Any, service_name: str) -> List[str]:
    for s in ok(orch.describe_service()):
        if s.spec.service_name() == service_name:
            return [e.message for e in s.events]
    return []
