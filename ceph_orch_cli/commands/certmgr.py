"""`orch certmgr ...` (Tentacle's certificate manager) and `orch cert-store ...` (Squid's).

Certificates and keys per certificate name and scope (``cluster/certmgr.py``): list them,
read, set and remove one, set a certificate with its key from one PEM file, check them all,
list the entities that take them, and reload (redeploy the daemons that use them). The
listings print indented ``key: value`` text by default and the same data as JSON/YAML with
``--format``; a missing object is an error unless ``--no-exception-when-missing``.
"""
from __future__ import annotations

import json
from typing import Any, Optional

import click

from ceph_orch_cli.commands._common import (CephCommand, ceph_commands, call, emit, flag, format_option,
                                            option, orch_of, read_inbuf, result_str)


def _method(ctx: click.Context, name: str) -> Any:
    method = getattr(orch_of(ctx), name, None)
    if method is None:
        raise NotImplementedError(name)
    return method


def _listing(data: Any, fmt: str, empty: str) -> None:
    from ceph_orch_cli import output
    from ceph_orch_cli.cluster.certmgr import render_plain
    if fmt != 'plain':
        emit(output.to_format(data, fmt, many=False).rstrip('\n'))
    elif not data:
        emit(empty)
    else:
        emit(render_plain(data))


def _scope_options(func: Any) -> Any:
    func = option('--hostname', default=None, help='The host (host-scoped objects)')(func)
    return option('--service-name', 'service_name', default=None,
                  help='The service (service-scoped objects)')(func)


def _text(value: Optional[str], inbuf: Optional[str]) -> Optional[str]:
    """An object's PEM from its option or, when that is not given, the ``-i`` file."""
    return value if value else read_inbuf(inbuf)


@click.group('certmgr')
def certmgr() -> None:
    """Certificates and keys of cephadm's services (Tentacle's certificate manager)."""


ceph_commands(certmgr)


@certmgr.group('cert')
def cert() -> None:
    """Certificates: ls, get, set, rm, check."""


ceph_commands(cert)


@cert.command('ls')
@flag('--show-details', help='Also the extensions, public key, serial and fingerprint')
@flag('--include-cephadm-signed', help='Also the certificates cephadm signed for itself')
@option('--filter-by', 'filter_by', default='',
        help='KEY=VALUE[,...]: name, scope, status, service, host, signed-by (globs allowed)')
@format_option
@click.pass_context
def cert_ls(ctx: click.Context, show_details: bool, include_cephadm_signed: bool,
            filter_by: str, fmt: str) -> None:
    """List the certificates cephadm manages."""
    data = call(_method(ctx, 'cert_store_cert_ls')(filter_by, show_details,
                                                   include_cephadm_signed))
    _listing(data, fmt, 'No certificates found.')


@cert.command('check')
@format_option
@click.pass_context
def cert_check(ctx: click.Context, fmt: str) -> None:
    """Check every certificate: expired, expiring, invalid, missing or mismatched key."""
    from ceph_orch_cli import output
    problems = call(_method(ctx, 'cert_store_cert_check')())
    emit('\n'.join(problems) if fmt == 'plain'
         else output.to_format(problems, fmt, many=False).rstrip('\n'))


@certmgr.group('cert-key')
def cert_key() -> None:
    """A certificate with its key."""


ceph_commands(cert_key)


@cert_key.command('set')
@click.argument('entity')
@option('--cert', 'cert_text', default=None, help='The certificate (PEM)')
@option('--key', 'key_text', default=None, help='The private key (PEM)')
@option('--cert-name', 'cert_name', default=None,
        help='Which certificate of the entity (when it has several)')
@_scope_options
@flag('--force', help='Store an expired or expiring pair (certificate_check_debug_mode only)')
@click.option('-i', 'inbuf', default=None,
              help='A PEM file with the certificate (and chain) and its private key')
@click.pass_context
def cert_key_set(ctx: click.Context, entity: str, cert_text: Optional[str],
                 key_text: Optional[str], cert_name: Optional[str],
                 service_name: Optional[str], hostname: Optional[str], force: bool,
                 inbuf: Optional[str]) -> None:
    """Sets the cert-key pair from -i <pem-file>, which must be a valid PEM file containing
    both the certificate and the private key."""
    emit(result_str(call(_method(ctx, 'cert_store_set_pair')(
        entity, cert_text, key_text, cert_name, service_name, hostname, force,
        read_inbuf(inbuf)))))


@certmgr.group('key')
def key() -> None:
    """Private keys: ls, get, set, rm."""


ceph_commands(key)


@key.command('ls')
@flag('--include-cephadm-generated-keys', help='Also the keys cephadm generated')
@format_option
@click.pass_context
def key_ls(ctx: click.Context, include_cephadm_generated_keys: bool, fmt: str) -> None:
    """List the private keys (type and size; never the keys themselves)."""
    _listing(call(_method(ctx, 'cert_store_key_ls')(include_cephadm_generated_keys)), fmt,
             'No keys found.')


@certmgr.group('entity')
def entity() -> None:
    """The entities (service types) that take certificates."""


ceph_commands(entity)


