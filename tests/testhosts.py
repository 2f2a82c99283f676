"""Real sshd test hosts on one machine, for the SSH backend's tests and benchmarks.

Test infrastructure, kept in the test tree (not shipped with the package): the SSH tests,
the real-cluster tests and ``benchmarks/ssh_refresh.py`` all start hosts the same way through
it (the benchmark puts ``tests/`` on ``sys.path``). Each host is
a real ``/usr/sbin/sshd`` on its own loopback address (127.0.0.11, .12, ...), PID 1 of its own
UTS, mount and PID namespaces (so ``hostname`` answers ``hostN``, killing it kills its
daemons, and the host's root is bound over /etc/ceph, /var/lib/ceph, /var/log/ceph and
/run/ceph), with its own host key and sshd_config, and an
environment (``SetEnv``) that gives its agent a private root and, optionally, loop devices
as disks. The container engine is the one faked edge: a ``podman`` shim on PATH records every
call as a JSON line in ``<root>/engine-calls.jsonl`` and answers run/stop/start/rm/ps/inspect
from ``<root>/engine-state.json``. A ``ceph`` shim answers the few ``ceph`` commands the
backend asks, from ``<root>/ceph-cluster.json``; a real cluster cannot run here.

Needs root (sshd, ``unshare``, ``losetup``). Only the processes started here are ever
killed, by pid.
"""
from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional

SSHD = "/usr/sbin/sshd"

ENGINE_SHIM = r'''#!@PYTHON@
"""A fake container engine: records each call, keeps container state in a JSON file."""
import fcntl, hashlib, json, os, sys, time
root = os.environ.get("ORCH_AGENT_ROOT") or "/"
args = sys.argv[1:]
with open(os.path.join(root, "engine-calls.jsonl"), "a") as f:
    f.write(json.dumps(args) + "\n")
sub = args[0] if args else ""
fail_path = os.path.join(root, "engine-fail")
if os.path.exists(fail_path) and sub in open(fail_path).read().split():
    sys.stderr.write("Error: %s failed (shim told to fail)\n" % sub)
    sys.exit(125)
state_path = os.path.join(root, "engine-state.json")
lock = open(state_path + ".lock", "a")
fcntl.flock(lock, fcntl.LOCK_EX)
try:
    state = json.load(open(state_path))
except (OSError, ValueError):
    state = {}
def save():
    with open(state_path + ".new", "w") as f:
        json.dump(state, f)
    os.replace(state_path + ".new", state_path)
def missing(name):
    sys.stderr.write('Error: no container with name or ID "%s" found: no such container\n' % name)
    sys.exit(125)
def image_id(image):
    return hashlib.sha256(image.encode()).hexdigest()
# `podman run` options that take a value as the next word; the first word that is not an
# option (or an option's value) is the image, as podman parses it
VALUE_OPTIONS = {"-e", "--env", "-v", "--volume", "--name", "--entrypoint", "--mount",
                 "--memory", "-m", "--user", "-u", "--ulimit", "--env-file", "--log-driver",
                 "--conmon-pidfile", "--cidfile", "--security-opt", "--publish", "-p", "--dns",
                 "--hostname", "-h", "--group-add", "--cap-add", "--net", "--network", "--ipc",
                 "--stop-signal", "--pids-limit", "--authfile", "--cgroups", "--cpus"}
def run_image(words):
    i = 0
    while i < len(words):
        w = words[i]
        if not w.startswith("-"):
            return w
        i += 2 if (w in VALUE_OPTIONS and "=" not in w) else 1
    return ""
def version_of(image):
    tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else "latest"
    tag = tag.lstrip("v")
    return {"19": "19.2.0", "18": "18.2.4", "17": "17.2.7"}.get(tag, tag if tag[:1].isdigit() else "19.2.0")
if sub == "image" and args[1:2] == ["inspect"]:
    image = args[-1]
    print(json.dumps([{"Id": image_id(image), "RepoDigests": ["%s@sha256:%s" % (image.rsplit(":", 1)[0], image_id(image))]}]))
elif sub == "run" and args[-1] == "--version" and "ceph" in args:
    image = run_image(args[1:])
    print("ceph version %s (0000000000000000000000000000000000000000) test-shim (stable)" % version_of(image))
elif sub == "run":
    delay_path = os.path.join(root, "engine-delay")
    if "-d" in args and os.path.exists(delay_path):
        lock.close()  # let other calls through while this one hangs
        open(os.path.join(root, "engine-delayed"), "w").close()
        time.sleep(float(open(delay_path).read() or 10))
        lock = open(state_path + ".lock", "a")
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = json.load(open(state_path)) if os.path.exists(state_path) else {}
    if "-d" in args and "--name" in args:
        name = args[args.index("--name") + 1]
        cid = hashlib.sha256(("%s%f" % (name, time.time())).encode()).hexdigest()
        image = run_image(args[1:])
        state[name] = {"Id": cid, "State": "running", "Image": image, "Names": [name]}
        save()
        print(cid)
elif sub in ("start", "stop", "restart"):
    name = args[-1]
    if name not in state:
        missing(name)
    state[name]["State"] = "exited" if sub == "stop" else "running"
    save()
    print(name)
elif sub == "rm":
    name = args[-1]
    if name not in state and "-f" not in args:
        missing(name)
    state.pop(name, None)
    save()
elif sub == "ps":
    print(json.dumps(list(state.values())))
elif sub == "inspect":
    name = args[-1]
    if name not in state:
        missing(name)
    c = state[name]
    print(json.dumps([{"Id": c["Id"], "Name": name, "State": {"Status": c["State"],
                       "Running": c["State"] == "running"}}]))
elif sub in ("version", "--version"):
    print("podman version 5.0.0 (test shim)")
elif sub == "login":
    # as podman: the password on stdin (--password-stdin), the login kept in the authfile
    import base64
    user, url = args[args.index("-u") + 1], args[-1]
    auth = [a.split("=", 1)[1] for a in args if a.startswith("--authfile=")]
    secret = sys.stdin.read().strip() if "--password-stdin" in args else ""
    if auth:
        with open(auth[0], "w") as f:
            token = base64.b64encode(("%s:%s" % (user, secret)).encode()).decode()
            json.dump({"auths": {url: {"auth": token}}}, f)
    print("Login Succeeded!")
else:
    sys.stderr.write("Error: unknown command %r for the test shim\n" % sub)
    sys.exit(125)
'''

