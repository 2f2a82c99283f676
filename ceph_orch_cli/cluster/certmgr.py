"""The certificate manager (Tentacle's ``ceph orch certmgr``, Squid's ``cert-store``).

cephadm keeps every TLS object its services use in one store: the root CA it signs with,
and per certificate name (``rgw_ssl_cert``, ``grafana_ssl_cert``, ...) the certificates and
keys users gave, each under the scope the name has: *service* (one per service name, e.g. an
RGW service), *host* (one per host, e.g. grafana) or *global* (one, e.g. mgmt-gateway).
``CertMgr`` is that store over the engine's settings: ``backend/certmgr/cert/<name>`` and
``backend/certmgr/key/<name>`` each hold ``{target: {"pem", "user_made"}}`` (``target`` is
the service name, the host name or ``global``). Being settings, they travel with the rest of
the state into the cluster's config-key store on the SSH backend.

The root CA is the one ``cluster/certificates.py`` keeps (``cephadm_root_ca_cert``): listed,
readable, never editable. Setting a pair validates it first (one key, the key matching the
leaf, not expired and not within the renewal threshold) and changes nothing when it fails.
``cert check`` reports what cephadm's periodic check raises health warnings for; ``reload``
redeploys the daemons that use stored objects, so they get the files again (``files_for``:
the SSH backend's driver puts them in each daemon's config files).
"""
from __future__ import annotations

import errno
import fnmatch
from typing import TYPE_CHECKING, Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

from ceph_orch_cli.cluster import certificates, certmgr_signed, tls_objects
from ceph_orch_cli.cluster.certmgr_signed import SignedCerts
from ceph_orch_cli.orchestrator import DaemonDescription, handle_orch_error
from ceph_orch_cli.orchestrator.errors import OrchestratorError

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.cluster.core import EngineCore
    from ceph_orch_cli.cluster.services import Services

SERVICE, HOST, GLOBAL = "service", "host", "global"
ROOT_CA_CERT = "cephadm_root_ca_cert"
ROOT_CA_KEY = "cephadm_root_ca_key"
CERT_PREFIX = "backend/certmgr/cert/"
KEY_PREFIX = "backend/certmgr/key/"
#: cephadm module options (backend settings of these names)
THRESHOLD_SETTING = "certificate_renewal_threshold_days"
DEBUG_SETTING = "certificate_check_debug_mode"

#: entity (the consumer: a service type) -> (scope, its certificate names, its key names)
BINDINGS: Dict[str, Tuple[str, Tuple[str, ...], Tuple[str, ...]]] = {
    "rgw": (SERVICE, ("rgw_ssl_cert",), ("rgw_ssl_key",)),
    "ingress": (SERVICE, ("ingress_ssl_cert",), ("ingress_ssl_key",)),
    "iscsi": (SERVICE, ("iscsi_ssl_cert",), ("iscsi_ssl_key",)),
    "nvmeof": (SERVICE, ("nvmeof_ssl_cert", "nvmeof_client_cert", "nvmeof_root_ca_cert"),
               ("nvmeof_ssl_key", "nvmeof_client_key", "nvmeof_encryption_key")),
    "nfs": (SERVICE, ("nfs_ssl_cert", "nfs_ssl_ca_cert"), ("nfs_ssl_key",)),
    "smb": (SERVICE, ("smb_ssl_cert", "smb_ssl_ca_cert"), ("smb_ssl_key",)),
    "grafana": (HOST, ("grafana_ssl_cert",), ("grafana_ssl_key",)),
    "oauth2-proxy": (HOST, ("oauth2_proxy_ssl_cert",), ("oauth2_proxy_ssl_key",)),
    "mgmt-gateway": (GLOBAL, ("mgmt_gateway_ssl_cert",), ("mgmt_gateway_ssl_key",)),
}
#: the certificates cephadm signs for its own use (``certificates.issued``), by purpose
CEPHADM_SIGNED = ("prometheus",)
RGW_PEM = "rgw.pem"
#: the files a daemon of each type gets from its entity's stored pair: (cert, key), or one
#: file holding both
DAEMON_FILES: Dict[str, Tuple[str, ...]] = {
    "haproxy": ("haproxy.pem",),
    "grafana": ("certs/cert_file", "certs/cert_key"),
    "mgmt-gateway": ("nginx.crt", "nginx.key"),
    "oauth2-proxy": ("oauth2-proxy.crt", "oauth2-proxy.key"),
    "nvmeof": ("server_cert", "server_key"),
    "iscsi": ("iscsi-gateway.crt", "iscsi-gateway.key"),
    # not a file: the SSH driver hands it to ClusterFiles, which puts it in the config-key
    # store (``rgw/cert/<service>``) where ``rgw_frontends`` points
    "rgw": (RGW_PEM,),
}
#: cephadm's health checks for the certificates it cannot fix by itself
CERT_ERROR, CERT_WARNING = "CEPHADM_CERT_ERROR", "CEPHADM_CERT_WARNING"


