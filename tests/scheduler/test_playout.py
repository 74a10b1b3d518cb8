"""Playout on real outputs: real decoding, real pacing, measured starts and ends."""

from __future__ import annotations

import json
import os
import threading
import time as _time
import wave
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import numpy

from audio.sound.files import decode_pcm, probe
from playlists.alerts.models import AlertKind
from playlists.asrun.models import AirSource, AirStatus
from playlists.core.clock import SystemClock
from scheduler.outputs.base import Output
from scheduler.outputs.device import DeviceOutput, has_sound_card
from scheduler.outputs.filesink import FileSink
from scheduler.playout.lines import OutputLine
from scheduler.playout.player import Interruption, Outcome, air, assemble, preroll
from scheduler.playout.programs import PlayResult, Program, ProgramItem

Tone = Callable[[float, int], Path]


def item(path: Path, title: str, seconds: float) -> ProgramItem:
    return ProgramItem(
        bulletin_id=1, title=title, topic_name="Khác", rendering_sha256="x" * 64, path=path,
        duration_s=seconds, scheduled_start=None,
    )  # fmt: skip


def program(items: list[ProgramItem], *, lead_s: float = 1.0, length_s: float = 30) -> Program:
    start = SystemClock().now() + timedelta(seconds=lead_s)
    return Program(
        zone_id=1, zone_name="Cụm 1", slot_id=1, slot_name="Sáng", start=start,
        end=start + timedelta(seconds=length_s), items=tuple(items), source=AirSource.MANUAL,
        label="2026-03-03/053000_cum-1_sang",
    )  # fmt: skip


def play(
    prog: Program,
    *outputs: Output,
    report: Callable[[PlayResult], None] = lambda r: None,
    interrupt: Interruption | None = None,
    anchor: datetime | None = None,
    problems: list[str] | None = None,
) -> Outcome:
    """Open the outputs, wait for the start, air the programme, close: as the station does."""
    problems = [] if problems is None else problems

    def note(kind: AlertKind, message: str, detail: str) -> None:
        problems.append(message)

    lines = [OutputLine(o, prog.label, note, clock=SystemClock(), retries=0) for o in outputs]
    for line in lines:
        line.open()
    clock = SystemClock()
    segments = assemble(prog, sample_rate=44100)
    start = max(anchor or prog.start, clock.now())
    preroll(lines, clock=clock, until=start)
    try:
        return air(
            prog, segments, lines=lines, clock=clock, anchor=start,
            report=report, on_problem=note, interrupt=interrupt,
        )  # fmt: skip
    finally:
        for line in lines:
            line.close()


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as wav:
        return wav.getnframes() / wav.getframerate()


def test_file_sink_airs_items_back_to_back_in_real_time(tmp_path: Path, tone: Tone) -> None:
    prog = program([item(tone(1.0, 440), "Một", 1.0), item(tone(0.5, 660), "Hai", 0.5)])
    reported: list[PlayResult] = []
    sink = FileSink(tmp_path / "aired", SystemClock())

    results = play(prog, sink, report=reported.append).results

    assert reported == results
    assert [r.status for r in results] == [AirStatus.PLAYED, AirStatus.PLAYED]
    first, second = results
    assert first.actual_start is not None and first.actual_end is not None
    assert second.actual_start is not None and second.actual_end is not None
    assert first.actual_start >= prog.start, "never airs before the scheduled instant"
    # Real-time pacing: an item cannot finish sooner than it lasts.
    assert (first.actual_end - first.actual_start).total_seconds() >= 0.99
    assert (second.actual_end - second.actual_start).total_seconds() >= 0.49
    assert second.actual_start >= first.actual_end
    aired = tmp_path / "aired" / f"{prog.label}.wav"
    assert abs(wav_seconds(aired) - 1.5) < 0.01
    sheet = [
        json.loads(line) for line in aired.with_suffix(".timings.jsonl").read_text().splitlines()
    ]
    assert [row["title"] for row in sheet] == ["Một", "Hai"]


def test_item_that_would_overrun_the_slot_is_missed_not_cut(tmp_path: Path, tone: Tone) -> None:
    prog = program(
        [item(tone(0.5, 440), "Vừa", 0.5), item(tone(3.0, 440), "Quá dài", 3.0)], length_s=1.0
    )
    results = play(prog, FileSink(tmp_path, SystemClock())).results
    assert [r.status for r in results] == [AirStatus.PLAYED, AirStatus.MISSED]
    assert "Hết thời lượng" in results[1].reason
    assert results[1].actual_start is None


def test_missing_file_is_logged_failed_and_the_slot_goes_on(tmp_path: Path, tone: Tone) -> None:
    prog = program([item(tmp_path / "gone.mp3", "Mất tệp", 1.0), item(tone(0.3, 440), "Còn", 0.3)])
    results = play(prog, FileSink(tmp_path, SystemClock())).results
    assert [r.status for r in results] == [AirStatus.FAILED, AirStatus.PLAYED]
    assert results[0].reason


