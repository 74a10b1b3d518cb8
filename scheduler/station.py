"""The station's clockwork: plan ahead, air every slot on time, recover, interrupt for emergencies.

The database is the truth: jobs live in a persistent APScheduler job store in the station's
database and are reconciled from the stored plan at start-up, after every plan build and every
minute (another process, `loa plan build`, may have changed the plan). One process runs the
scheduler (`StationLock`); a second one is refused before it can air anything.

Each zone is a channel (scheduler/channels.py): one programme on air at a time, on all of the
zone's outputs. An emergency takes the channel at the next 100 ms chunk; the slot it
interrupted resumes after it or ends (LOA_EMERGENCY_THEN).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from playlists import emergencies
from playlists.alerts import raise_alert
from playlists.db import session_scope
from playlists.models import (
    AirLog,
    AirSource,
    AirStatus,
    AlertKind,
    DayPlan,
    Emergency,
    EmergencyStatus,
    Slot,
    Zone,
)
from playlists.planner import PlanningRules
from playlists.plans import build_and_store, slot_occurrence
from playlists.settings import Settings
from scheduler import amplifier, jobs
from scheduler.channels import INTERRUPTED_BY_EMERGENCY, Channel, Queued
from scheduler.clock import Clock, SystemClock
from scheduler.journal import FileJournal, Unfinished, unfinished
from scheduler.lock import StationBusy, StationLock
from scheduler.outputs.base import SAMPLE_RATE, Output
from scheduler.outputs.device import DeviceOutput, has_sound_card
from scheduler.outputs.filesink import FileSink
from scheduler.outputs.icecast import IcecastOutput
from scheduler.playout import (
    Interruption,
    Journal,
    OutputLine,
    PlayResult,
    Program,
    ProgramItem,
    Segment,
    air,
    assemble,
    preroll,
)
from scheduler.programs import load_slot_programs, slug, upcoming_slots
from scheduler.recorder import Recorder

log = logging.getLogger(__name__)

AIR_JOB_PREFIX = "air:"
AMP_JOB_PREFIX = "amp:"
STORE = "station"  # the persistent job store; housekeeping jobs stay in memory

# Outputs open this long before a programme: starting ffmpeg takes a moment, and the start
# instant must not wait for it.
OPEN_AHEAD_S = 3.0
# How often the emergency watcher looks for new requests (the CLI writes them to the database).
EMERGENCY_POLL_S = 0.25
# Kept outputs (sound card, Icecast) are reopened for as long as the station runs.
KEPT_RETRIES = 1_000_000

OutputFactory = Callable[[int | None, str], list[Output]]
"""Make a zone's outputs, given its id and name."""

STOPPED_AFTER_EMERGENCY = "Khung giờ dừng sau tin khẩn cấp (LOA_EMERGENCY_THEN=stop)."
STOPPED_BY_SHUTDOWN = "Phần mềm được tắt trong khi đang phát."
NO_ROOM_AFTER_EMERGENCY = "Sau tin khẩn cấp, khung giờ không còn đủ thời gian cho bản tin này."


@dataclass
class _Airing:
    """One airing of an emergency across its zones, counted once every zone has reported."""

    zones_left: int
    started: datetime
    went_out: bool = False
    cut: bool = False
    reasons: set[str] = field(default_factory=set)


