"""Which cephx entity each daemon type authenticates as, with cephadm's caps.

cephadm mints a key per daemon with ``auth get-or-create`` and ships it in the deploy
request; the caps are its (``cephadm/services/*.py``). mon and osd are not here: every mon
shares the ``mon.`` key, and an OSD's key is made by ``ceph-volume`` from the
``client.bootstrap-osd`` key when the OSD is created.
"""
from __future__ import annotations

from typing import Dict, List, Optional

from ceph_orch_cli.cluster import service_types

#: daemon type -> caps, read from the service type registry (kept for importers)
KEYRING_CAPS: Dict[str, List[str]] = {
    d: list(c) for r in service_types.REGISTRY for d, c in r.caps.items()}


def entity_name(daemon_name: str) -> str:
    """``mgr.host1.abcdef`` -> ``mgr.host1.abcdef``; ``rgw.site.host1.x`` ->
    ``client.rgw.site.host1.x``; ``crash.host1`` -> ``client.crash.host1``."""
    daemon_type = daemon_name.split(".", 1)[0]
    if service_types.for_daemon(daemon_type).config_section == service_types.SELF:
        return daemon_name
    return f"client.{daemon_name}"


def caps_for(daemon_type: str) -> Optional[List[str]]:
    """The caps a new key of this daemon type gets, or None when it needs no key of its own."""
    caps = service_types.for_daemon(daemon_type).caps.get(daemon_type)
    return list(caps) if caps is not None else None
