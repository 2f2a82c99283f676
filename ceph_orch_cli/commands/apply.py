"""`orch apply`: store a service spec (or many, from YAML) and converge to it.

`orch apply -i FILE` and `orch apply <service_type> [<placement>]` are the group's default
command; the service types with their own arguments (osd, mds, rgw, nfs, iscsi, snmp-gateway,
nvmeof, jaeger, mgmt-gateway, oauth2-proxy, smb) are subcommands, as in Ceph.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, TypeVar

import click

from ceph_orch_cli.commands._common import (ceph_commands, call, refuse_inbuf, emit, flag,
                                            format_option, option, orch_of, progress, read_inbuf,
                                            result_str)
from ceph_orch_cli.commands._common import PLACEMENT_SYNTAX, HelpSection, complete_apply_types, help_sections
from ceph_orch_cli.commands.context import DefaultGroup

F = TypeVar('F', bound=Callable[..., Any])

USAGE = ('Usage:\n'
         '  orch apply -i <yaml spec> [--dry-run]\n'
         '  orch apply <service_type> [--placement=<placement_string>] [--unmanaged]')


def common_options(func: F) -> F:
    """--dry-run, --format, --unmanaged and --no-overwrite, shared by every apply form."""
    func = flag('--no-overwrite', help='Keep an existing spec of the same name')(func)
    func = flag('--unmanaged', help='Store the spec but do not deploy')(func)
    func = format_option(func)
    func = flag('--dry-run', help='Change nothing; print the preview')(func)
    return func


def _placement(positional: Optional[str], named: Optional[str]) -> Any:
    from ceph_orch_cli.deployment.service_spec import PlacementSpec
    return PlacementSpec.from_string(named if named is not None else positional)


def apply_specs(ctx: click.Context, specs: Sequence[Any], dry_run: bool, fmt: str,
                no_overwrite: bool = False, continue_on_error: bool = False) -> None:
    """Ceph's ``_apply_misc``: apply, then (dry-run) plan and render the preview."""
    from ceph_orch_cli import output

    if fmt != 'plain':
        # a format that cannot be printed is refused before anything is stored
        output.to_format([], fmt, many=True)
    orch = orch_of(ctx)
    if dry_run:
        # Ceph's flow: apply the preview_only specs (the backend validates, stores
        # nothing), then plan. A file with host documents is planned as a whole instead
        # (the plan validates every document and stores nothing): a CI job can plan a
        # whole cluster on an empty state dir
        if not any(getattr(s, 'service_type', None) == 'host' for s in specs):
            call(orch.apply(list(specs), no_overwrite=no_overwrite))
        plan = call(orch.plan(list(specs)))
        if fmt == 'plain':
            emit(output.preview_tables(plan))
        else:
            emit(output.to_format(plan, fmt, many=True).rstrip('\n'))
        failed = [x for x in plan if isinstance(x, dict) and x.get('error')]
        if failed:
            from ceph_orch_cli.orchestrator.errors import OrchestratorError
            first = failed[0]
            where = first.get('service_name') or first.get('host') or 'a spec'
            raise OrchestratorError(f"{len(failed)} spec(s) cannot be placed; {where}: "
                                    f"{first['error']}")
        return
    kwargs: Dict[str, Any] = {'no_overwrite': no_overwrite}
    if continue_on_error:
        kwargs['continue_on_error'] = True
    with progress(ctx, fmt):
        result = call(orch.apply(list(specs), **kwargs))
    if fmt == 'plain':
        emit(result_str(result))
    else:
        # scripts asked for a machine format: the backend's messages as one document
        messages = result if isinstance(result, list) else [result]
        emit(output.to_format([str(m) for m in messages], fmt, many=True).rstrip('\n'))


