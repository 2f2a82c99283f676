"""Which cephx entity each daemon type authenticates as, with cephadm's caps.

cephadm mints a key per daemon with ``auth get-or-create`` and ships it in the deploy
request; the caps are its (``cephadm/services/*.py``). mon and osd are not here: every mon
shares the ``mon.`` key, and an OSD's key is made by ``ceph-volume`` from the
``client.bootstrap-osd`` key when the OSD is created.
"""
from __future__ import annotations

from typing import Dict, List, Optional

KEYRING_CAPS: Dict[str, List[str]] = {
    "mgr": ["mon", "profile mgr", "osd", "allow *", "mds", "allow *"],
    "mds": ["mon", "profile mds", "osd", "allow rw tag cephfs *=*", "mds", "allow"],
    "rgw": ["mon", "allow *", "mgr", "allow rw", "osd", "allow rwx tag rgw *=*"],
    "crash": ["mon", "profile crash", "mgr", "profile crash"],
    "rbd-mirror": ["mon", "profile rbd-mirror", "osd", "profile rbd"],
    "cephfs-mirror": ["mon", "profile cephfs-mirror", "mds", "allow r",
                      "osd", "allow rw tag cephfs metadata=*, allow r tag cephfs data=*",
                      "mgr", "allow r"],
    "ceph-exporter": ["mon", "profile ceph-exporter", "mon", "allow r", "mgr", "allow r",
                      "osd", "allow r"],
}


def entity_name(daemon_name: str) -> str:
    """``mgr.host1.abcdef`` -> ``mgr.host1.abcdef``; ``rgw.site.host1.x`` ->
    ``client.rgw.site.host1.x``; ``crash.host1`` -> ``client.crash.host1``."""
    daemon_type = daemon_name.split(".", 1)[0]
    if daemon_type in ("mon", "mgr", "osd", "mds"):
        return daemon_name
    return f"client.{daemon_name}"


def caps_for(daemon_type: str) -> Optional[List[str]]:
    """The caps a new key of this daemon type gets, or None when it needs no key of its own."""
    caps = KEYRING_CAPS.get(daemon_type)
    return list(caps) if caps is not None else None
