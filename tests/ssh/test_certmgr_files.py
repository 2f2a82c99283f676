"""A certificate set with `orch certmgr cert-key set` reaches the daemons that use it on real
SSH test hosts (until then they have the one cephadm signed for them): `orch certmgr reload`
redeploys them and each gets the files cephadm gives
its type (grafana ``etc/grafana/certs/cert_file``/``cert_key``, mgmt-gateway
``etc/nginx.crt``/``nginx.key``), the key readable by the owner only. The container engine is
the recording shim (the one faked edge)."""
from __future__ import annotations

import datetime
import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

SPECS = """\
service_type: grafana
placement:
  hosts: [host1]
---
service_type: mgmt-gateway
placement:
  hosts: [host1]
"""


def orch(state: Path, *words: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "ceph_orch_cli", "--backend", "ssh",
                           "--state-dir", str(state), *words],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (words, proc.stdout, proc.stderr)
    return proc.stdout


def pair(path: Path, cn: str) -> tuple:
    """A self-signed certificate and its key, as one PEM bundle at ``path``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    path.write_text(key_pem + cert_pem)
    return cert_pem, key_pem


@pytest.fixture
def cluster(start_hosts, tmp_path):
    from ceph_orch_cli.backends.ssh import keys

    hosts = start_hosts(1)
    state = tmp_path / "state"
    files = keys.SSHFiles(state)  # the identity `orch ssh set-priv-key -i` would store
    keys.set_private_key(files, hosts.client_key.read_text())
    keys.set_config(files, hosts.ssh_config())
    (tmp_path / "specs.yaml").write_text(SPECS)
    orch(state, "host", "add", "host1", hosts.hosts[0].addr)
    orch(state, "apply", "-i", str(tmp_path / "specs.yaml"))
    daemons = {d["daemon_type"]: d for d in json.loads(orch(state, "ps", "--format", "json"))}
    fsid = daemons["grafana"]["systemd_unit"].split("@")[0][len("ceph-"):]
    return state, hosts.hosts[0].root / "var/lib/ceph" / fsid, daemons


def test_reload_writes_the_stored_pairs_into_the_daemons_dirs(cluster, tmp_path):
    state, cluster_dir, daemons = cluster
    grafana = cluster_dir / daemons["grafana"]["daemon_name"] / "etc/grafana/certs"
    gateway = cluster_dir / daemons["mgmt-gateway"]["daemon_name"] / "etc"
    # before the user gives one, each has the pair cephadm signed for its host, from its
    # first deploy, and the store holds the same (what `cert get` prints)
    for name, path in (("grafana", grafana / "cert_file"),
                       ("mgmt-gateway", gateway / "nginx.crt")):
        assert path.read_text() == orch(state, "certmgr", "cert", "get",
                                         f"cephadm-signed_{name}_cert", "--hostname", "host1")
        assert "cephadm-root" in json.dumps(json.loads(orch(
            state, "certmgr", "cert", "ls", "--include-cephadm-signed", "--format", "json"))[
                f"cephadm-signed_{name}_cert"]["certificates"]["host1"]["issuer"])

    g_cert, g_key = pair(tmp_path / "grafana.pem", "grafana.test")
    m_cert, m_key = pair(tmp_path / "gw.pem", "gw.test")
    orch(state, "certmgr", "cert-key", "set", "grafana", "-i", str(tmp_path / "grafana.pem"),
         "--hostname", "host1")
    orch(state, "certmgr", "cert-key", "set", "mgmt-gateway", "-i", str(tmp_path / "gw.pem"))
    assert orch(state, "certmgr", "reload") == "OK\n"

    assert (grafana / "cert_file").read_text() == g_cert
    assert (grafana / "cert_key").read_text() == g_key
    assert (gateway / "nginx.crt").read_text() == m_cert
    assert (gateway / "nginx.key").read_text() == m_key
    assert stat.S_IMODE((grafana / "cert_key").stat().st_mode) == 0o600
    # what the store holds is what `cert get` prints, on the SSH backend too
    assert orch(state, "certmgr", "cert", "get", "grafana_ssl_cert", "--hostname",
                "host1") == g_cert
    events = json.loads(orch(state, "ps", "--daemon-type", "grafana", "--format",
                             "json"))[0]["events"]
    assert any("redeploy grafana.host1" in e.lower() for e in events), events


def test_a_specs_inline_pair_goes_to_its_daemons_when_they_deploy(start_hosts, tmp_path):
    """``ssl: true`` with ``certificate_source: inline``: the spec's own certificate wins over
    the store, and the daemon has it from its first deploy (no reload)."""
    import yaml

    from ceph_orch_cli.backends.ssh import keys

    hosts = start_hosts(1)
    state = tmp_path / "state"
    files = keys.SSHFiles(state)
    keys.set_private_key(files, hosts.client_key.read_text())
    keys.set_config(files, hosts.ssh_config())
    cert, key = pair(tmp_path / "inline.pem", "inline.test")
    pair(tmp_path / "stored.pem", "stored.test")
    (tmp_path / "gw.yaml").write_text(yaml.safe_dump({
        "service_type": "mgmt-gateway", "placement": {"hosts": ["host1"]},
        "spec": {"ssl": True, "certificate_source": "inline", "ssl_cert": cert,
                 "ssl_key": key}}))
    orch(state, "host", "add", "host1", hosts.hosts[0].addr)
    orch(state, "certmgr", "cert-key", "set", "mgmt-gateway", "-i", str(tmp_path / "stored.pem"))
    orch(state, "apply", "-i", str(tmp_path / "gw.yaml"))
    [gw] = json.loads(orch(state, "ps", "--daemon-type", "mgmt-gateway", "--format", "json"))
    fsid = gw["systemd_unit"].split("@")[0][len("ceph-"):]
    etc = hosts.hosts[0].root / "var/lib/ceph" / fsid / gw["daemon_name"] / "etc"
    assert (etc / "nginx.crt").read_text() == cert
    assert (etc / "nginx.key").read_text() == key
    run = [c for c in hosts.hosts[0].engine_calls() if c[0] == "run" and "-d" in c][-1]
    assert f"{etc}/nginx.crt:/etc/nginx/ssl/nginx.crt:Z" in run
