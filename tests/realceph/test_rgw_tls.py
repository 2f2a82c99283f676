"""A real RGW gateway serving S3 over TLS with the certificate cephadm signs for it: `orch`
puts the certificate in the config-key store (``rgw/cert/rgw.tls``) and ``rgw_frontends`` in
the gateway's section, and radosgw reads both from the cluster. Run alone, on its own
addresses: ``ORCH_REALCEPH_FIRST=51 pytest -m realceph tests/realceph/test_rgw_tls.py``."""
from __future__ import annotations

import socket
import ssl
import urllib.request

import pytest

from tests.realceph.conftest import CLUSTER_CONF, wait_until

pytestmark = [pytest.mark.realceph, pytest.mark.timeout(900)]

#: one host, one OSD per disk, pools of one replica: the least a gateway needs
CONF = CLUSTER_CONF.replace("osd_pool_default_size = 3", "osd_pool_default_size = 1").replace(
    "osd_pool_default_min_size = 2", "osd_pool_default_min_size = 1")
SPECS = """\
service_type: osd
service_id: all
placement:
  hosts: [host1]
spec:
  data_devices:
    all: true
---
service_type: rgw
service_id: tls
placement:
  hosts: [host1]
spec:
  ssl: true
  rgw_frontend_port: 8443
"""


def test_an_ssl_gateway_answers_https_with_its_cephadm_signed_certificate(cluster):
    (cluster.work / "tls.conf").write_text(CONF)
    (cluster.work / "tls.yaml").write_text(SPECS)
    addr = cluster.host("host1").addr
    cluster.orch("cephadm", "set-runtime", "package")
    cluster.orch("bootstrap", "host1", "--mon-ip", addr, "--config",
                 str(cluster.work / "tls.conf"), "--skip-monitoring-stack")
    cluster.orch("apply", "-i", str(cluster.work / "tls.yaml"))

    stored = cluster.ceph("config-key", "get", "rgw/cert/rgw.tls")
    assert "BEGIN CERTIFICATE" in stored and "PRIVATE KEY" in stored
    [rgw] = cluster.orch_json("ps", "--daemon-type", "rgw")
    assert cluster.ceph("config", "get", f"client.{rgw['daemon_name']}",
                        "rgw_frontends").strip() == \
        "beast ssl_port=8443 ssl_certificate=config://rgw/cert/rgw.tls"

    root = cluster.orch("certmgr", "cert", "get", "cephadm_root_ca_cert").stdout
    context = ssl.create_default_context(cadata=root)
    context.check_hostname = False  # the name it is valid for is checked below

    def answers() -> bool:
        try:
            with urllib.request.urlopen(f"https://{addr}:8443/", context=context,
                                        timeout=5) as reply:
                return reply.status == 200 and b"ListAllMyBucketsResult" in reply.read()
        except OSError:
            return False
    wait_until(f"rgw answering S3 over TLS on {addr}:8443", answers, 240, every=2)

    with socket.create_connection((addr, 8443), timeout=5) as raw:
        with context.wrap_socket(raw) as tls:
            peer = tls.getpeercert()
    sans = {value for _, value in peer["subjectAltName"]}
    assert {"host1", addr} <= sans
    assert cluster.orch("certmgr", "cert", "get", "cephadm-signed_rgw.tls_cert", "--hostname",
                        "host1").stdout.strip() in stored
