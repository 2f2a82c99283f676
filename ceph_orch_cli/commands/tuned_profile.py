"""`orch tuned-profile ...`: sysctl profiles applied to the hosts of a placement."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import click

from ceph_orch_cli.commands._common import (ceph_commands, call, emit, flag, format_option, option,
                                            orch_of, read_inbuf, result_str)
from ceph_orch_cli.commands._common import complete_tuned_profiles

USAGE = ('Usage:\n'
         '  orch tuned-profile apply -i <yaml spec>\n'
         '  orch tuned-profile apply <profile_name> [--placement=<placement_string>] '
         "[--settings='option=value,option2=value2']")


@click.group('tuned-profile')
def tuned_profile() -> None:
    """Add, list and remove tuned profiles."""


ceph_commands(tuned_profile)


def parse_settings(settings: str) -> Dict[str, str]:
    from ceph_orch_cli.deployment.hostspec import SpecValidationError
    parsed: Dict[str, str] = {}
    for setting in settings.split(','):
        if '=' not in setting:
            raise SpecValidationError('settings defined on cli for tuned profile must be of '
                                      'format "setting_name=value,setting_name2=value2" etc.')
        name, value = setting.split('=', 1)
        parsed[name.strip()] = value.strip()
    return parsed


@tuned_profile.command('apply')
@click.argument('profile_name', required=False, shell_complete=complete_tuned_profiles)
@click.argument('placement', required=False)
@click.argument('settings', required=False)
@option('--placement', 'placement_opt', default=None, help='Placement string (default *)')
@option('--settings', 'settings_opt', default=None, help='option=value,option2=value2')
@flag('--no-overwrite', help='Keep an existing profile of the same name')
@option('--in-file', '-i', 'in_file', default=None, help='Profile YAML (- for stdin)')
@click.pass_context
def apply(ctx: click.Context, profile_name: Optional[str], placement: Optional[str],
          settings: Optional[str], placement_opt: Optional[str], settings_opt: Optional[str],
          no_overwrite: bool, in_file: Optional[str]) -> None:
    """Add or update a tuned profile."""
    from ceph_orch_cli.deployment.service_spec import PlacementSpec
    from ceph_orch_cli.deployment.tuned_profile import TunedProfileSpec
    from ceph_orch_cli.orchestrator.errors import OrchestratorValidationError

    placement = placement_opt if placement_opt is not None else placement
    settings = settings_opt if settings_opt is not None else settings
    specs: List[Any] = []
    if in_file is not None:
        if profile_name or placement or settings:
            raise OrchestratorValidationError(USAGE)
        from ceph_orch_cli.deployment.loader import load_yaml_documents
        docs = [d for _, d in load_yaml_documents(read_inbuf(in_file) or '', in_file)]
        specs = [TunedProfileSpec.from_json(d) for d in docs]
    else:
        if not profile_name:
            raise OrchestratorValidationError(USAGE)
        ps = PlacementSpec.from_string(placement) if placement else PlacementSpec(host_pattern='*')
        specs = [TunedProfileSpec(profile_name=profile_name, placement=ps,
                                  settings=parse_settings(settings) if settings else {})]
    emit(result_str(call(orch_of(ctx).apply_tuned_profiles(specs, no_overwrite))))


@tuned_profile.command('rm')
@click.argument('profile_name', shell_complete=complete_tuned_profiles)
@click.pass_context
def rm(ctx: click.Context, profile_name: str) -> None:
    """Remove a tuned profile."""
    emit(result_str(call(orch_of(ctx).rm_tuned_profile(profile_name))))


@tuned_profile.command('ls')
@format_option
@click.pass_context
def ls(ctx: click.Context, fmt: str) -> None:
    """List tuned profiles."""
    from ceph_orch_cli import output
    profiles = call(orch_of(ctx).tuned_profile_ls())
    if fmt != 'plain':
        emit(output.to_format(profiles, fmt, many=True).rstrip('\n'))
        return
    out = ''
    for p in profiles:
        out += f'profile_name: {p.profile_name}\n'
        out += f'placement: {p.placement.pretty_str()}\n'
        out += 'settings:\n'
        for k, v in p.settings.items():
            out += f'  {k}: {v}\n'
        out += '---\n'
    emit(out.rstrip('\n'))


@tuned_profile.command('add-setting')
@click.argument('profile_name', shell_complete=complete_tuned_profiles)
@click.argument('setting')
@click.argument('value')
@click.pass_context
def add_setting(ctx: click.Context, profile_name: str, setting: str, value: str) -> None:
    """Add or change one setting of a tuned profile."""
    emit(result_str(call(orch_of(ctx).tuned_profile_add_setting(profile_name, setting, value))))


@tuned_profile.command('rm-setting')
@click.argument('profile_name', shell_complete=complete_tuned_profiles)
@click.argument('setting')
@click.pass_context
def rm_setting(ctx: click.Context, profile_name: str, setting: str) -> None:
    """Remove one setting from a tuned profile."""
    emit(result_str(call(orch_of(ctx).tuned_profile_rm_setting(profile_name, setting))))


@tuned_profile.command('add-settings')
@click.argument('profile_name', shell_complete=complete_tuned_profiles)
@click.argument('settings')
@click.pass_context
def add_settings(ctx: click.Context, profile_name: str, settings: str) -> None:
    """Add or change several settings of a tuned profile (option=value,option2=value2)."""
    from ceph_orch_cli.orchestrator.errors import OrchestratorValidationError
    pairs = [s for s in settings.split(',') if s.strip()]
    if not pairs or any('=' not in s for s in pairs):
        raise OrchestratorValidationError(
            "settings must be a comma-separated list of option=value pairs, "
            "e.g. 'vm.swappiness=10,kernel.pid_max=4194304'")
    parsed = {k.strip(): v.strip() for k, v in (s.split('=', 1) for s in pairs)}
    emit(result_str(call(orch_of(ctx).tuned_profile_add_settings(profile_name, parsed))))


@tuned_profile.command('rm-settings')
@click.argument('profile_name', shell_complete=complete_tuned_profiles)
@click.argument('settings')
@click.pass_context
def rm_settings(ctx: click.Context, profile_name: str, settings: str) -> None:
    """Remove several settings from a tuned profile (option,option2)."""
    from ceph_orch_cli.orchestrator.errors import OrchestratorValidationError
    names = [s.strip() for s in settings.split(',') if s.strip()]
    if not names:
        raise OrchestratorValidationError(
            'settings must be a comma-separated list of option names, e.g. vm.swappiness')
    emit(result_str(call(orch_of(ctx).tuned_profile_rm_settings(profile_name, names))))
