"""`orch prometheus ...` and `orch alertmanager ...`: credentials, scrape targets, custom alerts.

As in Ceph, the answers are JSON: `get-credentials` prints the access information
(`user`, `password`, `certificate`) as one JSON document, and the setters print their message
as a JSON string. Credentials come as `<username> <password>` or, to keep them out of the
shell history, as `-i FILE` holding `{"username": ..., "password": ...}`.
"""
from __future__ import annotations

import errno
import json
from typing import Any, Dict, Optional, Tuple

import click

from ceph_orch_cli.commands._common import (call, ceph_commands, emit, option, orch_of,
                                            read_inbuf)
from ceph_orch_cli.commands.context import FORMAT_CHOICES

_CREDENTIALS_JSON_HELP = """
                json provided for credentials did not include all necessary fields.
                Please setup json file as
                {
                    "username": "USERNAME",
                    "password": "PASSWORD"
                }"""


def _invalid(message: str) -> Exception:
    from ceph_orch_cli.orchestrator.errors import OrchestratorValidationError
    return OrchestratorValidationError(message, errno=-errno.EINVAL)


def credentials_from(username: Optional[str], password: Optional[str],
                     inbuf: Optional[str]) -> Tuple[str, str]:
    """Ceph's ``_get_credentials``: the arguments, or the JSON of ``-i``."""
    if inbuf is not None:
        try:
            data = json.loads(inbuf)
            if not isinstance(data, dict):
                raise ValueError('not an object')
            username, password = data.get('username'), data.get('password')
        except ValueError:
            raise _invalid(_CREDENTIALS_JSON_HELP) from None
    if not username or not password:
        raise _invalid('Invalid arguments. Please provide arguments <username> <password> '
                       'or -i <credentials_json_file>')
    return str(username), str(password)


def _print_json_answer(value: Any, fmt: str = 'json') -> None:
    if fmt in ('json', 'plain'):
        emit(json.dumps(value))
    else:
        from ceph_orch_cli import output
        emit(output.to_format(value, fmt, many=False).rstrip('\n'))


def _format_json(func: Any) -> Any:
    return click.option('--format', 'fmt', type=click.Choice(FORMAT_CHOICES), default='json',
                        show_default=True, help='Output format')(func)


def _access_group(name: str, getter: str, setter: str) -> click.Group:
    @click.group(name)
    def group() -> None:
        pass

    group.help = f'Show and set the {name.capitalize()} credentials.'
    ceph_commands(group)

    @group.command('get-credentials')
    @_format_json
    @click.pass_context
    def get_credentials(ctx: click.Context, fmt: str) -> None:
        """Show the user, password and root certificate clients use."""
        info: Dict[str, str] = call(getattr(orch_of(ctx), getter)())
        _print_json_answer(info, fmt)

    @group.command('set-credentials')
    @click.argument('username', required=False)
    @click.argument('password', required=False)
    @option('--in-file', '-i', 'in_file', default=None,
            help='JSON file with "username" and "password" (- for stdin)')
    @click.pass_context
    def set_credentials(ctx: click.Context, username: Optional[str], password: Optional[str],
                        in_file: Optional[str]) -> None:
        """Set the user and password (as arguments or -i FILE)."""
        user, secret = credentials_from(username, password, read_inbuf(in_file))
        _print_json_answer(call(getattr(orch_of(ctx), setter)(user, secret)))

    return group


prometheus = _access_group('prometheus', 'get_prometheus_access_info',
                           'set_prometheus_access_info')
prometheus.help = ('Prometheus access: credentials, multi-cluster scrape targets and custom '
                   'alerts.')
alertmanager = _access_group('alertmanager', 'get_alertmanager_access_info',
                             'set_alertmanager_access_info')


@prometheus.command('set-target')
@click.argument('url')
@click.pass_context
def set_target(ctx: click.Context, url: str) -> None:
    """Add a scrape target (another cluster's Prometheus) and redeploy Prometheus."""
    _print_json_answer(call(orch_of(ctx).set_prometheus_target(url)))


@prometheus.command('remove-target')
@click.argument('url')
@click.pass_context
def remove_target(ctx: click.Context, url: str) -> None:
    """Remove a scrape target added by set-target and redeploy Prometheus."""
    _print_json_answer(call(orch_of(ctx).remove_prometheus_target(url)))


@prometheus.command('set-custom-alerts')
@option('--in-file', '-i', 'in_file', default=None, help='Alerts YAML file (- for stdin)')
@click.pass_context
def set_custom_alerts(ctx: click.Context, in_file: Optional[str]) -> None:
    """Install a custom alerts file and reconfigure the Prometheus daemons."""
    text = read_inbuf(in_file)
    if text is None:
        raise _invalid('No alerts file given: pass -i <alerts_yaml_file>')
    from ceph_orch_cli.deployment.hostspec import SpecValidationError
    from ceph_orch_cli.deployment.loader import load_yaml_documents
    try:
        load_yaml_documents(text, in_file or '<stdin>')
    except SpecValidationError as e:
        raise _invalid(f'Invalid YAML received: {e}') from None
    _print_json_answer(call(orch_of(ctx).set_custom_prometheus_alerts(text)))
