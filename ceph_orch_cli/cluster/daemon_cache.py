"""The daemon cache's row format: cephadm ``ls`` entries in, DaemonDescriptions out.

These run once per daemon per refresh or listing (100k daemons on a large cluster), so they
trade a little generality for speed: dates parsed once per distinct string, no to_json round trip.
"""
from __future__ import annotations

import datetime
from typing import Any, Dict, List, Optional

from ceph_orch_cli.orchestrator import DaemonDescription, DaemonDescriptionStatus, OrchestratorEvent

_STATE_TO_STATUS = {"running": DaemonDescriptionStatus.running,
                    "stopped": DaemonDescriptionStatus.stopped,
                    "error": DaemonDescriptionStatus.error,
                    "unknown": DaemonDescriptionStatus.error,
                    "starting": DaemonDescriptionStatus.starting}


def parse_timestamp(value: Optional[str]) -> Optional[datetime.datetime]:
    if not value:
        return None
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))


class TimestampMemo(dict):
    """Daemons deployed in one batch share their timestamps: parse each string once."""

    def __missing__(self, key: str) -> Optional[datetime.datetime]:
        value = self[key] = parse_timestamp(key)
        return value


#: ls ``state`` -> (status int, status_desc)
_STATE_TO_PAIR = {k: (int(v), v.name) for k, v in _STATE_TO_STATUS.items()}
_ERROR_PAIR = (int(DaemonDescriptionStatus.error), DaemonDescriptionStatus.error.name)
#: cache keys copied from the ls entry as they are, in DaemonDescription.to_json order
_COPIED_HEAD = ("container_image_id", "container_image_name", "container_image_digests",
                "memory_usage", "memory_request", "memory_limit", "cpu_percentage", "version")


def ls_entry_to_cache(hostname: str, entry: Dict[str, Any], refreshed: str) -> Dict[str, Any]:
    """A cephadm ``ls`` entry as the DaemonDescription JSON the cache holds
    (cephadm's ``_process_ls_output``): ``to_json`` keys and order, None values left out.
    Runs once per daemon per refresh, so it is written for speed."""
    get = entry.get
    name = entry["name"]
    daemon_type, daemon_id = name.split(".", 1)
    affinity = get("osdspec_affinity")
    service_name: Optional[str]
    if daemon_type == "osd":
        service_name = f"osd.{affinity}" if affinity and affinity != "None" else "osd"
    else:
        service_name = get("service_name")
    out: Dict[str, Any] = {"daemon_type": daemon_type, "daemon_id": daemon_id}
    if service_name is not None:
        out["service_name"] = service_name
    out["daemon_name"] = name
    out["hostname"] = hostname
    container_id = get("container_id")
    if container_id:
        out["container_id"] = container_id[:12]
    for key in _COPIED_HEAD:
        value = get(key)
        if value is not None:
            out[key] = value
    out["status"], out["status_desc"] = _STATE_TO_PAIR.get(get("state") or "unknown", _ERROR_PAIR)
    if daemon_type == "osd":
        out["osdspec_affinity"] = affinity or "None"
    out["is_active"] = False
    # spelled out, in to_json order (a loop over (key, value) pairs built a tuple per call)
    value = get("ports")
    if value:
        out["ports"] = value
    for key in _COPIED_MIDDLE:
        value = get(key)
        if value is not None:
            out[key] = value
    if refreshed is not None:
        out["last_refresh"] = refreshed
    for key in _COPIED_TIMES:
        value = get(key)
        if value is not None:
            out[key] = value
    value = get("deployed") or get("last_deployed")
    if value is not None:
        out["last_deployed"] = value
    value = get("configured") or get("last_configured")
    if value is not None:
        out["last_configured"] = value
    value = get("extra_container_args")
    if value:
        out["extra_container_args"] = value
    value = get("extra_entrypoint_args")
    if value:
        out["extra_entrypoint_args"] = value
    return out


_COPIED_MIDDLE = ("ip", "rank", "rank_generation", "systemd_unit")
_COPIED_TIMES = ("created", "started")


_DATE_KEYS = ("last_refresh", "created", "started", "last_deployed", "last_configured")
_STATUSES = {int(s): s for s in DaemonDescriptionStatus}


def dd_from_cache(d: Dict[str, Any], events: Optional[List[OrchestratorEvent]] = None,
                  memo: Optional[Dict[str, Optional[datetime.datetime]]] = None) -> DaemonDescription:
    """A cached daemon as a DaemonDescription; the fast path of ``from_json`` (``orch ps``
    on 100k daemons parses dates with ``fromisoformat``, once per distinct string)."""
    c = d  # the caller's dict is a fresh json.loads result: consumed here
    c.pop("daemon_name", None)
    status = c.pop("status", None)
    parse = memo.__getitem__ if memo is not None else parse_timestamp
    for key in _DATE_KEYS:
        if key in c:
            c[key] = parse(c[key])
    c.pop("events", None)
    return DaemonDescription(status=_STATUSES.get(status) if status is not None else None,
                             events=events, **c)
