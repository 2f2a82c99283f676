"""cephadm's own certificates for services that need TLS and were given none.

A service that serves TLS (grafana, mgmt-gateway, oauth2-proxy always; rgw and ingress with
``ssl: true``) and has neither an inline pair in its spec nor a pair in the store gets, per
host it runs on, a certificate signed by the cluster's root CA: cephadm's
``certificate_source: cephadm-signed``, the default. Its names are the host's name, FQDN and
address plus the spec's ``custom_sans`` (and an ingress' virtual IP), as cephadm's
``get_self_signed_certificates`` gives them; it is listed as
``cephadm-signed_<service>_cert`` with the host as target (host scope, as in cephadm).

They live in one setting (``backend/certmgr/signed``: ``{service: {host: {"cert", "key",
"names"}}}``). A deploy (the SSH driver's, and the local one's) asks for the pair while hosts
work in parallel, so a missing one is issued in memory (``pair``) and written by the commit
hook (``flush``) inside the transaction that records the batch: the daemon and the store
agree. The serve pass's step (``renew``, run by ``CertMgr.certificates_step``) issues those a
running daemon lacks, renews those within ``certificate_renewal_threshold_days`` when
``certificate_automated_rotation_enabled`` is on (cephadm's module options, backend settings
here), forgets those whose daemon is gone, and names the daemons whose pair changed.
"""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple

from ceph_orch_cli.cluster import certificates, tls_objects
from ceph_orch_cli.orchestrator import DaemonDescription
from ceph_orch_cli.orchestrator.errors import OrchestratorError

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.cluster.core import EngineCore

SIGNED_SETTING = "backend/certmgr/signed"
SIGNED_PREFIX = "cephadm-signed_"
#: cephadm module options (backend settings of these names) and their defaults
ROTATION_SETTING = "certificate_automated_rotation_enabled"
DURATION_SETTING = "certificate_duration_days"
DEFAULT_DURATION_DAYS = 3 * 365
#: service types whose daemons serve TLS unless their spec turns it off, and those that do
#: only with ``ssl: true``; the daemon type that takes the certificate, per service type
TLS_BY_DEFAULT = ("grafana", "mgmt-gateway", "oauth2-proxy")
TLS_WITH_SSL = ("rgw", "ingress")
CONSUMER = {"ingress": "haproxy"}

Pair = Tuple[str, str]


def cert_name(service_name: str) -> str:
    return f"{SIGNED_PREFIX}{service_name}_cert"


def key_name(service_name: str) -> str:
    return f"{SIGNED_PREFIX}{service_name}_key"


def service_of(name: str) -> Optional[str]:
    """The service a ``cephadm-signed_<service>_cert``/``_key`` name is for, else None."""
    for suffix in ("_cert", "_key"):
        if name.startswith(SIGNED_PREFIX) and name.endswith(suffix):
            return name[len(SIGNED_PREFIX):-len(suffix)] or None
    return None


def wants_signed(service_type: str, spec_json: Dict[str, Any]) -> bool:
    """Whether a service of this type and spec (its stored JSON) serves TLS with a
    certificate cephadm signs: the source is ``cephadm-signed`` (the default)."""
    tls = spec_json.get("spec") or {}
    if (tls.get("certificate_source") or "cephadm-signed") != "cephadm-signed":
        return False
    if service_type == "grafana":
        return tls.get("protocol", "https") == "https"
    if service_type in TLS_BY_DEFAULT:
        return not tls.get("disable_https") and tls.get("ssl", True) is not False
    return service_type in TLS_WITH_SSL and bool(tls.get("ssl"))


