"""`orch certmgr ...` and `orch cert-store ...` on the local backend: certificates and keys per
scope (service, host, global), their validation, listings in each format, `cert check`'s
report, `entity ls`, and `reload` redeploying the daemons that use a stored pair."""
from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import List, Tuple

import pytest
import yaml
from cli_helpers import Orch, assert_clean_failure
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def _key_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _cert(cn: str, key: rsa.RSAPrivateKey, issuer: Tuple[x509.Name, rsa.RSAPrivateKey],
          days: int, start: int = -1, ca: bool = False) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(issuer[0]).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + datetime.timedelta(days=start))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(f'{cn}.test')]),
                           critical=False)
            .sign(issuer[1], hashes.SHA256()))


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture(scope='module')
def ca() -> Tuple[x509.Name, rsa.RSAPrivateKey, str]:
    """A user's own CA (not cephadm's), whose leaf certificates the tests set."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'test CA')])
    return name, key, _pem(_cert('test CA', key, (name, key), 3650, ca=True))


def leaf(ca: Tuple[x509.Name, rsa.RSAPrivateKey, str], tmp: Path, name: str, days: int = 365,
         start: int = -1, layout: str = 'key+leaf+ca') -> Tuple[Path, str, str]:
    """Write a PEM bundle of a new leaf (key, leaf, CA in ``layout`` order); return its path,
    the leaf certificate and the key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = _pem(_cert(name, key, (ca[0], ca[1]), days, start))
    parts = {'key': _key_pem(key), 'leaf': cert, 'ca': ca[2]}
    path = tmp / f'{name}.pem'
    path.write_text(''.join(parts[p] for p in layout.split('+')))
    return path, cert, _key_pem(key)


def _set(orch: Orch, entity: str, path: Path, *target: str) -> None:
    result = orch('certmgr', 'cert-key', 'set', entity, '-i', str(path), *target)
    assert result.exit_code == 0, result.stderr


# --------------------------------------------------------------------------- set and get

def test_cert_key_set_then_get_round_trips_cert_and_key(orch: Orch, tmp_path: Path, ca) -> None:
    path, cert, key = leaf(ca, tmp_path, 's3')
    result = orch('certmgr', 'cert-key', 'set', 'rgw', '-i', str(path),
                  '--service-name', 'rgw.myrgw')
    assert result.stdout == 'Certificate/key pair set correctly for rgw (rgw.myrgw)\n'
    stored = orch('certmgr', 'cert', 'get', 'rgw_ssl_cert', '--service-name', 'rgw.myrgw').stdout
    # the key is split out; the chain (leaf first, then the CA) stays with the certificate
    assert stored == cert + ca[2].rstrip('\n') + '\n'
    assert 'PRIVATE KEY' not in stored
    assert orch('certmgr', 'key', 'get', 'rgw_ssl_key', '--service_name',
                'rgw.myrgw').stdout == key
    # Squid's spelling reads the same store
    assert orch('cert-store', 'get', 'cert', 'rgw_ssl_cert', '--service-name',
                'rgw.myrgw').stdout == stored


@pytest.mark.parametrize('layout', ['key+leaf', 'leaf+ca+key'])
def test_cert_key_set_takes_the_key_anywhere_in_the_bundle(orch: Orch, tmp_path: Path, ca,
                                                           layout: str) -> None:
    path, cert, _ = leaf(ca, tmp_path, 'grafana', layout=layout)
    _set(orch, 'grafana', path, '--hostname', 'host6')
    assert orch('certmgr', 'cert', 'get', 'grafana_ssl_cert', '--hostname',
                'host6').stdout.startswith(cert)


def test_separate_cert_set_and_key_set(orch: Orch, tmp_path: Path, ca) -> None:
    _, cert, key = leaf(ca, tmp_path, 'gw')
    (tmp_path / 'c.pem').write_text(cert)
    (tmp_path / 'k.pem').write_text(key)
    assert orch('certmgr', 'cert', 'set', 'mgmt_gateway_ssl_cert', '-i',
                str(tmp_path / 'c.pem')).stdout == \
        'Certificate for mgmt_gateway_ssl_cert set correctly\n'
    assert orch('certmgr', 'key', 'set', 'mgmt_gateway_ssl_key', '--key', key).exit_code == 0
    assert orch('certmgr', 'cert', 'check').stdout == 'All certificates are valid\n'
    assert json.loads(orch('certmgr', 'cert', 'check', '--format', 'json').stdout) == [
        'All certificates are valid']


