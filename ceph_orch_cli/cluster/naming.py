"""Daemon ids as cephadm makes them.

cephadm (``get_unique_name``) builds an id from the service id (if any), the rank and rank
generation (nfs), the short host name and, for daemon types that may run more than once per
host or move between hosts, a suffix of six random lowercase letters:
``mgr.host1.abcdef``, ``mds.cephfs.host1.abcdef``, ``rgw.foo.host1.abcdef``,
``nfs.foo.0.0.host1.abcdef``. Types that run at most once per host use the bare host name
(``mon.host1``, ``crash.host1``, ``node-exporter.host1``). OSD ids are numbers handed out
by the cluster, never made here.
"""
from __future__ import annotations

import random
import re
import string
from typing import Iterable, Optional

from ceph_orch_cli.cluster import service_types
from ceph_orch_cli.orchestrator.errors import OrchestratorValidationError

#: daemon types whose id carries no random suffix: one per host
NO_SUFFIX_TYPES = frozenset({
    "mon", "crash", "ceph-exporter", "node-proxy", "prometheus", "node-exporter", "grafana",
    "alertmanager", "container", "agent", "snmp-gateway", "loki", "promtail",
    "elasticsearch", "jaeger-collector", "jaeger-agent", "jaeger-query", "mgmt-gateway",
    "oauth2-proxy",
})

SUFFIX_LEN = 6


def short_hostname(hostname: str) -> str:
    """Daemon ids use the host's short name (``host1`` for ``host1.example.com``)."""
    return hostname.split(".", 1)[0]


def unique_daemon_id(daemon_type: str, hostname: str, existing_ids: Iterable[str],
                     prefix: Optional[str] = None, forcename: Optional[str] = None,
                     rank: Optional[int] = None, rank_generation: Optional[int] = None,
                     rng: Optional[random.Random] = None) -> str:
    """A daemon id (the part after ``<type>.``) not among ``existing_ids``.

    ``prefix`` is the service id; ``forcename`` an id the caller insists on (a placement
    slot's ``=name`` or a kept daemon); a clash on a name without random suffix is an
    error, as in cephadm ("name mon.host1 already in use").
    """
    taken = existing_ids if isinstance(existing_ids, (set, frozenset, dict)) else set(existing_ids)
    if forcename:
        if forcename in taken:
            raise OrchestratorValidationError(f"name {daemon_type}.{forcename} already in use")
        return forcename
    suffix = daemon_type not in NO_SUFFIX_TYPES
    base = f"{prefix}." if prefix else ""
    if rank is not None and rank_generation is not None:
        base += f"{rank}.{rank_generation}."
    base += short_hostname(hostname)
    if not suffix:
        if base in taken:
            raise OrchestratorValidationError(f"name {daemon_type}.{base} already in use")
        return base
    choose = (rng or random).choice
    letters = string.ascii_lowercase
    while True:
        name = base + "." + "".join(choose(letters) for _ in range(SUFFIX_LEN))
        if name not in taken:
            return name


def name_to_config_section(name: str) -> str:
    """The Ceph config entity of a daemon (``client.rgw.foo...`` for client daemons)."""
    daemon_type = name.split(".", 1)[0]
    if daemon_type == "client":
        return name
    section = service_types.for_daemon(daemon_type).config_section
    if section == service_types.CLIENT:
        return "client." + name
    return name if section == service_types.SELF else "mon"


def is_valid_daemon_name(name: str) -> bool:
    """``<type>.<id>`` with both parts non-empty, as ``orch daemon`` commands require."""
    daemon_type, _, daemon_id = name.partition(".")
    return bool(daemon_type) and bool(daemon_id)


#: a container image reference as podman/docker parse it: [registry[:port]/]path[:tag][@digest]
_IMAGE_REF = re.compile(
    r"^(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"|\[[0-9A-Fa-f:]+\])(?::[0-9]+)?/)?"
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
    r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,})?$")

#: the package runtime's binary roots: ``deb:system``, ``deb:<name>``
_BINARY_ROOT = re.compile(r"^deb:[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def is_valid_image(ref: str) -> bool:
    """Could a container engine (or the package runtime) ever find this image?"""
    return isinstance(ref, str) and len(ref) <= 512 and \
        bool(_IMAGE_REF.match(ref) or _BINARY_ROOT.match(ref))
