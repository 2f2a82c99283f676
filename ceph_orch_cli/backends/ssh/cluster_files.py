"""What a real daemon needs from its cluster before it can start: a config, a key, a map.

cephadm's mgr hands every deploy a minimal ``ceph.conf`` (``config generate-minimal-conf``)
and the daemon's keyring (``auth get-or-create`` with the type's caps); a new mon also gets
the current monmap and the ``mon.`` key so that it can make its store and join; an OSD host
gets the ``client.bootstrap-osd`` key for ceph-volume. Removing a daemon takes its mon out of
the monmap first and its key out of the auth database after. ``ClusterFiles`` does the same
for the SSH backend, asking the cluster through ``CephCLICluster`` on an admin host, once a
cluster exists (before ``orch bootstrap`` there is nothing to ask).
"""
from __future__ import annotations

import ipaddress
import logging
import socket
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional

from ceph_orch_cli.backends.ssh.ceph_cli import CephCLICluster, CephCommandError
from ceph_orch_cli.cluster import keyrings
from ceph_orch_cli.cluster.driver import DeployRequest

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.deployment.hostspec import HostSpec

logger = logging.getLogger(__name__)


def host_ip(host: "HostSpec") -> Optional[str]:
    """The host's address as an IP (a name in ``addr`` is resolved here, as cephadm does
    when it adds a host)."""
    addr = host.addr or host.hostname
    try:
        return str(ipaddress.ip_address(addr))
    except ValueError:
        pass
    try:
        return socket.gethostbyname(addr)
    except OSError:
        return None


class ClusterFiles:
    """Config, keys and monmaps for deploy requests, from a real cluster."""

    def __init__(self, cluster: CephCLICluster, active: Callable[[], bool]) -> None:
        self.cluster = cluster
        #: whether a cluster exists to ask (``orch bootstrap`` ran)
        self.active = active
        self._minimal: Optional[str] = None
        self._public_network: Optional[str] = None

    def config_for(self, host: "HostSpec") -> str:
        """The minimal conf, plus ``public_addr`` when the host's address lies in the
        cluster's ``public_network``: on a host with several addresses in that network
        (test hosts on loopback share one network namespace) Ceph would otherwise pick the
        first one, and a daemon would bind another host's address."""
        if self._minimal is None:
            self._minimal = self.cluster.minimal_conf()
            self._public_network = self.cluster.config_get("mon", "public_network")
        conf = self._minimal.rstrip("\n") + "\n"
        ip = host_ip(host)
        if ip and self._public_network:
            try:
                inside = any(ipaddress.ip_address(ip) in ipaddress.ip_network(n.strip(), strict=False)
                             for n in self._public_network.split(",") if n.strip())
            except ValueError:
                inside = False
            if inside:
                conf += f"\tpublic_addr = {ip}\n"
        return conf

    def for_daemon(self, host: "HostSpec", request: DeployRequest) -> Dict[str, Any]:
        """The extra fields of an agent ``deploy`` request for a daemon of this cluster."""
        if not self.active():
            return {}
        extra: Dict[str, Any] = {"host_addr": host_ip(host)}
        files: Dict[str, Any] = {"config": self.config_for(host)}
        dtype = request.daemon_type
        if dtype == "mon":
            extra["mon_bootstrap"] = {"monmap_b64": self.cluster.mon_getmap(),
                                      "mon_keyring": self.cluster.auth_get("mon.")}
        elif dtype == "osd":
            files["keyring"] = self.cluster.auth_get(f"osd.{request.daemon_id}")
        else:
            caps = keyrings.caps_for(dtype)
            if caps is not None:
                files["keyring"] = self.cluster.auth_get_or_create(
                    keyrings.entity_name(request.name), caps)
        extra["files"] = files
        return extra

    def for_osds(self, host: "HostSpec") -> Dict[str, Any]:
        """What ``prepare-osds`` needs: the config and the bootstrap-osd key."""
        if not self.active():
            return {}
        return {"host_addr": host_ip(host),
                "files": {"config": self.config_for(host),
                          "bootstrap_keyring": self.cluster.auth_get("client.bootstrap-osd")}}

    def before_removal(self, name: str) -> None:
        """A mon leaves the monmap before its daemon goes (it then exits by itself)."""
        if not self.active() or not name.startswith("mon."):
            return
        try:
            self.cluster.mon_rm(name.split(".", 1)[1])
        except CephCommandError as exc:
            logger.warning("mon rm %s: %s", name, exc)

    def after_removal(self, name: str) -> None:
        """A removed daemon's key goes too (an OSD's goes with `osd purge`)."""
        dtype = name.split(".", 1)[0]
        if not self.active() or keyrings.caps_for(dtype) is None:
            return
        try:
            self.cluster.auth_rm(keyrings.entity_name(name))
        except CephCommandError as exc:
            logger.warning("auth rm %s: %s", keyrings.entity_name(name), exc)
