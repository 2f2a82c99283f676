"""``SSHHostDriver``: the engine's ``HostDriver`` over SSH and the host agent.

Every call is one round trip to a long-running ``python3 <agent> serve`` on the host's pooled
connection: one JSON line in, one JSON line out, so a call costs the work, not an sshd
session, a shell and a Python start-up (cephadm pays all three per call). Before the first
call on a connection a probe learns the agent root and whether this exact agent (by sha256 in
its file name) is already on the host, and becomes the agent if so; only otherwise is it
uploaded over SFTP. Names, fsids and device paths are validated here, before anything leaves
this process, with the very patterns the agent checks again on the host.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, TypeVar, Union

from ceph_orch_cli.backends.ssh import agent as agent_module
from ceph_orch_cli.backends.ssh.pool import ConnectionPool
from ceph_orch_cli.backends.ssh.transport import AgentSessionEnded, Connection, quote_command
from ceph_orch_cli.cluster.certmgr import RGW_PEM
from ceph_orch_cli.cluster.reconcile import DEFAULT_IMAGE
from ceph_orch_cli.cluster.driver import (
    DeployRequest, HostActionError, HostDriver, HostUnreachable, OsdPrepareRequest,
)
from ceph_orch_cli.orchestrator.errors import OrchestratorValidationError

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.backends.ssh.cluster_files import ClusterFiles
    from ceph_orch_cli.deployment.hostspec import HostSpec

T = TypeVar("T")

ADDR_RE = re.compile(r"^(?:[0-9A-Fa-f:.]{2,45}|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)$")
UNIT_ACTIONS = ("start", "stop", "restart")
READ_ONLY = frozenset({"check-host", "gather-facts", "list-networks", "inventory", "ls", "refresh"})
# Prefer the distribution's python over whatever a login shell puts first on PATH (pyenv
# shims, virtualenvs): it is what root's tools rely on, and it starts fastest.
_PROBE = r'''r="${ORCH_AGENT_ROOT:-/}"; r="${r%/}"
p="$r/var/lib/ceph-orch/agent.$1.py"
py=""; for c in /usr/libexec/platform-python /usr/bin/python3; do [ -x "$c" ] && py="$c" && break; done
[ -n "$py" ] || py="$(command -v python3 || true)"
if [ -f "$p" ]; then s=present; else s=absent; fi
printf '%s\n' "$s" "$p" "$py" "$r" "${ORCH_CONTAINER_ENGINE-}" "${ORCH_AGENT_DEVICES-}"
[ "$s" = present ] && [ -n "$py" ] || exit 0
l="$3"
[ "$2" = sudo ] || exec "$py" -S -c "$l" "$p" serve
set -- "ORCH_AGENT_ROOT=${r:-/}"
[ -z "${ORCH_CONTAINER_ENGINE-}" ] || set -- "$@" "ORCH_CONTAINER_ENGINE=$ORCH_CONTAINER_ENGINE"
[ -z "${ORCH_AGENT_DEVICES-}" ] || set -- "$@" "ORCH_AGENT_DEVICES=$ORCH_AGENT_DEVICES"
exec sudo -n env "$@" "$py" -S -c "$l" "$p" serve'''
#: the lines the probe prints before it becomes the agent
_PROBE_LINES = 6
_INSTALL = 'mkdir -p -m 0755 "$1" && install -m 0700 "$2" "$3"; rc=$?; rm -f "$2"; exit $rc'
# `python3 <agent> serve`, except that the agent is loaded as a module: Python then keeps its
# bytecode in __pycache__ beside it (checked against the source like any import) instead of
# compiling 1,000 lines at every session start, ~8 ms of CPU per host on each `orch` run.
# Started with -S: the stdlib-only agent needs no site-packages, and site costs ~3 ms more.
_LAUNCH = ("import importlib.util as u, sys; s = u.spec_from_file_location('ceph_orch_agent', "
           "sys.argv[1]); m = sys.modules[s.name] = u.module_from_spec(s); "
           "s.loader.exec_module(m); sys.exit(m.main(sys.argv[2:]))")


def agent_source() -> bytes:
    return Path(agent_module.__file__).read_bytes()


def valid_host(host: "HostSpec") -> str:
    """The host's name, refusing anything that is not a plain DNS name (or its address)."""
    try:
        name = agent_module.valid_hostname(host.hostname)
    except agent_module.AgentError as exc:
        raise OrchestratorValidationError(str(exc)) from None
    addr = getattr(host, "addr", None)
    if addr and (not ADDR_RE.match(addr) or ".." in addr):
        raise OrchestratorValidationError(f"invalid address for {name}: {addr!r}")
    return name


