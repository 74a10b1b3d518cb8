"""What aired, kept small and kept as long as it must be: the file output's WAVs compressed to
Ogg Opus after each programme, and whole days deleted once retention allows.

The file output writes each programme to `aired/YYYY-MM-DD/<HHMMSS_zone_slot>.wav` (mono 16-bit
44.1 kHz) with its timing sheet beside it. Here, off the air path, in one thread of its own:

- **Compressing.** The file output hands every WAV it finishes to `AiredArchive.finished`,
  which only queues the path. The thread encodes it to `<label>.opus` next to it, under a
  temporary name, decodes the result again and compares its length with the WAV's, makes it
  durable, renames it into place, and only then removes the WAV. At start-up, before anything
  can air, the WAVs already in `aired/` (a crash, a `loa play`, a failed encoding, the time
  before this existed) are listed and compressed the same way: none of them can be open.
- **Deleting.** Every hour a day's folder is deleted when playlists/reports/retention.py says
  so: older than LOA_AIRED_KEEP_DAYS and inside a closed report's window. Its timing sheets
  go with it. The as-run log is never touched.

Why Opus at 32 kbit/s: what airs is speech (espeak-ng, gTTS, piper, recordings) with a chime
before and after, heard through horn loudspeakers that carry little above 7 kHz. Opus is
built for speech and stays clear down to 16-24 kbit/s; 32 kbit/s keeps the chimes and the
recordings made on phones clean as well, for staff listening back to what aired. Mono, as aired.

Measured with `compress` below on the project's own offline speech: five bulletins rendered
by the station's offline renderer (espeak-ng, mastered to -16 LUFS), 109 s, written back to
back as the file output writes them and repeated to 10 minutes (ffmpeg 5.1, libopus):

    WAV  (44.1 kHz 16-bit mono):  317.5 MB per aired hour (5.29 MB a minute; MB = 10^6 bytes)
    Opus (32 kbit/s VBR, Ogg):     14.0 MB per aired hour (14.1 on the 109 s alone),
                                   about 22 times smaller

Decoded again, the Opus file was one sample (at 44.1 kHz) longer than the WAV and its RMS
within 2 % of the WAV's. At 24 kbit/s it would be 10.9 MB an hour, at 48 kbit/s 21.0 MB.

ffmpeg is run directly, streaming, rather than through pydub (audio/sound/files.py): pydub
holds a whole programme in memory, several copies of it (1.8 GB of memory for 47 minutes,
measured), where a streaming ffmpeg needs 57 MB whatever the length.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import re
import subprocess
import tempfile
import threading
import uuid
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from audio.sound import files
from playlists.core.clock import Clock
from playlists.core.db import session_scope
from playlists.reports.models import ReportClosure
from playlists.reports.retention import Retention, retention

log = logging.getLogger(__name__)

OPUS_KBPS = 32  # see the module's docstring
OPUS_RATE = 48000  # Opus always decodes at 48 kHz: counting there needs no resampler
# An encoding whose decoded length differs more than this from its WAV is refused.
TOLERANCE_S = 0.1
# How often expired days are looked for; the station runs it in its scheduler.
SWEEP_EVERY_MIN = 60
# An encoding that failed is tried again at each sweep, this many times, then at the next start.
TRIES = 3
# ffmpeg runs below the player's priority, on one core: the air path comes first.
NICE = 10

WAV = ".wav"
OPUS = ".opus"
SHEET = ".timings.jsonl"
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# What an encoding is written as until it is checked; a crash may leave one behind.
_TEMP = re.compile(r"\..+\.opus\.[0-9a-f]{32}\.tmp")
# The header Python's wave module writes (so the file output's): the audio follows it.
WAV_HEADER_BYTES = 44
_QUIET = ["-nostdin", "-hide_banner", "-loglevel", "error"]
_READ_BYTES = 1 << 20


class ArchiveError(Exception):
    """A WAV could not be compressed; it stays as it was."""


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


# --------------------------------------------------------------------------- running ffmpeg


class Runner:
    """Runs ffmpeg at a low priority, and can kill the process running and refuse more."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: subprocess.Popen[bytes] | None = None
        self._stopped = False

    def stop(self) -> None:
        """Kill the process running, if any, and refuse to run more."""
        with self._lock:
            self._stopped = True
            if self._current is not None:
                self._current.kill()

    def run(
        self, args: Sequence[str], *, timeout_s: float, out: Callable[[bytes], None] | None = None
    ) -> None:
        """Run ffmpeg, handing what it writes to stdout to `out`; raise ArchiveError on failure."""
        timed_out = threading.Event()
        # stderr to a file, not a pipe: a stream of decoding errors cannot fill it and stall.
        with tempfile.TemporaryFile() as errors:
            with self._lock:
                if self._stopped:
                    raise ArchiveError("stopped")
                try:
                    process = subprocess.Popen(
                        args,
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.PIPE if out is not None else subprocess.DEVNULL,
                        stderr=errors,
                    )
                except FileNotFoundError as exc:
                    raise ArchiveError(f"{args[0]} not found: {exc}") from exc
                self._current = process
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, process.pid, NICE)

            def kill() -> None:
                timed_out.set()
                process.kill()

            timer = threading.Timer(timeout_s, kill)
            timer.daemon = True
            timer.start()
            try:
                if out is not None and process.stdout is not None:
                    while chunk := process.stdout.read(_READ_BYTES):
                        out(chunk)
                code = process.wait()
            finally:
                timer.cancel()
                if process.poll() is None:
                    process.kill()
                    process.wait()
                if process.stdout is not None:
                    process.stdout.close()
                with self._lock:
                    self._current = None
            if code != 0:
                if self._stopped:
                    raise ArchiveError("stopped")
                if timed_out.is_set():
                    raise ArchiveError(f"ffmpeg took over {timeout_s:.0f} s")
                errors.seek(0)
                tail = errors.read()[-2000:].decode(errors="replace").strip()
                raise ArchiveError(f"ffmpeg exited with {code}: {tail}")


