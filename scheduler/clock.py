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
