"""`orch client-keyring ls|set|rm`: client keyrings kept on the hosts a placement selects."""
from __future__ import annotations

from typing import Any, Optional

import click

from ceph_orch_cli.commands._common import (ceph_commands, call, emit, flag, format_option,
                                            orch_of, result_str)


def _method(ctx: click.Context, name: str) -> Any:
    method = getattr(orch_of(ctx), name, None)
    if method is None:
        raise NotImplementedError(name)
    return method


@click.group('client-keyring')
def client_keyring() -> None:
    """Client keyrings kept on the hosts of a placement."""


ceph_commands(client_keyring)


@client_keyring.command('ls')
@format_option
@click.pass_context
def ls(ctx: click.Context, fmt: str) -> None:
    """List client keyrings under cephadm management."""
    from ceph_orch_cli import output
    from ceph_orch_cli.cluster.client_keyrings import file_mode_to_str
    specs = call(_method(ctx, 'client_keyring_ls')())
    if fmt != 'plain':
        emit(output.to_format(specs, fmt, many=True).rstrip('\n'))
        return
    table = output.Table(['ENTITY', 'PLACEMENT', 'MODE', 'OWNER', 'PATH'])
    for ks in sorted(specs, key=lambda k: k.entity):
        table.add_row((ks.entity, ks.placement.pretty_str(), file_mode_to_str(ks.mode),
                       f'{ks.uid}:{ks.gid}', ks.path))
    emit(table.get_string())


@client_keyring.command('set')
@click.argument('entity')
@click.argument('placement')
@click.argument('owner', required=False)
@click.argument('mode', required=False)
@flag('--no-ceph-conf', help='Do not put /etc/ceph/ceph.conf beside the keyring')
@click.pass_context
def set_(ctx: click.Context, entity: str, placement: str, owner: Optional[str],
         mode: Optional[str], no_ceph_conf: bool) -> None:
    """Add or update client keyring under cephadm management."""
    emit(result_str(call(_method(ctx, 'client_keyring_set')(entity, placement, owner, mode,
                                                             no_ceph_conf))))


@client_keyring.command('rm')
@click.argument('entity')
@click.pass_context
def rm(ctx: click.Context, entity: str) -> None:
    """Remove client keyring from cephadm management."""
    emit(result_str(call(_method(ctx, 'client_keyring_rm')(entity))))
