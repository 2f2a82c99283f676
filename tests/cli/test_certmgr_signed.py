"""cephadm-signed certificates on the local backend: every daemon that serves TLS without a
certificate of the user's gets one signed by the root CA when it is deployed; the serve pass
renews it before it expires (``certificate_automated_rotation_enabled``) and forgets it with
its daemon; and the certificates that need the user raise CEPHADM_CERT_WARNING /
CEPHADM_CERT_ERROR in `orch status`."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

import yaml
from cli_helpers import Orch, assert_clean_failure
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from test_certmgr import _cert, _key_pem, _pem, leaf

from ceph_orch_cli.backends import load_backend


def _setting(state_dir: Path, key: str, value: Any) -> None:
    """A cephadm module option (``ceph config set mgr mgr/cephadm/<key>``): a backend
    setting, which no `orch` command sets."""
    backend = load_backend('local', state_dir)
    backend.set_backend_setting(key, value)
    backend.close()


def _signed(orch: Orch) -> Dict[str, Dict[str, Any]]:
    listing = json.loads(orch('certmgr', 'cert', 'ls', '--include-cephadm-signed',
                              '--show-details', '--format', 'json').stdout)
    return {name: entry['certificates'] for name, entry in listing.items()
            if name.startswith('cephadm-signed_')}


def _serve(orch: Orch) -> Dict[str, Any]:
    result = orch('serve', '--once')
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else {}


def _events(orch: Orch, dtype: str) -> List[str]:
    return [e for d in json.loads(orch('ps', '--daemon-type', dtype, '--format',
                                       'json').stdout) for e in d.get('events', [])]


def _apply_secure_rgw(orch: Orch, tmp_path: Path) -> None:
    (tmp_path / 'rgw.yaml').write_text(yaml.safe_dump({
        'service_type': 'rgw', 'service_id': 'secure', 'placement': {'hosts': ['host4']},
        'spec': {'ssl': True, 'custom_sans': ['s3.example.com']}}))
    assert orch('apply', '-i', str(tmp_path / 'rgw.yaml')).exit_code == 0


def test_a_deploy_signs_a_certificate_for_each_tls_daemon(orch: Orch, demo: object,
                                                          tmp_path: Path) -> None:
    _apply_secure_rgw(orch, tmp_path)
    signed = _signed(orch)
    # grafana serves https by default; the demo's plain rgw.myrgw gets nothing
    assert sorted(signed) == ['cephadm-signed_grafana_cert', 'cephadm-signed_rgw.secure_cert']
    rgw = signed['cephadm-signed_rgw.secure_cert']['host4']
    assert rgw['signed_by'] == 'cephadm' and rgw['issuer']['commonName'] == 'cephadm-root'
    assert rgw['validity']['remaining_days'] == 3 * 365 - 1
    assert rgw['extensions']['subjectAltName'] == {
        'DNSNames': ['host4', 's3.example.com'], 'IPAddresses': ['10.0.0.14']}
    # verifiably signed by the root CA `cert get cephadm_root_ca_cert` prints
    root = x509.load_pem_x509_certificate(
        orch('certmgr', 'cert', 'get', 'cephadm_root_ca_cert').stdout.encode())
    leaf = x509.load_pem_x509_certificate(orch(
        'certmgr', 'cert', 'get', 'cephadm-signed_rgw.secure_cert', '--hostname',
        'host4').stdout.encode())
    leaf.verify_directly_issued_by(root)
    # hidden unless asked for; the key is not listed either
    assert 'cephadm-signed_grafana_cert' not in orch('certmgr', 'cert', 'ls').stdout
    assert 'cephadm-signed' not in orch('certmgr', 'key', 'ls').stdout
    assert _serve(orch) == {}  # issued with the deploy: nothing left for the serve pass


def test_the_serve_pass_issues_one_a_running_daemon_lacks(orch: Orch, demo: object,
                                                          state_dir: Path) -> None:
    from ceph_orch_cli.cluster import certmgr_signed

    backend = load_backend('local', state_dir)  # as a store written before signing existed
    backend.store.set_setting(certmgr_signed.SIGNED_SETTING, None)
    backend.close()
    assert _serve(orch)['certificates_step'] == {'issued': ['grafana@host6']}
    assert 'host6' in _signed(orch)['cephadm-signed_grafana_cert']
    events = _events(orch, 'grafana')
    assert any('Issued the cephadm-signed certificate of grafana' in e for e in events)
    assert any('redeploy grafana.host6' in e for e in events), events


def test_an_http_grafana_needs_none(orch: Orch, demo: object,
                                                          tmp_path: Path) -> None:
    (tmp_path / 'grafana.yaml').write_text(yaml.safe_dump({
        'service_type': 'grafana', 'placement': {'hosts': ['host6']},
        'spec': {'protocol': 'http'}}))
    assert orch('apply', '-i', str(tmp_path / 'grafana.yaml')).exit_code == 0
    # the demo's https grafana had one: it goes with the next pass
    assert _serve(orch)['certificates_step'] == {'removed': ['grafana@host6']}
    assert _signed(orch) == {}


def test_cephadm_signed_objects_are_not_editable(orch: Orch, demo: object) -> None:
    assert_clean_failure(orch('certmgr', 'cert', 'rm', 'cephadm-signed_grafana_cert',
                              '--hostname', 'host6'), 1,
                         'cephadm-signed_grafana_cert is not editable: cephadm signs and '
                         'renews it')
    assert_clean_failure(orch('certmgr', 'cert', 'get', 'cephadm-signed_grafana_cert'), 22,
                         'cephadm-signed_grafana_cert is host scoped: need host name')
    assert 'host6' in _signed(orch)['cephadm-signed_grafana_cert']


def test_expiring_certificates_are_renewed_with_rotation_and_warned_about_without(
        orch: Orch, demo: object, state_dir: Path, tmp_path: Path) -> None:
    # certificates shorter-lived than the renewal threshold (30 days) expire "soon" at once
    _setting(state_dir, 'certificate_duration_days', 20)
    _apply_secure_rgw(orch, tmp_path)
    first = _signed(orch)['cephadm-signed_rgw.secure_cert']['host4']
    assert first['status'] == 'expiring'
    assert 'health_checks' not in json.loads(orch('status', '--format', 'json').stdout)

    assert _serve(orch)['certificates_step'] == {'renewed': ['rgw.secure@host4']}
    second = _signed(orch)['cephadm-signed_rgw.secure_cert']['host4']
    assert second['serial_number'] != first['serial_number']
    events = _events(orch, 'rgw')
    assert any('Renewed the cephadm-signed certificate of rgw.secure' in e for e in events)
    assert any('redeploy rgw.secure.host4' in e for e in events), events

    _setting(state_dir, 'certificate_automated_rotation_enabled', False)
    assert 'certificates_step' not in _serve(orch)
    assert _signed(orch)['cephadm-signed_rgw.secure_cert']['host4']['serial_number'] == \
        second['serial_number']
    status = json.loads(orch('status', '--format', 'json').stdout)
    assert status['health_checks'] == {'CEPHADM_CERT_WARNING': {
        'severity': 'warning', 'count': 1,
        'summary': 'Detected 1 cephadm certificate(s) issues: 1 expiring',
        'detail': ["Certificate 'cephadm-signed_rgw.secure_cert (host4)' (cephadm-signed) is "
                   f"about to expire (remaining days: {second['validity']['remaining_days']})"]}}
    plain = orch('status').stdout
    assert ('Health: HEALTH_WARN\n[WRN] CEPHADM_CERT_WARNING: Detected 1 cephadm '
            'certificate(s) issues: 1 expiring\n    Certificate ') in plain


def test_a_users_expired_certificate_raises_the_error_check(orch: Orch, demo: object,
                                                           state_dir: Path) -> None:
    from ceph_orch_cli.cluster import certmgr

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'old')])
    old = _pem(_cert('old', key, (name, key), days=-2, start=-30))
    # as `cert-key set --force` stores it in cephadm's debug mode
    backend = load_backend('local', state_dir)
    backend.store.set_setting(f'{certmgr.CERT_PREFIX}rgw_ssl_cert',
                              {'rgw.myrgw': {'pem': old, 'user_made': True}})
    backend.store.set_setting(f'{certmgr.KEY_PREFIX}rgw_ssl_key',
                              {'rgw.myrgw': {'pem': _key_pem(key), 'user_made': True}})
    backend.close()
    checks = json.loads(orch('status', '--format', 'json').stdout)['health_checks']
    assert checks == {'CEPHADM_CERT_ERROR': {
        'severity': 'error', 'count': 1,
        'summary': 'Detected 1 cephadm certificate(s) issues: 1 expired',
        'detail': ["Certificate 'rgw_ssl_cert (rgw.myrgw)' (user-made) has expired"]}}
    assert ('Health: HEALTH_ERR\n[ERR] CEPHADM_CERT_ERROR: Detected 1 cephadm certificate(s) '
            "issues: 1 expired\n    Certificate 'rgw_ssl_cert (rgw.myrgw)' (user-made) has "
            'expired') in orch('status').stdout
    # rotation does not touch a user's certificate: it stays, and so does the error
    _serve(orch)
    assert 'CEPHADM_CERT_ERROR' in json.loads(orch('status', '--format', 'json').stdout)[
        'health_checks']
    assert orch('certmgr', 'cert', 'rm', 'rgw_ssl_cert', '--service-name',
                'rgw.myrgw').exit_code == 0
    assert 'health_checks' not in json.loads(orch('status', '--format', 'json').stdout)


def test_a_removed_daemons_certificate_is_forgotten(orch: Orch, demo: object) -> None:
    assert 'cephadm-signed_grafana_cert' in _signed(orch)
    assert orch('rm', 'grafana').exit_code == 0
    assert _serve(orch).get('certificates_step') == {'removed': ['grafana@host6']}
    assert _signed(orch) == {}


def test_grafana_takes_an_inline_pair_which_wins_over_signing(orch: Orch, demo: object,
                                                             tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'inline CA')])
    ca = (name, key, _pem(_cert('inline CA', key, (name, key), 3650, ca=True)))
    _, cert, pkey = leaf(ca, tmp_path, 'graf')
    spec = {'service_type': 'grafana', 'placement': {'hosts': ['host6']},
            'spec': {'ssl_cert': cert, 'ssl_key': pkey}}
    (tmp_path / 'bad.yaml').write_text(yaml.safe_dump(
        {**spec, 'spec': {'ssl_cert': cert}}))
    assert_clean_failure(orch('apply', '-i', str(tmp_path / 'bad.yaml')), 22,
                         'Inline TLS credentials detected but incomplete: both ssl_cert and '
                         'ssl_key must be provided.')
    (tmp_path / 'grafana.yaml').write_text(yaml.safe_dump(spec))
    assert orch('apply', '-i', str(tmp_path / 'grafana.yaml')).exit_code == 0
    exported = yaml.safe_load(orch('ls', 'grafana', '--export').stdout)['spec']
    assert exported['certificate_source'] == 'inline' and exported['ssl_cert'] == cert
    assert _serve(orch)['certificates_step'] == {'removed': ['grafana@host6']}
    assert _signed(orch) == {}
    listed = json.loads(orch('certmgr', 'cert', 'ls', '--format', 'json').stdout)
    assert listed['grafana_ssl_cert']['certificates']['host6']['signed_by'] == 'user'


def test_status_reads_the_certificates_health_without_minting_a_root_ca(
        orch: Orch, state_dir: Path) -> None:
    from ceph_orch_cli.cluster import certificates

    assert orch('status').exit_code == 0
    backend = load_backend('local', state_dir)
    try:
        assert backend.store.get_setting(certificates.ROOT_CA_KEY) is None
    finally:
        backend.close()
