"""`orch osd rm ...`: the removal queue, followed with `serve --once` or `--wait`."""
from __future__ import annotations

import json

from cli_helpers import Orch


def _osd_names(orch: Orch) -> set:
    return {d['daemon_name'] for d in
            json.loads(orch('ps', '--daemon-type', 'osd', '--format', 'json').stdout)}


def test_nothing_queued_is_a_sentence_for_people_and_an_empty_list_for_scripts(
        orch: Orch, demo: object) -> None:
    assert orch('osd', 'rm', 'status').stdout == 'No OSD remove/replace operations reported\n'
    assert json.loads(orch('osd', 'rm', 'status', '--format', 'json').stdout) == []
    assert orch('osd', 'rm', 'status', '--format', 'yaml').stdout == '[]\n'



def test_osd_rm_queues_then_serve_drains_and_removes(orch: Orch, demo: object) -> None:
    result = orch('osd', 'rm', '0')
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith('Scheduled OSD(s) for removal.')
    lines = orch('osd', 'rm', 'status').stdout.splitlines()
    assert lines[0].split() == ['OSD', 'HOST', 'STATE', 'PGS', 'REPLACE', 'FORCE', 'ZAP',
                                'DRAIN', 'STARTED', 'AT']
    assert lines[1].split()[0] == '0'
    host = [d['hostname'] for d in json.loads(orch('ps', '--daemon-type', 'osd', '--format',
                                                    'json').stdout) if d['daemon_id'] == '0']
    assert lines[1].split()[:2] == ['0', host[0]]
    queued = json.loads(orch('osd', 'rm', 'status', '--format', 'json').stdout)
    assert queued[0]['osd_id'] == 0
    assert {'osd_id', 'hostname', 'replace', 'force', 'zap', 'drain_started_at'} <= set(queued[0])
    for _ in range(50):
        if 'osd.0' not in _osd_names(orch):
            break
        assert orch('serve', '--once').exit_code == 0
    assert 'osd.0' not in _osd_names(orch)
    assert orch('osd', 'rm', 'status').stdout == 'No OSD remove/replace operations reported\n'


def test_osd_rm_wait_runs_passes_until_done(orch: Orch, demo: object) -> None:
    result = orch('osd', 'rm', '1', '2', '--zap', '--wait')
    assert result.exit_code == 0, result.stderr
    assert not {'osd.1', 'osd.2'} & _osd_names(orch)


def test_osd_rm_stop_cancels_a_queued_removal(orch: Orch, demo: object) -> None:
    assert orch('osd', 'rm', '3', '--replace').exit_code == 0
    stopped = orch('osd', 'rm', 'stop', '3')
    assert stopped.exit_code == 0 and stopped.stdout.startswith('Stopped OSD(s) removal')
    assert orch('osd', 'rm', 'status').stdout == 'No OSD remove/replace operations reported\n'
    assert 'osd.3' in _osd_names(orch)


def test_osd_rm_unknown_id_is_reported_not_raised(orch: Orch, demo: object) -> None:
    result = orch('osd', 'rm', '77')
    assert result.exit_code == 0
    assert result.stdout == "Unable to find OSDs: ['77']\n"
