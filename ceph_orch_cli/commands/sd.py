"""`orch sd dump cert`: the root certificate of the service discovery endpoint, which
Prometheus uses to trust it (cephadm's root CA)."""
from __future__ import annotations

import click

from ceph_orch_cli.commands._common import call, ceph_commands, emit, orch_of, result_str


@click.group()
def sd() -> None:
    """Service discovery."""


ceph_commands(sd)


@sd.group('dump')
def dump() -> None:
    """Dump service discovery data."""


ceph_commands(dump)


@dump.command('cert')
@click.pass_context
def dump_cert(ctx: click.Context) -> None:
    """Print the service discovery root certificate (PEM)."""
    emit(result_str(call(orch_of(ctx).service_discovery_dump_cert())).rstrip('\n'))
