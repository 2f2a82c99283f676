"""Access to the monitoring stack: credentials, scrape targets, custom alerts, certificates.

cephadm keeps the Prometheus and Alertmanager basic-auth credentials in the mgr store and
hands them out with the root CA certificate (``orch prometheus get-credentials``), keeps the
multi-cluster scrape targets in the prometheus spec (``targets``), stores a custom alerts file
and reconfigures the Prometheus daemons to pick it up. ``MonitoringAccess`` does the same over the
engine's store and converge.

Secrets: a password is stored, returned only by ``get_*_access_info`` (whose job is to return
it), and never put in an event, a log line or an error message. Unlike cephadm, whose default
credentials are ``admin``/``admin``, an unset password is generated with ``secrets`` the first
time it is needed (the user stays ``admin``).

With ``secure_monitoring_stack`` on (backend setting of that name), the daemons that embed
credentials are reconfigured when they change, as cephadm's dependency tracking does:
Prometheus and Grafana for Prometheus's, Alertmanager and Prometheus for Alertmanager's.
"""
from __future__ import annotations

import errno
import re
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from ceph_orch_cli.cluster import certificates
from ceph_orch_cli.orchestrator import DaemonDescription, handle_orch_error, raise_if_exception
from ceph_orch_cli.orchestrator.errors import OrchestratorError

#: backend settings (under the store's ``backend/`` prefix)
PROMETHEUS_CREDENTIALS = "monitoring/prometheus/credentials"
ALERTMANAGER_CREDENTIALS = "monitoring/alertmanager/credentials"
CUSTOM_ALERTS = "monitoring/prometheus/custom_alerts"
SECURE_MONITORING_STACK = "secure_monitoring_stack"
DEFAULT_USER = "admin"
#: mgr modules that may ask for a certificate signed by the root CA (cephadm's list)
CERT_MODULES = ("dashboard", "prometheus")
#: daemon types reconfigured when a service's credentials change (secure stack only)
_CREDENTIAL_DEPENDENTS = {"prometheus": ("prometheus", "grafana"),
                          "alertmanager": ("alertmanager", "prometheus")}

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.cluster.core import EngineCore
    from ceph_orch_cli.cluster.services import Services


