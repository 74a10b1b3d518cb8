"""A zone's air as a channel: one programme at a time, emergencies first, outputs kept warm.

A channel is claimed by one programme at a time. Emergencies waiting for the zone go before
any slot programme that is waiting too, and interrupt the programme on air at its next chunk
(unless that programme is itself an emergency: emergencies never cut each other, they queue).
Outputs that must not go quiet (a sound card, an Icecast mount that loudspeakers pull) stay
open and get real-time silence whenever no programme holds the channel.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta

from playlists.asrun.models import AirSource
from playlists.core.clock import Clock
from scheduler.clock import Pacer
from scheduler.outputs.base import CHUNK_S, silence
from scheduler.playout.lines import OutputLine
from scheduler.playout.player import Interruption, Segment
from scheduler.playout.programs import Program

INTERRUPTED_BY_EMERGENCY = "Ngắt giữa chừng để phát tin khẩn cấp."


@dataclass(frozen=True)
class Queued:
    """An emergency waiting for a zone; `emergency_id` 0 when another zone counts the airing."""

    emergency_id: int
    program: Program
    segments: list[Segment]


@dataclass
class Channel:
    """One zone's air: its kept outputs, who holds it, and the emergencies waiting for it."""

    zone_id: int | None
    zone_name: str
    kept: list[OutputLine] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)  # kept outputs opened
    lock: threading.Lock = field(default_factory=threading.Lock)
    idle: threading.Event = field(default_factory=threading.Event)
    # Held while a chunk of silence is written, so silence and a programme never mix.
    writing: threading.Lock = field(default_factory=threading.Lock)
    interruption: Interruption | None = None
    source: AirSource | None = None  # what is on air: the holder's, or an emergency's
    held_by: AirSource | None = None  # what holds the channel
    waiting: list[Queued] = field(default_factory=list)
    runner: bool = False  # a thread is on its way to air the waiting emergencies

    def __post_init__(self) -> None:
        self.idle.set()

    def claim(self, *, source: AirSource, stopping: threading.Event) -> bool:
        """Take the channel for a programme; False if the station stops first."""
        emergency = source == AirSource.EMERGENCY
        while not stopping.is_set():
            with self.lock:
                if self.idle.is_set() and (emergency or not self.waiting):
                    self.idle.clear()
                    self.source = self.held_by = source
                    self.interruption = Interruption(INTERRUPTED_BY_EMERGENCY)
                    break
            if self.idle.is_set():
                stopping.wait(0.02)  # emergencies are waiting: their runner goes first
            else:
                self.idle.wait(0.5)
        else:
            return False
        with self.writing:
            pass  # the silence feeder finished its chunk and leaves the outputs to us
        return True

    def release(self) -> bool:
        """Give the channel back; True if emergencies wait and the caller must start a runner."""
        with self.lock:
            self.interruption, self.source, self.held_by = None, None, None
            self.idle.set()
            if self.waiting and not self.runner:
                self.runner = True
                return True
        return False

    def enqueue(self, queued: Queued) -> bool:
        """Queue an emergency and interrupt what is on air; True if a runner must be started."""
        with self.lock:
            self.waiting.append(queued)
            if self.idle.is_set():
                if self.runner:
                    return False
                self.runner = True
                return True
            if self.interruption is not None and self.source != AirSource.EMERGENCY:
                self.interruption.request()
            return False

    def next_waiting(self) -> Queued | None:
        """Take the next waiting emergency, if any."""
        with self.lock:
            return self.waiting.pop(0) if self.waiting else None

    def next_or_rearm(self) -> Queued | None:
        """Take the next waiting emergency (to air under a fresh interruption only a stop
        requests), or, when none is left, re-arm the channel for the programme: both in one
        step, so an emergency that comes meanwhile is never left waiting behind it."""
        with self.lock:
            self.interruption = Interruption(INTERRUPTED_BY_EMERGENCY)
            if not self.waiting:
                self.source = self.held_by
                return None
            self.source = AirSource.EMERGENCY
            return self.waiting.pop(0)

    def feed_silence(self, clock: Clock, stopping: threading.Event) -> None:
        """Feed the kept outputs real-time silence while no programme holds the channel."""
        if not self.kept:
            return
        rate = self.kept[0].output.sample_rate
        chunk = silence(CHUNK_S, rate)
        pacer, count = Pacer(clock), 0
        while not stopping.is_set():
            count += 1
            pacer.sleep_until(pacer.wall + timedelta(seconds=count * CHUNK_S))
            with self.writing:
                if not self.idle.is_set():
                    pacer, count = Pacer(clock), 0  # a programme has the outputs
                    continue
                now = clock.now()
                for line in self.kept:
                    line.write(chunk, now)
