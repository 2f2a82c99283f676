"""The container runtime runs what cephadm's `podman run` runs, per daemon type.

An operator applies one cluster file with a service of every kind to a real sshd test host;
the recording `podman` shim (the one fake edge) then holds each daemon's `podman run`, and
each test compares it, word for word, with cephadm's: entrypoint, engine arguments, env,
mounts, user, image, process arguments (facts from cephadm's daemons/*.py and Reef's
cephadm.py). Types the engine does not place from one host alone (ingress, tracing) are
deployed through the SSH backend's driver directly.
"""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

from testhosts import SSHTestHosts, missing_requirements

CLUSTER_FILE = """\
service_type: mon
placement: {hosts: [host1]}
---
service_type: mgr
placement: {hosts: [host1]}
---
service_type: crash
placement: {hosts: [host1]}
---
service_type: mds
service_id: fs1
placement: {hosts: [host1]}
---
service_type: rgw
service_id: s3
placement: {hosts: [host1]}
spec: {rgw_frontend_port: 8080}
---
service_type: rbd-mirror
placement: {hosts: [host1]}
---
service_type: cephfs-mirror
placement: {hosts: [host1]}
---
service_type: ceph-exporter
placement: {hosts: [host1]}
---
service_type: nfs
service_id: nfs1
placement: {hosts: [host1]}
---
service_type: iscsi
service_id: gw
placement: {hosts: [host1]}
spec: {pool: rbd, api_user: admin, api_password: secret}
---
service_type: nvmeof
service_id: rbd.group1
placement: {hosts: [host1]}
spec: {pool: rbd, group: group1}
---
service_type: prometheus
placement: {hosts: [host1]}
spec: {retention_time: 1y}
---
service_type: alertmanager
placement: {hosts: [host1]}
---
service_type: grafana
placement: {hosts: [host1]}
---
service_type: node-exporter
placement: {hosts: [host1]}
---
service_type: loki
placement: {hosts: [host1]}
---
service_type: promtail
placement: {hosts: [host1]}
---
service_type: alloy
placement: {hosts: [host1]}
---
service_type: snmp-gateway
placement: {hosts: [host1]}
spec:
  snmp_version: V2c
  snmp_destination: 192.168.1.1:162
  credentials: {snmp_community: s3cret-community}
---
service_type: smb
service_id: s1
placement: {hosts: [host1]}
spec: {cluster_id: c1, config_uri: "rados://.smb/c1/config.json"}
---
service_type: mgmt-gateway
placement: {hosts: [host1]}
---
service_type: oauth2-proxy
placement: {hosts: [host1]}
spec: {provider_display_name: idp, client_id: orch, client_secret: s3cret,
       oidc_issuer_url: "https://idp.example/realms/ceph"}
---
service_type: container
service_id: hello
placement: {hosts: [host1]}
spec:
  image: docker.io/library/busybox:1.36
  entrypoint: /bin/httpd
  args: ["--cpus=1"]
  envs: ["GREETING=hello"]
  volume_mounts: {www: /var/www, /etc/localtime: /etc/localtime}
  bind_mounts: [[type=bind, source=lib/modules, destination=/lib/modules, ro=true]]
  dirs: [www]
  files: {www/index.html: hello}
  uid: 1000
  gid: 1000
"""

CEPH_IMAGE = "quay.io/ceph/ceph:v18.2.4"
JOURNALD = ["--default-log-to-file=false", "--default-log-to-journald=true",
            "--default-log-to-stderr=false"]
CEPH_ARGS = ["-f", "--setuser", "ceph", "--setgroup", "ceph"] + JOURNALD
TCMALLOC = "TCMALLOC_MAX_TOTAL_THREAD_CACHE_BYTES=134217728"


