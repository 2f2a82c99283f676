"""``orch client-keyring ls|set|rm``: a client's keyring kept on the hosts a placement selects.

As cephadm's ``ClientKeyringStore``: each managed keyring is a spec (entity, placement, file
mode, owner) stored with the cluster's state; a sync (after every change, and as a step of every
``orch serve`` pass, so hosts that join or leave the placement follow) writes
``/etc/ceph/ceph.<entity>.keyring`` (and ``/etc/ceph/ceph.conf`` unless ``--no-ceph-conf``) on
the matching hosts and removes them from hosts that no longer match.

Which files each host holds is recorded in the store (``client_keyring_files``). The files
themselves go through the backend's ``KeyringFiles`` seam: the local backend's hosts are
simulated, so the record is all there is; the SSH backend writes them through the host agent.
"""
from __future__ import annotations

import errno
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Protocol

from ceph_orch_cli.orchestrator import handle_orch_error
from ceph_orch_cli.orchestrator.errors import OrchestratorError

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.cluster.core import EngineCore
    from ceph_orch_cli.deployment.hostspec import HostSpec
    from ceph_orch_cli.deployment.service_spec import PlacementSpec

#: store settings: the specs (entity -> spec JSON) and what each host holds (host -> path -> meta)
KEYRINGS_SETTING = "client_keyrings"
FILES_SETTING = "client_keyring_files"
CEPH_CONF = "/etc/ceph/ceph.conf"

#: one file on one host: ``{"entity": ..., "mode": int, "uid": int, "gid": int}``; ``entity``
#: is None for ceph.conf
FileMeta = Dict[str, Any]


def file_mode_to_str(mode: int) -> str:
    """``0o600`` -> ``rw-------``, as `ls -l` and `orch client-keyring ls` show it."""
    out = ''
    for shift in (6, 3, 0):
        bits = (mode >> shift) & 7
        out += ('r' if bits & 4 else '-') + ('w' if bits & 2 else '-') + ('x' if bits & 1 else '-')
    return out


@dataclass
class ClientKeyringSpec:
    """One managed keyring (cephadm's ``ClientKeyringSpec``)."""

    entity: str
    placement: "PlacementSpec"
    mode: int = 0o600
    uid: int = 0
    gid: int = 0
    include_ceph_conf: bool = True

    @property
    def path(self) -> str:
        return f"/etc/ceph/ceph.{self.entity}.keyring"

    def to_json(self) -> Dict[str, Any]:
        return {"entity": self.entity, "placement": self.placement.to_json(),
                "mode": self.mode, "uid": self.uid, "gid": self.gid,
                "include_ceph_conf": self.include_ceph_conf}

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "ClientKeyringSpec":
        from ceph_orch_cli.deployment.service_spec import PlacementSpec
        return cls(entity=data["entity"], placement=PlacementSpec.from_json(data["placement"]),
                   mode=int(data.get("mode", 0o600)), uid=int(data.get("uid", 0)),
                   gid=int(data.get("gid", 0)),
                   include_ceph_conf=bool(data.get("include_ceph_conf", True)))


class KeyringFiles(Protocol):
    """How a backend puts the files on a host: ``files`` maps a path to its meta (write) or
    to None (remove). Raises (HostUnreachable, HostActionError) when the host cannot."""

    def write(self, host: "HostSpec", files: Dict[str, Optional[FileMeta]]) -> None:
        ...


class RecordedFiles:
    """The local backend's hosts are simulated: recording the files is writing them."""

    def write(self, host: "HostSpec", files: Dict[str, Optional[FileMeta]]) -> None:
        return None


def parse_owner(owner: Optional[str]) -> tuple:
    if not owner:
        return 0, 0
    try:
        uid, gid = (int(x) for x in owner.split(':'))
    except ValueError:
        raise OrchestratorError(f'invalid owner {owner!r}: give it as <uid>:<gid>, e.g. 0:0',
                                errno=-errno.EINVAL) from None
    return uid, gid


def parse_mode(mode: Optional[str]) -> int:
    if not mode:
        return 0o600
    try:
        value = int(mode, 8)
    except ValueError:
        value = -1
    if not 0 <= value <= 0o777:
        raise OrchestratorError(f'invalid mode {mode!r}: give it in octal, e.g. 600',
                                errno=-errno.EINVAL)
    return value


