"""`orch status`, `orch set backend`, `orch pause|resume|cancel` and `orch serve`."""
from __future__ import annotations

import json

import pytest
from cli_helpers import Orch


def test_status_plain_and_json(orch: Orch) -> None:
    result = orch('status')
    assert result.stdout.splitlines()[:2] == ['Backend: local', 'Available: Yes']
    detail = orch('status', '--detail').stdout
    assert 'Host Parallelism: ' in detail
    data = json.loads(orch('status', '--format', 'json').stdout)
    assert data['available'] is True and data['backend'] == 'local'


def test_pause_resume_cancel_print_nothing(orch: Orch) -> None:
    for word in ('pause', 'resume', 'cancel'):
        result = orch(word)
        assert result.exit_code == 0 and result.stdout == '', word
    orch('pause')
    assert 'Paused: Yes' in orch('status').stdout
    orch('resume')
    assert 'Paused: No' in orch('status').stdout


def test_set_backend_is_remembered(orch: Orch) -> None:
    assert orch('set', 'backend', 'local').stdout == ''
    assert orch('status').stdout.startswith('Backend: local')


def test_serve_once_runs_one_pass(orch: Orch, demo: object) -> None:
    result = orch('serve', '--once')
    assert result.exit_code == 0, result.stderr
    for line in result.stdout.splitlines():
        json.loads(line)
    assert 'mon.host1' in orch('ps').stdout


def test_serve_on_a_backend_without_the_engine_is_not_supported(
        orch: Orch, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only engine backends (EngineExtras) have a reconcile loop; others say EOPNOTSUPP."""
    import fake_backend
    monkeypatch.setattr('ceph_orch_cli.backends.load_backend',
                        lambda name, state: fake_backend.FakeCluster())
    result = orch('serve', '--once')
    assert result.exit_code == 95
    assert result.stderr == 'Error EOPNOTSUPP: This Orchestrator does not support `orch serve`\n'
