#!/usr/bin/env python3
"""The host agent: what the SSH backend runs on every managed host.

It plays the part of cephadm's host binary, in one stdlib-only file that the backend
uploads over SFTP (to ``<root>/var/lib/ceph-orch/agent.<sha256>.py``) and runs as
``python3 <agent> <subcommand> [start|stop|restart|enter|exit]`` with one JSON document on
stdin and one on stdout. Nothing in a request ever reaches a shell: every external program
runs from an argv list, and names, fsids, images and device paths are checked against strict
patterns first, so a hostile value is refused here even if a caller forgot to check.

``ORCH_AGENT_ROOT`` (default ``/``) prefixes every path the agent writes, so several test
hosts can share one machine; ``ORCH_AGENT_DEVICES`` (``:``-separated device paths), when set,
limits the block devices this agent reports and may touch (several agents sharing one
machine each keep to their own disks). ``ORCH_CONTAINER_ENGINE`` names the container engine
(``podman`` or ``docker``, a name on PATH or an absolute path); without it podman, then
docker, is looked up on PATH.

Exit status 0 with the result on stdout; on failure a non-zero status and
``{"error": "<message>"}`` on stdout.
"""
# Only what every session needs is imported here: the agent starts on every host at every
# `orch` run, and shutil, platform, datetime and socket cost ~7 ms of CPU per start.
import errno
import json
import os
import re
import subprocess
import sys
import time

AGENT_VERSION = 1

HOSTNAME_RE = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
DAEMON_NAME_RE = re.compile(r"^(?=.{3,200}$)[a-z][a-z0-9-]*\.[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?$")
FSID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DEVICE_RE = re.compile(r"^/dev/[A-Za-z0-9][A-Za-z0-9_.:+-]*(?:/[A-Za-z0-9][A-Za-z0-9_.:+-]*)*$")
IMAGE_RE = re.compile(r"^(?=.{1,512}$)[A-Za-z0-9][A-Za-z0-9._/:@+-]*$")
SERVICE_NAME_RE = re.compile(r"^(?=.{1,200}$)[A-Za-z0-9][A-Za-z0-9_.-]*$")
IP_RE = re.compile(r"^[0-9A-Fa-f:.]{2,45}$")
ENGINE_RE = re.compile(r"^(?:/[A-Za-z0-9_.+-]+)*/?(?:podman|docker)$")

MIN_DEVICE_SIZE = 5 * 1024 ** 3  # ceph-volume's "Insufficient space (<5GB)" threshold


class AgentError(Exception):
    """A refused or failed request; its message goes back to the caller as JSON."""


# -- validation ----------------------------------------------------------------------------
def _check(pattern, value, what):
    if not isinstance(value, str) or not pattern.match(value) or ".." in value:
        raise AgentError("invalid %s: %r" % (what, value if isinstance(value, str) else type(value).__name__))
    return value


def valid_hostname(value):
    return _check(HOSTNAME_RE, value, "host name")


def valid_daemon_name(value):
    return _check(DAEMON_NAME_RE, value, "daemon name")


def valid_fsid(value):
    return _check(FSID_RE, value, "fsid")


def valid_device(value):
    return _check(DEVICE_RE, value, "device path")


def valid_image(value):
    return _check(IMAGE_RE, value, "container image")


def valid_service_name(value):
    return _check(SERVICE_NAME_RE, value, "service name")


def _valid_args(values, what):
    """Extra container/entrypoint arguments go into an argv list, never a shell; still refuse
    control characters so nothing odd lands in unit files or logs."""
    if not isinstance(values, list):
        raise AgentError("invalid %s" % what)
    for v in values:
        if not isinstance(v, str) or any(ord(c) < 32 for c in v):
            raise AgentError("invalid %s" % what)
    return values


# -- paths and time ------------------------------------------------------------------------
def agent_root():
    return os.environ.get("ORCH_AGENT_ROOT") or "/"


def rooted(*parts):
    return os.path.join(agent_root(), *[p.lstrip("/") for p in parts])


def now_iso():
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".%06dZ" % int(now % 1 * 1e6)


def host_name():
    """This host's name, as ``socket.gethostname()`` gives it."""
    return os.uname().nodename


def which(name):
    """``shutil.which``: the first executable ``name`` on PATH, or None."""
    for directory in os.environ.get("PATH", os.defpath).split(os.pathsep):
        path = os.path.join(directory or ".", name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def _read(path, default=""):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def _write_json(path, data, mode=0o644):
    tmp = path + ".new"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, sort_keys=True)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _load_json(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def run(argv, stdin=None, timeout=600):
    """Run one program from an argv list (never a shell); return (rc, out, err)."""
    try:
        # never let a child read our stdin: in ``serve`` mode it carries the next requests
        extra = {"stdin": subprocess.DEVNULL} if stdin is None else {"input": stdin}
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **extra)
    except FileNotFoundError:
        return 127, "", "%s: not found" % argv[0]
    except subprocess.TimeoutExpired:
        return 124, "", "%s: timed out after %ss" % (argv[0], timeout)
    return proc.returncode, proc.stdout, proc.stderr


# -- container engine ----------------------------------------------------------------------
def container_engine():
    """The engine binary: ORCH_CONTAINER_ENGINE, else podman, else docker, on PATH."""
    wanted = os.environ.get("ORCH_CONTAINER_ENGINE")
    candidates = [wanted] if wanted else ["podman", "docker"]
    for name in candidates:
        _check(ENGINE_RE, name, "container engine")
        path = name if os.path.isabs(name) else which(name)
        if path and os.access(path, os.X_OK):
            return path
    return None


def _engine_or_fail():
    engine = container_engine()
    if not engine:
        raise AgentError("No container engine binary found (podman or docker). "
                         "Try run `apt/dnf/yum/zypper install <container engine>`")
    return engine


def _engine(args, stdin=None):
    engine = _engine_or_fail()
    rc, out, err = run([engine] + args, stdin=stdin)
    if rc != 0:
        raise AgentError("%s %s failed (%d): %s" % (os.path.basename(engine), args[0], rc,
                                                   err.strip()[-500:]))
    return out


def image_info(engine, image):
    """``{image_id, digests, version}`` of an image, asked once per image and remembered
    (cephadm's ``inspect-image``: the engine's image id and ``ceph --version`` inside it)."""
    cache_path = rooted("var/lib/ceph-orch/images.json")
    cache = _load_json(cache_path, {}) or {}
    if image in cache:
        return cache[image]
    info = {"image_id": None, "digests": [], "version": None}
    rc, out, _ = run([engine, "image", "inspect", image])
    if rc == 0:
        try:
            found = json.loads(out)[0]
            info["image_id"] = (found.get("Id") or "").replace("sha256:", "") or None
            info["digests"] = list(found.get("RepoDigests") or [])
        except (ValueError, IndexError, AttributeError):
            pass
    rc, out, _ = run([engine, "run", "--rm", "--entrypoint", "ceph", image, "--version"])
    version = re.search(r"ceph version (\S+)", out) if rc == 0 else None
    info["version"] = version.group(1) if version else None
    cache[image] = info
    os.makedirs(os.path.dirname(cache_path), mode=0o755, exist_ok=True)
    _write_json(cache_path, cache)
    return info


def container_name(fsid, name):
    return "ceph-%s-%s" % (fsid, name.replace(".", "-"))


def _engine_containers():
    """``{container name: {id, state, image, image_id, started}}`` from one ``ps -a``."""
    engine = container_engine()
    if not engine:
        return None
    rc, out, _ = run([engine, "ps", "-a", "--format", "json"])
    if rc != 0:
        return None
    out = out.strip()
    if not out:
        return {}
    try:
        rows = json.loads(out)
        if isinstance(rows, dict):
            rows = [rows]
    except ValueError:  # docker prints one JSON object per line
        rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    found = {}
    for row in rows:
        names = row.get("Names") or row.get("Name") or []
        if isinstance(names, str):
            names = names.split(",")
        state = str(row.get("State", "")).lower()
        for n in names:
            found[n.lstrip("/")] = {
                "id": row.get("Id") or row.get("ID") or "",
                "state": "running" if state in ("running", "up") else "stopped",
                "image": row.get("Image") or "",
                "image_id": row.get("ImageID") or row.get("ImageId") or "",
            }
    return found


# -- daemon directories --------------------------------------------------------------------
def cluster_dir(fsid):
    return rooted("var/lib/ceph", valid_fsid(fsid))


def daemon_dir(fsid, name):
    return os.path.join(cluster_dir(fsid), valid_daemon_name(name))


def _daemon_dirs():
    """Yield (fsid, name, path) for every daemon this agent deployed."""
    base = rooted("var/lib/ceph")
    try:
        fsids = sorted(os.listdir(base))
    except OSError:
        return
    for fsid in fsids:
        if not FSID_RE.match(fsid):
            continue
        try:
            names = sorted(os.listdir(os.path.join(base, fsid)))
        except OSError:
            continue
        for name in names:
            path = os.path.join(base, fsid, name)
            if DAEMON_NAME_RE.match(name) and os.path.isfile(os.path.join(path, "unit.meta")):
                yield fsid, name, path


def _ls_entry(fsid, name, path, containers):
    meta = _load_json(os.path.join(path, "unit.meta"), {}) or {}
    state = _load_json(os.path.join(path, "unit.state"), {}) or {}
    cname = container_name(fsid, name)
    status = state.get("state", "unknown")
    container_id = state.get("container_id")
    usage = {}
    if meta.get("runtime") == "package":
        usage = _package_status(fsid, name, path, state)
        status, container_id = usage.pop("state"), None
    elif containers is not None:
        live = containers.get(cname)
        if live is None:
            status = "stopped" if status != "error" else status
        else:
            status = live["state"]
            container_id = live["id"] or container_id
    entry = {
        "style": "cephadm:v1",
        "name": name,
        "fsid": fsid,
        "systemd_unit": "ceph-%s@%s" % (fsid, name),
        "enabled": bool(state.get("enabled", True)),
        "state": status,
        "container_id": container_id if status == "running" else None,
        "container_image_name": meta.get("image"),
        "container_image_id": state.get("image_id"),
        "container_image_digests": state.get("digests") or [],
        "version": state.get("version"),
        "memory_usage": usage.get("memory_usage"),
        "cpu_percentage": usage.get("cpu_percentage"),
        "started": state.get("started"),
        "created": state.get("created"),
        "deployed": state.get("deployed"),
        "configured": state.get("configured"),
    }
    for key in ("service_name", "ports", "ip", "deployed_by", "rank", "rank_generation",
                "extra_container_args", "extra_entrypoint_args", "memory_request",
                "memory_limit", "osd_devices", "osdspec_affinity"):
        entry[key] = meta.get(key)
    return entry


def cmd_ls(request):
    want = request.get("name")
    if want is not None:
        valid_daemon_name(want)
    found = [d for d in _daemon_dirs() if want in (None, d[1])]
    packaged = set()
    for fsid, name, path in found:
        meta = _load_json(os.path.join(path, "unit.meta"), {}) or {}
        if meta.get("runtime") == "package":
            packaged.add(name)
            if request.get("boot", True):
                _package_boot(fsid, name, path, _load_json(os.path.join(path, "unit.state"), {}) or {})
    # no container daemons: no engine to ask
    containers = _engine_containers() if len(found) > len(packaged) else None
    return [_ls_entry(fsid, name, path, containers) for fsid, name, path in found]


def _ls_one(fsid, name):
    path = daemon_dir(fsid, name)
    meta = _load_json(os.path.join(path, "unit.meta"), {}) or {}
    containers = None if meta.get("runtime") == "package" else _engine_containers()
    return _ls_entry(fsid, name, path, containers)


def _runtime_of(ddir):
    """The runtime a deployed daemon runs under (its unit.meta says)."""
    return (_load_json(os.path.join(ddir, "unit.meta"), {}) or {}).get("runtime") or "container"


# -- host checks and facts -----------------------------------------------------------------
def cmd_check_host(request):
    hostname = host_name()
    expect = request.get("expect_hostname")
    errors = []
    runtime = daemon_runtime(request)
    engine = container_engine()
    if not engine and runtime == "container":
        errors.append("No container engine binary found (podman or docker)")
    if runtime == "package" and not which("ceph-mon") and not which("ceph-osd") \
            and not which("ceph"):
        errors.append("No Ceph packages found (install ceph-common, ceph-mon, ceph-osd, ...)")
    if expect is not None and valid_hostname(expect) != hostname \
            and expect.split(".")[0] != hostname.split(".")[0]:
        errors.append('hostname "%s" does not match expected hostname "%s"' % (hostname, expect))
    if errors:
        raise AgentError("; ".join(errors))
    return {"hostname": hostname, "container_engine": os.path.basename(engine) if engine else None,
            "runtime": runtime, "device_mapper": device_mapper(),
            "python": "%d.%d.%d" % sys.version_info[:3], "agent_version": AGENT_VERSION,
            "agent_pid": os.getpid()}


def _cpu_facts():
    model, cores, threads, sockets = "", 0, 0, set()
    for line in _read("/proc/cpuinfo").splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key == "model name" and not model:
            model = value
        elif key == "processor":
            threads += 1
        elif key == "physical id":
            sockets.add(value)
        elif key == "cpu cores" and not cores:
            cores = int(value or 0)
    count = max(len(sockets), 1)
    load = _read("/proc/loadavg", "0 0 0").split()
    return {
        "cpu_model": model,
        "cpu_count": count,
        "cpu_cores": cores * count if cores else threads,
        "cpu_threads": threads,
        "cpu_load": {"1min": float(load[0]), "5min": float(load[1]), "15min": float(load[2])},
    }


def _memory_facts():
    mem = {}
    for line in _read("/proc/meminfo").splitlines():
        key, _, value = line.partition(":")
        parts = value.split()
        if parts:
            mem[key] = int(parts[0])
    return {"memory_total_kb": mem.get("MemTotal", 0), "memory_free_kb": mem.get("MemFree", 0),
            "memory_available_kb": mem.get("MemAvailable", 0)}


def _bytes_to_human(num):
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if num < 1024 or unit == "TB":
            return "%.1f%s" % (num, unit) if unit != "B" else "%d%s" % (num, unit)
        num /= 1024.0
    return str(num)


def _disk_facts():
    hdd, flash = [], []
    for dev in _block_devices():
        entry = {
            "description": "%s %s (%s)" % (dev["vendor"], dev["model"], _bytes_to_human(dev["size"])),
            "vendor": dev["vendor"], "model": dev["model"], "rev": dev["rev"],
            "wwid": dev["wwid"], "dev_name": dev["name"], "disk_size_bytes": dev["size"],
            "disk_type": "hdd" if dev["rotational"] else "flash", "serial": dev["serial"],
            "alt_dev_name": "", "scsi_addr": "", "enclosure_id": "", "enclosure_slot": "",
            "path_id": "", "mpath": "",
        }
        (hdd if dev["rotational"] else flash).append(entry)
    hdd_bytes = sum(d["disk_size_bytes"] for d in hdd)
    flash_bytes = sum(d["disk_size_bytes"] for d in flash)
    return {"hdd_count": len(hdd), "hdd_capacity_bytes": hdd_bytes,
            "hdd_capacity": _bytes_to_human(hdd_bytes), "hdd_list": hdd,
            "flash_count": len(flash), "flash_capacity_bytes": flash_bytes,
            "flash_capacity": _bytes_to_human(flash_bytes), "flash_list": flash,
            "enclosures": {}, "enclosure_count": 0}


def _interfaces():
    base = "/sys/class/net"
    found = {}
    try:
        names = sorted(os.listdir(base))
    except OSError:
        return found
    addrs = _addresses()
    for name in names:
        path = os.path.join(base, name)
        lower = [n[len("lower_"):] for n in os.listdir(path) if n.startswith("lower_")] \
            if os.path.isdir(path) else []
        upper = [n[len("upper_"):] for n in os.listdir(path) if n.startswith("upper_")] \
            if os.path.isdir(path) else []
        speed = _read(os.path.join(path, "speed"), "-1")
        nic_type = "loopback" if name == "lo" else (
            "bridge" if os.path.isdir(os.path.join(path, "bridge")) else
            "bonding" if os.path.isdir(os.path.join(path, "bonding")) else "ethernet")
        v4 = ["%s/%s" % (a["local"], a["prefixlen"]) for a in addrs.get(name, []) if a["family"] == "inet"]
        v6 = ["%s/%s" % (a["local"], a["prefixlen"]) for a in addrs.get(name, []) if a["family"] == "inet6"]
        found[name] = {
            "mtu": int(_read(os.path.join(path, "mtu"), "0") or 0),
            "upper_devs_list": upper, "lower_devs_list": lower,
            "operstate": _read(os.path.join(path, "operstate"), "unknown"),
            "iftype": "physical" if os.path.exists(os.path.join(path, "device")) else "logical",
            "nic_type": nic_type,
            "driver": os.path.basename(os.path.realpath(os.path.join(path, "device", "driver")))
            if os.path.exists(os.path.join(path, "device", "driver")) else "",
            "speed": int(speed) if speed.lstrip("-").isdigit() else -1,
            "ipv4_address": v4[0] if v4 else "", "ipv6_address": v6[0] if v6 else "",
        }
    return found


