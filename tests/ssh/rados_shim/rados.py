"""A stand-in for python3-rados on SSH test hosts (the Ceph cluster is an edge these tests
cannot run; tests/realceph runs the real one).

The agent imports ``rados`` for the cluster's config-key store and its locks; this module,
put first on the hosts' PYTHONPATH, answers the mon commands orch's shared state sends
(``config-key get/set/rm/dump``, ``auth add/get/rm``, ``osd stat``) from one JSON file per
"cluster" (``$RADOS_SHIM_CLUSTER``, else ``<agent root>/rados-cluster.json``) under an
flock, with the mons' answers. It has no pools, so the writer lock is the mon lock.
"""
import errno
import fcntl
import json
import os


class Error(Exception):
    pass


class ObjectNotFound(Error):
    pass


class ObjectBusy(Error):
    pass


class ObjectExists(Error):
    pass


def _path():
    root = os.environ.get("ORCH_AGENT_ROOT") or "/"
    return os.environ.get("RADOS_SHIM_CLUSTER") or os.path.join(root, "rados-cluster.json")


class Rados:
    def __init__(self, conffile=None, name=None, conf=None):
        self.conffile = conffile

    def connect(self, timeout=0):
        return None

    def shutdown(self):
        return None

    def conf_get(self, name):
        return {"osd_pool_default_size": "3"}.get(name)

    def pool_exists(self, pool):
        return False

    def mgr_command(self, cmd, inbuf, timeout=0):
        return -errno.EINVAL, b"", "no mgr in the rados shim"

    def mon_command(self, cmd, inbuf, timeout=0):
        cmd = json.loads(cmd)
        path = _path()
        with open(path + ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                with open(path) as f:
                    state = json.load(f)
            except (OSError, ValueError):
                state = {}
            keys = state.setdefault("keys", {})
            auth = state.setdefault("auth", {})
            ret, out, err = _answer(cmd, inbuf, keys, auth)
            with open(path + ".new", "w") as f:
                json.dump(state, f)
            os.replace(path + ".new", path)
            with open(path + ".calls", "a") as f:
                f.write(json.dumps(cmd.get("prefix")) + "\n")
        return ret, out, err


def _answer(cmd, inbuf, keys, auth):
    prefix = cmd.get("prefix")
    if prefix == "config-key get":
        if cmd["key"] not in keys:
            return -errno.ENOENT, b"", "Error ENOENT: "
        return 0, keys[cmd["key"]].encode(), ""
    if prefix == "config-key set":
        keys[cmd["key"]] = cmd["val"]
        return 0, b"", "set " + cmd["key"]
    if prefix == "config-key rm":
        keys.pop(cmd["key"], None)
        return 0, b"", "key deleted"
    if prefix == "config-key dump":
        return 0, json.dumps({k: v for k, v in keys.items()
                              if k.startswith(cmd.get("key") or "")}).encode(), ""
    entity = cmd.get("entity")
    if prefix == "auth add":
        key = (inbuf.decode() if isinstance(inbuf, bytes) else inbuf).split("key = ", 1)[1].strip()
        if auth.get(entity, key) != key:
            return -errno.EEXIST, b"", "entity %s exists but key does not match" % entity
        auth[entity] = key
        return 0, b"", "added key for " + entity
    if prefix == "auth get":
        if entity not in auth:
            return -errno.ENOENT, b"", "failed to find %s in keyring" % entity
        return 0, json.dumps([{"entity": entity, "key": auth[entity]}]).encode(), ""
    if prefix == "auth rm":
        auth.pop(entity, None)
        return 0, b"", "updated"
    if prefix == "osd stat":
        return 0, json.dumps({"num_osds": 0, "num_up_osds": 0, "num_in_osds": 0}).encode(), ""
    return -errno.EINVAL, b"", "command not known to the rados shim: %s" % prefix
