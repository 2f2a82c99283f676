"""Calling "the configured orchestrator" without knowing which backend it is.

``OrchestratorClientMixin`` has one forwarder for every public ``Orchestrator`` method. Tell it
where calls go with ``set_backend(backend)`` (an Orchestrator instance, or None for "not
configured"), or with ``set_mgr(mgr)`` where ``mgr._select_orchestrator()`` returns the
backend to use at call time (so a CLI can resolve ``--backend``/``ORCH_BACKEND`` lazily).

It deliberately does not inherit ``Orchestrator``: a backend that mixed it in would have every
one of its own methods replaced by a forwarder. A backend that needs to call "whatever
orchestrator is configured" holds a separate client instance instead.
"""
from __future__ import annotations

from functools import update_wrapper
from typing import Any, Callable, Dict, Optional, Tuple

from .errors import NoOrchestrator
from .interface import Orchestrator

_NOT_FORWARDED = frozenset({'is_orchestrator_module'})


class OrchestratorClientMixin:
    """Forwards every ``Orchestrator`` method to the configured backend; see the module docstring.

    Raises ``NoOrchestrator`` when no backend is configured, and
    ``NotImplementedError('<backend> does not implement <method>')`` when the backend lacks one.
    """

    _orch_backend: Optional[Orchestrator] = None
    _orch_mgr: Any = None

    def set_backend(self, backend: Optional[Orchestrator]) -> None:
        """Send calls to ``backend``; None means no orchestrator is configured."""
        self._orch_backend = backend

    def set_mgr(self, mgr: Any) -> None:
        """Resolve the backend per call with ``mgr._select_orchestrator()`` (may return None).

        A backend given to ``set_backend`` wins over the mgr.
        """
        self._orch_mgr = mgr

    def _select_backend(self) -> Orchestrator:
        backend = self._orch_backend
        if backend is None and self._orch_mgr is not None:
            backend = self._orch_mgr._select_orchestrator()
        if backend is None:
            raise NoOrchestrator()
        return backend

    def _oremote(self, meth: str, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
        """Call ``meth`` on the configured backend.

        A NotImplementedError from a method the backend does not override is re-raised with
        the backend's name, so the user learns which backend lacks what.
        """
        backend = self._select_backend()
        name = backend_name(backend)
        fn = getattr(backend, meth, None)
        if fn is None:
            raise NotImplementedError(f'{name} does not implement {meth}')
        try:
            return fn(*args, **kwargs)
        except NotImplementedError as e:
            if meth == 'get_feature_set' or _implements(backend, meth):
                raise
            raise NotImplementedError(f'{name} does not implement {meth}') from e


def backend_name(backend: Any) -> str:
    """A backend's ``NAME`` attribute if it has one (``local``, ``ssh``), else its class name."""
    return str(getattr(backend, 'NAME', None) or type(backend).__name__)


def _implements(backend: Any, meth: str) -> bool:
    if not isinstance(backend, Orchestrator):
        return True  # a duck-typed backend that has the method implements it
    features = Orchestrator.get_feature_set(backend)
    return meth in features and bool(features[meth]['available'])


def _forwarder(meth: str, method: Callable[..., Any]) -> Callable[..., Any]:
    def forward(self: OrchestratorClientMixin, *args: Any, **kwargs: Any) -> Any:
        return self._oremote(meth, args, kwargs)
    # keeps the interface's name, docstring and signature (inspect follows __wrapped__)
    return update_wrapper(forward, method)


for _name, _method in list(Orchestrator.__dict__.items()):
    if not _name.startswith('_') and _name not in _NOT_FORWARDED and callable(_method):
        setattr(OrchestratorClientMixin, _name, _forwarder(_name, _method))
del _name, _method