_memo = {}  # type: dict


def _once(fn):
    """Remember a probe's answer for this process: ``refresh`` asks facts and inventory
    for the same devices and addresses, and one process is one request."""
    def wrapper():
        if fn.__name__ not in _memo:
            _memo[fn.__name__] = fn()
        return _memo[fn.__name__]
    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


@_once
def _addresses():
    """``{iface: [{family, local, prefixlen, scope}]}`` from ``ip -j addr``."""
    rc, out, _ = run(["ip", "-j", "addr", "show"], timeout=30)
    if rc != 0:
        return {}
    result = {}
    try:
        links = json.loads(out or "[]")
    except ValueError:
        return {}
    for link in links:
        result[link.get("ifname", "")] = [a for a in link.get("addr_info", []) if "local" in a]
    return result


def _ports(path, ipv6):
    used = set()
    for line in _read(path).splitlines()[1:]:
        fields = line.split()
        if len(fields) > 3 and fields[3] in ("0A", "07"):  # LISTEN (tcp) / CLOSE (udp bound)
            used.add(int(fields[1].rsplit(":", 1)[1], 16))
    return sorted(used)


def _kernel_security(lsm):
    """The ``kernel_security`` fact as cephadm gathers it: SELinux's mode and policy, else
    AppArmor's profile counts per mode, else none. The config checker compares the
    ``description`` across hosts (CEPHADM_CHECK_KERNEL_LSM)."""
    if "selinux" in lsm or os.path.exists("/sys/fs/selinux/enforce"):
        enforce = _read("/sys/fs/selinux/enforce", "")
        if enforce not in ("0", "1"):
            return {"type": "SELinux", "description": "SELinux: Disabled"}
        policy = ""
        for line in _read("/etc/selinux/config").splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "SELINUXTYPE":
                policy = value.strip()
        mode = "enforcing" if enforce == "1" else "permissive"
        return {"type": "SELinux", "SELINUX": mode, "SELINUXTYPE": policy,
                "description": "SELinux: Enabled(%s, %s)" % (mode, policy)}
    if "apparmor" in lsm or os.path.isdir("/sys/kernel/security/apparmor"):
        modes = {}
        for line in _read("/sys/kernel/security/apparmor/profiles").splitlines():
            mode = line.rpartition(" ")[2].strip("()")
            if mode:
                modes[mode] = modes.get(mode, 0) + 1
        security = {"type": "AppArmor", "description": "AppArmor: Enabled"}
        if modes:
            security.update(modes)
            security["description"] += "(%s)" % ",".join(
                "%d %s" % (n, m) for m, n in sorted(modes.items()))
        return security
    return {"type": "Unknown", "description": "Linux Security Module framework is not active"}


def _subscribed(os_release):
    """cephadm's ``subscribed`` fact: only RHEL has subscriptions (an entitlement
    certificate means one is active); elsewhere it is Unknown, which no check counts."""
    if os_release.get("ID") != "rhel":
        return "Unknown"
    try:
        certs = [n for n in os.listdir("/etc/pki/entitlement") if n.endswith(".pem")]
    except OSError:
        certs = []
    return "yes" if certs else "no"


def cmd_gather_facts(request):
    hostname = host_name()
    if request.get("fqdn", False):
        import socket
        fqdn = socket.getfqdn()
    else:
        fqdn = hostname
    uname = os.uname()
    interfaces = _interfaces()
    dmi = "/sys/class/dmi/id"
    os_release = {}
    for line in _read("/etc/os-release").splitlines():
        key, _, value = line.partition("=")
        os_release[key] = value.strip('"')
    uptime = float((_read("/proc/uptime", "0").split() or ["0"])[0])
    lsm = _read("/sys/kernel/security/lsm")
    facts = {
        "hostname": hostname, "shortname": hostname.split(".")[0], "fqdn": fqdn,
        "arch": uname.machine, "kernel": uname.release,
        "operating_system": os_release.get("PRETTY_NAME", uname.sysname),
        "vendor": _read(os.path.join(dmi, "sys_vendor"), "Unknown"),
        "model": _read(os.path.join(dmi, "product_name"), "Unknown"),
        "bios_version": _read(os.path.join(dmi, "bios_version"), "Unknown"),
        "bios_date": _read(os.path.join(dmi, "bios_date"), "Unknown"),
        "product_serial": "Unknown", "board_serial": "Unknown", "chassis_serial": "Unknown",
        "interfaces": interfaces, "nic_count": len([n for n in interfaces if n != "lo"]),
        "kernel_security": _kernel_security(lsm),
        "selinux_enabled": "selinux" in lsm,
        "kernel_parameters": {},
        "sysctl_options": {},
        "tcp_ports_used": _ports("/proc/net/tcp", False),
        "tcp6_ports_used": _ports("/proc/net/tcp6", True),
        "udp_ports_used": _ports("/proc/net/udp", False),
        "udp6_ports_used": _ports("/proc/net/udp6", True),
        "subscribed": _subscribed(os_release),
        "system_uptime": uptime,
        "timestamp": time.time(),
    }
    facts.update(_cpu_facts())
    facts.update(_memory_facts())
    facts.update(_disk_facts())
    return dict(sorted(facts.items()))


def cmd_list_networks(request):
    import ipaddress
    nets = {}
    for iface, addrs in sorted(_addresses().items()):
        for a in addrs:
            if a.get("scope") == "host" or a.get("scope") == "link":
                continue
            net = ipaddress.ip_interface("%s/%s" % (a["local"], a["prefixlen"])).network
            nets.setdefault(str(net), {}).setdefault(iface, []).append(a["local"])
    return nets


# -- devices -------------------------------------------------------------------------------
def allowed_devices():
    value = os.environ.get("ORCH_AGENT_DEVICES")
    if value is None:
        return None
    return set(valid_device(p) for p in value.split(":") if p)


def _sys_block(name, key, default=""):
    return _read(os.path.join("/sys/block", name, key), default)


@_once
def _block_devices():
    """Whole block devices (plus explicitly allowed loop devices) from ``lsblk``."""
    rc, out, err = run(["lsblk", "--json", "--bytes", "-o",
                        "NAME,PATH,SIZE,ROTA,RO,RM,TYPE,MODEL,VENDOR,REV,SERIAL,WWN,FSTYPE,MOUNTPOINT"],
                       timeout=60)
    if rc != 0:
        raise AgentError("lsblk failed: %s" % err.strip()[-300:])
    allowed = allowed_devices()
    devices = []
    for node in json.loads(out or "{}").get("blockdevices", []):
        path = node.get("path") or "/dev/" + node["name"]
        if allowed is not None and path not in allowed:
            continue
        if node.get("type") not in ("disk", "loop", "mpath") or \
                (node.get("type") == "loop" and allowed is None):
            continue
        if node.get("type") == "loop" and not int(node.get("size") or 0):
            continue
        children = node.get("children") or []
        devices.append({
            "name": node["name"], "path": path, "size": int(node.get("size") or 0),
            "rotational": _flag(node.get("rota")), "ro": _flag(node.get("ro")),
            "removable": _flag(node.get("rm")), "type": node.get("type"),
            "model": (node.get("model") or "").strip(), "vendor": (node.get("vendor") or "").strip(),
            "rev": (node.get("rev") or "").strip(), "serial": (node.get("serial") or "").strip(),
            "wwid": (node.get("wwn") or "").strip(), "fstype": node.get("fstype"),
            "mountpoint": node.get("mountpoint"),
            "partitions": [c for c in children if c.get("type") == "part"],
            "holders": [c for c in children if c.get("type") != "part"],
        })
    return devices


def _flag(value):
    return value in (True, 1, "1", "true")


def _reject_reasons(dev):
    reasons = []
    if dev["removable"] and _sys_block(dev["name"], "device/../../subsystem").endswith("usb"):
        reasons.append("id_bus")
    if dev["ro"]:
        reasons.append("read-only")
    if dev["size"] < MIN_DEVICE_SIZE:
        reasons.append("Insufficient space (<5GB)")
    if dev["fstype"] == "ceph_bluestore":
        reasons.append("Has BlueStore device label")
    elif dev["fstype"] == "LVM2_member" or dev["holders"]:
        reasons.append("LVM detected")
    elif dev["fstype"]:
        reasons.append("Has a FileSystem")
    if dev["partitions"]:
        reasons.append("Has partitions")
    return sorted(reasons)


def _scheduler(name):
    value = _sys_block(name, "queue/scheduler", "none")
    found = re.search(r"\[([^\]]+)\]", value)
    return found.group(1) if found else value


def _osd_volumes():
    """``{device path: [lv report]}`` for the OSDs this agent created: the volumes
    ``ceph-volume lvm list`` would show on those devices (ceph-volume is not installed on
    the host itself; it ran inside the container)."""
    found = {}
    for fsid, name, path in _daemon_dirs():
        if not name.startswith("osd."):
            continue
        meta = _load_json(os.path.join(path, "unit.meta"), {}) or {}
        for device in meta.get("osd_devices") or []:
            found.setdefault(device, []).append({
                "cluster_name": "ceph", "cluster_fsid": fsid, "type": "block",
                "osd_id": name.split(".", 1)[1], "name": "osd-block-%s" % name.split(".", 1)[1],
                "osdspec_affinity": meta.get("osdspec_affinity") or ""})
    return found


def _inventory_entry(dev, volumes):
    name = dev["name"]
    sectorsize = int(_sys_block(name, "queue/logical_block_size", "512") or 512)
    sys_api = {
        "removable": "1" if dev["removable"] else "0", "ro": "1" if dev["ro"] else "0",
        "vendor": dev["vendor"], "model": dev["model"], "rev": dev["rev"],
        "sas_address": "", "sas_device_handle": "",
        "support_discard": _sys_block(name, "queue/discard_granularity", "0"),
        "rotational": "1" if dev["rotational"] else "0",
        "nr_requests": _sys_block(name, "queue/nr_requests", "0"),
        "partitions": {p["name"]: {"size": int(p.get("size") or 0)} for p in dev["partitions"]},
        "device_nodes": name, "actuators": None,
        "scheduler_mode": _scheduler(name),
        "sectors": dev["size"] // sectorsize if sectorsize else 0, "sectorsize": str(sectorsize),
        "size": float(dev["size"]), "human_readable_size": _bytes_to_human(dev["size"]),
        "path": dev["path"], "locked": 0, "type": dev["type"],
    }
    reasons = _reject_reasons(dev)
    lvs = volumes.get(dev["path"], [])
    if lvs:
        reasons = sorted(set(reasons) | {"LVM detected", "Insufficient space (<10 extents) on vgs"})
    device_id = "_".join(p for p in (dev["vendor"], dev["model"], dev["serial"]) if p).replace(" ", "_")
    return {"path": dev["path"], "available": not reasons, "rejected_reasons": reasons,
            "sys_api": sys_api, "device_id": device_id, "lsm_data": {},
            "ceph_device": dev["fstype"] == "ceph_bluestore" or bool(lvs), "lvs": lvs}


INVENTORY_SOURCES = ("lsblk", "ceph-volume")


def cmd_inventory(request):
    """The host's devices, from the source the orchestrator names (never "whatever is on
    PATH"): ``ceph-volume`` (the package runtime: the host's own ceph-volume) or ``lsblk``
    (lsblk and /sys, shaped as ceph-volume reports them)."""
    source = request.get("inventory_source") or "lsblk"
    if source not in INVENTORY_SOURCES:
        raise AgentError("unknown inventory source %r" % source)
    ceph_volume = which("ceph-volume") if source == "ceph-volume" else None
    if source == "ceph-volume" and not ceph_volume:
        raise AgentError("ceph-volume is not installed on this host (Debian: ceph-osd)")
    if ceph_volume:
        allowed = allowed_devices()
        proc_env = dict(os.environ)
        proc_env.update(_ceph_volume_env(sorted(allowed or [])))
        try:
            proc = subprocess.run([ceph_volume, "inventory", "--format=json"], capture_output=True,
                                  text=True, timeout=300, stdin=subprocess.DEVNULL, env=proc_env)
            rc, out, err = proc.returncode, proc.stdout, proc.stderr
        except subprocess.TimeoutExpired:
            rc, out, err = 124, "", "timed out"
        if rc != 0:
            raise AgentError("ceph-volume inventory failed: %s" % err.strip()[-300:])
        entries = json.loads(out or "[]")
        allowed = allowed_devices()
        if allowed is not None:
            entries = [e for e in entries if e.get("path") in allowed]
    else:
        volumes = _osd_volumes()
        entries = [_inventory_entry(dev, volumes) for dev in _block_devices()]
    return sorted(entries, key=lambda e: (not e.get("available"), e.get("path", "")))


def _device_allowed(path):
    valid_device(path)
    allowed = allowed_devices()
    if allowed is not None and path not in allowed:
        raise AgentError("device %s is not one of this host's devices" % path)
    return path


# -- deploy and remove ---------------------------------------------------------------------
# -- the container runtime: what cephadm's `podman run` runs, per daemon type ---------------
# Facts from cephadm (src/cephadm/cephadm.py of Reef, src/cephadm/cephadmlib/daemons/*.py):
# each daemon type's entrypoint, process arguments, engine arguments, mounts, environment
# and user. The argv is assembled in cephadm's order (CephContainer.run_cmd):
#   run [--ipc=host] --stop-signal=SIGTERM [memory] [--net=host] [--entrypoint E]
#   [--privileged --group-add=disk] --init --name <ctr> <engine args> -d <extra args>
#   -e CONTAINER_IMAGE=.. -e NODE_NAME=.. -e <env>... -v <mounts>... --mount <binds>...
#   <image> <process args> <extra entrypoint args>
# Where cephadm differs because it runs under systemd, the agent keeps its own lifecycle:
# the container is detached (`-d`, as cephadm's podman service args do) but not `--rm`
# (systemd re-runs unit.run; the agent stops and starts the same container), and the
# systemd-only arguments (--conmon-pidfile, --cidfile, --cgroups=split, the journald log
# driver) are left out. Host paths are under ORCH_AGENT_ROOT, like every path the agent keeps.
CEPH_DAEMON_TYPES = ("mon", "mgr", "osd", "mds", "rgw", "rbd-mirror", "crash", "cephfs-mirror")
CEPH_ENTRYPOINTS = {"rgw": "/usr/bin/radosgw", "rbd-mirror": "/usr/bin/rbd-mirror",
                    "cephfs-mirror": "/usr/bin/cephfs-mirror"}
#: these look for their keyring in /etc/ceph, not in a data directory
KEYRING_IN_ETC = ("rbd-mirror", "cephfs-mirror", "crash", "ceph-exporter")
TCMALLOC_ENV = "TCMALLOC_MAX_TOTAL_THREAD_CACHE_BYTES=134217728"
UNLIMITED_PIDS = "--pids-limit=-1"
LIB_MODULES_BIND = ["type=bind", "source=/lib/modules", "destination=/lib/modules", "ro=true"]
UID_NOBODY = 65534

#: the monitoring stack: user (cephadm reads it from the image: the owner of the config
#: dir), default port, fixed process args, and (data-dir relative source, container target)
MONITORING = {
    "prometheus": {"user": UID_NOBODY, "port": 9095,
                   "args": ["--config.file=/etc/prometheus/prometheus.yml",
                            "--storage.tsdb.path=/prometheus"],
                   "mounts": [("etc/prometheus", "/etc/prometheus:Z"), ("data", "/prometheus:Z")]},
    "alertmanager": {"user": UID_NOBODY, "port": 9093,
                     "args": ["--cluster.listen-address=:9094"],
                     "mounts": [("etc/alertmanager", "/etc/alertmanager:Z")]},
    "node-exporter": {"user": UID_NOBODY, "port": 9100, "args": ["--no-collector.timex"],
                      "mounts": [("etc/node-exporter", "/etc/node-exporter:Z"),
                                 ("/proc", "/host/proc:ro"), ("/sys", "/host/sys:ro"),
                                 ("/", "/rootfs:ro")]},
    "grafana": {"user": 472, "port": 3000, "args": [],
                "mounts": [("etc/grafana/grafana.ini", "/etc/grafana/grafana.ini:Z"),
                           ("etc/grafana/provisioning/datasources",
                            "/etc/grafana/provisioning/datasources:Z"),
                           ("etc/grafana/provisioning/dashboards",
                            "/etc/grafana/provisioning/dashboards:Z"),
                           ("etc/grafana/certs", "/etc/grafana/certs:Z"),
                           ("data/grafana.db", "/var/lib/grafana/grafana.db:Z")]},
    "loki": {"user": 10001, "port": 3100, "args": ["--config.file=/etc/loki/loki.yml"],
             "mounts": [("etc/loki", "/etc/loki:Z"), ("data", "/loki:Z")]},
    "promtail": {"user": 0, "port": 9080,
                 "args": ["--config.file=/etc/promtail/promtail.yml", "--config.expand-env"],
                 "mounts": [("etc/promtail", "/etc/promtail:Z"), ("@log", "/var/log/ceph:z"),
                            ("data", "/promtail:Z")]},
    # promtail's successor; the stored cephadm source has no alloy form yet, so it runs
    # like promtail does: its config dir, the cluster's logs, a data dir
    "alloy": {"user": 0, "port": 9080,
              "args": ["run", "/etc/alloy/config.alloy", "--storage.path=/var/lib/alloy/data"],
              "mounts": [("etc/alloy", "/etc/alloy:Z"), ("@log", "/var/log/ceph:z"),
                         ("data", "/var/lib/alloy/data:Z")]},
}
TRACING_TYPES = ("elasticsearch", "jaeger-agent", "jaeger-collector", "jaeger-query")


