"""What everything on air shares: the zones' channels, their outputs, threads, alerts, the log.

Airing a slot (slots.py), emergencies (emergencies.py) and crash recovery (recovery.py) all
put programmes on a zone's channel through `hold`: it opens the programme's own outputs beside
the channel's kept ones, journals what airs, and, when an emergency interrupts, airs the
emergencies waiting for the zone before resuming or ending the programme.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from playlists.alerts.models import AlertKind
from playlists.alerts.service import raise_alert
from playlists.asrun.models import AirStatus
from playlists.core.clock import Clock
from playlists.core.text import slug
from scheduler.outputs.base import Output
from scheduler.outputs.factory import OutputFactory
from scheduler.playout.channels import INTERRUPTED_BY_EMERGENCY, Channel
from scheduler.playout.journal import FileJournal
from scheduler.playout.lines import OutputLine, ProblemReport
from scheduler.playout.player import Interruption, Journal, Segment, air, preroll
from scheduler.playout.programs import PlayResult, Program
from scheduler.recorder import Recorder
from scheduler.settings import SchedulerSettings

log = logging.getLogger(__name__)

# Kept outputs (sound card, Icecast) are reopened for as long as the station runs.
KEPT_RETRIES = 1_000_000

STOPPED_AFTER_EMERGENCY = "Khung giờ dừng sau tin khẩn cấp (LOA_EMERGENCY_THEN=stop)."
STOPPED_BY_SHUTDOWN = "Phần mềm được tắt trong khi đang phát."
NO_ROOM_AFTER_EMERGENCY = "Sau tin khẩn cấp, khung giờ không còn đủ thời gian cho bản tin này."


class EmergencyHooks(Protocol):
    """How holding a channel hands over to the emergency desk (scheduler/playout/emergencies.py)."""

    def aired(
        self,
        emergency_id: int,
        started: datetime,
        results: Sequence[PlayResult],
        cut_by_shutdown: bool = False,
    ) -> None:
        """Note one zone's airing of an emergency."""

    def run_waiting(self, channel: Channel) -> None:
        """Start a thread that takes the zone and airs the emergencies waiting for it."""


