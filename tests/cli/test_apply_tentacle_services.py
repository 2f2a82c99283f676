"""`orch apply jaeger|mgmt-gateway|oauth2-proxy|smb`: Ceph's subcommands for the services
Squid and Tentacle added, each building the spec a spec file would and converging to it."""
from __future__ import annotations

import json
from typing import Any, Dict, List

import yaml
from cli_helpers import Orch, assert_clean_failure


def _export(orch: Orch) -> Dict[str, Dict[str, Any]]:
    result = orch('ls', '--export')
    assert result.exit_code == 0, result.stderr
    return {d['service_name']: d for d in yaml.safe_load_all(result.stdout) if d}


def _daemons(orch: Orch, daemon_type: str) -> List[Dict[str, Any]]:
    result = orch('ps', '--daemon-type', daemon_type, '--format', 'json')
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_apply_jaeger_stands_for_four_services(orch: Orch, demo: object) -> None:
    result = orch('apply', 'jaeger', '--placement', '2')
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        'Scheduled elasticsearch update...', 'Scheduled jaeger-collector update...',
        'Scheduled jaeger-query update...', 'Scheduled jaeger-agent update...']
    specs = _export(orch)
    # the placement is the collectors'; the agents go on every host
    assert specs['jaeger-collector']['placement'] == {'count': 2}
    assert specs['jaeger-agent']['placement'] == {'host_pattern': '*'}
    assert orch('serve', '--once').exit_code == 0
    assert len(_daemons(orch, 'jaeger-collector')) == 2
    assert len(_daemons(orch, 'jaeger-agent')) == 6
    assert len(_daemons(orch, 'elasticsearch')) == 1


def test_apply_jaeger_with_existing_elasticsearch_and_query(orch: Orch, demo: object) -> None:
    result = orch('apply', 'jaeger', '10.0.0.9:9200', '--without-query')
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ['Scheduled jaeger-collector update...',
                                          'Scheduled jaeger-agent update...']
    specs = _export(orch)
    assert 'elasticsearch' not in specs and 'jaeger-query' not in specs
    assert specs['jaeger-collector']['spec']['es_nodes'] == '10.0.0.9:9200'
    # Ceph's option spelling of the positional works too
    again = orch('apply', 'jaeger', '--es_nodes', '10.0.0.9:9200', '--without_query')
    assert again.exit_code == 0, again.stderr


def test_apply_jaeger_refuses_a_spec_file(orch: Orch, demo: object) -> None:
    before = orch('ls').stdout
    assert_clean_failure(orch('apply', 'jaeger', '-i', '/dev/null'), 22,
                         'Error EINVAL: unrecognized command -i; -h or --help for usage')
    assert orch('ls').stdout == before


def test_apply_mgmt_gateway_port_https_and_auth(orch: Orch, demo: object) -> None:
    result = orch('apply', 'mgmt-gateway', '--port', '9443', '--enable-auth',
                  '--placement', 'host1')
    assert result.exit_code == 0, result.stderr
    assert result.stdout == 'Scheduled mgmt-gateway update...\n'
    spec = _export(orch)['mgmt-gateway']
    assert spec['placement'] == {'hosts': ['host1']}
    assert spec['spec']['port'] == 9443 and spec['spec']['enable_auth'] is True
    assert spec['spec'].get('ssl', True) is True
    assert orch('serve', '--once').exit_code == 0
    [gateway] = _daemons(orch, 'mgmt-gateway')
    assert gateway['hostname'] == 'host1' and gateway['ports'] == [9443]


def test_apply_mgmt_gateway_bad_port_changes_nothing(orch: Orch, demo: object) -> None:
    before = orch('ls').stdout
    assert_clean_failure(orch('apply', 'mgmt-gateway', '--port', '99999'), 22,
                         'Error EINVAL: Invalid port: 99999. Must be between 1 and 65535.')
    assert orch('ls').stdout == before


def test_apply_oauth2_proxy_needs_the_identity_provider_from_a_spec_file(
        orch: Orch, demo: object) -> None:
    before = orch('ls').stdout
    assert_clean_failure(orch('apply', 'oauth2-proxy', '--https-address', '0.0.0.0:4180'), 22,
                         'Missing required fields for oauth2-proxy: provider_display_name, '
                         'oidc_issuer_url, client_id, client_secret.')
    assert orch('ls').stdout == before


def test_apply_oauth2_proxy_dry_run_previews(orch: Orch, demo: object) -> None:
    result = orch('apply', 'oauth2-proxy', '--dry-run', '--format', 'json')
    # the spec is refused before any preview: nothing printed on stdout, one line on stderr
    assert result.exit_code == 22 and result.stdout == ''
    assert len(result.stderr.strip().splitlines()) == 1


def test_apply_smb_features_and_lists(orch: Orch, demo: object) -> None:
    result = orch('apply', 'smb', 'c1', 'rados://pool/c1/config.json', '1',
                  '--features', 'domain', '--join-sources', 'rados://pool/c1/join1.json',
                  '--join-sources', 'rados://pool/c1/join2.json',
                  '--custom-dns', '10.0.0.53,10.0.0.54', '--include-ceph-users', 'client.smb')
    assert result.exit_code == 0, result.stderr
    assert result.stdout == 'Scheduled smb.c1 update...\n'
    spec = _export(orch)['smb.c1']
    assert spec['placement'] == {'count': 1}
    assert spec['spec']['cluster_id'] == 'c1'
    assert spec['spec']['config_uri'] == 'rados://pool/c1/config.json'
    assert spec['spec']['features'] == ['domain']
    assert spec['spec']['join_sources'] == ['rados://pool/c1/join1.json',
                                            'rados://pool/c1/join2.json']
    assert spec['spec']['custom_dns'] == ['10.0.0.53', '10.0.0.54']
    assert spec['spec']['include_ceph_users'] == ['client.smb']
    assert orch('serve', '--once').exit_code == 0
    assert len(_daemons(orch, 'smb')) == 1


def test_apply_smb_refuses_unknown_features(orch: Orch, demo: object) -> None:
    before = orch('ls').stdout
    assert_clean_failure(orch('apply', 'smb', 'c1', 'rados://p/c1', '--features', 'bogus'),
                         22, 'Error EINVAL: invalid feature flags: bogus')
    assert orch('ls').stdout == before