class ContainerForm:
    """What one daemon's container runs: cephadm's CephContainer fields."""

    def __init__(self, entrypoint=""):
        self.entrypoint = entrypoint
        self.args = []            # the process's arguments, after the image
        self.engine_args = []     # the engine's arguments (customize_container_args)
        self.envs = []
        self.mounts = []          # (host path, container path[:options]), in order
        self.binds = []           # --mount lists
        self.privileged = False
        self.host_network = True
        self.ipc = "host"
        self.image = None         # a custom container's own image

    def mount(self, host, target):
        for i, (h, _) in enumerate(self.mounts):
            if h == host:  # cephadm's mounts are a dict: a later entry wins, in place
                self.mounts[i] = (host, target)
                return
        self.mounts.append((host, target))


def _engine_is_podman(engine):
    return os.path.basename(engine) == "podman"


def _form_config(request):
    """The service's settings the orchestrator sent: the spec's fields, and cephadm's
    config-json keys (``files``, ``peers``, ...) where the caller gives them."""
    config = request.get("config") or {}
    spec = config.get("spec") if isinstance(config.get("spec"), dict) else {}
    return config, spec


def _ceph_mounts_for_type(fsid, dtype, engine):
    """cephadm's get_ceph_mounts_for_type: run, log and crash dirs, the journald socket,
    and the device trees OSDs and mons (and ceph-volume) need."""
    mounts = []
    if dtype in CEPH_DAEMON_TYPES + ("ceph-exporter", "ceph-volume"):
        mounts += [(rooted("run/ceph", fsid), "/var/run/ceph:z"),
                   (rooted("var/log/ceph", fsid), "/var/log/ceph:z"),
                   (os.path.join(cluster_dir(fsid), "crash"), "/var/lib/ceph/crash:z")]
        if dtype != "crash" and _engine_is_podman(engine):
            mounts.append(("/run/systemd/journal", "/run/systemd/journal"))
    if dtype in ("mon", "osd", "ceph-volume"):
        mounts += [("/dev", "/dev"), ("/run/udev", "/run/udev")]
    if dtype in ("osd", "ceph-volume"):
        mounts += [("/sys", "/sys"), ("/run/lvm", "/run/lvm"), ("/run/lock/lvm", "/run/lock/lvm")]
    return mounts


def _ceph_log_args(dtype, engine):
    """The logging arguments cephadm gives a Ceph daemon: journald under podman, stderr
    under docker."""
    args = ["--setuser", "ceph", "--setgroup", "ceph", "--default-log-to-file=false"]
    journald = _engine_is_podman(engine)
    if journald:
        args += ["--default-log-to-journald=true", "--default-log-to-stderr=false"]
    else:
        args += ["--default-log-to-stderr=true", "--default-log-stderr-prefix=debug "]
    if dtype == "mon":
        args.append("--default-mon-cluster-log-to-file=false")
        args += (["--default-mon-cluster-log-to-journald=true",
                  "--default-mon-cluster-log-to-stderr=false"] if journald
                 else ["--default-mon-cluster-log-to-stderr=true"])
    return args


def _form_ceph(fsid, dtype, did, ddir, request, engine):
    """mon, mgr, osd, mds, rgw, rbd-mirror, cephfs-mirror, crash."""
    form = ContainerForm(CEPH_ENTRYPOINTS.get(dtype, "/usr/bin/ceph-%s" % dtype))
    form.privileged = dtype in ("mon", "osd")  # libudev queries devices
    for host, target in _ceph_mounts_for_type(fsid, dtype, engine):
        form.mount(host, target)
    if dtype != "crash":
        target = ("/var/lib/ceph/radosgw/ceph-rgw.%s" % did if dtype == "rgw"
                  else "/var/lib/ceph/%s/ceph-%s" % (dtype, did))
        form.mount(ddir, target + ":z")
    form.mount(os.path.join(ddir, "config"), "/etc/ceph/ceph.conf:z")
    if dtype in KEYRING_IN_ETC:
        form.mount(os.path.join(ddir, "keyring"),
                   "/etc/ceph/ceph.client.%s.%s.keyring" % (dtype, did))
    entity = "%s.%s" % (dtype, did) if dtype in ("mon", "mgr", "osd", "mds") \
        else "client.%s.%s" % (dtype, did)
    if dtype == "crash":
        form.args = ["-n", entity]
    else:
        form.args = ["-n", entity, "-f"] + _ceph_log_args(dtype, engine)
    config, _ = _form_config(request)
    if dtype == "mon" and config.get("crush_location"):
        form.args += ["--set-crush-location", str(config["crush_location"])]
    if dtype == "rgw" and config.get("rgw_exit_timeout_secs"):
        form.args.append("--stop-timeout=%s" % config["rgw_exit_timeout_secs"])
    form.engine_args.append(UNLIMITED_PIDS)
    form.envs.append(TCMALLOC_ENV)
    return form


def _form_ceph_exporter(fsid, dtype, did, ddir, request, engine):
    _, spec = _form_config(request)
    form = ContainerForm("/usr/bin/ceph-exporter")
    for host, target in _ceph_mounts_for_type(fsid, dtype, engine):
        form.mount(host, target)
    form.mount(ddir, "/var/lib/ceph/ceph-exporter/ceph-%s:z" % did)
    form.mount(os.path.join(ddir, "config"), "/etc/ceph/ceph.conf:z")
    form.mount(os.path.join(ddir, "keyring"), "/etc/ceph/ceph.client.ceph-exporter.%s.keyring" % did)
    port = (request.get("ports") or [spec.get("port") or 9926])[0]
    form.args = ["-n", "client.ceph-exporter.%s" % did, "-f",
                 "--sock-dir=%s" % (spec.get("sock_dir") or "/var/run/ceph/"),
                 "--addrs=%s" % (spec.get("addrs") or "0.0.0.0"), "--port=%s" % port,
                 "--prio-limit=%s" % spec.get("prio_limit", 5),
                 "--stats-period=%s" % spec.get("stats_period", 5)]
    form.engine_args.append(UNLIMITED_PIDS)
    form.envs.append(TCMALLOC_ENV)
    return form


def _external_host(request):
    """The name prometheus gives itself in --web.external-url: the host's FQDN, or its
    address when the name has no domain (cephadm does the same)."""
    name = host_name()
    if "." in name:
        return name
    return request.get("host_addr") or name


def _form_monitoring(fsid, dtype, did, ddir, request, engine):
    config, spec = _form_config(request)
    facts = MONITORING[dtype]
    form = ContainerForm()
    for source, target in facts["mounts"]:
        if source == "@log":
            source = rooted("var/log/ceph", fsid)
        elif not source.startswith("/"):
            source = os.path.join(ddir, source)
        form.mount(source, target)
    form.engine_args += ["--user", str(facts["user"])]
    if dtype == "node-exporter":
        form.engine_args += ["--security-opt", "label=disable"]
    args = list(facts["args"])
    port = (request.get("ports") or [facts["port"]])[0]
    ip = request.get("ip") or ""
    if dtype in ("prometheus", "alertmanager", "node-exporter"):
        if dtype == "prometheus":
            ip = config.get("ip_to_bind_to") or ip
            args += ["--storage.tsdb.retention.time=%s" % (spec.get("retention_time") or "15d"),
                     "--storage.tsdb.retention.size=%s" % (spec.get("retention_size") or "0")]
            external = "http://%s:%s" % (_external_host(request), port)
            if config.get("use_url_prefix"):
                args += ["--web.external-url=%s/prometheus" % external,
                         "--web.route-prefix=/prometheus/"]
            else:
                args.append("--web.external-url=%s" % external)
        args.append("--web.listen-address=%s:%s" % (ip, port))
    if dtype == "alertmanager":
        args += ["--cluster.peer=%s" % p for p in config.get("peers") or []]
        if config.get("web_config"):
            args.append("--web.config.file=%s" % config["web_config"])
        args.append("--config.file=/etc/alertmanager/alertmanager.yml")
        if config.get("use_url_prefix"):
            args.append("--web.route-prefix=/alertmanager")
    if dtype in ("prometheus", "node-exporter") and config.get("web_config"):
        args.append("--web.config.file=%s" % config["web_config"])
    if dtype == "node-exporter":
        args += ["--path.procfs=/host/proc", "--path.sysfs=/host/sys", "--path.rootfs=/rootfs"]
    if dtype == "alloy":
        args.append("--server.http.listen-addr=%s:%s" % (ip, port))
    form.args = args
    return form


def _form_haproxy(fsid, dtype, did, ddir, request, engine):
    form = ContainerForm()
    form.mount(os.path.join(ddir, "haproxy"), "/var/lib/haproxy")
    form.engine_args.append("--user=root")  # haproxy 2.4 defaults to another user
    form.args = ["haproxy", "-f", "/var/lib/haproxy/haproxy.cfg"]
    return form


def _form_keepalived(fsid, dtype, did, ddir, request, engine):
    form = ContainerForm()
    form.mount(os.path.join(ddir, "keepalived.conf"), "/etc/keepalived/keepalived.conf")
    form.engine_args += ["--cap-add=NET_ADMIN", "--cap-add=NET_RAW"]
    form.envs += ["KEEPALIVED_AUTOCONF=false",
                  "KEEPALIVED_CONF=/etc/keepalived/keepalived.conf",
                  "KEEPALIVED_CMD=/usr/sbin/keepalived -n -l -f /etc/keepalived/keepalived.conf",
                  "KEEPALIVED_DEBUG=false"]
    return form


def _form_nfs(fsid, dtype, did, ddir, request, engine):
    config, _ = _form_config(request)
    form = ContainerForm("/usr/bin/ganesha.nfsd")
    form.mount(os.path.join(ddir, "config"), "/etc/ceph/ceph.conf:z")
    form.mount(os.path.join(ddir, "keyring"), "/etc/ceph/keyring:z")
    form.mount(os.path.join(ddir, "etc/ganesha"), "/etc/ganesha:z")
    rgw = config.get("rgw") if isinstance(config.get("rgw"), dict) else None
    if rgw:
        form.mount(os.path.join(ddir, "keyring.rgw"), "/var/lib/ceph/radosgw/%s-%s/keyring:z"
                   % (rgw.get("cluster", "ceph"), rgw.get("user", "admin")))
    form.envs.append("CEPH_CONF=/etc/ceph/ceph.conf")
    form.args = ["-F", "-L", "STDERR"] + [str(a) for a in config.get("extra_args") or []]
    form.engine_args.append(UNLIMITED_PIDS)
    return form


def _form_iscsi(fsid, dtype, did, ddir, request, engine):
    form = ContainerForm("/usr/bin/rbd-target-api")
    form.privileged = True  # modprobe iscsi_target_mod, write to configfs
    form.mount(os.path.join(ddir, "config"), "/etc/ceph/ceph.conf:z")
    form.mount(os.path.join(ddir, "keyring"), "/etc/ceph/keyring:z")
    form.mount(os.path.join(ddir, "iscsi-gateway.cfg"), "/etc/ceph/iscsi-gateway.cfg:z")
    form.mount(os.path.join(ddir, "configfs"), "/sys/kernel/config")
    form.mount(rooted("var/log/ceph", fsid), "/var/log:z")
    form.mount("/dev", "/dev")
    form.binds.append(list(LIB_MODULES_BIND))
    form.engine_args.append(UNLIMITED_PIDS)
    return form


def _form_nvmeof(fsid, dtype, did, ddir, request, engine):
    form = ContainerForm()
    form.mount(os.path.join(ddir, "config"), "/etc/ceph/ceph.conf:z")
    form.mount(os.path.join(ddir, "keyring"), "/etc/ceph/keyring:z")
    form.mount(os.path.join(ddir, "ceph-nvmeof.conf"), "/src/ceph-nvmeof.conf:z")
    form.mount(os.path.join(ddir, "configfs"), "/sys/kernel/config")
    form.mount(rooted("var/log/ceph", fsid), "/var/log/ceph:z")
    form.mount("/dev/hugepages", "/dev/hugepages")
    form.mount("/dev/vfio/vfio", "/dev/vfio/vfio")
    form.binds.append(list(LIB_MODULES_BIND))
    form.engine_args += [UNLIMITED_PIDS, "--ulimit", "memlock=-1:-1", "--ulimit", "nofile=10240",
                         "--cap-add=CAP_SYS_NICE", "--cap-add=SYS_ADMIN"]
    return form


def _form_snmp_gateway(fsid, dtype, did, ddir, request, engine):
    """snmp-notifier; its secrets go in an env file, never on the command line."""
    _, spec = _form_config(request)
    version = spec.get("snmp_version") or "V2c"
    creds = spec.get("credentials") if isinstance(spec.get("credentials"), dict) else {}
    lines = ["SNMP_NOTIFIER_COMMUNITY=%s" % creds.get("snmp_community", "public")] \
        if version == "V2c" else \
        ["SNMP_NOTIFIER_AUTH_USERNAME=%s" % creds.get("snmp_v3_auth_username", ""),
         "SNMP_NOTIFIER_AUTH_PASSWORD=%s" % creds.get("snmp_v3_auth_password", "")] + \
        (["SNMP_NOTIFIER_PRIV_PASSWORD=%s" % creds["snmp_v3_priv_password"]]
         if creds.get("snmp_v3_priv_password") else [])
    env_file = os.path.join(ddir, "snmp-gateway.conf")
    if any("\n" in line for line in lines):
        raise AgentError("invalid snmp-gateway credentials")
    _write_text(env_file, "\n".join(lines) + "\n", 0o600)
    form = ContainerForm()
    form.engine_args.append("--env-file=%s" % env_file)
    port = (request.get("ports") or [9464])[0]
    form.args = ["--web.listen-address=:%s" % port,
                 "--snmp.destination=%s" % (spec.get("snmp_destination") or ""),
                 "--snmp.version=%s" % version, "--log.level=info",
                 "--snmp.trap-description-template=/etc/snmp_notifier/description-template.tpl"]
    if version == "V3":
        form.args += ["--snmp.authentication-enabled",
                      "--snmp.authentication-protocol=%s" % (spec.get("auth_protocol") or ""),
                      "--snmp.security-engine-id=%s" % (spec.get("engine_id") or "")]
        if spec.get("privacy_protocol"):
            form.args += ["--snmp.private-enabled",
                          "--snmp.private-protocol=%s" % spec["privacy_protocol"]]
    return form


def _form_smb(fsid, dtype, did, ddir, request, engine):
    """The smbd container (cephadm also runs init and sidecar containers around it)."""
    _, spec = _form_config(request)
    cluster_id = spec.get("cluster_id") or ""
    if not cluster_id or not spec.get("config_uri"):
        raise AgentError("smb needs a cluster_id and a config_uri")
    form = ContainerForm()
    form.host_network = False
    form.ipc = "shareable"  # shared with the instance's other samba containers
    for sub in ("etc-samba-container", "lib-samba", "run"):
        os.makedirs(os.path.join(ddir, sub), mode=0o770, exist_ok=True)
    form.mount(os.path.join(ddir, "etc-samba-container"), "/etc/samba/container:z")
    form.mount(os.path.join(ddir, "lib-samba"), "/var/lib/samba:z")
    form.mount(os.path.join(ddir, "run"), "/run:z")
    form.mount(os.path.join(ddir, "config"), "/etc/ceph/ceph.conf:z")
    form.mount(os.path.join(ddir, "keyring"), "/etc/ceph/keyring:z")
    uris = [spec["config_uri"]] + list(spec.get("user_sources") or [])
    form.envs += ["SAMBA_CONTAINER_ID=%s" % cluster_id, "SAMBACC_CONFIG=%s" % json.dumps(uris)]
    if spec.get("config_auth_entity"):
        form.envs.append("SAMBACC_CEPH_ID=name=%s" % spec["config_auth_entity"])
    form.args = ["--samba-debug-level=6", "run", "smbd"]
    form.engine_args.append("--publish=445:445")
    form.engine_args += ["--dns=%s" % d for d in spec.get("custom_dns") or []]
    form.engine_args.append("--hostname=%s" % (spec.get("virtual_hostname")
                                               or "%s-%s" % (cluster_id, host_name())))
    return form