class MonitoringAccess:
    """Monitoring credentials, targets, alerts and certificates; ``services`` reconfigures
    and redeploys the daemons that embed them and applies the changed prometheus spec."""

    def __init__(self, core: "EngineCore", services: "Services") -> None:
        self.core = core
        self.store = core.store
        self.cluster = core.cluster
        self.services = services

    # -- credentials ------------------------------------------------------------------------
    def _credentials(self, key: str) -> Tuple[str, str]:
        """(user, password); a random password is created and stored on first use."""
        import secrets  # lazily: it starts OpenSSL (hmac -> hashlib), ~3.5 ms per command
        value = self.store.setting_default(
            f"backend/{key}",
            lambda: {"user": DEFAULT_USER, "password": secrets.token_urlsafe(18)})
        return str(value["user"]), str(value["password"])

    def _set_credentials(self, service: str, key: str, user: str, password: str) -> None:
        if not user or not password:
            raise OrchestratorError("Invalid arguments. Please provide arguments <username> "
                                    "<password> or -i <credentials_json_file>")
        self.core.set_backend_setting(key, {"user": str(user), "password": str(password)})
        if self.core.get_backend_setting(SECURE_MONITORING_STACK, False):
            self._reconfigure(_CREDENTIAL_DEPENDENTS[service])

    def _reconfigure(self, daemon_types: Sequence[str]) -> List[str]:
        """Reconfigure every daemon of these types (each gets an event, as any reconfig)."""
        dds: List[DaemonDescription] = []
        for dtype in daemon_types:
            dds.extend(self.core.daemons(daemon_type=dtype))
        return self.services.daemon_actions("reconfig", dds, None) if dds else []

    def _access_info(self, key: str) -> Dict[str, str]:
        user, password = self._credentials(key)
        return {"user": user, "password": password,
                "certificate": certificates.root_cert(self.store, self.cluster.fsid())}

    @handle_orch_error
    def get_prometheus_access_info(self) -> Dict[str, str]:
        return self._access_info(PROMETHEUS_CREDENTIALS)

    @handle_orch_error
    def get_alertmanager_access_info(self) -> Dict[str, str]:
        return self._access_info(ALERTMANAGER_CREDENTIALS)

    @handle_orch_error
    def set_prometheus_access_info(self, user: str, password: str) -> str:
        self._set_credentials("prometheus", PROMETHEUS_CREDENTIALS, user, password)
        return "prometheus credentials updated correctly"

    @handle_orch_error
    def set_alertmanager_access_info(self, user: str, password: str) -> str:
        self._set_credentials("alertmanager", ALERTMANAGER_CREDENTIALS, user, password)
        return "alertmanager credentials updated correctly"

    # -- custom alerts and targets ----------------------------------------------------------
    def custom_prometheus_alerts(self) -> Optional[str]:
        """The custom alerts file Prometheus daemons are configured with (None: none set)."""
        value = self.core.get_backend_setting(CUSTOM_ALERTS)
        return None if value is None else str(value)

    @handle_orch_error
    def set_custom_prometheus_alerts(self, alerts_file: str) -> str:
        if not alerts_file or not alerts_file.strip():
            raise OrchestratorError("The custom alerts file is empty", errno=-errno.EINVAL)
        self.core.set_backend_setting(CUSTOM_ALERTS, alerts_file)
        self._reconfigure(["prometheus"])
        return "Updated alerts file and scheduled reconfig of prometheus daemons"

    def _prometheus_spec(self) -> Any:
        row = self.store.get_spec("prometheus")
        if row is None or row.deleted:
            raise OrchestratorError("Service prometheus not found", errno=-errno.ENOENT)
        return self.core.spec_from_json(row.spec)

    def _change_targets(self, url: str, add: bool) -> str:
        if not url or not url.strip():
            raise OrchestratorError("A target URL is required", errno=-errno.EINVAL)
        if add:
            check_target_url(url)
        spec = self._prometheus_spec()
        targets: List[str] = list(getattr(spec, "targets", None) or [])
        if add and url in targets:
            return f"Target '{url}' already exists.\n"
        if not add and url not in targets:
            return f"Target '{url}' does not exist.\n"
        spec.targets = targets + [url] if add else [t for t in targets if t != url]
        raise_if_exception(self.services.apply([spec], no_overwrite=False))
        dds = self.core.daemons(daemon_type="prometheus")
        if dds:
            self.services.daemon_actions("redeploy", dds, None)
        return "prometheus multi-cluster targets updated"

    @handle_orch_error
    def set_prometheus_target(self, url: str) -> str:
        return self._change_targets(url, add=True)

    @handle_orch_error
    def remove_prometheus_target(self, url: str) -> str:
        return self._change_targets(url, add=False)

    # -- certificates -----------------------------------------------------------------------
    @handle_orch_error
    def service_discovery_dump_cert(self) -> str:
        # cephadm creates its root CA when the mgr's HTTP server starts; here on first use
        return certificates.root_cert(self.store, self.cluster.fsid())

    def _hosts_and_addrs(self, hostnames: Sequence[str]) -> List[str]:
        out: List[str] = []
        for name in hostnames:
            host = self.core.maybe_host(name)
            out.append(name)
            if host is not None and host.addr:
                out.append(host.addr)
        return out

    @handle_orch_error
    def get_prometheus_cert(self, url: str) -> str:
        """One certificate serves every Prometheus daemon (its names are all their hosts), so
        ``url`` (kept for the interface) does not choose between certificates."""
        hosts = sorted({d.hostname for d in self.core.daemons(daemon_type="prometheus")
                        if d.hostname})
        if not hosts:
            raise OrchestratorError("No prometheus daemon is deployed, so there is no "
                                    "prometheus certificate", errno=-errno.ENOENT)
        cert = certificates.issued(self.store, self.cluster.fsid(), "prometheus", "prometheus",
                                   self._hosts_and_addrs(hosts))
        return cert["cert"]

    @handle_orch_error
    def generate_certificates(self, module_name: str) -> Optional[Dict[str, str]]:
        if module_name not in CERT_MODULES:
            raise OrchestratorError(f"Unsupported module {module_name}. Supported modules "
                                    f"are: {list(CERT_MODULES)}")
        mgr_hosts = sorted({d.hostname for d in self.core.daemons(daemon_type="mgr") if d.hostname})
        if not mgr_hosts:
            raise OrchestratorError("No mgr daemon is deployed: there is no host to issue a "
                                    f"{module_name} certificate for", errno=-errno.ENOENT)
        cert, key = certificates.issue(self.store, self.cluster.fsid(), module_name,
                                       self._hosts_and_addrs(mgr_hosts))
        return {"cert": cert, "key": key}

    @handle_orch_error
    def get_security_config(self) -> Dict[str, bool]:
        def deployed(name: str) -> bool:
            row = self.store.get_spec(name)
            return row is not None and not row.deleted
        return {"security_enabled": bool(self.core.get_backend_setting(SECURE_MONITORING_STACK,
                                                                  False)),
                "mgmt_gateway_enabled": deployed("mgmt-gateway"),
                "oauth2_proxy_enabled": deployed("oauth2-proxy")}


#: a scrape target: [http(s)://]host:port[/path], as Prometheus' static_configs take it
_TARGET_RE = re.compile(r"^(?:https?://)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})(/\S*)?$")


def check_target_url(url: str) -> None:
    """Refuse a target Prometheus could not scrape (``host:port``, optionally a scheme)."""
    from ipaddress import ip_address
    m = _TARGET_RE.match(url)
    ok = m is not None and 1 <= int(m.group(2)) <= 65535
    if ok and m is not None and m.group(1).startswith("["):
        try:
            ip_address(m.group(1)[1:-1])
        except ValueError:
            ok = False
    if not ok:
        shown = url if len(url) <= 64 else url[:64] + f"... ({len(url)} chars)"
        raise OrchestratorError(f"Invalid target URL {shown!r}: expected "
                                "[http(s)://]host:port, e.g. 10.0.0.5:9095", errno=-errno.EINVAL)
