"""``CephCLICluster``: the engine's questions to Ceph, asked with the ``ceph`` CLI.

The SSH backend has no mgr to live in, so it asks the monitors the way an operator would:
``ceph ... --format json`` on an admin host (one with a client keyring, cephadm's
``_admin`` label), over the same pooled SSH connection the driver uses. The answers are
parsed from the JSON shapes the ``ceph`` CLI prints.
"""
from __future__ import annotations

import errno
import json
import logging
import threading
from typing import Any, Callable, Dict, Iterable, List, Optional, Set, Tuple

from ceph_orch_cli.backends.ssh.pool import ConnectionPool
from ceph_orch_cli.cluster.ceph import CephCluster, OkToStop
from ceph_orch_cli.orchestrator.errors import OrchestratorError

OSD_STATES = ("out", "in", "down")

logger = logging.getLogger(__name__)


class CephCommandError(OrchestratorError):
    """``ceph`` answered with a non-zero status."""

    def __init__(self, args: List[str], host: str, rc: int, stderr: str) -> None:
        super().__init__(f"`ceph {' '.join(args)}` on {host} returned {rc}: {stderr}",
                         errno=-abs(rc) if rc else -errno.EIO)
        self.rc = rc
        self.stderr = stderr


class CephCLICluster(CephCluster):
    """Ask a real Ceph cluster through ``ceph --format json`` on an admin host.

    ``admin_host`` returns ``(hostname, addr)`` of the host to run ``ceph`` on; it is a
    callable because the engine's host list (and who carries ``_admin``) changes.
    """

    def __init__(self, pool: ConnectionPool, admin_host: Callable[[], Tuple[str, Optional[str]]],
                 ceph: str = "ceph", timeout: float = 60.0,
                 fsid_source: Optional[Callable[[], str]] = None,
                 known_osd_ids: Callable[[], Iterable[int]] = lambda: ()) -> None:
        self.pool = pool
        self.fsid_source = fsid_source
        self.known_osd_ids = known_osd_ids
        self._handed_out: Set[int] = set()
        self._allocate_lock = threading.Lock()
        self.admin_host = admin_host
        self.ceph = ceph
        self.timeout = timeout
        self._fsid: Optional[str] = None

    def _run(self, args: List[str]) -> Tuple[int, str, str]:
        host, addr = self.admin_host()
        rc, out, err = self.pool.run(host, addr, [self.ceph] + args + ["--format", "json"],
                                     timeout=self.timeout)
        return rc, out.decode(errors="replace"), err.decode(errors="replace").strip()[-500:]

    def _json(self, args: List[str]) -> Any:
        rc, out, err = self._run(args)
        if rc != 0:
            raise CephCommandError(args, self.admin_host()[0], rc, err)
        try:
            return json.loads(out) if out.strip() else None
        except ValueError:
            raise CephCommandError(args, self.admin_host()[0], 0, "output is not JSON") from None

    def _do(self, args: List[str]) -> None:
        self._json(args)

    # -- questions -------------------------------------------------------------------------
    def fsid(self) -> str:
        """The fsid the orchestrator records when it has one (a cluster it bootstraps has no
        monitors to ask yet), else the one ``ceph fsid`` reports."""
        if self.fsid_source is not None:
            return self.fsid_source()
        if self._fsid is None:
            answer = self._json(["fsid"])
            self._fsid = answer["fsid"] if isinstance(answer, dict) else str(answer).strip()
        return self._fsid

    def ok_to_stop(self, daemon_type: str, daemon_ids: List[str]) -> OkToStop:
        if daemon_type not in ("osd", "mon", "mds"):
            return OkToStop(True)  # Ceph only answers ok-to-stop for these daemon types
        rc, out, err = self._run([daemon_type, "ok-to-stop"] + [str(i) for i in daemon_ids])
        if rc == 0:
            return OkToStop(True)
        return OkToStop(False, err or f"{daemon_type}.{','.join(map(str, daemon_ids))} is not ok to stop")

    def safe_to_destroy(self, osd_ids: List[int]) -> bool:
        rc, out, _ = self._run(["osd", "safe-to-destroy"] + [str(i) for i in osd_ids])
        if rc != 0:
            return False
        try:
            safe = set(json.loads(out).get("safe_to_destroy", []))
        except (ValueError, AttributeError):
            return False
        return set(osd_ids) <= safe

    def pg_count(self, osd_id: int) -> int:
        try:
            answer = self._json(["pg", "ls-by-osd", str(osd_id)])
        except CephCommandError:
            return -1
        if isinstance(answer, dict):
            return len(answer.get("pg_stats") or [])
        return len(answer or [])

    def _osd_nodes(self, *filters: str) -> List[Dict[str, Any]]:
        answer = self._json(["osd", "tree"] + list(filters)) or {}
        return list(answer.get("nodes", [])) + list(answer.get("stray", []))

    def osd_weight(self, osd_id: int) -> Optional[float]:
        for node in self._osd_nodes():
            if node.get("type") == "osd" and node.get("id") == osd_id:
                return float(node.get("crush_weight", 0.0))
        return None

    # -- changes ---------------------------------------------------------------------------
    def reweight_osd(self, osd_id: int, weight: float) -> None:
        self._do(["osd", "crush", "reweight", f"osd.{int(osd_id)}", repr(float(weight))])

    def mark_osd(self, osd_id: int, state: str) -> None:
        if state not in OSD_STATES:
            raise OrchestratorError(f"unknown OSD state {state!r}")
        self._do(["osd", state, str(int(osd_id))])

    def destroy_osd(self, osd_id: int) -> None:
        self._do(["osd", "destroy", str(int(osd_id)), "--yes-i-really-mean-it"])

    def purge_osd(self, osd_id: int) -> None:
        self._do(["osd", "purge", str(int(osd_id)), "--yes-i-really-mean-it"])

    def allocate_osd_ids(self, hostname: str, count: int,
                         claims: Optional[List[int]] = None) -> List[int]:
        """Claimed destroyed ids first, then the lowest ids in use nowhere: not listed by
        ``ceph osd ls``, not an OSD daemon the orchestrator knows, not handed out earlier
        by this process (hosts are prepared in parallel, before ceph-volume registers the
        new OSDs with ``ceph osd new``)."""
        with self._allocate_lock:
            destroyed = set(self.destroyed_osds().get(hostname, []))
            chosen = [i for i in (claims or []) if i in destroyed][:count]
            taken = set(int(i) for i in (self._json(["osd", "ls"]) or []))
            taken |= set(int(i) for i in self.known_osd_ids()) | self._handed_out
            candidate = 0
            while len(chosen) < count:
                if candidate not in taken and candidate not in chosen:
                    chosen.append(candidate)
                candidate += 1
            self._handed_out.update(chosen)
            return chosen

    def destroyed_osds(self) -> Dict[str, List[int]]:
        """Hosts' destroyed OSD ids. Asked on every converge, also before a cluster has
        monitors to answer (deploying the first mon): then there are none to claim."""
        try:
            nodes = self._osd_nodes("destroyed")
        except CephCommandError as exc:
            logger.warning("cannot list destroyed OSDs: %s", exc)
            return {}
        by_id = {n.get("id"): n for n in nodes}
        result: Dict[str, List[int]] = {}
        for node in nodes:
            if node.get("type") != "host":
                continue
            ids = [c for c in node.get("children", [])
                   if by_id.get(c, {}).get("status") == "destroyed"]
            if ids:
                result[node["name"]] = sorted(ids)
        return result

    def osd_tick(self) -> None:
        """A real cluster moves data by itself; nothing to simulate."""
