"""Inventory types: the devices of a host, the filter to ask for them, and a device's lights."""
from __future__ import annotations

import copy
from collections import namedtuple
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from .errors import OrchestratorValidationError

if TYPE_CHECKING:
    from ceph_orch_cli.deployment.inventory import Devices


class InventoryFilter:
    """Limits an inventory scan to some hosts or labels, so a large estate is not scanned whole."""

    def __init__(self, labels: Optional[List[str]] = None, hosts: Optional[List[str]] = None) -> None:
        #: only hosts carrying these labels
        self.labels = labels
        #: only these hosts
        self.hosts = hosts

    def __repr__(self) -> str:
        return f'InventoryFilter(labels={self.labels!r}, hosts={self.hosts!r})'


class InventoryHost:
    """The devices found on one host (``orch device ls``)."""

    def __init__(self, name: str, devices: Optional['Devices'] = None,
                 labels: Optional[List[str]] = None, addr: Optional[str] = None) -> None:
        from ceph_orch_cli.deployment.inventory import Devices
        if devices is None:
            devices = Devices([])
        if not isinstance(devices, Devices):
            raise OrchestratorValidationError(
                f'InventoryHost: devices must be Devices, not {type(devices).__name__}')
        #: unique within the cluster (a hostname)
        self.name = name
        self.addr = addr or name
        self.devices = devices
        self.labels: List[str] = labels if labels is not None else []

    def to_json(self) -> Dict[str, Any]:
        return {
            'name': self.name,
            'addr': self.addr,
            'devices': self.devices.to_json(),
            'labels': self.labels,
        }

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> 'InventoryHost':
        from ceph_orch_cli.deployment.inventory import Devices
        try:
            rest = copy.deepcopy(data)
            name = rest.pop('name')
            addr = rest.pop('addr', None) or name
            devices = Devices.from_json(rest.pop('devices'))
            labels = rest.pop('labels', [])
            if rest:
                raise OrchestratorValidationError(
                    'Unknown key(s) in Inventory: {}'.format(','.join(rest.keys())))
            return cls(name, devices, labels, addr)
        except KeyError as e:
            raise OrchestratorValidationError(f'{e} is required for {cls.__name__}') from e
        except TypeError as e:
            raise OrchestratorValidationError(f'Failed to read inventory: {e}') from e

    @staticmethod
    def get_host_names(hosts: List['InventoryHost']) -> List[str]:
        return [host.name for host in hosts]

    def __repr__(self) -> str:
        return f'<InventoryHost>({self.name})'

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, InventoryHost):
            return NotImplemented
        return self.name == other.name and self.devices == other.devices

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value


class DeviceLightLoc(namedtuple('DeviceLightLoc', ['host', 'dev', 'path'])):
    """One device on one host, for switching its ident or fault LED.

    ``host`` as in ``get_hosts()``; ``dev`` the device id (``ABC1234DEF567-1R1234_ABC8DE0Q``, as in
    ``ceph osd metadata``); ``path`` the device path on the host.
    """
    __slots__ = ()
