"""The collector is paused while a snapshot is built (heap.loading)."""

from __future__ import annotations

import gc
from contextlib import ExitStack

import pytest

from skillport_connector import heap


@pytest.fixture(autouse=True)
def collecting():
    was = gc.isenabled()
    gc.enable()
    yield
    gc.enable() if was else gc.disable()


def test_collection_is_paused_while_a_snapshot_loads_and_resumes_after():
    with heap.loading():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_overlapping_loads_keep_collection_paused_until_the_last_ends():
    first, second = heap.loading(), heap.loading()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_failed_load_resumes_collection():
    with pytest.raises(RuntimeError), heap.loading():
        raise RuntimeError("broken tree")
    assert gc.isenabled()


def test_collection_that_was_off_stays_off_after_a_load():
    gc.disable()
    with ExitStack() as stack:
        stack.enter_context(heap.loading())
    assert not gc.isenabled()