@entity.command('ls')
@format_option
@click.pass_context
def entity_ls(ctx: click.Context, fmt: str) -> None:
    """List the entities, their scope, certificate and key names, and where they run."""
    from ceph_orch_cli import output
    data = call(_method(ctx, 'cert_store_entity_ls')())
    if fmt != 'plain':
        emit(output.to_format(data, fmt, many=False).rstrip('\n'))
        return
    table = output.Table(['ENTITY', 'SCOPE', 'CERTIFICATES', 'KEYS', 'TARGETS'])
    for name, e in data.items():
        table.add_row((name, e['scope'], ','.join(e['certificates']), ','.join(e['keys']),
                       ','.join(e['targets']) or '-'))
    emit(table.get_string())


@certmgr.command('generate-certificates')
@click.argument('module_name')
@click.pass_context
def generate_certificates(ctx: click.Context, module_name: str) -> None:
    """A certificate and key signed by cephadm's root CA for a mgr module (JSON)."""
    emit(json.dumps(call(_method(ctx, 'generate_certificates')(module_name))))


@certmgr.command('reload')
@format_option
@click.pass_context
def reload(ctx: click.Context, fmt: str) -> None:
    """Re-read the store and redeploy the daemons that use its certificates."""
    from ceph_orch_cli import output
    answer = call(_method(ctx, 'cert_store_reload')())
    emit(answer if fmt == 'plain' else output.to_format(answer, fmt, many=False).rstrip('\n'))


# -- Squid's cert-store --------------------------------------------------------------------
@click.group('cert-store')
def cert_store() -> None:
    """Squid's certificate store (`orch certmgr` in Tentacle)."""


ceph_commands(cert_store)


@cert_store.group('cert')
def store_cert() -> None:
    """Certificates."""


ceph_commands(store_cert)


@store_cert.command('ls')
@format_option
@click.pass_context
def store_cert_ls(ctx: click.Context, fmt: str) -> None:
    """List the certificates."""
    _listing(call(_method(ctx, 'cert_store_cert_ls')()), fmt, 'No certificates found.')


@cert_store.group('key')
def store_key() -> None:
    """Private keys."""


ceph_commands(store_key)


@store_key.command('ls')
@format_option
@click.pass_context
def store_key_ls(ctx: click.Context, fmt: str) -> None:
    """List the private keys (type and size)."""
    _listing(call(_method(ctx, 'cert_store_key_ls')()), fmt, 'No keys found.')


@cert_store.group('get')
def store_get() -> None:
    """Print a certificate or a key."""


ceph_commands(store_get)


# -- get, set and rm: the same three commands for certificates and for keys -----------------
_WHAT = {'cert': 'certificate', 'key': 'private key'}
_SET_HELP = {'cert': 'Sets the cert from the --cert argument or from -i <cert-file>.',
             'key': 'Sets the key from the --key argument or from -i <key-file>.'}


def _get_command(kind: str, argument: str) -> click.Command:
    method = f'cert_store_get_{kind}'

    @click.command('get' if argument != 'entity' else kind, cls=CephCommand,
                   help=f'Print a {_WHAT[kind]} (PEM).')
    @click.argument(argument)
    @_scope_options
    @flag('--no-exception-when-missing', help='Print nothing (exit 0) when it is not set')
    @click.pass_context
    def command(ctx: click.Context, service_name: Optional[str], hostname: Optional[str],
                no_exception_when_missing: bool, **name: str) -> None:
        emit(call(_method(ctx, method)(name[argument], service_name, hostname,
                                       no_exception_when_missing)).rstrip('\n'))
    return command


def _set_command(kind: str) -> click.Command:
    method = f'cert_store_set_{kind}'

    @click.command('set', cls=CephCommand, help=_SET_HELP[kind])
    @click.argument(f'{kind}_name')
    @option(f'--{kind}', 'text', default=None, help=f'The {_WHAT[kind]} (PEM)')
    @_scope_options
    @click.option('-i', 'inbuf', default=None, help=f'File with the {_WHAT[kind]} (- for stdin)')
    @click.pass_context
    def command(ctx: click.Context, text: Optional[str], service_name: Optional[str],
                hostname: Optional[str], inbuf: Optional[str], **name: str) -> None:
        emit(result_str(call(_method(ctx, method)(name[f'{kind}_name'], _text(text, inbuf),
                                                  service_name, hostname))))
    return command


def _rm_command(kind: str) -> click.Command:
    method = f'cert_store_rm_{kind}'

    @click.command('rm', cls=CephCommand, help=f'Remove a {_WHAT[kind]}.')
    @click.argument(f'{kind}_name')
    @_scope_options
    @click.pass_context
    def command(ctx: click.Context, service_name: Optional[str], hostname: Optional[str],
                **name: str) -> None:
        emit(result_str(call(_method(ctx, method)(name[f'{kind}_name'], service_name,
                                                  hostname))))
    return command


for _kind, _group in (('cert', cert), ('key', key)):
    _group.add_command(_get_command(_kind, f'{_kind}_name'))
    _group.add_command(_set_command(_kind))
    _group.add_command(_rm_command(_kind))
store_get.add_command(_get_command('cert', 'entity'))
store_get.add_command(_get_command('key', 'entity'))