def _form_mgmt_gateway(fsid, dtype, did, ddir, request, engine):
    form = ContainerForm()
    for name, target in (("nginx.conf", "/etc/nginx/nginx.conf"),
                         ("nginx_internal_server.conf", "/etc/nginx_internal_server.conf"),
                         ("nginx_external_server.conf", "/etc/nginx_external_server.conf"),
                         ("nginx_internal.crt", "/etc/nginx/ssl/nginx_internal.crt"),
                         ("nginx_internal.key", "/etc/nginx/ssl/nginx_internal.key")):
        form.mount(os.path.join(ddir, "etc", name), target + ":Z")
    config, _ = _form_config(request)
    if "nginx.crt" in (config.get("files") or {}):
        form.mount(os.path.join(ddir, "etc/nginx.crt"), "/etc/nginx/ssl/nginx.crt:Z")
        form.mount(os.path.join(ddir, "etc/nginx.key"), "/etc/nginx/ssl/nginx.key:Z")
    return form


def _form_oauth2_proxy(fsid, dtype, did, ddir, request, engine):
    form = ContainerForm()
    for name in ("oauth2-proxy.conf", "oauth2-proxy.crt", "oauth2-proxy.key"):
        form.mount(os.path.join(ddir, "etc", name), "/etc/%s:Z" % name)
    form.engine_args += ["--user", str(UID_NOBODY)]
    form.args = ["--config=/etc/oauth2-proxy.conf", "--tls-cert-file=/etc/oauth2-proxy.crt",
                 "--tls-key-file=/etc/oauth2-proxy.key"]
    return form


def _form_tracing(fsid, dtype, did, ddir, request, engine):
    config, _ = _form_config(request)
    form = ContainerForm()
    if dtype == "elasticsearch":
        form.envs.append("discovery.type=single-node")
    elif dtype in ("jaeger-collector", "jaeger-query") and config.get("elasticsearch_nodes"):
        form.envs += ["SPAN_STORAGE_TYPE=elasticsearch",
                      "ES_SERVER_URLS=%s" % config["elasticsearch_nodes"]]
    elif dtype == "jaeger-agent" and config.get("collector_nodes"):
        form.args = ["--reporter.grpc.host-port=%s" % config["collector_nodes"],
                     "--processor.jaeger-compact.server-host-port=6799"]
    return form


def _relative_path(value, what):
    if not isinstance(value, str) or not value.strip("/") or ".." in value.split("/") \
            or any(ord(c) < 32 for c in value):
        raise AgentError("invalid %s %r" % (what, value))
    return value.strip("/")


def _populate(base, files, mode):
    """Write config-json ``files`` (name relative to ``base``: text or a list of lines)."""
    if not isinstance(files, dict):
        raise AgentError("invalid files")
    for name, content in files.items():
        path = os.path.join(base, _relative_path(name, "file"))
        text = "\n".join(content) if isinstance(content, list) else content
        if not isinstance(text, str):
            raise AgentError("invalid file %r" % name)
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        _write_text(path, text, mode)


def _form_custom(fsid, dtype, did, ddir, request, engine):
    """A custom container: the spec's own image, entrypoint, args, envs, volumes, binds;
    relative sources live in the daemon's directory. No host network, as in cephadm."""
    _, spec = _form_config(request)
    form = ContainerForm(spec.get("entrypoint") or "")
    if form.entrypoint:
        _valid_args([form.entrypoint], "entrypoint")
    if spec.get("image"):
        form.image = valid_image(spec["image"])
    form.host_network = False
    form.privileged = bool(spec.get("privileged"))
    form.engine_args = list(_valid_args(list(spec.get("args") or []), "container args"))
    form.envs = list(_valid_args(list(spec.get("envs") or []), "container envs"))
    for d in spec.get("dirs") or []:
        os.makedirs(os.path.join(ddir, _relative_path(d, "dir")), mode=0o755, exist_ok=True)
    _populate(ddir, spec.get("files") or {}, 0o644)
    mounts = spec.get("volume_mounts") or {}
    if not isinstance(mounts, dict):
        raise AgentError("invalid volume_mounts")
    for source, target in mounts.items():
        _valid_args([source, target], "volume mount")
        host = source if source.startswith("/") else os.path.join(ddir, _relative_path(source, "volume"))
        form.mount(host, target)
    for bind in spec.get("bind_mounts") or []:
        bind = list(_valid_args(list(bind), "bind mount"))
        for i, part in enumerate(bind):
            if part.startswith("source=") and not part[7:].startswith("/"):
                bind[i] = "source=%s" % os.path.join(ddir, _relative_path(part[7:], "bind source"))
        form.binds.append(bind)
    return form


#: daemon type -> how cephadm runs it
CONTAINER_FORMS = dict(
    [(t, _form_ceph) for t in CEPH_DAEMON_TYPES] +
    [(t, _form_monitoring) for t in MONITORING] +
    [(t, _form_tracing) for t in TRACING_TYPES] +
    [("ceph-exporter", _form_ceph_exporter), ("haproxy", _form_haproxy),
     ("keepalived", _form_keepalived), ("nfs", _form_nfs), ("iscsi", _form_iscsi),
     ("nvmeof", _form_nvmeof), ("snmp-gateway", _form_snmp_gateway), ("smb", _form_smb),
     ("mgmt-gateway", _form_mgmt_gateway), ("oauth2-proxy", _form_oauth2_proxy),
     ("container", _form_custom)])

#: where a type's config-json ``files`` go, relative to its data directory
CONFIG_FILES_DIR = {
    "prometheus": "etc/prometheus", "alertmanager": "etc/alertmanager", "loki": "etc/loki",
    "promtail": "etc/promtail", "alloy": "etc/alloy", "node-exporter": "etc/node-exporter",
    "grafana": "etc/grafana", "haproxy": "haproxy", "keepalived": "", "nfs": "etc/ganesha",
    "iscsi": "", "nvmeof": "", "mgmt-gateway": "etc", "oauth2-proxy": "etc",
    "ceph-exporter": "etc/certs",
}
#: directories a type's mounts need inside its data directory
DATA_SUBDIRS = {
    "prometheus": ("etc/prometheus", "data"), "alertmanager": ("etc/alertmanager",),
    "node-exporter": ("etc/node-exporter",), "loki": ("etc/loki", "data"),
    "promtail": ("etc/promtail", "data"), "alloy": ("etc/alloy", "data"),
    "grafana": ("etc/grafana/provisioning/datasources", "etc/grafana/provisioning/dashboards",
                "etc/grafana/certs", "data"),
    "haproxy": ("haproxy",), "nfs": ("etc/ganesha",), "iscsi": ("configfs",),
    "nvmeof": ("configfs",), "mgmt-gateway": ("etc",), "oauth2-proxy": ("etc",),
}


def _prepare_data_dir(fsid, dtype, ddir, request):
    """The directories and files the mounts name: the run and crash dirs, the type's
    subdirectories, the config-json files the caller sent (secrets: 0600)."""
    if dtype in CEPH_DAEMON_TYPES or dtype == "ceph-exporter":
        os.makedirs(rooted("run/ceph", fsid), mode=0o770, exist_ok=True)
        os.makedirs(os.path.join(cluster_dir(fsid), "crash", "posted"), mode=0o755, exist_ok=True)
    for sub in DATA_SUBDIRS.get(dtype, ()):
        os.makedirs(os.path.join(ddir, sub), mode=0o755, exist_ok=True)
    if dtype == "grafana" and not os.path.exists(os.path.join(ddir, "data/grafana.db")):
        open(os.path.join(ddir, "data/grafana.db"), "a").close()
    config, _ = _form_config(request)
    files = config.get("files") or {}
    if dtype == "container" or not files:
        return
    if dtype not in CONFIG_FILES_DIR:
        raise AgentError("invalid files for %s" % dtype)
    _populate(os.path.join(ddir, CONFIG_FILES_DIR[dtype]), files, 0o600)


def container_form(engine, fsid, name, ddir, request):
    dtype, did = name.split(".", 1)
    build = CONTAINER_FORMS.get(dtype)
    if build is None:
        raise AgentError("the container runtime cannot run %s daemons" % dtype)
    return build(fsid, dtype, did, ddir, request, engine)


def _container_image(name, image, request):
    """A custom container runs the spec's own image; every other type the request's."""
    if name.startswith("container."):
        _, spec = _form_config(request)
        if spec.get("image"):
            return valid_image(spec["image"])
    return image


#: the user a type's files belong to (cephadm: the owner of a path in the image; 167 is
#: ceph in Ceph's images, the monitoring users as MONITORING says)
CEPH_UID = 167


def _daemon_owner(name, request):
    """(uid, gid) of the daemon's files."""
    dtype = name.split(".", 1)[0]
    if dtype in MONITORING:
        return MONITORING[dtype]["user"], MONITORING[dtype]["user"]
    if dtype in CEPH_DAEMON_TYPES or dtype in ("ceph-exporter", "nfs", "iscsi", "nvmeof"):
        return CEPH_UID, CEPH_UID
    if dtype in TRACING_TYPES or dtype in ("mgmt-gateway", "oauth2-proxy"):
        return UID_NOBODY, UID_NOBODY
    if dtype == "container":
        _, spec = _form_config(request)
        uid, gid = spec.get("uid", UID_NOBODY), spec.get("gid", UID_NOBODY)
        if not isinstance(uid, int) or not isinstance(gid, int) or uid < 0 or gid < 0:
            raise AgentError("invalid uid/gid")
        return uid, gid
    return 0, 0


def _chown_data_dir(name, ddir, request):
    """Hand the daemon's directory to the user its container runs as (when we are root);
    the agent's own unit files stay root's."""
    if os.geteuid() != 0:
        return
    uid, gid = _daemon_owner(name, request)
    for base, dirs, files in os.walk(ddir):
        for entry in [base] + [os.path.join(base, f) for f in files]:
            if os.path.dirname(entry) == ddir and os.path.basename(entry).startswith(("unit.", "config.json")):
                continue
            os.lchown(entry, uid, gid)


def _podman_run_argv(engine, cname, image, form, request, detach=True, remove=False):
    """cephadm's CephContainer.run_cmd for ``form``, in its order."""
    argv = [engine, "run"] + (["--rm"] if remove else [])
    if form.ipc:
        argv.append("--ipc=%s" % form.ipc)
    argv.append("--stop-signal=SIGTERM")
    if request.get("memory_request"):
        argv += ["-e", "POD_MEMORY_REQUEST=%d" % int(request["memory_request"])]
    if request.get("memory_limit"):
        argv += ["-e", "POD_MEMORY_LIMIT=%d" % int(request["memory_limit"]),
                 "--memory", str(int(request["memory_limit"]))]
    if form.host_network:
        argv.append("--net=host")
    if form.entrypoint:
        argv += ["--entrypoint", form.entrypoint]
    if form.privileged:
        argv += ["--privileged", "--group-add=disk"]
    argv.append("--init")
    if cname:
        argv += ["--name", cname]
    argv += form.engine_args
    if detach:
        argv.append("-d")
    argv += list(request.get("extra_container_args") or [])
    argv += ["-e", "CONTAINER_IMAGE=%s" % image, "-e", "NODE_NAME=%s" % host_name()]
    for env in form.envs:
        argv += ["-e", env]
    mounts = list(form.mounts)
    if _engine_is_podman(engine) and os.path.exists("/etc/hosts") \
            and "/etc/hosts" not in [h for h, _ in mounts]:
        mounts.append(("/etc/hosts", "/etc/hosts:ro"))  # podman's own /etc/hosts breaks daemons
    for host, target in mounts:
        argv += ["-v", "%s:%s" % (host, target)]
    for bind in form.binds:
        argv += ["--mount", ",".join(bind)]
    return argv + [image] + form.args + list(request.get("extra_entrypoint_args") or [])


def _run_argv(engine, fsid, name, image, ddir, request):
    """The argv that runs daemon ``name``: what cephadm's unit.run runs for its type."""
    dtype = name.split(".", 1)[0]
    _prepare_data_dir(fsid, dtype, ddir, request)
    form = container_form(engine, fsid, name, ddir, request)
    return _podman_run_argv(engine, container_name(fsid, name), form.image or image, form, request)


def _validate_deploy(request):
    name = valid_daemon_name(request.get("name"))
    fsid = valid_fsid(request.get("fsid"))
    image = valid_image(request.get("image"))
    valid_service_name(request.get("service_name"))
    ports = request.get("ports") or []
    if not all(isinstance(p, int) and 0 < p < 65536 for p in ports):
        raise AgentError("invalid ports")
    if request.get("ip") is not None:
        _check(IP_RE, request["ip"], "ip address")
    for key in ("rank", "rank_generation", "memory_request", "memory_limit"):
        if request.get(key) is not None and not isinstance(request[key], int):
            raise AgentError("invalid %s" % key)
    _valid_args(request.get("extra_container_args") or [], "extra_container_args")
    _valid_args(request.get("extra_entrypoint_args") or [], "extra_entrypoint_args")
    for dev in request.get("osd_devices") or []:
        valid_device(dev)
    if not isinstance(request.get("config") or {}, dict):
        raise AgentError("invalid config")
    return name, fsid, image


def _meta(request, image):
    keys = ("service_name", "ports", "ip", "rank", "rank_generation", "extra_container_args",
            "extra_entrypoint_args", "memory_request", "memory_limit", "osd_devices")
    meta = {k: request.get(k) for k in keys}
    meta["image"] = image
    meta["deployed_by"] = [image]
    if request["name"].startswith("osd.") and str(request.get("service_name")).startswith("osd."):
        meta["osdspec_affinity"] = request["service_name"].split(".", 1)[1]
    return meta


def _keep_osd_devices(request, ddir):
    """A reconfig names no devices (it changes the config, not the OSD): the OSD keeps the
    devices its unit.meta records, which the inventory reports as this OSD's."""
    if request.get("reconfig") and not request.get("osd_devices"):
        old = _load_json(os.path.join(ddir, "unit.meta"), {}) or {}
        if old.get("osd_devices"):
            request = dict(request, osd_devices=old["osd_devices"])
    return request


def deploy_one(request):
    name, fsid, image = _validate_deploy(request)
    ddir = daemon_dir(fsid, name)
    request = _keep_osd_devices(request, ddir)
    os.makedirs(ddir, mode=0o700, exist_ok=True)
    os.makedirs(rooted("var/log/ceph", fsid), mode=0o770, exist_ok=True)
    if daemon_runtime(request) == "package":
        return deploy_package(request, name, fsid, image, ddir)
    # the daemon's settings may hold secrets: only the daemon's own directory sees them
    _write_json(os.path.join(ddir, "config.json"), request.get("config") or {}, mode=0o600)
    _daemon_files(ddir, request)  # config and keyring (0600), mounted where cephadm mounts them
    image = _container_image(name, image, request)
    state_path = os.path.join(ddir, "unit.state")
    state = _load_json(state_path, {}) or {}
    stamp = now_iso()
    meta_path = os.path.join(ddir, "unit.meta")
    if request.get("reconfig") and os.path.exists(meta_path):
        state["configured"] = stamp
        _write_json(meta_path, _meta(request, image))
        _write_json(state_path, state)
        return _ls_one(fsid, name)
    engine = _engine_or_fail()
    cname = container_name(fsid, name)
    info = image_info(engine, image)
    run([engine, "rm", "-f", cname])  # a leftover container of an earlier deploy; absent is fine
    argv = _run_argv(engine, fsid, name, image, ddir, request)
    _chown_data_dir(name, ddir, request)
    _write_json(os.path.join(ddir, "unit.run"), argv[1:])
    _write_json(meta_path, _meta(request, image))
    rc, out, err = run(argv)
    if rc != 0:
        state.update({"state": "error", "enabled": True, "deployed": stamp})
        _write_json(state_path, state)
        raise AgentError("%s run failed (%d): %s" % (os.path.basename(engine), rc, err.strip()[-500:]))
    state.update({"image_id": info["image_id"], "digests": info["digests"], "version": info["version"]})
    state.update({"state": "running", "enabled": True, "container_id": out.strip()[:64],
                  "created": state.get("created") or stamp, "deployed": stamp,
                  "configured": stamp, "started": stamp})
    _write_json(state_path, state)
    return _ls_one(fsid, name)


def cmd_deploy(request):
    return deploy_one(request)


def cmd_rm_daemon(request):
    name = valid_daemon_name(request.get("name"))
    fsid = valid_fsid(request.get("fsid"))
    ddir = daemon_dir(fsid, name)
    engine = container_engine()
    if os.path.isdir(ddir) and _runtime_of(ddir) == "package":
        _package_stop(ddir)
    elif engine:
        run([engine, "stop", container_name(fsid, name)])
        run([engine, "rm", "-f", container_name(fsid, name)])
    elif not request.get("force"):
        raise AgentError("No container engine binary found (podman or docker)")
    if os.path.isdir(ddir):
        removed = os.path.join(cluster_dir(fsid), "removed")
        os.makedirs(removed, mode=0o700, exist_ok=True)
        os.replace(ddir, os.path.join(removed, "%s_%s" % (name, now_iso().replace(":", "-"))))
    elif not request.get("force"):
        raise AgentError("daemon %s not found" % name)
    return {"removed": name}


def cmd_unit(request, action):
    if action not in ("start", "stop", "restart"):
        raise AgentError("unknown unit action %r" % action)
    name = valid_daemon_name(request.get("name"))
    fsid = valid_fsid(request.get("fsid"))
    ddir = daemon_dir(fsid, name)
    if not os.path.isfile(os.path.join(ddir, "unit.meta")):
        raise AgentError("daemon %s not found" % name)
    _unit_action(fsid, name, ddir, action)
    return _ls_one(fsid, name)


