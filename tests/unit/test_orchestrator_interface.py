"""The Orchestrator interface as backends and callers see it (Ceph's ``orchestrator`` package)."""
from __future__ import annotations

import errno
import inspect
from typing import Any, List

import pytest

from ceph_orch_cli.orchestrator import (NoOrchestrator, Orchestrator, OrchestratorClientMixin,
                                        OrchestratorError, OrchestratorValidationError,
                                        OrchResult, handle_orch_error, raise_if_exception)

# Every method the seed (Ceph's "ceph-mgr orchestrator modules" page) lists, as it lists it.
SEED_SIGNATURES = """
add_daemon(spec)
add_host(host_spec)
add_host_label(host, label)
apply(specs, no_overwrite=False, continue_on_error=False)
apply_alertmanager(spec)
apply_alloy(spec)
apply_ceph_exporter(spec)
apply_crash(spec)
apply_drivegroups(specs)
apply_grafana(spec)
apply_ingress(spec)
apply_iscsi(spec)
apply_loki(spec)
apply_mds(spec)
apply_mgmt_gateway(spec)
apply_mgr(spec)
apply_mon(spec)
apply_nfs(spec)
apply_node_exporter(spec)
apply_nvmeof(spec)
apply_oauth2_proxy(spec)
apply_prometheus(spec)
apply_promtail(spec)
apply_rbd_mirror(spec)
apply_rgw(spec)
apply_smb(spec)
apply_snmp_gateway(spec)
apply_tuned_profiles(specs, no_overwrite)
available()
blink_device_light(ident_fault, on, locations)
cancel_completions()
create_osds(drive_group, skip_validation=False)
daemon_action(action, daemon_name, image=None, force=False)
describe_service(service_type=None, service_name=None, refresh=False)
drain_host(hostname, force=False, keep_conf_keyring=False, zap_osd_devices=False)
enter_host_maintenance(hostname, force=False, yes_i_really_mean_it=False)
exit_host_maintenance(hostname, force=False, offline=False)
generate_certificates(module_name)
get_alertmanager_access_info()
get_facts(hostname=None)
get_feature_set()
get_inventory(host_filter=None, refresh=False)
get_prometheus_access_info()
get_security_config()
hardware_light(light_type, action, hostname, device=None)
hardware_powercycle(hostname, yes_i_really_mean_it=False)
hardware_shutdown(hostname, force=False, yes_i_really_mean_it=False)
hardware_status(hostname=None, category='summary')
host_ok_to_stop(hostname)
list_daemons(service_name=None, daemon_type=None, daemon_id=None, host=None, refresh=False)
node_proxy_common(category, hostname=None)
node_proxy_criticals(hostname=None)
node_proxy_firmwares(hostname=None)
node_proxy_fullreport(hostname=None)
node_proxy_summary(hostname=None)
plan(spec)
preview_osdspecs(osdspec_name='osd', osdspecs=None)
remove_daemons(names)
remove_host(host, force, offline, rm_crush_entry)
remove_host_label(host, label, force=False)
remove_osds(osd_ids, replace=False, replace_block=False, replace_db=False, replace_wal=False, force=False, zap=False, no_destroy=False)
remove_osds_status()
remove_prometheus_target(url)
remove_service(service_name, force=False)
replace_device(hostname, device, clear=False, yes_i_really_mean_it=False)
rescan_host(hostname)
rm_tuned_profile(profile_name)
service_action(action, service_name)
set_alertmanager_access_info(user, password)
set_custom_prometheus_alerts(alerts_file)
set_osd_spec(service_name, osd_ids)
set_prometheus_access_info(user, password)
set_prometheus_target(url)
set_unmanaged(service_name, value)
stop_drain_host(hostname)
stop_remove_osds(osd_ids)
tuned_profile_add_setting(profile_name, setting, value)
tuned_profile_add_settings(profile_name, setting)
tuned_profile_ls()
tuned_profile_rm_setting(profile_name, setting)
tuned_profile_rm_settings(profile_name, settings)
update_host_addr(host, addr)
upgrade_available()
upgrade_start(image, version, daemon_types, hosts, services, limit)
upgrade_status()
zap_device(host, path)
""".split('\n')
SEED_SIGNATURES = [s for s in SEED_SIGNATURES if s]
SEED_METHODS = [s.split('(')[0] for s in SEED_SIGNATURES]