# --------------------------------------------------------------------------- refusals

@pytest.mark.parametrize('entity,target,message', [
    ('rgw', [], 'rgw certificates are per service: give --service-name'),
    ('grafana', [], 'grafana certificates are per host: give --hostname'),
    ('nosuch', [], "Unknown entity 'nosuch': `orch certmgr entity ls` lists the entities"),
])
def test_cert_key_set_needs_a_known_entity_and_its_target(orch: Orch, tmp_path: Path, ca,
                                                          entity: str, target: List[str],
                                                          message: str) -> None:
    path, _, _ = leaf(ca, tmp_path, 'x')
    assert_clean_failure(orch('certmgr', 'cert-key', 'set', entity, '-i', str(path), *target),
                         22, f'Error EINVAL: {message}')


def test_cert_key_set_refuses_bad_input_and_stores_nothing(orch: Orch, tmp_path: Path,
                                                           ca) -> None:
    good, cert, key = leaf(ca, tmp_path, 'good')
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    expired, _, _ = leaf(ca, tmp_path, 'old', days=-20, start=-30)
    expiring, _, _ = leaf(ca, tmp_path, 'soon', days=5)
    encrypted = _key_pem(other).replace('BEGIN PRIVATE KEY', 'BEGIN ENCRYPTED PRIVATE KEY')
    encrypted = encrypted.replace('END PRIVATE KEY', 'END ENCRYPTED PRIVATE KEY')
    cases = {
        'mismatch': (_key_pem(other) + cert, 'The private key does not match the certificate'),
        'expired': (expired.read_text(), 'The certificate has expired'),
        'expiring': (expiring.read_text(), 'The certificate is about to expire in'),
        'encrypted': (encrypted + cert, 'The private key is encrypted'),
        'two keys': (key + _key_pem(other) + cert, 'more than one private key'),
        'no cert': (key, 'The PEM input has no CERTIFICATE blocks'),
        'no key': (cert, 'A certificate and a private key are both required'),
        'corrupt': (key + '-----BEGIN CERTIFICATE-----\n' + 'A' * 64 + '\n'
                    '-----END CERTIFICATE-----\n', 'failed to parse the certificate'),
    }
    for label, (text, message) in cases.items():
        bundle = tmp_path / f'{label}.pem'
        bundle.write_text(text)
        result = orch('certmgr', 'cert-key', 'set', 'rgw', '-i', str(bundle),
                      '--service-name', 'rgw.myrgw')
        assert_clean_failure(result, 22, message)
        assert orch('certmgr', 'cert', 'get', 'rgw_ssl_cert', '--service-name', 'rgw.myrgw',
                    '--no-exception-when-missing').stdout == '', label
    # --force only skips the expiry check in cephadm's debug mode
    assert orch('certmgr', 'cert-key', 'set', 'rgw', '-i', str(expired), '--service-name',
                'rgw.a', '--force').exit_code == 22
    assert orch('certmgr', 'cert', 'set', 'rgw_ssl_cert', '--service-name', 'rgw.a', '-i',
                str(good)).stderr.startswith('Error EINVAL: The input holds a private key: '
                                             'use `orch certmgr cert-key set`')


