"""Whatever words an operator types, `orch` answers with a result or one `Error ...` line."""
from __future__ import annotations

from typing import List

from cli_helpers import Orch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# exit codes a well-behaved `orch` may return: success and errnos a user can act on
ALLOWED_CODES = {0, 2, 16, 17, 22, 95, 110, 113}

COMMAND_WORDS = [
    'host', 'add', 'rm', 'ls', 'label', 'drain', 'set-addr', 'ok-to-stop', 'maintenance',
    'enter', 'exit', 'rescan', 'device', 'zap', 'light', 'on', 'off', 'ident', 'fault',
    'ls-lights', 'apply', 'osd', 'mon', 'mgr', 'mds', 'rgw', 'nfs', 'iscsi', 'crash',
    'snmp-gateway', 'nvmeof', 'daemon', 'start', 'stop', 'restart', 'redeploy', 'reconfig',
    'rotate-key', 'ps', 'status', 'upgrade', 'check', 'pause', 'resume', 'cancel', 'set',
    'backend', 'set-managed', 'set-unmanaged', 'tuned-profile', 'add-setting', 'rm-setting',
    'host1', 'host2', 'mon.host1', 'osd.0', '0', '1', '/dev/sdb', 'host1:/dev/sdb',
    '--force', '--format', 'json', 'yaml', 'plain', '--refresh', '--dry-run', '--unmanaged',
    '--label', '--detail', '--service_name', '--daemon-type', '--export', '--wide', '-i', '-',
    '--all-available-devices', '--placement', '--offline', '--replace', '--zap', '',
    'count:2', 'label:mon', '*', '3',
]

words = st.lists(st.one_of(st.sampled_from(COMMAND_WORDS),
                           st.text(min_size=0, max_size=12)), min_size=0, max_size=6)

ROOT_WORDS = ['host', 'device', 'apply', 'daemon', 'osd', 'upgrade', 'ls', 'ps', 'rm', 'start',
              'stop', 'restart', 'redeploy', 'reconfig', 'rotate-key', 'set-managed',
              'set-unmanaged', 'status', 'set', 'pause', 'resume', 'cancel', 'tuned-profile']
# a real command word first, so most examples get past the parser and reach the backend
command_lines = st.one_of(
    words,
    st.tuples(st.sampled_from(ROOT_WORDS), words).map(lambda t: [t[0]] + t[1]))


def assert_well_behaved(result) -> None:
    assert result.exit_code in ALLOWED_CODES, (result.exit_code, result.stdout, result.stderr)
    assert 'Traceback' not in result.stderr and 'Traceback' not in result.stdout
    if result.exit_code != 0:
        # one `Error ENAME: ...` (Ceph's usage texts run over several lines), or Click's usage
        assert result.stderr.startswith(('Error ', 'Usage: ')), result.stderr
        assert '\nError ' in result.stderr or result.stderr.startswith('Error ')


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(argv=command_lines)
def test_random_command_lines_never_crash(orch: Orch, demo: object, argv: List[str]) -> None:
    if 'serve' in argv:
        return
    assert_well_behaved(orch(*argv, input=''))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(placement=st.one_of(
    st.text(max_size=20),
    st.lists(st.sampled_from(['host1', 'host2', 'count:2', 'count:0', 'count-per-host:2',
                              'label:mon', 'label:x', '*', 'host[1-3]', 'regex:h.*', '3',
                              'host1:10.0.0.0/8=name', ';', ' ']),
             max_size=4).map(' '.join)))
def test_placement_strings_never_crash(orch: Orch, placement: str) -> None:
    assert_well_behaved(orch('apply', 'crash', placement, '--dry-run', '--format', 'json'))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hostname=st.text(max_size=30))
def test_host_names_never_crash(orch: Orch, hostname: str) -> None:
    assert_well_behaved(orch('host', 'add', hostname))
    assert_well_behaved(orch('host', 'label', 'add', hostname, 'mon'))
    assert_well_behaved(orch('host', 'rm', hostname, '--force'))
