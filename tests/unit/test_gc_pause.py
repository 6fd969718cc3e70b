"""The cyclic garbage collector's pause for bulk work (app/core/gc_pause.py)."""

from __future__ import annotations

import gc
import weakref

import pytest

from app.core.gc_pause import collect_young, no_cyclic_gc


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_the_pause_ends_with_the_block_even_when_it_raises() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), no_cyclic_gc():
        assert not gc.isenabled()
        raise RuntimeError
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    try:
        with no_cyclic_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_cycles_made_during_the_pause_are_freed_between_batches() -> None:
    with no_cyclic_gc():
        ref = weakref.ref(_Node())
        assert ref() is not None  # the pause keeps it
        collect_young()
        assert ref() is None
