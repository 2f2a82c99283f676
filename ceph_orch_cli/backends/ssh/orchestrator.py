"""``SSHOrchestrator``: the shared engine over real hosts reached by SSH.

Wiring only: the store in the state dir, a ``ConnectionPool`` with the backend's key,
known_hosts and ssh config (``keys.SSHFiles``), the ``SSHHostDriver`` and the
``CephCLICluster`` sharing that pool. ``host add`` (and ``orch cephadm attach``) are the places
that trust an unknown host key; everything else requires the recorded one. The store is a
``ClusterStore``: once a cluster is bootstrapped, its state lives in the cluster
(``shared_state.py``) and the state dir caches it.
"""
from __future__ import annotations

import errno
import ipaddress
import json
import os
import random
import string
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Set, Tuple

from ceph_orch_cli.backends.ssh.ceph_cli import CephCLICluster, CephCommandError
from ceph_orch_cli.backends.ssh.cluster_files import ClusterFiles
from ceph_orch_cli.backends.ssh.control import ControlClient, ControlledDriver
from ceph_orch_cli.backends.ssh import keys
from ceph_orch_cli.backends.ssh.keys import SSHFiles
from ceph_orch_cli.backends.ssh.pool import DEFAULT_WORKERS, ConnectionPool
from ceph_orch_cli.backends.ssh.shared_state import (EXPORT_FORMAT, VERSION_KEY, AgentStateRemote,
                                                     ClusterStore)
from ceph_orch_cli.backends.ssh.transport import KnownHosts
from ceph_orch_cli.cluster import reconcile
from ceph_orch_cli.cluster.driver import HostActionError, HostUnreachable
from ceph_orch_cli.cluster.engine import ClusterOrchestrator
from ceph_orch_cli.cluster.store import Store
from ceph_orch_cli.orchestrator.errors import OrchestratorError, OrchestratorValidationError
from ceph_orch_cli.orchestrator.result import raise_if_exception

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.deployment.hostspec import HostSpec

KEYS_MISSING = ("SSH keys not set. Use `orch ssh set-priv-key` and `orch ssh set-pub-key` "
                "or `orch ssh generate-key`")
#: settings keys (in the store) this backend reads
WORKERS_SETTING = "backend/ssh_workers"  # `set_backend_setting("ssh_workers", n)`
IMAGE_SETTING = "container_image"
FSID_SETTING = "fsid"
#: how the agents run daemons (`orch cephadm set-runtime`); ORCH_RUNTIME overrides it
RUNTIME_SETTING = "runtime"
RUNTIMES = ("container", "package")
DEFAULT_RUNTIME = "container"
#: set once `orch bootstrap` created the cluster: from then on deploys get keys and config
BOOTSTRAPPED_SETTING = "bootstrapped"
#: the hosts orch wrote /etc/ceph client files to (removed again when they lose `_admin`)
CLIENT_FILES_SETTING = "client_files_hosts"
#: a new state dir's first command attaches to the cluster through this admin host (address,
#: or a name in the ssh config), as `orch cephadm attach` does
ADMIN_HOST_ENV = "ORCH_ADMIN_HOST"
#: the binary root of the package runtime: the host's own packages
PACKAGE_IMAGE = "deb:system"
#: what cephadm's `--single-host-defaults` sets
SINGLE_HOST_CONFIG = ("[global]\nosd_crush_chooseleaf_type = 0\nosd_pool_default_size = 2\n"
                      "[mgr]\nmgr_standby_modules = false\n")


def _workers(store: Store) -> int:
    value = os.environ.get("ORCH_SSH_WORKERS") or store.get_setting(WORKERS_SETTING, DEFAULT_WORKERS)
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        raise OrchestratorError(f"invalid ssh worker count: {value!r}") from None


