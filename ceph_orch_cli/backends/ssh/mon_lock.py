"""The writer lock before the lock pool exists: an atomic create-if-absent on the mons.

The RADOS lock (``shared_state.ClusterLock``) needs the pool ``orch`` with an active
placement group, so it exists only once enough OSDs are up. From ``orch bootstrap`` until
then two admin hosts would write unserialised. A ``config-key`` record written and read
back is no lock (two writers can both read back their own value before the other's lands).
What the mons do offer atomically is cephx: they commit one proposal at a time, and ``auth
add ENTITY -i KEYRING`` of an entity that exists with another key fails with EEXIST (an
entity still pending in a proposal is answered once the proposal commits). So:

- **take**: add ``client.orch-lock`` with a key made for this attempt. 0: held (no caps: the
  key lets no one do anything). EEXIST: someone else holds it.
- **who**: the holder writes ``mgr/orch-lock/holder`` (config-key, outside ``mgr/orch/`` so
  it is not part of the state): its host, pid, state dir, the fingerprint of its key and a
  counter ``beat`` it raises at every renewal (a third of the lease).
- **lease**: a waiter watches the lock's key and the holder's beat on its own clock (no
  clocks are compared across hosts). When neither changed for a whole lease, the holder is
  dead: the waiter takes it over. Taking over is itself a create-if-absent, of
  ``client.orch-lock-steal-<fingerprint of the dead key>``: of several waiters one wins; it
  checks that the lock still has the dead key, removes it, removes its steal entity and
  competes for the lock like anyone. A late waiter that wins the steal entity afterwards
  finds another key on the lock and does nothing.
- **release**: remove the lock entity if it still has this holder's key.

Once the pool exists, writers take the RADOS lock; a writer that holds the mon lock also
checks the RADOS lock (and holds both, or backs off when it is taken), and a writer that
takes the RADOS lock backs off while a live mon lock is held (a dead one it removes). So the
change from one lock to the other never lets two writers in.
"""
from __future__ import annotations

import base64
import errno
import hashlib
import json
import os
import struct
import time
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from ceph_orch_cli.orchestrator.errors import OrchestratorError

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.backends.ssh.shared_state import StateRemote

ENTITY = "client.orch-lock"
STEAL_PREFIX = "client.orch-lock-steal-"
HOLDER_KEY = "mgr/orch-lock/holder"


def new_key() -> str:
    """A fresh cephx secret, encoded as keyrings hold it (type AES, creation time, 16 bytes)."""
    return base64.b64encode(struct.pack("<HIIH", 1, int(time.time()), 0, 16)
                            + os.urandom(16)).decode()


def fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


