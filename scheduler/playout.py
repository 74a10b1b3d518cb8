"""Play a programme: prepared audio, started on time, items back to back, every play reported.

"Create the schedule" only prepares; this module only plays. It takes plain data, an output
and a clock, and reports each item's measured result to a callback (which writes the as-run
log), so it never waits on the database between items.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from audio.errors import AudioError
from audio.ffmpeg import decode_pcm
from playlists.models import AirSource, AirStatus
from scheduler.clock import Clock
from scheduler.outputs.base import BYTES_PER_SAMPLE, Output, OutputError

log = logging.getLogger(__name__)

# An item may end this much after the slot's end: mastering rounds durations, and cutting the
# last sentence of a bulletin for a fraction of a second would be worse than a tiny overrun.
END_TOLERANCE_S = 1.0


@dataclass(frozen=True)
class ProgramItem:
    """One item to air, with everything the as-run log needs to describe it."""

    bulletin_id: int | None
    title: str
    topic_name: str
    rendering_sha256: str
    path: Path
    duration_s: float
    scheduled_start: datetime | None


@dataclass(frozen=True)
class Program:
    """What one zone airs in one slot (or in a manual or emergency play)."""

    zone_id: int | None
    zone_name: str
    slot_id: int | None
    slot_name: str
    start: datetime
    end: datetime
    items: tuple[ProgramItem, ...]
    source: AirSource
    label: str


@dataclass(frozen=True)
class PlayResult:
    """The player's confirmation of one item: what really happened, as measured."""

    program: Program
    item: ProgramItem
    status: AirStatus
    output: str
    actual_start: datetime | None = None
    actual_end: datetime | None = None
    reason: str = ""


@dataclass(frozen=True)
class Prepared:
    """An item decoded ahead of air time, or the reason it could not be."""

    item: ProgramItem
    pcm: bytes | None
    error: str = ""


def prepare(program: Program, *, sample_rate: int) -> list[Prepared]:
    """Decode every item to PCM before air, so a start never waits on a file or a decoder."""
    prepared = []
    for item in program.items:
        try:
            prepared.append(Prepared(item, decode_pcm(item.path, sample_rate=sample_rate)))
        except (AudioError, OSError) as exc:
            log.error("cannot decode %s for %s: %s", item.path, program.label, exc)
            prepared.append(Prepared(item, None, "Không đọc được tệp âm thanh."))
    return prepared


def fits(now: datetime, duration_s: float, end: datetime) -> bool:
    """Tell whether an item started now ends within the slot (with the small tolerance)."""
    return now + timedelta(seconds=duration_s) <= end + timedelta(seconds=END_TOLERANCE_S)


def play_program(
    program: Program,
    prepared: Sequence[Prepared],
    *,
    output: Output,
    clock: Clock,
    report: Callable[[PlayResult], None],
) -> list[PlayResult]:
    """Wait for the programme's start, then air its items back to back and report each one."""
    results: list[PlayResult] = []

    def done(result: PlayResult) -> None:
        results.append(result)
        report(result)

    clock.sleep_until(program.start)
    try:
        output.open(program.label)
    except OutputError as exc:
        log.error("output %s failed to open for %s: %s", output.name, program.label, exc)
        for entry in prepared:
            done(PlayResult(program, entry.item, AirStatus.FAILED, output.name,
                            reason=f"Đầu ra không hoạt động: {exc}"))  # fmt: skip
        return results

    broken: str | None = None
    try:
        for entry in prepared:
            if broken is not None:
                done(PlayResult(program, entry.item, AirStatus.FAILED, output.name, reason=broken))
                continue
            if entry.pcm is None:
                done(PlayResult(program, entry.item, AirStatus.FAILED, output.name,
                                reason=entry.error))  # fmt: skip
                continue
            duration = len(entry.pcm) / (output.sample_rate * BYTES_PER_SAMPLE)
            if not fits(clock.now(), duration, program.end):
                done(PlayResult(program, entry.item, AirStatus.MISSED, output.name,
                                reason="Hết thời lượng khung giờ trước khi đến lượt."))  # fmt: skip
                continue
            try:
                start, end = output.play(entry.pcm, title=entry.item.title)
            except OutputError as exc:
                log.error("output %s failed during %s: %s", output.name, program.label, exc)
                broken = f"Đầu ra bị lỗi khi đang phát: {exc}"
                done(PlayResult(program, entry.item, AirStatus.FAILED, output.name, reason=broken))
                continue
            done(PlayResult(program, entry.item, AirStatus.PLAYED, output.name, start, end))
    finally:
        try:
            output.close()
        except OutputError as exc:
            log.error("output %s failed to close for %s: %s", output.name, program.label, exc)
    return results
