"""`orch ssh ...`: the older names of `orch cephadm`'s SSH identity commands.

The same command objects as `commands/cephadm.py` (one implementation): `generate-key`,
`get-pub-key`, `set-priv-key`, `set-pub-key`, `get-signed-cert`, `set-signed-cert`,
`clear-key`, `get-user`, `set-user`, and
`get-config`/`set-config`/`clear-config` for cephadm's `*-ssh-config`. Only `forget-host-key`
is orch's own (orch checks host keys; cephadm does not).
"""
from __future__ import annotations

import click

from ceph_orch_cli.commands import cephadm as _cephadm
from ceph_orch_cli.commands._common import app_of, ceph_commands, emit


@click.group('ssh')
def ssh() -> None:
    """Configure the ssh backend."""


ceph_commands(ssh)

for _name, _command in (('generate-key', _cephadm.generate_key),
                        ('get-pub-key', _cephadm.get_pub_key),
                        ('set-priv-key', _cephadm.set_priv_key),
                        ('set-pub-key', _cephadm.set_pub_key),
                        ('get-signed-cert', _cephadm.get_signed_cert),
                        ('set-signed-cert', _cephadm.set_signed_cert),
                        ('clear-key', _cephadm.clear_key),
                        ('get-user', _cephadm.get_user),
                        ('set-user', _cephadm.set_user),
                        ('get-config', _cephadm.get_ssh_config),
                        ('set-config', _cephadm.set_ssh_config),
                        ('clear-config', _cephadm.clear_ssh_config)):
    ssh.add_command(_command, name=_name)


@ssh.command('forget-host-key')
@click.argument('hostname')
@click.pass_context
def forget_host_key(ctx: click.Context, hostname: str) -> None:
    """Forget a host's recorded SSH host key (after a reinstall); `orch host add` records it again."""
    from ceph_orch_cli.backends.ssh.keys import forget_host_key as forget
    from ceph_orch_cli.orchestrator.errors import OrchestratorError
    import errno
    dropped = forget(app_of(ctx).state_dir, hostname)
    if not dropped:
        raise OrchestratorError(f'No host key recorded for {hostname}', errno=-errno.ENOENT)
    emit(f'Forgot the host key of {hostname} ({", ".join(dropped)})')
