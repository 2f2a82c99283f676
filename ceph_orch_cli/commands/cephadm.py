"""`orch cephadm ...`: Ceph's `ceph cephadm` commands, and the daemon runtime.

- the SSH identity (`generate-key`, `get-pub-key`, `set-priv-key`, `set-pub-key`,
  `get-signed-cert`, `set-signed-cert` (a CA-signed certificate of the key), `clear-key`, `get-user`, `set-user`, `get-ssh-config`, `set-ssh-config`,
  `clear-ssh-config`): files in the state dir (``backends.ssh.keys``), usable before `orch set
  backend ssh`; `orch ssh ...` registers these same commands under its older names;
- hosts (`check-host`, `prepare-host`, `registry-login`, `osd activate`), the extra ceph.conf
  text, the configuration checker (`config-check ls|status|enable|disable`) and the daemons'
  systemd units (`systemd-unit ls`): the backend's engine (``cluster/cephadm_ops.py``);
- `set-runtime`/`get-runtime`: how the SSH backend's hosts run daemons (container or package);
- the cluster's own state (`attach`, `export-state`, `import-state`): see
  ``backends/ssh/shared_state.py``.
"""
from __future__ import annotations

import errno
from typing import Any, Optional, Tuple

import click

from ceph_orch_cli.commands._common import (CephCommand, app_of, call, ceph_commands,
                                            complete_hosts, emit, format_option, option,
                                            orch_of, progress, read_inbuf, result_str)
from ceph_orch_cli.commands.context import FORMAT_CHOICES


def _backend(ctx: click.Context, method: str, lacks: str = 'has no daemon runtime to set'):
    """The SSH backend's ``method``; another backend is refused (EOPNOTSUPP) saying what
    it ``lacks``."""
    orch = orch_of(ctx)
    if not hasattr(orch, method):
        from ceph_orch_cli.orchestrator.errors import OrchestratorError
        raise OrchestratorError(
            f"the {app_of(ctx).backend_name()} backend {lacks} (use --backend ssh)", errno=-95)
    return getattr(orch, method)


def _engine(ctx: click.Context, method: str) -> Any:
    """A `ceph cephadm` method of the backend; a backend without it does not support it."""
    found = getattr(orch_of(ctx), method, None)
    if found is None:
        raise NotImplementedError(method)
    return found


def _files(ctx: click.Context):
    from ceph_orch_cli.backends.ssh.keys import SSHFiles
    return SSHFiles(app_of(ctx).state_dir)


def _error(message: str, code: int = errno.EINVAL) -> Exception:
    from ceph_orch_cli.orchestrator.errors import OrchestratorError
    return OrchestratorError(message, errno=-code)


@click.group('cephadm')
def cephadm() -> None:
    """The cephadm backend: hosts, SSH identity, registry, config checks."""


ceph_commands(cephadm)


# --------------------------------------------------------------------------- runtime

@cephadm.command('set-runtime', cls=CephCommand)
@click.argument('runtime', type=click.Choice(['container', 'package']))
@click.pass_context
def set_runtime(ctx: click.Context, runtime: str) -> None:
    """How hosts run daemons: container (podman/docker) or package (Ceph's packages)."""
    emit(_backend(ctx, 'set_runtime')(runtime))


@cephadm.command('get-runtime', cls=CephCommand)
@click.pass_context
def get_runtime(ctx: click.Context) -> None:
    """Show the daemon runtime."""
    emit(_backend(ctx, 'runtime')())


# -- the cluster's own state: attach, export-state, import-state --------------------------------
def _state_backend(ctx: click.Context, method: str):
    return _backend(ctx, method, 'keeps its state in its state dir, not in a cluster')


@cephadm.command('attach', cls=CephCommand)
@click.argument('hostname')
@click.argument('addr', required=False)
@click.pass_context
def attach(ctx: click.Context, hostname: str, addr: Optional[str]) -> None:
    """Cache the state of the cluster reached through HOST (an _admin host) in this state dir."""
    emit(_state_backend(ctx, 'attach_cluster')(hostname, addr))


