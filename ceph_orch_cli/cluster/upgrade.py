"""Upgrades (``orch upgrade ...``): cephadm's ``CephadmUpgrade`` as a state machine in the store.

The state is one row of ``upgrade_state`` in the shape of cephadm's ``UpgradeState.to_json``
(target_name, daemon_types, hosts, services, total_count, remaining_count, error, paused, ...)
plus ``message`` (what ``upgrade status`` shows) and ``in_flight`` (the daemons being
redeployed right now). Each reconcile pass redeploys at most ``UPGRADE_BATCH`` daemons of
the first daemon type in Ceph's order that still needs it, each only after ok-to-stop, and
records every redeploy in its own transaction; a daemon still marked in flight after a crash
is checked on the next pass and redeployed again if it is not on the target image.

A daemon counts as upgraded when it runs the target image and, where the target's version
is known, reports that version itself (its admin socket, through the host's ``ls``): the
store's record of a redeploy is never the proof.

Where this deliberately differs from cephadm (the field notes' pain points):
- an offline host holds the upgrade at the first of its daemons (so the upgrade order is
  kept), with a status message naming the host; it goes on by itself once the host is back
  (cephadm pauses with UPGRADE_OFFLINE_HOST until resumed by hand);
- a daemon that does not come back running after its redeploy pauses the upgrade with an
  ``UPGRADE_REDEPLOY_DAEMON`` error instead of moving on;
- ``upgrade stop`` always clears the state, so "already in progress" is only ever said while
  an upgrade really is in progress.
Daemons are compared by image name (cephadm with ``use_repo_digest=false``). Once the Ceph
daemons are done, the upgrade-ordered types of other images (nvmeof, smb, the monitoring
stack) move to the default images of the target's release (``service_types/
release_images.py``), as cephadm moves them to the upgraded mgr's defaults; an image chosen
with ``orch update service`` and a custom container's own stay.
"""
from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from ceph_orch_cli.cluster.driver import DeployRequest, HostActionError, HostUnreachable
from ceph_orch_cli.cluster.store import EventRow, now_str
from ceph_orch_cli.cluster.upgrade_targets import (  # noqa: F401 (re-exported for importers)
    CEPH_IMAGE_TYPES, CEPH_TYPES, CEPH_UPGRADE_ORDER, CONTAINER_IMAGE_BASE, GATEWAY_TYPES,
    KNOWN_CEPH_TAGS, NON_CEPH_IMAGE_TYPES, UPGRADE_BATCH,
    check_target_version, earlier_daemons, image_tag_version, latest_type,
    normalize_image_digest, on_target, pending_and_skipped, unconfirmed, version_tuple)
from ceph_orch_cli.orchestrator import (DaemonDescription, DaemonDescriptionStatus,
                                        UpgradeStatusSpec, handle_orch_error,
                                        service_to_daemon_types)
from ceph_orch_cli.orchestrator.errors import OrchestratorError

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.cluster.core import EngineCore
    from ceph_orch_cli.deployment.hostspec import HostSpec


