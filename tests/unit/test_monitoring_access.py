"""Monitoring access on the local backend: Prometheus/Alertmanager credentials (generated,
stored, never in events), multi-cluster scrape targets, custom alerts, and the root CA that
signs the monitoring certificates (`orch prometheus ...`, `orch sd dump cert`)."""
from __future__ import annotations

import errno

import pytest
from cryptography import x509
from workflow_cluster import applied_cluster, daemons, events_of, ok, open_orch, write_fleet

from ceph_orch_cli.cluster.monitoring_access import SECURE_MONITORING_STACK
from ceph_orch_cli.orchestrator.errors import OrchestratorError

MONITORING = """service_type: prometheus
placement: {count: 1}
---
service_type: grafana
placement: {count: 1}
---
service_type: alertmanager
placement: {count: 1}
"""


@pytest.fixture
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("ORCH_FLEET", str(write_fleet(tmp_path / "fleet.json")))
    return tmp_path / "state"


@pytest.fixture
def orch(state):
    return applied_cluster(state, MONITORING)


def error_of(call):
    with pytest.raises(OrchestratorError) as e:
        ok(call)
    return e.value


def all_event_text(orch):
    return " ".join(e.message for evs in orch.store.get_events().values() for e in evs)


def test_credentials_default_to_admin_with_a_generated_password_that_is_kept(orch, state):
    info = ok(orch.get_prometheus_access_info())
    assert info["user"] == "admin"
    assert info["password"] and info["password"] != "admin" and len(info["password"]) >= 16
    # another process sees the same password: it was stored, not made up per call
    assert ok(open_orch(state).get_prometheus_access_info())["password"] == info["password"]
    # each service has its own credentials
    assert ok(orch.get_alertmanager_access_info())["password"] != info["password"]


def test_set_credentials_replaces_them_with_cephs_message(orch):
    assert ok(orch.set_prometheus_access_info("prom", "s3cret-P")) == \
        "prometheus credentials updated correctly"
    assert ok(orch.set_alertmanager_access_info("am", "s3cret-A")) == \
        "alertmanager credentials updated correctly"
    assert {k: v for k, v in ok(orch.get_prometheus_access_info()).items()
            if k != "certificate"} == {"user": "prom", "password": "s3cret-P"}
    assert ok(orch.get_alertmanager_access_info())["user"] == "am"


def test_empty_user_or_password_is_refused_without_echoing_the_secret(orch):
    e = error_of(orch.set_prometheus_access_info("", "hunter2-secret"))
    assert "hunter2-secret" not in str(e)
    assert "<username> <password>" in str(e)


def test_with_a_secure_stack_the_daemons_using_the_credentials_are_reconfigured(orch):
    orch.set_backend_setting(SECURE_MONITORING_STACK, True)
    ok(orch.set_prometheus_access_info("prom", "very-secret-password"))
    for name in list(daemons(orch, daemon_type="prometheus")) + \
            list(daemons(orch, daemon_type="grafana")):
        assert any(m.startswith(f"reconfig {name}") for m in events_of(orch, name))
    assert "very-secret-password" not in all_event_text(orch)


def test_the_certificate_is_the_root_ca_that_sd_dump_cert_prints(orch):
    pem = ok(orch.get_prometheus_access_info())["certificate"]
    assert pem == ok(orch.service_discovery_dump_cert())
    assert pem == ok(orch.get_alertmanager_access_info())["certificate"]
    ca = x509.load_pem_x509_certificate(pem.encode())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_prometheus_and_module_certificates_are_signed_by_the_root_ca(orch):
    ca = x509.load_pem_x509_certificate(ok(orch.service_discovery_dump_cert()).encode())
    prom = x509.load_pem_x509_certificate(ok(orch.get_prometheus_cert("")).encode())
    prom.verify_directly_issued_by(ca)
    names = prom.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    prom_host = next(iter(daemons(orch, daemon_type="prometheus").values())).hostname
    assert prom_host in names.get_values_for_type(x509.DNSName)
    issued = ok(orch.generate_certificates("dashboard"))
    x509.load_pem_x509_certificate(issued["cert"].encode()).verify_directly_issued_by(ca)
    assert "PRIVATE KEY" in issued["key"]
    assert "Unsupported module rgw" in str(error_of(orch.generate_certificates("rgw")))


def test_targets_are_added_once_kept_in_the_spec_and_redeploy_prometheus(orch):
    assert ok(orch.set_prometheus_target("10.9.0.1:9095")) == \
        "prometheus multi-cluster targets updated"
    assert ok(orch.set_prometheus_target("10.9.0.1:9095")) == \
        "Target '10.9.0.1:9095' already exists.\n"
    spec = orch._spec_from_json(orch.store.get_spec("prometheus").spec)
    assert spec.targets == ["10.9.0.1:9095"]
    name = next(iter(daemons(orch, daemon_type="prometheus")))
    assert any(m.startswith(f"redeploy {name}") for m in events_of(orch, name))
    assert ok(orch.remove_prometheus_target("10.9.0.1:9095")) == \
        "prometheus multi-cluster targets updated"
    assert ok(orch.remove_prometheus_target("10.9.0.1:9095")) == \
        "Target '10.9.0.1:9095' does not exist.\n"
    assert orch._spec_from_json(orch.store.get_spec("prometheus").spec).targets == []


def test_targets_need_a_prometheus_service(state):
    orch = applied_cluster(state)
    e = error_of(orch.set_prometheus_target("10.9.0.1:9095"))
    assert str(e) == "Service prometheus not found" and e.errno == -errno.ENOENT


def test_custom_alerts_are_stored_and_prometheus_is_reconfigured(orch, state):
    alerts = "groups:\n- name: custom\n  rules: []\n"
    assert ok(orch.set_custom_prometheus_alerts(alerts)) == \
        "Updated alerts file and scheduled reconfig of prometheus daemons"
    assert open_orch(state).custom_prometheus_alerts() == alerts
    name = next(iter(daemons(orch, daemon_type="prometheus")))
    assert any(m.startswith(f"reconfig {name}") for m in events_of(orch, name))


def test_security_config_reports_the_secure_stack_and_gateways(orch):
    assert ok(orch.get_security_config()) == {"security_enabled": False,
                                              "mgmt_gateway_enabled": False,
                                              "oauth2_proxy_enabled": False}
    orch.set_backend_setting(SECURE_MONITORING_STACK, True)
    assert ok(orch.get_security_config())["security_enabled"] is True
