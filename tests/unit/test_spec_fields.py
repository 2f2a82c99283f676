"""Spec fields are declared on the classes (for readers and type checkers) and still
land in the instance dict only, the way ``_FieldSpec`` always built them."""
from typing import Optional

import pytest

from ceph_orch_cli.deployment.service_spec import (AlertManagerSpec, IngressSpec, MonitoringSpec,
                                                   NFSServiceSpec, PrometheusSpec, _FieldSpec)


def test_declared_fields_become_the_field_table_and_leave_the_class():
    assert NFSServiceSpec._FIELDS['port'] is None
    assert 'port' not in vars(NFSServiceSpec)
    spec = NFSServiceSpec(service_id='a', port=2050)
    assert vars(spec)['port'] == 2050


def test_fields_are_inherited_unless_the_subclass_drops_them():
    assert 'remote_write_url' in MonitoringSpec._FIELDS
    assert 'remote_write_url' in PrometheusSpec._FIELDS
    assert 'remote_write_url' not in AlertManagerSpec._FIELDS
    with pytest.raises(TypeError, match="unexpected keyword argument 'remote_write_url'"):
        AlertManagerSpec(remote_write_url='http://x')


def test_mutable_defaults_are_never_shared():
    a, b = IngressSpec(service_id='a'), IngressSpec(service_id='b')
    a.virtual_interface_networks.append('10.0.0.0/24')
    assert b.virtual_interface_networks == []


def test_a_field_needs_a_default():
    with pytest.raises(TypeError, match='needs a default'):
        class _Broken(_FieldSpec):  # noqa: F841
            _TYPES = ('crash',)
            port: Optional[int]