class Upgrade:
    """cephadm's ``CephadmUpgrade``: the ``upgrade_*`` Orchestrator methods and the upgrade's
    pass step, over the core's store, driver, cluster and commit/lock plumbing."""

    def __init__(self, core: "EngineCore") -> None:
        self.core = core
        self.store = core.store
        self.driver = core.driver
        self.cluster = core.cluster

    # -- state ---------------------------------------------------------------------------
    def _upgrade_state(self) -> Optional[Dict[str, Any]]:
        return self.store.get_upgrade_state()

    def _save_upgrade(self, state: Optional[Dict[str, Any]]) -> None:
        self.store.put_upgrade_state(state)

    def _update_upgrade(self, **changes: Any) -> Optional[Dict[str, Any]]:
        """Read-modify-write the state in one transaction; None if it was stopped meanwhile."""
        return self.store.update_upgrade_state(changes)

    def _current_ceph_version(self) -> Optional[str]:
        for d in self.core.daemons(daemon_type="mgr") + self.core.daemons(daemon_type="mon"):
            if d.version:
                return d.version
        return None

    def _upgrade_event(self, state: Dict[str, Any], message: str, level: str = "INFO",
                       daemons: Optional[List[DaemonDescription]] = None) -> None:
        """Upgrade events go on each service the upgrade touches (and on daemons it names)."""
        ts = now_str()
        rows = []
        services = set()
        for d in daemons if daemons is not None else self._upgrade_daemons(state):
            services.add(d.service_name())
            if daemons is not None:
                rows.append(EventRow("daemon", d.name(), level, message, ts))
        rows.extend(EventRow("service", s, level, message, ts) for s in sorted(services))
        self.store.add_events(rows)

    # -- which daemons --------------------------------------------------------------------
    def _upgrade_daemons(self, state: Dict[str, Any]) -> List[DaemonDescription]:
        """The daemons this upgrade covers, in upgrade order (``_get_filtered_daemons``)."""
        daemons = self.core.daemons()
        if state.get("daemon_types") is not None:
            daemons = [d for d in daemons if d.daemon_type in state["daemon_types"]]
        elif state.get("services") is not None:
            daemons = [d for d in daemons if d.service_name() in state["services"]]
        else:
            daemons = [d for d in daemons if d.daemon_type in CEPH_UPGRADE_ORDER]
        if state.get("hosts") is not None:
            daemons = [d for d in daemons if d.hostname in state["hosts"]]
        # like cephadm, only the Ceph image's daemon types move (not haproxy, not prometheus)
        daemons = [d for d in daemons if d.daemon_type in CEPH_IMAGE_TYPES]
        order = {t: i for i, t in enumerate(CEPH_UPGRADE_ORDER)}
        # the standby mgrs first, the active one last (it fails over to an upgraded one)
        active = self.cluster.active_mgr() if any(d.daemon_type == "mgr" for d in daemons) \
            else None
        return sorted(daemons, key=lambda d: (order.get(d.daemon_type or "", len(order)),
                                              d.daemon_type == "mgr" and d.daemon_id == active,
                                              d.hostname or "", d.name()))

    def _upgrade_progress(self, state: Dict[str, Any]) -> Tuple[str, List[str]]:
        daemons = self._upgrade_daemons(state)
        target, version = state["target_name"], state.get("target_version")
        done = [d for d in daemons if on_target(d, target, version) and
                (not version or d.version)]
        types_done = sorted({d.daemon_type or "" for d in daemons
                             if all(on_target(o, target, version) for o in daemons
                                    if o.daemon_type == d.daemon_type)},
                            key=lambda t: CEPH_UPGRADE_ORDER.index(t)
                            if t in CEPH_UPGRADE_ORDER else len(CEPH_UPGRADE_ORDER))
        return f"{len(done)}/{len(daemons)} daemons upgraded", types_done

    # -- API --------------------------------------------------------------------------------
    @handle_orch_error
    def upgrade_check(self, image: Optional[str], version: Optional[str]) -> str:
        if any((h.status or "").lower() == "maintenance" for h in self.core.host_specs()):
            raise OrchestratorError("check aborted - you have hosts in maintenance state")
        if version:
            target = f"{CONTAINER_IMAGE_BASE}:v{version}"
        elif image:
            target = image
        else:
            raise OrchestratorError("must specify either image or version")
        target_version = version or image_tag_version(target) or self._root_version(target)
        if not target_version:
            return f"Unable to extract ceph version from {target}."
        error = check_target_version(target_version, self._current_ceph_version())
        if error:
            return f"Incompatible upgrade: {error}"
        r: Dict[str, Any] = {"target_name": target, "target_id": None,
                             "target_version": target_version, "needs_update": {},
                             "up_to_date": [], "non_ceph_image_daemons": []}
        for d in self.core.daemons():
            if on_target(d, target):
                r["up_to_date"].append(d.name())
                r["target_id"] = r["target_id"] or d.container_image_id
            elif d.daemon_type in CEPH_IMAGE_TYPES:
                r["needs_update"][d.name()] = {"current_name": d.container_image_name,
                                               "current_id": d.container_image_id,
                                               "current_version": d.version}
            else:
                r["non_ceph_image_daemons"].append(d.name())
        return json.dumps(r, indent=4, sort_keys=True)

    @handle_orch_error
    def upgrade_ls(self, image: Optional[str], tags: bool,
                   show_all_versions: Optional[bool] = False) -> Dict[Any, Any]:
        roots = self._binary_roots()
        if roots and (image is None or image.startswith("deb")):
            return self._roots_listing(roots, tags)
        image = image or CONTAINER_IMAGE_BASE
        if "/" not in image:
            raise OrchestratorError(f"Invalid image name {image}: expected <registry>/<image>")
        reg_name, bare_image = image.split("/", 1)
        bare_image = bare_image.split(":")[0]
        r: Dict[Any, Any] = {"image": image, "registry": reg_name, "bare_image": bare_image}
        if bare_image not in ("ceph/ceph", "ceph/daemon-base"):
            raise OrchestratorError(f"Unknown image {image}: this backend only knows the tags "
                                    f"of {CONTAINER_IMAGE_BASE}")
        if tags:
            r["tags"] = sorted(KNOWN_CEPH_TAGS)
            return r
        cur = version_tuple(self._current_ceph_version())
        versions = []
        for tag in KNOWN_CEPH_TAGS:
            major, minor, _ = tag[1:].split(".")
            candidate = cur is None or int(major) > cur[0] or \
                (int(major) == cur[0] and int(minor) >= cur[1])
            if show_all_versions or candidate:
                versions.append(tag[1:])
        r["versions"] = sorted(versions, key=lambda v: [int(x) for x in v.split(".")],
                               reverse=True)
        return r

    @handle_orch_error
    def upgrade_start(self, image: Optional[str], version: Optional[str],
                      daemon_types: Optional[List[str]] = None, hosts: Optional[str] = None,
                      services: Optional[List[str]] = None,
                      limit: Optional[int] = None) -> str:
        host_list = self._check_start_arguments(daemon_types, hosts, services, limit)
        target = self._target_image(image, version)
        state = self._upgrade_state()
        if daemon_types is not None or services is not None or host_list is not None:
            if state:
                raise OrchestratorError("Cannot set values for --daemon-types, --services or "
                                        "--hosts when upgrade already in progress.")
            self._validate_upgrade_filters(target, daemon_types, host_list, services)
        if state:
            if state["target_name"] != target:
                raise OrchestratorError(f"Upgrade to {state['target_name']} (not {target}) "
                                        "already in progress")
            if state.get("paused"):
                self._update_upgrade(paused=False, error="", message="")
                return f"Resumed upgrade to {target}"
            return f"Upgrade to {target} in progress"
        return self._start(target, image, version, daemon_types, host_list, services, limit)

    def _check_start_arguments(self, daemon_types: Optional[List[str]], hosts: Optional[str],
                               services: Optional[List[str]],
                               limit: Optional[int]) -> Optional[List[str]]:
        """``upgrade start``'s refusals of its arguments; the hosts ``hosts`` matches."""
        host_specs = self.core.host_specs()
        if any((h.status or "").lower() == "maintenance" for h in host_specs):
            raise OrchestratorError("Upgrade aborted - you have host(s) in maintenance state")
        if daemon_types is not None and services is not None:
            raise OrchestratorError("--daemon-types and --services are mutually exclusive")
        if daemon_types is not None:
            for dtype in daemon_types:
                if dtype not in CEPH_UPGRADE_ORDER:
                    raise OrchestratorError(
                        f'Upgrade aborted - Got unexpected daemon type "{dtype}".\n'
                        f"Viable daemon types for this command are: {CEPH_TYPES + GATEWAY_TYPES}")
        if services is not None:
            known = [r.service_name for r in self.store.get_specs()]
            for service in services:
                if service not in known:
                    raise OrchestratorError(
                        f'Upgrade aborted - Got unknown service name "{service}".\n'
                        f"Known services are: {known}")
        host_list: Optional[List[str]] = None
        if hosts is not None:
            from ceph_orch_cli.deployment.service_spec import PlacementSpec
            host_list = PlacementSpec.from_string(hosts).filter_matching_hostspecs(host_specs)
            if not host_list:
                raise OrchestratorError(f'Upgrade aborted - hosts parameter "{hosts}" provided '
                                        "did not match any hosts")
        if limit is not None and limit < 1:
            raise OrchestratorError(
                f"Upgrade aborted - --limit arg must be a positive integer, not {limit}")
        return host_list

    def _target_image(self, image: Optional[str], version: Optional[str]) -> str:
        """The image an ``upgrade start`` names, by version or by image."""
        if version:
            error = check_target_version(version, self._current_ceph_version())
            if error:
                raise OrchestratorError(error)
            return f"{CONTAINER_IMAGE_BASE}:v{version}"
        if image:
            if image.startswith("deb:"):
                if image not in self._binary_roots():
                    raise OrchestratorError(f"binary root {image} is not on any online host "
                                            "(see `orch upgrade ls`)")
                return image
            return normalize_image_digest(image)
        raise OrchestratorError("must specify either image or version")

    def _start(self, target: str, image: Optional[str], version: Optional[str],
               daemon_types: Optional[List[str]], host_list: Optional[List[str]],
               services: Optional[List[str]], limit: Optional[int]) -> str:
        """Store a new upgrade's state (no upgrade is in progress)."""
        running_mgrs = [d for d in self.core.daemons(daemon_type="mgr")
                        if d.status == DaemonDescriptionStatus.running]
        if len(running_mgrs) < 2:
            raise OrchestratorError("Need at least 2 running mgr daemons for upgrade")
        state = {
            "target_name": target, "progress_id": str(uuid.uuid4()), "target_id": None,
            "target_digests": None,
            "target_version": version or image_tag_version(target) or self._root_version(target),
            "fail_fs": False, "fs_original_max_mds": None,
            "fs_original_allow_standby_replay": None, "error": None, "paused": False,
            "daemon_types": daemon_types, "hosts": host_list, "services": services,
            "total_count": limit, "remaining_count": limit,
            # engine extras: the engine's placement reads ``target_image``
            "target_image": target, "message": "", "in_flight": [], "started": now_str(),
        }
        self._save_upgrade(state)
        self._upgrade_event(state, f"Upgrade to {target} started")
        return f"Initiating upgrade to {target}"

    def _validate_upgrade_filters(self, target: str, daemon_types: Optional[List[str]],
                                  hosts: Optional[List[str]],
                                  services: Optional[List[str]]) -> None:
        """cephadm's rule for staggered upgrades: every daemon of a type earlier in the
        upgrade order than the types selected must already run the target image."""
        daemons, dtypes, why = self._earlier_than_selected(daemon_types, hosts, services)
        err = "Cannot start upgrade. " + why
        need = [d for d in daemons if not on_target(d, target)]
        active = self._active_mgr()
        if active is not None and not on_target(active, target) and \
                ("mgr" not in dtypes or (daemon_types is None and services is None)):
            need.insert(0, active)
        if need:
            names = sorted({d.name() for d in need})
            raise OrchestratorError(f"{err}Please first upgrade {', '.join(names)}\n"
                                    f"NOTE: Enforced upgrade order is: "
                                    f"{' -> '.join(CEPH_TYPES + GATEWAY_TYPES)}")

    def _earlier_than_selected(self, daemon_types: Optional[List[str]],
                               hosts: Optional[List[str]], services: Optional[List[str]]
                               ) -> Tuple[List[DaemonDescription], List[str], str]:
        """(daemons of types upgraded before the selection, the selected types, what the
        refusal says) for a selection by daemon types, services or hosts."""
        daemons = [d for d in self.core.daemons() if d.daemon_type not in NON_CEPH_IMAGE_TYPES]
        others = daemons if hosts is None else [d for d in daemons if d.hostname not in hosts]
        if daemon_types is not None:
            dtypes = list(daemon_types)
            if hosts is not None:
                dtypes = [latest_type(dtypes)]
            return (earlier_daemons(dtypes, others), dtypes,
                    "Daemons with types earlier in upgrade order than given types need "
                    "upgrading.\n")
        if services is not None:
            rows = [self.store.get_spec(s) for s in services]
            stypes = sorted({r.service_type for r in rows if r is not None})
            if len(stypes) != 1:
                raise OrchestratorError("Doing upgrade by service only support services of one "
                                        f"type at a time. Found service types: {stypes}")
            dtypes = service_to_daemon_types(stypes[0])
            return (earlier_daemons(dtypes, others), dtypes,
                    "Daemons with types earlier in upgrade order than daemons from given "
                    "services need upgrading.\n")
        if hosts is not None:
            dtypes = sorted({d.daemon_type or "" for d in daemons if d.hostname in hosts})
            return (earlier_daemons([latest_type(dtypes)], others), dtypes,
                    "Daemons with types earlier in upgrade order than daemons on given host "
                    "need upgrading.\n")
        return daemons, [], ""

    def _active_mgr(self) -> Optional[DaemonDescription]:
        mgrs = sorted(self.core.daemons(daemon_type="mgr"), key=lambda d: d.name())
        for d in mgrs:
            if d.is_active:
                return d
        return mgrs[0] if mgrs else None

    # -- the package runtime's binary roots ------------------------------------------------
    def _binary_roots(self) -> Dict[str, Dict[str, Any]]:
        """``{image: {version, hosts}}`` of the binary roots the online hosts have (none
        where daemons run from container images)."""
        hosts = [h for h in self.core.host_specs() if (h.status or "") == ""]
        found: Dict[str, Dict[str, Any]] = {}
        results = self.driver.map_hosts(self.driver.binary_roots, hosts)
        for hostname, roots in sorted(results.items()):
            if isinstance(roots, BaseException):
                continue
            for root in roots:
                entry = found.setdefault(root["image"], {"version": root.get("version"),
                                                         "hosts": []})
                entry["hosts"].append(hostname)
        return found

    def _root_version(self, image: str) -> Optional[str]:
        if not image.startswith("deb:"):
            return None
        root = self._binary_roots().get(image)
        return root.get("version") if root else None

    def _roots_listing(self, roots: Dict[str, Dict[str, Any]], tags: bool) -> Dict[Any, Any]:
        """``upgrade ls`` in the package runtime: the binary roots, newest version first."""
        def key(item: Tuple[str, Dict[str, Any]]) -> Tuple[int, ...]:
            found = version_tuple(item[1].get("version"))
            return tuple(int(x) for x in found[2].split("-")[0].split(".")) if found else (0,)
        ordered = sorted(roots.items(), key=key, reverse=True)
        r: Dict[Any, Any] = {"image": "deb", "registry": None, "bare_image": None}
        if tags:
            r["tags"] = [name for name, _ in ordered]
        else:
            r["versions"] = [info.get("version") for _, info in ordered if info.get("version")]
            r["roots"] = [{"image": name, "version": info.get("version"),
                           "hosts": info["hosts"]} for name, info in ordered]
        return r

    @handle_orch_error
    def upgrade_pause(self) -> str:
        state = self._upgrade_state()
        if not state:
            raise OrchestratorError("No upgrade in progress")
        if state.get("paused"):
            return f"Upgrade to {state['target_name']} already paused"
        self._update_upgrade(paused=True)
        self._upgrade_event(state, f"Upgrade to {state['target_name']} paused")
        return f"Paused upgrade to {state['target_name']}"

    @handle_orch_error
    def upgrade_resume(self) -> str:
        state = self._upgrade_state()
        if not state:
            raise OrchestratorError("No upgrade in progress")
        if not state.get("paused"):
            return f"Upgrade to {state['target_name']} not paused"
        self._update_upgrade(paused=False, error="", message="")
        self._upgrade_event(state, f"Upgrade to {state['target_name']} resumed")
        return f"Resumed upgrade to {state['target_name']}"

    @handle_orch_error
    def upgrade_stop(self) -> str:
        state = self._upgrade_state()
        if not state:
            return "No upgrade in progress"
        self._save_upgrade(None)
        self._upgrade_event(state, f"Upgrade to {state['target_name']} stopped")
        return f"Stopped upgrade to {state['target_name']}"

    @handle_orch_error
    def upgrade_status(self) -> UpgradeStatusSpec:
        r = UpgradeStatusSpec()
        state = self._upgrade_state()
        if not state:
            return r
        r.target_image = state["target_name"]
        r.in_progress = True
        r.progress, r.services_complete = self._upgrade_progress(state)
        r.is_paused = bool(state.get("paused"))
        which = ""
        if state.get("daemon_types") is not None:
            which = f"Upgrading daemons of type(s) {','.join(state['daemon_types'])}"
            if state.get("hosts") is not None:
                which += f" on host(s) {','.join(state['hosts'])}"
        elif state.get("services") is not None:
            which = f"Upgrading daemons in service(s) {','.join(state['services'])}"
            if state.get("hosts") is not None:
                which += f" on host(s) {','.join(state['hosts'])}"
        elif state.get("hosts") is not None:
            which = f"Upgrading all daemons on host(s) {','.join(state['hosts'])}"
        else:
            which = "Upgrading all daemon types on all hosts"
        if state.get("total_count") is not None and state.get("remaining_count") is not None:
            which += (f". Upgrade limited to {state['total_count']} daemons "
                      f"({state['remaining_count']} remaining).")
        r.which = which
        r.message = state.get("message") or ""
        if state.get("error"):
            r.message = "Error: " + state["error"]
        elif state.get("paused"):
            r.message = "Upgrade paused"
        return r

    # -- the pass step ------------------------------------------------------------------------
    def upgrade_step(self) -> Optional[Dict[str, Any]]:
        """One turn of cephadm's ``_do_upgrade``: redeploy a few daemons, or finish."""
        state = self._upgrade_state()
        if not state or state.get("paused"):
            return None
        try:
            return self._upgrade_step(state)
        except OrchestratorError as e:  # cephadm's UPGRADE_EXCEPTION: pause and say why
            summary = "Upgrade: failed due to an unexpected exception"
            self._update_upgrade(paused=True, in_flight=[],
                                 error=f"UPGRADE_EXCEPTION: {summary}: {e}")
            self._upgrade_event(state, f"Upgrade paused: {summary}: {e}", "ERROR")
            return {"paused": str(e)}

    def _upgrade_step(self, state: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        target = state["target_name"]
        hosts = {h.hostname: h for h in self.core.host_specs()}
        daemons = self._upgrade_daemons(state)

        failed = self._check_in_flight(state, hosts)
        if failed:
            return {"paused": failed}

        version = state.get("target_version")
        pending, skipped = pending_and_skipped(daemons, hosts, target, version)
        remaining = state.get("remaining_count")

        held = self._held_by_offline_hosts(daemons, pending, skipped, target, version)
        if held:
            return held
        if not pending or (remaining is not None and remaining <= 0):
            unreported = unconfirmed(daemons, target, version)
            if unreported:
                message = (f"Upgrade: waiting for {', '.join(d.name() for d in unreported[:5])} "
                           f"to report version {version}")
                self._update_upgrade(message=message)
                return {"waiting": message}
            moved = self._move_non_ceph_images(state, hosts)
            if moved is not None:
                return moved
            return self._finish_upgrade(state, skipped)

        dtype = pending[0].daemon_type
        batch_size = UPGRADE_BATCH if remaining is None else min(UPGRADE_BATCH, remaining)
        batch, waiting = self._stoppable_batch(
            dtype or "", [p for p in pending if p.daemon_type == dtype][:batch_size])
        note = self._skipped_note(skipped)
        if not batch:
            self._update_upgrade(message=" ".join(x for x in (waiting, note) if x))
            return {"waiting": waiting}

        upgraded: List[str] = []
        for d in batch:
            outcome = self._redeploy(state, d, hosts[d.hostname or ""])
            if outcome == "paused":
                return {"upgraded": upgraded, "paused": d.name()}
            if outcome == "offline":
                note = self._skipped_note(skipped + [d])
                continue
            upgraded.append(d.name())
            if state.get("remaining_count") is not None:
                state["remaining_count"] -= 1
        return self._after_batch(state, target, dtype, pending, upgraded, note)

    def _held_by_offline_hosts(self, daemons: List[DaemonDescription],
                               pending: List[DaemonDescription],
                               skipped: List[DaemonDescription], target: str,
                               version: Optional[str]) -> Optional[Dict[str, Any]]:
        """Hold the upgrade while the next daemon in upgrade order is on an offline host:
        going on would upgrade later types before it (or finish without it). The hold says
        which hosts; the next pass after they return goes on."""
        if not skipped:
            return None
        order = {d.name(): i for i, d in enumerate(daemons)}
        first_skipped = min(order.get(d.name(), 0) for d in skipped)
        first_pending = min((order.get(d.name(), 0) for d in pending), default=len(order))
        if first_pending < first_skipped:
            return None
        hosts = sorted({d.hostname or "" for d in skipped})
        message = (f"Upgrade: paused while host(s) {','.join(hosts)} are offline "
                   f"({len(skipped)} daemon(s) to upgrade there: "
                   f"{', '.join(d.name() for d in skipped[:5])}); it resumes when they are back")
        current = self._upgrade_state() or {}
        if current.get("message") != message:
            self._update_upgrade(message=message)
            self._upgrade_event(current or {"target_name": target}, message, "ERROR",
                                daemons=skipped)
        return {"held": hosts}

    def _stoppable_batch(self, dtype: str, candidates: List[DaemonDescription]
                         ) -> Tuple[List[DaemonDescription], str]:
        """The longest head of ``candidates`` that is ok to stop together, and what the
        upgrade waits for when not even the first one is."""
        batch: List[DaemonDescription] = []
        for d in candidates:
            ids = [b.daemon_id or "" for b in batch] + [d.daemon_id or ""]
            ok = self.cluster.ok_to_stop(dtype, ids)
            if not ok.ok:
                if not batch:
                    return batch, (f"Upgrade: waiting for {d.name()} to be ok to stop: "
                                   f"{ok.message}")
                break
            batch.append(d)
        return batch, ""

    def _after_batch(self, state: Dict[str, Any], target: str, dtype: Optional[str],
                     pending: List[DaemonDescription], upgraded: List[str],
                     note: str) -> Optional[Dict[str, Any]]:
        """Record the type's image once all its daemons are upgraded, and the progress."""
        if upgraded and len(upgraded) == len([p for p in pending if p.daemon_type == dtype]):
            if dtype in CEPH_IMAGE_TYPES:
                self._record_type_images(target, self.core.daemons(daemon_type=dtype))
        current = self._update_upgrade(
            remaining_count=state.get("remaining_count"),
            message=" ".join(x for x in (f"Currently upgrading {dtype} daemons", note) if x))
        if current is None:
            return {"upgraded": upgraded, "stopped": True}
        return {"upgraded": upgraded}

    @staticmethod
    def _skipped_note(skipped: List[DaemonDescription]) -> str:
        if not skipped:
            return ""
        hosts = sorted({d.hostname or "" for d in skipped})
        return (f"Skipping {len(skipped)} daemon(s) on offline or maintenance host(s) "
                f"{','.join(hosts)}: {', '.join(d.name() for d in skipped)}.")

    def _redeploy_request(self, d: DaemonDescription, image: str) -> DeployRequest:
        from ceph_orch_cli.cluster import reconcile
        fsid = self.cluster.fsid()
        row = self.store.get_spec(d.service_name())
        if row is not None:
            req = reconcile.reconfig_request(self.core.spec_from_json(row.spec), d, fsid, image)
        else:
            req = DeployRequest(name=d.name(), fsid=fsid, image=image,
                                service_name=d.service_name(), ports=list(d.ports or []),
                                ip=d.ip, rank=d.rank, rank_generation=d.rank_generation)
        req.image = image
        req.reconfig = False
        return req

    # -- the daemons of other images (monitoring, nvmeof, smb), after the Ceph daemons -----
    def _stale_non_ceph(self, state: Dict[str, Any], hosts: Dict[str, "HostSpec"]
                        ) -> List[Tuple[DaemonDescription, str]]:
        """Daemons of the upgrade-ordered types that do not run the Ceph image (nvmeof, smb,
        the monitoring stack) not on the default image of the target's release: cephadm
        moves them to the upgraded mgr's ``container_image_<type>`` once the Ceph daemons
        are done. An image chosen with ``orch update service`` or a spec's own stays."""
        from ceph_orch_cli.cluster import reconcile
        types = NON_CEPH_IMAGE_TYPES
        if state.get("daemon_types") is not None:
            types = [t for t in types if t in state["daemon_types"]]
        chosen = self.core.service_images()
        stale: List[Tuple[DaemonDescription, str]] = []
        for d in self.core.daemons():
            if d.daemon_type not in types or d.hostname not in hosts or \
                    (hosts[d.hostname].status or "") != "":
                continue
            if state.get("services") is not None and d.service_name() not in state["services"]:
                continue
            if state.get("hosts") is not None and d.hostname not in state["hosts"]:
                continue
            row = self.store.get_spec(d.service_name())
            spec = self.core.spec_from_json(row.spec) if row is not None else None
            image = reconcile.image_for(d.daemon_type or "", state["target_name"], spec, chosen)
            if d.container_image_name != image:
                stale.append((d, image))
        order = {t: i for i, t in enumerate(types)}
        return sorted(stale, key=lambda item: (order[item[0].daemon_type or ""],
                                               item[0].hostname or "", item[0].name()))

    def _move_non_ceph_images(self, state: Dict[str, Any],
                              hosts: Dict[str, "HostSpec"]) -> Optional[Dict[str, Any]]:
        """Redeploy a batch of them, in upgrade order; None when none is left."""
        stale = self._stale_non_ceph(state, hosts)
        if not stale:
            return None
        upgraded: List[str] = []
        for d, image in stale[:UPGRADE_BATCH]:
            outcome = self._redeploy(state, d, hosts[d.hostname or ""], image)
            if outcome == "paused":
                return {"upgraded": upgraded, "paused": d.name()}
            if outcome == "ok":
                upgraded.append(d.name())
        self._update_upgrade(message=f"Upgrade: moving daemons to the release's default "
                                     f"images ({len(stale) - len(upgraded)} left)")
        return {"upgraded": upgraded}

    def _redeploy(self, state: Dict[str, Any], d: DaemonDescription, host: "HostSpec",
                  image: Optional[str] = None) -> str:
        """Redeploy one daemon on the target image (or, for a type of another image, on
        ``image``): 'ok', 'offline' or 'paused'."""
        from ceph_orch_cli.cluster.daemon_cache import ls_entry_to_cache
        target = image or state["target_name"]
        name = d.name()
        # recorded first: a crash during the redeploy is checked by the next pass
        if self._update_upgrade(in_flight=[name]) is None:
            return "paused"
        try:
            if d.daemon_type == "mgr" and d.daemon_id == self.cluster.active_mgr():
                self.cluster.fail_mgr(d.daemon_id or "")  # a standby (upgraded first) takes over
            self.driver.deploy_daemon(host, self._redeploy_request(d, target))
            entries = self.driver.list_daemons(host)
        except HostUnreachable as e:
            self.store.set_host_offline(host.hostname, e.reason)
            self._update_upgrade(in_flight=[])
            self._upgrade_event(state, f"Upgrade: skipping {name}: {e}", "ERROR", [d])
            return "offline"
        except HostActionError as e:
            self._fail_upgrade(state, d, str(e.reason))
            return "paused"
        ts = now_str()
        with self.store.transaction():
            self.core.commit()
            self.store.replace_host_daemons(
                host.hostname, [ls_entry_to_cache(host.hostname, e, ts) for e in entries], ts)
            self._update_upgrade(in_flight=[])
        self.core.count_action()
        entry = next((e for e in entries if e.get("name") == name), None)
        if entry is None or entry.get("state") != "running" or \
                entry.get("container_image_name") != target:
            why = "it is gone" if entry is None else \
                f"it is {entry.get('state')} on {entry.get('container_image_name')}"
            self._fail_upgrade(state, d, f"{name} did not come back after the redeploy: {why}")
            return "paused"
        self._upgrade_event(state, f"Upgraded {name} on host '{host.hostname}' to {target}",
                            daemons=[d])
        return "ok"

    def _check_in_flight(self, state: Dict[str, Any],
                         hosts: Dict[str, "HostSpec"]) -> Optional[str]:
        """After a crash mid-redeploy: a daemon left in flight must be running the target image,
        or it is redeployed again (its host still has it) / the upgrade pauses (it is gone)."""
        names = state.get("in_flight") or []
        if not names:
            return None
        target = state["target_name"]
        for name in names:
            dtype, did = name.split(".", 1)
            found = self.core.daemons(daemon_type=dtype, daemon_id=did)
            if not found:
                d = DaemonDescription(daemon_type=dtype, daemon_id=did)
                self._fail_upgrade(state, d, f"{name} disappeared during its redeploy")
                return name
            d = found[0]
            if on_target(d, target) and d.status != DaemonDescriptionStatus.running and \
                    d.hostname in hosts and (hosts[d.hostname].status or "") == "":
                self._fail_upgrade(state, d, f"{name} did not come back after the redeploy: "
                                             f"it is {d.status_desc}")
                return name
        self._update_upgrade(in_flight=[])
        return None

    def _record_type_images(self, target: str, daemons: List[DaemonDescription]) -> None:
        """A daemon type whose every daemon runs the target: its new daemons get the target
        too (cephadm sets ``container_image`` in that type's config section)."""
        by_type: Dict[str, List[DaemonDescription]] = {}
        for d in daemons:
            by_type.setdefault(d.daemon_type or "", []).append(d)
        per_type = dict(self.store.get_setting("container_image_by_type", {}) or {})
        done = {t: target for t, ds in by_type.items() if all(on_target(d, target) for d in ds)}
        if any(per_type.get(t) != img for t, img in done.items()):
            per_type.update(done)
            self.store.set_setting("container_image_by_type", per_type)

    def _fail_upgrade(self, state: Dict[str, Any], d: DaemonDescription, detail: str) -> None:
        """cephadm's ``_fail_upgrade('UPGRADE_REDEPLOY_DAEMON', ...)``: pause, say why."""
        summary = f"Upgrading daemon {d.name()} on host {d.hostname} failed."
        self._update_upgrade(paused=True, in_flight=[],
                             error=f"UPGRADE_REDEPLOY_DAEMON: {summary} {detail}")
        self._upgrade_event(state, f"Upgrade paused: {summary} {detail}", "ERROR", [d])

    def _finish_upgrade(self, state: Dict[str, Any],
                        skipped: List[DaemonDescription]) -> Dict[str, Any]:
        target = state["target_name"]
        everything = [d for d in self.core.daemons() if d.daemon_type in CEPH_IMAGE_TYPES]
        with self.store.transaction():
            if self._upgrade_state() is None:
                return {"stopped": True}
            if everything and all(on_target(d, target, state.get("target_version"))
                                  for d in everything):
                # new daemons now get the target image (cephadm sets container_image global
                # and drops the per-section settings)
                self.store.set_setting("container_image", target)
                self.store.set_setting("container_image_by_type", {})
            else:
                self._record_type_images(target, everything)
            self._save_upgrade(None)
        if state.get("remaining_count") is not None and state["remaining_count"] <= 0:
            msg = f"Upgrade to {target}: limit of {state['total_count']} daemons reached"
        else:
            msg = f"Upgrade to {target} complete"
            version = state.get("target_version")
            if version and everything and all(
                    on_target(d, target, version) for d in everything):
                done = self.cluster.finish_upgrade(version)
                if done:
                    msg += " (" + ", ".join(done) + ")"
        if skipped:
            msg += ". " + self._skipped_note(skipped) + " Run the upgrade again once they are back."
        self._upgrade_event(state, msg, "ERROR" if skipped else "INFO")
        out: Dict[str, Any] = {"complete": target}
        if skipped:
            out["skipped"] = [d.name() for d in skipped]
        return out