def station_key(db_url: str) -> str:
    """Name a station in the job store without writing its database URL (and password)."""
    return hashlib.sha256(db_url.encode()).hexdigest()[:16]


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
        self.output_factory = output_factory or self.default_outputs
        engine = session_factory.kw["bind"]
        self.key = station_key(settings.db_url)
        self.lock = StationLock(engine, settings.data_dir)
        self.scheduler = BackgroundScheduler(
            timezone=settings.zone,
            jobstores={
                "default": MemoryJobStore(),
                STORE: SQLAlchemyJobStore(engine=engine, tablename="apscheduler_jobs"),
            },
            executors={"default": ThreadPoolExecutor(16)},
            job_defaults={"coalesce": True, "max_instances": 1},
        )
        self.recorder = Recorder(session_factory, settings.data_dir / "asrun-spool.jsonl")
        self._channels: dict[int | None, Channel] = {}
        self._channels_lock = threading.Lock()
        self._aired: set[tuple[date, int, AirSource, datetime]] = set()
        self._aired_lock = threading.Lock()
        self._reconciling = threading.Lock()
        self._fired: set[str] = set()  # ids of the slot and amplifier jobs that have run
        self._stopping = threading.Event()
        self._wake_emergencies = threading.Event()
        self._watcher: threading.Thread | None = None
        self._airing: set[threading.Thread] = set()
        self._airings: dict[int, _Airing] = {}  # emergencies on air, by id

    # --- life cycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Take the station lock, recover from a crash, plan, schedule, and go on air."""
        self.lock.acquire()
        self._stopping.clear()
        jobs.register(self.key, self)
        build_at = self.settings.plan_build_time
        # Paused: jobs stored by the last run wait until recovery and reconciliation are done.
        self.scheduler.start(paused=True)
        self.scheduler.add_job(
            jobs.build_tomorrow,
            CronTrigger(hour=build_at.hour, minute=build_at.minute, timezone=self.settings.zone),
            args=[self.key],
            id="build-tomorrow",
            jobstore=STORE,
            replace_existing=True,
            misfire_grace_time=3600,
        )
        # Another process (`loa plan build`, an approval from the CLI) may change the plan.
        self.scheduler.add_job(
            self.reconcile, IntervalTrigger(minutes=1), id="reconcile", replace_existing=True
        )
        self.recorder.replay_spool()
        self.recover()
        with session_scope(self.sessions) as session:
            emergencies.resume_interrupted(session, now=self.clock.now())
        self.catch_up()
        self.open_zones()
        self.scheduler.resume()
        self._watcher = threading.Thread(
            target=self._watch_emergencies, name="emergency watcher", daemon=True
        )
        self._watcher.start()
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
        """Stop: programmes on air are cut and logged partial, the rest of their slot missed."""
        self._stopping.set()
        self._wake_emergencies.set()
        with self._channels_lock:
            channels = list(self._channels.values())
        for channel in channels:
            with channel.lock:
                channel.waiting.clear()  # their requests stay "airing": the next start re-airs
                if channel.interruption is not None:
                    channel.interruption.reason = STOPPED_BY_SHUTDOWN
                    channel.interruption.request()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        for thread in list(self._airing):
            thread.join()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        for channel in channels:
            with channel.writing:
                for line in channel.kept:
                    line.close()
                channel.kept.clear()
        with self._channels_lock:
            self._channels.clear()
        self.recorder.flush()
        jobs.unregister(self.key)
        # Last: nothing of ours is on air any more, another process may take the station.
        self.lock.release()

    def catch_up(self) -> None:
        """Build missing plans, log slots that passed unaired as missed, and reconcile jobs."""
        now = self.clock.now()
        local = now.astimezone(self.settings.zone)
        with session_scope(self.sessions) as session:
            has_today = session.get(DayPlan, local.date()) is not None
            tomorrow = local.date() + timedelta(days=1)
            has_tomorrow = session.get(DayPlan, tomorrow) is not None
        try:
            if not has_today:
                self.build_plan(local.date(), reconcile=False)
            if local.time() >= self.settings.plan_build_time and not has_tomorrow:
                self.build_plan(tomorrow, reconcile=False)
        except Exception:
            # The station still starts: stored plans air, and emergencies work.
            log.exception("plan build at start-up failed")
            self._alert(AlertKind.SCHEDULER, "Không lập được lịch phát khi khởi động.",
                        "plan build at start-up failed")  # fmt: skip
        self.log_passed_slots()
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
            self._alert(AlertKind.SCHEDULER, "Không lập được lịch phát ngày mai.",
                        "evening plan build failed")  # fmt: skip

    def air_jobs(self) -> list[str]:
        """Return the ids of the scheduled slot jobs."""
        return sorted(j.id for j in self.scheduler.get_jobs() if j.id.startswith(AIR_JOB_PREFIX))

    def reconcile(self) -> None:
        """Make the slot and amplifier jobs match the stored plan for the next two days."""
        if not self.scheduler.running:
            return
        with self._reconciling:
            self._reconcile()

    def _reconcile(self) -> None:
        now = self.clock.now()
        grace = timedelta(seconds=self.settings.misfire_grace_s)
        lead = timedelta(seconds=self.settings.prepare_lead_s)
        amp_lead = timedelta(seconds=self.settings.amp_lead_s)
        amp_hold = timedelta(seconds=self.settings.amp_hold_s)
        with session_scope(self.sessions) as session:
            # From a day back: a slot on air now still needs its amplifiers switched off.
            since, until = now - timedelta(days=1), now + timedelta(days=2)
            spans = self._slot_spans(
                session, upcoming_slots(session=session, since=since, until=until)
            )
        wanted: dict[str, tuple[Callable[..., None], datetime, list[object], int | None]] = {}
        amp_grace = int((amp_lead + grace).total_seconds())
        for day, slot_id, start, end in spans:
            tag = f"{day.isoformat()}:{slot_id}"
            args: list[object] = [self.key, day.isoformat(), slot_id]
            if start > now - grace:
                # Fired `prepare_lead_s` early: the programme is loaded and assembled into
                # ready audio, then the player waits for the instant. However late the job
                # runs (the machine slept), air_slot decides: air what fits, or log it missed.
                wanted[AIR_JOB_PREFIX + tag] = (jobs.air_slot, max(start - lead, now), args, None)
                if self.settings.amp_on_command:
                    wanted[f"{AMP_JOB_PREFIX}on:{tag}"] = (
                        jobs.amplifier, max(start - amp_lead, now),
                        [self.key, "on", day.isoformat(), slot_id], amp_grace,
                    )  # fmt: skip
            if self.settings.amp_off_command and end + amp_hold > now:
                wanted[f"{AMP_JOB_PREFIX}off:{tag}"] = (
                    jobs.amplifier, end + amp_hold,
                    [self.key, "off", day.isoformat(), slot_id], amp_grace,
                )  # fmt: skip
        for job in self.scheduler.get_jobs(jobstore=STORE):
            if job.id.startswith((AIR_JOB_PREFIX, AMP_JOB_PREFIX)) and job.id not in wanted:
                with contextlib.suppress(JobLookupError):  # it may have just run
                    self.scheduler.remove_job(job.id, jobstore=STORE)
        for job_id, (func, run_at, job_args, misfire_grace) in wanted.items():
            if job_id in self._fired:
                continue  # it ran in this process: never again, even if now looks "due"
            existing = self.scheduler.get_job(job_id, jobstore=STORE)
            if existing is not None and existing.next_run_time == run_at:
                continue
            self.scheduler.add_job(
                func, DateTrigger(run_date=run_at), args=job_args, id=job_id, jobstore=STORE,
                replace_existing=True, misfire_grace_time=misfire_grace,
            )  # fmt: skip

    def _slot_spans(
        self, session: Session, upcoming: Sequence[tuple[date, int, datetime]]
    ) -> list[tuple[date, int, datetime, datetime]]:
        spans = []
        for day, slot_id, _start in upcoming:
            slot = session.get(Slot, slot_id)
            if slot is not None:
                start, end = slot_occurrence(slot, day, self.settings.zone)
                spans.append((day, slot_id, start, end))
        return spans

    # --- outputs --------------------------------------------------------------------------

    def default_outputs(self, zone_id: int | None, zone_name: str) -> list[Output]:
        """Return the zone's outputs: the file or sound card, and Icecast when it is set."""
        mode = self.settings.output
        if mode == "auto":
            mode = "device" if has_sound_card() else "file"
        outputs: list[Output] = []
        if mode == "device":
            device = self.settings.audio_device.replace("{zone}", slug(zone_name))
            outputs.append(DeviceOutput(device, self.clock))
        else:
            outputs.append(FileSink(self.settings.aired_dir, self.clock))
        if self.settings.icecast_url:
            outputs.append(
                IcecastOutput(
                    self.settings.icecast_url,
                    self.clock,
                    bitrate_kbps=self.settings.icecast_bitrate_kbps,
                    zone=zone_name,
                )
            )
        return outputs

    def _output_names(self, program: Program) -> list[str]:
        return [o.name for o in self.output_factory(program.zone_id, program.zone_name)]

    def _channel(self, zone_id: int | None, zone_name: str) -> Channel:
        """Return the zone's channel, opening its kept outputs the first time."""
        with self._channels_lock:
            channel = self._channels.get(zone_id)
            new = channel is None
            if channel is None:
                channel = self._channels[zone_id] = Channel(zone_id, zone_name)
        if not new:
            channel.ready.wait()
            return channel
        label = f"loa-phuong_{slug(zone_name)}"
        try:
            for output in self.output_factory(zone_id, zone_name):
                if output.keepalive:
                    line = OutputLine(
                        output, label, self._problem_reporter(zone_name), clock=self.clock,
                        retries=KEPT_RETRIES, retry_s=self.settings.output_retry_s,
                    )  # fmt: skip
                    line.open()
                    channel.kept.append(line)
        finally:
            channel.ready.set()  # whatever happened: nobody may wait for it for ever
        if channel.kept:
            threading.Thread(
                target=channel.feed_silence, args=(self.clock, self._stopping),
                name=f"silence {zone_name}", daemon=True,
            ).start()  # fmt: skip
        return channel

    def open_zones(self) -> None:
        """Open every zone's kept outputs (Icecast mounts appear, sound cards warm up)."""
        with session_scope(self.sessions) as session:
            zones = [(z.id, z.name) for z in session.scalars(select(Zone))]
        for zone_id, zone_name in zones:
            self._channel(zone_id, zone_name)

    # --- airing a slot --------------------------------------------------------------------

    def air_slot(
        self,
        day: date,
        slot_id: int,
        source: AirSource = AirSource.SCHEDULE,
        start: datetime | None = None,
    ) -> list[PlayResult]:
        """Air one slot on every zone it serves, in parallel, and log every item."""
        if source == AirSource.SCHEDULE:
            self._fired.add(f"{AIR_JOB_PREFIX}{day.isoformat()}:{slot_id}")
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
        late_s = (self.clock.now() - programs[0].start).total_seconds()
        if source == AirSource.SCHEDULE and late_s > self.settings.misfire_grace_s:
            results = self._log_missed(
                programs,
                f"Lỡ giờ phát: phần mềm chỉ đến được khung giờ sau {late_s:.0f} giây, quá thời "
                f"gian cho phép {self.settings.misfire_grace_s} giây.",
            )
            self.recorder.flush()
            return results
        return self._air_in_parallel(programs)

    def _air_in_parallel(self, programs: Sequence[Program]) -> list[PlayResult]:
        results: list[PlayResult] = []
        decoded: dict[Path, bytes] = {}
        threads = [
            self._thread(self._air_program, p, results, decoded, name=p.label) for p in programs
        ]
        for thread in threads:
            thread.join()
        self.recorder.flush()
        return results

    def _thread(self, target: Callable[..., object], *args: object, name: str) -> threading.Thread:
        """Start a thread the station waits for when it stops."""

        def run() -> None:
            try:
                target(*args)
            finally:
                self._airing.discard(threading.current_thread())

        thread = threading.Thread(target=run, name=name, daemon=True)
        self._airing.add(thread)
        thread.start()
        return thread

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
            names = self._output_names(program)
            for item in program.items:
                for name in names:
                    result = PlayResult(program, item, AirStatus.MISSED, name, reason=reason)
                    self._record(result)
                    results.append(result)
            if program.items:
                self._alert(AlertKind.MISSED, f"{program.zone_name}, {program.slot_name}: {reason}",
                            f"slot missed: {program.label}", program.zone_name)  # fmt: skip
        return results

    def log_passed_slots(self) -> None:
        """Log as missed the planned slots of the last day that passed while nothing ran."""
        now = self.clock.now()
        grace = timedelta(seconds=self.settings.misfire_grace_s)
        unlogged: list[list[Program]] = []
        with session_scope(self.sessions) as session:
            since, until = now - timedelta(days=1), now - grace
            for day, slot_id, _start in upcoming_slots(session=session, since=since, until=until):
                programs = load_slot_programs(
                    session=session,
                    day=day,
                    slot_id=slot_id,
                    tz=self.settings.zone,
                    media_dir=self.settings.media_dir,
                    source=AirSource.SCHEDULE,
                )
                first = programs[0] if programs else None
                if first and not self._already_aired(session, day, slot_id, first.source, first):
                    unlogged.append(programs)
        for programs in unlogged:
            self._log_missed(programs, "Lỡ giờ phát: phần mềm không chạy vào giờ của khung.")

    def _air_program(
        self,
        program: Program,
        results: list[PlayResult],
        decoded: dict[Path, bytes] | None = None,
        no_room_reason: str | None = None,
    ) -> None:
        try:
            segments = assemble(program, sample_rate=SAMPLE_RATE, decoded=decoded)
            results.extend(self._on_air(program, segments, no_room_reason=no_room_reason))
        except Exception:
            log.exception("programme %s failed", program.label)
            self._alert(AlertKind.SCHEDULER, f"Lỗi khi phát {program.label}.",
                        f"programme {program.label} failed", program.zone_name)  # fmt: skip

    def _on_air(
        self,
        program: Program,
        segments: list[Segment],
        *,
        no_room_reason: str | None = None,
    ) -> list[PlayResult]:
        """Take the zone's channel, open its outputs ahead, air the programme, hand over."""
        # Outputs open a little ahead; until then the zone stays free for an emergency.
        if not self._wait_until(program.start - timedelta(seconds=OPEN_AHEAD_S)):
            return []
        channel = self._channel(program.zone_id, program.zone_name)
        if not channel.claim(source=program.source, stopping=self._stopping):
            return []
        try:
            if self._stopping.is_set():  # the station stopped as we took the zone
                return []
            return self._hold_channel(channel, program, segments, None, no_room_reason)
        finally:
            self._release(channel)

    def _release(self, channel: Channel) -> None:
        if channel.release():
            self._thread(self._run_emergencies, channel, name=f"emergency {channel.zone_name}")

    def _hold_channel(
        self,
        channel: Channel,
        program: Program,
        segments: list[Segment],
        emergency_id: int | None,
        no_room_reason: str | None = None,
    ) -> list[PlayResult]:
        results: list[PlayResult] = []
        own: list[OutputLine] = []
        journal: Journal = Journal()
        finished = False
        try:
            own = [
                self._line(output, program)
                for output in self.output_factory(program.zone_id, program.zone_name)
                if not output.keepalive
            ]
            for line in own:
                line.open()
            lines = [*channel.kept, *own]
            journal = self._journal(program, lines)
            pending = segments
            cut_by_shutdown = False
            while True:
                interruption = channel.interruption or Interruption(INTERRUPTED_BY_EMERGENCY)
                # Never before the programme's instant, even when resuming after an emergency
                # that came during its lead-in.
                anchor = max(program.start, self.clock.now())
                preroll(lines, clock=self.clock, until=anchor, interrupt=interruption)
                outcome = air(
                    program, pending, lines=lines, clock=self.clock, anchor=anchor,
                    report=self._record, on_problem=self._problem_reporter(program.zone_name),
                    journal=journal, interrupt=interruption, no_room_reason=no_room_reason,
                )  # fmt: skip
                results.extend(outcome.results)
                if not outcome.interrupted:
                    break
                rest = outcome.remaining[1:] if outcome.cut else outcome.remaining
                if self._stopping.is_set():
                    self._log_rest(program, rest, lines, STOPPED_BY_SHUTDOWN)
                    cut_by_shutdown = True
                    break
                self._air_waiting(channel, lines)
                if self._stopping.is_set():
                    self._log_rest(program, rest, lines, STOPPED_BY_SHUTDOWN)
                    break
                if self.settings.emergency_then == "stop":
                    self._log_rest(program, rest, lines, STOPPED_AFTER_EMERGENCY)
                    break
                # Resume: the interrupted item airs again from its start, then the rest, as
                # far as the slot's end allows (what no longer fits is logged missed).
                pending = outcome.remaining
                if self.clock.now() > program.start:
                    no_room_reason = NO_ROOM_AFTER_EMERGENCY
            if emergency_id is not None:
                self._emergency_aired(emergency_id, anchor, results, cut_by_shutdown)
            # Emergencies that came as the programme ended air on the outputs still open.
            self._air_waiting(channel, lines)
            finished = True
        finally:
            for line in own:
                line.close()
            if isinstance(journal, FileJournal):
                journal.close()
                if finished:
                    # Removed once its rows are in the log: the recorder runs tasks in order.
                    self.recorder.run(_forget(journal))
        return results

    def _line(self, output: Output, program: Program) -> OutputLine:
        return OutputLine(
            output,
            program.label,
            self._problem_reporter(program.zone_name),
            clock=self.clock,
            retries=self.settings.output_retries,
            retry_s=self.settings.output_retry_s,
        )

    def _journal(self, program: Program, lines: Sequence[OutputLine]) -> Journal:
        """Open the programme's journal; without a disk to write it, air without one."""
        try:
            journal = FileJournal(self.settings.onair_dir, program, _journal_name(program))
        except OSError as exc:
            log.error("no player journal for %s: %s", program.label, exc)
            self._alert(AlertKind.SCHEDULER, "Không ghi được sổ theo dõi phát sóng (ổ đĩa đầy?); "
                        "nếu phần mềm dừng đột ngột sẽ không biết đã phát đến đâu.",
                        f"journal unavailable: {exc}", program.zone_name)  # fmt: skip
            return Journal()
        journal.outputs([line.name for line in lines])
        return journal

    def _air_waiting(self, channel: Channel, lines: Sequence[OutputLine]) -> None:
        """Air the emergencies waiting for this channel, on its open outputs.

        Each one airs under a fresh interruption only a shutdown requests (emergencies never
        cut each other); when none is left, the programme gets a fresh one, in the same step
        as the queue is found empty, so an emergency arriving then still interrupts it.
        """
        while not self._stopping.is_set():
            queued = channel.next_or_rearm()
            if queued is None:
                return
            started = self.clock.now()
            outcome = air(
                queued.program, queued.segments, lines=lines, clock=self.clock, anchor=started,
                report=self._record, on_problem=self._problem_reporter(queued.program.zone_name),
                interrupt=channel.interruption,
            )  # fmt: skip
            self._emergency_aired(queued.emergency_id, started, outcome.results,
                                  outcome.interrupted)  # fmt: skip

    def _log_rest(
        self, program: Program, rest: Sequence[Segment], lines: Sequence[OutputLine], reason: str
    ) -> None:
        for segment in rest:
            status, why = (
                (AirStatus.FAILED, segment.error)
                if segment.pcm is None
                else (AirStatus.MISSED, reason)
            )
            for line in lines:
                self._record(PlayResult(program, segment.item, status, line.name, reason=why))

    def _wait_until(self, instant: datetime) -> bool:
        """Sleep until `instant` unless the station stops first; tell whether to go on."""
        while not self._stopping.is_set():
            now = self.clock.now()
            if now >= instant:
                return True
            self.clock.sleep_until(min(instant, now + timedelta(seconds=0.5)))
        return False

    # --- crash recovery -------------------------------------------------------------------

    def recover(self) -> None:
        """Log what a crashed run left on air, and resume slots still inside their time."""
        for found in unfinished(self.settings.onair_dir):
            self._recover_one(found)
            # Only once its rows are written: dying here leaves the journal for next time.
            self.recorder.flush()
            found.path.unlink(missing_ok=True)

    def _recover_one(self, found: Unfinished) -> None:
        program, now = found.program, self.clock.now()
        names = found.outputs or self._output_names(program)
        log.warning("recovering %s: the process stopped while it was on air", program.label)
        self._log_unwritten(found, names)
        if found.on_air is not None and found.on_air_since is not None:
            item = program.items[found.on_air]
            self._alert(AlertKind.SCHEDULER,
                        f"{program.zone_name}: phần mềm dừng đột ngột khi đang phát {item.title}.",
                        f"crash while airing {program.label}", program.zone_name)  # fmt: skip
        if program.slot_id is not None and program.source != AirSource.EMERGENCY:
            slot_day = program.start.astimezone(self.settings.zone).date()
            with self._aired_lock:  # the re-made slot job must not air it a second time
                self._aired.add((slot_day, program.slot_id, program.source, program.start))
        rest = found.not_finished
        if not rest:
            return
        if program.source != AirSource.EMERGENCY and now < program.end:
            resumed = Program(
                zone_id=program.zone_id, zone_name=program.zone_name, slot_id=program.slot_id,
                slot_name=program.slot_name, start=now, end=program.end,
                items=tuple(program.items[i] for i in rest), source=program.source,
                label=f"{program.label}_tiep",
            )  # fmt: skip
            self._thread(self._air_program, resumed, [], None,
                         "Sau khi khởi động lại, khung giờ không còn đủ thời gian.",
                         name=resumed.label)  # fmt: skip
            return
        reason = "Phần mềm dừng đột ngột; khi chạy lại thì khung giờ đã hết."
        for index in rest:
            if index == found.on_air or index in found.cut:
                continue
            for name in names:
                self._record(PlayResult(program, program.items[index], AirStatus.MISSED, name,
                                        reason=reason))  # fmt: skip

    def _log_unwritten(self, found: Unfinished, names: list[str]) -> None:
        """Write the rows the player reported but the crash kept from the log, and the cut.

        The journal holds what the player reported for each output at each item's end (or
        cut); a row of those not in the log died in the writer's queue. The item on air when
        the process died is logged partial on every output, up to the last tick.
        """
        program = found.program
        since = min(found.started.values(), default=program.start)
        with session_scope(self.sessions) as session:
            logged = {
                (row.output, row.rendering_sha256, row.status.value, row.actual_start)
                for row in session.scalars(
                    select(AirLog).where(
                        AirLog.zone_name == program.zone_name, AirLog.created_at >= since
                    )
                )
            }
        for index, data in found.results:
            item = program.items[index]
            start = datetime.fromisoformat(data["start"]) if data["start"] else None
            if (data["output"], item.rendering_sha256, data["status"], start) in logged:
                continue
            end = datetime.fromisoformat(data["end"]) if data["end"] else None
            self._record(PlayResult(program, item, AirStatus(data["status"]), data["output"],
                                    start, end, data["reason"]))  # fmt: skip
        if found.on_air is not None and found.on_air_since is not None:
            item, start = program.items[found.on_air], found.on_air_since
            end = found.last_seen or start
            reason = (
                "Phần mềm dừng đột ngột khi đang phát; "
                f"đã phát khoảng {(end - start).total_seconds():.0f} giây."
            )
            for name in names:
                self._record(PlayResult(program, item, AirStatus.PARTIAL, name, start, end, reason))

    # --- amplifiers -----------------------------------------------------------------------

    def switch_amplifiers(self, action: str, day: date, slot_id: int) -> None:
        """Run the amplifier power command for each zone of a slot, and log what it did."""
        self._fired.add(f"{AMP_JOB_PREFIX}{action}:{day.isoformat()}:{slot_id}")
        template = self.settings.amp_on_command if action == "on" else self.settings.amp_off_command
        if not template:
            return
        with session_scope(self.sessions) as session:
            slot = session.get(Slot, slot_id)
            zones = {z.id: z.name for z in slot.zones} if slot is not None else {}
            if action == "off":
                busy = self._zones_needed_soon(session, set(zones))
                for zone_id in busy:
                    log.info("amplifiers of %s kept on: another slot starts soon", zones[zone_id])
                zones = {z: name for z, name in zones.items() if z not in busy}
        for zone in zones.values():
            done = amplifier.switch(template, zone=zone)
            if done.ok:
                log.info("amplifiers %s for %s (slot %s on %s): %s",
                         action, zone, slot_id, day, " ".join(done.command))  # fmt: skip
            else:
                log.error("amplifier command failed for %s: %s", zone, done.detail)
                word = "bật" if action == "on" else "tắt"
                self._alert(AlertKind.AMPLIFIER,
                            f"{zone}: không {word} được bộ khuếch đại ({done.detail}).",
                            f"amplifier {action} failed: {done.detail}", zone)  # fmt: skip

    def _zones_needed_soon(self, session: Session, zone_ids: set[int]) -> set[int]:
        """Return the zones among `zone_ids` that another slot needs within the amplifier lead."""
        now = self.clock.now()
        soon = now + timedelta(seconds=self.settings.amp_lead_s + self.settings.amp_hold_s)
        needed: set[int] = set()
        for _day, slot_id, _start in upcoming_slots(session=session, since=now, until=soon):
            slot = session.get(Slot, slot_id)
            if slot is not None:
                needed |= {z.id for z in slot.zones} & zone_ids
        return needed

    # --- emergencies ----------------------------------------------------------------------

    def emergency_requested(self) -> None:
        """Look for emergency requests now instead of at the next poll."""
        self._wake_emergencies.set()

    def _watch_emergencies(self) -> None:
        while not self._stopping.is_set():
            try:
                self.air_due_emergencies()
            except Exception:
                log.exception("emergency watcher failed; trying again")
            self._wake_emergencies.wait(EMERGENCY_POLL_S)
            self._wake_emergencies.clear()

    def air_due_emergencies(self) -> list[threading.Thread]:
        """Claim due emergency requests and put each on its zones' air at once."""
        if self._stopping.is_set():
            return []
        now = self.clock.now()
        with session_scope(self.sessions) as session:
            due = emergencies.claim_due(session, now=now)
            all_zones = {z.id: z.name for z in session.scalars(select(Zone))}
        started = []
        for emergency in due:
            zones = {z: all_zones[z] for z in (emergency.zone_ids or all_zones) if z in all_zones}
            started.extend(self._take_air(emergency, zones))
        return started

    def air_emergency_alone(
        self, emergency_id: int, progress: Callable[[Emergency], None] | None = None
    ) -> Emergency | None:
        """Air one emergency and its repeats where no station runs (`loa emergency`).

        The station lock is held only while airing: a station started between two repeats
        takes the request over (StationBusy is raised then).
        """
        while not self._stopping.is_set():
            self.lock.acquire()
            try:
                threads = self.air_due_emergencies()
                for thread in threads:
                    thread.join()
                self.recorder.flush()
            finally:
                with self._channels_lock:
                    channels = list(self._channels.values())
                    self._channels.clear()
                for channel in channels:
                    for line in channel.kept:
                        line.close()
                self.lock.release()
            with session_scope(self.sessions) as session:
                emergency = session.get(Emergency, emergency_id)
                if emergency is None:
                    return None
                if progress is not None:
                    progress(emergency)
                if emergency.next_at is None and emergency.status != EmergencyStatus.PENDING:
                    return emergency
                next_at = emergency.next_at
            if next_at is not None:
                self._wait_until(next_at)
        return None

    def _take_air(self, emergency: Emergency, zones: dict[int, str]) -> list[threading.Thread]:
        path = self.settings.media_dir / emergency.audio_file
        now = self.clock.now()
        item = ProgramItem(
            bulletin_id=None, title=emergency.title, topic_name="Khẩn cấp",
            rendering_sha256=emergency.audio_sha256, path=path,
            duration_s=emergency.duration_s, scheduled_start=now,
        )  # fmt: skip
        threads = []
        decoded: dict[Path, bytes] = {}
        if not zones:
            self.recorder.run(lambda session: emergencies.mark_failed(
                session, emergency.id, "Không có cụm loa nào để phát."))  # fmt: skip
            return []
        with self._aired_lock:
            self._airings[emergency.id] = _Airing(zones_left=len(zones), started=now)
        for zone_id, zone_name in sorted(zones.items(), key=lambda z: z[1]):
            program = Program(
                zone_id=zone_id, zone_name=zone_name, slot_id=None, slot_name="Khẩn cấp",
                start=now, end=now + timedelta(seconds=emergency.duration_s + 3600),
                items=(item,), source=AirSource.EMERGENCY,
                label=f"{now.astimezone(self.settings.zone):%Y-%m-%d/%H%M%S}_{slug(zone_name)}"
                f"_khan-cap-{emergency.id}",
            )  # fmt: skip
            segments = assemble(program, sample_rate=SAMPLE_RATE, decoded=decoded)
            queued = Queued(emergency.id, program, segments)
            channel = self._channel(zone_id, zone_name)
            if channel.enqueue(queued):
                threads.append(
                    self._thread(self._run_emergencies, channel, name=f"emergency {zone_name}")
                )
            else:
                log.warning("emergency %s interrupts %s", emergency.id, zone_name)
        return threads

    def _run_emergencies(self, channel: Channel) -> None:
        """Take the zone and air the emergencies waiting for it, one after the other."""
        claimed = channel.claim(source=AirSource.EMERGENCY, stopping=self._stopping)
        with channel.lock:
            channel.runner = False
        if not claimed:
            return
        try:
            while not self._stopping.is_set():
                queued = channel.next_waiting()
                if queued is None:
                    break
                self._hold_channel(channel, queued.program, queued.segments, queued.emergency_id)
        finally:
            self._release(channel)

    def _emergency_aired(
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
        with self._aired_lock:
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

        self.recorder.run(count)
        if not airing.went_out:
            self._alert(AlertKind.EMERGENCY, f"Tin khẩn cấp số {emergency_id} không phát được: "
                        f"{reason}", f"emergency {emergency_id} did not air")  # fmt: skip
        self._wake_emergencies.set()

    # --- as-run log and alerts ------------------------------------------------------------

    def _record(self, result: PlayResult) -> None:
        """Hand a result to the as-run writer: the player never waits on the database."""
        self.recorder.record(result)

    def flush_asrun(self) -> None:
        """Wait until every reported result is in the as-run log."""
        self.recorder.flush()

    def _alert(self, kind: AlertKind, message: str, detail: str, zone_name: str = "") -> None:
        """Raise an alert for staff, written by the recorder (never on a play thread)."""

        def write(session: Session) -> None:
            raise_alert(session, kind=kind, message=message, detail=detail,
                        zone_name=zone_name, now=self.clock.now())  # fmt: skip

        self.recorder.run(write)

    def _problem_reporter(self, zone_name: str) -> Callable[[AlertKind, str, str], None]:
        def report(kind: AlertKind, message: str, detail: str) -> None:
            self._alert(kind, message, detail, zone_name)

        return report


def _forget(journal: FileJournal) -> Callable[[Session], None]:
    def forget(_session: Session) -> None:
        journal.forget()

    return forget


def _journal_name(program: Program) -> str:
    return program.label.replace("/", "_")


__all__ = ["Station", "StationBusy", "station_key"]