def _apply_help() -> List[HelpSection]:
    from ceph_orch_cli.commands._common import service_type_names
    from ceph_orch_cli.commands.daemon import DAEMON_ADD_TYPES
    return [
        ('Service types', f"SERVICE_TYPE [PLACEMENT]: {', '.join(DAEMON_ADD_TYPES)}. The "
                          f"commands above take the arguments of osd, mds, rgw, nfs, iscsi, "
                          f"nvmeof, snmp-gateway, jaeger, mgmt-gateway, oauth2-proxy and "
                          f"smb. A spec file (-i) may hold: "
                          f"{', '.join(service_type_names())}, and host."),
        ('Placement (PLACEMENT or --placement)', PLACEMENT_SYNTAX),
        ('Examples', (('orch apply mon 3', 'three monitors'),
                      ("orch apply mgr 'host1 host2'", 'a mgr on host1 and one on host2'),
                      ("orch apply crash '*'", 'a crash collector on every host'),
                      ('orch apply rgw foo --placement label:rgw', 'an RGW service'),
                      ('orch apply -i cluster.yaml --dry-run', 'preview a spec file'))),
    ]


@help_sections(_apply_help)
@click.group('apply', cls=DefaultGroup, default_command='spec')
def apply() -> None:
    """Update the size or placement for a service or apply a large yaml spec."""


ceph_commands(apply)


@apply.command('spec', hidden=True)
@click.argument('service_type', required=False, shell_complete=complete_apply_types)
@click.argument('placement', required=False)
@option('--placement', 'placement_opt', default=None, help='Placement string')
@option('--in-file', '-i', 'in_file', default=None,
              help='YAML spec file (- for stdin); many documents allowed')
@common_options
@flag('--continue-on-error', help='Apply the remaining specs when one fails')
@click.pass_context
def apply_spec(ctx: click.Context, service_type: Optional[str], placement: Optional[str],
               placement_opt: Optional[str], in_file: Optional[str], dry_run: bool, fmt: str,
               unmanaged: bool, no_overwrite: bool, continue_on_error: bool) -> None:
    """Apply `-i FILE`, or `<service_type> [<placement>]`."""
    from ceph_orch_cli.orchestrator.errors import OrchestratorValidationError

    inbuf = read_inbuf(in_file)
    if in_file is not None:
        if service_type or placement or placement_opt or unmanaged:
            raise OrchestratorValidationError(USAGE)
        from ceph_orch_cli.deployment.hostspec import HostSpec
        from ceph_orch_cli.deployment.loader import load_specs
        specs = load_specs(inbuf or '', in_file)
        for spec in specs:
            if dry_run and not isinstance(spec, HostSpec):
                spec.preview_only = True
        apply_specs(ctx, specs, dry_run, fmt, no_overwrite, continue_on_error)
        return
    if not service_type:
        raise OrchestratorValidationError(USAGE)
    from ceph_orch_cli.commands.daemon import DAEMON_ADD_TYPES
    from ceph_orch_cli.deployment.service_spec import ServiceSpec
    # Ceph types this word with its ServiceType enum: other kinds need `-i` or a subcommand
    if service_type not in DAEMON_ADD_TYPES:
        raise OrchestratorValidationError(
            f"Invalid command: {service_type} not in {'|'.join(DAEMON_ADD_TYPES)}")
    spec = ServiceSpec(service_type, placement=_placement(placement, placement_opt),
                       unmanaged=unmanaged)
    spec.preview_only = dry_run
    apply_specs(ctx, [spec], dry_run, fmt, no_overwrite)


@apply.command('osd')
@flag('--all-available-devices', help='Create OSDs on every available device')
@format_option
@click.option('--unmanaged', is_flag=True, default=None,
              help='Store the spec but do not create OSDs')
@flag('--dry-run', help='Change nothing; print the preview')
@flag('--no-overwrite', help='Keep an existing spec of the same name')
@click.option('--method', type=click.Choice(['raw', 'lvm']), default=None,
              help='ceph-volume method')
@option('--in-file', '-i', 'in_file', default=None,
              help='OSD spec YAML (deprecated: use `orch apply -i`)')