@cephadm.command('export-state', cls=CephCommand)
@click.option('-o', '--output', 'output', default=None, help='Write to FILE (mode 0600)')
@click.pass_context
def export_state(ctx: click.Context, output: Optional[str]) -> None:
    """Print (or write) the whole orch state of the cluster as JSON, for backup."""
    import os
    text = _state_backend(ctx, 'export_state')()
    if output is None:
        emit(text)
        return
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write(text + '\n')
    emit(f"Wrote the state to {output}")


@cephadm.command('import-state', cls=CephCommand)
@click.option('-i', '--in-file', 'in_file', required=True, help='An export-state file (- for stdin)')
@click.pass_context
def import_state(ctx: click.Context, in_file: str) -> None:
    """Replace the orch state with an export-state file."""
    from ceph_orch_cli.commands._common import read_inbuf
    emit(_state_backend(ctx, 'import_state')(read_inbuf(in_file) or ''))
# --------------------------------------------------------------------------- SSH identity

@cephadm.command('generate-key')
@click.pass_context
def generate_key(ctx: click.Context) -> None:
    """Generate a cluster SSH key (if not present)."""
    from ceph_orch_cli.backends.ssh import keys
    files = _files(ctx)
    if files.missing_keys():
        keys.generate_key(files)


@cephadm.command('get-pub-key')
@click.pass_context
def get_pub_key(ctx: click.Context) -> None:
    """Show SSH public key for connecting to cluster hosts."""
    from ceph_orch_cli.backends.ssh import keys
    emit(keys.get_public_key(_files(ctx)))


def _key_input(inbuf: str, what: str) -> str:
    text = read_inbuf(inbuf) or ''
    if not text.strip():
        raise _error(f'the {what} file is empty')
    return text


def _unchanged(path: Any, text: str, strip: bool = True) -> bool:
    """Whether ``path`` already holds ``text``; cephadm then answers ``value unchanged``."""
    same = path.exists() and (path.read_text().strip() == text.strip() if strip
                              else path.read_text() == text)
    if same:
        emit('value unchanged')
    return bool(same)


def _set_key(ctx: click.Context, inbuf: str, public: bool) -> None:
    """`set-priv-key`/`set-pub-key -i FILE`: an unchanged key is said so, an empty file
    refused; a private key brings its public key, a public key must match the private one."""
    from ceph_orch_cli.backends.ssh import keys
    files = _files(ctx)
    what = 'public key' if public else 'private key'
    text = _key_input(inbuf, what)
    if _unchanged(files.public_key if public else files.private_key, text):
        return
    (keys.set_public_key if public else keys.set_private_key)(files, text)
    emit(f'Set ssh {what}')


@cephadm.command('set-priv-key')
@click.option('-i', 'inbuf', required=True, help='File with the private key (- for stdin)')
@click.pass_context
def set_priv_key(ctx: click.Context, inbuf: str) -> None:
    """Set cluster SSH private key (the public key is derived from it)."""
    _set_key(ctx, inbuf, public=False)


@cephadm.command('set-pub-key')
@click.option('-i', 'inbuf', required=True, help='File with the public key (- for stdin)')
@click.pass_context
def set_pub_key(ctx: click.Context, inbuf: str) -> None:
    """Set cluster SSH public key (it must match the private key)."""
    _set_key(ctx, inbuf, public=True)


@cephadm.command('get-signed-cert')
@click.pass_context
def get_signed_cert(ctx: click.Context) -> None:
    """Show SSH signed cert for connecting to cluster hosts using CA signed keys."""
    from ceph_orch_cli.backends.ssh import keys
    emit(keys.get_signed_cert(_files(ctx)))


@cephadm.command('set-signed-cert')
@click.option('-i', 'inbuf', required=True, help='The key\'s id-cert.pub (- for stdin)')
@click.pass_context
def set_signed_cert(ctx: click.Context, inbuf: str) -> None:
    """Set a signed cert if CA signed keys are being used (use -i <cert_filename>)."""
    from ceph_orch_cli.backends.ssh import keys
    files = _files(ctx)
    text = read_inbuf(inbuf) or ''
    if not text.strip():
        raise _error('empty cert file provided')
    if not _unchanged(files.certificate, text):
        keys.set_signed_cert(files, text)


@cephadm.command('clear-key')
@click.pass_context
def clear_key(ctx: click.Context) -> None:
    """Clear cluster SSH key (and its signed cert)."""
    from ceph_orch_cli.backends.ssh import keys
    keys.clear_key(_files(ctx))


