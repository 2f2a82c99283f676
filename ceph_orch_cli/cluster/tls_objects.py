"""PEM text in, facts out: what the certificate manager needs to know about a certificate or
a private key before it stores one, and what ``cert ls``/``key ls``/``cert check`` report.

Pure functions over text (no store, no I/O). ``cryptography`` (paramiko's dependency) does
the parsing and is imported lazily. Messages name the problem, never the key material.
"""
from __future__ import annotations

import datetime
import errno
import re
from typing import Any, Dict, List, Optional, Tuple

from ceph_orch_cli.orchestrator.errors import OrchestratorError

_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----\r?\n.*?-----END \1-----\r?\n?", re.S)
CERT_BLOCK = "CERTIFICATE"
#: cephadm's default ``certificate_renewal_threshold_days``
DEFAULT_THRESHOLD_DAYS = 30


def _invalid(message: str) -> OrchestratorError:
    return OrchestratorError(message, errno=-errno.EINVAL)


def pem_blocks(text: str) -> List[Tuple[str, str]]:
    """Every ``(label, block)`` of a PEM text, in order (``label`` e.g. ``CERTIFICATE``)."""
    return [(m.group(1), m.group(0) if m.group(0).endswith("\n") else m.group(0) + "\n")
            for m in _BLOCK.finditer(text or "")]


def is_private_key_label(label: str) -> bool:
    return label.endswith("PRIVATE KEY")


def split_bundle(text: str) -> Tuple[str, Optional[str]]:
    """A ``cert-key set -i`` bundle: (the certificates, leaf first, as one PEM; the one
    private key or None). More than one key, or none of the certificates, is refused."""
    blocks = pem_blocks(text)
    keys = [b for label, b in blocks if is_private_key_label(label)]
    certs = [b for label, b in blocks if label == CERT_BLOCK]
    if len(keys) > 1:
        raise _invalid("The PEM input holds more than one private key; give exactly one")
    if not certs:
        raise _invalid("The PEM input has no CERTIFICATE blocks")
    return "".join(certs), (keys[0] if keys else None)


def _crypto() -> Any:
    from ceph_orch_cli.cluster.certificates import _crypto as load
    return load()


def load_certificates(pem: str) -> List[Any]:
    """The certificates of a PEM text (leaf first); a block that does not parse is refused."""
    x509 = _crypto()[0]
    blocks = [b for label, b in pem_blocks(pem) if label == CERT_BLOCK]
    if not blocks:
        raise _invalid("The input has no CERTIFICATE blocks")
    out = []
    for block in blocks:
        try:
            out.append(x509.load_pem_x509_certificate(block.encode()))
        except ValueError as e:
            raise _invalid(f"failed to parse the certificate: {str(e).splitlines()[0]}") from None
    return out


def load_private_key(pem: str) -> Any:
    """The one private key of a PEM text; an encrypted or unreadable key is refused."""
    serialization = _crypto()[2]
    blocks = [b for label, b in pem_blocks(pem) if is_private_key_label(label)]
    if len(blocks) != 1:
        raise _invalid("The input must hold exactly one PEM private key")
    if "ENCRYPTED" in blocks[0].split("\n", 1)[0] or "Proc-Type: 4,ENCRYPTED" in blocks[0]:
        raise _invalid("The private key is encrypted; give it without a passphrase")
    try:
        return serialization.load_pem_private_key(blocks[0].encode(), password=None)
    except TypeError:
        raise _invalid("The private key is encrypted; give it without a passphrase") from None
    except ValueError:
        raise _invalid("failed to parse the private key (PEM: RSA, EC or Ed25519)") from None


def _public_bytes(public_key: Any) -> bytes:
    serialization = _crypto()[2]
    return bytes(public_key.public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo))


def key_matches(cert: Any, key: Any) -> bool:
    return _public_bytes(cert.public_key()) == _public_bytes(key.public_key())


def _not_after(cert: Any) -> datetime.datetime:
    value = getattr(cert, "not_valid_after_utc", None)
    if value is None:  # cryptography < 42
        value = cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    return value


def _not_before(cert: Any) -> datetime.datetime:
    value = getattr(cert, "not_valid_before_utc", None)
    if value is None:
        value = cert.not_valid_before.replace(tzinfo=datetime.timezone.utc)
    return value


def remaining_days(cert: Any, now: Optional[datetime.datetime] = None) -> int:
    """Whole days until the certificate expires (negative once expired)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    delta = _not_after(cert) - now
    return delta.days


def status_of(days: int, threshold: int) -> str:
    """``expired``, ``expiring`` (within the renewal threshold) or ``valid``."""
    if days < 0:
        return "expired"
    if days < threshold:
        return "expiring"
    return "valid"


def check_validity(cert: Any, threshold: int) -> None:
    """Refuse an expired certificate, or one that expires within ``threshold`` days."""
    days = remaining_days(cert)
    if days < 0:
        raise _invalid(f"The certificate has expired (on {_not_after(cert):%Y-%m-%d})")
    if days < threshold:
        raise _invalid(f"The certificate is about to expire in {days} days (the renewal "
                       f"threshold is {threshold} days)")


def _name(name: Any) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for attr in name:
        key = getattr(attr.oid, "_name", None) or attr.oid.dotted_string
        out[str(key)] = str(attr.value)
    return out


def _extensions(cert: Any) -> Dict[str, Any]:
    x509 = _crypto()[0]
    out: Dict[str, Any] = {}
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        out["subjectAltName"] = {
            "DNSNames": [str(n) for n in san.get_values_for_type(x509.DNSName)],
            "IPAddresses": [str(n) for n in san.get_values_for_type(x509.IPAddress)]}
    except x509.ExtensionNotFound:
        pass
    try:
        basic = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        out["basicConstraints"] = {"ca": bool(basic.ca), "path_length": basic.path_length}
    except x509.ExtensionNotFound:
        pass
    return out


def key_info(key: Any) -> Dict[str, Any]:
    """``{"key_type", "key_size"}`` of a private or public key."""
    size = getattr(key, "key_size", None)
    kind = type(key).__name__.replace("_", "").lower()
    for label in ("rsa", "ec", "ed25519", "ed448", "dsa"):
        if kind.startswith(label) or f"{label}private" in kind or f"{label}public" in kind:
            return {"key_type": label.upper(), "key_size": size if size is not None else 256}
    return {"key_type": type(key).__name__, "key_size": size}


def certificate_info(pem: str, show_details: bool, threshold: int,
                     signed_by: str) -> Dict[str, Any]:
    """What ``cert ls`` says of one stored certificate (``pem`` may carry its chain)."""
    hashes = _crypto()[1]
    certs = load_certificates(pem)
    leaf = certs[0]
    days = remaining_days(leaf)
    info: Dict[str, Any] = {
        "subject": _name(leaf.subject),
        "issuer": _name(leaf.issuer),
        "validity": {"not_before": _not_before(leaf).strftime("%Y-%m-%dT%H:%M:%SZ"),
                     "not_after": _not_after(leaf).strftime("%Y-%m-%dT%H:%M:%SZ"),
                     "remaining_days": days},
        "status": status_of(days, threshold),
        "signed_by": signed_by,
        "contains_chain": len(certs) > 1,
    }
    if show_details:
        info["extensions"] = _extensions(leaf)
        info["public_key"] = key_info(leaf.public_key())
        info["serial_number"] = format(leaf.serial_number, "x")
        info["fingerprint"] = leaf.fingerprint(hashes.SHA256()).hex(":")
    return info