class SSHOrchestrator(ClusterOrchestrator):
    """``--backend ssh``: the engine over hosts reached with paramiko and the host agent."""

    backend_name = "ssh"

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = Path(state_dir)
        self.ssh_files = SSHFiles(self.state_dir)
        store = ClusterStore(self.state_dir)
        self.pool = ConnectionPool(self.ssh_files.private_key, KnownHosts(self.ssh_files.known_hosts),
                                   self.ssh_files.config_path(), _workers(store), self.ssh_files.user())
        # read-only agent calls go through the state dir's control master (control.py)
        # once the cluster keeps the state: no paramiko import or handshake per command
        self.control = ControlClient(self.state_dir)
        driver = ControlledDriver(self.pool, fsid=self._stored_fsid, image=self._image,
                                  runtime=self.runtime, control=self.control,
                                  enabled=store.mirroring)
        cluster = CephCLICluster(self.pool, self._admin_host, fsid_source=self._stored_fsid,
                                 known_osd_ids=self._known_osd_ids, driver=driver)
        driver.cluster_files = ClusterFiles(cluster, self._bootstrapped, self._extra_conf)
        super().__init__(store, driver, cluster)
        #: the driver with its SSH-only calls (``self.driver`` is typed as the engine's seam)
        self.ssh_driver = driver
        # once bootstrapped, the cluster's config-key store is the home of the state
        store.attach_remote(AgentStateRemote(driver, self._admin_host, call=driver.state_call))
        store.first_read = self._attach_from_env
        self._workflow_steps.append(self.client_files_step)
        self.client_keyrings.files = SSHKeyringFiles(self)
        driver.tls_files = self.tls_files_for

    # -- what the driver and the cluster need from the store (called after __init__) --------
    def _stored_fsid(self) -> str:
        """The cluster's fsid: the one recorded in the store, else a new cluster's."""
        return str(self.store.setting_default(FSID_SETTING, lambda: str(uuid.uuid4())))

    def _image(self) -> str:
        return str(self.store.get_setting(IMAGE_SETTING, None) or reconcile.DEFAULT_IMAGE)

    def _extra_conf(self) -> str:
        from ceph_orch_cli.cluster.cephadm_ops import EXTRA_CONF_SETTING
        return str((self.store.get_setting(EXTRA_CONF_SETTING, None) or {}).get("conf") or "")

    def _bootstrapped(self) -> bool:
        return bool(self.store.get_setting(BOOTSTRAPPED_SETTING, False))

    def runtime(self) -> str:
        """``container`` or ``package``: ORCH_RUNTIME, else the stored choice, else container."""
        value = os.environ.get("ORCH_RUNTIME") or self.store.get_setting(RUNTIME_SETTING, None) \
            or DEFAULT_RUNTIME
        if value not in RUNTIMES:
            raise OrchestratorValidationError(
                f"invalid runtime {value!r}: choose one of {', '.join(RUNTIMES)}")
        return str(value)

    def set_runtime(self, runtime: str) -> str:
        """`orch cephadm set-runtime`: how agents run new daemons, cluster-wide."""
        if runtime not in RUNTIMES:
            raise OrchestratorValidationError(
                f"invalid runtime {runtime!r}: choose one of {', '.join(RUNTIMES)}")
        if self._bootstrapped() and runtime != self.runtime():
            raise OrchestratorError(
                f"the cluster already runs its daemons in the {self.runtime()} runtime", errno=-16)
        self.store.set_setting(RUNTIME_SETTING, runtime)
        return f"Set runtime to {runtime}"

    def _known_osd_ids(self) -> List[int]:
        return [int(d["daemon_id"]) for d in self.store.get_daemons(daemon_type="osd")
                if d.get("daemon_type") == "osd" and str(d.get("daemon_id", "")).isdigit()]

    def _admin_host(self) -> Tuple[str, Optional[str]]:
        """Where to run ``ceph``: an online host labelled ``_admin``, else any online host."""
        rows = self.store.get_hosts()
        online = [r for r in rows if not r.offline_reason]
        for row in online:
            if "_admin" in (row.spec.get("labels") or []):
                return row.hostname, row.spec.get("addr")
        if online:
            return online[0].hostname, online[0].spec.get("addr")
        raise OrchestratorError("no online host to run `ceph` on (add a host with the _admin label)")

    # -- the backend's own checks ------------------------------------------------------------
    def available(self) -> Tuple[bool, str, Dict[str, Any]]:
        ok, why, details = super().available()
        details = dict(details or {}, user=self.ssh_files.user(), runtime=self.runtime())
        if self._bootstrapped():
            details["fsid"] = self._stored_fsid()
        if self.ssh_files.missing_keys():
            rows = self.store.get_hosts()
            covered = all(self._identity_configured(r.hostname, r.spec.get("addr")) for r in rows) \
                if rows else self._identity_configured()
            if not covered:
                return False, KEYS_MISSING, details
        return ok, why, details

    def _identity_configured(self, hostname: str = "*", addr: Optional[str] = None) -> bool:
        """An ``IdentityFile`` in the ssh config orch is given authenticates as ssh does,
        with no key stored by orch."""
        try:
            return bool(self.pool.target(hostname, addr).identity_file)
        except (OSError, ValueError):
            return False

    def _check_reachable(self, spec: "HostSpec") -> None:
        """``host add`` (and host specs in ``apply``): the one place an unknown host key is
        recorded (trust on first add); then the engine's own check runs as usual. A changed
        key is refused by both."""
        if self.ssh_files.missing_keys() and not self._identity_configured(spec.hostname,
                                                                          spec.addr):
            raise OrchestratorError(KEYS_MISSING)
        try:
            self.ssh_driver.learn_host_key(spec)
        except (HostUnreachable, HostActionError):
            pass  # the engine's check below fails the same way and words the error
        super()._check_reachable(spec)

    def forget_host_key(self, hostname: str) -> List[str]:
        """Drop the recorded key(s) of a host; return the known_hosts names removed."""
        self.pool.drop(hostname)
        return keys.forget_host_key(self.state_dir, hostname)


    # -- a real cluster ------------------------------------------------------------------------
    def bootstrap(self, hostname: str, mon_ip: str, fsid: Optional[str] = None,
                  image: Optional[str] = None, initial_config: str = "",
                  skip_monitoring_stack: bool = False,
                  single_host_defaults: bool = False) -> Dict[str, Any]:
        """`orch bootstrap`: create a cluster on its first host, as ``cephadm bootstrap``.

        The host is added with the ``_admin`` label; its agent makes the keys, the monmap,
        the first mon and mgr and writes /etc/ceph; then the default services are applied
        (mon, mgr, crash) and converge. Returns what the command prints."""
        from ceph_orch_cli.deployment.hostspec import HostSpec
        from ceph_orch_cli.deployment.service_spec import ServiceSpec
        if self._bootstrapped():
            raise OrchestratorError(
                f"a cluster is already bootstrapped in this state dir (fsid {self._stored_fsid()})",
                errno=-17)  # EEXIST
        if self.runtime() != "package":
            raise OrchestratorError(
                "orch bootstrap creates clusters in the package runtime only so far; "
                "run `orch cephadm set-runtime package` first", errno=-95)
        try:
            ip = str(ipaddress.ip_address(mon_ip))
        except ValueError:
            raise OrchestratorValidationError(f"invalid --mon-ip {mon_ip!r}") from None
        if fsid is not None:
            try:
                fsid = str(uuid.UUID(fsid))
            except ValueError:
                raise OrchestratorValidationError(f"invalid --fsid {fsid!r}") from None
        image = image or PACKAGE_IMAGE
        self.store.set_setting(FSID_SETTING, fsid or self._stored_fsid())
        self.store.set_setting(IMAGE_SETTING, image)
        spec = HostSpec(hostname, addr=ip, labels=["_admin"])
        if self.store.get_host(hostname) is None:
            raise_if_exception(self.add_host(spec))
        config = initial_config + ("\n" + SINGLE_HOST_CONFIG if single_host_defaults else "")
        mgr_id = f"{hostname.split('.')[0]}.{''.join(random.choices(string.ascii_lowercase, k=6))}"
        self.ssh_driver.bootstrap(spec, {
            "fsid": self._stored_fsid(), "mon_id": hostname, "mgr_id": mgr_id, "mon_ip": ip,
            "image": image, "initial_config": config})
        self.store.set_setting(BOOTSTRAPPED_SETTING, True)
        notes: List[str] = []
        specs = [ServiceSpec("mon"), ServiceSpec("mgr"), ServiceSpec("crash")]
        if not skip_monitoring_stack:
            notes.append("The package runtime has no monitoring stack binaries "
                         "(prometheus, grafana, alertmanager, node-exporter): not deployed.")
        # the cluster is now the home of the state: take its writer lock once for the rest
        with self.core.converge_lock():
            self.core.refresh([spec], force=True)
            self.apply(specs)
            self.client_files_step()
        return {"fsid": self._stored_fsid(), "host": hostname, "mon_ip": ip,
                "mon": f"mon.{hostname}", "mgr": f"mgr.{mgr_id}", "image": image,
                "runtime": self.runtime(), "notes": notes}

    def client_files_step(self) -> Optional[Dict[str, List[str]]]:
        """Keep /etc/ceph/ceph.conf and the admin keyring on every ``_admin`` host (and take
        them off hosts that lost the label), as cephadm does. Returns the hosts changed."""
        if not self._bootstrapped():
            return None
        admin, others = self._admin_and_other_hosts()
        had = set(self.store.get_setting(CLIENT_FILES_SETTING, []) or [])
        stale = [h for h in others if h.hostname in had]
        stale_names = {h.hostname for h in stale}
        if not admin and not stale:
            return None
        try:
            conf = self.driver.cluster_files.minimal_conf()  # type: ignore[attr-defined]
            keyring = self.cluster.auth_get("client.admin")  # type: ignore[attr-defined]
        except (CephCommandError, HostActionError, HostUnreachable):
            return None
        files = {"ceph.conf": {"text": conf, "mode": 0o644},
                 "ceph.client.admin.keyring": {"text": keyring, "mode": 0o600}}
        gone = {name: None for name in files}
        results = self.driver.map_hosts(
            lambda h: self.ssh_driver.write_client_files(h, gone if h.hostname in stale_names else files),
            admin + stale)
        changed, now_had = _client_files_outcome(results, {h.hostname for h in admin}, had)
        if now_had != had:
            self.store.set_setting(CLIENT_FILES_SETTING, sorted(now_had))
        return changed or None

    def _admin_and_other_hosts(self) -> Tuple[List["HostSpec"], List["HostSpec"]]:
        """The reachable hosts, split into those labelled ``_admin`` and the rest (offline
        and maintenance hosts are left as they are until they are back)."""
        admin: List["HostSpec"] = []
        others: List["HostSpec"] = []
        for host in self.core.host_specs():
            if (host.status or "").lower() in ("offline", "maintenance"):
                continue
            (admin if "_admin" in (host.labels or []) else others).append(host)
        return admin, others

    # -- the cluster's own state (shared_state.py): attach, export, import ----------------------
    def attach_cluster(self, hostname: str, addr: Optional[str] = None) -> str:
        """`orch cephadm attach HOST [ADDR]`: make this state dir an admin host's cache of a
        cluster that keeps its state (HOST has the admin keyring and ceph.conf in /etc/ceph):
        pull the state, learn the hosts' keys (trust on first use, as ``host add``), and
        read their daemons."""
        from ceph_orch_cli.deployment.hostspec import HostSpec
        store: ClusterStore = self.store  # type: ignore[assignment]
        spec = HostSpec(hostname, addr=addr or "")
        if self.ssh_files.missing_keys() and not self._identity_configured(hostname, addr):
            raise OrchestratorError(KEYS_MISSING)
        self.ssh_driver.learn_host_key(spec)
        remote: AgentStateRemote = store.remote  # type: ignore[assignment]
        remote.pinned = (hostname, addr)
        try:
            records = remote.dump()
            if VERSION_KEY not in records:
                raise OrchestratorError(
                    f"the cluster reached through {hostname} holds no orch state (no "
                    f"{VERSION_KEY}); a write by the orch that manages it stores it there",
                    errno=-errno.ENOENT)
            had = store.get_setting(FSID_SETTING, None) if self._bootstrapped() else None
            theirs = json.loads(records.get(f"mgr/orch/setting/{FSID_SETTING}", "null"))
            if had and theirs and had != theirs:
                raise OrchestratorError(f"this state dir caches the cluster {had}, not {theirs}",
                                        errno=-errno.EEXIST)
            store.pull(records)
        finally:
            remote.pinned = None
        hosts = self.core.host_specs()
        for host in hosts:
            try:
                self.ssh_driver.learn_host_key(host)
            except (HostUnreachable, HostActionError):
                pass  # the refresh marks it offline
        self.core.refresh(hosts, force=True)
        services = len(store.get_specs())
        return (f"Attached to the cluster {self._stored_fsid()} through {hostname}: "
                f"{len(hosts)} hosts, {services} services")

    def _attach_from_env(self) -> None:
        """``ORCH_ADMIN_HOST`` on a state dir that knows no cluster and no host yet: the first
        command pulls the cluster's state first (``attach_cluster``), so it answers as the
        first admin host would. Without SSH keys yet (``orch ssh set-priv-key`` is what runs
        first) it waits for a later command; a failure is said and the command goes on."""
        target = os.environ.get(ADMIN_HOST_ENV, "").strip()
        store: ClusterStore = self.store  # type: ignore[assignment]
        if not target or self._bootstrapped() or store.get_hosts():
            return
        if self.ssh_files.missing_keys() and not self._identity_configured(target):
            return
        try:
            message = self.attach_cluster(target)
        except (OrchestratorError, HostUnreachable, HostActionError) as e:
            store.say(f"orch: cannot attach through {ADMIN_HOST_ENV}={target}: {e}")
            return
        store.say(f"orch: {message} ({ADMIN_HOST_ENV})")

    def export_state(self) -> str:
        """`orch cephadm export-state`: the whole durable state as one JSON document."""
        store: ClusterStore = self.store  # type: ignore[assignment]
        records = store.export_records()
        return json.dumps({"format": EXPORT_FORMAT, "version": 1,
                           "fsid": store.get_setting(FSID_SETTING, None),
                           "records": records}, indent=1, sort_keys=True)

    def import_state(self, text: str) -> str:
        """`orch cephadm import-state -i FILE`: replace the durable state with an export."""
        store: ClusterStore = self.store  # type: ignore[assignment]
        try:
            doc = json.loads(text)
        except ValueError as e:
            raise OrchestratorValidationError(f"not an orch state export: {e}") from None
        records = doc.get("records") if isinstance(doc, dict) else None
        if not isinstance(doc, dict) or doc.get("format") != EXPORT_FORMAT or \
                not isinstance(records, dict) or \
                not all(isinstance(k, str) and isinstance(v, str) for k, v in records.items()):
            raise OrchestratorValidationError(
                f"not an orch state export (format {EXPORT_FORMAT!r} with records)")
        note = ""
        fsid_key = f"mgr/orch/setting/{FSID_SETTING}"
        if self._bootstrapped() and fsid_key in records:
            # a restore onto a fresh cluster: the state is the old one's, the cluster is this
            ours = json.dumps(self._stored_fsid())
            if records[fsid_key] != ours:
                note = f" (kept this cluster's fsid {self._stored_fsid()})"
                records = dict(records, **{fsid_key: ours})
        store.import_records(records)
        return f"Imported {len(records)} records{note}"