def _validated(fn: Callable[..., T], *args: Any) -> T:
    try:
        return fn(*args)
    except agent_module.AgentError as exc:
        raise OrchestratorValidationError(str(exc)) from None


class SSHHostDriver(HostDriver):
    """Run host-agent subcommands on hosts through a ``ConnectionPool``."""

    def __init__(self, pool: ConnectionPool, fsid: Callable[[], str],
                 image: Callable[[], str] = lambda: DEFAULT_IMAGE,
                 command_timeout: float = 900.0,
                 runtime: Callable[[], str] = lambda: "container",
                 cluster_files: Optional["ClusterFiles"] = None) -> None:
        self.pool = pool
        self.max_workers = pool.workers
        self._fsid = fsid
        self._image = image
        self._runtime = runtime
        #: keys, config and monmaps from the cluster, once there is one (see cluster_files.py)
        self.cluster_files = cluster_files
        #: the TLS files a daemon gets from the certificate manager (``CertMgr.files_for``):
        #: ``(daemon_type, service_name, hostname) -> {name: PEM}``, put in its config files
        self.tls_files: Optional[Callable[[str, str, str], Dict[str, str]]] = None
        self.command_timeout = command_timeout
        self._agent = agent_source()
        self._agent_sha = hashlib.sha256(self._agent).hexdigest()

    # -- plumbing --------------------------------------------------------------------------
    def _ensure_agent(self, conn: Connection) -> None:
        """Learn where the agent lives on this host, upload it when this version is missing,
        and start its session.

        One exec does it all when the agent is there (the common case): a probe prints what
        it found and, on the same channel, becomes ``agent serve`` (through ``sudo -n env``
        for a non-root user, carrying the environment sudo would reset). A separate probe
        exec cost every host a shell and ~45 ms more per `orch` run."""
        if conn.agent_path is not None:
            return
        sudo = "sudo" if conn.target.user != "root" else ""
        try:
            # the probe runs as the login user: it only reads the environment
            lines = conn.start_session(
                quote_command(["sh", "-c", _PROBE, "sh", self._agent_sha, sudo, _LAUNCH], "root"),
                _PROBE_LINES, timeout=conn.target.connect_timeout * 3)
        except AgentSessionEnded as exc:
            raise HostActionError(conn.target.hostname, "probe", str(exc)) from None
        state, path, python, root, engine, devices = lines
        if not python:
            raise HostActionError(conn.target.hostname, "probe", "python3 is not installed")
        if state == "absent":
            tmp = f"/tmp/ceph-orch-agent.{secrets.token_hex(8)}.py"
            conn.put_file(self._agent, tmp, 0o600)
            rc, _, err = conn.run(["sh", "-c", _INSTALL, "sh", path.rsplit("/", 1)[0], tmp, path],
                                  timeout=conn.target.connect_timeout * 3)
            if rc != 0:
                raise HostActionError(conn.target.hostname, "install agent",
                                      err.decode(errors="replace")[-300:])
        # how `request` restarts the agent (after an upload, or when a session ended)
        env = []
        if sudo:  # sudo resets the environment: carry the agent's over
            env = ["env"] + [f"{k}={v}" for k, v in (("ORCH_AGENT_ROOT", root or "/"),
                                                     ("ORCH_CONTAINER_ENGINE", engine),
                                                     ("ORCH_AGENT_DEVICES", devices)) if v]
        conn.agent_argv = env + [python, "-S", "-c", _LAUNCH, path]
        conn.agent_path = path

    def call(self, host: "HostSpec", subcommand: str, request: Optional[Dict[str, Any]] = None,
              action: Optional[str] = None, trust_new_key: bool = False) -> Any:
        name = valid_host(host)
        words = [subcommand] + ([action] if action else [])
        label = " ".join(words)

        payload = dict(request or {})
        payload.setdefault("runtime", self.runtime())
        if payload["runtime"] == "package":
            payload.setdefault("inventory_source", "ceph-volume")

        def on(conn: Connection) -> Dict[str, Any]:
            self._ensure_agent(conn)
            return conn.request(conn.agent_argv + ["serve"], {"words": words, "request": payload},
                                self.command_timeout)

        # A read-only request that lost its connection after being sent is simply asked again
        # on a new connection (the pooled one may have died just before); actions are not.
        attempts = 2 if subcommand in READ_ONLY else 1
        for attempt in range(attempts):
            try:
                reply = self.pool.with_connection(name, getattr(host, "addr", None), on, trust_new_key)
                break
            except HostUnreachable:
                if attempt + 1 == attempts:
                    raise
            except AgentSessionEnded as exc:
                raise HostActionError(name, label, f"the agent exited: {exc}") from None
        answer = reply.get("answer") if isinstance(reply, dict) else None
        if not isinstance(reply, dict) or reply.get("rc") != 0:
            reason = answer.get("error") if isinstance(answer, dict) else None
            raise HostActionError(name, label, str(reason or "the agent's answer was not understood"))
        return answer

    def learn_host_key(self, host: "HostSpec") -> Dict[str, Any]:
        """Connect trusting an unknown host key (recorded in known_hosts), as ``host add``
        does; a changed key is still refused. Returns the ``check-host`` answer."""
        return self.call(host, "check-host", trust_new_key=True)

    def fsid(self) -> str:
        return _validated(agent_module.valid_fsid, self._fsid())

    def image(self) -> str:
        return _validated(agent_module.valid_image, self._image())

    def runtime(self) -> str:
        """``container`` or ``package``: how the agent runs daemons (`orch cephadm set-runtime`)."""
        return self._runtime()

    # -- discovery -------------------------------------------------------------------------
    def check_host(self, host: "HostSpec") -> Dict[str, Any]:
        return self.call(host, "check-host")

    def gather_facts(self, host: "HostSpec") -> Dict[str, Any]:
        return self.call(host, "gather-facts")

    def list_networks(self, host: "HostSpec") -> Dict[str, Dict[str, List[str]]]:
        return self.call(host, "list-networks")

    def inventory(self, host: "HostSpec") -> List[Dict[str, Any]]:
        return self.call(host, "inventory")

    def list_daemons(self, host: "HostSpec") -> List[Dict[str, Any]]:
        fsid = self._fsid()
        return [d for d in self.call(host, "ls") if d.get("fsid") == fsid]

    def refresh_host(self, host: "HostSpec") -> Dict[str, Any]:
        """check-host, ls, gather-facts, list-networks and inventory in one round trip.

        cephadm runs these one after another per host (field notes §2); one agent call
        instead of five keeps a refresh of many hosts bound by the network, not by process
        start-up on the hosts. Keys: check_host, ls, facts, networks, inventory; a part that
        failed holds ``{"error": ...}``.
        """
        result = self.call(host, "refresh")
        fsid = self._fsid()
        if isinstance(result.get("ls"), list):
            result["ls"] = [d for d in result["ls"] if d.get("fsid") == fsid]
        return result

    # -- actions ---------------------------------------------------------------------------
    def deploy_daemon(self, host: "HostSpec", request: DeployRequest) -> Dict[str, Any]:
        _validated(agent_module.valid_daemon_name, request.name)
        _validated(agent_module.valid_fsid, request.fsid)
        _validated(agent_module.valid_image, request.image)
        for dev in request.osd_devices:
            _validated(agent_module.valid_device, dev)
        payload = asdict(request)
        if self.cluster_files is not None:
            payload.update(self.cluster_files.for_daemon(host, request))
        tls = self.tls_files(request.daemon_type, request.service_name,
                             host.hostname) if self.tls_files else {}
        if request.daemon_type == "rgw":
            self._configure_rgw(payload, request, tls.pop(RGW_PEM, None))
        if tls:
            config = dict(payload.get("config") or {})
            config["files"] = {**(config.get("files") or {}), **tls}
            payload["config"] = config
        return self.call(host, "deploy", payload)

    def _configure_rgw(self, payload: Dict[str, Any], request: DeployRequest,
                       pem: Optional[str]) -> None:
        """A gateway's options and certificate go to the cluster (config database and
        config-key store, as cephadm keeps them), not into its directory; the agent reads
        ``rgw_frontends`` from the request for a daemon it starts itself."""
        frontends = (self.cluster_files.configure_rgw(request, pem)
                     if self.cluster_files is not None else None)
        if frontends:
            payload["config"] = {**(payload.get("config") or {}), "rgw_frontends": frontends}

    def prepare_osds(self, host: "HostSpec", request: OsdPrepareRequest) -> List[Dict[str, Any]]:
        _validated(agent_module.valid_fsid, request.fsid)
        _validated(agent_module.valid_image, request.image)
        for dev in request.data_devices + request.db_devices + request.wal_devices:
            _validated(agent_module.valid_device, dev)
        payload = asdict(request)
        if self.cluster_files is not None:
            payload.update(self.cluster_files.for_osds(host))
        return self.call(host, "prepare-osds", payload)

    def remove_daemon(self, host: "HostSpec", name: str, force: bool = False) -> None:
        _validated(agent_module.valid_daemon_name, name)
        if self.cluster_files is not None:
            self.cluster_files.before_removal(name)
        self.call(host, "rm-daemon", {"name": name, "fsid": self.fsid(), "force": bool(force)})
        if self.cluster_files is not None:
            self.cluster_files.after_removal(name)

    def binary_roots(self, host: "HostSpec") -> List[Dict[str, Any]]:
        if self.runtime() != "package":
            return []
        return list(self.call(host, "binary-roots"))

    def bootstrap(self, host: "HostSpec", request: Dict[str, Any]) -> Dict[str, Any]:
        """Create a cluster on ``host`` (the agent's ``bootstrap``: keys, monmap, first mon
        and mgr, /etc/ceph)."""
        return self.call(host, "bootstrap", request)

    def prepare_host(self, host: "HostSpec") -> Dict[str, Any]:
        """`orch cephadm prepare-host`: the agent creates the missing Ceph directories and
        installs the runtime's missing packages, then answers as check-host does."""
        return self.call(host, "prepare-host")

    def registry_login(self, host: "HostSpec", login: Dict[str, Any]) -> Dict[str, Any]:
        """`orch cephadm registry-login`: ``<engine> login`` on the host (the password goes
        in the request, never on a command line)."""
        return self.call(host, "registry-login", {k: login.get(k) for k in
                                                   ("url", "username", "password")})

    def activate_osds(self, host: "HostSpec", fsid: str, image: str) -> List[str]:
        """`orch cephadm osd activate`: daemons for the OSDs on the host's devices that have
        none; returns their names."""
        request: Dict[str, Any] = {"fsid": _validated(agent_module.valid_fsid, fsid),
                                   "image": _validated(agent_module.valid_image, image)}
        if self.cluster_files is not None:
            request.update(self.cluster_files.for_osds(host))
        return [str(d.get("name")) for d in self.call(host, "osd-activate", request)]

    def write_client_files(self, host: "HostSpec", files: Dict[str, Any]) -> Dict[str, Any]:
        """Write (a dict value) or remove (None) files in the host's /etc/ceph."""
        return self.call(host, "client-files", {"files": files})

    def daemon_unit(self, host: "HostSpec", name: str, action: str) -> None:
        _validated(agent_module.valid_daemon_name, name)
        if action not in UNIT_ACTIONS:
            raise OrchestratorValidationError(f"unknown unit action {action!r}")
        self.call(host, "unit", {"name": name, "fsid": self.fsid()}, action=action)

    def zap_device(self, host: "HostSpec", path: str) -> None:
        _validated(agent_module.valid_device, path)
        self.call(host, "zap", {"path": path, "fsid": self.fsid(), "image": self.image()})

    def set_light(self, host: "HostSpec", ident_fault: str, on: bool, path: str) -> None:
        _validated(agent_module.valid_device, path)
        if ident_fault not in ("ident", "fault"):
            raise OrchestratorValidationError(f"invalid light {ident_fault!r}")
        self.call(host, "light", {"path": path, "ident_fault": ident_fault, "on": bool(on),
                                   "image": self.image()})

    def maintenance(self, host: "HostSpec", enter: bool) -> None:
        self.call(host, "maintenance", {"fsid": self.fsid()}, action="enter" if enter else "exit")

    # -- fan-out ---------------------------------------------------------------------------
    def map_hosts(self, fn: Callable[["HostSpec"], T],
                  hosts: Iterable["HostSpec"]) -> Dict[str, Union[T, BaseException]]:
        return self.pool.map(fn, hosts, key=lambda h: h.hostname)

    def close(self) -> None:
        self.pool.close()


__all__ = ["SSHHostDriver", "HostUnreachable", "HostActionError", "DEFAULT_IMAGE"]
