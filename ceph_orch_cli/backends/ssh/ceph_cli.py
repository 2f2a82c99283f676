"""``CephCLICluster``: the engine's questions to Ceph, asked on an admin host.

The SSH backend has no mgr to live in, so it asks the monitors from an admin host (one with
the client keyring, cephadm's ``_admin`` label) through the host agent, over the same pooled
SSH connection the driver uses. The agent sends each command through python3-rados
(``mon_command``/``mgr_command``: about 1 ms) where the host has it and an admin keyring, else
through the ``ceph`` CLI with ``--format json`` (about 1 s). Every command is therefore
written twice here, once as the JSON a monitor takes and once as the CLI words; the answers
are parsed from the JSON both print.

Real Ceph's answers have quirks the parsing follows (``../shared/reference/real-ceph.md``):
``osd safe-to-destroy -f json`` exits 0 when unsafe and lists what is safe; ``pg ls-by-osd``
of a down OSD is EAGAIN; ``mon ok-to-stop`` answers on stderr; ``osd destroy`` of an up OSD
is EBUSY.
"""
from __future__ import annotations

import base64
import errno
import json
import logging
import threading
from dataclasses import dataclass, field
from typing import (TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, Set, Tuple)

from ceph_orch_cli.backends.ssh.pool import ConnectionPool
from ceph_orch_cli.cluster.ceph import CephCluster, OkToStop
from ceph_orch_cli.orchestrator.errors import OrchestratorError

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.backends.ssh.driver import SSHHostDriver

OSD_STATES = ("out", "in", "down")
#: Ceph's release names by major version (``osd require-osd-release`` takes the name)
RELEASES = {15: "octopus", 16: "pacific", 17: "quincy", 18: "reef", 19: "squid", 20: "tentacle"}

logger = logging.getLogger(__name__)


class CephCommandError(OrchestratorError):
    """A Ceph command answered with a non-zero status."""

    def __init__(self, args: List[str], host: str, rc: int, stderr: str) -> None:
        super().__init__(f"`ceph {' '.join(args)}` on {host} returned {rc}: {stderr}",
                         errno=-abs(rc) if rc else -errno.EIO)
        self.rc = rc
        self.stderr = stderr


@dataclass
class CephCommand:
    """One command, as a monitor takes it (``prefix`` and named arguments) and as the
    ``ceph`` CLI spells it (``argv``)."""

    prefix: str
    argv: List[str]
    args: Dict[str, Any] = field(default_factory=dict)
    #: the answer is binary (``mon getmap``): carried base64-encoded
    binary: bool = False
    inbuf: str = ""

    def json(self) -> Dict[str, Any]:
        cmd = {"prefix": self.prefix, "format": "json"}
        cmd.update(self.args)
        return cmd


@dataclass
class CephAnswer:
    rc: int
    out: str
    err: str
    via: str = "cli"


def _ids(ids: Iterable[Any]) -> List[str]:
    return [str(i) for i in ids]