@click.pass_context
def apply_osd(ctx: click.Context, all_available_devices: bool, fmt: str,
              unmanaged: Optional[bool], dry_run: bool, no_overwrite: bool,
              method: Optional[str], in_file: Optional[str]) -> None:
    """Create OSD daemon(s) on all available devices."""
    from ceph_orch_cli.orchestrator.errors import OrchestratorValidationError

    if in_file is not None and all_available_devices:
        raise OrchestratorValidationError(
            '-i infile and --all-available-devices are mutually exclusive')
    if in_file is None and not all_available_devices:
        raise OrchestratorValidationError('--all-available-devices is required')
    if in_file is not None:
        if unmanaged is not None:
            raise OrchestratorValidationError('-i infile and --unmanaged are mutually exclusive')
        from ceph_orch_cli.deployment.hostspec import SpecValidationError
        from ceph_orch_cli.deployment.loader import load_specs, load_yaml_documents
        text = read_inbuf(in_file) or ''
        try:
            load_yaml_documents(text, in_file)
        except SpecValidationError as e:
            # the deprecated `apply osd -i` words its YAML error its own way
            raise OrchestratorValidationError(f'Invalid YAML received : {e}')
        specs = load_specs(text, in_file)
        for spec in specs:
            if dry_run:
                spec.preview_only = True
        apply_specs(ctx, specs, dry_run, fmt, no_overwrite)
        return
    from ceph_orch_cli.deployment.drive_group import DeviceSelection, DriveGroupSpec
    from ceph_orch_cli.deployment.service_spec import PlacementSpec
    kwargs: Dict[str, Any] = {}
    if method:
        kwargs['method'] = method
    spec = DriveGroupSpec(service_id='all-available-devices',
                          placement=PlacementSpec(host_pattern='*'),
                          data_devices=DeviceSelection(all=True),
                          unmanaged=bool(unmanaged), preview_only=dry_run, **kwargs)
    apply_specs(ctx, [spec], dry_run, fmt, no_overwrite)


@apply.command('mds')
@click.argument('fs_name')
@click.argument('placement', required=False)
@option('--placement', 'placement_opt', default=None, help='Placement string')
@common_options
@click.pass_context
def apply_mds(ctx: click.Context, fs_name: str, placement: Optional[str],
              placement_opt: Optional[str], dry_run: bool, fmt: str, unmanaged: bool,
              no_overwrite: bool) -> None:
    """Update the number of MDS instances for the given fs_name."""
    from ceph_orch_cli.deployment.service_spec import MDSSpec
    spec = MDSSpec(service_type='mds', service_id=fs_name,
                   placement=_placement(placement, placement_opt), unmanaged=unmanaged,
                   preview_only=dry_run)
    spec.validate()
    apply_specs(ctx, [spec], dry_run, fmt, no_overwrite)


@apply.command('rgw')
@click.argument('svc_id')
@click.argument('placement', required=False)
@option('--placement', 'placement_opt', default=None, help='Placement string')
@option('--realm', default=None, help='RGW realm')
@option('--zonegroup', default=None, help='RGW zonegroup')
@option('--zone', default=None, help='RGW zone')
@option('--networks', default=None, help='Comma-separated networks (CIDR) to bind to')
@option('--port', type=int, default=None, help='Frontend port')
@flag('--ssl', help='Serve over SSL')
@common_options
@click.pass_context
def apply_rgw(ctx: click.Context, svc_id: str, placement: Optional[str],
              placement_opt: Optional[str], realm: Optional[str], zonegroup: Optional[str],
              zone: Optional[str], networks: Optional[str], port: Optional[int], ssl: bool,
              dry_run: bool, fmt: str, unmanaged: bool, no_overwrite: bool) -> None:
    """Update the number of RGW instances for the given zone."""
    from ceph_orch_cli.deployment.service_spec import RGWSpec
    from ceph_orch_cli.orchestrator.errors import OrchestratorValidationError
    if realm and not zone:
        raise OrchestratorValidationError('Cannot add RGW: Realm specified but no zone specified')
    if zone and not realm:
        raise OrchestratorValidationError('Cannot add RGW: Zone specified but no realm specified')
    spec = RGWSpec(service_id=svc_id, rgw_realm=realm, rgw_zonegroup=zonegroup, rgw_zone=zone,
                   rgw_frontend_port=port, ssl=ssl,
                   networks=[n.strip() for n in networks.split(',') if n.strip()]
                   if networks else None,
                   placement=_placement(placement, placement_opt), unmanaged=unmanaged,
                   preview_only=dry_run)
    spec.validate()
    apply_specs(ctx, [spec], dry_run, fmt, no_overwrite)


