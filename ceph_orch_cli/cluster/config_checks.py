"""cephadm's configuration checker (``ceph cephadm config-check ...``): consistency checks
across the hosts' gathered facts, each raising one ``CEPHADM_CHECK_*`` health warning.

Pure: it is given the facts, roles, networks and versions and returns the raised checks,
so that the engine can run it over its caches (``orch status``, `config-check status`)
without asking any host. As in cephadm, a check compares hosts with each other: the
majority's value is the norm and every other host is named in the warning's detail.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Set, Tuple

#: (name, health check, description), in cephadm's order
CONFIG_CHECKS = (
    ("kernel_security", "CEPHADM_CHECK_KERNEL_LSM",
     "checks SELINUX/Apparmor profiles are consistent across cluster hosts"),
    ("os_subscription", "CEPHADM_CHECK_SUBSCRIPTION",
     "checks subscription states are consistent for all cluster hosts"),
    ("public_network", "CEPHADM_CHECK_PUBLIC_MEMBERSHIP",
     "check that all hosts have a NIC on the Ceph public_network"),
    ("osd_mtu_size", "CEPHADM_CHECK_MTU", "check that OSD hosts share a common MTU setting"),
    ("osd_linkspeed", "CEPHADM_CHECK_LINKSPEED",
     "check that OSD hosts share a common linkspeed"),
    ("network_missing", "CEPHADM_CHECK_NETWORK_MISSING",
     "checks that the cluster/public networks defined exist on the Ceph hosts"),
    ("ceph_release", "CEPHADM_CHECK_CEPH_RELEASE",
     "check for Ceph version consistency - ceph daemons should be on the same release "
     "(unless upgrade is active)"),
    ("kernel_version", "CEPHADM_CHECK_KERNEL_VERSION",
     "checks that the MAJ.MIN of the kernel on Ceph hosts is consistent"),
)

RELEASES = {"15": "octopus", "16": "pacific", "17": "quincy", "18": "reef", "19": "squid",
            "20": "tentacle"}

HealthCheck = Dict[str, Any]


@dataclass
class CheckInput:
    """What the checks read: per host its facts and the daemon types it runs, the
    configured networks, each Ceph daemon's version, and whether an upgrade runs."""

    facts: Dict[str, Dict[str, Any]]
    roles: Dict[str, Set[str]] = field(default_factory=dict)
    public_networks: List[str] = field(default_factory=list)
    cluster_networks: List[str] = field(default_factory=list)
    versions: Dict[str, str] = field(default_factory=dict)
    upgrading: bool = False


def release_of(version: str) -> str:
    """``18.2.4`` (or ``ceph version 18.2.4 (...) reef (stable)``) -> ``reef``."""
    m = re.search(r"(\d+)\.\d+\.\d+", version or "")
    if not m:
        return ""
    return RELEASES.get(m.group(1), m.group(1))


def _majority(groups: Dict[str, List[str]]) -> Tuple[str, int]:
    best, count = "", 0
    for key, members in groups.items():
        if len(members) > count:
            best, count = key, len(members)
    return best, count


def _warning(summary: str, detail: List[str]) -> HealthCheck:
    return {"severity": "warning", "summary": summary, "count": len(detail), "detail": detail}


def _network_of(address: str) -> Optional[str]:
    try:
        return str(ipaddress.ip_interface(address).network)
    except ValueError:
        return None


class _Lookups:
    """The maps cephadm builds once from the facts (``_process_hosts``)."""

    def __init__(self, data: CheckInput) -> None:
        self.lsm: Dict[str, List[str]] = {}
        self.subscribed: Dict[str, List[str]] = {"yes": [], "no": []}
        self.kernels: Dict[str, List[str]] = {}
        #: subnet -> {"mtu": {mtu: [hosts]}, "speed": {speed: [hosts]}, "nic": {host: nic}}
        self.subnets: Dict[str, Dict[str, Dict[str, Any]]] = {}
        for host, facts in sorted(data.facts.items()):
            lsm = (facts.get("kernel_security") or {}).get("description", "")
            if lsm:
                self.lsm.setdefault(lsm, []).append(host)
            sub = str(facts.get("subscribed") or "").lower()
            if sub in self.subscribed:
                self.subscribed[sub].append(host)
            kernel = str(facts.get("kernel") or "")
            if kernel:
                self.kernels.setdefault(".".join(kernel.split(".")[:2]), []).append(host)
            for nic, info in sorted((facts.get("interfaces") or {}).items()):
                if nic != "lo":
                    self._add_nic(host, nic, info or {})

    def _add_nic(self, host: str, nic: str, info: Dict[str, Any]) -> None:
        mtu, speed = info.get("mtu"), info.get("speed")
        if not mtu or not speed:
            return
        for key in ("ipv4_address", "ipv6_address"):
            subnet = _network_of(str(info.get(key) or ""))
            if subnet is None:
                continue
            entry = self.subnets.setdefault(subnet, {"mtu": {}, "speed": {}, "nic": {}})
            entry["mtu"].setdefault(str(mtu), []).append(host)
            entry["speed"].setdefault(str(speed), []).append(host)
            entry["nic"].setdefault(host, nic)

    def hosts_on(self, subnet: str) -> Set[str]:
        entry = self.subnets.get(subnet)
        return {h for hosts in entry["mtu"].values() for h in hosts} if entry else set()