def _unit_action(fsid, name, ddir, action):
    state_path = os.path.join(ddir, "unit.state")
    state = _load_json(state_path, {}) or {}
    if _runtime_of(ddir) == "package":
        if action in ("stop", "restart"):
            _package_stop(ddir)
        if action in ("start", "restart"):
            _package_start(fsid, name, ddir)
            state["restarts"] = []
    else:
        _engine([action, container_name(fsid, name)])
    state["state"] = "stopped" if action == "stop" else "running"
    if action != "stop":
        state["started"] = now_iso()
    _write_json(state_path, state)


# -- the package runtime -------------------------------------------------------------------
# The distribution's Ceph binaries run as supervised processes, with cephadm's directory
# layout (<root>/var/lib/ceph/<fsid>/<daemon>/{config,keyring,unit.run,unit.meta,unit.state,
# unit.pid}). There is no systemd unit: the agent starts each daemon in a session of its own,
# re-parented to the host's init, and the next `ls` restarts an enabled daemon that died
# (systemd's Restart=, bounded the same way). An "image" names a binary root: `deb:system`
# is the host's own packages; `deb:<name>` a root under <root>/var/lib/ceph-orch/roots/.
RUNTIMES = ("container", "package")
PACKAGE_BINARIES = {
    "mon": "ceph-mon", "mgr": "ceph-mgr", "osd": "ceph-osd", "mds": "ceph-mds",
    "rgw": "radosgw", "crash": "ceph-crash", "rbd-mirror": "rbd-mirror",
}
DATA_OPTION = {"mon": "--mon-data", "mgr": "--mgr-data", "osd": "--osd-data",
               "mds": "--mds-data", "rgw": "--rgw-data"}
STOP_TIMEOUT = 10.0
#: systemd's StartLimitBurst/StartLimitIntervalSec for cephadm's units
RESTART_BURST, RESTART_INTERVAL = 5, 1800.0


def daemon_runtime(request):
    runtime = request.get("runtime") or "container"
    if runtime not in RUNTIMES:
        raise AgentError("unknown runtime %r (container or package)" % runtime)
    return runtime


def entity_name(name):
    """The cephx entity of a daemon, as cephadm names them."""
    dtype, did = name.split(".", 1)
    if dtype in ("mon", "mgr", "osd", "mds"):
        return name
    return "client.%s" % name


def binary_root(image):
    """Where a package "image" keeps its binaries: ``/`` for ``deb:system``."""
    valid_image(image)
    kind, _, label = image.partition(":")
    if kind != "deb" or not label:
        raise AgentError("the package runtime takes images named deb:<root> (deb:system for "
                         "this host's packages), not %r" % image)
    if label == "system":
        return "/"
    root = rooted("var/lib/ceph-orch/roots", label)
    if not os.path.isdir(root):
        raise AgentError("binary root %s for image %s is not on this host" % (root, image))
    return root


def _package_binary(dtype, image):
    if dtype not in PACKAGE_BINARIES:
        raise AgentError("the package runtime cannot run %s daemons (no packaged binary); "
                         "use the container runtime for them" % dtype)
    root = binary_root(image)
    if root != "/":
        for directory in ("usr/bin", "usr/sbin", "bin"):
            if os.access(os.path.join(root, directory, PACKAGE_BINARIES[dtype]), os.X_OK):
                return "/%s/%s" % (directory, PACKAGE_BINARIES[dtype])
        raise AgentError("%s is not installed in binary root %s (image %s)"
                         % (PACKAGE_BINARIES[dtype], root, image))
    path = which(PACKAGE_BINARIES[dtype])
    if not path:
        raise AgentError("%s is not installed on this host" % PACKAGE_BINARIES[dtype])
    return path


# A daemon of another binary root runs chrooted into it, in a mount namespace of its own
# where the host's Ceph directories (as the daemon sees them) and /dev are bound into the
# root: the same data, config and sockets, the other release's binaries. unshare, sh and
# chroot each exec the next, so the pid recorded is the daemon's.
_CHROOT = ('r="$1"; shift; while [ "$1" != -- ]; do mkdir -p "$r$1" && '
           'mount --bind "$1" "$r$1" || exit 1; shift; done; shift; '
           'mount -t proc proc "$r/proc" || exit 1; exec chroot "$r" "$@"')


def _chrooted(image, fsid, argv):
    """``argv`` as run from ``image``'s binary root (unchanged for the host's own)."""
    root = binary_root(image)
    if root == "/":
        return argv
    root = os.path.realpath(root)
    binds = ["/dev"] + [host_path(rooted(d)) for d in HOST_DIRS]
    unshare = which("unshare") or "/usr/bin/unshare"
    return [unshare, "--mount", "--propagation", "private", "/bin/sh", "-c", _CHROOT, "sh",
            root] + binds + ["--"] + argv


def cmd_binary_roots(request):
    """The binary roots this host has, each as an image name with its Ceph version:
    ``deb:system`` (the host's packages, when installed) and every root under
    <root>/var/lib/ceph-orch/roots/ (``orch upgrade ls`` in the package runtime)."""
    found = []
    if which("ceph"):
        found.append({"image": "deb:system", "version": _image_version("deb:system")})
    base = rooted("var/lib/ceph-orch/roots")
    try:
        names = sorted(os.listdir(base))
    except OSError:
        names = []
    for name in names:
        image = "deb:%s" % name
        if IMAGE_RE.match(image) and os.path.isdir(os.path.join(base, name)):
            found.append({"image": image, "version": _image_version(image)})
    return found


#: the host directories a daemon sees; a test host binds its root's copies over them
HOST_DIRS = ("etc/ceph", "var/lib/ceph", "var/log/ceph", "run/ceph")
_same_dirs = {}  # type: dict


def host_path(path):
    """``path`` (under the agent root) as the daemon sees it: the plain /var/lib/ceph/...
    when the root's directory is bound over the host's own (test hosts), else unchanged.
    Admin sockets need it: a UNIX socket path holds at most 107 bytes."""
    root = agent_root().rstrip("/")
    if not root:
        return path
    for prefix in HOST_DIRS:
        mine = os.path.join(root, prefix)
        if path == mine or path.startswith(mine + "/"):
            if prefix not in _same_dirs:
                try:
                    _same_dirs[prefix] = os.path.samefile(mine, "/" + prefix)
                except OSError:
                    _same_dirs[prefix] = False
            if _same_dirs[prefix]:
                return "/" + prefix + path[len(mine):]
    return path


def run_dir(fsid):
    return rooted("run/ceph", fsid)


def log_dir(fsid):
    return rooted("var/log/ceph", fsid)


def _package_argv(fsid, name, ddir, image, request):
    dtype, did = name.split(".", 1)
    binary = _package_binary(dtype, image)
    ddir = host_path(ddir)
    addr = request.get("host_addr")
    if dtype == "crash":
        crash = os.path.join(cluster_dir(fsid), "crash")
        os.makedirs(os.path.join(crash, "posted"), mode=0o755, exist_ok=True)
        return [binary, "-n", entity_name(name), "-p", host_path(crash)]
    # the core daemons take their id (`-n mon.x` is accepted by ceph-mon --mkfs and ignored)
    who = ["-i", did] if dtype in ("mon", "mgr", "osd", "mds") else ["-n", entity_name(name)]
    argv = [binary, "-f"] + who + [
            "--conf", os.path.join(ddir, "config"), "--keyring", os.path.join(ddir, "keyring"),
            "--run-dir", host_path(run_dir(fsid)),
            # named, not left to the default: a client-type daemon's (rgw) would carry its
            # pid, and `ls` finds the socket by name
            "--admin-socket", host_path(os.path.join(run_dir(fsid), "ceph-%s.asok" % entity_name(name))),
            "--log-file", host_path(os.path.join(log_dir(fsid), "ceph-%s.log" % name))]
    if dtype in DATA_OPTION:
        argv += [DATA_OPTION[dtype], ddir]
    if dtype == "mon" and addr:
        argv += ["--public-addr", addr]
    if dtype == "rgw":
        argv += ["--rgw-frontends", _rgw_frontends(request, request.get("ip") or addr)]
    return argv + list(request.get("extra_entrypoint_args") or [])


def _rgw_frontends(request, bind):
    """The frontends a gateway this agent starts listens on: the orchestrator's
    ``rgw_frontends`` (cephadm's, as set in the config database: TLS, certificate, extra
    arguments), bound to the host's address when it names only a port (hosts that share one
    network namespace, as test hosts on loopback do, would otherwise take each other's
    port); without one, beast on the request's port."""
    port = (request.get("ports") or [80])[0]
    value = (request.get("config") or {}).get("rgw_frontends")
    if not value:
        return "beast endpoint=%s:%d" % (bind, port) if bind else "beast port=%d" % port
    if bind and value.startswith("beast "):
        where = "[%s]" % bind if ":" in bind else bind
        value = re.sub(r"(?<![\w])(ssl_)?port=(\d+)",
                       lambda m: "%sendpoint=%s:%s" % (m.group(1) or "", where, m.group(2)),
                       value)
    return value


def _package_env(fsid, name, ddir):
    env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": "/root", "LANG": "C.UTF-8"}
    if name.startswith("crash."):
        # ceph-crash posts through the `ceph` CLI, which finds the cluster from CEPH_ARGS
        env["CEPH_ARGS"] = "--conf %s --keyring %s" % (host_path(os.path.join(ddir, "config")),
                                                         host_path(os.path.join(ddir, "keyring")))
    return env


def _spawn(argv, env, log_path):
    """Start ``argv`` detached (double fork, own session, stdin from /dev/null, output to
    ``log_path``) and return its pid. The daemon is never the agent's child, so it neither
    turns into the agent's zombie nor dies with the agent's SSH session."""
    rd, wr = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the forked child
        try:
            os.close(rd)
            os.setsid()
            grandchild = os.fork()
            if grandchild == 0:
                null = os.open(os.devnull, os.O_RDONLY)
                out = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
                os.dup2(null, 0)
                os.dup2(out, 1)
                os.dup2(out, 2)
                os.closerange(3, 65536)
                os.chdir("/")
                os.execve(argv[0], argv, env)
            os.write(wr, str(grandchild).encode())
        finally:
            os._exit(0)
    os.close(wr)
    data = b""
    while True:
        chunk = os.read(rd, 64)
        if not chunk:
            break
        data += chunk
    os.close(rd)
    os.waitpid(child, 0)
    if not data:
        raise AgentError("could not start %s" % argv[0])
    return int(data)


def _proc_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            raw = f.read()
    except OSError:
        return None
    return [a.decode(errors="replace") for a in raw.split(b"\0")[:-1]]


def _proc_stat(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _package_pid(ddir):
    """The daemon's pid while it runs: the pid file's process, alive, not a zombie, and
    running this unit's command line (pids wrap within minutes on a busy host)."""
    pid = _read(os.path.join(ddir, "unit.pid"))
    # what the daemon's own command line is (unit.run may start it through a chroot)
    argv = (_load_json(os.path.join(ddir, "unit.meta"), {}) or {}).get("cmdline") or \
        _load_json(os.path.join(ddir, "unit.run"), None)
    if not pid.isdigit() or not isinstance(argv, list):
        return None
    pid = int(pid)
    stat = _proc_stat(pid)
    if stat is None or stat[0] in ("Z", "X"):
        return None
    cmdline = _proc_cmdline(pid)
    # a script's interpreter comes first (`python3 /usr/bin/ceph-crash ...`)
    if not cmdline or cmdline[-len(argv):] != argv:
        return None
    return pid


def _package_start(fsid, name, ddir):
    if _package_pid(ddir) is not None:
        return
    argv = _load_json(os.path.join(ddir, "unit.run"), None)
    if not isinstance(argv, list):
        raise AgentError("daemon %s has no unit.run" % name)
    os.makedirs(run_dir(fsid), mode=0o770, exist_ok=True)
    os.makedirs(log_dir(fsid), mode=0o770, exist_ok=True)
    pid = _spawn(argv, _package_env(fsid, name, ddir),
                 os.path.join(log_dir(fsid), "%s.stdout" % name))
    with open(os.path.join(ddir, "unit.pid"), "w") as f:
        f.write("%d\n" % pid)
    # the pid is known before its exec is done: wait (briefly) until it runs the daemon,
    # so the `ls` that follows a start reports it running, not the fork it came from
    deadline = time.monotonic() + 2.0
    while _package_pid(ddir) is None and _proc_stat(pid) is not None \
            and time.monotonic() < deadline:
        time.sleep(0.01)


def _package_stop(ddir, timeout=STOP_TIMEOUT):
    """SIGTERM, then SIGKILL after ``timeout``; a daemon that already exited (a removed
    mon exits by itself) is fine."""
    pid = _package_pid(ddir)
    recorded = _read(os.path.join(ddir, "unit.pid"))
    if pid is None and recorded.isdigit():
        # the recorded process lives but does not run the unit's command line: a daemon in
        # the middle of re-executing itself (a mgr that was just failed over) looks so for
        # a moment; a reused pid stays a stranger
        deadline = time.monotonic() + 3.0
        while pid is None and _proc_stat(int(recorded)) is not None \
                and time.monotonic() < deadline:
            time.sleep(0.05)
            pid = _package_pid(ddir)
    if pid is None:
        return
    import signal
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            # gone means gone: a daemon that re-execs itself (a failed-over mgr respawns)
            # keeps its pid but not, for a moment, its command line
            stat = _proc_stat(pid)
            if stat is None or stat[0] in ("Z", "X"):
                return
            time.sleep(0.05)
    raise AgentError("pid %d did not exit after SIGKILL" % pid)


def _asok_version(path):
    """The daemon's own version, asked on its admin socket (``{"prefix": "version"}``)."""
    import socket
    import struct
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(2.0)
        s.connect(path)
        s.sendall(b'{"prefix": "version"}\0')
        head = b""
        while len(head) < 4:
            chunk = s.recv(4 - len(head))
            if not chunk:
                return None
            head += chunk
        (size,) = struct.unpack(">I", head)
        body = b""
        while len(body) < size:
            chunk = s.recv(size - len(body))
            if not chunk:
                break
            body += chunk
        s.close()
        return json.loads(body.decode()).get("version")
    except (OSError, ValueError, AttributeError):
        return None


def _package_usage(pid):
    """(rss bytes, cpu percentage string) from /proc."""
    rss = None
    for line in _read("/proc/%d/status" % pid).splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) * 1024
    stat = _proc_stat(pid)
    cpu = None
    if stat is not None:
        ticks = float(os.sysconf("SC_CLK_TCK"))
        used = (int(stat[11]) + int(stat[12])) / ticks
        uptime = float((_read("/proc/uptime", "0").split() or ["0"])[0])
        alive = uptime - int(stat[19]) / ticks
        cpu = "%.2f%%" % (100.0 * used / alive) if alive > 0 else "0.00%"
    return rss, cpu


def _package_status(fsid, name, ddir, state):
    """running / stopped / error, plus what /proc and the admin socket say of it."""
    pid = _package_pid(ddir)
    found = {"state": "running" if pid else
             ("stopped" if state.get("state") == "stopped" else "error")}
    if pid:
        found["memory_usage"], found["cpu_percentage"] = _package_usage(pid)
        if state.get("version_pid") != pid:
            dtype = name.split(".", 1)[0]
            asok = host_path(os.path.join(run_dir(fsid), "ceph-%s.asok" % entity_name(name))) \
                if dtype != "crash" else None
            # ceph-crash has no admin socket: it runs the packages' version
            meta = _load_json(os.path.join(ddir, "unit.meta"), {}) or {}
            version = _asok_version(asok) if asok else \
                _package_version(state, meta.get("image") or "deb:system")
            if version:
                state["version"], state["version_pid"] = version, pid
                _write_json(os.path.join(ddir, "unit.state"), state)
    return found


def _package_version(state, image="deb:system"):
    """The version of the binaries a daemon without an admin socket (ceph-crash) runs."""
    return _image_version(image)


def _image_version(image):
    """The Ceph version of a binary root (``ceph --version`` in it), asked once per image
    and remembered beside the container image cache."""
    cache_path = rooted("var/lib/ceph-orch/images.json")
    cache = _load_json(cache_path, {}) or {}
    if image not in cache or not cache[image].get("version"):
        try:
            root = binary_root(image)
        except AgentError:
            return None
        if root == "/":
            ceph = which("ceph")
            argv = [ceph, "--version"] if ceph else None
        else:
            argv = ["chroot", os.path.realpath(root), "ceph", "--version"]
        rc, out, _ = run(argv, timeout=60) if argv else (1, "", "")
        found = re.search(r"ceph version (\S+)", out) if rc == 0 else None
        cache[image] = {"image_id": None, "digests": [],
                        "version": found.group(1) if found else None}
        os.makedirs(os.path.dirname(cache_path), mode=0o755, exist_ok=True)
        _write_json(cache_path, cache)
    return cache[image]["version"]