@apply.command('nfs')
@click.argument('svc_id')
@click.argument('placement', required=False)
@option('--placement', 'placement_opt', default=None, help='Placement string')
@format_option
@option('--port', type=int, default=None, help='NFS port')
@flag('--dry-run', help='Change nothing; print the preview')
@flag('--unmanaged', help='Store the spec but do not deploy')
@flag('--no-overwrite', help='Keep an existing spec of the same name')
@click.pass_context
def apply_nfs(ctx: click.Context, svc_id: str, placement: Optional[str],
              placement_opt: Optional[str], fmt: str, port: Optional[int], dry_run: bool,
              unmanaged: bool, no_overwrite: bool) -> None:
    """Scale an NFS service."""
    from ceph_orch_cli.deployment.service_spec import NFSServiceSpec
    spec = NFSServiceSpec(service_id=svc_id, port=port,
                          placement=_placement(placement, placement_opt), unmanaged=unmanaged,
                          preview_only=dry_run)
    spec.validate()
    apply_specs(ctx, [spec], dry_run, fmt, no_overwrite)


@apply.command('iscsi')
@click.argument('pool')
@click.argument('api_user')
@click.argument('api_password')
@click.argument('trusted_ip_list', required=False)
@click.argument('placement', required=False)
@option('--placement', 'placement_opt', default=None, help='Placement string')
@common_options
@click.pass_context
def apply_iscsi(ctx: click.Context, pool: str, api_user: str, api_password: str,
                trusted_ip_list: Optional[str], placement: Optional[str],
                placement_opt: Optional[str], dry_run: bool, fmt: str, unmanaged: bool,
                no_overwrite: bool) -> None:
    """Scale an iSCSI service."""
    from ceph_orch_cli.deployment.service_spec import IscsiServiceSpec
    spec = IscsiServiceSpec(service_id=pool, pool=pool, api_user=api_user,
                            api_password=api_password, trusted_ip_list=trusted_ip_list,
                            placement=_placement(placement, placement_opt),
                            unmanaged=unmanaged, preview_only=dry_run)
    spec.validate()
    apply_specs(ctx, [spec], dry_run, fmt, no_overwrite)


@apply.command('nvmeof')
@click.argument('pool')
@click.argument('group')
@click.argument('placement', required=False)
@option('--placement', 'placement_opt', default=None, help='Placement string')
@common_options
@click.pass_context
def apply_nvmeof(ctx: click.Context, pool: str, group: str, placement: Optional[str],
                 placement_opt: Optional[str], dry_run: bool, fmt: str, unmanaged: bool,
                 no_overwrite: bool) -> None:
    """Scale an NVMeoF service."""
    from ceph_orch_cli.deployment.service_spec import NvmeofServiceSpec
    spec = NvmeofServiceSpec(service_id=f'{pool}.{group}', pool=pool, group=group,
                             placement=_placement(placement, placement_opt),
                             unmanaged=unmanaged, preview_only=dry_run)
    spec.validate()
    apply_specs(ctx, [spec], dry_run, fmt, no_overwrite)


