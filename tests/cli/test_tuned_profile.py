"""`orch tuned-profile ...`."""
from __future__ import annotations

import json

from cli_helpers import Orch, assert_clean_failure


def test_tuned_profile_lifecycle(orch: Orch, demo: object) -> None:
    assert orch('tuned-profile', 'apply', 'p1', 'label:osd',
                'vm.swappiness=10,kernel.pid_max=4194304').stdout == 'Saved tuned profile p1\n'
    assert orch('tuned-profile', 'ls').stdout == (
        'profile_name: p1\nplacement: label:osd\nsettings:\n  vm.swappiness: 10\n'
        '  kernel.pid_max: 4194304\n---\n')
    assert orch('tuned-profile', 'add-setting', 'p1', 'vm.dirty_ratio', '5').exit_code == 0
    assert orch('tuned-profile', 'rm-setting', 'p1', 'vm.swappiness').exit_code == 0
    profiles = json.loads(orch('tuned-profile', 'ls', '--format', 'json').stdout)
    assert profiles[0]['settings'] == {'kernel.pid_max': '4194304', 'vm.dirty_ratio': '5'}
    assert orch('tuned-profile', 'rm', 'p1').stdout == 'Removed tuned profile p1\n'
    assert orch('tuned-profile', 'ls').stdout == ''


def test_tuned_profile_defaults_to_every_host_and_reads_yaml(orch: Orch, demo: object) -> None:
    assert orch('tuned-profile', 'apply', 'p2', '--settings', 'a=1').exit_code == 0
    assert 'placement: *' in orch('tuned-profile', 'ls').stdout
    doc = 'profile_name: p3\nplacement:\n  hosts: [host1]\nsettings:\n  b: "2"\n'
    assert orch('tuned-profile', 'apply', '-i', '-', input=doc).exit_code == 0
    assert 'profile_name: p3' in orch('tuned-profile', 'ls').stdout


def test_tuned_profile_errors(orch: Orch, demo: object) -> None:
    assert_clean_failure(orch('tuned-profile', 'apply', 'p', '*', 'novalue'), 22,
                         'settings defined on cli for tuned profile must be of format')
    assert_clean_failure(orch('tuned-profile', 'apply'), 22,
                         'Usage:\n  orch tuned-profile apply -i <yaml spec>')
