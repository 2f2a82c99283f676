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
    if containers is not None:
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
        "memory_usage": None,
        "cpu_percentage": None,
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
    containers = _engine_containers() if found else None  # no daemons: nothing to ask
    return [_ls_entry(fsid, name, path, containers) for fsid, name, path in found]


def _ls_one(fsid, name):
    return _ls_entry(fsid, name, daemon_dir(fsid, name), _engine_containers())


# -- host checks and facts -----------------------------------------------------------------
def cmd_check_host(request):
    hostname = host_name()
    expect = request.get("expect_hostname")
    errors = []
    engine = container_engine()
    if not engine:
        errors.append("No container engine binary found (podman or docker)")
    if expect is not None and valid_hostname(expect) != hostname \
            and expect.split(".")[0] != hostname.split(".")[0]:
        errors.append('hostname "%s" does not match expected hostname "%s"' % (hostname, expect))
    if errors:
        raise AgentError("; ".join(errors))
    return {"hostname": hostname, "container_engine": os.path.basename(engine),
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


_memo = {}


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
        "kernel_security": {"type": "SELinux" if "selinux" in lsm else
                            "AppArmor" if "apparmor" in lsm else "Unknown",
                            "description": lsm or "Linux Security Module framework is not active"},
        "selinux_enabled": "selinux" in lsm,
        "kernel_parameters": {},
        "sysctl_options": {},
        "tcp_ports_used": _ports("/proc/net/tcp", False),
        "tcp6_ports_used": _ports("/proc/net/tcp6", True),
        "udp_ports_used": _ports("/proc/net/udp", False),
        "udp6_ports_used": _ports("/proc/net/udp6", True),
        "subscribed": "Unknown",
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


def cmd_inventory(request):
    ceph_volume = which("ceph-volume")
    if ceph_volume:
        rc, out, err = run([ceph_volume, "inventory", "--format=json"])
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
def _mounts(fsid, name, ddir):
    dtype, did = name.split(".", 1)
    # the daemon's settings (config.json) live in its own data directory
    return ["-v", "%s:/var/lib/ceph/%s/ceph-%s:z" % (ddir, dtype, did),
            "-v", "%s:/var/log/ceph:z" % rooted("var/log/ceph", fsid)]


def _run_argv(engine, fsid, name, image, ddir, request):
    dtype, did = name.split(".", 1)
    argv = [engine, "run", "-d", "--name", container_name(fsid, name), "--net=host",
            "--ipc=host", "--stop-signal=SIGTERM", "--init"]
    if dtype == "osd":
        argv += ["--privileged", "--group-add=disk", "-v", "/dev:/dev"]
    argv += ["-e", "CONTAINER_IMAGE=%s" % image, "-e", "NODE_NAME=%s" % host_name()]
    if request.get("memory_limit"):
        argv += ["--memory", str(int(request["memory_limit"]))]
    argv += _mounts(fsid, name, ddir)
    argv += list(request.get("extra_container_args") or [])
    argv += ["--entrypoint", "/usr/bin/ceph-%s" % dtype, image,
             "-n", name, "-f", "--setuser", "ceph", "--setgroup", "ceph", "--default-log-to-file=false"]
    argv += list(request.get("extra_entrypoint_args") or [])
    return argv


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


def deploy_one(request):
    name, fsid, image = _validate_deploy(request)
    ddir = daemon_dir(fsid, name)
    os.makedirs(ddir, mode=0o700, exist_ok=True)
    os.makedirs(rooted("var/log/ceph", fsid), mode=0o770, exist_ok=True)
    # the daemon's settings may hold secrets: only the daemon's own directory sees them
    _write_json(os.path.join(ddir, "config.json"), request.get("config") or {}, mode=0o600)
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
    if engine:
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
    _engine([action, container_name(fsid, name)])
    state_path = os.path.join(ddir, "unit.state")
    state = _load_json(state_path, {}) or {}
    state["state"] = "stopped" if action == "stop" else "running"
    if action != "stop":
        state["started"] = now_iso()
    _write_json(state_path, state)


# -- OSDs, zap, lights ---------------------------------------------------------------------
def _ceph_volume_argv(engine, fsid, image, args, service_name):
    for a in args:
        if not isinstance(a, str) or any(ord(c) < 32 for c in a):
            raise AgentError("invalid ceph-volume argument")
    return [engine, "run", "--rm", "--ipc=host", "--stop-signal=SIGTERM", "--net=host",
            "--privileged", "--group-add=disk", "--entrypoint", "/usr/sbin/ceph-volume",
            "-e", "CONTAINER_IMAGE=%s" % image, "-e", "NODE_NAME=%s" % host_name(),
            "-e", "CEPH_VOLUME_OSDSPEC_AFFINITY=%s" % service_name.split(".", 1)[-1],
            "-v", "/dev:/dev", "-v", "/run/udev:/run/udev", "-v", "/sys:/sys",
            "-v", "/run/lvm:/run/lvm", "-v", "/run/lock/lvm:/run/lock/lvm",
            "-v", "%s:/var/log/ceph:z" % rooted("var/log/ceph", fsid),
            image] + list(args)


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
    engine = _engine_or_fail()
    os.makedirs(rooted("var/log/ceph", fsid), mode=0o770, exist_ok=True)
    for args in request.get("ceph_volume_args") or []:
        rc, _, err = run(_ceph_volume_argv(engine, fsid, image, args, service_name))
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
        }))
    return created


def cmd_zap(request):
    path = _device_allowed(request.get("path"))
    fsid = valid_fsid(request.get("fsid"))
    image = valid_image(request.get("image"))
    engine = _engine_or_fail()
    os.makedirs(rooted("var/log/ceph", fsid), mode=0o770, exist_ok=True)
    rc, _, err = run(_ceph_volume_argv(engine, fsid, image, ["lvm", "zap", "--destroy", path], "zap"))
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


COMMANDS = {
    "check-host": cmd_check_host, "gather-facts": cmd_gather_facts,
    "list-networks": cmd_list_networks, "inventory": cmd_inventory, "ls": cmd_ls,
    "deploy": cmd_deploy, "prepare-osds": cmd_prepare_osds, "rm-daemon": cmd_rm_daemon,
    "zap": cmd_zap, "light": cmd_light, "refresh": cmd_refresh,
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