@cephadm.command('get-user')
@click.pass_context
def get_user(ctx: click.Context) -> None:
    """Show user for SSHing to cluster hosts."""
    emit(_files(ctx).user())


@cephadm.command('set-user')
@click.argument('user')
@click.pass_context
def set_user(ctx: click.Context, user: str) -> None:
    """Set user for SSHing to cluster hosts (non-root users run commands with `sudo -n`)."""
    from ceph_orch_cli.backends.ssh import keys
    files = _files(ctx)
    if files.user_file.exists() and files.user() == user:
        emit('value unchanged')
        return
    keys.set_user(files, user)
    note = '' if user == 'root' else '. sudo will be used'
    emit(f'ssh user set to {user}{note}')


@cephadm.command('get-ssh-config')
@click.pass_context
def get_ssh_config(ctx: click.Context) -> None:
    """Show the ssh client config in use (the defaults when none is set)."""
    from ceph_orch_cli.backends.ssh import keys
    files = _files(ctx)
    text = keys.get_config(files) if files.config_path() else keys.default_config(files)
    emit(text.rstrip('\n'))


@cephadm.command('set-ssh-config')
@click.option('-i', 'inbuf', required=True, help='OpenSSH-style client config file (- for stdin)')
@click.pass_context
def set_ssh_config(ctx: click.Context, inbuf: str) -> None:
    """Set the ssh_config file (User, Port, IdentityFile, ConnectTimeout, ...)."""
    from ceph_orch_cli.backends.ssh import keys
    files = _files(ctx)
    text = read_inbuf(inbuf) or ''
    if not _unchanged(files.config, text, strip=False):
        keys.set_config(files, text)


@cephadm.command('clear-ssh-config')
@click.pass_context
def clear_ssh_config(ctx: click.Context) -> None:
    """Clear the ssh_config file."""
    from ceph_orch_cli.backends.ssh import keys
    keys.clear_config(_files(ctx))


# --------------------------------------------------------------------------- hosts

@cephadm.command('check-host')
@click.argument('host', shell_complete=complete_hosts)
@click.argument('addr', required=False)
@click.pass_context
def check_host(ctx: click.Context, host: str, addr: Optional[str]) -> None:
    """Check whether we can access and manage a remote host."""
    emit(result_str(call(_engine(ctx, 'check_host')(host, addr))))


@cephadm.command('prepare-host')
@click.argument('host', shell_complete=complete_hosts)
@click.argument('addr', required=False)
@click.pass_context
def prepare_host(ctx: click.Context, host: str, addr: Optional[str]) -> None:
    """Prepare a remote host for use with cephadm."""
    emit(result_str(call(_engine(ctx, 'prepare_host')(host, addr))))


@cephadm.command('registry-login')
@click.argument('url', required=False)
@click.argument('username', required=False)
@click.argument('password', required=False)
@click.option('-i', 'inbuf', default=None, help='JSON file with url, username and password')
@click.pass_context
def registry_login(ctx: click.Context, url: Optional[str], username: Optional[str],
                   password: Optional[str], inbuf: Optional[str]) -> None:
    """Set custom registry login info (url username password, or -i <json file>)."""
    text = read_inbuf(inbuf)
    emit(result_str(call(_engine(ctx, 'registry_login')(url, username, password, text))))


@cephadm.group('osd')
def osd() -> None:
    """OSDs that exist on the hosts' devices."""


ceph_commands(osd)


@osd.command('activate')
@click.argument('host', nargs=-1, required=True, shell_complete=complete_hosts)
@click.pass_context
def osd_activate(ctx: click.Context, host: Tuple[str, ...]) -> None:
    """Start OSD containers for existing OSDs."""
    with progress(ctx):
        emit(result_str(call(_engine(ctx, 'osd_activate')(list(host)))))


@cephadm.group('systemd-unit')
def systemd_unit() -> None:
    """The systemd units of the daemons."""


ceph_commands(systemd_unit)


@systemd_unit.command('ls')
@click.argument('hostname', required=False, shell_complete=complete_hosts)
@click.argument('daemon_type', required=False)
@click.argument('daemon_id', required=False)
@click.option('--format', 'fmt', type=click.Choice(FORMAT_CHOICES), default='json-pretty',
              show_default=True, help='Output format (plain: a table)')
