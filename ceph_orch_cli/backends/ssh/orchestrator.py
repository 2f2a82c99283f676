"""``SSHOrchestrator``: the shared engine over real hosts reached by SSH.

Wiring only: the store in the state dir, a ``ConnectionPool`` with the backend's key,
known_hosts and ssh config (``keys.SSHFiles``), the ``SSHHostDriver`` and the
``CephCLICluster`` sharing that pool. ``host add`` is the one place that trusts an unknown
host key; everything else requires the recorded one.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from ceph_orch_cli.backends.ssh.ceph_cli import CephCLICluster
from ceph_orch_cli.backends.ssh.driver import SSHHostDriver
from ceph_orch_cli.backends.ssh import keys
from ceph_orch_cli.backends.ssh.keys import SSHFiles
from ceph_orch_cli.backends.ssh.pool import DEFAULT_WORKERS, ConnectionPool
from ceph_orch_cli.backends.ssh.transport import KnownHosts
from ceph_orch_cli.cluster import reconcile
from ceph_orch_cli.cluster.driver import HostActionError, HostUnreachable
from ceph_orch_cli.cluster.engine import ClusterOrchestrator
from ceph_orch_cli.cluster.store import Store
from ceph_orch_cli.orchestrator.errors import OrchestratorError

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.deployment.hostspec import HostSpec

KEYS_MISSING = ("SSH keys not set. Use `orch ssh set-priv-key` and `orch ssh set-pub-key` "
                "or `orch ssh generate-key`")
#: settings keys (in the store) this backend reads
WORKERS_SETTING = "backend/ssh_workers"  # `set_backend_setting("ssh_workers", n)`
IMAGE_SETTING = "container_image"
FSID_SETTING = "fsid"


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
        store = Store(self.state_dir)
        self.pool = ConnectionPool(self.ssh_files.private_key, KnownHosts(self.ssh_files.known_hosts),
                                   self.ssh_files.config_path(), _workers(store), self.ssh_files.user())
        driver = SSHHostDriver(self.pool, fsid=self._stored_fsid, image=self._image)
        cluster = CephCLICluster(self.pool, self._admin_host, fsid_source=self._stored_fsid,
                                 known_osd_ids=self._known_osd_ids)
        super().__init__(store, driver, cluster)

    # -- what the driver and the cluster need from the store (called after __init__) --------
    def _stored_fsid(self) -> str:
        """The cluster's fsid: the one recorded in the store, else a new cluster's."""
        return str(self.store.setting_default(FSID_SETTING, lambda: str(uuid.uuid4())))

    def _image(self) -> str:
        return str(self.store.get_setting(IMAGE_SETTING, None) or reconcile.DEFAULT_IMAGE)

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
        details = dict(details or {}, user=self.ssh_files.user())
        if self.ssh_files.missing_keys():
            return False, KEYS_MISSING, details
        return ok, why, details

    def _check_reachable(self, spec: "HostSpec") -> None:
        """``host add`` (and host specs in ``apply``): the one place an unknown host key is
        recorded (trust on first add); then the engine's own check runs as usual. A changed
        key is refused by both."""
        if self.ssh_files.missing_keys():
            raise OrchestratorError(KEYS_MISSING)
        try:
            self.driver.learn_host_key(spec)
        except (HostUnreachable, HostActionError):
            pass  # the engine's check below fails the same way and words the error
        super()._check_reachable(spec)

    def forget_host_key(self, hostname: str) -> List[str]:
        """Drop the recorded key(s) of a host; return the known_hosts names removed."""
        self.pool.drop(hostname)
        return keys.forget_host_key(self.state_dir, hostname)