class ClientKeyrings:
    """The managed client keyrings and the files they put on hosts."""

    def __init__(self, core: "EngineCore", files: Optional[KeyringFiles] = None) -> None:
        self.core = core
        self.store = core.store
        self.files: KeyringFiles = files or RecordedFiles()

    # -- the specs ------------------------------------------------------------------------
    def specs(self) -> List[ClientKeyringSpec]:
        raw = self.store.get_setting(KEYRINGS_SETTING, {}) or {}
        return [ClientKeyringSpec.from_json(v) for _, v in sorted(raw.items())]

    @handle_orch_error
    def client_keyring_ls(self) -> List[ClientKeyringSpec]:
        return self.specs()

    @handle_orch_error
    def client_keyring_set(self, entity: str, placement: str, owner: Optional[str] = None,
                           mode: Optional[str] = None, no_ceph_conf: bool = False) -> str:
        from ceph_orch_cli.deployment.service_spec import PlacementSpec
        if not entity.startswith('client.') or entity == 'client.':
            raise OrchestratorError(f'invalid entity {entity!r}: client keyrings are for '
                                    'client.* entities', errno=-errno.EINVAL)
        uid, gid = parse_owner(owner)
        spec = ClientKeyringSpec(entity, PlacementSpec.from_string(placement),
                                 mode=parse_mode(mode), uid=uid, gid=gid,
                                 include_ceph_conf=not no_ceph_conf)
        # the writer lock around the read-modify-write: another admin host's change is seen
        with self.store.writer(), self.store.transaction():
            raw = dict(self.store.get_setting(KEYRINGS_SETTING, {}) or {})
            raw[entity] = spec.to_json()
            self.store.set_setting(KEYRINGS_SETTING, raw)
        self.sync()
        return ''

    @handle_orch_error
    def client_keyring_rm(self, entity: str) -> str:
        with self.store.writer(), self.store.transaction():
            raw = dict(self.store.get_setting(KEYRINGS_SETTING, {}) or {})
            if entity not in raw:
                return ''  # as cephadm: removing an unmanaged entity is not an error
            del raw[entity]
            self.store.set_setting(KEYRINGS_SETTING, raw)
        self.sync()
        return ''

    # -- the files on the hosts -----------------------------------------------------------
    def host_files(self) -> Dict[str, Dict[str, FileMeta]]:
        """What each host holds: ``{hostname: {path: meta}}``."""
        return {h: dict(files) for h, files in
                (self.store.get_setting(FILES_SETTING, {}) or {}).items()}

    def desired(self, hosts: List["HostSpec"]) -> Dict[str, Dict[str, FileMeta]]:
        want: Dict[str, Dict[str, FileMeta]] = {h.hostname: {} for h in hosts}
        for spec in self.specs():
            for name in spec.placement.filter_matching_hostspecs(hosts):
                files = want.setdefault(name, {})
                files[spec.path] = {"entity": spec.entity, "mode": spec.mode,
                                    "uid": spec.uid, "gid": spec.gid}
                if spec.include_ceph_conf:
                    files[CEPH_CONF] = {"entity": None, "mode": 0o644, "uid": 0, "gid": 0}
        return want

    def sync(self) -> Optional[Dict[str, List[str]]]:
        """Bring every reachable host's files to what the specs want; return what changed
        per host (None when nothing did). A host that fails keeps its old record and is
        tried again on the next pass."""
        all_hosts = self.core.host_specs()
        reachable = [h for h in all_hosts
                     if (h.status or '').lower() not in ('offline', 'maintenance')]
        known = {h.hostname for h in all_hosts}
        want = self.desired(reachable)
        have = self.host_files()
        changes: Dict[str, Dict[str, Optional[FileMeta]]] = {}
        for host in reachable:
            cur, new = have.get(host.hostname, {}), want.get(host.hostname, {})
            delta: Dict[str, Optional[FileMeta]] = {p: m for p, m in new.items()
                                                     if cur.get(p) != m}
            delta.update({p: None for p in cur if p not in new})
            if delta:
                changes[host.hostname] = delta
        gone = [h for h in have if h not in known]  # removed hosts: forget their files
        if not changes and not gone:
            return None
        by_name = {h.hostname: h for h in reachable}
        results = self.core.driver.map_hosts(
            lambda h: self.files.write(h, changes[h.hostname]),
            [by_name[n] for n in changes])
        done: Dict[str, List[str]] = {}
        with self.store.transaction():
            record = self.host_files()
            for name, result in results.items():
                if isinstance(result, BaseException):
                    continue
                files = record.setdefault(name, {})
                for path, meta in changes[name].items():
                    if meta is None:
                        files.pop(path, None)
                    else:
                        files[path] = meta
                if not files:
                    record.pop(name, None)
                done[name] = sorted(changes[name])
            for name in gone:
                record.pop(name, None)
            self.store.set_setting(FILES_SETTING, record)
        return done or None
