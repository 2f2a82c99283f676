"""What ``ceph cephadm ...`` does on the engine's side: host checks and preparation, the
registry login, the extra ceph.conf text, the configuration checker's switches,
``osd activate`` and ``systemd-unit ls`` (from the daemon cache).

Work on a host goes through the ``HostDriver``: ``check_host`` (every driver),
``prepare_host``, ``registry_login`` and ``activate_osds`` (optional; a driver without them
refuses with EOPNOTSUPP, which is what the SSH backend's agent answers so far).
"""
from __future__ import annotations

import errno
import json
import re
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Set, Tuple

from ceph_orch_cli.cluster.config_checks import CONFIG_CHECKS, CheckInput, run_checks
from ceph_orch_cli.cluster.driver import HostActionError, HostUnreachable
from ceph_orch_cli.cluster.store import now_str
from ceph_orch_cli.orchestrator import handle_orch_error
from ceph_orch_cli.orchestrator.errors import OrchestratorError

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.cluster.core import EngineCore
    from ceph_orch_cli.deployment.hostspec import HostSpec

REGISTRY_SETTING = "registry_credentials"
EXTRA_CONF_SETTING = "extra_ceph_conf"
CHECKS_SETTING = "config_checks"
#: cephadm's module option ``config_checks_enabled`` (off unless turned on)
CHECKS_ENABLED_SETTING = "config_checks_enabled"

#: services whose daemons read the cluster's ceph.conf: a new extra conf reconfigures them
#: (OSDs excepted: see ``_mark_for_reconfig``)
CONF_SERVICE_TYPES = ("mon", "mgr", "crash", "mds", "rgw", "rbd-mirror", "cephfs-mirror",
                      "ceph-exporter", "iscsi", "nfs", "nvmeof")
#: the OSDs `set-extra-ceph-conf` queued for a reconfig (``extra_conf_step``)
OSD_RECONFIG_SETTING = "extra_ceph_conf/osd_reconfig"
#: the digest a service is given so that the next converge reconfigures its daemons
EXTRA_CONF_DIGEST = "extra_ceph_conf changed"

REGISTRY_URL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.:/_-]*$")

#: a daemon's status (``DaemonDescriptionStatus``) as its systemd unit's ActiveState
UNIT_STATES = {1: "active", 2: "activating", 0: "inactive", -1: "failed", -2: "unknown"}

REGISTRY_USAGE = ("Invalid arguments. Give <url> <username> <password>, or -i <file> with the "
                  "login as JSON")
REGISTRY_JSON_USAGE = ('the registry login JSON needs "url", "username" and "password", e.g.\n'
                       '{\n "url": "REGISTRY_URL",\n "username": "REGISTRY_USERNAME",\n'
                       ' "password": "REGISTRY_PASSWORD"\n}')


def _unsupported(what: str) -> OrchestratorError:
    return OrchestratorError(f"This backend's hosts cannot {what} yet", errno=-errno.EOPNOTSUPP)