class SignedCerts:
    """The cephadm-signed pairs (module docstring); ``user_pair(service, host, type)`` says
    whether the spec or the store gives that daemon a pair of the user's instead."""

    def __init__(self, core: "EngineCore", user_pair: Callable[[str, str, str], bool]) -> None:
        self.core = core
        self.user_pair = user_pair
        self.store = core.store
        self._pending: Dict[Tuple[str, str], Dict[str, Any]] = {}
        self._lock = threading.Lock()

    # -- settings ----------------------------------------------------------------------------
    def rotation_enabled(self) -> bool:
        return bool(self.core.get_backend_setting(ROTATION_SETTING, True))

    def _duration(self) -> int:
        return int(self.core.get_backend_setting(DURATION_SETTING, DEFAULT_DURATION_DAYS))

    def _threshold(self) -> int:
        from ceph_orch_cli.cluster.certmgr import THRESHOLD_SETTING
        return int(self.core.get_backend_setting(THRESHOLD_SETTING,
                                                 tls_objects.DEFAULT_THRESHOLD_DAYS))

    def stored(self) -> Dict[str, Dict[str, Dict[str, Any]]]:
        """``{service: {host: {"cert", "key", "names"}}}`` as stored."""
        return {s: dict(h) for s, h in (self.store.get_setting(SIGNED_SETTING) or {}).items()}

    # -- names -------------------------------------------------------------------------------
    def names_for(self, hostname: str, spec_json: Dict[str, Any]) -> List[str]:
        """The host's name, FQDN and address, then the spec's ``custom_sans`` (and an
        ingress' virtual IP): what the certificate is valid for."""
        names = [hostname]
        facts = (self.store.get_facts(hostname).get(hostname) or ({}, {}, ""))[0]
        if facts.get("fqdn"):
            names.append(str(facts["fqdn"]))
        host = self.core.maybe_host(hostname)
        if host is not None and host.addr:
            names.append(host.addr)
        tls = spec_json.get("spec") or {}
        names.extend(str(n) for n in tls.get("custom_sans") or [])
        if tls.get("virtual_ip"):
            names.append(str(tls["virtual_ip"]).split("/", 1)[0])
        return list(dict.fromkeys(n for n in names if n))

    def _issue(self, names: Sequence[str]) -> Dict[str, Any]:
        cert, key = certificates.issue(self.store, self.core.fsid(), names[0], names,
                                       days=self._duration())
        return {"cert": cert, "key": key, "names": list(names)}

    # -- what a deploy gets --------------------------------------------------------------------
    def pair(self, service_name: str, hostname: str, spec_json: Dict[str, Any]) -> Pair:
        """The daemon's pair: the stored one while its names still fit, else a new one kept
        in memory until ``flush`` writes it (deploys of several hosts run at once)."""
        names = self.names_for(hostname, spec_json)
        with self._lock:
            current = self._pending.get((service_name, hostname)) or \
                self.stored().get(service_name, {}).get(hostname)
            if not current or current.get("names") != names:
                current = self._issue(names)
                self._pending[(service_name, hostname)] = current
        return str(current["cert"]), str(current["key"])

    def flush(self) -> None:
        """Commit hook: write the pairs deploys were given (inside the batch's transaction)."""
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return

        def add(signed: Dict[str, Dict[str, Any]]) -> None:
            for (service, host), value in pending.items():
                signed.setdefault(service, {})[host] = value
        self._write(add)

    def _write(self, change: Callable[[Dict[str, Dict[str, Any]]], None]) -> None:
        with self.store.transaction():
            signed = self.stored()
            change(signed)
            self.store.set_setting(SIGNED_SETTING, {s: h for s, h in signed.items() if h}
                                   or None)

    # -- the serve pass ------------------------------------------------------------------------
    def _users(self) -> Dict[Tuple[str, str], Tuple[List[DaemonDescription], Dict[str, Any]]]:
        """(service, host) -> (its TLS daemons there, the spec) for every daemon that should
        have a cephadm-signed pair now."""
        out: Dict[Tuple[str, str], Tuple[List[DaemonDescription], Dict[str, Any]]] = {}
        specs = {r.service_name: r for r in self.store.get_specs() if not r.deleted}
        for dd in self.core.daemons():
            row = specs.get(dd.service_name() or "")
            if row is None or not dd.hostname or \
                    dd.daemon_type != CONSUMER.get(row.service_type, row.service_type):
                continue
            if wants_signed(row.service_type, row.spec) and not self.user_pair(
                    row.service_name, dd.hostname, row.service_type):
                entry = out.setdefault((row.service_name, dd.hostname), ([], row.spec))
                entry[0].append(dd)
        return out

    def renew(self) -> Tuple[Dict[str, List[str]], Dict[str, List[DaemonDescription]]]:
        """Issue the missing pairs, renew the expiring ones (rotation on), forget those of
        daemons that are gone: what was done, and per verb (``issued``, ``renewed``) the
        daemons whose pair changed (they read their certificate when they start)."""
        users = self._users()
        stored = self.stored()
        threshold, rotate = self._threshold(), self.rotation_enabled()
        changed: Dict[Tuple[str, str], str] = {}
        for (service, host), (_, spec) in sorted(users.items()):
            current = stored.get(service, {}).get(host)
            names = self.names_for(host, spec)
            if not current or current.get("names") != names:
                changed[(service, host)] = "issued"
            elif rotate and self._days_left(current) < threshold:
                changed[(service, host)] = "renewed"
        gone = [(s, h) for s, hosts in stored.items() for h in hosts if (s, h) not in users]
        if not changed and not gone:
            return {}, {}
        fresh = {k: self._issue(self.names_for(k[1], users[k][1])) for k in changed}

        def apply(signed: Dict[str, Dict[str, Any]]) -> None:
            for s, h in gone:
                signed.get(s, {}).pop(h, None)
            for (s, h), value in fresh.items():
                signed.setdefault(s, {})[h] = value
        self._write(apply)
        report: Dict[str, List[str]] = {}
        for (service, host), verb in sorted(changed.items()):
            self.core.host_events(users[(service, host)][0],
                                  f"{verb.capitalize()} the cephadm-signed certificate of "
                                  f"{service} on host '{host}'")
            report.setdefault(verb, []).append(f"{service}@{host}")
        if gone:
            report["removed"] = sorted(f"{s}@{h}" for s, h in gone)
        daemons: Dict[str, List[DaemonDescription]] = {}
        for key, verb in changed.items():
            daemons.setdefault(verb, []).extend(users[key][0])
        return report, daemons

    @staticmethod
    def _days_left(entry: Dict[str, Any]) -> int:
        try:
            return tls_objects.remaining_days(tls_objects.load_certificates(entry["cert"])[0])
        except (OrchestratorError, KeyError):
            return -1