class CephCLICluster(CephCluster):
    """Ask a real Ceph cluster from an admin host, through the host agent.

    ``admin_host`` returns ``(hostname, addr)`` of the host to ask on; it is a callable
    because the engine's host list (and who carries ``_admin``) changes.
    """

    def __init__(self, pool: ConnectionPool, admin_host: Callable[[], Tuple[str, Optional[str]]],
                 timeout: float = 60.0,
                 fsid_source: Optional[Callable[[], str]] = None,
                 known_osd_ids: Callable[[], Iterable[int]] = lambda: (),
                 driver: Optional["SSHHostDriver"] = None) -> None:
        from ceph_orch_cli.backends.ssh.driver import SSHHostDriver
        self.pool = pool
        self.driver = driver or SSHHostDriver(pool, fsid=lambda: "")
        self.fsid_source = fsid_source
        self.known_osd_ids = known_osd_ids
        self._handed_out: Set[int] = set()
        self._allocate_lock = threading.Lock()
        self.admin_host = admin_host
        self.timeout = timeout
        self._fsid: Optional[str] = None

    # -- transport -------------------------------------------------------------------------
    def ask(self, command: CephCommand) -> CephAnswer:
        """Run one command on the admin host; the answer whatever its status."""
        from ceph_orch_cli.deployment.hostspec import HostSpec
        host, addr = self.admin_host()
        reply = self.driver.call(HostSpec(host, addr=addr or ""), "ceph", {
            "cmd": command.json(), "argv": command.argv, "binary": command.binary,
            "inbuf": command.inbuf, "timeout": int(self.timeout)})
        return CephAnswer(int(reply.get("rc", 1)), str(reply.get("out") or ""),
                          str(reply.get("err") or ""), str(reply.get("via") or "cli"))

    def _checked(self, command: CephCommand) -> CephAnswer:
        answer = self.ask(command)
        if answer.rc != 0:
            raise CephCommandError(command.argv, self.admin_host()[0], answer.rc,
                                   answer.err.strip()[-500:])
        return answer

    def _json(self, command: CephCommand) -> Any:
        answer = self._checked(command)
        try:
            return json.loads(answer.out) if answer.out.strip() else None
        except ValueError:
            raise CephCommandError(command.argv, self.admin_host()[0], 0,
                                   "output is not JSON") from None

    def _do(self, command: CephCommand) -> None:
        self._checked(command)

    # -- questions -------------------------------------------------------------------------
    def fsid(self) -> str:
        """The fsid the orchestrator records when it has one (a cluster it bootstraps has no
        monitors to ask yet), else the one ``ceph fsid`` reports."""
        if self.fsid_source is not None:
            return self.fsid_source()
        if self._fsid is None:
            answer = self._json(CephCommand("fsid", ["fsid"]))
            self._fsid = answer["fsid"] if isinstance(answer, dict) else str(answer).strip()
        return self._fsid

    def ok_to_stop(self, daemon_type: str, daemon_ids: List[str]) -> OkToStop:
        if daemon_type not in ("osd", "mon", "mds"):
            return OkToStop(True)  # Ceph only answers ok-to-stop for these daemon types
        ids = _ids(daemon_ids)
        answer = self.ask(CephCommand(f"{daemon_type} ok-to-stop",
                                      [daemon_type, "ok-to-stop"] + ids, {"ids": ids}))
        if answer.rc == 0:
            return OkToStop(True, answer.err.strip())
        return OkToStop(False, answer.err.strip() or
                        f"{daemon_type}.{','.join(ids)} is not ok to stop")

    def safe_to_destroy(self, osd_ids: List[int]) -> bool:
        ids = _ids(osd_ids)
        answer = self.ask(CephCommand("osd safe-to-destroy", ["osd", "safe-to-destroy"] + ids,
                                      {"ids": ids}))
        # with -f json real Ceph exits 0 and lists the safe ids; the plain form exits EBUSY
        try:
            safe = set(json.loads(answer.out).get("safe_to_destroy", []))
        except (ValueError, AttributeError):
            return False
        return set(osd_ids) <= safe

    def pg_count(self, osd_id: int) -> int:
        """PGs on the OSD; -1 when Ceph cannot say (a down OSD answers EAGAIN)."""
        try:
            answer = self._json(CephCommand("pg ls-by-osd", ["pg", "ls-by-osd", str(osd_id)],
                                            {"osd": int(osd_id)}))
        except CephCommandError:
            return -1
        if isinstance(answer, dict):
            return len(answer.get("pg_stats") or [])
        return len(answer or [])

    def _osd_nodes(self, *states: str) -> List[Dict[str, Any]]:
        args = {"states": list(states)} if states else {}
        answer = self._json(CephCommand("osd tree", ["osd", "tree"] + list(states), args)) or {}
        return list(answer.get("nodes", [])) + list(answer.get("stray", []))

    def osd_weight(self, osd_id: int) -> Optional[float]:
        for node in self._osd_nodes():
            if node.get("type") == "osd" and node.get("id") == osd_id:
                return float(node.get("crush_weight", 0.0))
        return None

    # -- changes ---------------------------------------------------------------------------
    def reweight_osd(self, osd_id: int, weight: float) -> None:
        name = f"osd.{int(osd_id)}"
        self._do(CephCommand("osd crush reweight",
                             ["osd", "crush", "reweight", name, repr(float(weight))],
                             {"name": name, "weight": float(weight)}))

    def mark_osd(self, osd_id: int, state: str) -> None:
        if state not in OSD_STATES:
            raise OrchestratorError(f"unknown OSD state {state!r}")
        self._do(CephCommand(f"osd {state}", ["osd", state, str(int(osd_id))],
                             {"ids": [str(int(osd_id))]}))

    def destroy_osd(self, osd_id: int) -> None:
        self._do(CephCommand("osd destroy",
                             ["osd", "destroy", str(int(osd_id)), "--yes-i-really-mean-it"],
                             {"id": int(osd_id), "yes_i_really_mean_it": True}))

    def purge_osd(self, osd_id: int) -> None:
        self._do(CephCommand("osd purge",
                             ["osd", "purge", str(int(osd_id)), "--yes-i-really-mean-it"],
                             {"id": int(osd_id), "yes_i_really_mean_it": True}))

    def allocate_osd_ids(self, hostname: str, count: int,
                         claims: Optional[List[int]] = None) -> List[int]:
        """Claimed destroyed ids first, then the lowest ids in use nowhere: not listed by
        ``ceph osd ls``, not an OSD daemon the orchestrator knows, not handed out earlier
        by this process (hosts are prepared in parallel, before ceph-volume registers the
        new OSDs with ``ceph osd new``)."""
        with self._allocate_lock:
            destroyed = set(self.destroyed_osds().get(hostname, []))
            chosen = [i for i in (claims or []) if i in destroyed][:count]
            taken = set(int(i) for i in (self._json(CephCommand("osd ls", ["osd", "ls"])) or []))
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

    # -- keys, maps and config (what deploying a real daemon needs) -------------------------
    def auth_get_or_create(self, entity: str, caps: List[str]) -> str:
        """The entity's keyring text, created with ``caps`` if it does not exist."""
        answer = self._json(CephCommand("auth get-or-create",
                                        ["auth", "get-or-create", entity] + caps,
                                        {"entity": entity, "caps": caps}))
        return keyring_text(answer[0])

    def auth_get(self, entity: str) -> str:
        answer = self._json(CephCommand("auth get", ["auth", "get", entity], {"entity": entity}))
        return keyring_text(answer[0])

    def auth_rm(self, entity: str) -> None:
        self._do(CephCommand("auth rm", ["auth", "rm", entity], {"entity": entity}))

    def mon_getmap(self) -> str:
        """The current monmap, base64-encoded (it is binary)."""
        answer = self._checked(CephCommand("mon getmap", ["mon", "getmap"], binary=True))
        base64.b64decode(answer.out, validate=True)
        return answer.out

    def mon_rm(self, name: str) -> None:
        self._do(CephCommand("mon rm", ["mon", "rm", name], {"name": name}))

    def minimal_conf(self) -> str:
        """``ceph config generate-minimal-conf``: what every daemon's config file holds."""
        answer = self._checked(CephCommand("config generate-minimal-conf",
                                           ["config", "generate-minimal-conf"]))
        return answer.out

    def config_get(self, who: str, key: str) -> str:
        answer = self.ask(CephCommand("config get", ["config", "get", who, key],
                                      {"who": who, "key": key}))
        if answer.rc != 0:
            return ""
        try:
            value = json.loads(answer.out)
        except ValueError:
            value = answer.out
        return str(value).strip() if value is not None else ""

    def config_set(self, who: str, key: str, value: str) -> None:
        """``ceph config set WHO KEY VALUE``: an option in the monitors' config database."""
        self._do(CephCommand("config set", ["config", "set", who, key, value],
                             {"who": who, "name": key, "value": value}))

    def config_key_set(self, key: str, value: str) -> None:
        """``ceph config-key set KEY -i -`` with ``value`` as input; ``value`` may be a
        secret: never logged, not in an error."""
        try:
            # the value as input (a PEM has newlines, which no argument may carry)
            self._do(CephCommand("config-key set", ["config-key", "set", key, "-i", "-"],
                                 {"key": key}, inbuf=value))
        except CephCommandError as exc:  # its message would carry the value
            raise CephCommandError(["config-key", "set", key, "<value>"], self.admin_host()[0],
                                   exc.rc, exc.stderr) from None

    def status(self) -> Dict[str, Any]:
        """``ceph status`` as JSON."""
        return self._json(CephCommand("status", ["status"])) or {}

    def active_mgr(self) -> Optional[str]:
        try:
            answer = self._json(CephCommand("mgr stat", ["mgr", "stat"])) or {}
        except CephCommandError:
            return None
        return answer.get("active_name") or None

    def fail_mgr(self, daemon_id: str) -> None:
        self._do(CephCommand("mgr fail", ["mgr", "fail", daemon_id], {"who": daemon_id}))

    def finish_upgrade(self, version: str) -> List[str]:
        """``osd require-osd-release <release>`` once every OSD runs ``version``'s release."""
        release = RELEASES.get(int(version.split(".", 1)[0])) if version[:2].isdigit() else None
        if release is None:
            return []
        try:
            current = (self._json(CephCommand("osd dump", ["osd", "dump"])) or {}).get(
                "require_osd_release")
            if current == release:
                return []
            self._do(CephCommand("osd require-osd-release",
                                 ["osd", "require-osd-release", release, "--yes-i-really-mean-it"],
                                 {"release": release, "yes_i_really_mean_it": True}))
        except CephCommandError as exc:  # the upgrade is done; say what is left to do
            return [f"osd require-osd-release {release} failed: {exc}"]
        return [f"osd require-osd-release {release}"]

    def set_host_noout(self, hostname: str, on: bool) -> None:
        verb = "set-group" if on else "unset-group"
        self._do(CephCommand(f"osd {verb}", ["osd", verb, "noout", hostname],
                             {"flags": "noout", "who": [hostname]}))


def keyring_text(entry: Dict[str, Any]) -> str:
    """A keyring file from one ``auth get`` JSON entry."""
    lines = [f"[{entry['entity']}]", f"\tkey = {entry['key']}"]
    for subsystem, cap in sorted((entry.get("caps") or {}).items()):
        lines.append(f'\tcaps {subsystem} = "{cap}"')
    return "\n".join(lines) + "\n"
