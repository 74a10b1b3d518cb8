"""Pacing audio on a clock that never jumps, from one reading of the wall clock."""

from __future__ import annotations

from datetime import datetime

from playlists.core.clock import Clock


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