def test_several_certificates_need_cert_name_and_root_ca_is_not_editable(
        orch: Orch, tmp_path: Path, ca) -> None:
    path, cert, _ = leaf(ca, tmp_path, 'nv')
    assert_clean_failure(orch('certmgr', 'cert-key', 'set', 'nvmeof', '-i', str(path),
                              '--service-name', 'nvmeof.a.b'), 22,
                         'nvmeof has several certificates (nvmeof_ssl_cert, '
                         'nvmeof_client_cert): choose one with --cert-name')
    _set(orch, 'nvmeof', path, '--service-name', 'nvmeof.a.b', '--cert-name',
         'nvmeof_client_cert')
    (tmp_path / 'c.pem').write_text(cert)
    root = orch('certmgr', 'cert', 'get', 'cephadm_root_ca_cert').stdout
    assert_clean_failure(orch('certmgr', 'cert', 'set', 'cephadm_root_ca_cert', '-i',
                              str(tmp_path / 'c.pem')), 1,
                         'Error EPERM: cephadm_root_ca_cert is not editable')
    assert orch('certmgr', 'cert', 'get', 'cephadm_root_ca_cert').stdout == root


def test_get_and_rm_of_missing_objects(orch: Orch) -> None:
    assert_clean_failure(orch('certmgr', 'cert', 'get', 'rgw_ssl_cert'), 22,
                         'Error EINVAL: rgw_ssl_cert is service scoped: need service name')
    assert_clean_failure(orch('certmgr', 'cert', 'get', 'grafana_ssl_cert'), 22,
                         'need host name (--hostname)')
    assert_clean_failure(orch('certmgr', 'cert', 'get', 'rgw_ssl_cert', '--service-name',
                              'rgw.x'), 2,
                         'Error ENOENT: No secret found for certificate rgw_ssl_cert (rgw.x)')
    assert_clean_failure(orch('certmgr', 'key', 'get', 'nope'), 22,
                         "Error EINVAL: Unknown TLS object name 'nope'")
    assert_clean_failure(orch('certmgr', 'cert', 'rm', 'rgw_ssl_cert', '--service-name',
                              'rgw.x'), 2, 'Error ENOENT: Cannot delete the certificate')
    missing = orch('cert-store', 'get', 'key', 'rgw_ssl_key', '--service-name', 'rgw.x',
                   '--no-exception-when-missing')
    assert (missing.exit_code, missing.stdout) == (0, '')
    # as cephadm: removing a key that is not set succeeds
    assert orch('certmgr', 'key', 'rm', 'rgw_ssl_key', '--service-name', 'rgw.x').exit_code == 0


def test_cert_rm_and_key_rm_remove_what_was_set(orch: Orch, tmp_path: Path, ca) -> None:
    path, _, _ = leaf(ca, tmp_path, 'rm')
    _set(orch, 'rgw', path, '--service-name', 'rgw.myrgw')
    assert orch('certmgr', 'cert', 'rm', 'rgw_ssl_cert', '--service-name',
                'rgw.myrgw').stdout == 'Certificate for rgw_ssl_cert (rgw.myrgw) removed correctly\n'
    assert 'missing' not in orch('certmgr', 'cert', 'check').stdout
    assert orch('certmgr', 'key', 'rm', 'rgw_ssl_key', '--service-name', 'rgw.myrgw').exit_code == 0
    assert 'rgw_ssl_key' not in json.loads(orch('certmgr', 'key', 'ls', '--format', 'json').stdout)


# --------------------------------------------------------------------------- listings