CEPH_SHIM = r'''#!@PYTHON@
"""A fake ``ceph`` CLI over ``<root>/ceph-cluster.json``; records each call and answers as
real Pacific does (``reference/real-ceph.md`` section 5): the exit status, stdout and stderr
of the real command, for every command the engine sends."""
import json, os, sys
root = os.environ.get("ORCH_AGENT_ROOT") or "/"
args = [a for a in sys.argv[1:]]
with open(os.path.join(root, "ceph-calls.jsonl"), "a") as f:
    f.write(json.dumps(args) + "\n")
as_json = args[-2:] == ["--format", "json"]
if as_json:
    args = args[:-2]
path = os.path.join(root, "ceph-cluster.json")
try:
    cluster = json.load(open(path))
except (OSError, ValueError):
    sys.stderr.write("Error initializing cluster client: ObjectNotFound('RADOS object not found')\n")
    sys.exit(2)
osds = cluster.setdefault("osds", {})
def save():
    json.dump(cluster, open(path, "w"))
def out(obj):
    print(json.dumps(obj))
def err(text, rc=0):
    sys.stderr.write(text + "\n")
    sys.exit(rc)
def enoent(i):
    err("Error ENOENT: osd.%s does not exist" % i, 2)
def is_up(o):
    return o is not None and o.get("status", "up") == "up"
cmd = args[:2]
if args == ["fsid"]:
    out({"fsid": cluster["fsid"]})
elif cmd == ["osd", "ok-to-stop"]:
    ids = [int(i) for i in args[2:]]
    busy = [i for i in args[2:] if i in cluster.get("not_ok_to_stop", [])]
    pgs = sum(osds.get(str(i), {}).get("pgs", 0) for i in ids)
    out({"ok_to_stop": not busy, "osds": ids, "num_ok_pgs": 0 if busy else pgs,
         "num_not_ok_pgs": pgs if busy else 0})
    if busy:
        err("Error EBUSY: unsafe to stop osd(s) at this time (%d PGs are or would become "
            "offline)" % pgs, 16)
elif cmd == ["mon", "ok-to-stop"]:
    # real Pacific: stdout stays empty even with --format json; the answer is on stderr
    mons = [m for m in cluster.get("mons", []) if m not in args[2:]]
    if [i for i in args[2:] if i in cluster.get("not_ok_to_stop", [])]:
        err("Error EBUSY: not enough monitors would be available (%s) after stopping mons [%s]"
            % (",".join(mons), ",".join(args[2:])), 16)
    err("quorum should be preserved (%s) after stopping [%s]" % (",".join(mons), ",".join(args[2:])))
elif cmd == ["mds", "ok-to-stop"]:
    if [i for i in args[2:] if i in cluster.get("not_ok_to_stop", [])]:
        err("Error EBUSY: insufficent standby MDS daemons to stop active gids %s" % ",".join(args[2:]), 16)
    err("should be safe to stop [%s]" % ",".join(args[2:]))
elif cmd == ["osd", "safe-to-destroy"]:
    ids = [int(i) for i in args[2:]]
    unsafe = [i for i in ids if osds.get(str(i), {}).get("pgs", 0) > 0]
    safe = [i for i in ids if i not in unsafe]
    if as_json:  # with --format json real Ceph exits 0 and lists the safe ids only
        out({"safe_to_destroy": safe,
             "active": [i for i in unsafe if is_up(osds.get(str(i)))],
             "missing_stats": [],
             "stored_pgs": [i for i in unsafe if not is_up(osds.get(str(i)))]})
        sys.exit(0)
    if unsafe:
        err("Error EBUSY: OSD(s) %s have %d pgs currently mapped to them. " % (
            ",".join(str(i) for i in unsafe), sum(osds[str(i)]["pgs"] for i in unsafe)), 16)
    err("OSD(s) %s are safe to destroy without reducing data durability." % ",".join(args[2:]))
elif cmd == ["pg", "ls-by-osd"]:
    o = osds.get(args[2])
    if not is_up(o):  # a down or unknown OSD: EAGAIN, and a stub on stdout
        out({"pg_ready": True})
        err("osd %s is not up" % args[2], 11)
    if o.get("weight", 1.0) == 0 and o.get("pgs", 0) > 0:
        o["pgs"] -= 1
        save()
    out({"pg_ready": True, "pg_stats": [{"pgid": "1.%x" % n} for n in range(o.get("pgs", 0))]})
elif args[:2] == ["osd", "tree"]:
    only_destroyed = args[2:] == ["destroyed"]
    nodes, hosts = [], {}
    for i, o in sorted(osds.items(), key=lambda kv: int(kv[0])):
        if only_destroyed and o.get("status") != "destroyed":
            continue
        nodes.append({"id": int(i), "name": "osd.%s" % i, "type": "osd",
                      "crush_weight": o.get("weight", 1.0), "status": o.get("status", "up")})
        hosts.setdefault(o["host"], []).append(int(i))
    for n, (h, ids) in enumerate(sorted(hosts.items())):
        nodes.append({"id": -2 - n, "name": h, "type": "host", "children": ids})
    out({"nodes": nodes, "stray": []})
elif cmd in (["osd", "set-group"], ["osd", "unset-group"]):
    flags = cluster.setdefault("group_flags", {})
    for who in args[3:]:
        have = set(flags.get(who, []))
        (have.add if args[1] == "set-group" else have.discard)(args[2])
        flags[who] = sorted(have)
    save()
elif cmd == ["config", "set"] and len(args) == 5:
    cluster.setdefault("config", {}).setdefault(args[2], {})[args[3]] = args[4]
    save()
elif cmd == ["config-key", "set"] and len(args) in (4, 5):
    value = sys.stdin.read() if args[3:] == ["-i", "-"] else args[3]
    cluster.setdefault("config_keys", {})[args[2]] = value
    save()
    err("set %s" % args[2])
elif args[:2] == ["osd", "ls"]:
    out(sorted(int(i) for i in osds))
elif args[:3] == ["osd", "crush", "reweight"]:
    i = args[3].split(".", 1)[1]
    if i not in osds:
        err("Error ENOENT: device '%s' does not appear in the crush map" % args[3], 2)
    osds[i]["weight"] = float(args[4])
    save()
    err("reweighted item id %s name '%s' to %s in crush map" % (i, args[3], args[4]))
elif cmd in (["osd", "out"], ["osd", "in"], ["osd", "down"]):
    i = args[2]
    if i not in osds:  # real Pacific: not an error
        err("osd.%s does not exist. " % i)
    if args[1] == "down":
        osds[i]["status"] = "down"
    else:
        osds[i]["in"] = args[1] == "in"
    save()
    err("marked %s osd.%s. " % (args[1], i))
elif cmd in (["osd", "destroy"], ["osd", "purge"]):
    i = args[2]
    if i not in osds:
        enoent(i)
    if args[1] == "destroy" and is_up(osds[i]):
        err("Error EBUSY: osd.%s is not `down`." % i, 16)
    if args[1] == "purge":
        del osds[i]
    else:
        osds[i]["status"] = "destroyed"
    save()
    err("%s osd.%s" % ("purged" if args[1] == "purge" else "destroyed", i))
elif cmd in (["osd", "set"], ["osd", "unset"]) and len(args) == 3:
    flags = cluster.setdefault("flags", [])
    if args[1] == "set" and args[2] not in flags:
        flags.append(args[2])
    elif args[1] == "unset" and args[2] in flags:
        flags.remove(args[2])
    save()
    err("%s is %s" % (args[2], "set" if args[1] == "set" else "unset"))
else:
    err("no valid command found (test shim): %s" % " ".join(args), 22)
'''


