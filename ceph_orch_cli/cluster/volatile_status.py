"""What a daemon's status is *now*, as opposed to what its host last reported.

The daemon cache keeps what each host said at its last refresh. cephadm overlays two facts
on every listing (``HostCache.get_daemons_with_volatile_status``): a daemon on a host it
cannot reach is ``error`` with "host is offline", and a daemon on a host in maintenance is
``stopped`` (maintenance hosts are not refreshed, so their cached state cannot be trusted).
``orch ps`` shows the overlay and ``orch ls`` counts it, so an operator rehearsing an outage
on the local backend sees what a real cluster would show. The cache itself is not changed:
the host's own report comes back with the next refresh.
"""
from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Dict, Iterable, Iterator, List, Optional, Tuple

from ceph_orch_cli.orchestrator import DaemonDescriptionStatus

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.cluster.store import Store
    from ceph_orch_cli.orchestrator import DaemonDescription

OFFLINE = (int(DaemonDescriptionStatus.error), "host is offline")
MAINTENANCE = (int(DaemonDescriptionStatus.stopped), "stopped")

#: the ``hostname`` value in a listing text (``json.dumps(..., sort_keys=True)`` spacing)
_HOSTNAME = re.compile(r'"hostname": "((?:[^"\\]|\\.)*)"')


def overrides(store: "Store") -> Dict[str, Tuple[int, str]]:
    """hostname -> (status, status_desc) for every host whose daemons' cached status does
    not hold. A host in maintenance counts as in maintenance even when it is unreachable
    (cephadm does not check maintenance hosts, so they never join its offline set)."""
    return {hostname: OFFLINE if offline else MAINTENANCE
            for hostname, offline in store.hosts_away()}


def apply_to_descriptions(daemons: Iterable["DaemonDescription"],
                          by_host: Dict[str, Tuple[int, str]]) -> None:
    """Overlay the volatile status on DaemonDescriptions in place."""
    if not by_host:
        return
    for dd in daemons:
        found = by_host.get(dd.hostname or "")
        if found is not None:
            dd.status = DaemonDescriptionStatus(found[0])
            dd.status_desc = found[1]


def apply_to_texts(batches: Iterable[List[str]], by_host: Dict[str, Tuple[int, str]],
                   active_mgr: Optional[str] = None) -> Iterator[List[str]]:
    """The same overlay on ``orch ps --format json`` listing texts, and ``is_active`` on
    the mgr named ``active_mgr``: only the affected rows are parsed and encoded again
    (sorted keys, as the store wrote them)."""
    for batch in batches:
        if by_host or active_mgr:
            batch = [_overlay_text(text, by_host, active_mgr) for text in batch]
        yield batch


def _overlay_text(text: str, by_host: Dict[str, Tuple[int, str]],
                  active_mgr: Optional[str]) -> str:
    found = None
    if by_host:
        match = _HOSTNAME.search(text)
        if match is not None:
            found = by_host.get(json.loads(f'"{match.group(1)}"'))
    is_mgr = active_mgr is not None and '"daemon_type": "mgr"' in text
    if found is None and not is_mgr:
        return text
    daemon = json.loads(text)
    if found is not None:
        daemon["status"], daemon["status_desc"] = found
    if is_mgr:
        daemon["is_active"] = daemon.get("daemon_name") == active_mgr
    return json.dumps(daemon, sort_keys=True)


def summary_now(store: "Store", by_service: Dict[str, Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    """``Store.daemon_summary()`` with the overlay: the daemons the cache counts as running
    on offline or maintenance hosts are not (``orch ls``: crash 5/6 with one host offline)."""
    by_host = overrides(store)
    if by_host:
        for name, gone in store.running_daemons_on_hosts(sorted(by_host)).items():
            if name in by_service:
                by_service[name]["running"] -= gone
    return by_service