def _restart_allowed(state, now):
    recent = [t for t in state.get("restarts") or [] if now - t < RESTART_INTERVAL]
    state["restarts"] = recent
    return len(recent) < RESTART_BURST


def _package_boot(fsid, name, ddir, state):
    """Start an enabled daemon that is not running and was not stopped on purpose: what
    systemd does after a reboot or a crash (``Restart=on-failure``), bounded likewise."""
    if not state.get("enabled", True) or state.get("state") == "stopped":
        return
    if _package_pid(ddir) is not None:
        return
    now = time.time()
    if not _restart_allowed(state, now):
        return
    state["restarts"].append(now)
    try:
        _package_start(fsid, name, ddir)
        state["started"] = now_iso()
    except (AgentError, OSError):
        pass
    _write_json(os.path.join(ddir, "unit.state"), state)


def _write_text(path, text, mode):
    tmp = path + ".new"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _daemon_files(ddir, request):
    """``config`` (the daemon's minimal ceph.conf) and ``keyring`` (0600), from the request:
    the orchestrator got them from the cluster (``auth get-or-create`` with cephadm's caps)."""
    files = request.get("files") or {}
    if not isinstance(files, dict):
        raise AgentError("invalid files")
    for key, mode in (("config", 0o644), ("keyring", 0o600)):
        text = files.get(key)
        if text is None:
            continue
        if not isinstance(text, str):
            raise AgentError("invalid %s" % key)
        _write_text(os.path.join(ddir, key), text, mode)


def _mon_mkfs(fsid, name, ddir, request):
    """A new mon's store, from the cluster's monmap and ``mon.`` key (as cephadm's deploy
    of a mon does); a mon that already has a store keeps it."""
    if os.path.exists(os.path.join(ddir, "store.db")):
        return
    conf = (request.get("files") or {}).get("config")
    mon = request.get("mon_bootstrap") or {}
    monmap, key = mon.get("monmap_b64"), mon.get("mon_keyring")
    if not isinstance(monmap, str) or not isinstance(key, str):
        raise AgentError("deploying %s needs the cluster's monmap and mon. key" % name)
    import base64
    import tempfile
    tmp = tempfile.mkdtemp(dir=_tmp_dir())
    try:
        with open(os.path.join(tmp, "monmap"), "wb") as f:
            f.write(base64.b64decode(monmap))
        _write_text(os.path.join(tmp, "keyring"), key, 0o600)
        _write_text(os.path.join(tmp, "config"), conf or "", 0o644)
        _mkfs_mon(name, ddir, os.path.join(tmp, "monmap"), os.path.join(tmp, "keyring"),
                  os.path.join(tmp, "config"))
    finally:
        _rmtree(tmp)


def _mkfs_mon(name, ddir, monmap, keyring, conf):
    """``ceph-mon --mkfs`` into the (empty) data dir; it logs its errors to its log file,
    not stderr, so success is judged by the store it leaves."""
    binary = _package_binary("mon", "deb:system")
    for leftover in os.listdir(ddir):  # an earlier failed attempt's files
        path = os.path.join(ddir, leftover)
        if os.path.isdir(path):
            _rmtree(path)
        else:
            os.unlink(path)
    log = os.path.join(_tmp_dir(), "mkfs-%s.log" % name)
    rc, out, err = run([binary, "--mkfs", "-i", name.split(".", 1)[1], "--mon-data", ddir,
                        "--monmap", monmap, "--keyring", keyring, "--conf", conf,
                        "--log-file", log], timeout=120)
    if rc != 0 or not os.path.isdir(os.path.join(ddir, "store.db")):
        detail = (err.strip() or _read(log)[-500:] or out.strip())[-500:]
        raise AgentError("ceph-mon --mkfs failed (%d): %s" % (rc, detail))


def _tmp_dir():
    path = rooted("var/lib/ceph-orch/tmp")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def _rmtree(path):
    for base, dirs, files in os.walk(path, topdown=False):
        for f in files:
            os.unlink(os.path.join(base, f))
        for d in dirs:
            os.rmdir(os.path.join(base, d))
    os.rmdir(path)


def deploy_package(request, name, fsid, image, ddir):
    """Deploy (or reconfigure) one daemon of the package runtime and start it."""
    request = _keep_osd_devices(request, ddir)
    state_path = os.path.join(ddir, "unit.state")
    state = _load_json(state_path, {}) or {}
    stamp = now_iso()
    if name.startswith("mon."):
        _mon_mkfs(fsid, name, ddir, request)  # into the empty dir, before anything else
    _daemon_files(ddir, request)
    argv = _package_argv(fsid, name, ddir, image, request)
    meta = _meta(request, image)
    meta["runtime"] = "package"
    meta["cmdline"] = argv
    reconfig = request.get("reconfig") and os.path.exists(os.path.join(ddir, "unit.meta"))
    _write_json(os.path.join(ddir, "unit.run"), _chrooted(image, fsid, argv))
    _write_json(os.path.join(ddir, "unit.meta"), meta)
    if reconfig:
        state["configured"] = stamp
        _write_json(state_path, state)
        return _ls_one(fsid, name)
    _package_stop(ddir)
    state.update({"state": "running", "enabled": True, "created": state.get("created") or stamp,
                  "deployed": stamp, "configured": stamp, "started": stamp, "restarts": []})
    # the version is the running daemon's to tell (its admin socket), never remembered
    # across a redeploy: an upgraded daemon must not report the release it replaced
    state.pop("version_pid", None)
    state.pop("version", None)
    try:
        _package_start(fsid, name, ddir)
    except (AgentError, OSError) as exc:
        state["state"] = "error"
        _write_json(state_path, state)
        raise AgentError("starting %s failed: %s" % (name, exc))
    _write_json(state_path, state)
    return _ls_one(fsid, name)


# -- the cluster: questions, bootstrap, client files -----------------------------------------
# The orchestrator asks Ceph through the agent on an admin host: through python3-rados
# (librados' mon_command/mgr_command, about 1 ms each) when the host has it and an admin
# keyring, else through the `ceph` CLI (about 1 s each: a Python start-up, an import and a
# cephx handshake per call).
_rados = {}  # type: dict
#: commands the `ceph` CLI sends to the mgr (its "mon-mgr" target), not the mons
MGR_PREFIXES = ("osd ok-to-stop", "osd safe-to-destroy", "pg ls-by-osd", "osd destroy",
                "osd purge")
DIST_PACKAGES = "/usr/lib/python3/dist-packages"


def admin_conf():
    return rooted("etc/ceph/ceph.conf")


def admin_keyring():
    return rooted("etc/ceph/ceph.client.admin.keyring")


def _rados_handle():
    """A connected ``rados.Rados`` (kept for the session), or None without python3-rados
    or an admin keyring on this host."""
    if "handle" in _rados:
        return _rados["handle"]
    handle = None
    if os.path.exists(admin_conf()) and os.path.exists(admin_keyring()):
        if DIST_PACKAGES not in sys.path and os.path.isdir(DIST_PACKAGES):
            sys.path.append(DIST_PACKAGES)  # the agent runs with -S
        try:
            import rados
        except ImportError:
            rados = None
        if rados is not None:
            handle = rados.Rados(conffile=admin_conf(), name="client.admin",
                                 conf={"keyring": admin_keyring()})
            try:
                handle.connect(timeout=15)
            except Exception as exc:  # rados.Error and its kin: no cluster answers
                raise AgentError("cannot reach the cluster's monitors: %s" % exc)
    _rados["handle"] = handle
    return handle


def _forget_rados():
    handle = _rados.pop("handle", None)
    if handle is not None:
        try:
            handle.shutdown()
        except Exception:  # rados' own error types (not importable here): the handle is dropped anyway
            pass


def ceph_command(cmd, argv, inbuf=b"", timeout=30, binary=False):
    """Run one Ceph command; (rc >= 0, out bytes, err text, how)."""
    handle = _rados_handle()
    if handle is not None:
        target = handle.mgr_command if cmd.get("prefix") in MGR_PREFIXES else handle.mon_command
        try:
            ret, out, err = target(json.dumps(cmd), inbuf, timeout=timeout)
        except Exception as exc:
            _forget_rados()
            return 110, b"", "%s: %s" % (type(exc).__name__, exc), "rados"
        return abs(ret), out or b"", err or "", "rados"
    cli = which("ceph")
    if not cli:
        raise AgentError("neither python3-rados nor the ceph CLI is installed on this host")
    base = [cli]
    if os.path.exists(admin_conf()) and agent_root() != "/":
        base += ["--conf", admin_conf(), "--keyring", admin_keyring()]
    if binary:
        import tempfile
        fd, tmp = tempfile.mkstemp(dir=_tmp_dir())
        os.close(fd)
        try:
            proc = subprocess.run(base + list(argv) + ["-o", tmp], input=inbuf or None,
                                  stdin=None if inbuf else subprocess.DEVNULL,
                                  capture_output=True, timeout=timeout + 30)
            with open(tmp, "rb") as f:
                out = f.read()
        finally:
            os.unlink(tmp)
        return proc.returncode, out, proc.stderr.decode(errors="replace"), "cli"
    proc = subprocess.run(base + list(argv) + ["--format", "json"], input=inbuf or None,
                          stdin=None if inbuf else subprocess.DEVNULL,
                          capture_output=True, timeout=timeout + 30)
    return proc.returncode, proc.stdout, proc.stderr.decode(errors="replace"), "cli"


def cmd_ceph(request):
    """``{"cmd": {prefix, ...}, "argv": [...], "inbuf": str, "binary": bool}`` ->
    ``{"rc", "out" (text, or base64 when binary), "err", "via"}``."""
    cmd, argv = request.get("cmd"), request.get("argv")
    if not isinstance(cmd, dict) or not isinstance(cmd.get("prefix"), str):
        raise AgentError("invalid ceph command")
    _valid_args(argv if isinstance(argv, list) else None, "ceph arguments")
    inbuf = request.get("inbuf") or ""
    if not isinstance(inbuf, str):
        raise AgentError("invalid inbuf")
    timeout = request.get("timeout") or 30
    binary = bool(request.get("binary"))
    rc, out, err, via = ceph_command(cmd, argv, inbuf.encode(), timeout, binary)
    if binary:
        import base64
        text = base64.b64encode(out).decode()
    else:
        text = out.decode(errors="replace")
    return {"rc": rc, "out": text, "err": err.strip()[-2000:], "via": via}


def _ceph_ok(cmd, argv, inbuf=b"", timeout=30):
    rc, out, err, _ = ceph_command(cmd, argv, inbuf, timeout)
    if rc != 0:
        raise AgentError("`ceph %s` failed (%d): %s" % (" ".join(argv), rc, err.strip()[-500:]))
    return out


def minimal_conf(fsid, mon_addrs):
    """cephadm's minimal ceph.conf: the fsid and where the mons are."""
    hosts = ",".join("[v2:%s:3300/0,v1:%s:6789/0]" % (a, a) for a in mon_addrs)
    return "# minimal ceph.conf for %s\n[global]\n\tfsid = %s\n\tmon_host = %s\n" % (fsid, fsid, hosts)


def _authtool(*args):
    rc, _, err = run(["ceph-authtool"] + list(args), timeout=60)
    if rc != 0:
        raise AgentError("ceph-authtool failed (%d): %s" % (rc, err.strip()[-300:]))


def _keyring_text(entry):
    lines = ["[%s]" % entry["entity"], "\tkey = %s" % entry["key"]]
    for subsystem, cap in sorted((entry.get("caps") or {}).items()):
        lines.append('\tcaps %s = "%s"' % (subsystem, cap))
    return "\n".join(lines) + "\n"


def _get_or_create(entity, caps):
    out = _ceph_ok({"prefix": "auth get-or-create", "entity": entity, "caps": caps,
                    "format": "json"},
                   ["auth", "get-or-create", entity] + caps)
    return _keyring_text(json.loads(out.decode())[0])


def _wait_for_mons(timeout=90.0):
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            rc, out, err, _ = ceph_command({"prefix": "quorum_status", "format": "json"},
                                           ["quorum_status"], timeout=10)
            if rc == 0 and json.loads(out.decode()).get("quorum_names"):
                return
            last = err
        except (AgentError, ValueError) as exc:
            last = str(exc)
            _forget_rados()
        time.sleep(0.5)
    raise AgentError("the first monitor did not form a quorum in %ds: %s" % (timeout, last))


def _cluster_exists():
    """A host that already belongs to a cluster: an admin config, or daemons deployed."""
    if os.path.exists(admin_conf()):
        return admin_conf()
    for fsid, name, _ in _daemon_dirs():
        return "%s (daemon %s)" % (cluster_dir(fsid), name)
    return None


def cmd_bootstrap(request):
    """Create a cluster on this host, as ``cephadm bootstrap`` does: keys, a monmap, the
    first mon and mgr, the initial config assimilated, /etc/ceph written."""
    fsid = valid_fsid(request.get("fsid"))
    mon_id = valid_hostname(request.get("mon_id"))
    mgr_name = valid_daemon_name("mgr.%s" % request.get("mgr_id"))
    mon_ip = _check(IP_RE, request.get("mon_ip"), "mon ip")
    image = valid_image(request.get("image"))
    initial = request.get("initial_config") or ""
    if not isinstance(initial, str):
        raise AgentError("invalid initial config")
    existing = _cluster_exists()
    if existing:
        raise AgentError("this host already has a cluster: %s" % existing)
    binary_root(image)
    import tempfile
    tmp = tempfile.mkdtemp(dir=_tmp_dir())
    try:
        mon_key, admin, bootstrap_osd = (os.path.join(tmp, n) for n in
                                         ("mon.keyring", "admin.keyring", "bootstrap-osd.keyring"))
        _authtool("--create-keyring", mon_key, "--gen-key", "-n", "mon.", "--cap", "mon", "allow *")
        _authtool("--create-keyring", admin, "--gen-key", "-n", "client.admin",
                  "--cap", "mon", "allow *", "--cap", "osd", "allow *",
                  "--cap", "mds", "allow *", "--cap", "mgr", "allow *")
        _authtool("--create-keyring", bootstrap_osd, "--gen-key", "-n", "client.bootstrap-osd",
                  "--cap", "mon", "profile bootstrap-osd", "--cap", "mgr", "allow r")
        _authtool(mon_key, "--import-keyring", admin)
        _authtool(mon_key, "--import-keyring", bootstrap_osd)
        monmap = os.path.join(tmp, "monmap")
        rc, _, err = run(["monmaptool", "--create", "--fsid", fsid, "--addv", mon_id,
                          "[v2:%s:3300,v1:%s:6789]" % (mon_ip, mon_ip), monmap], timeout=60)
        if rc != 0:
            raise AgentError("monmaptool failed (%d): %s" % (rc, err.strip()[-300:]))
        conf = minimal_conf(fsid, [mon_ip])
        mon_name = "mon.%s" % mon_id
        ddir = daemon_dir(fsid, mon_name)
        os.makedirs(ddir, mode=0o700, exist_ok=True)
        # the first mon also reads the initial config: it must bind and run with it before
        # the config database holds it
        first_conf = os.path.join(tmp, "config")
        _write_text(first_conf, conf + "\n" + initial, 0o644)
        _mkfs_mon(mon_name, ddir, monmap, mon_key, first_conf)
        mon_request = dict(request, name=mon_name, service_name="mon", host_addr=mon_ip,
                           runtime="package", files={"config": conf + "\n" + initial}, ports=[])
        deploy_package(mon_request, mon_name, fsid, image, ddir)
        os.makedirs(rooted("etc/ceph"), mode=0o755, exist_ok=True)
        _write_text(admin_conf(), conf, 0o644)
        with open(admin) as f:
            _write_text(admin_keyring(), f.read(), 0o600)
        _forget_rados()
        _wait_for_mons()
        if initial.strip():
            _ceph_ok({"prefix": "config assimilate-conf"}, ["config", "assimilate-conf", "-i", "-"],
                     initial.encode())
        mgr_key = _get_or_create("mgr.%s" % request.get("mgr_id"),
                                 ["mon", "profile mgr", "osd", "allow *", "mds", "allow *"])
        mgr_dir = daemon_dir(fsid, mgr_name)
        os.makedirs(mgr_dir, mode=0o700, exist_ok=True)
        mgr_request = dict(request, name=mgr_name, service_name="mgr", host_addr=mon_ip,
                           runtime="package", files={"config": conf, "keyring": mgr_key},
                           ports=[])
        deploy_package(mgr_request, mgr_name, fsid, image, mgr_dir)
    finally:
        _rmtree(tmp)
    return {"fsid": fsid, "mon": mon_name, "mgr": mgr_name, "ls": cmd_ls({})}


def _set_owner_and_mode(path, mode, uid, gid):
    """Give ``path`` this mode and (when given) owner, as cephadm's ``write_new`` does for
    client keyrings (``orch client-keyring set --owner --mode``); True when it changed."""
    st = os.stat(path)
    want_uid = st.st_uid if uid is None else uid
    want_gid = st.st_gid if gid is None else gid
    changed = False
    if (st.st_uid, st.st_gid) != (want_uid, want_gid):
        os.chown(path, want_uid, want_gid)
        changed = True
    if (st.st_mode & 0o7777) != mode:
        os.chmod(path, mode)
        changed = True
    return changed


