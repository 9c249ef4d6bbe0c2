"""fastmcp's per-client state, kept in memory without its key-value library
(``mcp/state.py``): what is put is got back until its expiry, deleted on request, and the
oldest entries go first when it is full."""

from __future__ import annotations

import asyncio

from skillport_connector.clock import FakeClock
from skillport_connector.mcp.state import SessionState


def test_a_value_put_is_got_back_in_its_collection_only():
    state = SessionState(FakeClock())
    asyncio.run(state.put("rules", [1], collection="a"))
    assert asyncio.run(state.get("rules", collection="a")) == [1]
    assert asyncio.run(state.get("rules", collection="b")) is None


def test_a_value_is_gone_once_its_ttl_has_passed():
    clock = FakeClock()
    state = SessionState(clock)
    asyncio.run(state.put("k", "v", ttl=60))
    clock.advance(59)
    assert asyncio.run(state.get("k")) == "v"
    clock.advance(1)
    assert asyncio.run(state.get("k", default="gone")) == "gone"


def test_delete_says_whether_there_was_something_to_delete():
    state = SessionState(FakeClock())
    asyncio.run(state.put("k", "v"))
    assert asyncio.run(state.delete("k")) is True
    assert asyncio.run(state.delete("k")) is False
    assert asyncio.run(state.get("k")) is None


def test_the_oldest_entries_go_first_when_it_is_full():
    state = SessionState(FakeClock(), max_entries=2)
    for key in ("a", "b", "c"):
        asyncio.run(state.put(key, key))
    asyncio.run(state.put("b", "b2"))  # rewritten: now the newest
    asyncio.run(state.put("d", "d"))
    assert [asyncio.run(state.get(k)) for k in ("a", "b", "c", "d")] == [None, "b2", None, "d"]
