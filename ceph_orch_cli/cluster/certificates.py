"""The cluster's root CA and the certificates it signs: cephadm's ``cephadm-signed`` source.

cephadm keeps one self-signed root CA in the mgr store; Prometheus, Alertmanager, the service
discovery endpoint and the mgr modules that ask for one (``generate_certificates``) get
certificates signed by it, and clients trust them through that one root certificate (the
``certificate`` field of ``orch prometheus get-credentials``, ``orch sd dump cert``).

Here the CA lives in the store under ``backend/certs/root_ca``, created on first use in one
transaction so two processes never mint two CAs. Private keys never leave the store except
as the answer to the call that asked for them; nothing here logs.

``cryptography`` (a dependency of paramiko) builds the certificates; it is imported lazily so
that commands which never touch certificates do not pay for it.
"""
from __future__ import annotations

import datetime
import ipaddress
from typing import TYPE_CHECKING, Any, Dict, List, Sequence, Tuple

from ceph_orch_cli.orchestrator.errors import OrchestratorError

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.cluster.store import Store

#: store key of the root CA (``{"cert": PEM, "key": PEM}``)
ROOT_CA_KEY = "backend/certs/root_ca"
#: store key prefix of issued, reusable certificates (``<prefix>/<name>``)
ISSUED_PREFIX = "backend/certs/issued"
ROOT_CA_DAYS = 365 * 10
CERT_DAYS = 365 * 3
ROOT_CA_NAME = "cephadm-root"


def _crypto() -> Tuple[Any, Any, Any, Any, Any]:
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID
    except ImportError:
        raise OrchestratorError(
            "Cannot generate certificates: the Python package 'cryptography' is not installed "
            "(it normally comes with paramiko)") from None
    return x509, hashes, serialization, rsa, NameOID


def _new_key() -> Any:
    _, _, _, rsa, _ = _crypto()
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _key_pem(key: Any) -> str:
    _, _, serialization, _, _ = _crypto()
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode()


def _make_root_ca(fsid: str) -> Dict[str, str]:
    x509, hashes, serialization, _, NameOID = _crypto()
    key = _new_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ROOT_CA_NAME),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, fsid or "ceph")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=ROOT_CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False,
                                         decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return {"cert": cert.public_bytes(serialization.Encoding.PEM).decode(),
            "key": _key_pem(key)}


def root_ca(store: "Store", fsid: str) -> Dict[str, str]:
    """The cluster's root CA (``cert``, ``key``), created and stored on first use."""
    return dict(store.setting_default(ROOT_CA_KEY, lambda: _make_root_ca(fsid)))


def root_cert(store: "Store", fsid: str) -> str:
    """The root CA certificate (PEM): what clients of the monitoring stack trust."""
    return root_ca(store, fsid)["cert"]


def _san(names: Sequence[str]) -> List[object]:
    x509, _, _, _, _ = _crypto()
    out: List[object] = []
    for n in dict.fromkeys(n for n in names if n):
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            out.append(x509.DNSName(n))
    return out


def issue(store: "Store", fsid: str, common_name: str,
          names: Sequence[str], days: int = CERT_DAYS) -> Tuple[str, str]:
    """A new certificate and key for ``names`` (hostnames and addresses) signed by the root
    CA, valid ``days`` (cephadm's ``certificate_duration_days``)."""
    x509, hashes, serialization, _, NameOID = _crypto()
    ca = root_ca(store, fsid)
    ca_cert = x509.load_pem_x509_certificate(ca["cert"].encode())
    ca_key = serialization.load_pem_private_key(ca["key"].encode(), password=None)
    key = _new_key()
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
               .issuer_name(ca_cert.subject)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True))
    san = _san(list(names) or [common_name])
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.PEM).decode(), _key_pem(key)


def issued(store: "Store", fsid: str, name: str, common_name: str,
           names: Sequence[str]) -> Dict[str, Any]:
    """A stored certificate for one purpose (``name``), issued again when its names change."""
    key = f"{ISSUED_PREFIX}/{name}"
    wanted = sorted(dict.fromkeys(n for n in names if n))
    current = store.get_setting(key)
    if current and current.get("names") == wanted:
        return dict(current)
    cert, pkey = issue(store, fsid, common_name, wanted)
    value = {"cert": cert, "key": pkey, "names": wanted}
    store.set_setting(key, value)
    return value