class MonLock:
    """One admin host's side of the lock (module docstring). Not thread-safe: the caller
    (``ClusterLock``) serialises taking, renewing and releasing."""

    def __init__(self, remote: "StateRemote") -> None:
        self.remote = remote
        self.key: Optional[str] = None
        self.beat = 0
        self._seen: Optional[Tuple[str, Any]] = None
        self._seen_at = 0.0

    # -- mon commands ---------------------------------------------------------------------
    def _mon(self, cmd: Dict[str, Any], argv: List[str], inbuf: str = "") -> Tuple[int, str, str]:
        return self.remote.mon_command(cmd, argv, inbuf)

    def _checked(self, cmd: Dict[str, Any], argv: List[str], inbuf: str = "",
                 ok: Tuple[int, ...] = (0,)) -> Tuple[int, str]:
        rc, out, err = self._mon(cmd, argv, inbuf)
        if rc not in ok:
            raise OrchestratorError(f"`ceph {' '.join(argv)}` for the state lock failed "
                                    f"({rc}): {err.strip()[-300:]}", errno=-errno.EIO)
        return rc, out

    def _add(self, entity: str, key: str) -> bool:
        """Create ``entity`` with ``key``: True when it is now ours, False when another key
        holds it."""
        keyring = f"[{entity}]\n\tkey = {key}\n"
        rc, _ = self._checked({"prefix": "auth add", "entity": entity},
                              ["auth", "add", entity, "-i", "-"], keyring,
                              ok=(0, errno.EEXIST, errno.EINVAL))
        return rc == 0

    def _remove(self, entity: str) -> None:
        self._checked({"prefix": "auth rm", "entity": entity}, ["auth", "rm", entity],
                      ok=(0, errno.ENOENT))

    def current_key(self, entity: str = ENTITY) -> Optional[str]:
        rc, out = self._checked({"prefix": "auth get", "entity": entity, "format": "json"},
                                ["auth", "get", entity], ok=(0, errno.ENOENT))
        if rc == errno.ENOENT:
            return None
        try:
            entries = json.loads(out)
            return str(entries[0]["key"])
        except (ValueError, LookupError, TypeError):
            raise OrchestratorError(f"unreadable `auth get {entity}` answer for the state lock",
                                    errno=-errno.EIO) from None

    def _holder_record(self) -> Dict[str, Any]:
        rc, out = self._checked({"prefix": "config-key get", "key": HOLDER_KEY},
                                ["config-key", "get", HOLDER_KEY], ok=(0, errno.ENOENT))
        if rc == errno.ENOENT:
            return {}
        try:
            record = json.loads(out)
        except ValueError:
            return {}
        return record if isinstance(record, dict) else {}

    def _write_holder(self, me: Dict[str, Any]) -> None:
        assert self.key is not None
        record = dict(me, key_id=fingerprint(self.key), beat=self.beat)
        self._checked({"prefix": "config-key set", "key": HOLDER_KEY,
                       "val": json.dumps(record, sort_keys=True)},
                      ["config-key", "set", HOLDER_KEY, json.dumps(record, sort_keys=True)])

    # -- the lock --------------------------------------------------------------------------
    def try_lock(self, me: Dict[str, Any], lease: float) -> Tuple[bool, Dict[str, Any]]:
        """One attempt: (True, {}) when held now, else (False, the holder as it described
        itself). A holder silent for a lease is taken over first (module docstring)."""
        for _ in range(2):
            key = new_key()
            if self._add(ENTITY, key):
                self.key, self.beat = key, 0
                self._seen = None
                self._write_holder(me)
                return True, {}
            stale, holder = self._observe(lease)
            if stale is None:
                return False, holder
            self._take_over(stale)
        return False, holder

    def _observe(self, lease: float) -> Tuple[Optional[str], Dict[str, Any]]:
        """(the lock's key when its holder has been silent for ``lease`` seconds, else None;
        the holder's record)."""
        key = self.current_key()
        if key is None:
            self._seen = None
            return None, {}
        record = self._holder_record()
        mine = record.get("key_id") == fingerprint(key)
        seen = (fingerprint(key), record.get("beat") if mine else None)
        now = time.monotonic()
        if seen != self._seen:
            self._seen, self._seen_at = seen, now
            return None, record if mine else {}
        if now - self._seen_at >= lease:
            return key, record if mine else {}
        return None, record if mine else {}

    def _take_over(self, stale: str) -> None:
        steal = STEAL_PREFIX + fingerprint(stale)
        if not self._add(steal, new_key()):
            return  # another waiter is taking it over
        try:
            if self.current_key() == stale:
                self._remove(ENTITY)
        finally:
            self._remove(steal)
        self._seen = None

    def live_holder(self, lease: float) -> Optional[Dict[str, Any]]:
        """For a writer holding the RADOS lock: the mon lock's live holder, or None. A dead
        one is removed (no mon-lock writer can start meanwhile: it checks the RADOS lock
        after taking this one, and finds it held)."""
        if self.current_key() is None:
            self._seen = None
            return None
        stale, holder = self._observe(lease)
        if stale is None:
            return holder or {"host": "an orch that has not described itself yet"}
        if self.current_key() == stale:
            self._remove(ENTITY)
        self._seen = None
        return None

    def renew(self, me: Dict[str, Any]) -> bool:
        """Raise the beat; False when the lock is no longer this holder's."""
        if self.key is None or self.current_key() != self.key:
            return False
        self.beat += 1
        self._write_holder(me)
        return True

    def unlock(self) -> None:
        key, self.key = self.key, None
        if key is not None and self.current_key() == key:
            self._remove(ENTITY)