def test_device_output_pipes_through_a_real_ffmpeg(tmp_path: Path, tone: Tone) -> None:
    target = tmp_path / "device.wav"
    prog = program([item(tone(0.6, 440), "Qua ffmpeg", 0.6)])
    output = DeviceOutput(f"wav:{target}", SystemClock())
    results = play(prog, output).results
    assert results[0].status == AirStatus.PLAYED
    # The sound card output is kept warm: silence from when it opened, then the tone.
    samples = numpy.frombuffer(decode_pcm(target), dtype="<i2").astype(float)
    tone_n, rate = int(0.6 * 44100), 44100
    lead, tail = samples[: -tone_n - rate // 20], samples[-tone_n + rate // 20 :]
    assert probe(target).duration_s > 0.6 + 0.2, "silence was fed before the start"
    assert numpy.abs(lead).max() < 2, "nothing but silence before the programme"
    assert numpy.sqrt(numpy.mean(tail**2)) > 1000, "the tone is there, at the end"


def test_device_output_that_cannot_start_fails_every_item(tmp_path: Path, tone: Tone) -> None:
    prog = program([item(tone(0.3, 440), "A", 0.3), item(tone(0.3, 440), "B", 0.3)])
    output = DeviceOutput("alsa:no-such-device-here", SystemClock())
    results = play(prog, output).results
    assert results[0].status == AirStatus.FAILED
    assert all(r.status == AirStatus.FAILED for r in results)
    assert "Đầu ra" in results[-1].reason


def test_sound_card_detection_reads_the_kernel_list(tmp_path: Path) -> None:
    cards = tmp_path / "cards"
    cards.write_text("--- no soundcards ---\n")
    assert not has_sound_card(cards)
    cards.write_text(" 0 [PCH            ]: HDA-Intel - HDA Intel PCH\n")
    assert has_sound_card(cards)
    assert not has_sound_card(tmp_path / "missing")


def test_a_stalled_output_is_dropped_without_holding_back_the_others(
    tmp_path: Path, tone: Tone
) -> None:
    # ffmpeg writing into a FIFO that nobody reads stops taking audio: a stalled sound card.
    fifo = tmp_path / "stalled.wav"
    os.mkfifo(fifo)
    prog = program([item(tone(2.0, 440), "Một", 2.0), item(tone(1.0, 660), "Hai", 1.0)])
    problems: list[str] = []
    sink, stuck = (
        FileSink(tmp_path / "aired", SystemClock()),
        DeviceOutput(f"wav:{fifo}", SystemClock()),
    )
    results = play(prog, sink, stuck, problems=problems).results

    by_output = {(r.output, r.item.title): r for r in results}
    stalled = f"device:wav:{fifo}"
    assert by_output[("file", "Một")].status == AirStatus.PLAYED
    assert by_output[("file", "Hai")].status == AirStatus.PLAYED
    assert by_output[(stalled, "Một")].status in (AirStatus.PARTIAL, AirStatus.FAILED)
    assert by_output[(stalled, "Hai")].status == AirStatus.FAILED
    assert any("stalled" in p for p in problems)
    # The file output got every sample, in time: no hole while the other output stalled.
    assert abs(wav_seconds(tmp_path / "aired" / f"{prog.label}.wav") - 3.0) < 0.01


def test_an_output_that_dies_mid_programme_is_logged_and_the_rest_goes_on(
    tmp_path: Path, tone: Tone
) -> None:
    prog = program([item(tone(1.5, 440), "Một", 1.5), item(tone(0.5, 660), "Hai", 0.5)])
    sink = FileSink(tmp_path / "aired", SystemClock())
    device = DeviceOutput(f"wav:{tmp_path / 'card.wav'}", SystemClock())

    def unplug() -> None:  # the sound card's ffmpeg dies as a USB card pulled out would make it
        _time.sleep(max(0.0, (prog.start - SystemClock().now()).total_seconds()) + 0.5)
        assert device._proc is not None
        device._proc.kill()

    threading.Thread(target=unplug).start()
    results = play(prog, sink, device).results
    dead = [r for r in results if r.output.startswith("device:")]
    assert [r.status for r in dead] == [AirStatus.PARTIAL, AirStatus.FAILED]
    assert all("ffmpeg" in r.reason for r in dead)
    assert [r.status for r in results if r.output == "file"] == [AirStatus.PLAYED] * 2


class SteppedClock(SystemClock):
    """The system clock, whose wall time jumps an hour ahead once (an NTP step)."""

    def __init__(self, after_s: float) -> None:
        self.step_at = _time.monotonic() + after_s

    def now(self) -> datetime:
        jumped = _time.monotonic() >= self.step_at
        return super().now() + (timedelta(hours=1) if jumped else timedelta(0))


def test_a_wall_clock_step_mid_programme_neither_bursts_nor_stalls_the_audio(
    tmp_path: Path, tone: Tone
) -> None:
    prog = program([item(tone(1.5, 440), "Một", 1.5), item(tone(1.0, 660), "Hai", 1.0)])
    clock = SteppedClock(after_s=1.5)  # prog starts ~1 s from now: the step hits item one
    sink = FileSink(tmp_path / "aired", clock)
    line = OutputLine(sink, prog.label, lambda *a: None, clock=clock, retries=0)
    line.open()
    segments = assemble(prog, sample_rate=44100)
    began = _time.monotonic()
    outcome = air(prog, segments, lines=[line], clock=clock, anchor=prog.start,
                  report=lambda r: None, on_problem=lambda *a: None)  # fmt: skip
    line.close()
    took = _time.monotonic() - began
    assert [r.status for r in outcome.results] == [AirStatus.PLAYED] * 2
    # Paced by a clock that does not jump: real time, no burst of an hour's "catching up".
    assert took >= 2.5
    assert abs(wav_seconds(tmp_path / "aired" / f"{prog.label}.wav") - 2.5) < 0.01