def test_cert_ls_in_each_format_and_its_filters(orch: Orch, tmp_path: Path, ca) -> None:
    path, _, _ = leaf(ca, tmp_path, 's3')
    _set(orch, 'rgw', path, '--service-name', 'rgw.myrgw')
    data = json.loads(orch('certmgr', 'cert', 'ls', '--format', 'json').stdout)
    assert sorted(data) == ['cephadm_root_ca_cert', 'rgw_ssl_cert']
    entry = data['rgw_ssl_cert']
    assert entry['scope'] == 'service'
    info = entry['certificates']['rgw.myrgw']
    assert (info['status'], info['signed_by'], info['contains_chain']) == ('valid', 'user', True)
    assert info['subject'] == {'commonName': 's3'}
    assert 363 <= info['validity']['remaining_days'] <= 365
    assert data['cephadm_root_ca_cert']['certificates']['global']['signed_by'] == 'cephadm'
    assert yaml.safe_load(orch('certmgr', 'cert', 'ls', '--format', 'yaml').stdout) == data
    plain = orch('certmgr', 'cert', 'ls').stdout
    assert 'rgw_ssl_cert:\n    scope: service\n    certificates:\n        rgw.myrgw:\n' in plain
    detailed = json.loads(orch('certmgr', 'cert', 'ls', '--show-details', '--format',
                               'json').stdout)['rgw_ssl_cert']['certificates']['rgw.myrgw']
    assert detailed['extensions']['subjectAltName']['DNSNames'] == ['s3.test']
    assert detailed['public_key'] == {'key_type': 'RSA', 'key_size': 2048}
    by = {expr: sorted(json.loads(orch('certmgr', 'cert', 'ls', '--filter-by', expr,
                                       '--format', 'json').stdout))
          for expr in ('name=rgw*', 'scope=service,status=valid', 'status=expired',
                       'signed-by=cephadm', 'service=rgw.myrgw', 'host=host1')}
    assert by == {'name=rgw*': ['rgw_ssl_cert'], 'scope=service,status=valid': ['rgw_ssl_cert'],
                  'status=expired': [], 'signed-by=cephadm': ['cephadm_root_ca_cert'],
                  'service=rgw.myrgw': ['rgw_ssl_cert'], 'host=host1': []}
    assert orch('certmgr', 'cert', 'ls', '--filter-by', 'status=expired').stdout == \
        'No certificates found.\n'
    assert_clean_failure(orch('certmgr', 'cert', 'ls', '--filter-by', 'colour=red'), 22,
                         "Error EINVAL: Invalid filter 'colour=red'")
    # Squid's cert-store lists the same
    assert json.loads(orch('cert-store', 'cert', 'ls', '--format', 'json').stdout) == data


def test_key_ls_shows_type_and_size_never_the_key(orch: Orch, tmp_path: Path, ca) -> None:
    path, _, key = leaf(ca, tmp_path, 's3')
    _set(orch, 'rgw', path, '--service-name', 'rgw.myrgw')
    for cmd in (('certmgr', 'key', 'ls'), ('cert-store', 'key', 'ls')):
        data = json.loads(orch(*cmd, '--format', 'json').stdout)
        assert data == {'rgw_ssl_key': {'scope': 'service', 'keys': {
            'rgw.myrgw': {'key_type': 'RSA', 'key_size': 2048}}}}
    plain = orch('certmgr', 'key', 'ls').stdout
    assert 'PRIVATE' not in plain and key.splitlines()[1] not in plain
    assert 'cephadm_root_ca_key' not in plain


def test_entity_ls_table_and_json_name_where_entities_run(orch: Orch, demo: object) -> None:
    lines = orch('certmgr', 'entity', 'ls').stdout.splitlines()
    assert lines[0].split() == ['ENTITY', 'SCOPE', 'CERTIFICATES', 'KEYS', 'TARGETS']
    rows = {ln.split()[0]: ln.split() for ln in lines[1:]}
    assert rows['rgw'] == ['rgw', 'service', 'rgw_ssl_cert', 'rgw_ssl_key', 'rgw.myrgw']
    assert rows['grafana'][-1] == 'host6' and rows['mgmt-gateway'][-1] == '-'
    data = json.loads(orch('certmgr', 'entity', 'ls', '--format', 'json').stdout)
    assert data['ingress'] == {'scope': 'service', 'certificates': ['ingress_ssl_cert'],
                               'keys': ['ingress_ssl_key'], 'targets': ['ingress.rgw.myrgw']}


# --------------------------------------------------------------------------- check, reload

