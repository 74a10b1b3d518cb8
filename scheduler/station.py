"""The station's clockwork: plan ahead, air every slot on time, recover, interrupt for emergencies.

The database is the truth: jobs live in a persistent APScheduler job store in the station's
database and are reconciled from the stored plan at start-up and after every plan build, so a
restart or a changed plan never leaves a stale job behind. One process runs the scheduler
(`StationLock`); a second one is refused before it can air anything.

Each zone is a channel: one programme on air at a time, on all of the zone's outputs. An
emergency takes the channel at the next 100 ms chunk; the slot it interrupted resumes after
it or ends (LOA_EMERGENCY_THEN).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
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
from scheduler import amplifier, asrun, jobs
from scheduler.clock import Clock, SystemClock
from scheduler.journal import FileJournal, Unfinished, unfinished
from scheduler.lock import StationLock
from scheduler.outputs.base import CHUNK_S, SAMPLE_RATE, Output, silence
from scheduler.outputs.device import DeviceOutput, has_sound_card
from scheduler.outputs.filesink import FileSink
from scheduler.outputs.icecast import IcecastOutput
from scheduler.playout import (
    Interruption,
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

log = logging.getLogger(__name__)

AIR_JOB_PREFIX = "air:"
AMP_JOB_PREFIX = "amp:"
STORE = "station"  # the persistent job store; housekeeping jobs stay in memory

# Outputs open this long before a programme: starting ffmpeg and connecting to Icecast take
# a moment, and the start instant must not wait for them.
OPEN_AHEAD_S = 3.0
# How often the emergency watcher looks for new requests (the CLI writes them to the database).
EMERGENCY_POLL_S = 0.25
# Kept outputs (sound card, Icecast) are reopened for as long as the station runs.
KEPT_RETRIES = 1_000_000

OutputFactory = Callable[[int | None, str], list[Output]]
"""Make a zone's outputs, given its id and name."""

INTERRUPTED_BY_EMERGENCY = "Ngắt giữa chừng để phát tin khẩn cấp."
STOPPED_AFTER_EMERGENCY = "Khung giờ dừng sau tin khẩn cấp (LOA_EMERGENCY_THEN=stop)."
STOPPED_BY_SHUTDOWN = "Phần mềm được tắt trong khi đang phát."


