"""What an upgrade targets, as pure functions: cephadm's upgrade order and which daemon types
it moves (read from the service type registry), image names and the Ceph versions their tags
name, the version checks, and which daemons are on the target or still to do.

The workflow itself (the state machine in the store, its pass step) is ``upgrade.py``.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

from ceph_orch_cli.cluster import service_types
from ceph_orch_cli.orchestrator import DaemonDescription

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.deployment.hostspec import HostSpec

CEPH_TYPES = service_types.upgrade_order(service_types.CEPH)
GATEWAY_TYPES = service_types.upgrade_order(service_types.GATEWAY)
MONITORING_STACK_TYPES = service_types.upgrade_order(service_types.MONITORING)
#: cephadm's upgrade order: mgr first, then mon, ..., the monitoring stack last
CEPH_UPGRADE_ORDER = service_types.upgrade_order()
#: the upgrade-ordered types that run the Ceph image: the only ones an upgrade moves
CEPH_IMAGE_TYPES = service_types.ceph_image_types()
#: types in the upgrade order that do not run the Ceph image; an upgrade leaves them alone
NON_CEPH_IMAGE_TYPES = [t for t in CEPH_UPGRADE_ORDER if t not in CEPH_IMAGE_TYPES]

CONTAINER_IMAGE_BASE = "quay.io/ceph/ceph"
DEFAULT_REGISTRY = "docker.io"
#: daemons redeployed per reconcile pass
UPGRADE_BATCH = 3

#: ``upgrade ls`` cannot ask a registry from the engine; these are the Ceph release tags it
#: knows (Quincy, Reef, Squid), newest last.
KNOWN_CEPH_TAGS = [
    "v17.2.0", "v17.2.5", "v17.2.6", "v17.2.7", "v17.2.8",
    "v18.2.0", "v18.2.1", "v18.2.2", "v18.2.4", "v18.2.5", "v18.2.7",
    "v19.2.0", "v19.2.1", "v19.2.2", "v19.2.3",
]

_VERSION_TAG = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")


def normalize_image_digest(image: str, default_registry: str = DEFAULT_REGISTRY) -> str:
    """``ceph/ceph:v18`` -> ``docker.io/ceph/ceph:v18``; other names are kept."""
    for short in ("ceph/ceph", "ceph/daemon", "ceph/daemon-base"):
        if image.startswith(short):
            return f"{default_registry}/{image}"
    return image


def image_tag_version(image: str) -> Optional[str]:
    """The Ceph version an image's tag names (``...:v18.2.4`` -> ``18.2.4``), if it names one."""
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return None
    m = _VERSION_TAG.match(last.split(":", 1)[1])
    return ".".join(m.groups()) if m else None


def version_tuple(version: Optional[str]) -> Optional[Tuple[int, int, str]]:
    if not version:
        return None
    m = re.match(r"^(?:ceph version )?(\d+)\.(\d+)\.(\S+)", version)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), f"{m.group(1)}.{m.group(2)}.{m.group(3)}"


def check_target_version(version: str, current: Optional[str]) -> Optional[str]:
    """cephadm's ``_check_target_version`` (without the mon/osd release checks)."""
    try:
        parts = version.split(".", 2)
        major, minor = int(parts[0]), int(parts[1])
        if len(parts) < 3:
            raise ValueError(version)
    except (ValueError, IndexError):
        return "version must be in the form X.Y.Z (e.g., 15.2.3)"
    if major < 15 or (major == 15 and minor < 2):
        return "cephadm only supports octopus (15.2.0) or later"
    cur = version_tuple(current)
    if cur is None:
        return None
    cur_major, cur_minor, cur_version = cur
    if cur_major < major - 2:
        return (f"ceph can only upgrade 1 or 2 major versions at a time; {cur_version} -> "
                f"{version} is too big a jump")
    if cur_major > major:
        return f"ceph cannot downgrade major versions (from {cur_version} to {version})"
    if cur_major == major and cur_minor > minor:
        return f'ceph cannot downgrade to a {"rc" if minor == 1 else "dev"} release'
    return None


def on_target(d: DaemonDescription, target: str, version: Optional[str] = None) -> bool:
    """On the target image and not reporting another version than the target's (a daemon
    that has not said its version yet counts; ``unconfirmed`` keeps the upgrade from
    finishing before it does)."""
    if not d.matches_image_name(target):
        return False
    return not version or not d.version or _same_version(d.version, version)


def _same_version(reported: str, version: str) -> bool:
    found = version_tuple(reported)
    return found is not None and found[2].split("-")[0] == version.split("-")[0]


def unconfirmed(daemons: List[DaemonDescription], target: str,
                 version: Optional[str]) -> List[DaemonDescription]:
    """Daemons on the target image whose own version report is still missing."""
    if not version:
        return []
    return [d for d in daemons if d.matches_image_name(target) and not d.version]


def latest_type(dtypes: List[str]) -> str:
    """The type of ``dtypes`` upgraded last."""
    for dtype in reversed(CEPH_UPGRADE_ORDER):
        if dtype in dtypes:
            return dtype
    return ""


def earlier_daemons(dtypes: List[str],
                     candidates: List[DaemonDescription]) -> List[DaemonDescription]:
    """The candidates of types upgraded before the latest of ``dtypes`` (and not in it)."""
    latest = latest_type(dtypes)
    if not latest:
        return []
    earlier = [t for t in CEPH_UPGRADE_ORDER[:CEPH_UPGRADE_ORDER.index(latest)]
               if t not in dtypes]
    return [d for d in candidates if d.daemon_type in earlier]


def pending_and_skipped(daemons: List[DaemonDescription], hosts: Dict[str, "HostSpec"],
                         target: str, version: Optional[str] = None
                         ) -> Tuple[List[DaemonDescription], List[DaemonDescription]]:
    """(to redeploy now, on offline/maintenance/unknown hosts) of the daemons not yet on
    the target."""
    unreachable = {h for h, spec in hosts.items()
                   if (spec.status or "").lower() in ("offline", "maintenance")}
    pending = [d for d in daemons if not on_target(d, target, version)]
    skipped = [d for d in pending if d.hostname in unreachable or d.hostname not in hosts]
    return [d for d in pending if d not in skipped], skipped
