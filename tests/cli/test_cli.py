"""The root command: global options, backend and state resolution, and the error boundary."""
from __future__ import annotations

import errno
from pathlib import Path
from typing import Any, List

import pytest

from ceph_orch_cli.orchestrator import Orchestrator, OrchestratorError, handle_orch_error
from cli_helpers import Orch, assert_clean_failure


class BrokenBackend(Orchestrator):
    """A backend that implements little and fails in the ways real ones do."""

    def __init__(self, failure: BaseException) -> None:
        self.failure = failure

    @handle_orch_error
    def get_hosts(self) -> List[Any]:
        raise self.failure

    def describe_service(self, *args: Any, **kwargs: Any) -> Any:
        # a backend bug that escapes the OrchResult convention
        raise RuntimeError('boom\nsecond line')


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch) -> Any:
    def use(instance: Orchestrator) -> None:
        monkeypatch.setattr('ceph_orch_cli.backends.load_backend', lambda name, state: instance)
    return use


def test_version_and_help_need_no_backend(orch: Orch, state_dir: Path) -> None:
    assert orch('--version').stdout.startswith('orch ')
    result = orch('--help')
    assert result.exit_code == 0
    for word in ('apply', 'host', 'ps', 'ls', 'upgrade', 'serve', 'tuned-profile'):
        assert f'  {word} ' in result.stdout
    assert not state_dir.exists()


def test_unknown_backend_is_einval_with_cephs_message(orch: Orch) -> None:
    assert_clean_failure(orch('--backend', 'nosuch', 'host', 'ls'), 22,
                         "Error EINVAL: Module 'nosuch' not found")


def test_backend_lacking_a_feature_is_eopnotsupp(orch: Orch, backend: Any) -> None:
    backend(Orchestrator())
    assert_clean_failure(orch('host', 'add', 'host1'), 95,
                         'Error EOPNOTSUPP: This Orchestrator does not support `orch host add`')
    assert_clean_failure(orch('--state-dir', '/tmp/x', 'osd', 'rm', 'status'), 95,
                         'does not support `orch osd rm status`')


def test_orchestrator_error_keeps_its_errno(orch: Orch, backend: Any) -> None:
    backend(BrokenBackend(OrchestratorError('host nope does not exist', errno=-errno.ENOENT)))
    assert_clean_failure(orch('host', 'ls'), 2, 'Error ENOENT: host nope does not exist')


def test_unexpected_exception_is_one_eio_line(orch: Orch, backend: Any) -> None:
    backend(BrokenBackend(ValueError('bad value')))
    result = orch('host', 'ls')
    assert_clean_failure(result, 5, 'Error EIO: ValueError: bad value')
    assert result.stderr.count('\n') == 1
    result = orch('ls')
    assert_clean_failure(result, 5, 'Error EIO: RuntimeError: boom')
    assert 'second line' not in result.stderr


def test_debug_shows_the_traceback(orch: Orch, backend: Any) -> None:
    backend(BrokenBackend(ValueError('bad value')))
    result = orch('--debug', 'host', 'ls')
    assert result.exit_code == 5
    assert 'Traceback' in result.stderr
    assert result.stderr.rstrip().endswith('Error EIO: ValueError: bad value')


def test_ctrl_c_exits_130_and_says_the_intent_is_kept(orch: Orch, backend: Any) -> None:
    backend(BrokenBackend(KeyboardInterrupt()))
    result = orch('host', 'ls')
    assert result.exit_code == 130
    assert 'intent is stored' in result.stderr
    assert 'Traceback' not in result.stderr


@pytest.mark.parametrize('argv, usage', [
    (['host', 'add'], 'Usage: orch host add'),
    (['host', 'ls', '--format', 'toml'], 'Usage: orch host ls'),
    (['nosuchcommand'], 'Usage: orch'),
    (['device', 'light', 'blink', 'dev1'], 'Usage: orch device light'),
    (['upgrade', 'start', '--limit', 'many'], 'Usage: orch upgrade start'),
])
def test_usage_errors_exit_22_with_usage(orch: Orch, argv: List[str], usage: str) -> None:
    result = orch(*argv)
    assert result.exit_code == 22
    assert usage in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith('Error EINVAL: ')
    assert 'Traceback' not in result.stderr


def test_xml_formats_are_refused_as_ceph_does(orch: Orch, demo: Any) -> None:
    assert_clean_failure(orch('host', 'ls', '--format', 'xml'), 22,
                         "Error EINVAL: format 'xml' is not implemented.")
    assert_clean_failure(orch('ps', '--format', 'xml-pretty'), 22,
                         "Error EINVAL: format 'xml_pretty' is not implemented.")


def test_set_backend_empty_unsets_it_then_commands_have_no_orchestrator(orch: Orch) -> None:
    assert orch('set', 'backend', '').exit_code == 0
    assert_clean_failure(orch('host', 'ls'), 2,
                         'Error ENOENT: No orchestrator configured (try `orch set backend`)')
    assert_clean_failure(orch('status'), 2, 'No orchestrator configured')
    # an explicit --backend or ORCH_BACKEND still wins over the saved choice
    assert orch('--backend', 'local', 'host', 'ls').exit_code == 0
    assert orch('set', 'backend', 'local').exit_code == 0
    assert orch('host', 'ls').exit_code == 0


def test_set_backend_refuses_unknown_modules(orch: Orch) -> None:
    assert_clean_failure(orch('set', 'backend', 'rook'), 22,
                         "Error EINVAL: Module 'rook' not found")


def test_state_dir_option_beats_the_environment(orch: Orch, tmp_path: Path) -> None:
    other = tmp_path / 'other'
    assert orch('--state-dir', str(other), 'host', 'add', 'host1').exit_code == 0
    assert (other / 'orch.db').exists()
    assert '0 hosts in cluster' in orch('host', 'ls').stdout
    assert '1 hosts in cluster' in orch('--state_dir', str(other), 'host', 'ls').stdout


def test_an_unusable_state_dir_is_reported_by_errno(orch: Orch, tmp_path: Path) -> None:
    blocker = tmp_path / 'file'
    blocker.write_text('not a directory')
    result = orch('--state-dir', str(blocker / 'state'), 'ls')
    assert result.exit_code in (17, 20, 22), result.stderr
    assert result.stderr.startswith('Error E') and 'Traceback' not in result.stderr


def test_every_option_has_cephs_underscore_spelling_too() -> None:
    from ceph_orch_cli.cli import dual
    assert dual('--service-name') == ('--service-name', '--service_name')
    assert dual('--host_pattern') == ('--host-pattern', '--host_pattern')
    assert dual('--force') == ('--force',)


def test_underscore_and_dash_spellings_reach_the_same_option(orch: Orch, demo: object) -> None:
    dashed = orch('ps', '--service-name', 'mon', '--daemon-type', 'mon').stdout
    underscored = orch('ps', '--service_name', 'mon', '--daemon_type', 'mon').stdout
    assert dashed == underscored and 'mon.host1' in dashed