# Ceph's methods beyond the seed's list (_interface.py), which must exist too.
CEPH_EXTRA_METHODS = ['pause', 'resume', 'get_hosts', 'is_orchestrator_module', 'upgrade_check',
                      'upgrade_ls', 'upgrade_pause', 'upgrade_resume', 'upgrade_stop',
                      'service_discovery_dump_cert', 'get_prometheus_cert', 'set_unmanaged_flag']

# Implemented in the base class rather than left to backends.
IMPLEMENTED_IN_BASE = {'apply', 'get_feature_set', 'is_orchestrator_module'}
HIDDEN_FROM_FEATURES = {'available', 'get_feature_set', 'is_orchestrator_module', 'upgrade_available'}


@pytest.fixture(autouse=True)
def _no_unittest_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # handle_orch_error re-raises under UNITTEST; these tests check the stored behaviour.
    monkeypatch.delenv('UNITTEST', raising=False)


def _render(method: Any) -> str:
    params = [p for p in inspect.signature(method).parameters.values() if p.name != 'self']
    return ', '.join(p.name if p.default is inspect.Parameter.empty else f'{p.name}={p.default!r}'
                     for p in params)


def _call_with_nones(obj: Any, name: str) -> Any:
    method = getattr(obj, name)
    required = [p for p in inspect.signature(method).parameters.values()
                if p.default is inspect.Parameter.empty
                and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return method(*[None] * len(required))


class BareBackend(Orchestrator):
    """A backend that implements nothing."""


class Spec:
    """The least a spec needs for apply(): a service type and a printable name."""

    def __init__(self, service_type: str, name: str = '') -> None:
        self.service_type = service_type
        self.name = name or service_type

    def __str__(self) -> str:
        return f'<Spec {self.name}>'


# --------------------------------------------------------------------------- the method list

@pytest.mark.parametrize('signature', SEED_SIGNATURES)
def test_every_seed_method_exists_with_the_seed_signature(signature: str) -> None:
    name, params = signature[:-1].split('(', 1)
    assert _render(getattr(Orchestrator, name)) == params


@pytest.mark.parametrize('name', SEED_METHODS + CEPH_EXTRA_METHODS)
def test_every_interface_method_says_why_it_exists(name: str) -> None:
    assert inspect.getdoc(getattr(Orchestrator, name))


@pytest.mark.parametrize('name', sorted(set(SEED_METHODS + CEPH_EXTRA_METHODS) - IMPLEMENTED_IN_BASE))
def test_a_backend_that_implements_nothing_raises_not_implemented(name: str) -> None:
    with pytest.raises(NotImplementedError):
        _call_with_nones(BareBackend(), name)


def test_the_base_class_identifies_itself_as_an_orchestrator() -> None:
    assert BareBackend().is_orchestrator_module() is True


# --------------------------------------------------------------------------- get_feature_set

def test_feature_set_of_a_bare_backend_lists_every_feature_as_unavailable() -> None:
    features = BareBackend().get_feature_set()
    assert set(features) >= set(SEED_METHODS) - HIDDEN_FROM_FEATURES
    assert all(f == {'available': False} for f in features.values())


def test_feature_set_leaves_out_hidden_plumbing_methods() -> None:
    features = BareBackend().get_feature_set()
    assert not HIDDEN_FROM_FEATURES & set(features)
    assert not [name for name in features if name.startswith('_')]


def test_feature_set_marks_exactly_the_overridden_methods_available() -> None:
    class HostsOnly(Orchestrator):
        @handle_orch_error
        def get_hosts(self) -> List[str]:
            return ['host1']

        @handle_orch_error
        def add_host(self, host_spec: Any) -> str:
            return 'Added host'

    class Derived(HostsOnly):
        """Inherited implementations count as implemented."""

    for backend in (HostsOnly(), Derived()):
        available = {k for k, v in backend.get_feature_set().items() if v['available']}
        assert available == {'get_hosts', 'add_host'}


# --------------------------------------------------------------------------- apply()

class RecordingBackend(Orchestrator):
    def __init__(self) -> None:
        self.calls: List[tuple] = []

    @handle_orch_error
    def apply_nfs(self, spec: Any) -> str:
        self.calls.append(('apply_nfs', spec))
        return f'Scheduled {spec.name} update...'

    @handle_orch_error
    def apply_rgw(self, spec: Any) -> str:
        self.calls.append(('apply_rgw', spec))
        if spec.name == 'rgw.broken':
            raise OrchestratorError('rgw realm missing', errno=-errno.ENOENT)
        return f'Scheduled {spec.name} update...'

    @handle_orch_error
    def apply_drivegroups(self, specs: List[Any]) -> List[str]:
        self.calls.append(('apply_drivegroups', specs))
        return [f'Scheduled {s.name} update...' for s in specs]

    @handle_orch_error
    def add_host(self, host_spec: Any) -> str:
        self.calls.append(('add_host', host_spec))
        return f"Added host '{host_spec.name}'"


def test_apply_sends_each_spec_to_the_apply_method_of_its_service_type() -> None:
    backend = RecordingBackend()
    nfs, osd, host = Spec('nfs', 'nfs.foo'), Spec('osd', 'osd.hdd'), Spec('host', 'node1')
    result = backend.apply([nfs, osd, host])
    assert raise_if_exception(result) == ['Scheduled nfs.foo update...',
                                          'Scheduled osd.hdd update...',
                                          "Added host 'node1'"]
    assert backend.calls == [('apply_nfs', nfs), ('apply_drivegroups', [osd]), ('add_host', host)]


def test_apply_of_three_nfs_specs_returns_three_results_in_order() -> None:
    # Ceph's test_apply: one result line per spec
    backend = RecordingBackend()
    result = backend.apply([Spec('nfs'), Spec('nfs'), Spec('nfs')])
    assert result.result == ['Scheduled nfs update...'] * 3


def test_apply_of_nothing_returns_an_empty_list() -> None:
    assert raise_if_exception(RecordingBackend().apply([])) == []


def test_apply_stops_at_the_first_failing_spec_and_keeps_its_errno() -> None:
    backend = RecordingBackend()
    result = backend.apply([Spec('rgw', 'rgw.broken'), Spec('nfs')])
    with pytest.raises(OrchestratorError, match='rgw realm missing') as e:
        raise_if_exception(result)
    assert e.value.errno == -errno.ENOENT
    assert [c[0] for c in backend.calls] == ['apply_rgw']


def test_apply_continue_on_error_reports_the_failure_and_applies_the_rest() -> None:
    backend = RecordingBackend()
    result = backend.apply([Spec('rgw', 'rgw.broken'), Spec('nfs', 'nfs.foo')],
                           continue_on_error=True)
    assert raise_if_exception(result) == [
        'Failed to apply spec for <Spec rgw.broken>: rgw realm missing',
        'Scheduled nfs.foo update...',
    ]


def test_apply_of_a_type_the_backend_lacks_returns_not_implemented() -> None:
    result = RecordingBackend().apply([Spec('mon')])
    with pytest.raises(NotImplementedError):
        raise_if_exception(result)


def test_apply_of_an_unknown_service_type_is_an_orchestrator_error() -> None:
    result = RecordingBackend().apply([Spec('frobnicator')])
    with pytest.raises(OrchestratorError, match='frobnicator') as e:
        raise_if_exception(result)
    assert e.value.errno == -errno.EINVAL


def test_apply_dispatches_real_service_and_host_specs() -> None:
    service_spec = pytest.importorskip('ceph_orch_cli.deployment.service_spec')
    from ceph_orch_cli.deployment.hostspec import HostSpec

    class Backend(Orchestrator):
        @handle_orch_error
        def apply_mgr(self, spec: Any) -> str:
            return f'Scheduled {spec.service_name()} update...'

        @handle_orch_error
        def add_host(self, host_spec: Any) -> str:
            return f"Added host '{host_spec.hostname}'"

    specs = [service_spec.ServiceSpec.from_json({'service_type': 'mgr'}), HostSpec('node1')]
    assert raise_if_exception(Backend().apply(specs)) == ['Scheduled mgr update...',
                                                          "Added host 'node1'"]


# --------------------------------------------------------------------------- OrchResult

@pytest.mark.parametrize('result, text', [
    (None, ''),
    (['Added host node1', 'Added host node2'], 'Added host node1\nAdded host node2'),
    ([1, 2], '1\n2'),
    ('Scheduled mon update...', 'Scheduled mon update...'),
    ({'a': 1}, "{'a': 1}"),
])
def test_result_str_renders_results_as_plain_text(result: Any, text: str) -> None:
    assert OrchResult(result).result_str() == text


def test_raise_if_exception_returns_the_result() -> None:
    assert raise_if_exception(OrchResult(['x'])) == ['x']


def test_raise_if_exception_reraises_the_stored_error_with_its_errno() -> None:
    err = OrchestratorError('host node9 does not exist', errno=-errno.ENOENT,
                            event_kind_subject=('daemon', 'osd.3'))
    with pytest.raises(OrchestratorError) as e:
        raise_if_exception(OrchResult(None, exception=err))
    assert e.value is err
    assert e.value.errno == -errno.ENOENT
    assert e.value.event_subject == ('daemon', 'osd.3')


def test_a_result_with_neither_value_nor_error_is_a_programming_error() -> None:
    with pytest.raises(AssertionError, match='either have an exception or a result'):
        raise_if_exception(OrchResult(None))


def test_exception_str_names_type_and_message() -> None:
    r = OrchResult(None, exception=OrchestratorValidationError('bad spec'))
    assert r.exception_str == ("<class 'ceph_orch_cli.orchestrator.errors."
                               "OrchestratorValidationError'>: bad spec")
    r.set_exception(None)
    assert (r.exception, r.exception_str) == (None, '')


# --------------------------------------------------------------------------- handle_orch_error

class FailingBackend(Orchestrator):
    @handle_orch_error
    def get_hosts(self) -> List[str]:
        raise NoOrchestrator()

    @handle_orch_error
    def zap_device(self, host: str, path: str) -> str:
        raise KeyError(path)

    @handle_orch_error
    def rescan_host(self, hostname: str) -> str:
        return f'Ok. 2 adapters detected: 2 rescanned, 0 skipped, 0 failed ({hostname})'


def test_handle_orch_error_wraps_the_return_value() -> None:
    r = FailingBackend().rescan_host('node1')
    assert isinstance(r, OrchResult)
    assert r.result.endswith('(node1)')
    assert r.exception is None


def test_handle_orch_error_stores_orchestrator_errors_with_errno() -> None:
    r = FailingBackend().get_hosts()
    assert r.result is None
    assert isinstance(r.exception, NoOrchestrator)
    assert r.exception.errno == -errno.ENOENT


def test_handle_orch_error_stores_unexpected_errors_too() -> None:
    r = FailingBackend().zap_device('node1', '/dev/sdz')
    with pytest.raises(KeyError):
        raise_if_exception(r)


def test_handle_orch_error_raises_directly_under_unittest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('UNITTEST', '1')
    with pytest.raises(KeyError):
        FailingBackend().zap_device('node1', '/dev/sdz')


def test_handle_orch_error_keeps_the_method_name_and_doc() -> None:
    assert FailingBackend.rescan_host.__name__ == 'rescan_host'


# --------------------------------------------------------------------------- client mixin

class HostsBackend(Orchestrator):
    NAME = 'local'

    def __init__(self) -> None:
        self.calls: List[tuple] = []

    @handle_orch_error
    def get_hosts(self) -> List[str]:
        return ['node1', 'node2']

    @handle_orch_error
    def remove_host(self, host: str, force: bool, offline: bool, rm_crush_entry: bool) -> str:
        self.calls.append((host, force, offline, rm_crush_entry))
        return f'Removed host {host}'

    def drain_host(self, hostname: str, force: bool = False, keep_conf_keyring: bool = False,
                   zap_osd_devices: bool = False) -> OrchResult[str]:
        raise NotImplementedError('zap_osd_devices is not supported')


def test_client_without_a_backend_raises_no_orchestrator() -> None:
    with pytest.raises(NoOrchestrator) as e:
        OrchestratorClientMixin().get_hosts()
    assert str(e.value) == 'No orchestrator configured (try `orch set backend`)'
    assert e.value.errno == -errno.ENOENT


def test_client_forwards_calls_and_arguments_to_the_backend() -> None:
    backend = HostsBackend()
    client = OrchestratorClientMixin()
    client.set_backend(backend)
    assert raise_if_exception(client.get_hosts()) == ['node1', 'node2']
    r = client.remove_host('node2', True, offline=False, rm_crush_entry=True)
    assert r.result == 'Removed host node2'
    assert backend.calls == [('node2', True, False, True)]


def test_client_names_the_backend_that_lacks_a_method() -> None:
    client = OrchestratorClientMixin()
    client.set_backend(HostsBackend())
    with pytest.raises(NotImplementedError, match='^local does not implement add_host$'):
        client.add_host('node3')


def test_client_uses_the_class_name_of_a_backend_without_a_name() -> None:
    client = OrchestratorClientMixin()
    client.set_backend(BareBackend())
    with pytest.raises(NotImplementedError, match='^BareBackend does not implement get_hosts$'):
        client.get_hosts()


def test_client_passes_through_not_implemented_from_an_implemented_method() -> None:
    client = OrchestratorClientMixin()
    client.set_backend(HostsBackend())
    with pytest.raises(NotImplementedError, match='zap_osd_devices is not supported'):
        client.drain_host('node1', zap_osd_devices=True)


def test_client_reports_a_duck_typed_backend_missing_a_method() -> None:
    class Partial:
        NAME = 'partial'

        def get_hosts(self) -> OrchResult[List[str]]:
            return OrchResult(['node1'])

    client = OrchestratorClientMixin()
    client.set_backend(Partial())  # type: ignore[arg-type]
    assert client.get_hosts().result == ['node1']
    with pytest.raises(NotImplementedError, match='partial does not implement list_daemons'):
        client.list_daemons()


def test_client_resolves_the_backend_through_the_mgr_at_call_time() -> None:
    class Mgr:
        backend: Any = None

        def _select_orchestrator(self) -> Any:
            return self.backend

    mgr = Mgr()
    client = OrchestratorClientMixin()
    client.set_mgr(mgr)
    with pytest.raises(NoOrchestrator):
        client.get_hosts()
    mgr.backend = HostsBackend()
    assert client.get_hosts().result == ['node1', 'node2']


def test_client_forwards_feature_set_and_availability() -> None:
    class Backend(HostsBackend):
        def available(self) -> tuple:
            return True, '', {'hosts': 2}

    client = OrchestratorClientMixin()
    client.set_backend(Backend())
    assert client.available() == (True, '', {'hosts': 2})
    assert client.get_feature_set()['get_hosts'] == {'available': True}
    assert client.get_feature_set()['add_host'] == {'available': False}


def test_client_has_a_forwarder_for_every_public_interface_method() -> None:
    public = {n for n in Orchestrator.__dict__ if not n.startswith('_')} - {'is_orchestrator_module'}
    for name in public | (set(SEED_METHODS) - {'is_orchestrator_module'}):
        forwarder = getattr(OrchestratorClientMixin, name)
        assert forwarder is not getattr(Orchestrator, name)
        assert inspect.signature(forwarder) == inspect.signature(getattr(Orchestrator, name))
        assert forwarder.__doc__ == getattr(Orchestrator, name).__doc__
    assert callable(OrchestratorClientMixin.set_mgr)


def test_client_is_not_an_orchestrator_implementation() -> None:
    assert not issubclass(OrchestratorClientMixin, Orchestrator)


# --------------------------------------------------------------------------- error subjects

def test_errors_inside_a_subject_block_are_tagged_with_that_subject() -> None:
    from ceph_orch_cli.orchestrator import set_exception_subject
    with pytest.raises(OrchestratorError) as e:
        with set_exception_subject('service', 'rgw.foo'):
            raise OrchestratorError('no realm')
    assert e.value.event_subject == ('service', 'rgw.foo')


def test_the_innermost_subject_wins_unless_overwritten() -> None:
    from ceph_orch_cli.orchestrator import set_exception_subject
    with pytest.raises(OrchestratorError) as e:
        with set_exception_subject('service', 'rgw.foo'):
            with set_exception_subject('daemon', 'rgw.foo.node1.abc'):
                raise OrchestratorError('port in use')
    assert e.value.event_subject == ('daemon', 'rgw.foo.node1.abc')
    with pytest.raises(OrchestratorError) as e:
        with set_exception_subject('service', 'rgw.foo', overwrite=True):
            with set_exception_subject('daemon', 'rgw.foo.node1.abc'):
                raise OrchestratorError('port in use')
    assert e.value.event_subject == ('service', 'rgw.foo')
