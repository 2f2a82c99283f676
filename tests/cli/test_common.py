"""Ceph's argument rules shared by every command (commands/_common.py).

Ceph's argparse lets a positional be given by name (`--name value`, `--name=value`), in either
the dashed or the underscore spelling; these tests type the commands an operator would.
"""
from __future__ import annotations

import json

from cli_helpers import Orch, assert_clean_failure


def _names(result: object) -> list:
    return [row['service_name'] for row in json.loads(result.stdout)]


def test_ls_takes_service_type_and_name_as_options(orch: Orch, demo: object) -> None:
    assert _names(orch('ls', '--service_type', 'mon', '--format', 'json')) == ['mon']
    assert _names(orch('ls', '--service-type=mgr', '--format', 'json')) == ['mgr']
    assert _names(orch('ls', '--service_name', 'mds.cephfs', '--format', 'json')) == ['mds.cephfs']
    assert _names(orch('ls', 'mds', '--service-name=mds.cephfs', '--format=json')) == ['mds.cephfs']


def test_ps_takes_the_hostname_as_an_option(orch: Orch, demo: object) -> None:
    assert orch('serve', '--once').exit_code == 0
    result = orch('ps', '--hostname', 'host1', '--daemon_type', 'mon', '--format', 'json')
    assert result.exit_code == 0, result.stderr
    assert [d['daemon_name'] for d in json.loads(result.stdout)] == ['mon.host1']
    positional = orch('ps', 'host1', '--daemon-type', 'mon', '--format', 'json')
    assert positional.stdout == result.stdout


def test_host_add_with_addr_given_by_name(orch: Orch) -> None:
    result = orch('host', 'add', 'host1', '--addr', '10.0.0.11', '--labels=_admin,mon')
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Added host 'host1' with addr '10.0.0.11'\n"
    hosts = json.loads(orch('host', 'ls', '--format', 'json').stdout)
    assert hosts[0]['labels'] == ['_admin', 'mon']


def test_host_label_add_and_rm_with_the_label_by_name(orch: Orch, demo: object) -> None:
    assert orch('host', 'label', 'add', 'host1', '--label', 'foo').stdout == \
        'Added label foo to host host1\n'
    assert orch('host', 'label', 'rm', '--hostname=host1', 'foo').stdout == \
        'Removed label foo from host host1\n'


def test_a_named_positional_without_its_value_is_an_argument_error(orch: Orch) -> None:
    result = orch('ls', '--service_type')
    assert result.exit_code == 22
    assert "Option '--service_type' requires an argument." in result.stderr


def test_input_file_to_a_command_that_reads_none_is_refused(orch: Orch, demo: object) -> None:
    for args in (('host', 'ls', '-i', 'spec.yaml'), ('ps', '-ispec.yaml')):
        assert_clean_failure(orch(*args), 22,
                             'Error EINVAL: Invalid command: Input file data (-i) not supported')


def test_scaling_forms_of_apply_and_daemon_add_refuse_a_spec_file(orch: Orch, demo: object) -> None:
    for args in (('apply', 'mds', 'cephfs', '-i', 'mds.yaml'),
                 ('apply', 'rgw', 'myrgw', '-i', 'rgw.yaml'),
                 ('daemon', 'add', 'nfs', 'mynfs', 'host5', '-i', 'nfs.yaml')):
        assert_clean_failure(orch(*args), 22,
                             'Error EINVAL: unrecognized command -i; -h or --help for usage')


def test_in_file_has_both_spellings(orch: Orch) -> None:
    spec = 'service_type: host\nhostname: host1\naddr: 10.0.0.11\n'
    assert orch('apply', '--in_file', '-', input=spec).stdout == \
        "Added host 'host1' with addr '10.0.0.11'\n"
    assert orch('apply', '--in-file=-', input=spec).exit_code == 0


def test_flags_take_an_explicit_ceph_bool(orch: Orch, demo: object) -> None:
    previewed = orch('apply', 'mon', '3', '--dry-run=true')
    assert 'SERVICESPEC PREVIEWS' in previewed.stdout
    applied = orch('apply', 'mon', '3', '--dry_run=false')
    assert applied.stdout == 'Scheduled mon update...\n'
    assert_clean_failure(orch('rm', 'mon', '--force=maybe'), 22, 'Error EINVAL: maybe not true or false')


def test_explicit_unmanaged_false_still_conflicts_with_a_spec_file(orch: Orch, demo: object) -> None:
    spec = 'service_type: osd\nservice_id: x\nplacement:\n  host_pattern: "*"\n' \
           'spec:\n  data_devices:\n    all: true\n'
    result = orch('apply', 'osd', '-i', '-', '--unmanaged=false', input=spec)
    assert_clean_failure(result, 22, '-i infile and --unmanaged are mutually exclusive')


READ_COMMANDS = [('ls',), ('ls', '--export'), ('ps',), ('ps', 'host1'), ('host', 'ls'),
                 ('host', 'ls', '--detail'), ('device', 'ls'), ('device', 'ls', '--wide'),
                 ('status',), ('status', '--detail'), ('tuned-profile', 'ls')]


def test_every_read_command_prints_one_json_document(orch: Orch, demo: object) -> None:
    assert orch('serve', '--once').exit_code == 0
    for args in READ_COMMANDS:
        for fmt in ('json', 'json-pretty'):
            result = orch(*args, '--format', fmt)
            assert result.exit_code == 0, (args, result.stderr)
            assert result.stderr == ''
            json.loads(result.stdout)  # exactly one document, nothing around it
