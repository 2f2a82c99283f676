"""Where a service's daemons should run: cephadm's ``HostAssignment``, result for result.

The serve loop asks this module, per service, which slots the service should occupy, which of
them are new and which existing daemons must go. The answers must equal cephadm's (including
its pseudo-random host order, seeded by the service name), so an operator moving between
``ceph orch`` and ``orch`` never sees daemons shuffle around. See ``reference/scheduling.md``.

Unlike cephadm, matching existing daemons against slots is indexed by hostname instead of a
scan of every slot per daemon, so 10,000 hosts with thousands of daemons place in
milliseconds; the results are identical.
"""
from __future__ import annotations

import ipaddress
import logging
import random
from typing import (
    TYPE_CHECKING,
    Callable,
    Collection,
    Dict,
    Iterable,
    List,
    NamedTuple,
    Optional,
    Protocol,
    Sequence,
    Set,
    Tuple,
)

from ceph_orch_cli.orchestrator.errors import OrchestratorValidationError

if TYPE_CHECKING:  # only for annotations: keeps this module importable on its own
    from ceph_orch_cli.deployment.hostspec import HostSpec
    from ceph_orch_cli.deployment.service_spec import ServiceSpec
    from ceph_orch_cli.orchestrator import DaemonDescription

logger = logging.getLogger(__name__)

#: Daemon types whose daemons on an offline (not maintenance) host are replaced elsewhere:
#: they are stateless gateways, so availability beats waiting for the host to return.
RESCHEDULE_FROM_OFFLINE_HOSTS_TYPES = ('haproxy', 'nfs')

RankMap = Dict[int, Dict[int, Optional[str]]]
Networks = Dict[str, Dict[str, Dict[str, List[str]]]]


class DaemonPlacement(NamedTuple):
    """One place a daemon of the service should exist: a host plus what pins it there."""

    daemon_type: str
    hostname: str
    network: str = ''   # explicit ``host:network`` entries (mons)
    name: str = ''
    ip: Optional[str] = None
    ports: List[int] = []
    rank: Optional[int] = None
    rank_generation: Optional[int] = None

    def __str__(self) -> str:
        extras = []
        if self.rank is not None:
            extras.append(f'rank={self.rank}.{self.rank_generation}')
        if self.network:
            extras.append(f'network={self.network}')
        if self.name:
            extras.append(f'name={self.name}')
        if self.ports:
            extras.append(f'{self.ip or "*"}:{",".join(str(p) for p in self.ports)}')
        base = f'{self.daemon_type}:{self.hostname}'
        return f'{base}({" ".join(extras)})' if extras else base

    def renumber_ports(self, n: int) -> 'DaemonPlacement':
        """The n-th colocated copy of this slot listens n ports higher."""
        return self._replace(ports=[p + n for p in self.ports])

    def assign_rank(self, rank: int, gen: Optional[int]) -> 'DaemonPlacement':
        return self._replace(rank=rank, rank_generation=gen)

    def assign_name(self, name: str) -> 'DaemonPlacement':
        return self._replace(name=name)

    def assign_rank_generation(self, rank: int, rank_map: RankMap) -> 'DaemonPlacement':
        """Claim the next generation of ``rank``, recording it (unnamed yet) in ``rank_map``."""
        if rank not in rank_map:
            rank_map[rank] = {}
            gen = 0
        else:
            gen = max(rank_map[rank].keys()) + 1
        rank_map[rank][gen] = None
        return self._replace(rank=rank, rank_generation=gen)

    def matches_daemon(self, dd: 'DaemonDescription', upgrade_in_progress: bool = False) -> bool:
        """Whether an existing daemon can keep this slot.

        Port and IP differences are ignored mid-upgrade: the upgrade redeploys the daemon
        with its new ports anyway, so removing it now would only cost availability.
        """
        if self.daemon_type != dd.daemon_type or self.hostname != dd.hostname:
            return False
        if self.name and self.name != dd.daemon_id:
            return False
        if not upgrade_in_progress and self.ports:
            if dd.ports and self.ports != dd.ports:
                return False
            if dd.ip and self.ip != dd.ip:
                return False
        return True

    def matches_rank_map(self, dd: 'DaemonDescription', rank_map: Optional[RankMap],
                         ranks: Collection[int]) -> bool:
        """Whether the daemon holds the newest generation of a rank that is still free."""
        if rank_map is None:
            return dd.rank is None
        if dd.rank is None or dd.rank not in rank_map or dd.rank not in ranks:
            return False
        generations = rank_map[dd.rank]
        if dd.rank_generation != max(generations.keys()):
            return False
        return generations[dd.rank_generation] == dd.daemon_id


