"""What aired, kept small: real programmes through the file output, real ffmpeg, real files,
the station's database for the closed reports."""

from __future__ import annotations

import subprocess
import uuid
import wave
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.orm import Session

from audio.sound import files, pcm
from playlists.asrun import ledger
from playlists.core.clock import SystemClock
from playlists.core.db import session_scope
from playlists.reports.models import ReportClosure
from scheduler import archive
from scheduler.archive import AiredArchive, ArchiveError, closed_windows, compress, sweep
from scheduler.outputs.filesink import FileSink
from scheduler.station import Station
from tests.scheduler.helpers import airlog, approved_bulletin, slot_in, wait_for
from tests.scheduler.test_playout import item, play, program
from web.context import StationContext

Tone = Callable[[float, int], Path]
RATE = 44100


def write_wav(path: Path, samples: np.ndarray) -> Path:
    """Write float samples as the file output does: mono 16-bit 44.1 kHz, chunk by chunk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = pcm.to_int16(samples)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        for start in range(0, len(data), RATE // 10):
            wav.writeframes(data[start : start + RATE // 10].tobytes())
    return path


def speech(tmp_path: Path) -> np.ndarray:
    """A few seconds of Vietnamese speech from espeak-ng (the offline engine), at 44.1 kHz."""
    raw = tmp_path / "espeak.wav"
    subprocess.run(
        ["espeak-ng", "-v", "vi", "-w", str(raw),
         "Kính thưa bà con, phường thông báo lịch tiếp công dân trong tháng mười hai."],
        check=True,
    )  # fmt: skip
    return files.load(raw, RATE)


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


def decoded(opus: Path) -> np.ndarray:
    assert files.sniff(opus).codec == "opus", "Ogg Opus, as its name says"
    return files.load(opus, RATE)


def close_report(session: Session, first: date, last: date) -> None:
    session.add(
        ReportClosure(
            period=f"{first:%Y-%m}", first_day=first, last_day=last, rule="calendar",
            last_seq=0, last_hash="0" * 64, generator="test", made_at=datetime.now(UTC),
        )
    )  # fmt: skip


def day_folder(aired: Path, day: date) -> Path:
    """A day as the station leaves it: two compressed programmes and their timing sheets."""
    folder = aired / day.isoformat()
    folder.mkdir(parents=True)
    for name in ("053000_cum-1_sang", "170000_cum-1_chieu"):
        (folder / f"{name}.opus").write_bytes(b"OggS" + bytes(1000))
        (folder / f"{name}.timings.jsonl").write_text('{"title": "Tin"}\n')
    return folder


class LaterClock(SystemClock):
    """The wall clock, some days on."""

    def __init__(self, days: int) -> None:
        self.days = days

    def now(self) -> datetime:
        return super().now() + timedelta(days=self.days)


# --------------------------------------------------------------------------- compressing


def test_a_programme_the_file_output_finishes_is_replaced_by_opus_of_the_same_length(
    ctx: StationContext, tmp_path: Path, tone: Tone
) -> None:
    aired = tmp_path / "aired"
    archived = AiredArchive(sessions=ctx.sessions, clock=ctx.clock)
    archived.start(aired)
    handed: dict[Path, tuple[int, float]] = {}

    def closed(path: Path) -> None:
        # Handed on only once complete: its header already says how long it is.
        handed[path] = (path.stat().st_size, archive.wav_seconds(path)[0])
        archived.finished(path)

    items = [tone(1.0, 440), tone(0.5, 660)]
    prog = program([item(items[0], "Một", 1.0), item(items[1], "Hai", 0.5)], lead_s=0.2)
    try:
        play(prog, FileSink(aired, SystemClock(), on_closed=closed))
        wav = aired / f"{prog.label}.wav"
        opus = wav.with_suffix(".opus")
        wait_for(lambda: opus.exists() and not wav.exists(), timeout=30)
    finally:
        archived.stop()

    assert list(handed) == [wav], "handed on once, when the programme ended"
    wav_bytes, wav_s = handed[wav]
    assert abs(wav_s - 1.5) < 0.01
    assert opus.stat().st_size < wav_bytes / 5
    # What aired, decoded again: as long, and as loud, as the two items back to back.
    aired_audio = np.concatenate([files.load(path, RATE) for path in items])
    back = decoded(opus)
    assert abs(len(back) - len(aired_audio)) / RATE < 0.1
    assert rms(back) == pytest.approx(rms(aired_audio), rel=0.1)
    assert wav.with_suffix(".timings.jsonl").exists(), "the timing sheet stays beside it"
    assert not list(aired.rglob("*.tmp"))


def test_wavs_left_from_before_the_start_are_compressed_and_nothing_opened_later(
    ctx: StationContext, tmp_path: Path
) -> None:
    aired = tmp_path / "aired"
    voice = speech(tmp_path)
    left = write_wav(aired / "2026-03-02" / "170000_cum-1_chieu.wav", voice)
    left_bytes = left.stat().st_size
    empty = write_wav(aired / "2026-03-02" / "180000_cum-1_toi.wav", np.zeros(0, np.float32))
    half_done = aired / "2026-03-02" / f".170000_cum-1_chieu.opus.{uuid.uuid4().hex}.tmp"
    half_done.write_bytes(b"OggS half an encoding")

    archived = AiredArchive(sessions=ctx.sessions, clock=ctx.clock)
    archived.start(aired)
    # Written after the start and never handed on: as if a programme were airing into it.
    airing = write_wav(aired / "2026-03-03" / "053000_cum-1_sang.wav", voice)
    try:
        wait_for(lambda: not left.exists() and not empty.exists(), timeout=30)
    finally:
        archived.stop()

    opus = left.with_suffix(".opus")
    back = decoded(opus)
    assert abs(len(back) - len(voice)) / RATE < 0.1
    assert rms(back) == pytest.approx(rms(voice), rel=0.1)
    assert opus.stat().st_size < left_bytes / 10, "speech at 32 kbit/s against 705.6 kbit/s"
    assert not half_done.exists(), "a crash's half encoding is cleared"
    assert not empty.with_suffix(".opus").exists(), "a WAV with no audio is only removed"
    assert airing.exists() and not airing.with_suffix(".opus").exists()


def test_a_wav_that_cannot_be_compressed_is_kept_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "aired" / "2026-03-03"
    broken = folder / "053000_cum-1_sang.wav"
    folder.mkdir(parents=True)
    broken.write_bytes(b"RIFF" + bytes(4) + b"WAVEjunk" + bytes(200))
    with pytest.raises(ArchiveError, match="unreadable WAV"):
        compress(broken)
    assert broken.exists()

    good = write_wav(folder / "170000_cum-1_chieu.wav", np.full(RATE, 0.1, np.float32))
    monkeypatch.setattr(files, "FFMPEG", str(tmp_path / "no-ffmpeg-here"))
    with pytest.raises(ArchiveError, match="not found"):
        compress(good)
    assert good.exists()
    assert sorted(p.name for p in folder.iterdir()) == sorted([good.name, broken.name]), (
        "no temporary file left"
    )


def test_bytes_per_aired_hour_before_and_after(tmp_path: Path) -> None:
    """Speech from espeak-ng: about 317.5 MB an hour as WAV, under 20 MB as Opus."""
    voice = np.tile(speech(tmp_path), 4)
    done = compress(write_wav(tmp_path / "aired" / "2026-03-03" / "053000_x_y.wav", voice))
    assert done is not None
    per_hour = 3600 / done.seconds
    assert done.wav_bytes * per_hour == pytest.approx(RATE * 2 * 3600, rel=0.001)
    assert done.opus_bytes * per_hour < 20e6


# --------------------------------------------------------------------------- deleting


def test_an_old_day_goes_only_once_a_closed_report_covers_it(
    ctx: StationContext, tmp_path: Path
) -> None:
    aired = tmp_path / "aired"
    today = date(2026, 9, 1)
    old_closed = day_folder(aired, date(2026, 3, 3))  # 182 days, its report closed
    old_open = day_folder(aired, date(2026, 4, 20))  # 134 days, no report closed
    young_closed = day_folder(aired, date(2026, 6, 10))  # 83 days, its report closed
    (aired / "notes").mkdir()  # not a day: never touched
    with session_scope(ctx.sessions) as session:
        close_report(session, date(2026, 3, 1), date(2026, 3, 31))
        close_report(session, date(2026, 6, 1), date(2026, 6, 30))
    with session_scope(ctx.sessions) as session:
        closed = closed_windows(session)

    swept = sweep(aired, today=today, keep_days=90, closed=closed)

    assert not old_closed.exists(), "audio and timing sheets, and the folder"
    assert [(d.day, d.files, d.bytes) for d in swept.deleted] == [
        (date(2026, 3, 3), 4, 2 * 1004 + 2 * len('{"title": "Tin"}\n'))
    ]
    assert len(list(old_open.iterdir())) == 4 and swept.kept_open == [date(2026, 4, 20)]
    assert len(list(young_closed.iterdir())) == 4
    assert (aired / "notes").is_dir()
    # Closing the report of April lets that day go too, at the next sweep.
    with session_scope(ctx.sessions) as session:
        close_report(session, date(2026, 4, 1), date(2026, 4, 30))
        closed = closed_windows(session)
    sweep(aired, today=today, keep_days=90, closed=closed)
    assert not old_open.exists() and young_closed.exists()


def test_a_day_folder_holding_other_files_keeps_them(tmp_path: Path) -> None:
    folder = day_folder(tmp_path / "aired", date(2026, 1, 5))
    (folder / "ghi-chu.txt").write_text("của kỹ thuật viên")
    swept = sweep(
        tmp_path / "aired",
        today=date(2026, 9, 1),
        keep_days=90,
        closed=[(date(2026, 1, 1), date(2026, 1, 31))],
    )
    assert [p.name for p in folder.iterdir()] == ["ghi-chu.txt"]
    assert swept.deleted[0].others == ("ghi-chu.txt",)


def test_a_running_station_compresses_what_it_aired_and_sweeps_by_the_closed_reports(
    ctx: StationContext,
) -> None:
    settings = ctx.settings.model_copy(update={"prepare_lead_s": 2.0})
    zone_id, _slot_id, start = slot_in(ctx, 5)
    bulletin = approved_bulletin(ctx, zone_id, "Kính thưa bà con, phường thông báo lịch tiêm.")
    day = start.astimezone(settings.zone).date()
    folder = settings.aired_dir / day.isoformat()
    station = Station(settings=settings, session_factory=ctx.sessions, clock=ctx.clock)
    station.build_plan(day, reconcile=False)
    station.start()
    try:
        assert station.scheduler.get_job("aired-sweep") is not None
        wait_for(lambda: len(airlog(ctx)) == 1 and list(folder.glob("*.opus")))
    finally:
        station.shutdown()

    (row,) = airlog(ctx)
    assert row.bulletin_id == bulletin
    assert not list(folder.glob("*.wav")), "the WAV went once its Opus file was checked"
    (opus,) = folder.glob("*.opus")
    assert abs(len(decoded(opus)) / RATE - row.aired_s) < 0.1
    assert list(folder.glob("*.timings.jsonl"))

    # 91 days on, with no closed report: a sweep keeps the day.
    later = Station(settings=settings, session_factory=ctx.sessions, clock=LaterClock(91))
    swept = later.archive.sweep_now(settings.aired_dir, tz=settings.zone, keep_days=90)
    assert swept is not None and swept.kept_open == [day] and not swept.deleted
    assert opus.exists()

    # Its report closed: the station's next sweep deletes the day; the as-run log stays whole.
    with session_scope(ctx.sessions) as session:
        close_report(session, day - timedelta(days=5), day + timedelta(days=5))
    later.archive.start(settings.aired_dir)
    later.sweep_aired()
    try:
        wait_for(lambda: not folder.exists(), timeout=30)
    finally:
        later.archive.stop()
    assert [r.id for r in airlog(ctx)] == [row.id]
    with session_scope(ctx.sessions) as session:
        assert ledger.verify(session).ok