def _scopes(kind: str) -> Dict[str, Tuple[str, str]]:
    """Every known certificate (``kind`` "cert") or key ("key") name -> (scope, entity)."""
    out: Dict[str, Tuple[str, str]] = {}
    for entity, (scope, certs, keys) in BINDINGS.items():
        for name in (certs if kind == "cert" else keys):
            out[name] = (scope, entity)
    out[ROOT_CA_CERT if kind == "cert" else ROOT_CA_KEY] = (GLOBAL, "cephadm")
    return out


CERT_SCOPES = _scopes("cert")
KEY_SCOPES = _scopes("key")
FILTER_KEYS = ("name", "scope", "status", "service", "host", "signed-by")


class Problem(NamedTuple):
    """What ``cert check`` says of one certificate and what its health check details."""
    status: str  # invalid, expired or expiring
    message: str
    stored: "Stored"
    days: int = 0
    error: str = ""

    def detail(self) -> str:
        """cephadm's ``CertInfo.get_status_description``."""
        source = "user-made" if self.stored.signed_by == "user" else "cephadm-signed"
        what = f"'{self.stored.name}{_where(self.stored.target)}' ({source})"
        if self.status == "expired":
            return f"Certificate {what} has expired"
        if self.status == "invalid":
            return f"Certificate {what} is not valid (error: {self.error})"
        return f"Certificate {what} is about to expire (remaining days: {self.days})"


class Stored(NamedTuple):
    """One certificate ``cert ls`` and ``cert check`` see."""
    name: str
    scope: str
    target: str
    pem: str
    signed_by: str
    #: its key when that is not in the store (a spec's inline pair)
    key: Optional[str] = None


def _error(message: str, code: int = errno.EINVAL) -> OrchestratorError:
    return OrchestratorError(message, errno=-code)


def _where(target: str) -> str:
    return "" if target == GLOBAL else f" ({target})"


def _parse_filter(expression: str) -> Dict[str, str]:
    """``name=rgw*,status=valid`` -> {key: value}; an unknown key is refused."""
    out: Dict[str, str] = {}
    for part in (p.strip() for p in (expression or "").split(",") if p.strip()):
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in FILTER_KEYS:
            raise _error(f"Invalid filter {part!r}: expected KEY=VALUE with KEY one of "
                         f"{', '.join(FILTER_KEYS)}")
        out[key] = value.strip()
    return out