def cmd_client_files(request):
    """Write (or remove) /etc/ceph files on this host: the cluster's config and keyrings
    that cephadm keeps on ``_admin`` hosts (and client-keyring targets)."""
    files = request.get("files")
    if not isinstance(files, dict):
        raise AgentError("invalid files")
    written, removed = [], []
    for name, spec in sorted(files.items()):
        if not re.match(r"^ceph(?:\.[A-Za-z0-9_.-]+)?\.(?:conf|keyring)$", name) or ".." in name:
            raise AgentError("invalid client file name %r" % name)
        path = rooted("etc/ceph", name)
        if spec is None:
            if os.path.exists(path):
                os.unlink(path)
                removed.append(name)
            continue
        text, mode = spec.get("text"), spec.get("mode", 0o644)
        uid, gid = spec.get("uid"), spec.get("gid")
        if not isinstance(text, str) or not isinstance(mode, int) or mode & ~0o777 or \
                not all(v is None or (isinstance(v, int) and v >= 0) for v in (uid, gid)):
            raise AgentError("invalid client file %r" % name)
        os.makedirs(rooted("etc/ceph"), mode=0o755, exist_ok=True)
        if _read(path, None) != text.strip():
            _write_text(path, text, mode)
            written.append(name)
        if _set_owner_and_mode(path, mode, uid, gid) and name not in written:
            written.append(name)
    if written or removed:
        _forget_rados()
    return {"written": written, "removed": removed}


# -- prepare-host, registry-login ------------------------------------------------------------
#: the directories cephadm's daemons and tools expect, with cephadm's modes
PREPARED_DIRS = (("etc/ceph", 0o755), ("var/lib/ceph", 0o755), ("var/log/ceph", 0o770),
                 ("run/ceph", 0o770))
#: binary -> the Debian package that ships it, per runtime (what prepare-host installs)
RUNTIME_PACKAGES = {
    "package": {"ceph": "ceph-common", "ceph-authtool": "ceph-common",
                "monmaptool": "ceph-common", "ceph-mon": "ceph-mon", "ceph-mgr": "ceph-mgr",
                "ceph-osd": "ceph-osd", "ceph-volume": "ceph-osd"},
    "container": {"lvcreate": "lvm2"},
}
TIME_SYNC_DAEMONS = ("chronyd", "ntpd", "systemd-timesyncd", "openntpd", "ntpsec")
REGISTRY_RECORD = "var/lib/ceph-orch/registry.json"


def _running_programs():
    names = set()
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            names.add(_read("/proc/%s/comm" % pid).strip())
    return names


def _install(packages):
    """Install ``packages`` with the host's package manager (as cephadm's prepare-host
    installs podman, lvm2 and chrony); an error names what to install by hand."""
    if agent_root() != "/":
        raise AgentError("missing packages: %s (this agent's root is %s, a prefix of a shared "
                         "host: install them on the host itself)"
                         % (", ".join(packages), agent_root()))
    for tool, argv in (("apt-get", ["apt-get", "install", "-y", "-q"]),
                       ("dnf", ["dnf", "install", "-y"]), ("zypper", ["zypper", "-n", "install"])):
        if which(tool):
            os.environ.setdefault("DEBIAN_FRONTEND", "noninteractive")
            rc, out, err = run(argv + list(packages), timeout=1200)
            if rc != 0:
                raise AgentError("%s could not install %s: %s"
                                 % (tool, ", ".join(packages), (err or out).strip()[-300:]))
            return
    raise AgentError("missing packages: %s, and no package manager (apt-get, dnf, zypper) to "
                     "install them" % ", ".join(packages))


def cmd_prepare_host(request):
    """cephadm's ``prepare-host``: make true what ``check-host`` checks. Creates the Ceph
    directories that are missing and installs the runtime's missing packages (the Ceph
    binaries for the package runtime; a container engine and lvm2 for the container one).
    Returns what it did, then what check-host answers."""
    runtime = daemon_runtime(request)
    created = []
    for rel, mode in PREPARED_DIRS:
        path = rooted(rel)
        if not os.path.isdir(path):
            os.makedirs(path, mode=mode, exist_ok=True)
            os.chmod(path, mode)
            created.append("/" + rel)
    wanted = RUNTIME_PACKAGES[runtime]
    missing = sorted({pkg for binary, pkg in wanted.items() if not which(binary)})
    if runtime == "container" and not container_engine():
        missing.append("podman")
    if missing:
        _install(missing)
    notes = []
    if not _running_programs() & set(TIME_SYNC_DAEMONS):
        notes.append("no time synchronization daemon runs (%s); Ceph's monitors need "
                     "synchronized clocks" % ", ".join(TIME_SYNC_DAEMONS[:3]))
    answer = cmd_check_host(request)
    answer.update({"created": created, "installed": missing, "notes": notes})
    return answer


def _login_field(request, key):
    value = request.get(key)
    if not isinstance(value, str) or not value or (key != "password" and
                                                   re.search(r"\s", value)):
        raise AgentError("invalid registry %s" % key)
    return value


def cmd_registry_login(request):
    """`orch cephadm registry-login`: ``<engine> login`` (password on stdin; podman keeps it in
    /etc/ceph/podman-auth.json, 0600, as cephadm has it). The package runtime pulls no
    images: there the login is only recorded (url and user, no password) and said so."""
    url, user = _login_field(request, "url"), _login_field(request, "username")
    password = _login_field(request, "password")
    if daemon_runtime(request) == "package":
        path = rooted(REGISTRY_RECORD)
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        _write_json(path, {"url": url, "username": user, "recorded": now_iso()}, mode=0o600)
        return {"hostname": host_name(), "logged_in": False, "recorded": "/" + REGISTRY_RECORD,
                "note": "the package runtime pulls no images: the login is recorded, not used"}
    engine = _engine_or_fail()
    argv = [engine, "login", "-u", user, "--password-stdin"]
    authfile = None
    if _engine_is_podman(engine):
        os.makedirs(rooted("etc/ceph"), mode=0o755, exist_ok=True)
        authfile = rooted("etc/ceph/podman-auth.json")
        argv.append("--authfile=%s" % authfile)
    rc, _, err = run(argv + [url], stdin=password + "\n", timeout=120)
    if rc != 0:
        raise AgentError("Failed to login to custom registry @ %s as %s with given password: %s"
                         % (url, user, err.strip()[-300:]))
    if authfile and os.path.exists(authfile):
        os.chmod(authfile, 0o600)
    return {"hostname": host_name(), "logged_in": True, "engine": os.path.basename(engine)}


# -- OSDs in the package runtime: ceph-volume raw ------------------------------------------
# Without device-mapper (no LVM) ceph-volume's raw mode is what works: one whole device per
# OSD. ceph-volume hard-codes /var/lib/ceph/osd/ceph-<id>, /etc/ceph/ceph.conf and the
# bootstrap-osd keyring, so it runs in a private mount namespace where the OSD's cephadm
# directory, a config and the keyring are bound over those paths (what cephadm's container
# mounts do).
_NS_BINDS = ('while [ "$1" != -- ]; do mkdir -p "$2" && mount --bind "$1" "$2" || exit 1; '
             'shift 2; done; shift; exec "$@"')


def device_mapper():
    """Whether this kernel can make LVM volumes (device-mapper)."""
    return "device-mapper" in _read("/proc/misc") or os.path.exists("/dev/mapper/control")


def _in_namespace(binds, argv, env, timeout=600):
    words = ["unshare", "--mount", "--propagation", "private", "sh", "-c", _NS_BINDS, "sh"]
    for src, dst in binds:
        words += [src, dst]
    proc_env = dict(os.environ)
    proc_env.update(env)
    try:
        proc = subprocess.run(words + ["--"] + argv, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL, env=proc_env)
    except subprocess.TimeoutExpired:
        return 124, "", "timed out after %ss" % timeout
    return proc.returncode, proc.stdout, proc.stderr


def _ceph_volume_env(devices):
    env = {}
    if any(d.startswith("/dev/loop") for d in devices):
        env["CEPH_VOLUME_ALLOW_LOOP_DEVICES"] = "1"
    return env


def _ceph_volume_package(fsid, args, osd_dir, conf, bootstrap_keyring, devices):
    import tempfile
    ceph_volume = which("ceph-volume")
    if not ceph_volume:
        raise AgentError("ceph-volume is not installed on this host (Debian: ceph-osd)")
    tmp = tempfile.mkdtemp(dir=_tmp_dir())
    try:
        etc, boot = os.path.join(tmp, "etc"), os.path.join(tmp, "bootstrap-osd")
        os.makedirs(etc)
        os.makedirs(boot)
        _write_text(os.path.join(etc, "ceph.conf"), conf, 0o644)
        _write_text(os.path.join(boot, "ceph.keyring"), bootstrap_keyring, 0o600)
        binds = [(etc, "/etc/ceph"), (boot, "/var/lib/ceph/bootstrap-osd"),
                 (log_dir(fsid), "/var/log/ceph")]
        if osd_dir:
            binds.append((osd_dir, "/var/lib/ceph/osd/ceph-%s" % os.path.basename(osd_dir)[4:]))
        rc, out, err = _in_namespace(binds, [ceph_volume] + list(args), _ceph_volume_env(devices))
    finally:
        _rmtree(tmp)
    if rc != 0:
        tail = (err.strip() or out.strip())[-500:]
        raise AgentError("ceph-volume %s failed (%d): %s" % (" ".join(args[:2]), rc, tail))
    return out


def prepare_osds_package(request, fsid, image, service_name, data, osd_ids):
    """One OSD per data device: ``raw prepare --osd-id <allocated>``, ``raw activate``,
    then the daemon, started like any other of the package runtime."""
    if request.get("db_devices") or request.get("wal_devices"):
        raise AgentError("ceph-volume raw mode (no device-mapper on this host) cannot share "
                         "db/wal devices: give each OSD whole devices")
    if int(request.get("osds_per_device") or 1) != 1:
        raise AgentError("ceph-volume raw mode (no device-mapper on this host) makes one OSD "
                         "per device; osds_per_device is not possible")
    if request.get("encrypted"):
        raise AgentError("encrypted OSDs need dm-crypt, which this host does not have")
    files = request.get("files") or {}
    conf, boot_key = files.get("config"), files.get("bootstrap_keyring")
    if not isinstance(conf, str) or not isinstance(boot_key, str):
        raise AgentError("creating OSDs needs the cluster's config and bootstrap-osd key")
    if len(osd_ids) < len(data):
        raise AgentError("not enough OSD ids for %d devices" % len(data))
    created = []
    for device, osd_id in zip(data, osd_ids):
        name = "osd.%d" % osd_id
        ddir = daemon_dir(fsid, name)
        os.makedirs(ddir, mode=0o755, exist_ok=True)
        _ceph_volume_package(fsid, ["raw", "prepare", "--bluestore", "--data", device,
                                    "--no-tmpfs", "--osd-id", str(osd_id)],
                             ddir, conf, boot_key, [device])
        _ceph_volume_package(fsid, ["raw", "activate", "--device", device, "--no-systemd",
                                    "--no-tmpfs"], ddir, conf, boot_key, [device])
        created.append(deploy_package({
            "name": name, "fsid": fsid, "image": image, "service_name": service_name,
            "osd_devices": [device], "runtime": "package", "host_addr": request.get("host_addr"),
            "files": {"config": conf}, "memory_request": request.get("memory_request"),
        }, name, fsid, image, ddir))
    return created


def _raw_osds(fsid, runtime, image, files, devices):
    """``ceph-volume raw list`` over this host's devices: ``{osd id: device}`` of the OSDs
    of this cluster whose bluestore label names it."""
    if not devices:
        return {}
    args = ["raw", "list", "--format", "json"] + devices
    if runtime == "package":
        conf, boot_key = files.get("config"), files.get("bootstrap_keyring")
        if not isinstance(conf, str) or not isinstance(boot_key, str):
            raise AgentError("activating OSDs needs the cluster's config and bootstrap-osd key")
        out = _ceph_volume_package(fsid, args, None, conf, boot_key, devices)
    else:
        rc, out, err = _run_ceph_volume(_engine_or_fail(), fsid, image, args, files=files)
        if rc != 0:
            raise AgentError("ceph-volume raw list failed (%d): %s" % (rc, err.strip()[-500:]))
    try:
        report = json.loads(out or "{}")
    except ValueError:
        raise AgentError("ceph-volume raw list printed no JSON: %s" % out.strip()[-200:])
    return {int(osd["osd_id"]): osd["device"] for osd in report.values()
            if isinstance(osd, dict) and osd.get("ceph_fsid") == fsid and
            str(osd.get("osd_id", "")).isdigit() and osd.get("device")}


def cmd_osd_activate(request):
    """`orch cephadm osd activate`: start a daemon for every OSD of this cluster found on the
    host's devices that has none (after a reinstall, or `orch daemon rm`). Package runtime:
    ``raw activate`` into the OSD's directory, then the daemon; container runtime: the
    OSD's container, which activates its volume as it starts."""
    fsid, image = valid_fsid(request.get("fsid")), valid_image(request.get("image"))
    runtime = daemon_runtime(request)
    files = request.get("files") or {}
    if not isinstance(files, dict):
        raise AgentError("invalid files")
    have = {name for f, name, _ in _daemon_dirs() if f == fsid}
    found = _raw_osds(fsid, runtime, image, files,
                      [d["path"] for d in _block_devices() if d["type"] != "mpath"])
    os.makedirs(rooted("var/log/ceph", fsid), mode=0o770, exist_ok=True)
    created = []
    for osd_id, device in sorted(found.items()):
        name = "osd.%d" % osd_id
        if name in have:
            continue
        deploy = {"name": name, "fsid": fsid, "image": image, "service_name": "osd",
                  "osd_devices": [device], "runtime": runtime, "config": {},
                  "host_addr": request.get("host_addr"),
                  "files": {"config": files["config"]} if isinstance(files.get("config"), str)
                  else {}}
        if runtime == "package":
            ddir = daemon_dir(fsid, name)
            os.makedirs(ddir, mode=0o755, exist_ok=True)
            _ceph_volume_package(fsid, ["raw", "activate", "--device", device, "--no-systemd",
                                        "--no-tmpfs"], ddir, files["config"],
                                 files["bootstrap_keyring"], [device])
            created.append(deploy_package(deploy, name, fsid, image, ddir))
        else:
            created.append(deploy_one(deploy))
    return created


# -- OSDs, zap, lights ---------------------------------------------------------------------
def _ceph_volume_argv(engine, fsid, image, args, service_name=None, conf=None, keyring=None):
    """cephadm's ``ceph-volume`` container: privileged, the OSD device trees, the cluster's
    run/log/crash dirs and, when given, the config and the bootstrap-osd keyring."""
    for a in args:
        if not isinstance(a, str) or any(ord(c) < 32 for c in a):
            raise AgentError("invalid ceph-volume argument")
    form = ContainerForm("/usr/sbin/ceph-volume")
    form.privileged = True
    for host, target in _ceph_mounts_for_type(fsid, "ceph-volume", engine):
        form.mount(host, target)
    if conf:
        form.mount(conf, "/etc/ceph/ceph.conf:z")
    if keyring:
        form.mount(keyring, "/var/lib/ceph/bootstrap-osd/ceph.keyring:z")
    if service_name:
        form.envs.append("CEPH_VOLUME_OSDSPEC_AFFINITY=%s" % service_name.split(".", 1)[-1])
    form.envs += ["CEPH_VOLUME_SKIP_RESTORECON=yes", "CEPH_VOLUME_DEBUG=1"]
    form.args = list(args)
    return _podman_run_argv(engine, "", image, form, {}, detach=False, remove=True)


def _run_ceph_volume(engine, fsid, image, args, service_name=None, files=None):
    """Run one ceph-volume command in its container; the config and keyring it needs
    live in private temporary files for the length of the call."""
    import tempfile
    files = files or {}
    tmp = tempfile.mkdtemp(dir=_tmp_dir())
    try:
        conf = keyring = None
        if isinstance(files.get("config"), str):
            conf = os.path.join(tmp, "ceph.conf")
            _write_text(conf, files["config"], 0o644)
        if isinstance(files.get("bootstrap_keyring"), str):
            keyring = os.path.join(tmp, "ceph.keyring")
            _write_text(keyring, files["bootstrap_keyring"], 0o600)
        os.makedirs(rooted("run/ceph", fsid), mode=0o770, exist_ok=True)
        os.makedirs(os.path.join(cluster_dir(fsid), "crash"), mode=0o755, exist_ok=True)
        return run(_ceph_volume_argv(engine, fsid, image, args, service_name, conf, keyring))
    finally:
        _rmtree(tmp)