# --------------------------------------------------------------------------- compressing


@dataclass(frozen=True)
class Compressed:
    """A programme's WAV replaced by its Opus file."""

    wav: Path
    opus: Path
    seconds: float
    wav_bytes: int
    opus_bytes: int


def wav_seconds(wav: Path) -> tuple[float, float]:
    """Return a WAV's length as its header says, and as the bytes on the disk hold.

    The two differ only for a WAV whose writer died between writing audio and its header.
    Raises ArchiveError for a file that is no WAV.
    """
    try:
        size = wav.stat().st_size
        with wave.open(str(wav), "rb") as reader:
            frames, rate = reader.getnframes(), reader.getframerate()
            frame_bytes = reader.getnchannels() * reader.getsampwidth()
    except (wave.Error, EOFError, OSError) as exc:
        raise ArchiveError(f"unreadable WAV: {exc}") from exc
    if rate <= 0 or frame_bytes <= 0:
        raise ArchiveError(f"unreadable WAV: {rate} Hz, {frame_bytes}-byte frames")
    on_disk = max(0, size - WAV_HEADER_BYTES) // frame_bytes
    return frames / rate, on_disk / rate


def decoded_seconds(path: Path, *, runner: Runner, timeout_s: float) -> float:
    """Return how long an Ogg Opus file lasts, by decoding all of it (not its header's say)."""
    counted = 0

    def count(chunk: bytes) -> None:
        nonlocal counted
        counted += len(chunk)

    runner.run(
        [files.FFMPEG, *_QUIET, "-f", "ogg", "-i", str(path.resolve()),
         "-f", "s16le", "-ac", "1", "-ar", str(OPUS_RATE), "-"],
        timeout_s=timeout_s, out=count,
    )  # fmt: skip
    return counted / (2 * OPUS_RATE)


def _durable(path: Path) -> None:
    """Make a file's bytes, or a folder's entries, survive a power cut from here on."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def label_of(path: Path) -> str:
    """Return how a programme's file is named in the logs: its day and name."""
    return f"{path.parent.name}/{path.name}"


def compress(
    wav: Path, *, runner: Runner | None = None, kbps: int = OPUS_KBPS
) -> Compressed | None:
    """Replace a finished programme's WAV by Ogg Opus beside it (`<label>.opus`), checked.

    Returns None when there is nothing to do: the WAV is gone (compressed already), or holds
    no audio (the output opened, nothing aired: it is removed). Raises ArchiveError, leaving
    the WAV as it was, when the encoding fails or decodes to another length.
    """
    runner = runner or Runner()
    try:
        wav_bytes = wav.stat().st_size
    except FileNotFoundError:
        return None
    header_s, on_disk_s = wav_seconds(wav) if wav_bytes > WAV_HEADER_BYTES else (0.0, 0.0)
    if header_s == 0 and on_disk_s == 0:
        wav.unlink(missing_ok=True)
        log.info("aired audio: %s held no audio, removed", label_of(wav))
        return None
    seconds, read_all = header_s, []
    if on_disk_s - header_s > TOLERANCE_S:
        # Its writer died before the header caught up: ffmpeg reads to the end instead.
        seconds, read_all = on_disk_s, ["-ignore_length", "1"]
    opus = wav.with_suffix(OPUS)
    temp = wav.with_name(f".{opus.name}.{uuid.uuid4().hex}.tmp")
    # Far slower than real time would mean ffmpeg is stuck, not busy.
    timeout_s = max(300.0, 2 * seconds)
    try:
        runner.run(
            [files.FFMPEG, *_QUIET, "-f", "wav", *read_all, "-i", str(wav.resolve()),
             "-map_metadata", "-1", "-ac", "1", "-c:a", "libopus", "-b:a", f"{kbps}k",
             "-threads", "1", "-f", "opus", str(temp.resolve())],
            timeout_s=timeout_s,
        )  # fmt: skip
        _durable(temp)
        decoded = decoded_seconds(temp, runner=runner, timeout_s=timeout_s)
        if abs(decoded - seconds) > TOLERANCE_S:
            raise ArchiveError(f"the Opus file decodes to {decoded:.3f} s, the WAV {seconds:.3f} s")
        os.replace(temp, opus)
        # The WAV goes only once the Opus file's name is on the disk too: a power cut in
        # between leaves both, never neither.
        _durable(opus.parent)
        opus_bytes = opus.stat().st_size
    except OSError as exc:
        raise ArchiveError(f"cannot write {opus.name}: {exc}") from exc
    finally:
        temp.unlink(missing_ok=True)
    wav.unlink()
    return Compressed(wav, opus, seconds, wav_bytes, opus_bytes)


