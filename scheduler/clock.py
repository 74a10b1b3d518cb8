"""Time, passed in: the station reads the clock and sleeps only through a `Clock`."""

from __future__ import annotations

import time as _time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Where the station gets the current instant and how it waits for a future one."""

    def now(self) -> datetime:
        """Return the current instant, aware, in UTC."""
        ...

    def sleep_until(self, instant: datetime) -> None:
        """Block until `instant` (return at once if it has passed)."""
        ...

    def monotonic(self) -> float:
        """Return seconds on a clock that never jumps (for pacing audio)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block for `seconds` of monotonic time."""
        ...


class SystemClock:
    """The wall clock, with a final short sleep so that waits end close to the instant."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep_until(self, instant: datetime) -> None:
        while True:
            remaining = (instant - self.now()).total_seconds()
            if remaining <= 0:
                return
            # Long waits in slices, so a changed wall clock (NTP step) is noticed within 0.5 s.
            _time.sleep(min(remaining, 0.5))

    def monotonic(self) -> float:
        return _time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            _time.sleep(seconds)


class Pacer:
    """Wait for instants of a programme on the monotonic clock, from one wall-clock reading.

    A slot starts at a wall-clock instant, but once audio flows its chunks must be paced by a
    clock that never jumps: an NTP step in the middle of a bulletin (a board without a
    real-time clock, just after boot) would otherwise burst audio out or leave dead air.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.wall = clock.now()
        self.mono = clock.monotonic()

    def sleep_until(self, instant: datetime) -> None:
        """Block until `instant`, as it was on the wall clock when the pacer was made."""
        due = self.mono + (instant - self.wall).total_seconds()
        self.clock.sleep(due - self.clock.monotonic())
