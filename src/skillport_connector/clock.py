"""Time, injectable: everything that expires takes a ``Clock`` so tests move time
instead of sleeping."""

from __future__ import annotations

import time
from collections.abc import Callable

#: Seconds since the epoch, like ``time.time``.
Clock = Callable[[], float]

system_clock: Clock = time.time


class FakeClock:
    """A clock for tests: starts at ``now`` and moves only when told."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
