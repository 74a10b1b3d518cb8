"""Emergencies on air: picked up within a fraction of a second, cutting into what is airing.

Requests are rows (playlists/emergencies): the web app and `loa emergency` write them, and
the watcher claims due ones at its next poll (every 0.25 s, looking only when the database
changed or a repeat fell due), or at once when woken. Each airing goes on every
zone asked; on a zone it interrupts a slot at its next chunk, and queues behind another
emergency, never cutting it. An airing counts once every zone has reported.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from playlists.alerts.models import AlertKind
from playlists.asrun.models import AirSource, AirStatus
from playlists.core.db import CommitWatch, session_scope
from playlists.emergencies import service as emergencies
from playlists.emergencies.models import Emergency, EmergencyStatus
from playlists.slots.models import Zone
from scheduler.lock import StationLock
from scheduler.outputs.base import SAMPLE_RATE
from scheduler.playout.airwaves import Airwaves
from scheduler.playout.channels import Channel, Queued
from scheduler.playout.player import assemble
from scheduler.playout.programs import PlayResult, emergency_programs

log = logging.getLogger(__name__)

# How often the watcher looks for new requests (the CLI writes them to the database).
POLL_S = 0.25


@dataclass
class _Airing:
    """One airing of an emergency across its zones, counted once every zone has reported."""

    zones_left: int
    started: datetime
    went_out: bool = False
    cut: bool = False
    reasons: set[str] = field(default_factory=set)


class EmergencyDesk:
    """Watch for emergency requests and put each on its zones' air at once."""

    def __init__(self, air: Airwaves) -> None:
        self.air = air
        self._wake = threading.Event()
        self._watcher: threading.Thread | None = None
        self._airings: dict[int, _Airing] = {}  # on air now, by id
        self._next_at: datetime | None = None  # when the next request known falls due
        self._lock = threading.Lock()
        air.emergencies = self

    def start(self) -> None:
        """Start watching for requests."""
        self._watcher = threading.Thread(target=self._watch, name="emergency watcher", daemon=True)
        self._watcher.start()

    def wake(self) -> None:
        """Look for requests now instead of at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        """Stop watching (the station is stopping)."""
        self._wake.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)

    def _watch(self) -> None:
        # A look is a transaction; most polls find nothing. So it looks when woken, when
        # someone committed to the database (a request from another process, a repeat
        # rescheduled), or when the next repeat falls due, and otherwise only asks SQLite
        # whether anything changed.
        commits = CommitWatch(self.air.sessions.kw["bind"])
        woken = True
        try:
            while not self.air.stopping.is_set():
                try:
                    due = self._next_at is not None and self.air.clock.now() >= self._next_at
                    if commits.changed() or woken or due:
                        self.air_due()
                except Exception:
                    log.exception("emergency watcher failed; trying again")
                    self._next_at = self.air.clock.now()  # try again at the next poll
                woken = self._wake.wait(POLL_S)
                self._wake.clear()
        finally:
            commits.close()

    def air_due(self) -> list[threading.Thread]:
        """Claim due emergency requests and put each on its zones' air at once."""
        if self.air.stopping.is_set():
            return []
        now = self.air.clock.now()
        with session_scope(self.air.sessions) as session:
            due = emergencies.claim_due(session, now=now)
            all_zones = {z.id: z.name for z in session.scalars(select(Zone))}
            self._next_at = emergencies.next_due_at(session)
        started = []
        for emergency in due:
            zones = {z: all_zones[z] for z in (emergency.zone_ids or all_zones) if z in all_zones}
            started.extend(self._take_air(emergency, zones))
        return started

    def air_alone(
        self,
        emergency_id: int,
        lock: StationLock,
        progress: Callable[[Emergency], None] | None = None,
    ) -> Emergency | None:
        """Air one emergency and its repeats where no station runs (`loa emergency`).

        The station lock is held only while airing: a station started between two repeats
        takes the request over (StationBusy is raised then).
        """
        air = self.air
        while not air.stopping.is_set():
            lock.acquire()
            try:
                for thread in self.air_due():
                    thread.join()
                air.recorder.flush()
            finally:
                air.close_channels(wait_for_silence=False)
                lock.release()
            with session_scope(air.sessions) as session:
                emergency = session.get(Emergency, emergency_id)
                if emergency is None:
                    return None
                if progress is not None:
                    progress(emergency)
                if emergency.next_at is None and emergency.status != EmergencyStatus.PENDING:
                    return emergency
                next_at = emergency.next_at
            if next_at is not None:
                air.wait_until(next_at)
        return None

    def _take_air(self, emergency: Emergency, zones: dict[int, str]) -> list[threading.Thread]:
        air = self.air
        if not zones:
            air.recorder.run(lambda session: emergencies.mark_failed(
                session, emergency.id, "Không có cụm loa nào để phát."))  # fmt: skip
            return []
        now = air.clock.now()
        programs = emergency_programs(
            emergency, zones, now=now, tz=air.settings.zone, media_dir=air.settings.media_dir
        )
        with self._lock:
            self._airings[emergency.id] = _Airing(zones_left=len(programs), started=now)
        threads = []
        decoded: dict[Path, bytes] = {}
        for program in programs:
            segments = assemble(program, sample_rate=SAMPLE_RATE, decoded=decoded)
            channel = air.channel(program.zone_id, program.zone_name)
            if channel.enqueue(Queued(emergency.id, program, segments)):
                threads.append(self._runner(channel))
            else:
                log.warning("emergency %s interrupts %s", emergency.id, program.zone_name)
        return threads

    def run_waiting(self, channel: Channel) -> None:
        """Start a thread that takes the zone and airs the emergencies waiting for it."""
        self._runner(channel)

    def _runner(self, channel: Channel) -> threading.Thread:
        return self.air.spawn(self._run, channel, name=f"emergency {channel.zone_name}")

    def _run(self, channel: Channel) -> None:
        """Take the zone and air the emergencies waiting for it, one after the other."""
        air = self.air
        claimed = channel.claim(source=AirSource.EMERGENCY, stopping=air.stopping)
        with channel.lock:
            channel.runner = False
        if not claimed:
            return
        try:
            while not air.stopping.is_set():
                queued = channel.next_waiting()
                if queued is None:
                    break
                air.hold(channel, queued.program, queued.segments, queued.emergency_id)
        finally:
            air.release(channel)

    def aired(
        self,
        emergency_id: int,
        started: datetime,
        results: Sequence[PlayResult],
        cut_by_shutdown: bool = False,
    ) -> None:
        """Note one zone's airing; once every zone has reported, count it or say why not.

        An airing counts when it went out on any zone. One cut by a stop is not counted: the
        request stays "airing" and the next start airs it again (if it is still recent).
        """
        went_out = any(r.status in (AirStatus.PLAYED, AirStatus.PARTIAL) for r in results)
        with self._lock:
            airing = self._airings.get(emergency_id)
            if airing is None:
                return
            airing.zones_left -= 1
            airing.went_out |= went_out
            airing.cut |= cut_by_shutdown
            airing.reasons |= {r.reason for r in results if r.reason}
            if airing.zones_left > 0:
                return
            del self._airings[emergency_id]
        if airing.cut:
            return
        reason = "; ".join(sorted(airing.reasons)) or "không phát được"

        def count(session: Session) -> None:
            if airing.went_out:
                emergencies.mark_aired(session, emergency_id, started=airing.started)
            else:
                emergencies.mark_failed(session, emergency_id, reason)

        self.air.recorder.run(count)
        if not airing.went_out:
            self.air.alert(AlertKind.EMERGENCY, f"Tin khẩn cấp số {emergency_id} không phát "
                           f"được: {reason}", f"emergency {emergency_id} did not air")  # fmt: skip
        self._wake.set()