UDEVADM_SHIM = r'''#!/bin/sh
# udevadm stand-in for hosts without udev: ceph-volume asks it what a block device is
for a in "$@"; do dev="$a"; done
case "$dev" in /sys/*) name=$(basename "$dev");; *) name=$(basename "$(readlink -f "$dev")");; esac
echo "DEVNAME=/dev/$name"; echo "DEVTYPE=disk"; echo "SUBSYSTEM=block"
if [ -r "/sys/class/block/$name/dev" ]; then
  IFS=: read ma mi < "/sys/class/block/$name/dev"; echo "MAJOR=$ma"; echo "MINOR=$mi"
fi
exit 0
'''

#: the host's directories bound over the machine's own, inside the host's mount namespace
HOST_DIRS = ("etc/ceph", "var/lib/ceph", "var/log/ceph", "run/ceph")


@dataclass
class TestHost:
    """One sshd test host and where its agent keeps its state."""

    __test__ = False  # not a pytest test class

    name: str
    addr: str
    port: int
    root: Path
    dir: Path
    devices: List[str] = field(default_factory=list)
    process: Optional[subprocess.Popen] = None

    @property
    def pid(self) -> Optional[int]:
        return self.process.pid if self.process is not None else None

    def spec(self):
        """The host as the orchestrator knows it (a HostSpec)."""
        from ceph_orch_cli.deployment.hostspec import HostSpec
        return HostSpec(self.name, addr=self.addr)

    def outer_pid(self, pid: int) -> Optional[int]:
        """This machine's pid of the host's process ``pid`` (as the host sees it, in its own
        PID namespace), or None when the host has no such process."""
        if self.process is None:
            return None
        for outer in _descendants(self.process.pid):
            try:
                with open(f"/proc/{outer}/status") as f:
                    ns = [line.split()[1:] for line in f if line.startswith("NSpid:")]
            except OSError:
                continue
            if ns and len(ns[0]) > 1 and ns[0][-1] == str(pid):
                return outer
        return None

    def run(self, argv: List[str], timeout: float = 120.0,
            stdin: Optional[bytes] = None) -> subprocess.CompletedProcess:
        """Run ``argv`` inside the host (its UTS, mount and PID namespaces), as a shell on
        the host would: an operator's ``ceph -s`` on an admin host."""
        init = self.outer_pid(1)
        if init is None:
            raise RuntimeError(f"{self.name} is not running")
        return subprocess.run(["nsenter", "-t", str(init), "--uts", "--mount", "--pid", "--",
                               "env", "PATH=/usr/bin:/bin:/usr/sbin:/sbin", "HOME=/root"]
                              + list(argv), capture_output=True, timeout=timeout, input=stdin)

    def kill(self, pid: int, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to the host's process ``pid`` (a pid the host's agent reported)."""
        outer = self.outer_pid(pid)
        if outer is None:
            raise ProcessLookupError(f"{self.name} has no process {pid}")
        os.kill(outer, sig)

    def engine_calls(self) -> List[List[str]]:
        """Every container engine call the agent made on this host, in order."""
        path = self.root / "engine-calls.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def clear_engine_calls(self) -> None:
        (self.root / "engine-calls.jsonl").unlink(missing_ok=True)


def missing_requirements() -> Optional[str]:
    """Why test hosts cannot start here, or None when they can."""
    if os.geteuid() != 0:
        return "SSH test hosts need root (sshd, unshare --uts, losetup)"
    if not os.access(SSHD, os.X_OK):
        return f"{SSHD} is not installed (Debian package openssh-server)"
    for tool in ("unshare", "ssh-keygen"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return None


def _descendants(root_pid: int) -> List[int]:
    """Every live process below ``root_pid`` (from /proc), children first seen first."""
    children: Dict[int, List[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root_pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _python() -> str:
    return "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable


def write_shims(shim_dir: Path, ceph_shim: bool = True) -> None:
    """Write the ``podman`` shim (and the ``ceph`` shim, unless a real cluster answers)
    into ``shim_dir``, and a ``udevadm`` stand-in where the machine has no udev."""
    shim_dir.mkdir(parents=True, exist_ok=True)
    shims = [("podman", ENGINE_SHIM)] + ([("ceph", CEPH_SHIM)] if ceph_shim else [])
    if shutil.which("udevadm") is None:
        shims.append(("udevadm", UDEVADM_SHIM))
    for name, text in shims:
        path = shim_dir / name
        path.write_text(text.replace("@PYTHON@", _python()))
        path.chmod(0o755)


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "orch-test", "-f", str(path)],
                   check=True, capture_output=True)


def _free_port(addrs: List[str]) -> int:
    """A port free on every test address (they share one port number, like real hosts)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind((addrs[0], 0))
            port = s.getsockname()[1]
        ok = True
        for addr in addrs[1:]:
            with socket.socket() as s:
                try:
                    s.bind((addr, port))
                except OSError:
                    ok = False
                    break
        if ok:
            return port
    raise RuntimeError("no free port on the test addresses")