def test_cert_check_reports_expired_expiring_mismatched_and_missing_keys(
        orch: Orch, state_dir: Path, tmp_path: Path, ca) -> None:
    from ceph_orch_cli.backends import load_backend
    from ceph_orch_cli.cluster import certmgr
    old = leaf(ca, tmp_path, 'old', days=-20, start=-30)
    soon = leaf(ca, tmp_path, 'soon', days=5)
    good = leaf(ca, tmp_path, 'good')
    other = leaf(ca, tmp_path, 'other')
    # what `--force` stores in debug mode, written as the store keeps it
    backend = load_backend('local', state_dir)
    for name, target, (_, cert, key) in (('rgw', 'rgw.a', old), ('rgw', 'rgw.b', soon),
                                         ('grafana', 'host1', good)):
        backend.store.set_setting(f'{certmgr.CERT_PREFIX}{name}_ssl_cert',
                                  {**(backend.store.get_setting(
                                      f'{certmgr.CERT_PREFIX}{name}_ssl_cert') or {}),
                                   target: {'pem': cert, 'user_made': True}})
        if name == 'rgw':
            backend.store.set_setting(f'{certmgr.KEY_PREFIX}rgw_ssl_key', {
                **(backend.store.get_setting(f'{certmgr.KEY_PREFIX}rgw_ssl_key') or {}),
                target: {'pem': key, 'user_made': True}})
    backend.close()
    _set(orch, 'mgmt-gateway', good[0])
    assert orch('certmgr', 'key', 'set', 'mgmt_gateway_ssl_key', '--key', other[2]).exit_code == 0
    report = json.loads(orch('certmgr', 'cert', 'check', '--format', 'json').stdout)
    assert report[:2] == [
        'Invalid certificate for grafana_ssl_cert (host1): missing key grafana_ssl_key',
        'Invalid certificate for mgmt_gateway_ssl_cert: the certificate is not valid for the '
        'key mgmt_gateway_ssl_key']
    assert report[2].startswith('Certificate for rgw_ssl_cert (rgw.a) has expired (')
    assert report[3] == 'Certificate for rgw_ssl_cert (rgw.b) is about to expire: 4 days left'
    assert len(report) == 4
    assert orch('certmgr', 'cert', 'check').stdout == '\n'.join(report) + '\n'
    statuses = json.loads(orch('certmgr', 'cert', 'ls', '--filter-by', 'name=rgw_ssl_cert',
                               '--format', 'json').stdout)['rgw_ssl_cert']['certificates']
    assert {t: i['status'] for t, i in statuses.items()} == {'rgw.a': 'expired',
                                                             'rgw.b': 'expiring'}


def test_reload_redeploys_the_daemons_that_use_a_stored_pair(orch: Orch, demo: object,
                                                             tmp_path: Path, ca) -> None:
    def events(dtype: str) -> List[str]:
        return [e for d in json.loads(orch('ps', '--daemon-type', dtype, '--format',
                                           'json').stdout) for e in d.get('events', [])]
    path, _, _ = leaf(ca, tmp_path, 'graf')
    _set(orch, 'grafana', path, '--hostname', 'host6')
    assert orch('certmgr', 'reload').stdout == 'OK\n'
    assert any('redeploy grafana.host6' in e.lower() for e in events('grafana')), \
        events('grafana')
    assert not any('redeploy' in e.lower() for e in events('prometheus'))
    assert json.loads(orch('certmgr', 'reload', '--format', 'json').stdout) == 'OK'


def test_generate_certificates_signs_with_the_root_ca(orch: Orch, demo: object) -> None:
    out = json.loads(orch('certmgr', 'generate-certificates', 'dashboard').stdout)
    root = x509.load_pem_x509_certificate(
        orch('certmgr', 'cert', 'get', 'cephadm_root_ca_cert').stdout.encode())
    cert = x509.load_pem_x509_certificate(out['cert'].encode())
    assert cert.issuer == root.subject and 'PRIVATE KEY' in out['key']
    assert_clean_failure(orch('certmgr', 'generate-certificates', 'nope'), 22,
                         'Unsupported module nope')


def test_the_ssh_backend_keeps_the_store_with_the_cluster_state(orch: Orch, tmp_path: Path,
                                                                 ca) -> None:
    """The objects are settings the SSH backend replicates into the config-key store (they
    are in `export-state`, the records under mgr/orch/), not machine-local ones."""
    path, cert, _ = leaf(ca, tmp_path, 'gw')
    assert orch('--backend', 'ssh', 'certmgr', 'cert-key', 'set', 'mgmt-gateway', '-i',
                str(path)).exit_code == 0
    records = json.loads(orch('--backend', 'ssh', 'cephadm', 'export-state').stdout)
    text = json.dumps(records)
    assert 'mgr/orch/setting/backend/certmgr/cert/mgmt_gateway_ssl_cert' in text
    assert 'mgr/orch/setting/backend/certmgr/key/mgmt_gateway_ssl_key' in text
    assert orch('--backend', 'ssh', 'certmgr', 'cert', 'get',
                'mgmt_gateway_ssl_cert').stdout.startswith(cert)