# --------------------------------------------------------------------------- days


def aired_days(folder: Path) -> list[tuple[date, Path]]:
    """Return the day folders under `aired/` (named YYYY-MM-DD), oldest first."""
    if not folder.is_dir():
        return []
    days = []
    for entry in folder.iterdir():
        if _DAY.fullmatch(entry.name) and entry.is_dir() and not entry.is_symlink():
            try:
                days.append((date.fromisoformat(entry.name), entry))
            except ValueError:  # 2026-13-40: not a folder the station made
                continue
    return sorted(days)


def leftovers(folder: Path) -> tuple[list[Path], list[Path]]:
    """Return the WAVs under `aired/`'s day folders, and encodings a crash left half done."""
    wavs: list[Path] = []
    temps: list[Path] = []
    for _day, path in aired_days(folder):
        for entry in path.iterdir():
            if _TEMP.fullmatch(entry.name):
                temps.append(entry)
            elif entry.suffix == WAV and not entry.name.startswith("."):
                wavs.append(entry)
    return sorted(wavs), sorted(temps)


@dataclass(frozen=True)
class DeletedDay:
    """A day whose aired audio went."""

    day: date
    files: int
    bytes: int
    others: tuple[str, ...] = ()  # files the station did not write, left in the folder


@dataclass(frozen=True)
class Swept:
    """What a sweep deleted, and the old days it kept because no closed report covers them."""

    deleted: list[DeletedDay] = field(default_factory=list)
    kept_open: list[date] = field(default_factory=list)


def _ours(name: str) -> bool:
    return name.endswith((OPUS, WAV, SHEET)) or bool(_TEMP.fullmatch(name))


def delete_day(day: date, path: Path) -> DeletedDay:
    """Delete a day folder's aired audio and timing sheets, and the folder once it is empty."""
    count = size = 0
    others = []
    for entry in sorted(path.iterdir()):
        if entry.is_file() and not entry.is_symlink() and _ours(entry.name):
            size += entry.stat().st_size
            entry.unlink()
            count += 1
        else:
            others.append(entry.name)
    if not others:
        path.rmdir()
    return DeletedDay(day, count, size, tuple(others))


def closed_windows(session: Session) -> list[tuple[date, date]]:
    """Return the window (first day, last day) of every closed report."""
    rows = session.execute(select(ReportClosure.first_day, ReportClosure.last_day))
    return [(first, last) for first, last in rows]


def sweep(
    folder: Path, *, today: date, keep_days: int, closed: Sequence[tuple[date, date]]
) -> Swept:
    """Delete the day folders retention allows (playlists/reports/retention.py); log it."""
    swept = Swept()
    for day, path in aired_days(folder):
        decided = retention(day, today=today, keep_days=keep_days, closed=closed)
        if decided is Retention.REPORT_OPEN:
            swept.kept_open.append(day)
        elif decided is Retention.DELETE:
            gone = delete_day(day, path)
            swept.deleted.append(gone)
            if not gone.files:  # only someone else's files are left: said once already
                continue
            log.info(
                "aired audio of %s deleted (older than %d days, its report closed): "
                "%d file(s), %s freed",
                day, keep_days, gone.files, _mb(gone.bytes),
            )  # fmt: skip
            if gone.others:
                log.warning("aired/%s kept: holds files the station did not write: %s",
                            day, ", ".join(gone.others))  # fmt: skip
    if swept.kept_open:
        log.info(
            "aired audio of %d day(s) older than %d days kept: no closed report covers them "
            "(%s to %s)",
            len(swept.kept_open), keep_days, swept.kept_open[0], swept.kept_open[-1],
        )  # fmt: skip
    return swept


