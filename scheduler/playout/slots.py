"""Airing a slot: its programme on every zone it serves, on time, or logged missed with why.

A slot's programme is loaded and decoded ahead (the job fires LOA_PREPARE_LEAD_S early); the
zone's outputs open a few seconds before its instant, and the first sample goes out on it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from playlists.alerts.models import AlertKind
from playlists.asrun.models import AirLog, AirSource, AirStatus
from playlists.core.db import session_scope
from scheduler.outputs.base import SAMPLE_RATE
from scheduler.playout.airwaves import Airwaves
from scheduler.playout.player import Segment, assemble
from scheduler.playout.programs import PlayResult, Program, load_slot_programs, upcoming_slots

log = logging.getLogger(__name__)

# Outputs open this long before a programme: starting ffmpeg takes a moment, and the start
# instant must not wait for it.
OPEN_AHEAD_S = 3.0

Aired = tuple[date, int, AirSource, datetime]
"""A slot airing, as the guard against airing it twice knows it: day, slot, source, start."""


class SlotAiring:
    """Air slots from the stored plan, each once."""

    def __init__(self, air: Airwaves) -> None:
        self.air = air
        self._aired: set[Aired] = set()
        self._aired_lock = threading.Lock()

    def air_slot(
        self,
        day: date,
        slot_id: int,
        source: AirSource = AirSource.SCHEDULE,
        start: datetime | None = None,
    ) -> list[PlayResult]:
        """Air one slot on every zone it serves, in parallel, and log every item."""
        settings = self.air.settings
        with session_scope(self.air.sessions) as session:
            programs = self._programs(session, day, slot_id, source, start)
            if not programs or self._already_aired(session, day, slot_id, source, programs[0]):
                return []
        late_s = (self.air.clock.now() - programs[0].start).total_seconds()
        if source == AirSource.SCHEDULE and late_s > settings.misfire_grace_s:
            results = self._log_missed(
                programs,
                f"Lỡ giờ phát: phần mềm chỉ đến được khung giờ sau {late_s:.0f} giây, quá thời "
                f"gian cho phép {settings.misfire_grace_s} giây.",
            )
            self.air.recorder.flush()
            return results
        return self._air_in_parallel(programs)

    def mark_aired(self, program: Program) -> None:
        """Note that a slot's programme aired (or started), so its job never airs it again."""
        if program.slot_id is None or program.source == AirSource.EMERGENCY:
            return
        day = program.start.astimezone(self.air.settings.zone).date()
        with self._aired_lock:
            self._aired.add((day, program.slot_id, program.source, program.start))

    def log_passed_slots(self) -> None:
        """Log as missed the planned slots of the last day that passed while nothing ran."""
        settings = self.air.settings
        now = self.air.clock.now()
        grace = timedelta(seconds=settings.misfire_grace_s)
        unlogged: list[list[Program]] = []
        with session_scope(self.air.sessions) as session:
            since, until = now - timedelta(days=1), now - grace
            for day, slot_id, _start in upcoming_slots(session=session, since=since, until=until):
                programs = self._programs(session, day, slot_id, AirSource.SCHEDULE)
                first = programs[0] if programs else None
                if first and not self._already_aired(session, day, slot_id, first.source, first):
                    unlogged.append(programs)
        for programs in unlogged:
            self._log_missed(programs, "Lỡ giờ phát: phần mềm không chạy vào giờ của khung.")

    def air_program(
        self,
        program: Program,
        results: list[PlayResult],
        decoded: dict[Path, bytes] | None = None,
        no_room_reason: str | None = None,
    ) -> None:
        """Assemble a programme and air it on its zone, adding what happened to `results`."""
        try:
            segments = assemble(program, sample_rate=SAMPLE_RATE, decoded=decoded)
            results.extend(self._on_air(program, segments, no_room_reason=no_room_reason))
        except Exception:
            log.exception("programme %s failed", program.label)
            self.air.alert(AlertKind.SCHEDULER, f"Lỗi khi phát {program.label}.",
                           f"programme {program.label} failed", program.zone_name)  # fmt: skip

    def _programs(
        self,
        session: Session,
        day: date,
        slot_id: int,
        source: AirSource,
        start: datetime | None = None,
    ) -> list[Program]:
        settings = self.air.settings
        return load_slot_programs(
            session=session, day=day, slot_id=slot_id, tz=settings.zone,
            media_dir=settings.media_dir, source=source, start=start,
        )  # fmt: skip

    def _air_in_parallel(self, programs: Sequence[Program]) -> list[PlayResult]:
        results: list[PlayResult] = []
        decoded: dict[Path, bytes] = {}
        threads = [
            self.air.spawn(self.air_program, p, results, decoded, name=p.label) for p in programs
        ]
        for thread in threads:
            thread.join()
        self.air.recorder.flush()
        return results

    def _already_aired(
        self, session: Session, day: date, slot_id: int, source: AirSource, program: Program
    ) -> bool:
        """Guard against airing one scheduled slot twice (a re-run job, a restart)."""
        key = (day, slot_id, source, program.start)
        with self._aired_lock:
            if key in self._aired:
                return True
            self._aired.add(key)
        if source != AirSource.SCHEDULE:
            return False
        logged = session.scalar(
            select(AirLog.id).where(
                AirLog.slot_id == slot_id,
                AirLog.source == AirSource.SCHEDULE,
                AirLog.scheduled_start >= program.start,
                AirLog.scheduled_start < program.end,
            )
        )
        if logged is not None:
            log.warning("slot %s on %s already in the as-run log; not airing again", slot_id, day)
        return logged is not None

    def _log_missed(self, programs: Sequence[Program], reason: str) -> list[PlayResult]:
        results = []
        for program in programs:
            names = self.air.output_names(program)
            for item in program.items:
                for name in names:
                    result = PlayResult(program, item, AirStatus.MISSED, name, reason=reason)
                    self.air.record(result)
                    results.append(result)
            if program.items:
                message = f"{program.zone_name}, {program.slot_name}: {reason}"
                self.air.alert(
                    AlertKind.MISSED, message, f"slot missed: {program.label}", program.zone_name
                )
        return results

    def _on_air(
        self,
        program: Program,
        segments: list[Segment],
        *,
        no_room_reason: str | None = None,
    ) -> list[PlayResult]:
        """Take the zone's channel, open its outputs ahead, air the programme, hand over."""
        air = self.air
        # Outputs open a little ahead; until then the zone stays free for an emergency.
        if not air.wait_until(program.start - timedelta(seconds=OPEN_AHEAD_S)):
            return []
        channel = air.channel(program.zone_id, program.zone_name)
        if not channel.claim(source=program.source, stopping=air.stopping):
            return []
        try:
            if air.stopping.is_set():  # the station stopped as we took the zone
                return []
            return air.hold(channel, program, segments, None, no_room_reason)
        finally:
            air.release(channel)
