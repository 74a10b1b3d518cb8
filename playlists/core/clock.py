"""Time, passed in: the station reads the clock and sleeps only through a `Clock`.

Domain functions take `now` as a value; what runs over time (the scheduler, the player, the
composition root that stamps a request) asks a `Clock`, so tests can give it their own.
"""

from __future__ import annotations

import time as _time
from datetime import UTC, date, datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo


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


def local_day(instant: datetime, tz: ZoneInfo) -> date:
    """Return the station's local date at an instant."""
    return instant.astimezone(tz).date()


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """Return the instant (UTC) a local day begins: where a window of local days starts or ends.

    Stored instants are UTC, while staff ask for days where the station is; a window of days
    `first`..`last` is the instants from `local_midnight(first)` to before that of `last + 1`.
    """
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