def cmd_prepare_osds(request):
    fsid = valid_fsid(request.get("fsid"))
    image = valid_image(request.get("image"))
    service_name = valid_service_name(request.get("service_name"))
    data = [_device_allowed(d) for d in request.get("data_devices") or []]
    for d in (request.get("db_devices") or []) + (request.get("wal_devices") or []):
        _device_allowed(d)
    osd_ids = request.get("osd_ids") or []
    if not all(isinstance(i, int) and i >= 0 for i in osd_ids):
        raise AgentError("invalid osd ids")
    per_device = int(request.get("osds_per_device") or 1)
    os.makedirs(rooted("var/log/ceph", fsid), mode=0o770, exist_ok=True)
    if daemon_runtime(request) == "package":
        return prepare_osds_package(request, fsid, image, service_name, data, osd_ids)
    engine = _engine_or_fail()
    files = request.get("files") or {}
    if not isinstance(files, dict):
        raise AgentError("invalid files")
    for args in request.get("ceph_volume_args") or []:
        rc, _, err = _run_ceph_volume(engine, fsid, image, args, service_name, files)
        if rc != 0:
            raise AgentError("ceph-volume %s failed (%d): %s" % (" ".join(args[:2]), rc, err.strip()[-500:]))
    # ceph-volume creates the OSDs in device order with the ids the cluster handed out
    created = []
    for index, osd_id in enumerate(osd_ids):
        device = data[index // per_device] if index // per_device < len(data) else None
        created.append(deploy_one({
            "name": "osd.%d" % osd_id, "fsid": fsid, "image": image, "service_name": service_name,
            "osd_devices": [device] if device else [], "config": {},
            "memory_request": request.get("memory_request"),
            "files": {"config": files["config"]} if isinstance(files.get("config"), str) else {},
        }))
    return created


def cmd_zap(request):
    path = _device_allowed(request.get("path"))
    fsid = valid_fsid(request.get("fsid"))
    image = valid_image(request.get("image"))
    os.makedirs(rooted("var/log/ceph", fsid), mode=0o770, exist_ok=True)
    if daemon_runtime(request) == "package":
        ceph_volume = which("ceph-volume")
        if not ceph_volume:
            raise AgentError("ceph-volume is not installed on this host (Debian: ceph-osd)")
        rc, _, err = _in_namespace([(log_dir(fsid), "/var/log/ceph")],
                                   [ceph_volume, "lvm", "zap", "--destroy", path],
                                   _ceph_volume_env([path]))
        if rc != 0:
            raise AgentError("zap %s failed (%d): %s" % (path, rc, err.strip()[-500:]))
        return {"zapped": path}
    engine = _engine_or_fail()
    rc, _, err = _run_ceph_volume(engine, fsid, image, ["lvm", "zap", "--destroy", path])
    if rc != 0:
        raise AgentError("zap %s failed (%d): %s" % (path, rc, err.strip()[-500:]))
    return {"zapped": path}


def cmd_light(request):
    path = _device_allowed(request.get("path"))
    which = request.get("ident_fault")
    if which not in ("ident", "fault"):
        raise AgentError("invalid light %r" % which)
    image = valid_image(request.get("image"))
    engine = _engine_or_fail()
    verb = "local-disk-%s-led-%s" % (which, "on" if request.get("on") else "off")
    argv = [engine, "run", "--rm", "--privileged", "--net=host", "-v", "/dev:/dev", "-v", "/sys:/sys",
            "--entrypoint", "lsmcli", image, verb, "--path", path]
    rc, _, err = run(argv)
    if rc != 0:
        raise AgentError("lsmcli %s failed (%d): %s" % (verb, rc, err.strip()[-300:]))
    return {"path": path, "light": which, "on": bool(request.get("on"))}


def cmd_maintenance(request, action):
    """Stop (enter) every daemon of the cluster on this host, remembering which ran; exit
    starts those again. cephadm stops and disables ``ceph-<fsid>.target`` instead."""
    if action not in ("enter", "exit"):
        raise AgentError("unknown maintenance action %r" % action)
    fsid = valid_fsid(request.get("fsid"))
    marker = os.path.join(cluster_dir(fsid), "maintenance.json")
    if action == "enter":
        if os.path.exists(marker):
            return {"maintenance": True, "stopped": (_load_json(marker, {}) or {}).get("stopped", [])}
        running = [e["name"] for e in cmd_ls({}) if e["fsid"] == fsid and e["state"] == "running"]
        stopped = []
        os.makedirs(cluster_dir(fsid), mode=0o700, exist_ok=True)
        for name in running:
            _unit_action(fsid, name, daemon_dir(fsid, name), "stop")
            stopped.append(name)
            _write_json(marker, {"stopped": stopped, "since": now_iso()})
        _write_json(marker, {"stopped": stopped, "since": now_iso()})
        return {"maintenance": True, "stopped": stopped}
    record = _load_json(marker, None)
    if record is None:
        return {"maintenance": False, "started": []}
    started = []
    for name in record.get("stopped", []):
        if DAEMON_NAME_RE.match(name) and os.path.isdir(daemon_dir(fsid, name)):
            _unit_action(fsid, name, daemon_dir(fsid, name), "start")
            started.append(name)
    os.unlink(marker)
    return {"maintenance": False, "started": started}


def cmd_refresh(request):
    """Everything a refresh needs in one round trip: check-host, ls, facts, networks, devices."""
    result = {}
    for key, fn in (("check_host", cmd_check_host), ("ls", cmd_ls), ("facts", cmd_gather_facts),
                    ("networks", cmd_list_networks), ("inventory", cmd_inventory)):
        try:
            result[key] = fn(request)
        except AgentError as exc:
            result[key] = {"error": str(exc)}
    return result


# -- the cluster's own orch state: config-key records and the writer lock ---------------------
# The SSH backend keeps its durable state in the mons' config-key store under ``mgr/orch/``
# (``backends/ssh/shared_state.py``) and serialises writers across admin hosts with a RADOS
# advisory lock that has a lease. Both go through a rados session of their own, kept for the
# agent's session (the lock belongs to that client instance: renewing and unlocking work only
# from it), with op timeouts so an inactive pool answers instead of hanging.
_state = {}  # type: dict
STATE_LOCK_NAME = "orch"
STATE_KEY_RE = re.compile(r"^mgr/orch/[\x21-\x7e]{1,400}$")
STATE_POOL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
STATE_MGR_TIMEOUT = 20


def _state_rados():
    if _state.get("handle") is not None:
        return _state["handle"]
    if not (os.path.exists(admin_conf()) and os.path.exists(admin_keyring())):
        raise AgentError("no admin keyring on this host (%s)" % admin_keyring())
    if DIST_PACKAGES not in sys.path and os.path.isdir(DIST_PACKAGES):
        sys.path.append(DIST_PACKAGES)
    try:
        import rados
    except ImportError:
        raise AgentError("python3-rados is not installed on this host")
    handle = rados.Rados(conffile=admin_conf(), name="client.admin",
                         conf={"keyring": admin_keyring(), "rados_osd_op_timeout": "20",
                               "rados_mon_op_timeout": "20"})
    try:
        handle.connect(timeout=15)
    except Exception as exc:
        raise AgentError("cannot reach the cluster's monitors: %s" % exc)
    _state["handle"] = handle
    _state["module"] = rados
    return handle


def _state_forget():
    handle = _state.pop("handle", None)
    _state.pop("ioctx", None)
    _state.pop("ready", None)
    if handle is not None:
        import rados
        try:
            handle.shutdown()
        except rados.Error:
            pass  # a dead handle: nothing left to shut down


def _state_mon(cmd, inbuf=b""):
    handle = _state_rados()
    try:
        ret, out, err = handle.mon_command(json.dumps(cmd), inbuf, timeout=20)
    except Exception as exc:
        _state_forget()
        raise AgentError("`%s`: %s: %s" % (cmd.get("prefix"), type(exc).__name__, exc))
    return abs(ret), out or b"", err or ""


def _state_key(value):
    if not isinstance(value, str) or not STATE_KEY_RE.match(value):
        raise AgentError("invalid state key: %r" % (value,))
    return value


def cmd_state_keys(request):
    """The config-key records under ``mgr/orch/``, in one round trip:
    ``{"op": "dump"}`` -> ``{"keys": {key: value}}``; ``{"op": "get", "key"}`` ->
    ``{"value": str or None}``; ``{"op": "write", "version_key", "pending", "version",
    "set": {key: value}, "rm": [key]}`` writes ``pending`` to the version key, then the
    records, then ``version`` (a reader that saw any of it re-reads)."""
    op = request.get("op")
    if op == "dump":
        rc, out, err = _state_mon({"prefix": "config-key dump", "key": "mgr/orch/",
                                   "format": "json"})
        if rc:
            raise AgentError("config-key dump failed (%d): %s" % (rc, err))
        keys = json.loads(out.decode() or "{}")
        return {"keys": {k: v for k, v in keys.items() if k.startswith("mgr/orch/")}}
    if op == "get":
        rc, out, err = _state_mon({"prefix": "config-key get", "key": _state_key(request.get("key"))})
        if rc == errno.ENOENT:
            return {"value": None}
        if rc:
            raise AgentError("config-key get failed (%d): %s" % (rc, err))
        return {"value": out.decode()}
    if op != "write":
        raise AgentError("invalid state-keys op: %r" % (op,))
    sets, rms = request.get("set") or {}, request.get("rm") or []
    if not isinstance(sets, dict) or not isinstance(rms, list):
        raise AgentError("invalid state-keys write")
    version_key = _state_key(request.get("version_key"))
    steps = [(version_key, request.get("pending"))] + sorted(sets.items()) + \
        [(k, None) for k in rms] + [(version_key, request.get("version"))]
    for key, value in steps:
        key = _state_key(key)
        if value is None:
            rc, _, err = _state_mon({"prefix": "config-key rm", "key": key})
            if rc == errno.ENOENT:
                rc = 0
        else:
            if not isinstance(value, str):
                raise AgentError("invalid value of %s" % key)
            rc, _, err = _state_mon({"prefix": "config-key set", "key": key, "val": value})
        if rc:
            raise AgentError("config-key %s %s failed (%d): %s" % (
                "rm" if value is None else "set", key, rc, err.strip()[-300:]))
    return {"written": len(steps)}


def _state_ready(pool):
    """Is the lock pool usable? Made (one PG) once enough OSDs are up for a pool of the
    default size; usable once that PG is active. Returns None, or why not."""
    if _state.get("ready") == pool:
        return None
    handle = _state_rados()
    if not handle.pool_exists(pool):
        rc, out, err = _state_mon({"prefix": "osd stat", "format": "json"})
        if rc:
            return "osd stat failed: %s" % err
        up = int(json.loads(out.decode() or "{}").get("num_up_osds") or 0)
        import rados
        try:
            size = max(1, int(handle.conf_get("osd_pool_default_size") or 3))
        except (rados.Error, ValueError):
            size = 3  # unreadable or not a number: Ceph's own default
        if up < size:
            return "only %d OSDs up (the lock pool needs %d)" % (up, size)
        rc, _, err = _state_mon({"prefix": "osd pool create", "pool": pool, "pg_num": 1,
                                 "pgp_num": 1})
        if rc and rc != errno.EEXIST:
            return "cannot create the lock pool %s: %s" % (pool, err)
        _state_mon({"prefix": "osd pool application enable", "pool": pool, "app": "orch",
                    "yes_i_really_mean_it": True})
    try:
        ret, out, err = handle.mgr_command(json.dumps({"prefix": "pg ls-by-pool", "poolstr": pool,
                                                       "format": "json"}), b"",
                                           timeout=STATE_MGR_TIMEOUT)
    except Exception as exc:
        return "pg ls-by-pool %s: %s" % (pool, exc)
    if ret:
        return "pg ls-by-pool %s failed (%d): %s" % (pool, ret, err)
    got = json.loads(out.decode() or "{}")
    stats = got.get("pg_stats", []) if isinstance(got, dict) else got
    if not stats or not all("active" in str(s.get("state", "")).split("+") for s in stats):
        return "the lock pool's placement group is not active yet"
    _state["ready"] = pool
    return None


def cmd_state_lock(request):
    """The writer lock: ``{"op": "lock"|"renew"|"unlock", "pool", "object", "cookie",
    "duration", "holder": {...}}`` -> ``{"locked": true}``, ``{"busy": true, "holder": {...}}``
    (who holds it, as they described themselves), ``{"unlocked": true}`` or
    ``{"unavailable": why}`` (no usable pool yet: the caller goes on without)."""
    op, pool = request.get("op"), request.get("pool")
    obj, cookie = request.get("object"), request.get("cookie")
    if not isinstance(pool, str) or not STATE_POOL_RE.match(pool):
        raise AgentError("invalid lock pool: %r" % (pool,))
    for value in (obj, cookie):
        if not isinstance(value, str) or not STATE_POOL_RE.match(value):
            raise AgentError("invalid lock object or cookie: %r" % (value,))
    why = _state_ready(pool)
    if why:
        return {"unavailable": why}
    rados = _state["module"]
    if _state.get("ioctx") is None:
        _state["ioctx"] = _state_rados().open_ioctx(pool)
    ioctx = _state["ioctx"]
    try:
        if op == "unlock":
            try:
                ioctx.unlock(obj, STATE_LOCK_NAME, cookie)
            except rados.ObjectNotFound:
                pass
            return {"unlocked": True}
        if op not in ("lock", "renew"):
            raise AgentError("invalid state-lock op: %r" % (op,))
        duration = int(request.get("duration") or 30)
        holder = json.dumps(request.get("holder") or {}, sort_keys=True)
        try:
            ioctx.lock_exclusive(obj, STATE_LOCK_NAME, cookie, desc=holder[:200],
                                 duration=duration, flags=1 if op == "renew" else 0)
        except (rados.ObjectBusy, rados.ObjectExists):
            if op == "renew":
                return {"busy": True, "lost": True, "holder": _state_holder(ioctx, obj)}
            return {"busy": True, "holder": _state_holder(ioctx, obj)}
        if op == "lock":
            ioctx.set_xattr(obj, "orch.holder", holder.encode())
        return {"locked": True}
    except rados.Error as exc:
        _state_forget()
        raise AgentError("rados lock on %s/%s: %s" % (pool, obj, exc))


def _state_holder(ioctx, obj):
    import rados
    try:
        return json.loads(ioctx.get_xattr(obj, "orch.holder").decode() or "{}")
    except (rados.Error, ValueError):
        return {}  # no holder recorded (or a torn record): the lock names nobody


COMMANDS = {
    "check-host": cmd_check_host, "gather-facts": cmd_gather_facts,
    "list-networks": cmd_list_networks, "inventory": cmd_inventory, "ls": cmd_ls,
    "deploy": cmd_deploy, "prepare-osds": cmd_prepare_osds, "rm-daemon": cmd_rm_daemon,
    "zap": cmd_zap, "light": cmd_light, "refresh": cmd_refresh,
    "ceph": cmd_ceph, "bootstrap": cmd_bootstrap, "client-files": cmd_client_files,
    "prepare-host": cmd_prepare_host, "registry-login": cmd_registry_login,
    "osd-activate": cmd_osd_activate,
    "binary-roots": cmd_binary_roots,
    "state-keys": cmd_state_keys, "state-lock": cmd_state_lock,
}
ACTION_COMMANDS = {"unit": cmd_unit, "maintenance": cmd_maintenance}


def handle(words, request):
    """Run one request; return (exit status, answer)."""
    try:
        if not isinstance(request, dict):
            raise AgentError("the request must be a JSON object")
        sub, rest = words[0], words[1:]
        if sub in COMMANDS and not rest:
            return 0, COMMANDS[sub](request)
        if sub in ACTION_COMMANDS and len(rest) == 1:
            return 0, ACTION_COMMANDS[sub](request, rest[0])
        raise AgentError("unknown subcommand %r" % " ".join(words))
    except AgentError as exc:
        return 1, {"error": str(exc)}
    except (OSError, ValueError) as exc:
        # an unexpected local failure: report it as data rather than a traceback
        return 1, {"error": "%s: %s" % (type(exc).__name__, exc)}
    finally:
        _memo.clear()


def serve():
    """Answer requests until stdin closes: one JSON line ``{"words": [...], "request": {...}}``
    in, one line ``{"rc": N, "answer": ...}`` out. The backend keeps one such session open per
    host, so a call costs the work itself, not an sshd session, a shell and a Python start-up."""
    while True:
        line = sys.stdin.readline()
        if not line:
            return 0
        try:
            message = json.loads(line)
            words = [str(w) for w in message["words"]] or ["?"]
            rc, answer = handle(words, message.get("request") or {})
        except (ValueError, KeyError, TypeError) as exc:
            rc, answer = 1, {"error": "malformed request: %s" % type(exc).__name__}
        sys.stdout.write(json.dumps({"rc": rc, "answer": answer}, sort_keys=True) + "\n")
        sys.stdout.flush()


def main(argv):
    if not argv:
        sys.stdout.write(json.dumps({"error": "usage: agent.py <subcommand> [action]"}) + "\n")
        return errno.EINVAL
    if argv == ["serve"]:
        return serve()
    try:
        raw = sys.stdin.read() if not sys.stdin.isatty() else ""
        request = json.loads(raw) if raw.strip() else {}
    except ValueError:
        request = None  # handle() refuses it
    rc, answer = handle(argv, request)
    sys.stdout.write(json.dumps(answer, sort_keys=True) + "\n")
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