# --------------------------------------------------------------------------- the thread

Task = Callable[[], None]


class AiredArchive:
    """One thread that compresses finished programmes and deletes expired days, in turn.

    The air path only ever calls `finished`, which queues a path and returns. Stopping lets
    the thread finish what is queued for a few seconds (a clean stop leaves no WAV behind),
    then kills the encoding under way (its temporary file goes, its WAV stays) and drops the
    rest: the next start finds those WAVs again.
    """

    def __init__(self, *, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock
        self._lock = threading.Lock()
        self._queue: queue.Queue[Task | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._accepting = False
        self._runner = Runner()
        self._stopping = threading.Event()
        self._failed: dict[Path, int] = {}

    @property
    def running(self) -> bool:
        """Tell whether the thread takes work."""
        return self._accepting

    def start(self, folder: Path) -> None:
        """Start the thread, first compressing the WAVs already under `folder`.

        Call it before anything can air: what is listed here must not be open.
        """
        wavs, temps = leftovers(folder)
        with self._lock:
            if self._thread is not None:
                return
            self._queue = queue.Queue()
            self._runner = Runner()
            self._stopping = threading.Event()
            self._queue.put(lambda: self._leftovers(wavs, temps))
            self._thread = threading.Thread(target=self._run, name="aired archive", daemon=True)
            self._thread.start()
            self._accepting = True

    def finished(self, wav: Path) -> None:
        """Take a WAV the file output has finished (on the air path: never blocks)."""
        with self._lock:
            if not self._accepting:
                log.debug("%s left as WAV: the archive is not running", wav)
                return
            self._queue.put(lambda: self._compress(wav))

    def sweep_soon(self, folder: Path, *, tz: ZoneInfo, keep_days: int) -> None:
        """Queue a sweep of `folder`: expired days deleted, failed encodings tried again."""

        def task() -> None:
            self.sweep_now(folder, tz=tz, keep_days=keep_days)

        with self._lock:
            if self._accepting:
                self._queue.put(task)

    def stop(self, *, drain_s: float = 10.0) -> None:
        """Stop taking work; finish what is queued within `drain_s`, abandon the rest."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._accepting = False
            self._queue.put(None)  # after everything queued
        if thread is None:
            return
        thread.join(drain_s)
        self._stopping.set()
        self._runner.stop()
        thread.join(5.0)
        if thread.is_alive():
            log.warning("the aired archive's thread did not stop")

    # --- in the thread ---------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            task = self._queue.get()
            if task is None or self._stopping.is_set():
                return
            try:
                task()
            except Exception:  # the thread must live on: the next programme still needs it
                log.exception("aired archive task failed")

    def _leftovers(self, wavs: list[Path], temps: list[Path]) -> None:
        for temp in temps:
            temp.unlink(missing_ok=True)
        if wavs:
            log.info("aired audio: %d WAV(s) left from before this start to compress", len(wavs))
        for wav in wavs:
            if self._stopping.is_set():
                return
            self._compress(wav)

    def _compress(self, wav: Path) -> None:
        try:
            done = compress(wav, runner=self._runner)
        except ArchiveError as exc:
            if self._stopping.is_set():
                log.info("aired audio: %s left as WAV for the next start", label_of(wav))
                return
            tries = self._failed[wav] = self._failed.get(wav, 0) + 1
            again = "tried again at the next sweep" if tries < TRIES else "left for the next start"
            log.error("aired audio: cannot compress %s, kept as WAV (%s): %s",
                      label_of(wav), again, exc)  # fmt: skip
            return
        self._failed.pop(wav, None)
        if done is not None:
            log.info(
                "aired audio: %s compressed to Opus (%.1f s): %d bytes to %d, %s saved",
                label_of(wav), done.seconds, done.wav_bytes, done.opus_bytes,
                _mb(done.wav_bytes - done.opus_bytes),
            )  # fmt: skip

    def sweep_now(self, folder: Path, *, tz: ZoneInfo, keep_days: int) -> Swept | None:
        """Try failed encodings again, then delete the days retention no longer keeps.

        Runs in the archive's thread (`sweep_soon`); None when the closed reports could not
        be read, and so nothing was deleted.
        """
        for wav, tries in list(self._failed.items()):
            if tries >= TRIES:
                continue
            if not wav.exists():
                self._failed.pop(wav, None)
                continue
            self._compress(wav)
        if not aired_days(folder):
            return Swept()
        today = self.clock.now().astimezone(tz).date()
        try:
            with session_scope(self.sessions) as session:
                closed = closed_windows(session)
        except SQLAlchemyError:
            # Nothing is deleted without knowing which reports are closed.
            log.exception("aired audio: cannot read the closed reports; nothing deleted")
            return None
        return sweep(folder, today=today, keep_days=keep_days, closed=closed)
