"""The value every backend method returns: a result or the exception that replaced it.

Ceph needs this to carry exceptions across mgr sub-interpreters (it pickles them). Here
backends run in-process, so the exception is kept as the object itself: its type, ``errno``
and ``event_subject`` reach the CLI unchanged.
"""
from __future__ import annotations

import logging
import os
from functools import wraps
from typing import Any, Callable, Generic, Optional, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar('T')


class OrchResult(Generic[T]):
    """A backend call's outcome: ``result`` on success, ``exception`` on failure."""

    __slots__ = ('result', 'exception', 'exception_str')

    def __init__(self, result: Optional[T], exception: Optional[BaseException] = None) -> None:
        self.result = result
        self.exception: Optional[BaseException] = None
        self.exception_str = ''
        self.set_exception(exception)

    def set_exception(self, e: Optional[BaseException]) -> None:
        """Record (or clear, with None) the failure; ``exception_str`` is Ceph's ``"<type>: <msg>"``."""
        self.exception = e
        self.exception_str = '' if e is None else f'{type(e)}: {e}'

    def result_str(self) -> str:
        """The result as text for plain output: one line per list item, '' for nothing."""
        if self.result is None:
            return ''
        if isinstance(self.result, list):
            return '\n'.join(str(x) for x in self.result)
        return str(self.result)

    def __repr__(self) -> str:
        if self.exception is not None:
            return f'OrchResult(exception={self.exception!r})'
        return f'OrchResult({self.result!r})'


def raise_if_exception(c: OrchResult[T]) -> T:
    """Re-raise the stored exception, else return the result (which must not be None, as in Ceph)."""
    if c.exception is not None:
        raise c.exception
    if c.result is None:
        raise AssertionError('OrchResult should either have an exception or a result')
    return c.result


def handle_orch_error(f: Callable[..., T]) -> Callable[..., OrchResult[T]]:
    """Make a backend method return an OrchResult instead of raising.

    With ``UNITTEST`` in the environment the exception propagates instead, as in Ceph, so test
    tracebacks point at the failing line.
    """

    @wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> OrchResult[T]:
        try:
            return OrchResult(f(*args, **kwargs))
        except Exception as e:  # the point of the decorator: every failure becomes a value
            # debug, not exception(): with no logging configured, Python's last-resort handler
            # would print WARNING+ records (and the traceback) on a user's terminal.
            logger.debug('%s failed', getattr(f, '__qualname__', f), exc_info=True)
            if 'UNITTEST' in os.environ:
                raise
            return OrchResult(None, exception=e)

    return wrapper