class Airwaves:
    """One station's zones on air: channels, outputs, the threads airing, and what they report."""

    def __init__(
        self,
        *,
        settings: SchedulerSettings,
        sessions: sessionmaker[Session],
        clock: Clock,
        outputs: OutputFactory,
        recorder: Recorder,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.clock = clock
        self.outputs = outputs
        self.recorder = recorder
        self.stopping = threading.Event()
        self.emergencies: EmergencyHooks | None = None  # plugged in by the station
        self._channels: dict[int | None, Channel] = {}
        self._channels_lock = threading.Lock()
        self._threads: set[threading.Thread] = set()

    # --- threads, reports ------------------------------------------------------------------

    def spawn(self, target: Callable[..., object], *args: object, name: str) -> threading.Thread:
        """Start a thread the station waits for when it stops."""

        def run() -> None:
            try:
                target(*args)
            finally:
                self._threads.discard(threading.current_thread())

        thread = threading.Thread(target=run, name=name, daemon=True)
        self._threads.add(thread)
        thread.start()
        return thread

    def join_all(self) -> None:
        """Wait for every thread that is airing something."""
        for thread in list(self._threads):
            thread.join()

    def wait_until(self, instant: datetime) -> bool:
        """Sleep until `instant` unless the station stops first; tell whether to go on."""
        while not self.stopping.is_set():
            now = self.clock.now()
            if now >= instant:
                return True
            self.clock.sleep_until(min(instant, now + timedelta(seconds=0.5)))
        return False

    def record(self, result: PlayResult) -> None:
        """Hand a result to the as-run writer: the player never waits on the database."""
        self.recorder.record(result)

    def alert(self, kind: AlertKind, message: str, detail: str, zone_name: str = "") -> None:
        """Raise an alert for staff, written by the recorder (never on a play thread)."""

        def write(session: Session) -> None:
            raise_alert(session, kind=kind, message=message, detail=detail,
                        zone_name=zone_name, now=self.clock.now())  # fmt: skip

        self.recorder.run(write)

    def problem_reporter(self, zone_name: str) -> ProblemReport:
        """Return how a zone's outputs tell staff about a problem."""

        def report(kind: AlertKind, message: str, detail: str) -> None:
            self.alert(kind, message, detail, zone_name)

        return report

    # --- channels ----------------------------------------------------------------------------

    def output_names(self, program: Program) -> list[str]:
        """Return the names of the outputs a programme airs on (the as-run rows name them)."""
        return [o.name for o in self.outputs(program.zone_id, program.zone_name)]

    def channel(self, zone_id: int | None, zone_name: str) -> Channel:
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
            for output in self.outputs(zone_id, zone_name):
                if output.keepalive:
                    line = OutputLine(
                        output, label, self.problem_reporter(zone_name), clock=self.clock,
                        retries=KEPT_RETRIES, retry_s=self.settings.output_retry_s,
                    )  # fmt: skip
                    line.open()
                    channel.kept.append(line)
        finally:
            channel.ready.set()  # whatever happened: nobody may wait for it for ever
        if channel.kept:
            threading.Thread(
                target=channel.feed_silence, args=(self.clock, self.stopping),
                name=f"silence {zone_name}", daemon=True,
            ).start()  # fmt: skip
        return channel

    def channels(self) -> list[Channel]:
        """Return the zones' channels opened so far."""
        with self._channels_lock:
            return list(self._channels.values())

    def close_channels(self, *, wait_for_silence: bool = True) -> None:
        """Close every channel's kept outputs and forget the channels."""
        with self._channels_lock:
            channels = list(self._channels.values())
            self._channels.clear()
        for channel in channels:
            if wait_for_silence:
                with channel.writing:
                    self._close_kept(channel)
            else:
                self._close_kept(channel)

    @staticmethod
    def _close_kept(channel: Channel) -> None:
        for line in channel.kept:
            line.close()
        channel.kept.clear()

    def cut_all(self) -> None:
        """Stop: cut what is on air at the next chunk; emergencies waiting stay "airing"."""
        self.stopping.set()
        for channel in self.channels():
            with channel.lock:
                channel.waiting.clear()  # their requests stay "airing": the next start re-airs
                if channel.interruption is not None:
                    channel.interruption.reason = STOPPED_BY_SHUTDOWN
                    channel.interruption.request()

    def release(self, channel: Channel) -> None:
        """Give a channel back; emergencies waiting for it go on air at once."""
        if channel.release() and self.emergencies is not None:
            self.emergencies.run_waiting(channel)

    # --- holding a channel -----------------------------------------------------------------

    def hold(
        self,
        channel: Channel,
        program: Program,
        segments: list[Segment],
        emergency_id: int | None,
        no_room_reason: str | None = None,
    ) -> list[PlayResult]:
        """Air a programme on a claimed channel, making way for emergencies that interrupt it.

        After an interruption the emergencies waiting for the zone air on the same outputs;
        then the programme resumes (its interrupted item from the start, as far as its end
        allows) or ends, as LOA_EMERGENCY_THEN says. A stop cuts it and logs the rest.
        """
        results: list[PlayResult] = []
        own: list[OutputLine] = []
        journal: Journal = Journal()
        finished = False
        try:
            own = [
                self._line(output, program)
                for output in self.outputs(program.zone_id, program.zone_name)
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
                    report=self.record, on_problem=self.problem_reporter(program.zone_name),
                    journal=journal, interrupt=interruption, no_room_reason=no_room_reason,
                )  # fmt: skip
                results.extend(outcome.results)
                if not outcome.interrupted:
                    break
                rest = outcome.remaining[1:] if outcome.cut else outcome.remaining
                if self.stopping.is_set():
                    self._log_rest(program, rest, lines, STOPPED_BY_SHUTDOWN)
                    cut_by_shutdown = True
                    break
                self.air_waiting(channel, lines)
                if self.stopping.is_set():
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
            if emergency_id is not None and self.emergencies is not None:
                self.emergencies.aired(emergency_id, anchor, results, cut_by_shutdown)
            # Emergencies that came as the programme ended air on the outputs still open.
            self.air_waiting(channel, lines)
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

    def air_waiting(self, channel: Channel, lines: Sequence[OutputLine]) -> None:
        """Air the emergencies waiting for this channel, on its open outputs.

        Each one airs under a fresh interruption only a shutdown requests (emergencies never
        cut each other); when none is left, the programme gets a fresh one, in the same step
        as the queue is found empty, so an emergency arriving then still interrupts it.
        """
        while not self.stopping.is_set():
            queued = channel.next_or_rearm()
            if queued is None:
                return
            started = self.clock.now()
            outcome = air(
                queued.program, queued.segments, lines=lines, clock=self.clock, anchor=started,
                report=self.record, on_problem=self.problem_reporter(queued.program.zone_name),
                interrupt=channel.interruption,
            )  # fmt: skip
            if self.emergencies is not None:
                self.emergencies.aired(
                    queued.emergency_id, started, outcome.results, outcome.interrupted
                )

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
                self.record(PlayResult(program, segment.item, status, line.name, reason=why))

    def _line(self, output: Output, program: Program) -> OutputLine:
        return OutputLine(
            output,
            program.label,
            self.problem_reporter(program.zone_name),
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
            self.alert(AlertKind.SCHEDULER, "Không ghi được sổ theo dõi phát sóng (ổ đĩa đầy?); "
                       "nếu phần mềm dừng đột ngột sẽ không biết đã phát đến đâu.",
                       f"journal unavailable: {exc}", program.zone_name)  # fmt: skip
            return Journal()
        journal.outputs([line.name for line in lines])
        return journal


def _forget(journal: FileJournal) -> Callable[[Session], None]:
    def forget(_session: Session) -> None:
        journal.forget()

    return forget


def _journal_name(program: Program) -> str:
    return program.label.replace("/", "_")
