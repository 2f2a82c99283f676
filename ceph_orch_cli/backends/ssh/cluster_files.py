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

import errno
import ipaddress
import logging
import socket
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

from ceph_orch_cli.backends.ssh.ceph_cli import CephCLICluster, CephCommandError
from ceph_orch_cli.cluster import keyrings
from ceph_orch_cli.cluster.driver import DeployRequest
from ceph_orch_cli.orchestrator.errors import OrchestratorError

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.deployment.hostspec import HostSpec

logger = logging.getLogger(__name__)
#: where cephadm keeps an RGW service's certificate and key (one PEM)
RGW_CERT_KEY = "rgw/cert/{}"


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


def combine_confs(base: str, extra: str) -> str:
    """``base`` (the minimal conf) with ``extra`` (`orch cephadm set-extra-ceph-conf`) merged
    in, as cephadm merges them: an option of a section both name is set in that section (the
    extra text's value replaces the base one), other sections are appended. Ceph treats
    ``_`` and `` `` in option names alike, so ``mon host`` and ``mon_host`` are one option."""
    if not extra.strip():
        return base
    from configparser import ConfigParser

    def parse(text: str) -> "ConfigParser":
        parser = ConfigParser(delimiters=("=",), comment_prefixes=("#", ";"),
                              interpolation=None, strict=False)
        parser.optionxform = lambda name: name.strip().replace(" ", "_")  # type: ignore
        parser.read_string(text.replace("\t", ""))
        return parser

    merged = parse(base)
    for section, options in parse(extra).items():
        if section == "DEFAULT":
            continue
        if not merged.has_section(section):
            merged.add_section(section)
        for key, value in options.items():
            merged.set(section, key, value)
    return "".join(f"[{section}]\n" + "".join(f"\t{k} = {v}\n" for k, v in merged.items(section))
                   for section in merged.sections())


def rgw_frontends(spec: Dict[str, Any], service_name: str, port: int,
                  ip: Optional[str]) -> str:
    """cephadm's ``rgw_frontends`` for one gateway: beast (or civetweb) on ``port``, on
    ``ip`` when the spec's networks chose one, with TLS from the config-key
    ``rgw/cert/<service>`` when the spec says ``ssl: true``, then the spec's
    ``rgw_frontend_extra_args``."""
    ftype = spec.get("rgw_frontend_type") or "beast"
    cert = f"ssl_certificate=config://{RGW_CERT_KEY.format(service_name)}"
    where = (f"[{ip}]" if ":" in ip else ip) if ip else ""
    args: List[str] = []
    if ftype == "beast":
        if spec.get("ssl"):
            args += [f"ssl_endpoint={where}:{port}" if ip else f"ssl_port={port}", cert]
        else:
            args.append(f"endpoint={where}:{port}" if ip else f"port={port}")
    else:
        args.append(f"port={where + ':' if where else ''}{port}{'s' if spec.get('ssl') else ''}")
        if spec.get("ssl"):
            args.append(cert)
    args.extend(str(a) for a in spec.get("rgw_frontend_extra_args") or [])
    return f"{ftype} {' '.join(args)}"


class ClusterFiles:
    """Config, keys and monmaps for deploy requests, from a real cluster."""

    def __init__(self, cluster: CephCLICluster, active: Callable[[], bool],
                 extra_conf: Callable[[], str] = lambda: "") -> None:
        self.cluster = cluster
        #: whether a cluster exists to ask (``orch bootstrap`` ran)
        self.active = active
        #: the text `orch cephadm set-extra-ceph-conf` stored (merged into every config)
        self.extra_conf = extra_conf
        self._minimal: Optional[str] = None
        self._public_network: Optional[str] = None

    def minimal_conf(self) -> str:
        """cephadm's ``get_minimal_ceph_conf``: the cluster's minimal conf with the extra
        conf merged in; every daemon's config and each host's /etc/ceph/ceph.conf."""
        return combine_confs(self._cluster_conf(), self.extra_conf())

    def _cluster_conf(self) -> str:
        if self._minimal is None:
            self._minimal = self.cluster.minimal_conf()
            self._public_network = self.cluster.config_get("mon", "public_network")
        return self._minimal

    def config_for(self, host: "HostSpec") -> str:
        """The minimal conf plus ``public_addr`` when the host's address lies in the
        cluster's ``public_network`` (then the extra conf merged in): on a host with several addresses in that network
        (test hosts on loopback share one network namespace) Ceph would otherwise pick the
        first one, and a daemon would bind another host's address."""
        conf = self._cluster_conf().rstrip("\n") + "\n"  # its one section: [global]
        ip = host_ip(host)
        if ip and self._public_network:
            try:
                inside = any(ipaddress.ip_address(ip) in ipaddress.ip_network(n.strip(), strict=False)
                             for n in self._public_network.split(",") if n.strip())
            except ValueError:
                inside = False
            if inside:
                conf += f"\tpublic_addr = {ip}\n"
        return combine_confs(conf, self.extra_conf())

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

    def configure_rgw(self, request: DeployRequest, pem: Optional[str]) -> Optional[str]:
        """What cephadm's RGW service sets before a gateway starts: ``rgw_realm``,
        ``rgw_zonegroup`` and ``rgw_zone`` for its service's section, its certificate (when
        ``ssl``) in the config-key store, and ``rgw_frontends`` for the daemon's own
        section. Returns that ``rgw_frontends`` (None before a cluster exists)."""
        if not self.active():
            return None
        spec = dict((request.config or {}).get("spec") or {})
        service = request.service_name
        if spec.get("ssl") and not pem:
            raise OrchestratorError(f"{service} has ssl: true but no certificate: set one "
                                    "with `orch certmgr cert-key set rgw --service-name "
                                    f"{service}`", errno=-errno.ENOENT)
        for option in ("rgw_realm", "rgw_zonegroup", "rgw_zone"):
            if spec.get(option):
                self.cluster.config_set(f"client.{service}", option, str(spec[option]))
        if spec.get("ssl") and pem:
            self.cluster.config_key_set(RGW_CERT_KEY.format(service), pem)
        port = (request.ports or [443 if spec.get("ssl") else 80])[0]
        value = rgw_frontends(spec, service, port, request.ip)
        self.cluster.config_set(f"client.{request.name}", "rgw_frontends", value)
        return value

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