@click.pass_context
def systemd_unit_ls(ctx: click.Context, hostname: Optional[str], daemon_type: Optional[str],
                    daemon_id: Optional[str], fmt: str) -> None:
    """List the systemd units of the daemons on each host (from the daemon cache)."""
    from ceph_orch_cli import output
    hosts = call(_engine(ctx, 'systemd_unit_ls')(hostname, daemon_type, daemon_id))
    if fmt != 'plain':
        emit(output.to_format(hosts, fmt, many=False).rstrip('\n'))
        return
    table = output.Table(['HOST', 'UNIT', 'DAEMON', 'STATE'])
    for host, units in hosts.items():
        states = {u['state'] for u in units['units'].values()}
        table.add_row((host, units['target'], '-', 'active' if 'active' in states else 'inactive'))
        for name, unit in output.natsorted(list(units['units'].items()), key=lambda kv: kv[0]):
            table.add_row((host, unit['unit'], name, unit['state']))
    emit(table.get_string())


# --------------------------------------------------------------------------- ceph.conf

@cephadm.command('set-extra-ceph-conf')
@option('--in-file', '-i', 'inbuf', default=None, help='Text to append (- for stdin)')
@click.pass_context
def set_extra_ceph_conf(ctx: click.Context, inbuf: Optional[str]) -> None:
    """Text that is appended to all daemons' ceph.conf (a workaround; use with care)."""
    emit(result_str(call(_engine(ctx, 'set_extra_ceph_conf')(read_inbuf(inbuf)))))


@cephadm.command('get-extra-ceph-conf')
@click.pass_context
def get_extra_ceph_conf(ctx: click.Context) -> None:
    """Get extra ceph conf that is appended."""
    emit(result_str(call(_engine(ctx, 'get_extra_ceph_conf')())).rstrip('\n'))


# --------------------------------------------------------------------------- config checks

@cephadm.group('config-check')
def config_check() -> None:
    """cephadm's configuration checks across the hosts."""


ceph_commands(config_check)


@config_check.command('ls')
@format_option
@click.pass_context
def config_check_ls(ctx: click.Context, fmt: str) -> None:
    """List the available configuration checks and their current state."""
    from ceph_orch_cli import output
    if fmt not in ('plain', 'json', 'json-pretty'):
        raise _error('Requested format is not supported when listing configuration checks',
                     errno.EPERM)
    checks = call(_engine(ctx, 'config_checks')())
    if fmt != 'plain':
        emit(output.to_format(checks, fmt, many=True))
        return
    table = output.Table(['NAME', 'HEALTHCHECK', 'STATUS', 'DESCRIPTION'])
    for c in checks:
        table.add_row((c['name'], c['healthcheck_name'], c['status'], c['description']))
    emit(table.get_string())


@config_check.command('status')
@click.pass_context
def config_check_status(ctx: click.Context) -> None:
    """Show whether the configuration checker feature is enabled/disabled (and, when it is,
    the health warnings its checks raise)."""
    from ceph_orch_cli.commands.status import health_lines
    if not call(_engine(ctx, 'config_checks_enabled')()):
        emit('Disabled')
        return
    raised = call(_engine(ctx, 'config_check_health')())
    emit('Enabled' + ('\n' + health_lines(raised) if raised else ''))


@config_check.command('set-enabled', cls=CephCommand)
@click.argument('enabled', type=click.Choice(['true', 'false']))
@click.pass_context
def config_check_set_enabled(ctx: click.Context, enabled: str) -> None:
    """Turn the configuration checker on or off (Ceph: `ceph config set mgr
    mgr/cephadm/config_checks_enabled true`)."""
    emit(result_str(call(_engine(ctx, 'set_config_checks_enabled')(enabled == 'true'))))


def _set_check(status: str) -> click.Command:
    @click.command('enable' if status == 'enabled' else 'disable', cls=CephCommand,
                   help=f"{'Enable' if status == 'enabled' else 'Disable'} a specific "
                        "configuration check.")
    @click.argument('check_name')
    @click.pass_context
    def command(ctx: click.Context, check_name: str) -> None:
        emit(result_str(call(_engine(ctx, 'set_config_check')(check_name, status))))
    return command


config_check.add_command(_set_check('enabled'))
config_check.add_command(_set_check('disabled'))