class CephadmOps:
    """``orch cephadm ...`` over the core (see the module docstring)."""

    def __init__(self, core: "EngineCore") -> None:
        self.core = core
        self.store = core.store
        self.driver = core.driver

    # -- hosts ------------------------------------------------------------------------------
    def _target(self, host: str, addr: Optional[str]) -> "HostSpec":
        from ceph_orch_cli.deployment.hostspec import HostSpec
        known = {h.hostname: h for h in self.core.host_specs()}
        if addr is None and host not in known:
            raise OrchestratorError(f"Host '{host}' is not managed; `orch host ls` lists "
                                    "the managed hosts (or give its address)", errno=-errno.ENOENT)
        return HostSpec(host, addr=addr or known[host].addr)

    def _host_step(self, host: str, addr: Optional[str], step: str, run: Any) -> str:
        spec = self._target(host, addr)
        try:
            answer = run(spec) or {}
        except HostUnreachable as e:
            raise OrchestratorError(f"{step} failed:\nFailed to connect to {host} at address "
                                    f"({spec.addr}): {e.reason}", errno=-errno.EPERM) from None
        except HostActionError as e:
            raise OrchestratorError(f"{step} failed:\n{e.reason}", errno=-errno.EPERM) from None
        seen = answer.get("hostname") if isinstance(answer, dict) else None
        if seen and seen != host:
            raise OrchestratorError(f"{step} failed:\nhost {spec.addr} calls itself {seen!r}, "
                                    f"not {host!r}", errno=-errno.EPERM)
        return f"{host} ({addr}) ok"

    @handle_orch_error
    def check_host(self, host: str, addr: Optional[str] = None) -> str:
        return self._host_step(host, addr, "check-host", self.driver.check_host)

    @handle_orch_error
    def prepare_host(self, host: str, addr: Optional[str] = None) -> str:
        prepare = getattr(self.driver, "prepare_host", None)
        if prepare is None:
            raise _unsupported("be prepared (the host agent has no prepare-host)")
        answers: List[Dict[str, Any]] = []

        def run(spec: "HostSpec") -> Any:
            answers.append(prepare(spec) or {})
            return answers[-1]
        ok = self._host_step(host, addr, "prepare-host", run)
        done = answers[0] if answers and isinstance(answers[0], dict) else {}
        lines = [f"Created {p}" for p in done.get("created") or []]
        lines += [f"Installed {p}" for p in done.get("installed") or []]
        lines += [str(n) for n in done.get("notes") or []]
        return "\n".join([ok] + lines)

    @handle_orch_error
    def registry_login(self, url: Optional[str] = None, username: Optional[str] = None,
                       password: Optional[str] = None, inbuf: Optional[str] = None) -> str:
        if url and username and password:
            login = {"url": url, "username": username, "password": password}
        elif inbuf:
            try:
                login = json.loads(inbuf)
            except ValueError as e:
                raise OrchestratorError(f"the registry login is not JSON: {e}",
                                        errno=-errno.EINVAL) from None
            if not isinstance(login, dict) or not all(
                    isinstance(login.get(k), str) and login.get(k)
                    for k in ("url", "username", "password")):
                raise OrchestratorError(REGISTRY_JSON_USAGE, errno=-errno.EINVAL)
        else:
            raise OrchestratorError(REGISTRY_USAGE, errno=-errno.EINVAL)
        if not REGISTRY_URL_RE.match(login["url"]) or any(
                not login[k].strip() or any(c.isspace() for c in login[k])
                for k in ("url", "username")):
            raise OrchestratorError(f"invalid registry url or username: {login['url']!r}",
                                    errno=-errno.EINVAL)
        hosts = self.core.host_specs()
        if not hosts:
            raise OrchestratorError("no hosts defined")
        log_in = getattr(self.driver, "registry_login", None)
        if log_in is None:
            raise _unsupported("log in to a registry (the host agent has no registry-login)")
        others = [h for h in hosts[1:] if (h.status or "").lower() not in ("offline",
                                                                           "maintenance")]
        with self.core.converge_lock():
            try:
                log_in(hosts[0], login)
            except (HostUnreachable, HostActionError) as e:
                raise OrchestratorError(f"registry login failed on {hosts[0].hostname}: {e}",
                                        errno=-errno.EPERM) from None
            self.driver.map_hosts(lambda h: log_in(h, login), others)
            with self.core.record_batch():
                self.store.set_setting(REGISTRY_SETTING, login)
        return "registry login scheduled"

    @handle_orch_error
    def osd_activate(self, hosts: List[str]) -> List[str]:
        """Deploy daemons for the OSDs that exist on the hosts' devices but do not run."""
        activate = getattr(self.driver, "activate_osds", None)
        if activate is None:
            raise _unsupported("activate existing OSDs (the host agent has no activate)")
        known = {h.hostname: h for h in self.core.host_specs()}
        for name in hosts:
            if name not in known:
                raise OrchestratorError(f"Host {name} is not managed", errno=-errno.ENOENT)
        fsid, image = self.core.fsid(), self.core.ceph_image("osd")
        with self.core.converge_lock():
            results = self.driver.map_hosts(lambda h: activate(h, fsid, image),
                                            [known[n] for n in hosts])
            with self.core.record_batch() as record:
                for name in hosts:
                    if not isinstance(results[name], BaseException):
                        record.host_daemons(name, self.driver.list_daemons(known[name]))
        out = []
        for name in hosts:
            r = results[name]
            if isinstance(r, BaseException):
                raise r
            if r:
                ids = ",".join(str(x).split(".", 1)[1] for x in r)
                out.append(f"Created osd(s) {ids} on host '{name}'")
            else:
                out.append(f"Created no osd(s) on host {name}; already created?")
        return out

    # -- systemd units ------------------------------------------------------------------------
    @handle_orch_error
    def systemd_unit_ls(self, hostname: Optional[str] = None, daemon_type: Optional[str] = None,
                        daemon_id: Optional[str] = None) -> Dict[str, Any]:
        """Each host's cluster target and the unit of each of its daemons, with the unit's
        state as the last refresh saw the daemon (``ceph-<fsid>@<daemon>.service``)."""
        if hostname and self.core.maybe_host(hostname) is None:
            raise OrchestratorError(f"Host '{hostname}' is not managed", errno=-errno.ENOENT)
        fsid = self.core.fsid()
        out: Dict[str, Any] = {}
        for dd in self.core.daemons(hostname=hostname, daemon_type=daemon_type,
                                    daemon_id=daemon_id):
            host = out.setdefault(dd.hostname or "", {"target": f"ceph-{fsid}.target",
                                                      "units": {}})
            unit = dd.systemd_unit or f"ceph-{fsid}@{dd.name()}"
            host["units"][dd.name()] = {
                "unit": unit if unit.endswith(".service") else unit + ".service",
                "state": UNIT_STATES.get(int(dd.status) if dd.status is not None else -2,
                                         "unknown")}
        return {h: out[h] for h in sorted(out)}

    # -- extra ceph.conf ----------------------------------------------------------------------
    @handle_orch_error
    def set_extra_ceph_conf(self, text: Optional[str]) -> str:
        if text:
            from configparser import ConfigParser, Error
            try:
                ConfigParser().read_string(text, source="<infile>")
            except Error as e:
                raise OrchestratorError(" ".join(str(e).split()), errno=-errno.EINVAL) from None
        with self.store.transaction():
            self.store.set_setting(EXTRA_CONF_SETTING, {"conf": text or "",
                                                        "last_modified": now_str()})
            self._mark_for_reconfig()
        self.core.converge()
        self.extra_conf_step()
        return ""

    def _mark_for_reconfig(self) -> None:
        """As cephadm's ``extra_ceph_conf_is_newer``: every daemon whose config came from
        the cluster's conf is reconfigured. A service planned from its spec gets a digest
        that differs from the spec's (the converge that follows, or the next `orch serve`
        pass, reconfigures its daemons); OSD services are planned from devices, so their
        daemons are queued by name for ``extra_conf_step``."""
        digests = dict(self.store.get_setting("config_digests", {}) or {})
        for row in self.store.get_specs():
            if row.spec.get("service_type") in CONF_SERVICE_TYPES and row.service_name in digests:
                digests[row.service_name] = EXTRA_CONF_DIGEST
        self.store.set_setting("config_digests", digests)
        osds = sorted(d.name() for d in self.core.daemons(daemon_type="osd"))
        self.store.set_setting(OSD_RECONFIG_SETTING, osds)

    def extra_conf_step(self) -> Optional[List[str]]:
        """A pass step: reconfigure the OSDs still queued by `set-extra-ceph-conf` on the
        hosts that can be reached; a host that fails keeps its OSDs queued for the next
        pass. Returns the OSDs reconfigured."""
        from ceph_orch_cli.cluster.driver import DeployRequest
        pending = set(self.store.get_setting(OSD_RECONFIG_SETTING, []) or [])
        if not pending:
            return None
        hosts = {h.hostname: h for h in self.core.host_specs()
                 if (h.status or "").lower() not in ("offline", "maintenance")}
        per_host: Dict[str, List[Any]] = {}
        known = set()
        for d in self.core.daemons(daemon_type="osd"):
            known.add(d.name())
            if d.name() in pending and d.hostname in hosts:
                per_host.setdefault(d.hostname, []).append(d)
        fsid = self.core.fsid()

        def reconfig(host: "HostSpec") -> List[Dict[str, Any]]:
            for d in per_host[host.hostname]:
                self.driver.deploy_daemon(host, DeployRequest(
                    name=d.name(), fsid=fsid,
                    image=d.container_image_name or self.core.ceph_image("osd"),
                    service_name=d.service_name(), memory_request=d.memory_request,
                    reconfig=True))
            return self.driver.list_daemons(host)
        with self.core.converge_lock():
            results = self.driver.map_hosts(reconfig, [hosts[h] for h in per_host])
            done = [d.name() for h, r in results.items() if not isinstance(r, BaseException)
                    for d in per_host[h]]
            with self.core.record_batch() as record:
                for h, r in results.items():
                    if isinstance(r, HostUnreachable):
                        record.offline(h, r.reason)
                    elif not isinstance(r, BaseException):
                        record.host_daemons(h, r)
                left = sorted((pending & known) - set(done))
                self.store.set_setting(OSD_RECONFIG_SETTING, left or None)
        return sorted(done) or None

    @handle_orch_error
    def get_extra_ceph_conf(self) -> str:
        data = self.store.get_setting(EXTRA_CONF_SETTING, None) or {}
        return str(data.get("conf") or "")

    # -- the configuration checker ----------------------------------------------------------
    def _check_states(self) -> Dict[str, str]:
        states = dict(self.store.get_setting(CHECKS_SETTING, {}) or {})
        for name, _, _ in CONFIG_CHECKS:
            states.setdefault(name, "enabled")
        return states

    @handle_orch_error
    def config_checks(self) -> List[Dict[str, Any]]:
        """Every check as cephadm lists it (its ``to_json``)."""
        states = self._check_states()
        return [{"name": name, "healthcheck_name": health, "description": desc,
                 "status": states[name], "valid": True}
                for name, health, desc in CONFIG_CHECKS]

    @handle_orch_error
    def config_checks_enabled(self) -> bool:
        return bool(self.core.get_backend_setting(CHECKS_ENABLED_SETTING, False))

    @handle_orch_error
    def set_config_checks_enabled(self, enabled: bool) -> str:
        """cephadm's module option ``config_checks_enabled`` (``ceph config set mgr
        mgr/cephadm/config_checks_enabled true``)."""
        self.core.set_backend_setting(CHECKS_ENABLED_SETTING, bool(enabled))
        return f"config checks {'enabled' if enabled else 'disabled'}"

    @handle_orch_error
    def config_check_health(self) -> Dict[str, Dict[str, Any]]:
        return self.raised_checks()

    def raised_checks(self) -> Dict[str, Dict[str, Any]]:
        """The health warnings the enabled checks raise over the cached host facts (none
        while the checker is off, as cephadm's ``run_checks``)."""
        if not self.core.get_backend_setting(CHECKS_ENABLED_SETTING, False):
            return {}
        facts = {h: f for h, (f, _, _) in self.store.get_facts().items() if f}
        managed = {h.hostname for h in self.core.host_specs()}
        facts = {h: f for h, f in facts.items() if h in managed}
        roles: Dict[str, Set[str]] = {}
        versions: Dict[str, str] = {}
        for d in self.core.daemons():
            roles.setdefault(d.hostname or "", set()).add(d.daemon_type or "")
            if d.version and d.daemon_type in CONF_SERVICE_TYPES + ("osd",):
                versions[d.name()] = str(d.version)
        public, cluster = self._networks()
        upgrading = bool((self.store.get_upgrade_state() or {}).get("target_image"))
        return run_checks(CheckInput(facts=facts, roles=roles, public_networks=public,
                                     cluster_networks=cluster, versions=versions,
                                     upgrading=upgrading), self._check_states())

    def _networks(self) -> Tuple[List[str], List[str]]:
        """The configured public and cluster networks: the cluster's config options where
        the backend can ask a cluster (SSH, once bootstrapped), else the engine's setting."""
        public = str(self.store.get_setting("mon_public_network", "") or "")
        cluster = ""
        files = getattr(self.driver, "cluster_files", None)
        if files is not None and files.active():
            try:
                public = files.cluster.config_get("mon", "public_network") or public
                cluster = files.cluster.config_get("mon", "cluster_network")
            except (OrchestratorError, HostActionError, HostUnreachable):
                pass  # the cluster cannot answer now: check what the cache knows
        split = (lambda v: [n.strip() for n in v.split(",") if "/" in n])
        return split(public), split(cluster)

    @handle_orch_error
    def set_config_check(self, name: str, status: str) -> str:
        if name not in {n for n, _, _ in CONFIG_CHECKS}:
            raise OrchestratorError("Invalid check name", errno=-errno.EPERM)
        with self.store.transaction():
            states = self._check_states()
            states[name] = status
            self.store.set_setting(CHECKS_SETTING, states)
        return "ok"
