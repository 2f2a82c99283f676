"""Synthetic clusters for the benchmarks: fleet files for the local backend and the spec
files `orch apply -i` converges on them.

Fleets are written as JSON, which is YAML too (the local backend reads both; JSON parses an
order of magnitude faster than YAML for a 120,000-disk fleet, and the fleet is hardware
description, not what is being measured). Spec files are multi-document YAML, as operators
write them, so `orch apply -i` pays its real parsing cost.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Iterator, List

TB = 1024 ** 4
GB = 1024 ** 3


def hostname(i: int) -> str:
    return f"node{i:05d}"


def host_addr(i: int) -> str:
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255 or 1}"


def _disk_name(j: int) -> str:
    """sdb, sdc, ..., sdz, sdaa, ... (sda is the root disk, never offered)."""
    j += 1
    name = ""
    while True:
        name = chr(ord("a") + j % 26) + name
        j = j // 26 - 1
        if j < 0:
            return "sd" + name


def device(host_index: int, j: int, rotational: bool) -> Dict[str, Any]:
    """One disk in `ceph-volume inventory --format=json` shape, with the fields placement
    and drive selection read (the local backend caps a fleet file at 32 MB, so the
    5,000 x 24-disk fleet carries no decorative fields)."""
    path = f"/dev/{_disk_name(j)}"
    size = 4 * TB if rotational else 800 * GB
    model = "ST4000NM0035-1V4" if rotational else "MZ7LH800HAHQ"
    vendor = "ATA" if rotational else "SAMSUNG"
    return {
        "path": path, "available": True, "rejected_reasons": [],
        "device_id": f"{model}_H{host_index:05d}D{j:03d}",
        "sys_api": {"vendor": vendor, "model": model, "rotational": "1" if rotational else "0",
                    "size": size, "human_readable_size": "4.00 TB" if rotational else "800.00 GB"},
    }


def host_devices(host_index: int, n_devices: int, n_flash: int = 0) -> List[Dict[str, Any]]:
    """``n_devices`` disks: the last ``n_flash`` are SSDs, the rest HDDs."""
    return [device(host_index, j, rotational=j < n_devices - n_flash) for j in range(n_devices)]


def write_fleet(path: Path, n_hosts: int, n_devices: int, n_flash: int = 0) -> Path:
    hosts = [{"hostname": hostname(i), "addr": host_addr(i),
              "devices": host_devices(i, n_devices, n_flash)} for i in range(n_hosts)]
    path.write_text(json.dumps(hosts, separators=(",", ":")))
    return path


def _host_docs(n_hosts: int) -> Iterator[str]:
    for i in range(n_hosts):
        labels = "[mon, mgr]" if i < 5 else "[]"
        yield (f"service_type: host\nhostname: {hostname(i)}\naddr: {host_addr(i)}\n"
               f"labels: {labels}\n")


def cluster_specs(n_hosts: int, osd: bool = True, monitoring: bool = True) -> str:
    """A whole cluster: every host, mon/mgr on labelled hosts, crash (and node-exporter)
    everywhere, and an OSD spec taking every HDD (SSDs, if any, as DB devices)."""
    docs = list(_host_docs(n_hosts))
    docs.append("service_type: mon\nplacement:\n  count: %d\n  label: mon\n" % min(5, n_hosts))
    docs.append("service_type: mgr\nplacement:\n  count: %d\n  label: mgr\n" % min(2, n_hosts))
    docs.append("service_type: crash\nplacement:\n  host_pattern: '*'\n")
    if monitoring:
        docs.append("service_type: node-exporter\nplacement:\n  host_pattern: '*'\n")
    if osd:
        docs.append("service_type: osd\nservice_id: all_hdd\nplacement:\n  host_pattern: '*'\n"
                    "spec:\n  data_devices:\n    rotational: 1\n  db_devices:\n"
                    "    rotational: 0\n")
    return "---\n".join(docs)


def many_services_specs(n_hosts: int, n_services: int) -> str:
    """`n_hosts` hosts and `n_services` small services (one rgw daemon each): the shape
    of a busy multi-tenant cluster, for the listing commands."""
    docs = list(_host_docs(n_hosts))
    for k in range(n_services):
        docs.append(f"service_type: rgw\nservice_id: tenant{k:04d}\nplacement:\n  count: 1\n"
                    f"spec:\n  rgw_frontend_port: {8000 + k}\n")
    return "---\n".join(docs)
