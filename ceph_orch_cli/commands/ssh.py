"""`orch ssh ...`: the SSH backend's identity, user, client config and host keys.

Thin: every command calls ``backends.ssh.keys`` (or the known_hosts helper) on the state dir
and prints the answer. Nothing here needs the backend to be selected, so the key can be set up
before `orch set backend ssh`.
"""
from __future__ import annotations

import click

from ceph_orch_cli.commands._common import ceph_commands, app_of, emit, read_inbuf


def _files(ctx: click.Context):
    from ceph_orch_cli.backends.ssh.keys import SSHFiles
    return SSHFiles(app_of(ctx).state_dir)


@click.group('ssh')
def ssh() -> None:
    """Configure the ssh backend."""


ceph_commands(ssh)


@ssh.command('generate-key')
@click.pass_context
def generate_key(ctx: click.Context) -> None:
    """Generate a cluster SSH key (ed25519)."""
    from ceph_orch_cli.backends.ssh import keys
    keys.generate_key(_files(ctx))


@ssh.command('get-pub-key')
@click.pass_context
def get_pub_key(ctx: click.Context) -> None:
    """Show the SSH public key to put in authorized_keys on each host."""
    from ceph_orch_cli.backends.ssh import keys
    emit(keys.get_public_key(_files(ctx)))


@ssh.command('set-priv-key')
@click.option('-i', 'inbuf', required=True, help='File with the private key (- for stdin)')
@click.pass_context
def set_priv_key(ctx: click.Context, inbuf: str) -> None:
    """Set the SSH private key (the public key is derived from it)."""
    from ceph_orch_cli.backends.ssh import keys
    keys.set_private_key(_files(ctx), read_inbuf(inbuf) or '')
    emit('Set ssh private key')


@ssh.command('set-pub-key')
@click.option('-i', 'inbuf', required=True, help='File with the public key (- for stdin)')
@click.pass_context
def set_pub_key(ctx: click.Context, inbuf: str) -> None:
    """Set the SSH public key (it must match the private key)."""
    from ceph_orch_cli.backends.ssh import keys
    keys.set_public_key(_files(ctx), read_inbuf(inbuf) or '')
    emit('Set ssh public key')


@ssh.command('set-user')
@click.argument('user')
@click.pass_context
def set_user(ctx: click.Context, user: str) -> None:
    """Set the user to connect as (non-root users run commands with `sudo -n`)."""
    from ceph_orch_cli.backends.ssh import keys
    keys.set_user(_files(ctx), user)
    note = '' if user == 'root' else '. sudo will be used'
    emit(f'ssh user set to {user}{note}')


@ssh.command('set-config')
@click.option('-i', 'inbuf', required=True, help='OpenSSH-style client config file (- for stdin)')
@click.pass_context
def set_config(ctx: click.Context, inbuf: str) -> None:
    """Set the ssh client config (User, Port, IdentityFile, ConnectTimeout, ...)."""
    from ceph_orch_cli.backends.ssh import keys
    keys.set_config(_files(ctx), read_inbuf(inbuf) or '')


@ssh.command('get-config')
@click.pass_context
def get_config(ctx: click.Context) -> None:
    """Show the ssh client config in use."""
    from ceph_orch_cli.backends.ssh import keys
    emit(keys.get_config(_files(ctx)).rstrip('\n'))


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