@dataclass
class Channel:
    """One zone's air: its outputs, the programme on it, and emergencies waiting to take it.

    Outputs that must not go quiet (a sound card, an Icecast mount that loudspeakers pull) stay
    open for the station's whole run and get silence between programmes, so a programme never
    waits for them to open and listeners never lose the stream. The file output opens a new
    file per programme.
    """

    zone_id: int | None
    zone_name: str
    kept: list[OutputLine] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    idle: threading.Event = field(default_factory=threading.Event)
    # Held while a chunk is written to the kept outputs, so silence and programme never mix.
    writing: threading.Lock = field(default_factory=threading.Lock)
    interruption: Interruption | None = None
    waiting: list[tuple[int, Program, list[Segment]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.idle.set()


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
        self.key = settings.db_url
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
        self._channels: dict[int | None, Channel] = {}
        self._channels_lock = threading.Lock()
        self._aired: set[tuple[date, int, AirSource, datetime]] = set()
        self._aired_lock = threading.Lock()
        self._stopping = threading.Event()
        self._wake_emergencies = threading.Event()
        self._watcher: threading.Thread | None = None
        self._airing: list[threading.Thread] = []
        self._asrun: queue.Queue[PlayResult | None] = queue.Queue()
        threading.Thread(target=self._write_asrun, name="as-run writer", daemon=True).start()

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
        self.open_zones()
        self.recover()
        self.catch_up()
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
                if channel.interruption is not None:
                    channel.interruption.reason = STOPPED_BY_SHUTDOWN
                    channel.interruption.request()
                    channel.waiting.clear()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        for thread in list(self._airing):
            thread.join(timeout=30)
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        for channel in channels + [c for c in self._channels.values() if c not in channels]:
            with channel.writing:
                for line in channel.kept:
                    line.close()
                channel.kept.clear()
        self.flush_asrun()
        jobs.unregister(self.key)
        self.lock.release()

    def catch_up(self) -> None:
        """Build missing plans, log slots that passed unaired as missed, and reconcile jobs."""
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
        now = self.clock.now()
        grace = timedelta(seconds=self.settings.misfire_grace_s)
        lead = timedelta(seconds=self.settings.prepare_lead_s)
        with session_scope(self.sessions) as session:
            upcoming = upcoming_slots(
                session=session, since=now - grace, until=now + timedelta(days=2)
            )
            ends = {
                (day, slot_id): end
                for day, slot_id, _start, end in self._slot_spans(session, upcoming)
            }
        wanted: dict[str, tuple[Callable[..., None], datetime, list[object]]] = {}
        for day, slot_id, start in upcoming:
            tag = f"{day.isoformat()}:{slot_id}"
            # Fired `prepare_lead_s` early: the programme is loaded and assembled into ready
            # audio in that time, then the player waits for the exact instant.
            wanted[AIR_JOB_PREFIX + tag] = (
                jobs.air_slot, max(start - lead, now), [self.key, day.isoformat(), slot_id]
            )  # fmt: skip
            if self.settings.amp_on_command:
                on_at = start - timedelta(seconds=self.settings.amp_lead_s)
                wanted[f"{AMP_JOB_PREFIX}on:{tag}"] = (
                    jobs.amplifier, max(on_at, now), [self.key, "on", day.isoformat(), slot_id]
                )  # fmt: skip
            if self.settings.amp_off_command:
                off_at = ends[(day, slot_id)] + timedelta(seconds=self.settings.amp_hold_s)
                wanted[f"{AMP_JOB_PREFIX}off:{tag}"] = (
                    jobs.amplifier, off_at, [self.key, "off", day.isoformat(), slot_id]
                )  # fmt: skip
        for job in self.scheduler.get_jobs(jobstore=STORE):
            if job.id.startswith((AIR_JOB_PREFIX, AMP_JOB_PREFIX)) and job.id not in wanted:
                self.scheduler.remove_job(job.id, jobstore=STORE)
        grace_s = int(self.settings.prepare_lead_s + self.settings.misfire_grace_s)
        for job_id, (func, run_at, args) in wanted.items():
            self.scheduler.add_job(
                func,
                DateTrigger(run_date=run_at),
                args=args,
                id=job_id,
                jobstore=STORE,
                replace_existing=True,
                # A job that fires late still runs within the slot's grace; air_slot itself
                # decides what still fits, and logs the rest missed.
                misfire_grace_time=grace_s,
            )

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

    # --- airing a slot --------------------------------------------------------------------

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
        late_s = (self.clock.now() - programs[0].start).total_seconds()
        if source == AirSource.SCHEDULE and late_s > self.settings.misfire_grace_s:
            return self._log_missed(
                programs,
                f"Lỡ giờ phát: phần mềm chỉ đến được khung giờ sau {late_s:.0f} giây, quá thời "
                f"gian cho phép {self.settings.misfire_grace_s} giây.",
            )
        return self._air_in_parallel(programs)

    def _air_in_parallel(self, programs: Sequence[Program]) -> list[PlayResult]:
        results: list[PlayResult] = []
        decoded: dict[Path, bytes] = {}
        threads = [
            threading.Thread(target=self._air_program, args=(p, results, decoded), name=p.label)
            for p in programs
        ]
        self._airing.extend(threads)
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
            self._airing.remove(thread)
        self.flush_asrun()
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
    ) -> None:
        try:
            segments = assemble(program, sample_rate=SAMPLE_RATE, decoded=decoded)
            results.extend(self._on_air(program, segments))
        except Exception:
            log.exception("programme %s failed", program.label)
            self._alert(AlertKind.SCHEDULER, f"Lỗi khi phát {program.label}.",
                        f"programme {program.label} failed", program.zone_name)  # fmt: skip

    def _channel(self, zone_id: int | None, zone_name: str) -> Channel:
        """Return the zone's channel, opening its kept outputs the first time."""
        with self._channels_lock:
            channel = self._channels.get(zone_id)
            if channel is not None:
                return channel
            channel = Channel(zone_id, zone_name)
            self._channels[zone_id] = channel
        label = f"loa-phuong_{slug(zone_name)}"
        for output in self.output_factory(zone_id, zone_name):
            if output.keepalive:
                line = OutputLine(
                    output, label, self._problem_reporter(zone_name), zone_name=zone_name,
                    retries=KEPT_RETRIES, retry_s=self.settings.output_retry_s,
                )  # fmt: skip
                line.open()
                channel.kept.append(line)
        if channel.kept:
            threading.Thread(
                target=self._feed_silence, args=(channel,), name=f"silence {zone_name}",
                daemon=True,
            ).start()  # fmt: skip
        return channel

    def _feed_silence(self, channel: Channel) -> None:
        """Keep the zone's kept outputs fed with silence, in real time, while nothing airs."""
        rate = channel.kept[0].output.sample_rate
        chunk = silence(CHUNK_S, rate)
        begin, count = self.clock.now(), 0
        while not self._stopping.is_set():
            count += 1
            self.clock.sleep_until(begin + timedelta(seconds=count * CHUNK_S))
            with channel.writing:
                if not channel.idle.is_set():
                    # A programme has the outputs; pace afresh when they come back.
                    begin, count = self.clock.now(), 0
                    continue
                now = self.clock.now()
                for line in channel.kept:
                    line.write(chunk, now)

    def open_zones(self) -> None:
        """Open every zone's kept outputs (Icecast mounts appear, sound cards warm up)."""
        with session_scope(self.sessions) as session:
            zones = [(z.id, z.name) for z in session.scalars(select(Zone))]
        for zone_id, zone_name in zones:
            self._channel(zone_id, zone_name)

    def _on_air(
        self, program: Program, segments: list[Segment], emergency_id: int | None = None
    ) -> list[PlayResult]:
        """Take the zone's channel, open its outputs ahead, air the programme, hand over."""
        # Outputs open a little ahead; until then the zone stays free for an emergency.
        if not self._wait_until(program.start - timedelta(seconds=OPEN_AHEAD_S)):
            return []
        channel = self._channel(program.zone_id, program.zone_name)
        # One programme per zone at a time: a programme waits for the one before it to finish.
        while True:
            with channel.lock:
                if channel.idle.is_set():
                    channel.idle.clear()
                    channel.interruption = Interruption(INTERRUPTED_BY_EMERGENCY)
                    break
            channel.idle.wait(timeout=0.5)
            if self._stopping.is_set():
                return []
        with channel.writing:
            pass  # the silence feeder has finished its chunk and now leaves the outputs to us
        try:
            return self._hold_channel(channel, program, segments, emergency_id)
        finally:
            with channel.lock:
                channel.interruption = None
                channel.idle.set()

    def _hold_channel(
        self,
        channel: Channel,
        program: Program,
        segments: list[Segment],
        emergency_id: int | None,
    ) -> list[PlayResult]:
        own = [
            OutputLine(
                output,
                program.label,
                self._problem_reporter(program.zone_name),
                zone_name=program.zone_name,
                retries=self.settings.output_retries,
                retry_s=self.settings.output_retry_s,
            )
            for output in self.output_factory(program.zone_id, program.zone_name)
            if not output.keepalive
        ]
        for line in own:
            line.open()
        lines = [*channel.kept, *own]
        journal = FileJournal(self.settings.onair_dir, program, _journal_name(program))
        journal.outputs([line.name for line in lines])
        results: list[PlayResult] = []
        try:
            anchor = max(program.start, self.clock.now())
            preroll(lines, clock=self.clock, until=anchor)
            pending = segments
            while True:
                interruption = channel.interruption or Interruption(INTERRUPTED_BY_EMERGENCY)
                outcome = air(
                    program, pending, lines=lines, clock=self.clock, anchor=anchor,
                    report=self._record, on_problem=self._problem_reporter(program.zone_name),
                    journal=journal, interrupt=interruption,
                )  # fmt: skip
                results.extend(outcome.results)
                if not outcome.interrupted:
                    if emergency_id is not None:
                        self._emergency_aired(emergency_id, anchor)
                    break
                if outcome.cut:
                    journal.item_cut(outcome.remaining[0].index, self.clock.now())
                rest = outcome.remaining[1:] if outcome.cut else outcome.remaining
                if interruption.reason == STOPPED_BY_SHUTDOWN:
                    self._log_rest(program, rest, lines, STOPPED_BY_SHUTDOWN)
                    break
                self._air_waiting(channel, lines)
                if self.settings.emergency_then == "stop":
                    self._log_rest(program, rest, lines, STOPPED_AFTER_EMERGENCY)
                    break
                # Resume: the interrupted item airs again from its start, then the rest, as
                # far as the slot's end allows (what no longer fits is logged missed).
                pending, anchor = outcome.remaining, self.clock.now()
            # Emergencies that came as the programme ended air on the outputs still open.
            self._air_waiting(channel, lines, last=True)
        finally:
            for line in own:
                line.close()
            journal.close()
        return results

    def _air_waiting(
        self, channel: Channel, lines: Sequence[OutputLine], *, last: bool = False
    ) -> None:
        """Air the emergencies waiting for this channel on its open outputs.

        With `last`, the channel then stops taking emergencies into its queue: one that comes
        later waits for the outputs to close and takes the zone itself.
        """
        while True:
            with channel.lock:
                if not channel.waiting:
                    channel.interruption = None if last else Interruption(INTERRUPTED_BY_EMERGENCY)
                    return
                emergency_id, program, segments = channel.waiting.pop(0)
            started = self.clock.now()
            air(
                program, segments, lines=lines, clock=self.clock, anchor=started,
                report=self._record, on_problem=self._problem_reporter(program.zone_name),
            )  # fmt: skip
            self._emergency_aired(emergency_id, started)

    def _log_rest(
        self, program: Program, rest: Sequence[Segment], lines: Sequence[OutputLine], reason: str
    ) -> None:
        for segment in rest:
            for line in lines:
                self._record(PlayResult(program, segment.item, AirStatus.MISSED, line.name,
                                        reason=reason))  # fmt: skip

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
            try:
                self._recover_one(found)
            finally:
                found.path.unlink(missing_ok=True)

    def _recover_one(self, found: Unfinished) -> None:
        program, now = found.program, self.clock.now()
        names = found.outputs or self._output_names(program)
        log.warning("recovering %s: the process stopped while it was on air", program.label)
        if found.on_air is not None and found.on_air_since is not None:
            item = program.items[found.on_air]
            until = found.last_seen or found.on_air_since
            aired = (until - found.on_air_since).total_seconds()
            for name in names:
                self._record(PlayResult(
                    program, item, AirStatus.PARTIAL, name, found.on_air_since, until,
                    f"Phần mềm dừng đột ngột khi đang phát; đã phát khoảng {aired:.0f} giây.",
                ))  # fmt: skip
            self._alert(AlertKind.SCHEDULER,
                        f"{program.zone_name}: phần mềm dừng đột ngột khi đang phát {item.title}.",
                        f"crash while airing {program.label}", program.zone_name)  # fmt: skip
        rest = found.not_finished
        if program.slot_id is not None and program.source != AirSource.EMERGENCY:
            slot_day = program.start.astimezone(self.settings.zone).date()
            with self._aired_lock:  # the re-made slot job must not air it a second time
                self._aired.add((slot_day, program.slot_id, program.source, program.start))
        if not rest:
            return
        if program.source != AirSource.EMERGENCY and now < program.end:
            resumed = Program(
                zone_id=program.zone_id, zone_name=program.zone_name, slot_id=program.slot_id,
                slot_name=program.slot_name, start=now, end=program.end,
                items=tuple(program.items[i] for i in rest), source=program.source,
                label=f"{program.label}_tiep",
            )  # fmt: skip
            thread = threading.Thread(
                target=self._air_program, args=(resumed, []), name=resumed.label, daemon=True
            )
            self._airing.append(thread)
            thread.start()
            return
        reason = "Phần mềm dừng đột ngột; khi chạy lại thì khung giờ đã hết."
        for index in rest:
            if index == found.on_air or index in found.cut:
                continue
            for name in names:
                self._record(PlayResult(program, program.items[index], AirStatus.MISSED, name,
                                        reason=reason))  # fmt: skip

    # --- amplifiers -----------------------------------------------------------------------

    def switch_amplifiers(self, action: str, day: date, slot_id: int) -> None:
        """Run the amplifier power command for each zone of a slot, and log what it did."""
        template = self.settings.amp_on_command if action == "on" else self.settings.amp_off_command
        if not template:
            return
        with session_scope(self.sessions) as session:
            slot = session.get(Slot, slot_id)
            zones = [z.name for z in slot.zones] if slot is not None else []
            if action == "off" and self._another_slot_soon(session):
                log.info("amplifiers kept on after slot %s: another slot starts soon", slot_id)
                return
        for zone in zones:
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

    def _another_slot_soon(self, session: Session) -> bool:
        now = self.clock.now()
        soon = now + timedelta(seconds=self.settings.amp_lead_s + self.settings.amp_hold_s)
        return bool(upcoming_slots(session=session, since=now, until=soon))

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
        """Air one emergency with its repeats where no station runs (`loa emergency`).

        Takes the station lock for the whole time, so a station started meanwhile waits.
        """
        self.lock.acquire()
        try:
            while not self._stopping.is_set():
                for thread in self.air_due_emergencies():
                    thread.join()
                self.flush_asrun()
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
        finally:
            self.lock.release()

    def _take_air(self, emergency: Emergency, zones: dict[int, str]) -> list[threading.Thread]:
        path = self.settings.media_dir / emergency.audio_file
        now = self.clock.now()
        item = ProgramItem(
            bulletin_id=None, title=emergency.title, topic_name="Khẩn cấp",
            rendering_sha256=emergency.audio_sha256, path=path,
            duration_s=emergency.duration_s, scheduled_start=now,
        )  # fmt: skip
        threads = []
        first = True
        for zone_id, zone_name in sorted(zones.items(), key=lambda z: z[1]):
            program = Program(
                zone_id=zone_id, zone_name=zone_name, slot_id=None, slot_name="Khẩn cấp",
                start=now, end=now + timedelta(seconds=emergency.duration_s + 60),
                items=(item,), source=AirSource.EMERGENCY,
                label=f"{now.astimezone(self.settings.zone):%Y-%m-%d/%H%M%S}_{slug(zone_name)}"
                f"_khan-cap-{emergency.id}",
            )  # fmt: skip
            segments = assemble(program, sample_rate=SAMPLE_RATE)
            # Only the first zone counts the airing, so repeats are scheduled once.
            counted = emergency.id if first else None
            first = False
            channel = self._channel(zone_id, zone_name)
            with channel.lock:
                if not channel.idle.is_set() and channel.interruption is not None:
                    channel.waiting.append((counted or 0, program, segments))
                    channel.interruption.request()
                    log.warning("emergency %s interrupts %s", emergency.id, zone_name)
                    continue
            thread = threading.Thread(
                target=self._on_air, args=(program, segments, counted),
                name=program.label, daemon=True,
            )  # fmt: skip
            self._airing.append(thread)
            thread.start()
            threads.append(thread)
        return threads

    def _emergency_aired(self, emergency_id: int, started: datetime) -> None:
        if not emergency_id:
            return
        with session_scope(self.sessions) as session:
            emergencies.mark_aired(session, emergency_id, started=started)
        self._wake_emergencies.set()

    # --- as-run log and alerts ------------------------------------------------------------

    def _record(self, result: PlayResult) -> None:
        """Hand a result to the as-run writer: the player never waits on the database."""
        self._asrun.put(result)

    def _write_asrun(self) -> None:
        """Write the player's confirmations to the as-run log, in order, off the play threads."""
        while True:
            result = self._asrun.get()
            if result is None:
                return
            try:
                self._append(result)
            except Exception:
                log.exception("as-run row could not be written: %s", result)
            finally:
                self._asrun.task_done()

    def flush_asrun(self) -> None:
        """Wait until every reported result is in the as-run log."""
        self._asrun.join()

    def _append(self, result: PlayResult) -> None:
        with session_scope(self.sessions) as session:
            asrun.record(result, session=session)
        log.info(
            "as-run: %s %s %s %s %s",
            result.program.label,
            result.output,
            result.item.title,
            result.status,
            result.reason,
        )

    def _alert(self, kind: AlertKind, message: str, detail: str, zone_name: str = "") -> None:
        try:
            with session_scope(self.sessions) as session:
                raise_alert(session, kind=kind, message=message, detail=detail,
                            zone_name=zone_name, now=self.clock.now())  # fmt: skip
        except Exception:
            log.exception("could not store alert: %s", detail)

    def _problem_reporter(self, zone_name: str) -> Callable[[AlertKind, str, str], None]:
        def report(kind: AlertKind, message: str, detail: str) -> None:
            self._alert(kind, message, detail, zone_name)

        return report


def _journal_name(program: Program) -> str:
    return program.label.replace("/", "_")