class SSHTestHosts:
    """Start, stop and restart N sshd test hosts under one base directory."""

    def __init__(self, base: Path, count: int, disks: Optional[List[int]] = None,
                 first: int = 11, ceph_shim: bool = True,
                 env: Optional[Dict[str, str]] = None) -> None:
        self.base = Path(base)
        #: more variables every session on the hosts gets (e.g. PYTHONPATH for a shim)
        self.env = dict(env or {})
        self.count = count
        self.disk_sizes = list(disks or [])
        self.hosts: List[TestHost] = []
        self.client_key = self.base / "client_key"
        self.shim_dir = self.base / "shims"
        self.first = first
        #: False for real-cluster tests: the real `ceph` answers, not the shim
        self.ceph_shim = ceph_shim
        self.loop_error: Optional[str] = None
        self._loops: List[str] = []

    # -- setup -----------------------------------------------------------------------------
    def start(self) -> "SSHTestHosts":
        reason = missing_requirements()
        if reason:
            raise RuntimeError(reason)
        self.base.mkdir(parents=True, exist_ok=True)
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation dir
        if not self.client_key.exists():
            _keygen(self.client_key)
        self._write_shims()
        addrs = [f"127.0.0.{self.first + i}" for i in range(self.count)]
        port = _free_port(addrs)
        try:
            for i, addr in enumerate(addrs):
                host = TestHost(name=f"host{i + 1}", addr=addr, port=port,
                                root=self.base / f"host{i + 1}" / "root", dir=self.base / f"host{i + 1}")
                host.root.mkdir(parents=True, exist_ok=True)
                _keygen(host.dir / "ssh_host_ed25519_key")
                host.devices = [self._attach_loop(host, n, size) for n, size in enumerate(self.disk_sizes)]
                host.devices = [d for d in host.devices if d]
                self.hosts.append(host)
                self._launch(host)
            for host in self.hosts:
                self.wait_ready(host)
        except BaseException:
            self.close()
            raise
        return self

    def _write_shims(self) -> None:
        write_shims(self.shim_dir, self.ceph_shim)

    def _attach_loop(self, host: TestHost, n: int, size: int) -> Optional[str]:
        if shutil.which("losetup") is None:
            self.loop_error = "losetup is not installed"
            return None
        backing = host.dir / f"disk{n}.img"
        with open(backing, "wb") as f:
            f.truncate(size)  # sparse: no real space used
        result = subprocess.run(["losetup", "-f", "--show", str(backing)], capture_output=True, text=True)
        if result.returncode != 0:
            self.loop_error = f"losetup failed: {result.stderr.strip()}"
            return None
        path = result.stdout.strip()
        self._loops.append(path)
        return path

    def _sshd_config(self, host: TestHost) -> Path:
        authorized = host.dir / "authorized_keys"
        authorized.write_text((self.client_key.with_suffix(".pub")).read_text())
        env = [f"ORCH_AGENT_ROOT={host.root}",
               f"PATH={self.shim_dir}:/usr/bin:/bin:/usr/sbin:/sbin",
               f"ORCH_CONTAINER_ENGINE={self.shim_dir / 'podman'}",
               f"ORCH_AGENT_DEVICES={':'.join(host.devices)}"] + \
            [f"{k}={v}" for k, v in self.env.items()]
        config = host.dir / "sshd_config"
        config.write_text("\n".join([
            f"ListenAddress {host.addr}",
            f"Port {host.port}",
            f"PidFile {host.dir / 'sshd.pid'}",
            f"HostKey {host.dir / 'ssh_host_ed25519_key'}",
            f"AuthorizedKeysFile {authorized}",
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "StrictModes no",
            "UseDNS no",
            "PrintMotd no",
            "MaxStartups 200",
            "MaxSessions 100",
            "Subsystem sftp internal-sftp",
            "SetEnv " + " ".join(env),
            "",
        ]))
        return config

    def _launch(self, host: TestHost) -> None:
        config = self._sshd_config(host)
        log = open(host.dir / "sshd.log", "ab")
        # A fresh host's root has no interactive shell setup: in its own mount namespace,
        # hide this machine's ~/.bashrc (pyenv and the like cost ~100 ms per command and
        # put their PATH before the shims). unshare (no --fork) and sh both exec, so the pid
        # we hold is sshd's own.
        empty = self.base / "empty-bashrc"
        empty.touch()
        hide = "true"
        bashrc = Path(os.path.expanduser("~root")) / ".bashrc"
        if bashrc.exists():
            hide = f'mount --bind "$2" {shlex.quote(str(bashrc))}'
        # sshd is PID 1 of the host's own PID namespace, so killing it kills every daemon
        # of the host (a crash) and starting it again is a reboot; the host's root is bound
        # over /etc/ceph, /var/lib/ceph, /var/log/ceph and /run/ceph, so Ceph's tools run
        # with their plain defaults inside it.
        binds = " && ".join(
            f'mkdir -p "$3/{d}" /{d} && mount --bind "$3/{d}" /{d}' for d in HOST_DIRS)
        host.process = subprocess.Popen(
            ["unshare", "--uts", "--mount", "--pid", "--fork", "--mount-proc",
             "--propagation", "private", "sh", "-c",
             f'{hide} && hostname "$0" && {binds} && exec {SSHD} -D -e -f "$1"',
             host.name, str(config), str(empty), str(host.root)],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()

    def wait_ready(self, host: TestHost, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if host.process is not None and host.process.poll() is not None:
                raise RuntimeError(f"sshd for {host.name} exited: {(host.dir / 'sshd.log').read_text()[-500:]}")
            try:
                with socket.create_connection((host.addr, host.port), timeout=0.5) as s:
                    if s.recv(4).startswith(b"SSH-"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"sshd for {host.name} did not accept connections on {host.addr}:{host.port}")

    # -- control ---------------------------------------------------------------------------
    def stop(self, host: TestHost) -> None:
        """Kill this host's sshd (and the sessions it forked) as a crashed host would."""
        if host.process is None:
            return
        # sshd's per-connection children start their own sessions, so collect the whole
        # tree under the sshd we started before killing it: open connections die too
        for pid in [host.process.pid] + _descendants(host.process.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        host.process.wait(timeout=10)
        host.process = None

    def restart(self, host: TestHost) -> None:
        self.stop(host)
        self._launch(host)
        self.wait_ready(host)

    def new_host_key(self, host: TestHost) -> None:
        """Replace the host's key (a reinstalled host, or an impostor) and restart sshd."""
        for suffix in ("", ".pub"):
            (host.dir / f"ssh_host_ed25519_key{suffix}").unlink(missing_ok=True)
        _keygen(host.dir / "ssh_host_ed25519_key")
        self.restart(host)

    def ssh_config(self) -> str:
        """An OpenSSH client config naming every host (HostName, Port, User)."""
        return "".join(f"Host {h.name}\n    HostName {h.addr}\n    Port {h.port}\n    User root\n"
                       for h in self.hosts)

    def write_ceph_cluster(self, host: TestHost, cluster: Dict) -> None:
        (host.root / "ceph-cluster.json").write_text(json.dumps(cluster))

    def __iter__(self) -> Iterator[TestHost]:
        return iter(self.hosts)

    def close(self) -> None:
        for host in self.hosts:
            self.stop(host)
        for loop in self._loops:
            subprocess.run(["losetup", "-d", loop], capture_output=True)
        self._loops.clear()

    def __enter__(self) -> "SSHTestHosts":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
