"""Pausing Python's cyclic garbage collector around bulk work."""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Converging a large cluster allocates hundreds of thousands of small dicts that live
    until the end; the cyclic collector would rescan them again and again for nothing
    (reference counting still frees everything)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