@apply.command('jaeger')
@click.argument('es_nodes', required=False)
@flag('--without-query', help='Deploy no jaeger-query (an existing one is used)')
@option('--placement', 'placement_opt', default=None, help='Placement of the collectors')
@common_options
@click.pass_context
def apply_jaeger(ctx: click.Context, es_nodes: Optional[str], without_query: bool,
                 placement_opt: Optional[str], dry_run: bool, fmt: str, unmanaged: bool,
                 no_overwrite: bool) -> None:
    """Apply jaeger tracing services.

    One command stands for four services, as in Ceph: elasticsearch (left out when
    ES_NODES names an existing one), jaeger-collector (on the placement), jaeger-query
    (left out with --without-query) and a jaeger-agent on every host.
    """
    from ceph_orch_cli.deployment.service_spec import PlacementSpec
    from ceph_orch_cli.deployment.service_spec.tracing import TracingSpec
    spec = TracingSpec(service_type='jaeger-tracing', es_nodes=es_nodes,
                       without_query=without_query,
                       placement=PlacementSpec.from_string(placement_opt)
                       if placement_opt else None,
                       unmanaged=unmanaged, preview_only=dry_run)
    apply_specs(ctx, spec.get_tracing_specs(), dry_run, fmt, no_overwrite)


@apply.command('mgmt-gateway')
@option('--port', type=int, default=None, help='Port nginx listens on (443 when unset)')
@flag('--enable-auth', help='Single sign-on through oauth2-proxy')
@option('--placement', 'placement_opt', default=None, help='Placement string')
@common_options
@click.pass_context
def apply_mgmt_gateway(ctx: click.Context, port: Optional[int], enable_auth: bool,
                       placement_opt: Optional[str], dry_run: bool, fmt: str, unmanaged: bool,
                       no_overwrite: bool) -> None:
    """Add a cluster gateway service (cephadm only).

    Ceph's --disable-https is not offered: a stored spec drops ``ssl: false`` (its JSON
    keeps only set values, as Ceph's does, and the type's default is on), so it would be
    accepted and then lost.
    """
    from ceph_orch_cli.deployment.service_spec.mgmt import MgmtGatewaySpec
    spec = MgmtGatewaySpec(placement=_placement(None, placement_opt), unmanaged=unmanaged,
                           port=port, enable_auth=enable_auth, preview_only=dry_run)
    spec.validate()
    apply_specs(ctx, [spec], dry_run, fmt, no_overwrite)


@apply.command('oauth2-proxy')
@option('--https-address', default=None, help='[IP|hostname]:port oauth2-proxy listens on')
@option('--placement', 'placement_opt', default=None, help='Placement string')
@common_options
@click.pass_context
def apply_oauth2_proxy(ctx: click.Context, https_address: Optional[str],
                       placement_opt: Optional[str], dry_run: bool, fmt: str, unmanaged: bool,
                       no_overwrite: bool) -> None:
    """Add an oauth2-proxy service (cephadm only).

    The identity provider (provider_display_name, client_id, client_secret,
    oidc_issuer_url) has no option, as in Ceph: the spec is refused until a spec file
    (`orch apply -i`) gives them.
    """
    from ceph_orch_cli.deployment.service_spec.mgmt import OAuth2ProxySpec
    spec = OAuth2ProxySpec(placement=_placement(None, placement_opt), unmanaged=unmanaged,
                           https_address=https_address)
    spec.validate()
    apply_specs(ctx, [spec], dry_run, fmt, no_overwrite)


def _words(values: Sequence[str]) -> List[str]:
    """Ceph splits a list option's values on commas as well as taking it many times."""
    return [w for v in values for w in v.replace(',', ' ').split()]


