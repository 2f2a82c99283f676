"""`orch upgrade ...` on the demo cluster."""
from __future__ import annotations

import json

from cli_helpers import Orch, assert_clean_failure

IDLE = {'target_image': None, 'in_progress': False, 'which': '<unknown>',
        'services_complete': [], 'progress': None, 'message': '', 'is_paused': False}


def test_status_when_idle_is_cephs_json_in_the_clis_key_order(orch: Orch, demo: object) -> None:
    text = orch('upgrade', 'status').stdout
    assert json.loads(text) == IDLE
    assert list(json.loads(text)) == list(IDLE)
    assert text.startswith('{\n    "target_image": null,\n    "in_progress": false,')


def test_a_bare_version_as_image_is_refused_with_a_hint(orch: Orch) -> None:
    for words in (['upgrade', 'start', '18.2.5'], ['upgrade', 'check', 'v18.2.5']):
        version = words[-1].lstrip('v')
        assert_clean_failure(orch(*words), 22,
                             f'Error EINVAL: Error: unable to pull image name `{words[-1]}`.\n'
                             f'  Maybe you meant `--ceph-version {version}`?')


def _status(orch: Orch) -> dict:
    return json.loads(orch('upgrade', 'status').stdout)


def test_upgrade_start_pause_resume_then_serve_finishes_it(orch: Orch, demo: object) -> None:
    started = orch('upgrade', 'start', '--ceph-version', '18.2.5', '--daemon-types', 'mgr,mon')
    assert started.exit_code == 0, started.stderr
    status = _status(orch)
    assert status['in_progress'] is True
    assert status['which'].startswith('Upgrading daemons of type(s) mgr,mon')
    assert orch('upgrade', 'pause').exit_code == 0
    assert _status(orch)['is_paused'] is True
    assert orch('upgrade', 'resume').exit_code == 0
    for _ in range(100):
        if not _status(orch)['in_progress']:
            break
        assert orch('serve', '--once').exit_code == 0
    assert _status(orch)['in_progress'] is False
    mons = json.loads(orch('ps', '--daemon-type', 'mon', '--format', 'json').stdout)
    assert {d['version'] for d in mons} == {'18.2.5'}


def test_upgrade_start_wait_returns_when_done(orch: Orch, demo: object) -> None:
    done = orch('upgrade', 'start', '--ceph-version', '18.2.5', '--services', 'mgr', '--wait')
    assert done.exit_code == 0, done.stderr
    assert _status(orch)['in_progress'] is False
    mgrs = json.loads(orch('ps', '--daemon-type', 'mgr', '--format', 'json').stdout)
    assert {d['version'] for d in mgrs} == {'18.2.5'}


def test_upgrade_stop(orch: Orch, demo: object) -> None:
    assert orch('upgrade', 'start', 'quay.io/ceph/ceph:v18.2.5').exit_code == 0
    assert orch('upgrade', 'stop').exit_code == 0
    assert json.loads(orch('upgrade', 'status').stdout) == IDLE


def test_upgrade_check_and_ls_print_json(orch: Orch, demo: object) -> None:
    check = json.loads(orch('upgrade', 'check', '--ceph-version', '18.2.5').stdout)
    assert 'needs_update' in check and 'up_to_date' in check
    assert isinstance(json.loads(orch('upgrade', 'ls').stdout), dict)
