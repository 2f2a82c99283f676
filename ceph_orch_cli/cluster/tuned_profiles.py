"""Tuned profiles (``orch tuned-profile ...``), kept in the store."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Dict, List

from ceph_orch_cli.orchestrator import handle_orch_error
from ceph_orch_cli.orchestrator.errors import OrchestratorError

if TYPE_CHECKING:  # pragma: no cover
    from ceph_orch_cli.cluster.store import Store
    from ceph_orch_cli.deployment.tuned_profile import TunedProfileSpec


class TunedProfiles:
    """Tuned-profile methods of the Orchestrator interface: the store is all they touch."""

    def __init__(self, store: "Store") -> None:
        self.store = store

    # ================================================================ tuned profiles
    @handle_orch_error
    def apply_tuned_profiles(self, specs: List["TunedProfileSpec"], no_overwrite: bool = False) -> str:
        from ceph_orch_cli.deployment.tuned_profile import assert_valid_profile_name
        for spec in specs:  # every name checked before any is saved
            assert_valid_profile_name(spec.profile_name)
        existing = self.store.get_tuned_profiles()
        out = []
        for spec in specs:
            if no_overwrite and spec.profile_name in existing:
                out.append(f"Tuned profile '{spec.profile_name}' already exists "
                           "(--no-overwrite was passed)")
                continue
            self.store.put_tuned_profile(spec.profile_name, spec.to_json())
            out.append(f"Saved tuned profile {spec.profile_name}")
        return "\n".join(out)

    @handle_orch_error
    def rm_tuned_profile(self, profile_name: str) -> str:
        if not self.store.remove_tuned_profile(profile_name):
            raise OrchestratorError(f"Tuned profile {profile_name} does not exist. Nothing to remove.")
        return f"Removed tuned profile {profile_name}"

    @handle_orch_error
    def tuned_profile_ls(self) -> List["TunedProfileSpec"]:
        from ceph_orch_cli.deployment.tuned_profile import TunedProfileSpec
        return [TunedProfileSpec.from_json(s) for s in self.store.get_tuned_profiles().values()]

    def _edit_profile(self, profile_name: str, verb: str,
                      change: Callable[[Dict[str, str]], object]) -> None:
        with self.store.transaction():
            spec = self.store.get_tuned_profiles().get(profile_name)
            if spec is None:
                raise OrchestratorError(f"Tuned profile {profile_name} does not exist. "
                                        f"Cannot {verb} setting.")
            settings = dict(spec.get("settings") or {})
            change(settings)
            spec["settings"] = settings
            self.store.put_tuned_profile(profile_name, spec)

    @handle_orch_error
    def tuned_profile_add_setting(self, profile_name: str, setting: str, value: str) -> str:
        self._edit_profile(profile_name, "add", lambda s: s.__setitem__(setting, value))
        return f"Added setting {setting} with value {value} to tuned profile {profile_name}"

    @handle_orch_error
    def tuned_profile_rm_setting(self, profile_name: str, setting: str) -> str:
        self._edit_profile(profile_name, "remove", lambda s: s.pop(setting, None))
        return f"Removed setting {setting} from tuned profile {profile_name}"

    @handle_orch_error
    def tuned_profile_add_settings(self, profile_name: str, setting: Dict[str, str]) -> str:
        self._edit_profile(profile_name, "add", lambda s: s.update(setting))
        return f"Added settings {', '.join(setting)} to tuned profile {profile_name}"

    @handle_orch_error
    def tuned_profile_rm_settings(self, profile_name: str, settings: List[str]) -> str:
        def drop(s: Dict[str, str]) -> None:
            for k in settings:
                s.pop(k, None)
        self._edit_profile(profile_name, "remove", drop)
        return f"Removed settings {', '.join(settings)} from tuned profile {profile_name}"