@apply.command('smb')
@click.argument('cluster_id')
@click.argument('config_uri')
@click.argument('placement', required=False)
@option('--features', default='', help='Comma-separated: domain, clustered, cephfs-proxy')
@option('--join-sources', multiple=True, help='URI of a domain join source (repeatable)')
@option('--custom-dns', multiple=True, help='DNS server address (repeatable)')
@option('--include-ceph-users', multiple=True, help='Ceph user keyring to include (repeatable)')
@option('--placement', 'placement_opt', default=None, help='Placement string')
@common_options
@click.pass_context
def apply_smb(ctx: click.Context, cluster_id: str, config_uri: str, placement: Optional[str],
              features: str, join_sources: Sequence[str], custom_dns: Sequence[str],
              include_ceph_users: Sequence[str], placement_opt: Optional[str], dry_run: bool,
              fmt: str, unmanaged: bool, no_overwrite: bool) -> None:
    """Apply an SMB network file system gateway service configuration."""
    from ceph_orch_cli.deployment.service_spec.smb import SMBSpec
    spec = SMBSpec(service_id=cluster_id, cluster_id=cluster_id, config_uri=config_uri,
                   features=_words([features]), join_sources=_words(join_sources),
                   custom_dns=_words(custom_dns),
                   include_ceph_users=_words(include_ceph_users),
                   placement=_placement(placement, placement_opt), unmanaged=unmanaged,
                   preview_only=dry_run)
    apply_specs(ctx, [spec], dry_run, fmt, no_overwrite)


refuse_inbuf(apply_mds, apply_rgw, apply_nfs, apply_iscsi, apply_nvmeof, apply_jaeger)


def _snmp_enum(attr: str, value: Optional[str]) -> Any:
    """Ceph passes its str-enum members; use them when the spec class defines them."""
    if value is None:
        return None
    from ceph_orch_cli.deployment.service_spec import SNMPGatewaySpec
    enum_cls = getattr(SNMPGatewaySpec, attr, None)
    return enum_cls(value) if enum_cls is not None else value


@apply.command('snmp-gateway')
@click.argument('snmp_version', type=click.Choice(['V2c', 'V3']))
@click.argument('destination')
@click.argument('port', type=int, required=False)
@click.argument('engine_id', required=False)
@click.argument('auth_protocol', type=click.Choice(['MD5', 'SHA']), required=False)
@click.argument('privacy_protocol', type=click.Choice(['DES', 'AES']), required=False)
@click.argument('placement', required=False)
@option('--placement', 'placement_opt', default=None, help='Placement string')
@option('--in-file', '-i', 'in_file', default=None,
              help='Credentials YAML file (required)')
@common_options
@click.pass_context
def apply_snmp_gateway(ctx: click.Context, snmp_version: str, destination: str,
                       port: Optional[int], engine_id: Optional[str],
                       auth_protocol: Optional[str], privacy_protocol: Optional[str],
                       placement: Optional[str], placement_opt: Optional[str],
                       in_file: Optional[str], dry_run: bool, fmt: str, unmanaged: bool,
                       no_overwrite: bool) -> None:
    """Add a Prometheus to SNMP gateway service."""
    from ceph_orch_cli.deployment.service_spec import SNMPGatewaySpec
    from ceph_orch_cli.orchestrator.errors import OrchestratorValidationError
    if in_file is None:
        raise OrchestratorValidationError(
            'missing credential configuration file. Retry with -i <filename>')
    from ceph_orch_cli.deployment.hostspec import SpecValidationError
    from ceph_orch_cli.deployment.loader import load_yaml_documents
    try:
        documents = load_yaml_documents(read_inbuf(in_file) or '', in_file)
    except SpecValidationError:
        raise OrchestratorValidationError('credentials file must be valid YAML')
    credentials = documents[0][1] if documents else None
    spec = SNMPGatewaySpec(snmp_version=_snmp_enum('SNMPVersion', snmp_version), port=port,
                           credentials=credentials, snmp_destination=destination,
                           engine_id=engine_id,
                           auth_protocol=_snmp_enum('SNMPAuthType', auth_protocol),
                           privacy_protocol=_snmp_enum('SNMPPrivacyType', privacy_protocol),
                           placement=_placement(placement, placement_opt),
                           unmanaged=unmanaged, preview_only=dry_run)
    spec.validate()
    apply_specs(ctx, [spec], dry_run, fmt, no_overwrite)