def _odd_ones_out(groups: Dict[str, List[str]]) -> Tuple[str, int, List[Tuple[str, str]]]:
    norm, count = _majority(groups)
    return norm, count, [(key, h) for key, hosts in groups.items() if key != norm
                         for h in hosts]


def _check_lsm(data: CheckInput, maps: _Lookups) -> Optional[HealthCheck]:
    if len(maps.lsm) < 2:
        return None
    _, count, odd = _odd_ones_out(maps.lsm)
    detail = [f"{h} has inconsistent KSM settings compared to the majority of hosts({count}) "
              "in the cluster" for _, h in odd]
    return _warning("Kernel Security Module (SELinux/AppArmor) is inconsistent for "
                    f"{len(detail)} host{'s' if len(detail) > 1 else ''}", detail)


def _check_subscription(data: CheckInput, maps: _Lookups) -> Optional[HealthCheck]:
    if not (maps.subscribed["yes"] and maps.subscribed["no"]):
        return None
    detail = [f"{h} does not have an active subscription" for h in maps.subscribed["no"]]
    return _warning(f"Support subscriptions inactive on {len(detail)} host(s)"
                    f"({len(maps.subscribed['yes'])} subscriptions active)", detail)


def _check_public_network(data: CheckInput, maps: _Lookups) -> Optional[HealthCheck]:
    detail: List[str] = []
    for net in data.public_networks:
        on = maps.hosts_on(net)
        if on:  # a network no host has is network_missing's to report
            detail.extend(f"{h} has no NIC on the public network {net}"
                          for h in sorted(set(data.facts) - on))
    if not detail:
        return None
    return _warning("Public network is not accessible from "
                    f"{len(detail)} cluster host{'s' if len(detail) > 1 else ''}", detail)


def _check_osd_link(data: CheckInput, maps: _Lookups, key: str) -> List[str]:
    osd_hosts = {h for h, types in data.roles.items() if "osd" in types}
    detail = []
    for net in data.cluster_networks or data.public_networks:
        entry = maps.subnets.get(net)
        if not entry:
            continue
        groups = {value: [h for h in hosts if h in osd_hosts]
                  for value, hosts in entry[key].items()}
        groups = {value: hosts for value, hosts in groups.items() if hosts}
        if len(groups) < 2:
            continue
        norm, _, odd = _odd_ones_out(groups)
        for value, h in odd:
            nic = entry["nic"].get(h)
            if key == "mtu":
                detail.append(f"host {h}({nic}) is using MTU {value} on {net}, NICs on other "
                              f"hosts use {norm}")
            else:
                detail.append(f"host {h}({nic}) has linkspeed of {value} on {net}, NICs on "
                              f"other hosts use {norm}")
    return detail


def _check_mtu(data: CheckInput, maps: _Lookups) -> Optional[HealthCheck]:
    detail = _check_osd_link(data, maps, "mtu")
    if not detail:
        return None
    return _warning(f"MTU setting inconsistent on osd network NICs on {len(detail)} host(s)",
                    detail)


def _check_linkspeed(data: CheckInput, maps: _Lookups) -> Optional[HealthCheck]:
    detail = _check_osd_link(data, maps, "speed")
    if not detail:
        return None
    return _warning("Link speed is inconsistent on osd network NICs for "
                    f"{len(detail)} host(s)", detail)


def _check_network_missing(data: CheckInput, maps: _Lookups) -> Optional[HealthCheck]:
    detail = [f"{net} not found on any host in the cluster"
              for net in data.public_networks + data.cluster_networks if net not in maps.subnets]
    if not detail:
        return None
    return _warning(f"Public/cluster network{'s' if len(detail) > 1 else ''} defined, but can "
                    "not be found on any host", detail)


def _check_release(data: CheckInput, maps: _Lookups) -> Optional[HealthCheck]:
    if data.upgrading:
        return None  # mixed releases are what an upgrade is
    groups: Dict[str, List[str]] = {}
    for name, version in sorted(data.versions.items()):
        release = release_of(version)
        if release:
            groups.setdefault(release, []).append(name)
    if len(groups) < 2:
        return None
    norm, _, odd = _odd_ones_out(groups)
    detail = [f"{name} is running {release} (majority of cluster is using {norm})"
              for release, name in odd]
    return _warning("Ceph cluster running mixed ceph releases", detail)


def _check_kernel(data: CheckInput, maps: _Lookups) -> Optional[HealthCheck]:
    if len(maps.kernels) < 2:
        return None
    norm, count, odd = _odd_ones_out(maps.kernels)
    detail = [f"host {h} running kernel {k}, majority of hosts({count}) running {norm}"
              for k, h in odd]
    return _warning(f"{len(detail)} host(s) running different kernel versions", detail)


_FUNCS = {"kernel_security": _check_lsm, "os_subscription": _check_subscription,
          "public_network": _check_public_network, "osd_mtu_size": _check_mtu,
          "osd_linkspeed": _check_linkspeed, "network_missing": _check_network_missing,
          "ceph_release": _check_release, "kernel_version": _check_kernel}


def run_checks(data: CheckInput, states: Dict[str, str]) -> Dict[str, HealthCheck]:
    """Every check not disabled in ``states``: ``{CEPHADM_CHECK_*: health check}`` for those
    that found an inconsistency."""
    maps = _Lookups(data)
    raised: Dict[str, HealthCheck] = {}
    for name, health, _ in CONFIG_CHECKS:
        if states.get(name) == "disabled":
            continue
        found = _FUNCS[name](data, maps)
        if found is not None:
            raised[health] = found
    return raised