class HostSelector(Protocol):
    """Hook replacing the networks/ip_addrs filter (cephadm's newest ``host_selector``)."""

    def filter_host_candidates(self, spec: 'ServiceSpec',
                               candidates: Iterable[DaemonPlacement]) -> List[DaemonPlacement]:
        ...


def shuffle_seed(service_name: str) -> int:
    """The per-service seed cephadm uses, so host order is stable for a service name."""
    # lazily: importing hashlib starts OpenSSL (~3 ms) in every read-only command
    import hashlib
    return int(hashlib.sha1(service_name.encode('utf-8')).hexdigest(), 16) % (2 ** 32)


def _expand(slots: List[DaemonPlacement], copies: int) -> List[DaemonPlacement]:
    """The whole list ``copies`` times, copy k with every port shifted by k."""
    if copies <= 1:
        return list(slots)
    out = list(slots)
    for offset in range(1, copies):
        out.extend(dp.renumber_ports(offset) if dp.ports else dp for dp in slots)
    return out


def _daemon_order_key(dd: 'DaemonDescription') -> tuple:
    # active first; then unranked before ranked (False < True, cephadm's order despite its
    # comment); low ranks first; newest generation first.
    return (not dd.is_active, dd.rank is not None, dd.rank, 0 - (dd.rank_generation or 0))