class CertMgr:
    """``orch certmgr ...`` and ``orch cert-store ...`` over the store (module docstring);
    ``services`` redeploys the daemons ``reload`` names."""

    def __init__(self, core: "EngineCore", services: "Services") -> None:
        self.core = core
        self.store = core.store
        self.services = services
        self.signed = SignedCerts(core, self._has_user_pair)

    # -- the store ---------------------------------------------------------------------------
    def _objects(self, prefix: str, name: str) -> Dict[str, Dict[str, Any]]:
        return dict(self.store.get_setting(prefix + name, None) or {})

    def _root(self) -> Dict[str, str]:
        return certificates.root_ca(self.store, self.core.fsid())

    def _threshold(self) -> int:
        return int(self.core.get_backend_setting(THRESHOLD_SETTING,
                                                 tls_objects.DEFAULT_THRESHOLD_DAYS))

    def _target(self, name: str, scopes: Dict[str, Tuple[str, str]],
                service_name: Optional[str], hostname: Optional[str]) -> str:
        """Where ``name`` lives: its scope decides which of the two selectors it needs."""
        if name not in scopes:
            kind = "certificate" if scopes is CERT_SCOPES else "key"
            raise _error(f"Unknown TLS object name '{name}': not a known {kind} "
                         f"(`orch certmgr entity ls` lists them)")
        scope = scopes[name][0]
        if scope == SERVICE:
            if not service_name:
                raise _error(f"{name} is service scoped: need service name (--service-name)")
            return service_name
        if scope == HOST:
            if not hostname:
                raise _error(f"{name} is host scoped: need host name (--hostname)")
            return hostname
        return GLOBAL

    def _editable(self, name: str) -> None:
        if name in (ROOT_CA_CERT, ROOT_CA_KEY):
            raise _error(f"{name} is not editable: cephadm manages its root CA", errno.EPERM)
        if certmgr_signed.service_of(name):
            raise _error(f"{name} is not editable: cephadm signs and renews it", errno.EPERM)

    def _save(self, prefix: str, name: str, target: str, pem: Optional[str]) -> None:
        with self.store.transaction():
            objects = self._objects(prefix, name)
            if pem is None:
                objects.pop(target, None)
            else:
                objects[target] = {"pem": pem, "user_made": True}
            self.store.set_setting(prefix + name, objects or None)

    # -- get ---------------------------------------------------------------------------------
    def _get(self, kind: str, name: str, service_name: Optional[str], hostname: Optional[str],
             no_exception_when_missing: bool) -> str:
        scopes = CERT_SCOPES if kind == "cert" else KEY_SCOPES
        if name in (ROOT_CA_CERT, ROOT_CA_KEY):
            return self._root()["cert" if kind == "cert" else "key"]
        signed_for = certmgr_signed.service_of(name)
        if signed_for:
            return self._signed_get(kind, name, signed_for, hostname, no_exception_when_missing)
        target = self._target(name, scopes, service_name, hostname)
        found = self._objects(CERT_PREFIX if kind == "cert" else KEY_PREFIX, name).get(target)
        if found:
            return str(found["pem"])
        inline = self._inline_object(kind, name, target)
        if inline is not None:
            return inline
        if no_exception_when_missing:
            return ""
        what = "certificate" if kind == "cert" else "key"
        raise _error(f"No secret found for {what} {name}{_where(target)}", errno.ENOENT)

    def _signed_get(self, kind: str, name: str, service: str, hostname: Optional[str],
                    no_exception_when_missing: bool) -> str:
        """A cephadm-signed certificate or key: host scoped, as in cephadm."""
        if not hostname:
            raise _error(f"{name} is host scoped: need host name (--hostname)")
        found = self.signed.stored().get(service, {}).get(hostname)
        if found:
            return str(found["cert" if kind == "cert" else "key"])
        if no_exception_when_missing:
            return ""
        what = "certificate" if kind == "cert" else "key"
        raise _error(f"No secret found for {what} {name} ({hostname})", errno.ENOENT)

    def _inline_object(self, kind: str, name: str, target: str) -> Optional[str]:
        """The certificate or key of ``name`` a spec embeds for ``target``, if one does."""
        scope, entity = (CERT_SCOPES if kind == "cert" else KEY_SCOPES)[name]
        owner = {SERVICE: target, GLOBAL: entity}.get(scope)
        pair = self._inline_pair(owner) if owner and entity in BINDINGS else None
        if pair is None:
            return None
        first = BINDINGS[entity][1 if kind == "cert" else 2][0]
        return (pair[0] if kind == "cert" else pair[1]) if name == first else None

    @handle_orch_error
    def cert_get(self, name: str, service_name: Optional[str] = None,
                 hostname: Optional[str] = None, no_exception_when_missing: bool = False) -> str:
        return self._get("cert", name, service_name, hostname, no_exception_when_missing)

    @handle_orch_error
    def key_get(self, name: str, service_name: Optional[str] = None,
                hostname: Optional[str] = None, no_exception_when_missing: bool = False) -> str:
        return self._get("key", name, service_name, hostname, no_exception_when_missing)

    # -- set ---------------------------------------------------------------------------------
    def _check_validity(self, leaf: Any, force: bool) -> None:
        if force and self.core.get_backend_setting(DEBUG_SETTING, False):
            return  # cephadm lets --force store a bad certificate in its debug mode only
        tls_objects.check_validity(leaf, self._threshold())

    @handle_orch_error
    def cert_set(self, name: str, cert: Optional[str], service_name: Optional[str] = None,
                 hostname: Optional[str] = None) -> str:
        self._editable(name)
        target = self._target(name, CERT_SCOPES, service_name, hostname)
        if not cert or not cert.strip():
            raise _error("A certificate is required: give --cert or -i <cert-file>")
        if any(tls_objects.is_private_key_label(label)
               for label, _ in tls_objects.pem_blocks(cert)):
            raise _error("The input holds a private key: use `orch certmgr cert-key set` "
                         "to set a certificate with its key")
        certs, _ = tls_objects.split_bundle(cert)
        tls_objects.load_certificates(certs)
        self._save(CERT_PREFIX, name, target, certs)
        return f"Certificate for {name}{_where(target)} set correctly"

    @handle_orch_error
    def key_set(self, name: str, key: Optional[str], service_name: Optional[str] = None,
                hostname: Optional[str] = None) -> str:
        self._editable(name)
        target = self._target(name, KEY_SCOPES, service_name, hostname)
        if not key or not key.strip():
            raise _error("A key is required: give --key or -i <key-file>")
        tls_objects.load_private_key(key)
        block = next(b for label, b in tls_objects.pem_blocks(key)
                     if tls_objects.is_private_key_label(label))
        self._save(KEY_PREFIX, name, target, block)
        return f"Key for {name}{_where(target)} set correctly"

    def _pair_names(self, entity: str, cert_name: Optional[str]) -> Tuple[str, str]:
        if entity not in BINDINGS:
            raise _error(f"Unknown entity '{entity}': `orch certmgr entity ls` lists the "
                         "entities that take certificates")
        _, certs, keys = BINDINGS[entity]
        pairs = [c for c in certs if c.replace("_cert", "_key") in keys]
        if cert_name is None:
            if len(pairs) != 1:
                raise _error(f"{entity} has several certificates ({', '.join(pairs)}): choose "
                             "one with --cert-name")
            cert_name = pairs[0]
        if cert_name.startswith("cephadm-signed"):
            raise _error(f"{cert_name} is not editable: cephadm signs and renews it",
                         errno.EPERM)
        if cert_name not in pairs:
            raise _error(f"{cert_name} is not a certificate of {entity} with a key "
                         f"(its certificates: {', '.join(pairs)})")
        return cert_name, cert_name.replace("_cert", "_key")

    @handle_orch_error
    def cert_key_set(self, entity: str, cert: Optional[str] = None, key: Optional[str] = None,
                     cert_name: Optional[str] = None, service_name: Optional[str] = None,
                     hostname: Optional[str] = None, force: bool = False,
                     inbuf: Optional[str] = None) -> str:
        cert_name, key_name = self._pair_names(entity, cert_name)
        scope = BINDINGS[entity][0]
        if scope == SERVICE and not service_name:
            raise _error(f"{entity} certificates are per service: give --service-name")
        if scope == HOST and not hostname:
            raise _error(f"{entity} certificates are per host: give --hostname")
        target = self._target(cert_name, CERT_SCOPES, service_name, hostname)
        if self._inline_object("cert", cert_name, target) is not None:
            owner = target if scope == SERVICE else entity
            raise _error(f"{cert_name}{_where(target)} is not editable: the spec of {owner} "
                         "embeds it (certificate_source: inline); change the spec instead",
                         errno.EPERM)
        text = inbuf if inbuf else "".join(p for p in (cert, key) if p)
        certs, key_pem = tls_objects.split_bundle(text)
        if key_pem is None:
            raise _error("A certificate and a private key are both required (one -i PEM "
                         "file holding both, or --cert and --key)")
        leaf = tls_objects.load_certificates(certs)[0]
        private = tls_objects.load_private_key(key_pem)
        if not tls_objects.key_matches(leaf, private):
            raise _error("The private key does not match the certificate")
        self._check_validity(leaf, force)
        with self.store.transaction():
            self._save(CERT_PREFIX, cert_name, target, certs)
            self._save(KEY_PREFIX, key_name, target, key_pem)
        return f"Certificate/key pair set correctly for {entity}{_where(target)}"

    # -- rm ----------------------------------------------------------------------------------
    @handle_orch_error
    def cert_rm(self, name: str, service_name: Optional[str] = None,
                hostname: Optional[str] = None) -> str:
        self._editable(name)
        if name not in CERT_SCOPES:
            raise _error(f"Cannot delete the certificate {name}: not a known certificate",
                         errno.ENOENT)
        target = self._target(name, CERT_SCOPES, service_name, hostname)
        if target not in self._objects(CERT_PREFIX, name):
            raise _error(f"Cannot delete the certificate {name}{_where(target)}: none is set",
                         errno.ENOENT)
        self._save(CERT_PREFIX, name, target, None)
        return f"Certificate for {name}{_where(target)} removed correctly"

    @handle_orch_error
    def key_rm(self, name: str, service_name: Optional[str] = None,
               hostname: Optional[str] = None) -> str:
        """As cephadm, removing a key that is not set succeeds."""
        self._editable(name)
        target = self._target(name, KEY_SCOPES, service_name, hostname)
        self._save(KEY_PREFIX, name, target, None)
        return f"Key for {name}{_where(target)} removed correctly"

    # -- listings ----------------------------------------------------------------------------
    def _inline_certs(self) -> List[Stored]:
        """The pairs specs embed (``certificate_source: inline``): listed and checked, owned
        by their spec (``cert-key set`` refuses to replace them)."""
        out: List[Stored] = []
        for row in self.store.get_specs():
            entity, pair = row.service_type, self._inline_pair(row.service_name)
            if pair is None or entity not in BINDINGS:
                continue
            scope, certs, _ = BINDINGS[entity]
            targets = ([row.service_name] if scope == SERVICE else [GLOBAL] if scope == GLOBAL
                       else sorted({d.hostname for d in self.core.daemons(
                           service_name=row.service_name) if d.hostname}))
            out.extend(Stored(certs[0], scope, t, pair[0], "user", pair[1]) for t in targets)
        return out

    def _stored_certs(self, include_cephadm_signed: bool, with_root: bool = True) -> List[Stored]:
        """Every certificate ``cert ls`` shows: the root CA (made on first use: not by the
        health checks, which skip it), the stored ones, the specs' inline ones and (when
        asked) those cephadm signed."""
        out = [Stored(ROOT_CA_CERT, GLOBAL, GLOBAL, self._root()["cert"], "cephadm")
               ] if with_root else []
        for name, (scope, _) in sorted(CERT_SCOPES.items()):
            for target, obj in sorted(self._objects(CERT_PREFIX, name).items()):
                out.append(Stored(name, scope, target, str(obj["pem"]),
                                  "user" if obj.get("user_made", True) else "cephadm"))
        out.extend(self._inline_certs())
        if include_cephadm_signed:
            for service, hosts in sorted(self.signed.stored().items()):
                out.extend(Stored(certmgr_signed.cert_name(service), HOST, host,
                                  str(obj["cert"]), "cephadm", str(obj["key"]))
                           for host, obj in sorted(hosts.items()))
            for purpose in CEPHADM_SIGNED:
                issued = self.store.get_setting(f"{certificates.ISSUED_PREFIX}/{purpose}")
                if issued:
                    out.append(Stored(f"cephadm-signed_{purpose}_cert", GLOBAL, GLOBAL,
                                      str(issued["cert"]), "cephadm", str(issued["key"])))
        return out

    @staticmethod
    def _matches(wanted: Dict[str, str], name: str, scope: str, target: str,
                 info: Dict[str, Any]) -> bool:
        checks = {"name": name, "scope": scope, "status": info["status"],
                  "service": target if scope == SERVICE else None,
                  "host": target if scope == HOST else None, "signed-by": info["signed_by"]}
        return all(checks[k] is not None and fnmatch.fnmatchcase(str(checks[k]), v)
                   for k, v in wanted.items())

    @handle_orch_error
    def cert_ls(self, filter_by: str = "", show_details: bool = False,
                include_cephadm_signed: bool = False) -> Dict[str, Any]:
        wanted = _parse_filter(filter_by)
        threshold = self._threshold()
        signed = include_cephadm_signed or wanted.get("signed-by") == "cephadm"
        out: Dict[str, Any] = {}
        for c in self._stored_certs(signed):
            try:
                info = tls_objects.certificate_info(c.pem, show_details, threshold, c.signed_by)
            except OrchestratorError as e:
                info = {"status": "invalid", "signed_by": c.signed_by, "error": str(e)}
            if self._matches(wanted, c.name, c.scope, c.target, info):
                entry = out.setdefault(c.name, {"scope": c.scope, "certificates": {}})
                entry["certificates"][c.target] = info
        return out

    @handle_orch_error
    def key_ls(self, include_cephadm_generated_keys: bool = False) -> Dict[str, Any]:
        """The stored keys' type and size (never the keys); the root CA key is not listed."""
        out: Dict[str, Any] = {}
        for name, (scope, _) in sorted(KEY_SCOPES.items()):
            for target, obj in sorted(self._objects(KEY_PREFIX, name).items()):
                if not include_cephadm_generated_keys and not obj.get("user_made", True):
                    continue
                try:
                    info = tls_objects.key_info(tls_objects.load_private_key(str(obj["pem"])))
                except OrchestratorError as e:
                    info = {"error": str(e)}
                out.setdefault(name, {"scope": scope, "keys": {}})["keys"][target] = info
        return out

    def _deployed_targets(self, entity: str) -> List[str]:
        scope = BINDINGS[entity][0]
        dds = self.core.daemons(daemon_type=entity) if entity != "ingress" else [
            d for d in self.core.daemons() if (d.service_name() or "").startswith("ingress.")]
        if scope == HOST:
            return sorted({d.hostname for d in dds if d.hostname})
        if scope == SERVICE:
            return sorted({d.service_name() for d in dds})
        return [GLOBAL] if dds else []

    @handle_orch_error
    def entity_ls(self) -> Dict[str, Any]:
        """Each entity: its scope, certificate and key names, and where it runs now."""
        return {entity: {"scope": scope, "certificates": list(certs), "keys": list(keys),
                         "targets": self._deployed_targets(entity)}
                for entity, (scope, certs, keys) in sorted(BINDINGS.items())}

    # -- check and reload --------------------------------------------------------------------
    def _check_one(self, c: Stored, threshold: int) -> Optional[Problem]:
        where = f"{c.name}{_where(c.target)}"
        key_name = c.name.replace("_cert", "_key")

        def invalid(error: str, message: str = "") -> Problem:
            return Problem("invalid", message or f"Invalid certificate for {where}: {error}",
                           c, error=error)
        try:
            leaf = tls_objects.load_certificates(c.pem)[0]
        except OrchestratorError as e:
            return invalid(str(e))
        days = tls_objects.remaining_days(leaf)
        if days < 0:
            return Problem("expired", f"Certificate for {where} has expired ({-days} days ago)",
                           c, days)
        if c.name != ROOT_CA_CERT and (c.key is not None or key_name in KEY_SCOPES):
            key = c.key
            if key is None:
                stored = self._objects(KEY_PREFIX, key_name).get(c.target)
                key = str(stored["pem"]) if stored else None
            if not key:
                return invalid("missing key", f"Invalid certificate for {where}: missing key "
                                              f"{key_name}")
            try:
                ok = tls_objects.key_matches(leaf, tls_objects.load_private_key(key))
            except OrchestratorError as e:
                return invalid(str(e))
            if not ok:
                return invalid("the certificate is not valid for the key",
                               f"Invalid certificate for {where}: the certificate is not valid "
                               f"for the key {key_name}")
        if days < threshold:
            return Problem("expiring", f"Certificate for {where} is about to expire: {days} "
                           "days left", c, days)
        return None

    def _problems(self, with_root: bool = True) -> List[Problem]:
        threshold = self._threshold()
        return [p for c in self._stored_certs(True, with_root)
                for p in [self._check_one(c, threshold)] if p]

    @handle_orch_error
    def cert_check(self) -> List[str]:
        """The problems cephadm's periodic check raises CEPHADM_CERT_ERROR/WARNING for."""
        return [p.message for p in self._problems()] or ["All certificates are valid"]

    def raised_checks(self) -> Dict[str, Dict[str, Any]]:
        """cephadm's certificate health checks: ``CEPHADM_CERT_ERROR`` (invalid or expired)
        and ``CEPHADM_CERT_WARNING`` (expiring) for the certificates that need the user:
        every user-made one, and cephadm-signed ones while automated rotation is off (with
        it on, the serve pass renews them). The root CA is not checked, as in cephadm."""
        rotate = self.signed.rotation_enabled()
        problems = [p for p in self._problems(with_root=False)
                    if p.stored.signed_by == "user" or not rotate]
        out: Dict[str, Dict[str, Any]] = {}
        for check, severity, statuses in ((CERT_ERROR, "error", ("invalid", "expired")),
                                          (CERT_WARNING, "warning", ("expiring",))):
            found = [p for p in problems if p.status in statuses]
            if not found:
                continue
            counts = ", ".join(f"{n} {s}" for s in ("invalid", "expired", "expiring")
                               for n in [sum(1 for p in found if p.status == s)] if n)
            out[check] = {"severity": severity, "count": len(found),
                          "summary": f"Detected {len(found)} cephadm certificate(s) issues: "
                                     f"{counts}",
                          "detail": [p.detail() for p in found]}
        return out

    def certificates_step(self) -> Dict[str, List[str]]:
        """The serve pass's certificate step: cephadm-signed pairs issued, renewed, dropped
        (``SignedCerts.renew``), and the daemons given their new one by a redeploy (a
        deploy gets its first one, so a daemon issued one here was running without it)."""
        report, changed = self.signed.renew()
        dds = [d for verb in sorted(changed) for d in changed[verb]]
        if dds:
            self.services.daemon_actions("redeploy", dds, None)
        return report

    def _users(self) -> List[DaemonDescription]:
        """The daemons that use a stored certificate (those ``reload`` redeploys)."""
        dds: Dict[str, DaemonDescription] = {}
        for name, (scope, entity) in CERT_SCOPES.items():
            targets = set(self._objects(CERT_PREFIX, name))
            if not targets or entity not in BINDINGS:
                continue
            for dd in self.core.daemons():
                if dd.daemon_type != entity and not (
                        entity == "ingress" and (dd.service_name() or "").startswith("ingress.")):
                    continue
                if (scope == GLOBAL or (scope == HOST and dd.hostname in targets)
                        or (scope == SERVICE and dd.service_name() in targets)):
                    dds[dd.name()] = dd
        return [dds[k] for k in sorted(dds)]

    @handle_orch_error
    def reload(self) -> str:
        """Re-read the store and redeploy the daemons that use its certificates.

        Redeploy, not reconfig: the daemons read their certificate when they start (cephadm
        too must redeploy RGW for a new one), and the host agent writes a daemon's config
        files when it (re)creates it; a reconfig only records the new settings."""
        self.store.get_setting(CERT_PREFIX + ROOT_CA_CERT)  # a fresh read (pulls on SSH)
        dds = self._users()
        if dds:
            self.services.daemon_actions("redeploy", dds, None)
        return "OK"

    # -- what daemons get --------------------------------------------------------------------
    def _inline_pair(self, service_name: str) -> Optional[Tuple[str, str]]:
        """The certificate and key a spec embeds (``ssl: true``, ``certificate_source:
        inline``): they belong to the spec, and win over the store for its daemons."""
        row = self.store.get_spec(service_name)
        if row is None or row.deleted:
            return None
        tls = row.spec.get("spec") or {}
        if tls.get("ssl") and tls.get("certificate_source") == "inline" and \
                tls.get("ssl_cert") and tls.get("ssl_key"):
            return str(tls["ssl_cert"]), str(tls["ssl_key"])
        return None

    def _user_pair(self, entity: str, service_name: str,
                   hostname: str) -> Optional[Tuple[str, str]]:
        """The spec's inline pair, else the entity's stored pair for this daemon's target."""
        pair = self._inline_pair(service_name)
        if pair is not None or entity not in BINDINGS:
            return pair
        scope, certs, keys = BINDINGS[entity]
        target = {SERVICE: service_name, HOST: hostname}.get(scope, GLOBAL)
        cert = self._objects(CERT_PREFIX, certs[0]).get(target)
        key = self._objects(KEY_PREFIX, keys[0]).get(target)
        return (str(cert["pem"]), str(key["pem"])) if cert and key else None

    def _has_user_pair(self, service_name: str, hostname: str, service_type: str) -> bool:
        return self._user_pair(service_type, service_name, hostname) is not None

    def files_for(self, daemon_type: str, service_name: str, hostname: str) -> Dict[str, str]:
        """The files (name in the daemon's config dir -> PEM) a daemon gets: its spec's
        inline pair, else its entity's stored pair, else - when its service serves TLS
        with ``certificate_source: cephadm-signed`` - the pair cephadm signs for it
        (cephadm hands grafana its ``certs/cert_file``, haproxy its ``haproxy.pem``,
        mgmt-gateway ``nginx.crt``, ...); nothing when the daemon serves no TLS."""
        entity = "ingress" if daemon_type == "haproxy" else daemon_type
        if entity not in BINDINGS or daemon_type not in DAEMON_FILES:
            return {}
        pair = self._user_pair(entity, service_name, hostname)
        if pair is None:
            row = self.store.get_spec(service_name)
            if row is None or row.deleted or not certmgr_signed.wants_signed(entity, row.spec):
                return {}
            pair = self.signed.pair(service_name, hostname, row.spec)
        names = DAEMON_FILES[daemon_type]
        if len(names) == 1:  # one file: the certificate then its key
            return {names[0]: pair[0] + pair[1]}
        return {names[0]: pair[0], names[1]: pair[1]}


def render_plain(data: Any, indent: int = 0) -> str:
    """A nested listing as indented ``key: value`` lines, as Ceph prints cert-store JSON."""
    lines: List[str] = []
    pad = " " * indent
    if isinstance(data, dict):
        for k, v in data.items():
            if isinstance(v, (dict, list)) and v:
                lines.append(f"{pad}{k}:")
                lines.append(render_plain(v, indent + 4))
            else:
                lines.append(f"{pad}{k}: {v if v not in ({}, []) else ''}".rstrip())
    elif isinstance(data, list):
        lines.extend(f"{pad}- {x}" for x in data)
    else:
        lines.append(f"{pad}{data}")
    return "\n".join(lines)


def names_of(kind: str) -> Sequence[str]:
    """The known certificate (``cert``) or key names, for completion and help."""
    return sorted(CERT_SCOPES if kind == "cert" else KEY_SCOPES)
