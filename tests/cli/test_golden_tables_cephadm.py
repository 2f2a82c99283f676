"""Golden tables of cephadm's own listings: `orch client-keyring ls` and `orch cephadm
config-check ls`, cell for cell against Ceph's PrettyTable (border off, every column
left-aligned, padding 0 left and 2 right, the last cell padded too).

They have no ages in them, so the demo cluster on the local backend is fixed enough.
"""
from __future__ import annotations

from typing import List

from cli_helpers import Orch


def padded_block(text: str) -> List[str]:
    """Every line of one borderless table has the header's length; right-stripped."""
    lines = text.rstrip('\n').split('\n')
    assert len({len(line) for line in lines}) == 1, lines
    assert all(line.endswith('  ') for line in lines)
    return [line.rstrip() for line in lines]


def test_client_keyring_ls(orch: Orch, demo: object) -> None:
    for words in (['client.admin', 'label:_admin'], ['client.foo', 'host1 host2', '--mode', '640'],
                  ['client.bar', '*', '0:0', '600']):
        result = orch('client-keyring', 'set', *words)
        assert result.exit_code == 0, result.stderr
    result = orch('client-keyring', 'ls')
    assert result.exit_code == 0
    assert padded_block(result.stdout) == [
        'ENTITY        PLACEMENT     MODE       OWNER  PATH',
        'client.admin  label:_admin  rw-------  0:0    /etc/ceph/ceph.client.admin.keyring',
        'client.bar    *             rw-------  0:0    /etc/ceph/ceph.client.bar.keyring',
        'client.foo    host1;host2   rw-r-----  0:0    /etc/ceph/ceph.client.foo.keyring',
    ]


def test_config_check_ls(orch: Orch, demo: object) -> None:
    assert orch('cephadm', 'config-check', 'disable', 'osd_linkspeed').exit_code == 0
    result = orch('cephadm', 'config-check', 'ls')
    assert result.exit_code == 0
    lines = padded_block(result.stdout)
    assert lines[0].split() == ['NAME', 'HEALTHCHECK', 'STATUS', 'DESCRIPTION']
    assert lines[0].index('HEALTHCHECK') == len('kernel_security  ')
    assert lines[1:3] == [
        'kernel_security  CEPHADM_CHECK_KERNEL_LSM         enabled   checks SELINUX/Apparmor '
        'profiles are consistent across cluster hosts',
        'os_subscription  CEPHADM_CHECK_SUBSCRIPTION       enabled   checks subscription states '
        'are consistent for all cluster hosts',
    ]
    assert lines[5] == ('osd_linkspeed    CEPHADM_CHECK_LINKSPEED          disabled  check that '
                        'OSD hosts share a common linkspeed')
    assert [line.split()[0] for line in lines[1:]] == [
        'kernel_security', 'os_subscription', 'public_network', 'osd_mtu_size',
        'osd_linkspeed', 'network_missing', 'ceph_release', 'kernel_version']