def _client_files_outcome(results: Dict[str, Any], admin_names: Set[str],
                          had: Set[str]) -> Tuple[Dict[str, List[str]], Set[str]]:
    """What ``client_files_step``'s writes did: the files changed per host, and the hosts that
    now hold client files (a host whose write failed keeps what it had)."""
    changed: Dict[str, List[str]] = {}
    now_had = set(had)
    for name, result in results.items():
        if isinstance(result, BaseException):
            continue
        if result.get("written") or result.get("removed"):
            changed[name] = list(result.get("written") or []) + list(result.get("removed") or [])
        if name in admin_names:
            now_had.add(name)
        else:
            now_had.discard(name)
    return changed, now_had


class SSHKeyringFiles:
    """`orch client-keyring` files on real hosts, through the agent's ``client-files``.

    The agent (root) writes each file with its mode and owner (the keyring's uid:gid,
    ceph.conf root's, as cephadm does). ``ceph.conf``
    on ``_admin`` hosts belongs to ``client_files_step``, so it is neither written nor removed
    here. Until a cluster is bootstrapped there is no key to write: the write fails and the
    next pass tries again."""

    def __init__(self, orch: SSHOrchestrator) -> None:
        self.orch = orch

    def write(self, host: "HostSpec", files: Dict[str, Any]) -> None:
        if not self.orch._bootstrapped():
            raise HostActionError(host.hostname, "client-files",
                                  "no cluster yet (orch bootstrap) to read the keyring from")
        admin = "_admin" in (host.labels or [])
        out: Dict[str, Any] = {}
        try:
            for path, meta in files.items():
                name = os.path.basename(path)
                if name == "ceph.conf" and admin:
                    continue
                if meta is None:
                    out[name] = None
                elif meta.get("entity"):
                    out[name] = {"text": self.orch.cluster.auth_get(meta["entity"]),  # type: ignore[attr-defined]
                                 "mode": int(meta["mode"]), "uid": int(meta.get("uid", 0)),
                                 "gid": int(meta.get("gid", 0))}
                else:
                    out[name] = {"text": self.orch.driver.cluster_files.minimal_conf(),  # type: ignore[attr-defined]
                                 "mode": int(meta["mode"]), "uid": int(meta.get("uid", 0)),
                                 "gid": int(meta.get("gid", 0))}
            if out:
                self.orch.driver.write_client_files(host, out)  # type: ignore[attr-defined]
        except CephCommandError as e:
            raise HostActionError(host.hostname, "client-files", str(e)) from None
