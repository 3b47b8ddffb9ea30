"""mineralmap.ui.cache: the heap freeze after a catalog load (real garbage collector)."""

from __future__ import annotations

import gc
import time
import weakref

from mineralmap.ui import cache


class _Node:
    """An object that can be in a reference cycle (freed by the cyclic collector only)."""

    other: _Node | None = None


def _cycle() -> weakref.ref:
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_freeze_heap_collects_new_garbage_and_frozen_garbage_once_per_interval(monkeypatch):
    frozen = _cycle()
    gc.freeze()  # garbage that a previous freeze moved out of the collector's reach
    young = _cycle()  # garbage made since
    assert frozen() is not None and young() is not None

    monkeypatch.setattr(cache, "_LAST_FULL_COLLECT", [time.monotonic()])  # a full one just ran
    cache._freeze_heap()
    assert young() is None  # collected
    assert frozen() is not None  # left for the next full collection
    assert gc.get_freeze_count() > 0  # what is alive is frozen again

    monkeypatch.setattr(cache, "_LAST_FULL_COLLECT",
                        [time.monotonic() - cache.FULL_COLLECT_EVERY_S])
    cache._freeze_heap()
    assert frozen() is None  # the interval has passed: the whole heap was collected
    assert gc.get_freeze_count() > 0
