"""Play a programme: audio assembled ahead, started on the instant, items back to back.

"Create the schedule" only prepares; this module only plays. It takes plain data, open
outputs and a clock, and reports each item's measured result to a callback (which writes the
as-run log), so a start never waits on the database, a decoder or the network.

Pacing has one anchor per programme: chunk after chunk is handed to every output when its
sample is due, so the items of a programme follow each other without a gap and the measured
start of each is the instant its first sample went out.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from audio.errors import AudioError
from audio.sound.files import decode_pcm
from playlists.alerts.models import AlertKind
from playlists.asrun.models import AirStatus
from playlists.core.clock import Clock
from scheduler.clock import Pacer
from scheduler.outputs.base import BYTES_PER_SAMPLE, CHUNK_S, OutputError, silence
from scheduler.playout.lines import OutputLine, ProblemReport
from scheduler.playout.programs import PlayResult, Program, ProgramItem

log = logging.getLogger(__name__)

# An item may end this much after the slot's end: mastering rounds durations, and cutting the
# last sentence of a bulletin for a fraction of a second would be worse than a tiny overrun.
END_TOLERANCE_S = 1.0
# A programme that starts later than this after its instant says so in its missed items.
LATE_S = 1.0


@dataclass(frozen=True)
class Segment:
    """One item decoded ahead of air time (its index in the programme), or why it could not be."""

    index: int
    item: ProgramItem
    pcm: bytes | None
    error: str = ""


def assemble(
    program: Program, *, sample_rate: int, decoded: dict[Path, bytes] | None = None
) -> list[Segment]:
    """Decode every item to PCM before air, so a start never waits on a file or a decoder.

    `decoded` is shared by the zones of one slot: a bulletin on five zones is decoded and held
    in memory once.
    """
    decoded = {} if decoded is None else decoded
    segments = []
    for index, item in enumerate(program.items):
        try:
            if item.path not in decoded:
                decoded[item.path] = decode_pcm(item.path, sample_rate=sample_rate)
            segments.append(Segment(index, item, decoded[item.path]))
        except (AudioError, OSError) as exc:
            log.error("cannot decode %s for %s: %s", item.path, program.label, exc)
            segments.append(
                Segment(index, item, None, f"Không đọc được tệp âm thanh {item.path.name}.")
            )
    return segments


def fits(start: datetime, duration_s: float, end: datetime) -> bool:
    """Tell whether an item started at `start` ends within the slot (with a small tolerance)."""
    return start + timedelta(seconds=duration_s) <= end + timedelta(seconds=END_TOLERANCE_S)


class Journal:
    """Where the player notes what is on air, so a restart after a crash knows (journal.py)."""

    def item_started(self, index: int, at: datetime) -> None:
        """Note that item `index` started at `at`."""

    def tick(self, at: datetime) -> None:
        """Note that the player was still airing at `at`."""

    def item_ended(self, index: int, at: datetime, results: list[PlayResult]) -> None:
        """Note that item `index` ended at `at`, with what each output did."""

    def item_cut(self, index: int, at: datetime, results: list[PlayResult]) -> None:
        """Note that item `index` was cut by an interruption, with what each output did."""

    def item_skipped(self, index: int) -> None:
        """Note that item `index` was logged missed or failed without airing."""


@dataclass
class Interruption:
    """A request to stop the programme at the next chunk (an emergency takes the air)."""

    reason: str
    event: threading.Event = field(default_factory=threading.Event)

    def request(self) -> None:
        self.event.set()

    @property
    def requested(self) -> bool:
        return self.event.is_set()


@dataclass
class Outcome:
    """What `air` did: the results, and what was left when it was interrupted."""

    results: list[PlayResult]
    remaining: list[Segment]
    interrupted: bool = False
    cut: bool = False  # the first remaining item had begun and was logged partial


def preroll(
    lines: Sequence[OutputLine],
    *,
    clock: Clock,
    until: datetime,
    interrupt: Interruption | None = None,
) -> None:
    """Feed silence to the outputs that must not go quiet, in real time, up to `until`.

    An interruption ends it at once: an emergency does not wait for a slot's start.
    """
    keep = [line for line in lines if line.output.keepalive]
    if not keep:
        pacer = Pacer(clock)
        while pacer.clock.now() < until and not (interrupt and interrupt.requested):
            pacer.sleep_until(min(until, pacer.clock.now() + timedelta(seconds=CHUNK_S)))
        return
    rate = keep[0].output.sample_rate
    pacer = Pacer(clock)
    begin = pacer.wall
    total_s = (until - begin).total_seconds()
    written = 0.0
    while written < total_s:
        if interrupt is not None and interrupt.requested:
            return
        pacer.sleep_until(begin + timedelta(seconds=written))
        step = min(CHUNK_S, total_s - written)
        chunk = silence(step, rate)
        now = clock.now()
        for line in keep:
            line.write(chunk, now)
        written += len(chunk) / (rate * BYTES_PER_SAMPLE)
        if not chunk:
            break
    pacer.sleep_until(until)


def air(
    program: Program,
    segments: Sequence[Segment],
    *,
    lines: Sequence[OutputLine],
    clock: Clock,
    anchor: datetime,
    report: Callable[[PlayResult], None],
    on_problem: ProblemReport,
    journal: Journal | None = None,
    interrupt: Interruption | None = None,
    no_room_reason: str | None = None,
) -> Outcome:
    """Air the segments back to back from `anchor` on every line, and report each item.

    `anchor` is the programme's start, or later when the start was missed: items that no
    longer fit before the end are then logged missed with the reason. An interruption stops
    at the next chunk; the item on air is logged partial and returned with the rest.
    """
    results: list[PlayResult] = []
    # An item's results are reported once the next item is on air (or at the end): between
    # two items nothing may run but the pacing, or the second would start late.
    settled: list[tuple[OutputLine, PlayResult]] = []

    def done(result: PlayResult) -> None:
        results.append(result)
        report(result)

    def settle() -> None:
        for line, result in settled:
            if result.status == AirStatus.PLAYED:
                _note_item(line, result)
            done(result)
        settled.clear()

    def each_line(item: ProgramItem, status: AirStatus, reason: str) -> None:
        settle()
        for line in lines:
            done(PlayResult(program, item, status, line.name, reason=reason))

    rate = lines[0].output.sample_rate if lines else 44100
    bytes_per_s = rate * BYTES_PER_SAMPLE
    chunk_bytes = int(rate * CHUNK_S) * BYTES_PER_SAMPLE
    # Never from the past: pacing from an instant gone by would burst audio out to catch up.
    pacer = Pacer(clock)
    anchor = max(anchor, pacer.wall)
    late_s = (anchor - program.start).total_seconds()
    cursor = anchor  # when the next item's first sample is due
    # Until the first sample, an interruption takes the air at once (an emergency during a
    # slot's lead-in must not wait for the slot's start).
    while interrupt is not None and not interrupt.requested and clock.now() < anchor:
        pacer.sleep_until(min(anchor, clock.now() + timedelta(seconds=CHUNK_S)))
    if interrupt is not None and interrupt.requested:
        return Outcome(results, list(segments), interrupted=True)
    try:
        for position, segment in enumerate(segments):
            item = segment.item
            if segment.pcm is None:
                if journal is not None:
                    journal.item_skipped(segment.index)
                each_line(item, AirStatus.FAILED, segment.error)
                on_problem(AlertKind.AUDIO, f"{program.zone_name}: {item.title}: {segment.error}",
                           f"unreadable audio {item.path} in {program.label}")  # fmt: skip
                continue
            duration = len(segment.pcm) / bytes_per_s
            if not fits(cursor, duration, program.end):
                reason = no_room_reason or "Hết thời lượng khung giờ trước khi đến lượt."
                if late_s > LATE_S and no_room_reason is None:
                    reason = (
                        f"Khung giờ bắt đầu muộn {late_s:.0f} giây; không còn đủ thời gian "
                        "trước khi hết giờ."
                    )
                if journal is not None:
                    journal.item_skipped(segment.index)
                each_line(item, AirStatus.MISSED, reason)
                continue
            watch = {line.name: _LineWatch() for line in lines}
            for k, offset in enumerate(range(0, len(segment.pcm), chunk_bytes)):
                pacer.sleep_until(cursor + timedelta(seconds=offset / bytes_per_s))
                now = clock.now()
                if interrupt is not None and interrupt.requested:
                    settle()
                    reason = interrupt.reason
                    cut = [
                        PlayResult(program, item, AirStatus.PARTIAL, line.name, begun, now, reason)
                        for line in lines
                        if (begun := watch[line.name].start) is not None
                    ]
                    if journal is not None and k > 0:
                        journal.item_cut(segment.index, now, cut)
                    for result in cut:
                        done(result)
                    return Outcome(results, list(segments[position:]), interrupted=True, cut=k > 0)
                for line in lines:
                    line.write(segment.pcm[offset : offset + chunk_bytes], now)
                    watch[line.name].chunk(first=k == 0, live=line.live, now=now)
                if k == 0:
                    if journal is not None:
                        journal.item_started(segment.index, now)
                    settle()
                elif journal is not None and k % 10 == 0:
                    journal.tick(now)
            pacer.sleep_until(cursor + timedelta(seconds=duration))
            end = clock.now()
            ended = [(line, watch[line.name].result(program, item, line, end)) for line in lines]
            if journal is not None:
                journal.item_ended(segment.index, end, [result for _, result in ended])
            settled.extend(ended)
            cursor += timedelta(seconds=duration)
    finally:
        settle()  # what aired is reported even if something below the air failed
    return Outcome(results, [])


def _note_item(line: OutputLine, result: PlayResult) -> None:
    """Let the output note an aired item (the file output's timing sheet)."""
    assert result.actual_start is not None and result.actual_end is not None
    try:
        line.output._after_item(result.item.title, result.actual_start, result.actual_end)
    except OutputError as exc:  # the audio went out; only its timing sheet failed
        log.error("output %s could not note %s: %s", line.name, result.item.title, exc)


@dataclass
class _LineWatch:
    """What one output did during one item, chunk by chunk."""

    start: datetime | None = None
    whole: bool = True  # live from the first chunk to the last
    last_live: datetime | None = None

    def chunk(self, *, first: bool, live: bool, now: datetime) -> None:
        if live:
            if self.start is None:
                self.start = now
                self.whole = first
            self.last_live = now
        else:
            self.whole = False

    def result(
        self, program: Program, item: ProgramItem, line: OutputLine, end: datetime
    ) -> PlayResult:
        """Say what the output really aired of the item: all of it, part, or nothing."""
        alive = line.confirm(end)
        if self.start is None:
            return PlayResult(program, item, AirStatus.FAILED, line.name, reason=line.broken)
        if alive and self.whole:
            return PlayResult(program, item, AirStatus.PLAYED, line.name, self.start, end)
        stopped = end if alive else (line.failed_at or self.last_live or end)
        reason = line.broken or "Đầu ra bị gián đoạn giữa bản tin rồi nối lại."
        return PlayResult(program, item, AirStatus.PARTIAL, line.name, self.start, stopped, reason)
