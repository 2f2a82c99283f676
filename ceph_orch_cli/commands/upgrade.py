"""`orch upgrade ...`: check, start, follow, pause, resume and stop an upgrade."""
from __future__ import annotations

import json
import re
import time
from typing import Any, Callable, Dict, Optional

import click

from ceph_orch_cli.commands.context import FORMAT_CHOICES
from ceph_orch_cli.commands._common import (CephCommand, ceph_commands, call, emit, flag, option,
                                            orch_of, progress, result_str)
from ceph_orch_cli.commands._common import complete_daemon_type_list

#: seconds between reconcile passes while `--wait` follows an upgrade
WAIT_INTERVAL = 0.2

_VERSION_LIKE = re.compile(r'^v?\d+\.\d+\.\d+$')
_PROGRESS = re.compile(r'^(\d+)/(\d+)')


@click.group()
def upgrade() -> None:
    """Check, start and follow an upgrade."""


ceph_commands(upgrade)


def check_image_name(image: Optional[str], ceph_version: Optional[str]) -> None:
    """A bare version given as the image is almost always a mistake for --ceph-version."""
    from ceph_orch_cli.orchestrator.errors import OrchestratorValidationError
    if image and _VERSION_LIKE.match(image) and ceph_version is None:
        version = image[1:] if image.startswith('v') else image
        raise OrchestratorValidationError(
            f'Error: unable to pull image name `{image}`.\n'
            f'  Maybe you meant `--ceph-version {version}`?')


@upgrade.command('check')
@click.argument('image', required=False)
@click.argument('ceph_version', required=False)
@option('--image', 'image_opt', default=None, help='Target image')
@option('--ceph-version', 'version_opt', default=None, help='Target Ceph version')
@click.pass_context
def check(ctx: click.Context, image: Optional[str], ceph_version: Optional[str],
          image_opt: Optional[str], version_opt: Optional[str]) -> None:
    """Check service versions vs available and target containers."""
    image = image_opt or image
    ceph_version = version_opt or ceph_version
    check_image_name(image, ceph_version)
    emit(result_str(call(orch_of(ctx).upgrade_check(image=image, version=ceph_version))))


@upgrade.command('ls')
@click.argument('image', required=False)
@flag('--tags', help='List tags instead of versions')
@flag('--show-all-versions', help='Also list versions older than the running one')
@click.pass_context
def ls(ctx: click.Context, image: Optional[str], tags: bool, show_all_versions: bool) -> None:
    """Check for available versions (or tags) we can upgrade to."""
    emit(json.dumps(call(orch_of(ctx).upgrade_ls(image, tags, show_all_versions)), indent=4))


def status_dict(status: Any) -> Dict[str, Any]:
    """The CLI's own key order (not UpgradeStatusSpec.to_json's)."""
    return {
        'target_image': status.target_image,
        'in_progress': status.in_progress,
        'which': status.which,
        'services_complete': status.services_complete,
        'progress': status.progress,
        'message': status.message,
        'is_paused': status.is_paused,
    }


@upgrade.command('status')
@click.option('--format', 'fmt', type=click.Choice(FORMAT_CHOICES), default=None,
              help='Output format (default: indented JSON)')
@click.pass_context
def status(ctx: click.Context, fmt: Optional[str]) -> None:
    """Check the status of any potential ongoing upgrade operation."""
    report = status_dict(call(orch_of(ctx).upgrade_status()))
    if fmt is None or fmt == 'plain':
        emit(json.dumps(report, indent=4))
        return
    from ceph_orch_cli import output
    emit(output.to_format(report, fmt, many=False).rstrip('\n'))


def wait_for_upgrade(orch: Any, report: Callable[[str, int, int], None]) -> None:
    """Run reconcile passes until the upgrade is no longer in progress (or is paused)."""
    from ceph_orch_cli.orchestrator.engine_extras import engine_extras
    while True:
        st = call(orch.upgrade_status())
        m = _PROGRESS.match(st.progress or '')
        if m:
            report('Upgrading', int(m.group(1)), int(m.group(2)))
        if not st.in_progress or st.is_paused:
            return
        engine_extras(orch).reconcile_pass()
        time.sleep(WAIT_INTERVAL)


@upgrade.command('start')
@click.argument('image', required=False)
@option('--daemon-types', 'daemon_types', default=None, shell_complete=complete_daemon_type_list,
        help='Comma separated daemon types')
@option('--hosts', default=None, help='Placement string of the hosts to upgrade')
@option('--services', default=None, help='Comma separated service names')
@option('--limit', type=int, default=None, help='Upgrade at most this many daemons')
@option('--ceph-version', 'ceph_version', default=None, help='Target Ceph version')
@option('--image', 'image_opt', default=None, help='Target image')
@flag('--wait', help='Run reconcile passes until the upgrade is done')
@click.pass_context
def start(ctx: click.Context, image: Optional[str], daemon_types: Optional[str],
          hosts: Optional[str], services: Optional[str], limit: Optional[int],
          ceph_version: Optional[str], image_opt: Optional[str], wait: bool) -> None:
    """Initiate upgrade."""
    image = image_opt or image
    check_image_name(image, ceph_version)
    dtypes = daemon_types.split(',') if daemon_types is not None else None
    service_names = services.split(',') if services is not None else None
    orch = orch_of(ctx)
    emit(result_str(call(orch.upgrade_start(image, ceph_version, dtypes, hosts, service_names,
                                            limit))))
    if wait:
        with progress(ctx) as report:
            wait_for_upgrade(orch, report)
        st = call(orch.upgrade_status())
        if st.message:
            emit(st.message)


def _simple(name: str, method: str, doc: str) -> click.Command:
    @click.command(name, help=doc, cls=CephCommand)
    @click.pass_context
    def command(ctx: click.Context) -> None:
        emit(result_str(call(getattr(orch_of(ctx), method)())))
    return command


upgrade.add_command(_simple('pause', 'upgrade_pause', 'Pause an in-progress upgrade.'))
upgrade.add_command(_simple('resume', 'upgrade_resume', 'Resume paused upgrade.'))
upgrade.add_command(_simple('stop', 'upgrade_stop', 'Stop an in-progress upgrade.'))
