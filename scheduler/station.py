"""The station's clockwork: build tomorrow's plan each evening and air each slot on time.

The database is the truth: jobs are reconciled from the stored plan at start-up and after
every plan build, so a restart or a changed plan never leaves a stale job behind.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from playlists.db import session_scope
from playlists.models import AirLog, AirSource, DayPlan
from playlists.planner import PlanningRules
from playlists.plans import build_and_store
from playlists.settings import Settings
from scheduler import asrun
from scheduler.clock import Clock, SystemClock
from scheduler.outputs.base import Output
from scheduler.outputs.device import DeviceOutput, has_sound_card
from scheduler.outputs.filesink import FileSink
from scheduler.playout import PlayResult, Program, play_program, prepare
from scheduler.programs import load_slot_programs, upcoming_slots

log = logging.getLogger(__name__)

AIR_JOB_PREFIX = "air:"

OutputFactory = Callable[[Program], Output]


class Station:
    """One station's scheduler, player and as-run log writer."""

    def __init__(
        self,
        *,
        settings: Settings,
        session_factory: sessionmaker[Session],
        clock: Clock | None = None,
        output_factory: OutputFactory | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = session_factory
        self.clock = clock or SystemClock()
        self.output_factory = output_factory or self.default_output
        self.scheduler = BackgroundScheduler(
            timezone=settings.zone,
            executors={"default": ThreadPoolExecutor(8)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": settings.misfire_grace_s,
            },
        )
        self._aired: set[tuple[date, int, AirSource, datetime]] = set()
        self._lock = threading.Lock()

    # --- life cycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Start the scheduler: nightly planning, catch-up of missing plans, slot jobs."""
        build_at = self.settings.plan_build_time
        self.scheduler.add_job(
            self.build_tomorrow,
            CronTrigger(hour=build_at.hour, minute=build_at.minute, timezone=self.settings.zone),
            id="build-tomorrow",
            replace_existing=True,
        )
        self.scheduler.start()
        self.catch_up()
        log.info("station started; %d slot job(s) scheduled", len(self.air_jobs()))

    def every(self, minutes: float, job: Callable[[], object], job_id: str) -> None:
        """Run a housekeeping job every few minutes (first run one interval from now)."""
        self.scheduler.add_job(
            job, IntervalTrigger(minutes=minutes), id=job_id, replace_existing=True
        )

    def soon(self, job: Callable[[], object], job_id: str) -> None:
        """Run a job once, now, in the scheduler's threads instead of the caller's."""
        if self.scheduler.running:
            self.scheduler.add_job(job, id=job_id, replace_existing=True)
        else:
            job()

    def shutdown(self) -> None:
        """Stop the scheduler, letting a slot on air finish."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)

    def catch_up(self) -> None:
        """Build today's plan if it is missing, and tomorrow's if its build time has passed."""
        now = self.clock.now()
        local = now.astimezone(self.settings.zone)
        with session_scope(self.sessions) as session:
            has_today = session.get(DayPlan, local.date()) is not None
            tomorrow = local.date() + timedelta(days=1)
            has_tomorrow = session.get(DayPlan, tomorrow) is not None
        if not has_today:
            self.build_plan(local.date(), reconcile=False)
        if local.time() >= self.settings.plan_build_time and not has_tomorrow:
            self.build_plan(tomorrow, reconcile=False)
        self.reconcile()

    # --- planning -------------------------------------------------------------------------

    def build_plan(self, day: date, *, reconcile: bool = True) -> None:
        """Build and store a day's plan, then bring the slot jobs in line with it."""
        with session_scope(self.sessions) as session:
            build_and_store(
                session=session,
                day=day,
                tz=self.settings.zone,
                now=self.clock.now(),
                rules=PlanningRules(min_gap_s=self.settings.min_gap_min * 60),
            )
        log.info("plan built for %s", day)
        if reconcile:
            self.reconcile()

    def build_tomorrow(self) -> None:
        """Build tomorrow's plan (the evening job)."""
        today = self.clock.now().astimezone(self.settings.zone).date()
        try:
            self.build_plan(today + timedelta(days=1))
        except Exception:
            log.exception("evening plan build failed")

    def air_jobs(self) -> list[str]:
        """Return the ids of the scheduled slot jobs."""
        return sorted(j.id for j in self.scheduler.get_jobs() if j.id.startswith(AIR_JOB_PREFIX))

    def reconcile(self) -> None:
        """Make the slot jobs match the stored plan for the next two days."""
        if not self.scheduler.running:
            return
        now = self.clock.now()
        grace = timedelta(seconds=self.settings.misfire_grace_s)
        with session_scope(self.sessions) as session:
            wanted = {
                f"{AIR_JOB_PREFIX}{day.isoformat()}:{slot_id}": (day, slot_id, start)
                for day, slot_id, start in upcoming_slots(
                    session=session, since=now - grace, until=now + timedelta(days=2)
                )
            }
        for job_id in self.air_jobs():
            if job_id not in wanted:
                self.scheduler.remove_job(job_id)
        for job_id, (day, slot_id, start) in wanted.items():
            # The job fires `prepare_lead_s` early: the programme is loaded and decoded in that
            # time, then the player waits for the exact instant, so a start never waits on the
            # database or a decoder.
            lead = timedelta(seconds=self.settings.prepare_lead_s)
            self.scheduler.add_job(
                self.air_slot,
                DateTrigger(run_date=start - lead),
                args=[day, slot_id],
                id=job_id,
                name=f"slot {slot_id} on {day}",
                replace_existing=True,
            )

    # --- playout --------------------------------------------------------------------------

    def default_output(self, program: Program) -> Output:
        """Return the output the settings ask for (file where there is no sound card)."""
        mode = self.settings.output
        if mode == "auto":
            mode = "device" if has_sound_card() else "file"
        if mode == "device":
            return DeviceOutput(self.settings.audio_device, self.clock)
        return FileSink(self.settings.aired_dir, self.clock)

    def air_slot(
        self,
        day: date,
        slot_id: int,
        source: AirSource = AirSource.SCHEDULE,
        start: datetime | None = None,
    ) -> list[PlayResult]:
        """Air one slot on every zone it serves, in parallel, and log every item."""
        with session_scope(self.sessions) as session:
            programs = load_slot_programs(
                session=session,
                day=day,
                slot_id=slot_id,
                tz=self.settings.zone,
                media_dir=self.settings.media_dir,
                source=source,
                start=start,
            )
            if not programs or self._already_aired(session, day, slot_id, source, programs[0]):
                return []
        results: list[PlayResult] = []
        threads = [
            threading.Thread(target=self._air_program, args=(p, results), name=p.label)
            for p in programs
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results

    def _already_aired(
        self, session: Session, day: date, slot_id: int, source: AirSource, program: Program
    ) -> bool:
        """Guard against airing one scheduled slot twice (a re-run job, a restart)."""
        key = (day, slot_id, source, program.start)
        with self._lock:
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

    def _air_program(self, program: Program, results: list[PlayResult]) -> None:
        try:
            output = self.output_factory(program)
            prepared = prepare(program, sample_rate=output.sample_rate)
            results.extend(
                play_program(
                    program, prepared, output=output, clock=self.clock, report=self._record
                )
            )
        except Exception:
            log.exception("programme %s failed", program.label)

    def _record(self, result: PlayResult) -> None:
        with session_scope(self.sessions) as session:
            asrun.record(result, session=session)
        log.info(
            "as-run: %s %s %s %s",
            result.program.label,
            result.item.title,
            result.status,
            result.reason,
        )
