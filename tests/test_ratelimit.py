"""Fixed-window rate limits in the shared store, on an injected clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from skillport_connector.auth.ratelimit import RateLimited, RateLimiter
from skillport_connector.clock import FakeClock
from skillport_connector.errors import SkillportError
from skillport_connector.store import SQLiteStore


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(now=6000.0)  # the start of a 60-second window


@pytest.fixture
def limiter(tmp_path: Path, clock: FakeClock) -> RateLimiter:
    return RateLimiter(SQLiteStore(tmp_path / "s.db", clock=clock), clock=clock)


def test_the_limit_allows_that_many_per_window(limiter):
    for _ in range(3):
        limiter.hit("oauth", "192.0.2.1", 3, "requests")
    with pytest.raises(RateLimited) as err:
        limiter.hit("oauth", "192.0.2.1", 3, "requests")
    assert isinstance(err.value, SkillportError) and err.value.kind == "rate_limited"


def test_retry_after_counts_down_to_the_next_window(limiter, clock):
    limiter.hit("oauth", "a", 1, "requests")
    clock.advance(45)
    with pytest.raises(RateLimited) as err:
        limiter.hit("oauth", "a", 1, "requests")
    assert err.value.retry_after == 16 and "16 s" in str(err.value)


def test_a_new_window_starts_afresh(limiter, clock):
    limiter.hit("oauth", "a", 1, "requests")
    clock.advance(60)
    limiter.hit("oauth", "a", 1, "requests")


def test_subjects_and_scopes_count_apart(limiter):
    limiter.hit("oauth", "a", 1, "requests")
    limiter.hit("oauth", "b", 1, "requests")
    limiter.hit("register", "a", 1, "registrations")


def test_zero_means_unlimited(limiter):
    for _ in range(100):
        limiter.hit("oauth", "a", 0, "requests")