def test_the_feature_set_shows_the_certificate_store(state_dir: Path) -> None:
    from ceph_orch_cli.backends import load_backend
    backend = load_backend('local', state_dir)
    features = backend.get_feature_set()
    backend.close()
    assert all(features[m] == {'available': True} for m in (
        'cert_store_cert_ls', 'cert_store_set_pair', 'cert_store_cert_check', 'cert_store_reload'))


def test_entity_ls_golden_table(orch: Orch) -> None:
    """PrettyTable's look, as every `ceph orch` listing: left-aligned, two spaces after each
    column (trailing ones kept), no border."""
    assert orch('certmgr', 'entity', 'ls').stdout.splitlines() == [
        'ENTITY        SCOPE    CERTIFICATES                                            KEYS                                                    TARGETS  ',
        'grafana       host     grafana_ssl_cert                                        grafana_ssl_key                                         -        ',
        'ingress       service  ingress_ssl_cert                                        ingress_ssl_key                                         -        ',
        'iscsi         service  iscsi_ssl_cert                                          iscsi_ssl_key                                           -        ',
        'mgmt-gateway  global   mgmt_gateway_ssl_cert                                   mgmt_gateway_ssl_key                                    -        ',
        'nfs           service  nfs_ssl_cert,nfs_ssl_ca_cert                            nfs_ssl_key                                             -        ',
        'nvmeof        service  nvmeof_ssl_cert,nvmeof_client_cert,nvmeof_root_ca_cert  nvmeof_ssl_key,nvmeof_client_key,nvmeof_encryption_key  -        ',
        'oauth2-proxy  host     oauth2_proxy_ssl_cert                                   oauth2_proxy_ssl_key                                    -        ',
        'rgw           service  rgw_ssl_cert                                            rgw_ssl_key                                             -        ',
        'smb           service  smb_ssl_cert,smb_ssl_ca_cert                            smb_ssl_key                                             -        ',
    ]


def test_a_specs_inline_pair_is_listed_checked_and_owned_by_the_spec(orch: Orch, demo: object,
                                                                     tmp_path: Path, ca) -> None:
    _, cert, key = leaf(ca, tmp_path, 'gw')
    spec = tmp_path / 'gw.yaml'
    spec.write_text(yaml.safe_dump({
        'service_type': 'mgmt-gateway', 'placement': {'hosts': ['host1']},
        'spec': {'ssl': True, 'certificate_source': 'inline', 'ssl_cert': cert,
                 'ssl_key': key}}))
    assert orch('apply', '-i', str(spec)).exit_code == 0
    data = json.loads(orch('certmgr', 'cert', 'ls', '--filter-by', 'signed-by=user',
                           '--format', 'json').stdout)
    assert data['mgmt_gateway_ssl_cert']['scope'] == 'global'
    assert data['mgmt_gateway_ssl_cert']['certificates']['global']['subject'] == {
        'commonName': 'gw'}
    # its key lives in the spec: nothing is missing
    assert orch('certmgr', 'cert', 'check').stdout == 'All certificates are valid\n'
    other, _, _ = leaf(ca, tmp_path, 'other')
    assert_clean_failure(orch('certmgr', 'cert-key', 'set', 'mgmt-gateway', '-i', str(other)),
                         1, 'Error EPERM: mgmt_gateway_ssl_cert is not editable: the spec of '
                            'mgmt-gateway embeds it (certificate_source: inline)')
    assert orch('certmgr', 'cert', 'get', 'mgmt_gateway_ssl_cert').stdout == cert
    assert orch('certmgr', 'key', 'get', 'mgmt_gateway_ssl_key').stdout == key