class HostAssignment:
    """Decide the slots of one service from its spec, the hosts and its current daemons.

    ``hosts`` are the schedulable hosts; ``unreachable_hosts`` (offline or maintenance) get
    nothing new and keep what they have; ``draining_hosts`` (``_no_schedule``) lose their
    daemons. ``rank_map`` (nfs) is updated in place with the generations ``place()`` claims.
    """

    def __init__(self,
                 spec: 'ServiceSpec',
                 hosts: List['HostSpec'],
                 unreachable_hosts: List['HostSpec'],
                 draining_hosts: List['HostSpec'],
                 daemons: List['DaemonDescription'],
                 networks: Optional[Networks] = None,
                 filter_new_host: Optional[Callable[[str, 'ServiceSpec'], bool]] = None,
                 allow_colo: bool = False,
                 primary_daemon_type: Optional[str] = None,
                 per_host_daemon_type: Optional[str] = None,
                 rank_map: Optional[RankMap] = None,
                 *,
                 related_service_daemons: Optional[List['DaemonDescription']] = None,
                 blocking_daemon_hosts: Optional[List['HostSpec']] = None,
                 upgrade_in_progress: bool = False,
                 host_selector: Optional[HostSelector] = None,
                 ) -> None:
        if not spec:
            raise ValueError('HostAssignment needs a spec')
        self.spec = spec
        self.primary_daemon_type = primary_daemon_type or spec.service_type
        self.hosts = hosts
        self.unreachable_hosts = unreachable_hosts
        self.draining_hosts = draining_hosts
        self.blocking_daemon_hosts = blocking_daemon_hosts or []
        self.filter_new_host = filter_new_host
        self.service_name = spec.service_name()
        self.daemons = daemons
        self.related_service_daemons = related_service_daemons
        self.networks: Networks = networks or {}
        self.allow_colo = allow_colo
        self.per_host_daemon_type = per_host_daemon_type
        self.ports_start = spec.get_port_start()
        self.rank_map = rank_map
        self.upgrade_in_progress = upgrade_in_progress
        self.host_selector = host_selector
        self._pattern_hosts: Optional[List[str]] = None

    # -- host lookups ------------------------------------------------------------------

    def hosts_by_label(self, label: str) -> List['HostSpec']:
        return [h for h in self.hosts if label in h.labels]

    def get_hostnames(self) -> List[str]:
        return [h.hostname for h in self.hosts]

    def _matching_pattern_hosts(self) -> List[str]:
        """Hostnames matching the placement's pattern and, if set, its label; computed once.

        This is what Ceph's current ``PlacementSpec.filter_matching_hostspecs`` returns for a
        pattern placement. It is derived here from ``host_pattern.filter_hosts`` because older
        python-common ignored the pattern when a label was set, and cephadm needs both.
        """
        if self._pattern_hosts is None:
            placement = self.spec.placement
            if placement.label:
                names = [h.hostname for h in self.hosts if placement.label in h.labels]
            else:
                names = [h.hostname for h in self.hosts]
            self._pattern_hosts = placement.host_pattern.filter_hosts(names)
        return self._pattern_hosts

    # -- validation --------------------------------------------------------------------

    def validate(self) -> None:
        """Reject placements that can never be satisfied, with cephadm's messages."""
        self.spec.validate()
        placement = self.spec.placement

        if placement.count == 0:
            raise OrchestratorValidationError(
                f'<count> can not be 0 for {self.spec.one_line_str()}')

        if (placement.count_per_host is not None and placement.count_per_host > 1
                and not self.allow_colo):
            raise OrchestratorValidationError(
                f'Cannot place more than one {self.spec.service_type} per host')

        if placement.hosts:
            known = set(self.get_hostnames())
            known.update(h.hostname for h in self.draining_hosts)
            unknown = {h.hostname for h in placement.hosts} - known
            if unknown:
                raise OrchestratorValidationError(
                    f'Cannot place {self.spec.one_line_str()} on '
                    f'{", ".join(sorted(unknown))}: Unknown hosts')

        if placement.host_pattern:
            if not self._matching_pattern_hosts():
                raise OrchestratorValidationError(
                    f'Cannot place {self.spec.one_line_str()}: No matching hosts')

        if placement.label:
            if not any(placement.label in h.labels for h in self.hosts):
                raise OrchestratorValidationError(
                    f'Cannot place {self.spec.one_line_str()}: No matching '
                    f'hosts for label {placement.label}')

    # -- candidates --------------------------------------------------------------------

    def _shuffled_hostnames(self) -> Optional[List[str]]:
        """The candidates' hostnames in ``get_candidates`` order, when the candidates differ
        in nothing but their host (no named hosts, no IPs to find, no host selector); else
        None.

        Slots that differ only by hostname sort as their hostnames do, and a shuffle's
        permutation depends only on the length, so this is ``get_candidates()`` without a
        slot object per host: ``place`` builds slots only for the hosts that get one.
        """
        placement = self.spec.placement
        if (placement.hosts or self.host_selector or self.spec.networks
                or getattr(self.spec, 'ip_addrs', None)):
            return None
        if placement.label:
            label = placement.label
            names = [h.hostname for h in self.hosts if label in h.labels]
            if placement.host_pattern:
                matching = set(self._matching_pattern_hosts())
                names = [n for n in names if n in matching]
        elif placement.host_pattern:
            names = list(self._matching_pattern_hosts())
        elif placement.count is not None or placement.count_per_host is not None:
            names = [h.hostname for h in self.hosts]
        else:
            raise OrchestratorValidationError(
                'placement spec is empty: no hosts, no label, no pattern, no count')
        if self.filter_new_host:
            before = len(names)
            names = [n for n in names if self.filter_new_host(n, self.spec)]
            if len(names) < before:
                logger.debug('filter_new_host dropped %d of %d candidates for %s',
                             before - len(names), before, self.service_name)
        names.sort()
        random.Random(shuffle_seed(self.service_name)).shuffle(names)
        return names

    def get_candidates(self) -> List[DaemonPlacement]:
        """Every slot the placement allows, in the service's deterministic shuffled order."""
        placement = self.spec.placement
        dtype = self.primary_daemon_type
        ports = self.ports_start
        names = self._shuffled_hostnames()
        if names is not None:
            return [DaemonPlacement(dtype, name, ports=ports) for name in names]
        if placement.hosts:
            draining = {h.hostname for h in self.draining_hosts}
            ls = [DaemonPlacement(daemon_type=dtype, hostname=h.hostname, network=h.network,
                                  name=h.name, ports=ports)
                  for h in placement.hosts if h.hostname not in draining]
        elif placement.label:
            ls = [DaemonPlacement(daemon_type=dtype, hostname=h.hostname, ports=ports)
                  for h in self.hosts_by_label(placement.label)]
            if placement.host_pattern:
                matching = set(self._matching_pattern_hosts())
                ls = [dp for dp in ls if dp.hostname in matching]
        elif placement.host_pattern:
            ls = [DaemonPlacement(daemon_type=dtype, hostname=name, ports=ports)
                  for name in self._matching_pattern_hosts()]
        elif placement.count is not None or placement.count_per_host is not None:
            ls = [DaemonPlacement(daemon_type=dtype, hostname=h.hostname, ports=ports)
                  for h in self.hosts]
        else:
            raise OrchestratorValidationError(
                'placement spec is empty: no hosts, no label, no pattern, no count')

        if self.host_selector:
            ls = self.host_selector.filter_host_candidates(self.spec, ls)
        elif self.spec.networks or getattr(self.spec, 'ip_addrs', None):
            ls = self._with_ips(ls)

        if self.filter_new_host:
            before = len(ls)
            ls = [dp for dp in ls if self.filter_new_host(dp.hostname, self.spec)]
            if len(ls) < before:
                logger.debug('filter_new_host dropped %d of %d candidates for %s',
                             before - len(ls), before, self.service_name)

        final = sorted(ls)
        random.Random(shuffle_seed(self.service_name)).shuffle(final)
        return final

    def _with_ips(self, candidates: List[DaemonPlacement]) -> List[DaemonPlacement]:
        """Give each candidate the IP it must bind to; drop hosts that have none."""
        ip_addrs: Dict[str, str] = getattr(self.spec, 'ip_addrs', None) or {}
        subnets = self._normalized_subnets(self.spec.networks or [])
        out = []
        for dp in candidates:
            ip: Optional[str] = None
            if ip_addrs:
                ip = ip_addrs.get(dp.hostname)
                if ip and ip not in self._host_ips(dp.hostname):
                    logger.debug('IP %s is not configured on host %s', ip, dp.hostname)
                    ip = None
            if not ip and subnets:
                ip = self._find_ip_in_subnets(dp.hostname, subnets)
            if ip:
                out.append(dp._replace(ip=ip))
            else:
                logger.debug('Skipping %s: no IP in networks %s or ip_addrs %s',
                             dp.hostname, self.spec.networks, ip_addrs)
        return out

    def _host_ips(self, hostname: str) -> List[str]:
        return [ip for ifaces in self.networks.get(hostname, {}).values()
                for ips in ifaces.values() for ip in ips]

    @staticmethod
    def _normalized_subnets(networks: Sequence[str]) -> List[Tuple[str, List[str]]]:
        """Each spec network in canonical form, with the loopback IP it implies (if any)."""
        out = []
        for subnet in networks:
            net = ipaddress.ip_network(subnet)
            implied = []
            if net.is_loopback:
                implied.append('127.0.0.1' if net.version == 4 else '::1')
            out.append((str(net), implied))
        return out

    def _find_ip_in_subnets(self, hostname: str,
                            subnets: List[Tuple[str, List[str]]]) -> Optional[str]:
        host_nets = self.networks.get(hostname, {})
        for subnet, implied in subnets:
            ips = list(implied)
            for iface_ips in host_nets.get(subnet, {}).values():
                ips.extend(iface_ips)
            if ips:
                return min(ips)
        return None

    def find_ip_on_host(self, hostname: str, subnets: List[str]) -> Optional[str]:
        """The lowest IP the host has in the first of ``subnets`` where it has any."""
        return self._find_ip_in_subnets(hostname, self._normalized_subnets(subnets))

    def remove_non_maintenance_unreachable_candidates(
            self, candidates: List[DaemonPlacement]) -> List[DaemonPlacement]:
        """Drop offline hosts so their daemons get replaced; a maintenance host is coming back."""
        gone = self._offline_not_in_maintenance()
        if not gone:
            return candidates
        return [c for c in candidates if c.hostname not in gone]

    def _offline_not_in_maintenance(self) -> Set[str]:
        unreachable = {h.hostname for h in self.unreachable_hosts}
        if not unreachable:
            return unreachable
        in_maintenance = {h.hostname for h in self.hosts
                          if (h.status or '').lower() == 'maintenance'}
        return unreachable - in_maintenance

    # -- placing -----------------------------------------------------------------------

    def place(self) -> Tuple[List[DaemonPlacement], List[DaemonPlacement],
                             List['DaemonDescription']]:
        """Return ``(all_slots, slots_to_add, daemons_to_remove)``."""
        self.validate()
        count = self.spec.placement.count
        existing_active, existing_standby, existing_slots, others, to_remove, ranks = \
            self._kept_and_candidates(count)
        existing = existing_active + existing_standby

        unreachable = {h.hostname for h in self.unreachable_hosts}
        blocking = {h.hostname for h in self.blocking_daemon_hosts}
        to_add: List[DaemonPlacement] = []
        if not count:
            to_add = [dp for dp in others
                      if dp.hostname not in blocking and dp.hostname not in unreachable]
        else:
            if blocking:
                # As cephadm: the removed daemons' slots stay in existing_slots (so they are
                # still reported in all_slots and count when trimming to `count`).
                to_remove.extend(dd for dd in existing if dd.hostname in blocking)
                existing = [dd for dd in existing if dd.hostname not in blocking]

            need = count - len(existing)
            if need <= 0:
                to_remove.extend(existing[count:])
                del existing_slots[count:]
                return self._place_per_host_daemons(existing_slots, [], to_remove, unreachable)

            to_add = self._fill(others, need, unreachable, blocking)

        if self.rank_map is not None:
            # every new slot is an unmatched slot, and each matched one holds one rank
            assert len(ranks) >= len(to_add)
            for i, dp in enumerate(to_add):
                to_add[i] = dp.assign_rank_generation(ranks[i], self.rank_map)

        logger.debug('%s: keep %s, add %s', self.service_name, existing, to_add)
        return self._place_per_host_daemons(existing_slots + to_add, to_add, to_remove,
                                            unreachable)

    def _kept_and_candidates(self, count: Optional[int]) -> Tuple[
            List['DaemonDescription'], List['DaemonDescription'], List[DaemonPlacement],
            Iterable[DaemonPlacement], List['DaemonDescription'], List[int]]:
        """The existing daemons kept (active, standby) with their slots, the candidate slots
        left for new daemons, the daemons to remove and the ranks free (``_keep_existing``),
        over the hosts the placement selects."""
        reschedule = self.primary_daemon_type in RESCHEDULE_FROM_OFFLINE_HOSTS_TYPES

        names = self._shuffled_hostnames()
        if names is not None and reschedule:
            gone = self._offline_not_in_maintenance()
            if gone:
                names = [n for n in names if n not in gone]
        if (names is not None and count is not None and not self.related_service_daemons
                and not (self.allow_colo and count > len(names))):
            # one slot per host, and only the first `count` or so are ever needed: slots
            # are made for the hosts kept or added (1,000 of 10,000), not for every host
            return self._keep_existing_by_name(names)
        if names is not None:
            dtype, ports = self.primary_daemon_type, self.ports_start
            candidates = [DaemonPlacement(dtype, name, ports=ports) for name in names]
        else:
            candidates = self.get_candidates()
            if reschedule:
                candidates = self.remove_non_maintenance_unreachable_candidates(candidates)

        if count is None:
            candidates = _expand(candidates, self.spec.placement.count_per_host or 1)
        elif self.allow_colo and candidates:
            candidates = _expand(candidates, 1 + (count - 1) // len(candidates))

        return self._keep_existing(candidates)

    def _fill(self, others: Iterable[DaemonPlacement], need: int, unreachable: Set[str],
              blocking: Set[str]) -> List[DaemonPlacement]:
        """Up to ``need`` new slots from ``others``, on hosts that are reachable and not
        blocked."""
        to_add: List[DaemonPlacement] = []
        if self.related_service_daemons:
            # Prefer hosts already running the related service (ingress <-> backend), but
            # only to fill the count: never to move a daemon that is already placed.
            related = {dd.hostname for dd in self.related_service_daemons}
            for dp in others:
                if need <= 0:
                    break
                if dp.hostname in related and dp.hostname not in unreachable:
                    to_add.append(dp)
                    need -= 1
            if need > 0:
                others = [dp for dp in others if dp.hostname not in related]

        for dp in others:
            if need <= 0:
                break
            if dp.hostname not in unreachable and dp.hostname not in blocking:
                to_add.append(dp)
                need -= 1
        return to_add

    def _keep_existing_by_name(self, names: List[str]) -> Tuple[
            List['DaemonDescription'], List['DaemonDescription'], List[DaemonPlacement],
            Iterable[DaemonPlacement], List['DaemonDescription'], List[int]]:
        """``_keep_existing`` over one slot per name in ``names`` (the shuffled order),
        making a slot only for a host that an existing daemon is on or that is reached when
        the unused slots are taken in order (``others`` is lazy)."""
        dtype, ports = self.primary_daemon_type, self.ports_start
        daemons = self._existing_in_order()
        by_host: Dict[str, List[int]] = {}
        if daemons:
            position = dict(zip(names, range(len(names))))
            if len(position) == len(names):
                wanted = {dd.hostname for dd in daemons}
                by_host = {h: [position[h]] for h in wanted if h in position}
            else:  # a hostname listed twice: every one of its positions
                for i, name in enumerate(names):
                    by_host.setdefault(name, []).append(i)
        kept = self._match_existing(
            daemons, len(names), lambda dd: by_host.get(dd.hostname or '', ()),
            lambda i: DaemonPlacement(dtype, names[i], ports=ports))
        used = kept[4]
        others = (DaemonPlacement(dtype, name, ports=ports)
                  for i, name in enumerate(names) if i not in used)
        return kept[0], kept[1], kept[2], others, kept[3], kept[5]

    def _keep_existing(self, candidates: List[DaemonPlacement]) -> Tuple[
            List['DaemonDescription'], List['DaemonDescription'], List[DaemonPlacement],
            List[DaemonPlacement], List['DaemonDescription'], List[int]]:
        """Give each existing daemon (best first) the first free slot it fits.

        Slots are indexed by (type, host), so each daemon only looks at its own host's slots,
        in the shuffled order; the first fit is the one cephadm's linear scan would find.
        """
        daemons = self._existing_in_order()
        by_host: Dict[Tuple[str, str], List[int]] = {}
        if daemons:
            for i, dp in enumerate(candidates):
                by_host.setdefault((dp.daemon_type, dp.hostname), []).append(i)
        kept = self._match_existing(
            daemons, len(candidates),
            lambda dd: by_host.get((dd.daemon_type or '', dd.hostname or ''), ()),
            candidates.__getitem__)
        used = kept[4]
        others = [dp for i, dp in enumerate(candidates) if i not in used]
        return kept[0], kept[1], kept[2], others, kept[3], kept[5]

    def _existing_in_order(self) -> List['DaemonDescription']:
        return sorted((dd for dd in self.daemons if dd.daemon_type == self.primary_daemon_type),
                      key=_daemon_order_key)

    def _match_existing(self, daemons: List['DaemonDescription'], n_slots: int,
                        slots_of: Callable[['DaemonDescription'], Iterable[int]],
                        slot_at: Callable[[int], DaemonPlacement],
                        ) -> Tuple[List['DaemonDescription'], List['DaemonDescription'],
                                   List[DaemonPlacement], List['DaemonDescription'], Set[int],
                                   List[int]]:
        """Each daemon (best first) takes the first free slot of its host it fits, as
        cephadm's scan of every slot would: (active, standby, their slots, daemons to remove,
        the slot indexes taken, the ranks left free)."""
        # Only ranked services need the free-rank set; a set keeps each lookup O(1).
        free_ranks: Set[int] = set(range(n_slots)) if self.rank_map is not None else set()
        existing_active: List['DaemonDescription'] = []
        existing_standby: List['DaemonDescription'] = []
        existing_slots: List[DaemonPlacement] = []
        to_remove: List['DaemonDescription'] = []
        used: Set[int] = set()
        rank_map = self.rank_map
        upgrading = self.upgrade_in_progress
        for dd in daemons:
            found = False
            for i in slots_of(dd):
                if i in used:
                    continue
                dp = slot_at(i)
                if not dp.matches_daemon(dd, upgrading):
                    continue
                if not dp.matches_rank_map(dd, rank_map, free_ranks):
                    continue
                used.add(i)
                (existing_active if dd.is_active else existing_standby).append(dd)
                if dd.rank is not None:
                    dp = dp.assign_rank(dd.rank, dd.rank_generation)
                    free_ranks.discard(dd.rank)
                existing_slots.append(dp)
                found = True
                break
            if not found:
                to_remove.append(dd)
        return (existing_active, existing_standby, existing_slots, to_remove, used,
                sorted(free_ranks))

    def _place_per_host_daemons(self, slots: List[DaemonPlacement], to_add: List[DaemonPlacement],
                                to_remove: List['DaemonDescription'], unreachable: Set[str],
                                ) -> Tuple[List[DaemonPlacement], List[DaemonPlacement],
                                           List['DaemonDescription']]:
        """Add one per-host companion (ingress keepalived) on every host that got a slot.

        cephadm iterates a set here, so its order is undefined; hosts are taken in slot
        order instead, which is one of cephadm's possible orders and is reproducible.
        """
        if self.per_host_daemon_type:
            ptype = self.per_host_daemon_type
            host_slots = {name: DaemonPlacement(daemon_type=ptype, hostname=name)
                          for name in dict.fromkeys(s.hostname for s in slots)}
            slots = slots + list(host_slots.values())
            unmatched = dict(host_slots)
            for dd in self.daemons:
                if dd.daemon_type != ptype:
                    continue
                host = dd.hostname or ''
                dp = unmatched.get(host)
                if dp is not None and dp.matches_daemon(dd, self.upgrade_in_progress):
                    del unmatched[host]
                else:
                    to_remove.append(dd)
            to_add = to_add + list(unmatched.values())

        to_remove = [dd for dd in to_remove if dd.hostname not in unreachable]
        return slots, to_add, to_remove
