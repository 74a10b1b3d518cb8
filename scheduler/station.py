"""One station's clockwork: its life cycle, and the wiring of what plans, airs and records.

The database is the truth: jobs live in a persistent APScheduler job store in the station's
database and are reconciled from the stored plan (reconcile.py) at start-up, after every plan
build and every minute. One process runs the scheduler (`StationLock`); a second one is
refused before it can air anything.

What goes on air lives in scheduler/playout/: `Airwaves` (the zones' channels and outputs),
`SlotAiring`, `EmergencyDesk` and `Recovery`; amplifier power in amplifiers.py; the as-run
writer in recorder.py; the audio of what aired, compressed and in time deleted, in
archive.py. The station builds them, starts and stops them, and hands the stored jobs
(jobs.py) over to them.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from playlists.alerts.models import AlertKind
from playlists.alerts.service import raise_alert
from playlists.asrun.models import AirSource
from playlists.core.clock import Clock, SystemClock
from playlists.core.db import schema_of, session_scope, ward_code
from playlists.emergencies import service as emergencies
from playlists.emergencies.models import Emergency
from playlists.planning.models import DayPlan
from playlists.planning.store import build_and_store, rules_from
from playlists.slots.models import Zone
from scheduler import jobs, reconcile
from scheduler.amplifiers import Amplifiers
from scheduler.archive import SWEEP_EVERY_MIN, AiredArchive
from scheduler.edge.messages import topic_for
from scheduler.edge.relay import Relay, WardLink
from scheduler.lock import StationBusy, StationLock
from scheduler.outputs.factory import OutputFactory, station_outputs
from scheduler.playout.airwaves import Airwaves
from scheduler.playout.emergencies import EmergencyDesk
from scheduler.playout.programs import PlayResult
from scheduler.playout.recovery import Recovery
from scheduler.playout.slots import SlotAiring
from scheduler.recorder import Recorder
from scheduler.settings import SchedulerSettings

log = logging.getLogger(__name__)

STORE = "station"  # the persistent job store; housekeeping jobs stay in memory


def station_key(db_url: str, schema: str | None = None) -> str:
    """Name a station in the job store without writing its database URL (and password).

    Wards sharing one database are told apart by their schema (the home ward has none).
    """
    named = f"{db_url}#{schema}" if schema else db_url
    return hashlib.sha256(named.encode()).hexdigest()[:16]


class Station:
    """One station's scheduler, player and as-run log writer."""

    def __init__(
        self,
        *,
        settings: SchedulerSettings,
        session_factory: sessionmaker[Session],
        clock: Clock | None = None,
        output_factory: OutputFactory | None = None,
        builds_plans: bool = True,
        wards: Callable[[], list[WardLink]] | None = None,
    ) -> None:
        self.sessions = session_factory
        # A player at the loudspeakers airs the plans its server sends: it builds none.
        self.builds_plans = builds_plans
        self.clock = clock or SystemClock()
        engine = session_factory.kw["bind"]
        self.key = station_key(settings.db_url, schema_of(engine))
        self.lock = StationLock(engine, settings.data_dir)
        self.scheduler = BackgroundScheduler(
            timezone=settings.zone,
            jobstores={
                "default": MemoryJobStore(),
                # In the ward's own schema: named, not found by the search path, which would
                # find the home ward's table first when the ward has none yet.
                STORE: SQLAlchemyJobStore(
                    engine=engine, tablename="apscheduler_jobs", tableschema=schema_of(engine)
                ),
            },
            executors={"default": ThreadPoolExecutor(16)},
            job_defaults={"coalesce": True, "max_instances": 1},
        )
        self.recorder = Recorder(session_factory, settings.spool)
        self.archive = AiredArchive(sessions=session_factory, clock=self.clock)
        self.air = Airwaves(
            settings=settings,
            sessions=session_factory,
            clock=self.clock,
            outputs=output_factory or self._outputs(settings),
            recorder=self.recorder,
        )
        self._own_outputs = output_factory is None
        self.slots = SlotAiring(self.air)
        self.emergencies = EmergencyDesk(self.air)
        self.recovery = Recovery(self.air, self.slots)
        self.amplifiers = Amplifiers(self.air)
        self._reconciling = threading.Lock()
        self._fired: set[str] = set()  # ids of the slot and amplifier jobs that have run
        # LOA_AIR_AT=players: the players air; this station plans and tells them (relay.py).
        # The wards it plans and relays for: its own; for a city's server, every ward whose
        # lock it holds (web/context.py).
        code = ward_code(engine)
        own = WardLink(code, topic_for(code, settings), session_factory, settings.media_dir)
        self.own_ward = own.code
        self.ward_links: Callable[[], list[WardLink]] = wards or (lambda: [own])
        self.relay: Relay | None = None
        if settings.air_at == "players":
            self.relay = Relay(
                settings, self.ward_links, self.clock, notifications=engine,
                client_id=f"loa-server-{own.topic}", on_new_ward=self._plan_new_ward,
            )  # fmt: skip

    @property
    def settings(self) -> SchedulerSettings:
        """Return the station's settings (shared by everything on air)."""
        return self.air.settings

    @settings.setter
    def settings(self, value: SchedulerSettings) -> None:
        self.air.settings = value
        if self._own_outputs:
            self.air.outputs = self._outputs(value)

    def _outputs(self, settings: SchedulerSettings) -> OutputFactory:
        # Each WAV the file output finishes goes to the archive (compressed once the station
        # runs; a command airing alone leaves it for the station's next start).
        return station_outputs(settings, self.clock, on_aired=self.archive.finished)

    # --- life cycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Take the station lock, recover from a crash, plan, schedule, and go on air."""
        if self.relay is not None:
            self._start_for_players(self.relay)
            return
        self.lock.acquire()
        self.air.stopping.clear()
        # Before anything can air: every WAV already in aired/ is finished, none is open.
        self.archive.start(self.settings.aired_dir)
        jobs.register(self.key, self)
        # Paused: jobs stored by the last run wait until recovery and reconciliation are done.
        self.scheduler.start(paused=True)
        if self.builds_plans:
            self._add_build_job()
        # Another process (`loa plan build`, an approval from the CLI) may change the plan.
        self.scheduler.add_job(
            self.reconcile, IntervalTrigger(minutes=1), id="reconcile", replace_existing=True
        )
        self.every(SWEEP_EVERY_MIN, self.sweep_aired, "aired-sweep")
        self.sweep_aired()  # queued behind the WAVs left from before: start-up does not wait
        self.recorder.replay_spool()
        self.recover()
        with session_scope(self.sessions) as session:
            emergencies.resume_interrupted(session, now=self.clock.now())
        self.catch_up()
        self.open_zones()
        self.scheduler.resume()
        self.emergencies.start()
        log.info("station started; %d slot job(s) scheduled", len(self.air_jobs()))

    def _start_for_players(self, relay: Relay) -> None:
        """Plan, and keep the players told: nothing airs here (docs/deployment.md)."""
        self.lock.acquire()
        jobs.register(self.key, self)
        self.scheduler.start(paused=True)
        # Slot and amplifier jobs stored while this station aired itself must not fire now.
        for job in self.scheduler.get_jobs(jobstore=STORE):
            if job.id.startswith((reconcile.AIR_JOB_PREFIX, reconcile.AMP_JOB_PREFIX)):
                job.remove()
        self._add_build_job()
        self._build_missing_plans()
        relay.start()
        self.scheduler.resume()
        log.info("station started for its players (broker %s)", relay.bus.url)

    def _add_build_job(self) -> None:
        build_at = self.settings.plan_build_time
        self.scheduler.add_job(
            jobs.BUILD_TOMORROW,
            CronTrigger(hour=build_at.hour, minute=build_at.minute, timezone=self.settings.zone),
            args=[self.key],
            id="build-tomorrow",
            jobstore=STORE,
            replace_existing=True,
            misfire_grace_time=3600,
        )

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
        """Stop: programmes on air are cut and logged partial, the rest of their slot missed."""
        if self.relay is not None:
            self.relay.stop()
        self.air.cut_all()
        self.emergencies.wake()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.air.join_all()
        # Every programme is closed and handed on: compressed now, or at the next start.
        self.archive.stop()
        self.emergencies.stop()
        self.air.close_channels()
        self.recorder.flush()
        jobs.unregister(self.key)
        # Last: nothing of ours is on air any more, another process may take the station.
        self.lock.release()

    def catch_up(self) -> None:
        """Build missing plans, log slots that passed unaired as missed, and reconcile jobs."""
        if self.builds_plans:
            self._build_missing_plans()
        self.slots.log_passed_slots()
        self.reconcile()

    def _missing_days(self, session: Session) -> list[date]:
        """Today, and tomorrow after the evening build time, when they have no plan yet."""
        local = self.clock.now().astimezone(self.settings.zone)
        wanted = [local.date()]
        if local.time() >= self.settings.plan_build_time:
            wanted.append(local.date() + timedelta(days=1))
        return [day for day in wanted if session.get(DayPlan, day) is None]

    def _build_missing_plans(self) -> None:
        """Build today's plan, and tomorrow's after the evening build time, if missing."""
        if self.relay is not None:
            self.build_for_wards(self._missing_days)
            return
        with session_scope(self.sessions) as session:
            missing = self._missing_days(session)
        try:
            for day in missing:
                self.build_plan(day, reconcile=False)
        except Exception:
            # The station still starts: stored plans air, and emergencies work.
            log.exception("plan build at start-up failed")
            self.air.alert(AlertKind.SCHEDULER, "Không lập được lịch phát khi khởi động.",
                           "plan build at start-up failed")  # fmt: skip

    # --- planning and jobs ----------------------------------------------------------------

    def build_plan(self, day: date, *, reconcile: bool = True) -> None:
        """Build and store a day's plan, then bring the slot jobs in line with it."""
        with session_scope(self.sessions) as session:
            self._build(session, day)
        log.info("plan built for %s", day)
        if reconcile:
            self.reconcile()

    def _build(self, session: Session, day: date) -> None:
        build_and_store(
            session=session,
            day=day,
            tz=self.settings.zone,
            now=self.clock.now(),
            rules=rules_from(self.settings.planning),
        )

    def _plan_new_ward(self, link: WardLink) -> None:
        # A ward added while the server runs: its day is planned now (empty, perhaps), so
        # that the bulletins approved there today are planned in it at once, not at the
        # evening build (a replan rebuilds the plans that exist).
        self.build_for_wards(self._missing_days, [link])

    def build_for_wards(
        self, days: Callable[[Session], list[date]], links: list[WardLink] | None = None
    ) -> None:
        """Build, for each ward served (a city's players), or each of `links`, the days
        `days` asks for; a ward that fails is alerted in that ward, and the others are built
        all the same."""
        assert self.relay is not None
        for link in self.relay_wards() if links is None else links:
            try:
                with session_scope(link.sessions) as session:
                    wanted = days(session)
                    for day in wanted:
                        self._build(session, day)
                if wanted:
                    log.info("plans built for ward %s: %s", link.code, wanted)
                    self.relay.plans_changed(wanted, ward=link.code)
            except Exception:
                log.exception("plan build failed for ward %s", link.code)
                with session_scope(link.sessions) as session:
                    raise_alert(session, kind=AlertKind.SCHEDULER, now=self.clock.now(),
                                message="Không lập được lịch phát.",
                                detail=f"plan build failed for ward {link.code}")  # fmt: skip

    def relay_wards(self) -> list[WardLink]:
        return self.ward_links()

    def build_tomorrow(self) -> None:
        """Build tomorrow's plan (the evening job)."""
        tomorrow = self.clock.now().astimezone(self.settings.zone).date() + timedelta(days=1)
        if self.relay is not None:
            self.build_for_wards(lambda _session: [tomorrow])
            return
        try:
            self.build_plan(tomorrow)
        except Exception:
            log.exception("evening plan build failed")
            self.air.alert(AlertKind.SCHEDULER, "Không lập được lịch phát ngày mai.",
                           "evening plan build failed")  # fmt: skip

    def air_jobs(self) -> list[str]:
        """Return the ids of the scheduled slot jobs."""
        prefix = reconcile.AIR_JOB_PREFIX
        return sorted(j.id for j in self.scheduler.get_jobs() if j.id.startswith(prefix))

    def reconcile(self) -> None:
        """Make the slot and amplifier jobs match the stored plan for the next two days.

        For players (LOA_AIR_AT=players), tell them instead: they make their own jobs.
        """
        if self.relay is not None:
            self.relay.plans_changed(ward=self.own_ward)  # other wards' changes say so
            return
        if not self.scheduler.running:
            return
        with self._reconciling:
            now = self.clock.now()
            with session_scope(self.sessions) as session:
                # From a day back: a slot on air now still needs its amplifiers switched off.
                spans = reconcile.planned_spans(
                    session=session,
                    since=now - timedelta(days=1),
                    until=now + timedelta(days=2),
                    tz=self.settings.zone,
                )
            wanted = reconcile.wanted_jobs(
                now=now, spans=spans, key=self.key, playout=self.settings.playout
            )
            reconcile.apply(self.scheduler, wanted, fired=self._fired, store=STORE)

    # --- what the stored jobs and commands ask for ------------------------------------------

    def air_slot(
        self,
        day: date,
        slot_id: int,
        source: AirSource = AirSource.SCHEDULE,
        start: datetime | None = None,
    ) -> list[PlayResult]:
        """Air one slot on every zone it serves, in parallel, and log every item."""
        if source == AirSource.SCHEDULE:
            self._fired.add(reconcile.air_job_id(day, slot_id))
        return self.slots.air_slot(day, slot_id, source, start)

    def switch_amplifiers(self, action: str, day: date, slot_id: int) -> None:
        """Run the amplifier power command for each zone of a slot."""
        self._fired.add(reconcile.amp_job_id(action, day, slot_id))
        self.amplifiers.switch_for_slot(action, day, slot_id)

    def recover(self) -> None:
        """Log what a crashed run left on air, and resume slots still inside their time."""
        self.recovery.recover()

    def open_zones(self) -> None:
        """Open every zone's kept outputs (Icecast mounts appear, sound cards warm up)."""
        with session_scope(self.sessions) as session:
            zones = [(z.id, z.name) for z in session.scalars(select(Zone))]
        for zone_id, zone_name in zones:
            self.air.channel(zone_id, zone_name)

    def emergency_requested(self) -> None:
        """Look for emergency requests now instead of at the next poll (or hand them over)."""
        if self.relay is not None:
            self.relay.send_due()
            return
        self.emergencies.wake()

    def air_due_emergencies(self) -> list[threading.Thread]:
        """Claim due emergency requests and put each on its zones' air at once."""
        return self.emergencies.air_due()

    def air_emergency_alone(
        self, emergency_id: int, progress: Callable[[Emergency], None] | None = None
    ) -> Emergency | None:
        """Air one emergency and its repeats where no station runs (`loa emergency`)."""
        return self.emergencies.air_alone(emergency_id, self.lock, progress)

    def sweep_aired(self) -> None:
        """Delete, in the archive's thread, the aired audio retention no longer keeps."""
        settings = self.settings
        self.archive.sweep_soon(
            settings.aired_dir, tz=settings.zone, keep_days=settings.aired_keep_days
        )

    def flush_asrun(self) -> None:
        """Wait until every reported result is in the as-run log."""
        self.recorder.flush()


__all__ = ["Station", "StationBusy", "station_key"]