def orch_cmd(state_dir, *words):
    proc = subprocess.run([sys.executable, "-m", "ceph_orch_cli", "--backend", "ssh",
                           "--state-dir", str(state_dir), *words],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (words, proc.stdout, proc.stderr)
    return proc.stdout


class Deployed:
    """What the host ran: each daemon's `podman run`, by daemon name."""

    def __init__(self, host, daemons):
        self.host = host
        self.daemons = daemons  # daemon_name -> ps entry
        self.fsid = next(iter(daemons.values()))["systemd_unit"].split("@")[0][len("ceph-"):]
        self.runs = {c[c.index("--name") + 1]: c for c in host.engine_calls()
                     if c[0] == "run" and "-d" in c}

    def name(self, daemon_type):
        [name] = [n for n, d in self.daemons.items() if d["daemon_type"] == daemon_type]
        return name

    def argv(self, name):
        return self.runs[f"ceph-{self.fsid}-{name.replace('.', '-')}"]

    def ddir(self, name):
        return f"{self.host.root}/var/lib/ceph/{self.fsid}/{name}"

    @property
    def logs(self):
        return f"{self.host.root}/var/log/ceph/{self.fsid}"

    def ceph_mounts(self, *extra):
        mounts = [f"{self.host.root}/run/ceph/{self.fsid}:/var/run/ceph:z", f"{self.logs}:/var/log/ceph:z",
                  f"{self.host.root}/var/lib/ceph/{self.fsid}/crash:/var/lib/ceph/crash:z"]
        return mounts + list(extra)

    def head(self, name, entrypoint=None, privileged=False, net=True, ipc="host", memory=None):
        """cephadm's words up to the container name."""
        words = ["run", f"--ipc={ipc}", "--stop-signal=SIGTERM"]
        if memory:
            words += ["-e", f"POD_MEMORY_REQUEST={memory}"]
        words += ["--net=host"] if net else []
        words += ["--entrypoint", entrypoint] if entrypoint else []
        words += ["--privileged", "--group-add=disk"] if privileged else []
        return words + ["--init", "--name", f"ceph-{self.fsid}-{name.replace('.', '-')}"]

    def tail(self, image, envs, mounts, binds=()):
        """The env, mounts and binds, then the image."""
        words = ["-e", f"CONTAINER_IMAGE={image}", "-e", f"NODE_NAME={self.host.name}"]
        for env in envs:
            words += ["-e", env]
        if os.path.exists("/etc/hosts"):
            mounts = list(mounts) + ["/etc/hosts:/etc/hosts:ro"]
        for m in mounts:
            words += ["-v", m]
        for b in binds:
            words += ["--mount", b]
        return words + [image]


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    reason = missing_requirements()
    if reason:
        pytest.skip(reason)
    base = tmp_path_factory.mktemp("container-runtime")
    hosts = SSHTestHosts(base / "hosts", 1).start()
    try:
        host = hosts.hosts[0]
        state = base / "state"
        hosts.write_ceph_cluster(host, {"fsid": "unused", "osds": {}})
        (base / "ssh_config").write_text(hosts.ssh_config())
        (base / "cluster.yaml").write_text(CLUSTER_FILE)
        orch_cmd(state, "ssh", "set-priv-key", "-i", str(hosts.client_key))
        orch_cmd(state, "ssh", "set-config", "-i", str(base / "ssh_config"))
        orch_cmd(state, "host", "add", "host1", host.addr, "--labels", "_admin")
        orch_cmd(state, "apply", "-i", str(base / "cluster.yaml"))
        daemons = {d["daemon_name"]: d for d in json.loads(orch_cmd(state, "ps", "--format", "json"))}
        yield Deployed(host, daemons)
    finally:
        hosts.close()


def test_every_daemon_of_the_cluster_file_runs_in_its_own_image(deployed):
    images = {d["daemon_type"]: d["container_image_name"] for d in deployed.daemons.values()}
    assert all(d["status_desc"] == "running" for d in deployed.daemons.values())
    assert images == {
        "mon": CEPH_IMAGE, "mgr": CEPH_IMAGE, "crash": CEPH_IMAGE, "mds": CEPH_IMAGE,
        "rgw": CEPH_IMAGE, "rbd-mirror": CEPH_IMAGE, "cephfs-mirror": CEPH_IMAGE,
        "ceph-exporter": CEPH_IMAGE, "nfs": CEPH_IMAGE, "iscsi": CEPH_IMAGE,
        "nvmeof": "quay.io/ceph/nvmeof:1.2.5",
        "prometheus": "quay.io/prometheus/prometheus:v2.43.0",
        "alertmanager": "quay.io/prometheus/alertmanager:v0.25.0",
        "grafana": "quay.io/ceph/ceph-grafana:9.4.7",
        "node-exporter": "quay.io/prometheus/node-exporter:v1.5.0",
        "loki": "docker.io/grafana/loki:2.4.0", "promtail": "docker.io/grafana/promtail:2.4.0",
        "alloy": "docker.io/grafana/alloy:latest",
        "snmp-gateway": "docker.io/maxwo/snmp-notifier:v1.2.1",
        "smb": "quay.io/samba.org/samba-server:devbuilds-centos-amd64",
        "mgmt-gateway": "quay.io/ceph/nginx:sclorg-nginx-126",
        "oauth2-proxy": "quay.io/oauth2-proxy/oauth2-proxy:v7.6.0",
        "container": "docker.io/library/busybox:1.36"}


def test_mon_is_privileged_sees_devices_and_logs_the_cluster_log_to_journald(deployed):
    d = deployed
    assert d.argv("mon.host1") == d.head("mon.host1", "/usr/bin/ceph-mon", privileged=True,
                                         memory=2 * 1024 ** 3) + [
        "--pids-limit=-1", "-d"] + d.tail(CEPH_IMAGE, [TCMALLOC], d.ceph_mounts(
            "/run/systemd/journal:/run/systemd/journal", "/dev:/dev", "/run/udev:/run/udev",
            f"{d.ddir('mon.host1')}:/var/lib/ceph/mon/ceph-host1:z",
            f"{d.ddir('mon.host1')}/config:/etc/ceph/ceph.conf:z")) + [
        "-n", "mon.host1"] + CEPH_ARGS + [
        "--default-mon-cluster-log-to-file=false", "--default-mon-cluster-log-to-journald=true",
        "--default-mon-cluster-log-to-stderr=false"]


@pytest.mark.parametrize("daemon_type, entrypoint, data_dir", [
    ("mgr", "/usr/bin/ceph-mgr", "/var/lib/ceph/mgr/ceph-{id}"),
    ("mds", "/usr/bin/ceph-mds", "/var/lib/ceph/mds/ceph-{id}"),
    ("rgw", "/usr/bin/radosgw", "/var/lib/ceph/radosgw/ceph-rgw.{id}"),
])
def test_ceph_daemons_keep_their_keyring_in_their_data_dir(deployed, daemon_type, entrypoint, data_dir):
    d = deployed
    name = d.name(daemon_type)
    did = name.split(".", 1)[1]
    entity = f"client.rgw.{did}" if daemon_type == "rgw" else name
    assert d.argv(name) == d.head(name, entrypoint) + ["--pids-limit=-1", "-d"] + d.tail(
        CEPH_IMAGE, [TCMALLOC], d.ceph_mounts(
            "/run/systemd/journal:/run/systemd/journal",
            f"{d.ddir(name)}:{data_dir.format(id=did)}:z",
            f"{d.ddir(name)}/config:/etc/ceph/ceph.conf:z")) + ["-n", entity] + CEPH_ARGS


@pytest.mark.parametrize("daemon_type", ["rbd-mirror", "cephfs-mirror"])
def test_mirror_daemons_find_their_keyring_in_etc_ceph(deployed, daemon_type):
    d = deployed
    name = d.name(daemon_type)
    did = name.split(".", 1)[1]
    assert d.argv(name) == d.head(name, f"/usr/bin/{daemon_type}") + ["--pids-limit=-1", "-d"] + d.tail(
        CEPH_IMAGE, [TCMALLOC], d.ceph_mounts(
            "/run/systemd/journal:/run/systemd/journal",
            f"{d.ddir(name)}:/var/lib/ceph/{daemon_type}/ceph-{did}:z",
            f"{d.ddir(name)}/config:/etc/ceph/ceph.conf:z",
            f"{d.ddir(name)}/keyring:/etc/ceph/ceph.client.{daemon_type}.{did}.keyring")) + [
        "-n", f"client.{daemon_type}.{did}"] + CEPH_ARGS


def test_crash_posts_as_client_crash_without_a_data_dir(deployed):
    d = deployed
    assert d.argv("crash.host1") == d.head("crash.host1", "/usr/bin/ceph-crash") + [
        "--pids-limit=-1", "-d"] + d.tail(CEPH_IMAGE, [TCMALLOC], d.ceph_mounts(
            f"{d.ddir('crash.host1')}/config:/etc/ceph/ceph.conf:z",
            f"{d.ddir('crash.host1')}/keyring:/etc/ceph/ceph.client.crash.host1.keyring")) + [
        "-n", "client.crash.host1"]


def test_ceph_exporter_serves_the_admin_sockets(deployed):
    d = deployed
    name = "ceph-exporter.host1"
    assert d.argv(name) == d.head(name, "/usr/bin/ceph-exporter") + ["--pids-limit=-1", "-d"] + d.tail(
        CEPH_IMAGE, [TCMALLOC], d.ceph_mounts(
            "/run/systemd/journal:/run/systemd/journal",
            f"{d.ddir(name)}:/var/lib/ceph/ceph-exporter/ceph-host1:z",
            f"{d.ddir(name)}/config:/etc/ceph/ceph.conf:z",
            f"{d.ddir(name)}/keyring:/etc/ceph/ceph.client.ceph-exporter.host1.keyring")) + [
        "-n", "client.ceph-exporter.host1", "-f", "--sock-dir=/var/run/ceph/", "--addrs=0.0.0.0",
        "--port=9926", "--prio-limit=5", "--stats-period=5"]


def test_nfs_runs_ganesha_with_its_config_dir(deployed):
    d = deployed
    name = d.name("nfs")
    assert d.argv(name) == d.head(name, "/usr/bin/ganesha.nfsd") + ["--pids-limit=-1", "-d"] + d.tail(
        CEPH_IMAGE, ["CEPH_CONF=/etc/ceph/ceph.conf"],
        [f"{d.ddir(name)}/config:/etc/ceph/ceph.conf:z", f"{d.ddir(name)}/keyring:/etc/ceph/keyring:z",
         f"{d.ddir(name)}/etc/ganesha:/etc/ganesha:z"]) + ["-F", "-L", "STDERR"]


def test_iscsi_runs_rbd_target_api_privileged_with_configfs(deployed):
    d = deployed
    name = d.name("iscsi")
    assert d.argv(name) == d.head(name, "/usr/bin/rbd-target-api", privileged=True) + [
        "--pids-limit=-1", "-d"] + d.tail(CEPH_IMAGE, [], [
            f"{d.ddir(name)}/config:/etc/ceph/ceph.conf:z", f"{d.ddir(name)}/keyring:/etc/ceph/keyring:z",
            f"{d.ddir(name)}/iscsi-gateway.cfg:/etc/ceph/iscsi-gateway.cfg:z",
            f"{d.ddir(name)}/configfs:/sys/kernel/config", f"{d.logs}:/var/log:z", "/dev:/dev"],
        ["type=bind,source=/lib/modules,destination=/lib/modules,ro=true"])


def test_nvmeof_runs_its_own_image_with_huge_pages_and_capabilities(deployed):
    d = deployed
    name = d.name("nvmeof")
    image = "quay.io/ceph/nvmeof:1.2.5"
    assert d.argv(name) == d.head(name) + [
        "--pids-limit=-1", "--ulimit", "memlock=-1:-1", "--ulimit", "nofile=10240",
        "--cap-add=CAP_SYS_NICE", "--cap-add=SYS_ADMIN", "-d"] + d.tail(image, [], [
            f"{d.ddir(name)}/config:/etc/ceph/ceph.conf:z", f"{d.ddir(name)}/keyring:/etc/ceph/keyring:z",
            f"{d.ddir(name)}/ceph-nvmeof.conf:/src/ceph-nvmeof.conf:z",
            f"{d.ddir(name)}/configfs:/sys/kernel/config", f"{d.logs}:/var/log/ceph:z",
            "/dev/hugepages:/dev/hugepages", "/dev/vfio/vfio:/dev/vfio/vfio"],
        ["type=bind,source=/lib/modules,destination=/lib/modules,ro=true"])


def test_prometheus_runs_as_nobody_with_its_storage_and_retention(deployed):
    d = deployed
    name = "prometheus.host1"
    image = "quay.io/prometheus/prometheus:v2.43.0"
    assert d.argv(name) == d.head(name) + ["--user", "65534", "-d"] + d.tail(image, [], [
        f"{d.ddir(name)}/etc/prometheus:/etc/prometheus:Z", f"{d.ddir(name)}/data:/prometheus:Z"]) + [
        "--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus",
        "--storage.tsdb.retention.time=1y", "--storage.tsdb.retention.size=0",
        "--web.external-url=http://host1:9095", "--web.listen-address=:9095"]


def test_alertmanager_runs_as_nobody_with_its_cluster_port(deployed):
    d = deployed
    name = "alertmanager.host1"
    image = "quay.io/prometheus/alertmanager:v0.25.0"
    assert d.argv(name) == d.head(name) + ["--user", "65534", "-d"] + d.tail(image, [], [
        f"{d.ddir(name)}/etc/alertmanager:/etc/alertmanager:Z"]) + [
        "--cluster.listen-address=:9094", "--web.listen-address=:9093",
        "--config.file=/etc/alertmanager/alertmanager.yml"]


def test_grafana_runs_as_its_own_user_with_its_config_and_database(deployed):
    d = deployed
    name = "grafana.host1"
    etc = f"{d.ddir(name)}/etc/grafana"
    assert d.argv(name) == d.head(name) + ["--user", "472", "-d"] + d.tail(
        "quay.io/ceph/ceph-grafana:9.4.7", [], [
            f"{etc}/grafana.ini:/etc/grafana/grafana.ini:Z",
            f"{etc}/provisioning/datasources:/etc/grafana/provisioning/datasources:Z",
            f"{etc}/provisioning/dashboards:/etc/grafana/provisioning/dashboards:Z",
            f"{etc}/certs:/etc/grafana/certs:Z",
            f"{d.ddir(name)}/data/grafana.db:/var/lib/grafana/grafana.db:Z"])


def test_node_exporter_reads_the_hosts_proc_sys_and_root(deployed):
    d = deployed
    name = "node-exporter.host1"
    assert d.argv(name) == d.head(name) + ["--user", "65534", "--security-opt", "label=disable", "-d"] + d.tail(
        "quay.io/prometheus/node-exporter:v1.5.0", [], [
            f"{d.ddir(name)}/etc/node-exporter:/etc/node-exporter:Z", "/proc:/host/proc:ro",
            "/sys:/host/sys:ro", "/:/rootfs:ro"]) + [
        "--no-collector.timex", "--web.listen-address=:9100", "--path.procfs=/host/proc",
        "--path.sysfs=/host/sys", "--path.rootfs=/rootfs"]


def test_loki_and_promtail_keep_their_configs_and_promtail_reads_the_cluster_logs(deployed):
    d = deployed
    assert d.argv("loki.host1") == d.head("loki.host1") + ["--user", "10001", "-d"] + d.tail(
        "docker.io/grafana/loki:2.4.0", [], [
            f"{d.ddir('loki.host1')}/etc/loki:/etc/loki:Z", f"{d.ddir('loki.host1')}/data:/loki:Z"]) + [
        "--config.file=/etc/loki/loki.yml"]
    assert d.argv("promtail.host1") == d.head("promtail.host1") + ["--user", "0", "-d"] + d.tail(
        "docker.io/grafana/promtail:2.4.0", [], [
            f"{d.ddir('promtail.host1')}/etc/promtail:/etc/promtail:Z", f"{d.logs}:/var/log/ceph:z",
            f"{d.ddir('promtail.host1')}/data:/promtail:Z"]) + [
        "--config.file=/etc/promtail/promtail.yml", "--config.expand-env"]


def test_alloy_runs_like_promtail_its_predecessor(deployed):
    d = deployed
    name = d.name("alloy")
    assert d.argv(name) == d.head(name) + ["--user", "0", "-d"] + d.tail(
        "docker.io/grafana/alloy:latest", [], [
            f"{d.ddir(name)}/etc/alloy:/etc/alloy:Z", f"{d.logs}:/var/log/ceph:z",
            f"{d.ddir(name)}/data:/var/lib/alloy/data:Z"]) + [
        "run", "/etc/alloy/config.alloy", "--storage.path=/var/lib/alloy/data",
        "--server.http.listen-addr=:9080"]


def test_snmp_gateway_keeps_its_community_in_a_private_env_file(deployed):
    d = deployed
    name = "snmp-gateway.host1"
    env_file = f"{d.ddir(name)}/snmp-gateway.conf"
    argv = d.argv(name)
    assert argv == d.head(name) + [f"--env-file={env_file}", "-d"] + d.tail(
        "docker.io/maxwo/snmp-notifier:v1.2.1", [], []) + [
        "--web.listen-address=:9464", "--snmp.destination=192.168.1.1:162", "--snmp.version=V2c",
        "--log.level=info",
        "--snmp.trap-description-template=/etc/snmp_notifier/description-template.tpl"]
    assert "s3cret-community" not in json.dumps(argv)
    with open(env_file) as f:
        assert f.read() == "SNMP_NOTIFIER_COMMUNITY=s3cret-community\n"
    assert stat.S_IMODE(os.stat(env_file).st_mode) == 0o600


def test_smb_runs_smbd_in_its_own_network_and_shares_its_ipc(deployed):
    d = deployed
    name = d.name("smb")
    assert d.argv(name) == d.head(name, net=False, ipc="shareable") + [
        "--publish=445:445", "--hostname=c1-host1", "-d"] + d.tail(
        "quay.io/samba.org/samba-server:devbuilds-centos-amd64",
        ["SAMBA_CONTAINER_ID=c1", 'SAMBACC_CONFIG=["rados://.smb/c1/config.json"]'], [
            f"{d.ddir(name)}/etc-samba-container:/etc/samba/container:z",
            f"{d.ddir(name)}/lib-samba:/var/lib/samba:z", f"{d.ddir(name)}/run:/run:z",
            f"{d.ddir(name)}/config:/etc/ceph/ceph.conf:z",
            f"{d.ddir(name)}/keyring:/etc/ceph/keyring:z"]) + [
        "--samba-debug-level=6", "run", "smbd"]


def test_mgmt_gateway_and_oauth2_proxy_mount_their_configs_and_certificates(deployed):
    d = deployed
    etc = f"{d.ddir('mgmt-gateway.host1')}/etc"
    assert d.argv("mgmt-gateway.host1") == d.head("mgmt-gateway.host1") + ["-d"] + d.tail(
        "quay.io/ceph/nginx:sclorg-nginx-126", [], [
            f"{etc}/nginx.conf:/etc/nginx/nginx.conf:Z",
            f"{etc}/nginx_internal_server.conf:/etc/nginx_internal_server.conf:Z",
            f"{etc}/nginx_external_server.conf:/etc/nginx_external_server.conf:Z",
            f"{etc}/nginx_internal.crt:/etc/nginx/ssl/nginx_internal.crt:Z",
            f"{etc}/nginx_internal.key:/etc/nginx/ssl/nginx_internal.key:Z",
            # the pair cephadm signed for it (certificate_source: cephadm-signed)
            f"{etc}/nginx.crt:/etc/nginx/ssl/nginx.crt:Z",
            f"{etc}/nginx.key:/etc/nginx/ssl/nginx.key:Z"])
    etc = f"{d.ddir('oauth2-proxy.host1')}/etc"
    assert d.argv("oauth2-proxy.host1") == d.head("oauth2-proxy.host1") + ["--user", "65534", "-d"] + d.tail(
        "quay.io/oauth2-proxy/oauth2-proxy:v7.6.0", [], [
            f"{etc}/oauth2-proxy.conf:/etc/oauth2-proxy.conf:Z",
            f"{etc}/oauth2-proxy.crt:/etc/oauth2-proxy.crt:Z",
            f"{etc}/oauth2-proxy.key:/etc/oauth2-proxy.key:Z"]) + [
        "--config=/etc/oauth2-proxy.conf", "--tls-cert-file=/etc/oauth2-proxy.crt",
        "--tls-key-file=/etc/oauth2-proxy.key"]


def test_a_custom_container_runs_the_specs_image_entrypoint_args_envs_and_volumes(deployed):
    d = deployed
    name = d.name("container")
    ddir = d.ddir(name)
    assert d.argv(name) == d.head(name, "/bin/httpd", net=False) + ["--cpus=1", "-d"] + d.tail(
        "docker.io/library/busybox:1.36", ["GREETING=hello"],
        [f"{ddir}/www:/var/www", "/etc/localtime:/etc/localtime"],
        [f"type=bind,source={ddir}/lib/modules,destination=/lib/modules,ro=true"])
    index = os.path.join(ddir, "www", "index.html")
    with open(index) as f:
        assert f.read() == "hello"
    assert (os.stat(index).st_uid, os.stat(index).st_gid) == (1000, 1000)


def test_the_config_and_keyring_are_written_where_the_mounts_point(tmp_path):
    """A deploy request with the cluster's files writes them into the daemon's directory,
    the keyring readable by its owner only."""
    from ceph_orch_cli.backends.ssh import agent
    from testhosts import write_shims
    write_shims(tmp_path / "shims")
    root = tmp_path / "root"
    env = dict(os.environ, ORCH_AGENT_ROOT=str(root), ORCH_AGENT_DEVICES="",
               ORCH_CONTAINER_ENGINE=str(tmp_path / "shims" / "podman"))
    fsid = "5a1c9a40-1f6e-11ef-9d4a-525400a1b2c3"
    request = {"name": "rgw.s3.host1.abcdef", "fsid": fsid, "image": CEPH_IMAGE,
               "service_name": "rgw.s3", "ports": [8080],
               "files": {"config": "[global]\n\tfsid = %s\n" % fsid,
                         "keyring": "[client.rgw.s3.host1.abcdef]\n\tkey = AQBk==\n"}}
    proc = subprocess.run([sys.executable, agent.__file__, "deploy"], input=json.dumps(request),
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stdout
    ddir = root / "var/lib/ceph" / fsid / "rgw.s3.host1.abcdef"
    assert (ddir / "config").read_text() == request["files"]["config"]
    assert (ddir / "keyring").read_text() == request["files"]["keyring"]
    assert stat.S_IMODE((ddir / "keyring").stat().st_mode) == 0o600
    [run] = [json.loads(line) for line in (root / "engine-calls.jsonl").read_text().splitlines()
             if '"-d"' in line]
    assert f"{ddir}:/var/lib/ceph/radosgw/ceph-rgw.s3.host1.abcdef:z" in run
    assert f"{ddir}/config:/etc/ceph/ceph.conf:z" in run
    assert "AQBk==" not in proc.stdout and "AQBk==" not in json.dumps(run)


@pytest.fixture
def driver(state_dir):
    """The SSH backend's driver to one test host (for types no spec places on one host)."""
    from ceph_orch_cli.backends.ssh.driver import SSHHostDriver
    from ceph_orch_cli.backends.ssh.keys import SSHFiles
    from ceph_orch_cli.backends.ssh.pool import ConnectionPool
    from ceph_orch_cli.backends.ssh.transport import KnownHosts
    files = SSHFiles(state_dir)
    pool = ConnectionPool(files.private_key, KnownHosts(files.known_hosts), files.config_path())
    fsid = "5a1c9a40-1f6e-11ef-9d4a-525400a1b2c3"
    drv = SSHHostDriver(pool, fsid=lambda: fsid)
    yield drv, fsid
    pool.close()


def _deploy(drv, host, spec_json, daemon_type, daemon_id, ports=None):
    from ceph_orch_cli.cluster.reconcile import DEFAULT_IMAGE, deploy_request
    from ceph_orch_cli.cluster.scheduling import DaemonPlacement
    from ceph_orch_cli.deployment.service_spec import ServiceSpec
    drv, fsid = drv
    spec = ServiceSpec.from_json(spec_json)
    slot = DaemonPlacement(daemon_type=daemon_type, hostname=host.name, name=daemon_id,
                           ports=ports or [])
    request = deploy_request(spec, slot, fsid, DEFAULT_IMAGE)
    drv.pool.get(host.name, host.addr, trust_new_key=True)
    drv.deploy_daemon(host.spec(), request)
    return request


def test_ingress_haproxy_runs_as_root_and_keepalived_gets_its_capabilities(driver, hosts):
    host = hosts.hosts[0]
    ingress = {"service_type": "ingress", "service_id": "rgw.s3", "placement": {"hosts": [host.name]},
               "spec": {"backend_service": "rgw.s3", "virtual_ip": "10.0.0.100/24",
                        "frontend_port": 8081, "monitor_port": 8999}}
    for daemon_type in ("haproxy", "keepalived"):
        _deploy(driver, host, ingress, daemon_type, "rgw.s3.host1.abcdef", ports=[8081, 8999])
    d = Deployed(host, {"x": {"systemd_unit": f"ceph-{driver[1]}@x"}})
    name = "haproxy.rgw.s3.host1.abcdef"
    assert d.argv(name) == d.head(name) + ["--user=root", "-d"] + d.tail(
        "quay.io/ceph/haproxy:2.3", [], [f"{d.ddir(name)}/haproxy:/var/lib/haproxy"]) + [
        "haproxy", "-f", "/var/lib/haproxy/haproxy.cfg"]
    name = "keepalived.rgw.s3.host1.abcdef"
    assert d.argv(name) == d.head(name) + ["--cap-add=NET_ADMIN", "--cap-add=NET_RAW", "-d"] + d.tail(
        "quay.io/ceph/keepalived:2.2.4", [
            "KEEPALIVED_AUTOCONF=false", "KEEPALIVED_CONF=/etc/keepalived/keepalived.conf",
            "KEEPALIVED_CMD=/usr/sbin/keepalived -n -l -f /etc/keepalived/keepalived.conf",
            "KEEPALIVED_DEBUG=false"],
        [f"{d.ddir(name)}/keepalived.conf:/etc/keepalived/keepalived.conf"])


@pytest.mark.parametrize("daemon_type, image, envs", [
    ("elasticsearch", "quay.io/omrizeneva/elasticsearch:6.8.23", ["discovery.type=single-node"]),
    ("jaeger-collector", "quay.io/jaegertracing/jaeger-collector:1.29", []),
    ("jaeger-query", "quay.io/jaegertracing/jaeger-query:1.29", []),
    ("jaeger-agent", "quay.io/jaegertracing/jaeger-agent:1.29", []),
])
def test_tracing_daemons_run_their_own_images(driver, hosts, daemon_type, image, envs):
    host = hosts.hosts[0]
    spec = {"service_type": daemon_type, "placement": {"hosts": [host.name]}}
    _deploy(driver, host, spec, daemon_type, host.name)
    d = Deployed(host, {"x": {"systemd_unit": f"ceph-{driver[1]}@x"}})
    name = f"{daemon_type}.{host.name}"
    assert d.argv(name) == d.head(name) + ["-d"] + d.tail(image, envs, [])
