"""An RGW gateway's TLS on the SSH backend, as cephadm sets it up: the service's certificate
and key in the config-key store (``rgw/cert/<service>``), ``rgw_frontends`` in the daemon's
config section pointing at it, the realm and zone in the service's section; and on an
SSH-backend deploy the gateway's certificate is the one cephadm signs for its host, listed
by `orch certmgr cert ls --include-cephadm-signed`. A Ceph cluster is an edge these hosts
cannot run: the ``ceph`` shim on the test host records the commands and keeps what they set
in its JSON file."""
from __future__ import annotations

import json

import pytest
import yaml
from test_ssh_backend import Orch

from ceph_orch_cli.backends.ssh.ceph_cli import CephCLICluster
from ceph_orch_cli.backends.ssh.cluster_files import ClusterFiles
from ceph_orch_cli.backends.ssh.keys import SSHFiles
from ceph_orch_cli.backends.ssh.pool import ConnectionPool
from ceph_orch_cli.backends.ssh.transport import KnownHosts
from ceph_orch_cli.cluster.driver import DeployRequest
from ceph_orch_cli.orchestrator.errors import OrchestratorError

FSID = "5a1c9a40-1f6e-11ef-9d4a-525400a1b2c3"
PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" \
      "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"


@pytest.fixture
def rgw_files(hosts, state_dir):
    """ClusterFiles over the shim on the first test host, as once a cluster exists; and a
    reader of what the shim's cluster holds."""
    admin = hosts.hosts[0]
    files = SSHFiles(state_dir)
    pool = ConnectionPool(files.private_key, KnownHosts(files.known_hosts), files.config_path())
    pool.get(admin.name, admin.addr, trust_new_key=True)
    hosts.write_ceph_cluster(admin, {"fsid": FSID, "osds": {}})
    ceph = CephCLICluster(pool, lambda: (admin.name, admin.addr))
    yield (ClusterFiles(ceph, lambda: True),
           lambda: json.loads((admin.root / "ceph-cluster.json").read_text()))
    pool.close()


def _request(spec, ports=(), ip=None):
    return DeployRequest(name="rgw.s3.host1.abcdef", fsid=FSID, image="quay.io/ceph/ceph:v16",
                         service_name="rgw.s3", ports=list(ports), ip=ip,
                         config={"spec": spec})


def test_an_ssl_gateway_gets_its_certificate_in_config_key_and_frontends_pointing_at_it(
        rgw_files):
    files, cluster = rgw_files
    frontends = files.configure_rgw(
        _request({"ssl": True, "rgw_realm": "gold", "rgw_zone": "east"}, [443]), PEM)
    assert frontends == "beast ssl_port=443 ssl_certificate=config://rgw/cert/rgw.s3"
    state = cluster()
    assert state["config_keys"] == {"rgw/cert/rgw.s3": PEM}
    assert state["config"] == {
        "client.rgw.s3": {"rgw_realm": "gold", "rgw_zone": "east"},
        "client.rgw.s3.host1.abcdef": {"rgw_frontends": frontends}}


def test_a_plain_gateway_gets_a_port_and_no_certificate(rgw_files):
    files, cluster = rgw_files
    assert files.configure_rgw(_request({}, [8080]), PEM) == "beast port=8080"
    # bound to the address the spec's networks chose, with the spec's extra arguments
    assert files.configure_rgw(
        _request({"ssl": True, "rgw_frontend_extra_args": ["tcp_nodelay=1"]}, [8443],
                 ip="10.1.2.3"), PEM) == (
        "beast ssl_endpoint=10.1.2.3:8443 ssl_certificate=config://rgw/cert/rgw.s3 "
        "tcp_nodelay=1")
    assert cluster()["config"]["client.rgw.s3.host1.abcdef"]["rgw_frontends"].startswith(
        "beast ssl_endpoint=10.1.2.3:8443")


def test_ssl_without_a_certificate_is_refused_before_anything_is_set(rgw_files):
    files, cluster = rgw_files
    with pytest.raises(OrchestratorError, match="rgw.s3 has ssl: true but no certificate"):
        files.configure_rgw(_request({"ssl": True, "rgw_realm": "gold", "rgw_zone": "east"}),
                            None)
    assert "config" not in cluster() and "config_keys" not in cluster()


def test_an_ssl_gateway_deployed_over_ssh_is_given_a_cephadm_signed_certificate(
        hosts, state_dir, tmp_path):
    orch = Orch(state_dir)
    (tmp_path / "rgw.yaml").write_text(yaml.safe_dump({
        "service_type": "rgw", "service_id": "s3", "placement": {"hosts": ["host1"]},
        "spec": {"ssl": True, "custom_sans": ["s3.example.com"]}}))
    orch("host", "add", "host1", hosts.hosts[0].addr)
    orch("apply", "-i", str(tmp_path / "rgw.yaml"))
    listing = orch.json("certmgr", "cert", "ls", "--include-cephadm-signed", "--show-details")
    cert = listing["cephadm-signed_rgw.s3_cert"]
    assert cert["scope"] == "host"
    info = cert["certificates"]["host1"]
    assert info["signed_by"] == "cephadm" and info["issuer"]["commonName"] == "cephadm-root"
    sans = info["extensions"]["subjectAltName"]
    assert "s3.example.com" in sans["DNSNames"] and "host1" in sans["DNSNames"]
    assert hosts.hosts[0].addr in sans["IPAddresses"]
    # written by the deploy's own transaction: the serve pass has nothing to issue
    assert "certificates_step" not in orch("serve", "--once").stdout
    # not a file in the gateway's directory: its certificate goes to the config-key store
    [rgw] = orch.json("ps", "--daemon-type", "rgw")
    fsid = rgw["systemd_unit"].split("@")[0][len("ceph-"):]
    ddir = hosts.hosts[0].root / "var/lib/ceph" / fsid / rgw["daemon_name"]
    assert ddir.is_dir() and not list(ddir.rglob("rgw.pem"))
