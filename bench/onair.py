"""On-air timing benchmark: slots back to back under CPU load, against a bare ffmpeg script.

The station airs N short slots back to back (default 100 of 2 s) on the file output and on
Icecast at once, as a zone airs on both, while two other processes keep both CPU cores busy.
It prints, for each variant, the start error (median, p99 and max in ms, against the scheduled
instant, measured at the output) and the largest gap between the two items of a slot; the last
line is the station's p99 start error (the worse of its two outputs).

The station is the real one: a temporary data folder with a migrated database (through
`web.context.StationContext`), one zone, N slots of S seconds starting back to back, and
bulletins written in Vietnamese, rendered by espeak-ng and approved through the newsroom
(`playlists.bulletins.workflow`), short enough (with a speed picked per bulletin) that exactly
two fit a slot; the day plan is built by the station and checked before air (two items in
every slot, the first on the slot's instant), then `Station.start()`, wait for the as-run log,
`Station.shutdown()`. Icecast is a private Debian icecast2 on a free loopback port
(tests/icecast_server.py). LOA_* variables are ignored.

CPU load: two processes spinning `while True: pass`, from before the station starts until the
bare reference ends; the CPU they used is printed with os.cpu_count().

Measured at the output:

- station, file and Icecast: the as-run log (`air_log`), one row per item and output. Its
  actual start is read from the clock as the item's first chunk is handed to the output, its
  actual end when the item's last sample is due. Start error: the first item's actual start
  minus its scheduled start (the slot's instant, checked in the plan). Gap: the second item's
  actual start minus the first one's actual end. The player reads the clock once per chunk
  and hands the chunk to each output in turn, so the two outputs' rows carry the same
  instants; the listener below is the independent check on Icecast.
- station, Icecast, as heard: a listener on the zone's mount, in its own process
  (bench/_icecast.py), stamping the bytes as they arrive. Start error: arrival of the MP3 frame
  carrying the slot's first sample minus the instant. It adds the MP3 encoder, the server and
  the socket to the as-run figure, and is mostly the server's: Icecast 2.4 relays an MP3
  source in blocks of 1400 bytes (175 ms at the station's 64 kb/s), so a listener gets a frame
  up to that much after ffmpeg sent it. Items follow each other without a pause, so a gap
  cannot be seen in the sound.
- bare ffmpeg (the floor): what a naive script gets, with the same slots, items and spacing.
  Each slot's script is started by a timer half a second ahead (as cron starts a script), sleeps
  until the instant (one `time.sleep`) and runs ffmpeg for the first item, then for the second
  once the first has exited. (One loop for every slot falls behind under the load: two ffmpeg
  starts and the audio take longer than a slot leaves, and the figure would then measure the
  backlog, not the start.)
  - file: `ffmpeg -re -i ITEM.wav -f s16le pipe:1`, its output read into the slot's WAV file.
    Start: its first bytes read; end: its output closed.
  - Icecast: `ffmpeg -re -i ITEM.wav -c:a libmp3lame ... icecast://…/bare-0.mp3` (bare-1.mp3
    for odd slots, so a slot still streaming does not lock the next one out). Start: ffmpeg
    reports its output open ("Output #0": Icecast accepted the source and the first frames
    follow; the station's Icecast output waits for the same line); end: ffmpeg exited.
  The two run side by side on the same instants, as the station airs both outputs at once.

p99 is the nearest-rank 99th percentile (for 100 slots, the second largest). The issue's
target: p99 start error at most 100 ms, largest gap at most 20 ms. Not run in CI; needs
ffmpeg, espeak-ng and Debian's icecast2 (`bash scripts/install.sh --dev`).

    .venv/bin/python bench/onair.py [--slots N] [--slot-seconds S] [--no-load] [--keep]
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from _icecast import (
    Heard,
    IcecastMissing,
    IcecastServer,
    ListenerProcess,
    SlotStart,
    find_icecast,
    heard_starts,
    lead_in,
)
from _people import approved
from sqlalchemy import select

from audio.sound.files import decode_pcm
from playlists.asrun.models import AirLog, AirSource, AirStatus
from playlists.bulletins import workflow
from playlists.bulletins.schemas import BulletinCreate
from playlists.core.db import session_scope
from playlists.core.text import slug
from playlists.planning.models import PlanItem
from playlists.slots.models import Slot, Zone
from web.context import StationContext
from web.settings import Settings

TIMEZONE = "Asia/Ho_Chi_Minh"
ZONE_NAME = "Cụm đo giờ"
TOPIC = 8
HOGS = 2
# From building the slots to the first one: bulletins, plan, station start-up, Icecast mount.
SETUP_S = 20.0
# Items are this long, as a share of the slot: two fit with room to spare, three do not.
ITEM_SHARE = (1.05 / 3, 0.425)
# The bare reference's timer starts each slot's script this long before the instant.
TIMER_LEAD_S = 0.5
BARE_LOCK = threading.Lock()  # the bare reference's threads record into shared figures
TARGET_P99_MS = 100.0
TARGET_GAP_MS = 20.0
# Short announcements of many lengths; each is read at the speed that fits the slot.
PHRASES = [
    "Loa phường.", "Tin vắn.", "Bản tin.", "Thông báo.", "Kính chào.", "Khu phố.",
    "Tiêm phòng.", "Họp tổ.", "Xin chào.", "Tin mới.", "Văn nghệ.", "Thời tiết.",
    "Giao thông.", "Vệ sinh.", "An toàn.", "Phòng cháy.", "Hộ khẩu.", "Việc làm.",
    "Phường thông báo.", "Lịch tiêm phòng.", "Họp tổ dân phố.", "Thu gom rác thải.",
    "Nộp hồ sơ.", "Bản tin buổi sáng.", "Thời tiết hôm nay.", "Cắt điện ngày mai.",
    "Lịch tiếp công dân.", "Phòng chống dịch bệnh.", "Kính thưa bà con khu phố.",
    "Phường thông báo lịch họp tổ.", "Mời bà con đi tiêm phòng.", "Hạn nộp thuế cuối tháng.",
    "Ngày mai cắt điện buổi sáng.", "Bà con chú ý giữ vệ sinh chung.",
    "Đăng ký tạm trú tại công an phường.", "Tham gia hiến máu nhân đạo tại nhà văn hoá.",
]  # fmt: skip


@dataclass(frozen=True)
class PlannedSlot:
    """A slot as planned: its instant and its two items' mastered audio."""

    slot_id: int
    instant: datetime
    items: tuple[Path, Path]
    durations: tuple[float, float]


@dataclass
class Figures:
    """One variant's measurements, in seconds, and what it could not measure."""

    label: str
    errors: list[float] = field(default_factory=list)
    gaps: list[float] = field(default_factory=list)
    problems: Counter[str] = field(default_factory=Counter)

    def row(self) -> str:
        if not self.errors:
            return f"{self.label:<34} {0:>4}  nothing measured"
        gap = f"{max(self.gaps) * 1000:>11.1f}" if self.gaps else f"{'—':>11}"
        return (
            f"{self.label:<34} {len(self.errors):>4} {statistics.median(self.errors) * 1000:>10.1f}"
            f" {p99(self.errors) * 1000:>8.1f} {max(self.errors) * 1000:>8.1f}{gap}"
        )


def p99(values: list[float]) -> float:
    """Return the nearest-rank 99th percentile."""
    ordered = sorted(values)
    return ordered[math.ceil(0.99 * len(ordered)) - 1]


# ------------------------------------------------------------------ the machine


def check_tools() -> None:
    """Stop with a clear message when ffmpeg, espeak-ng or icecast2 is missing."""
    missing = [tool for tool in ("ffmpeg", "espeak-ng") if shutil.which(tool) is None]
    if missing:
        sys.exit(f"{', '.join(missing)} not found: run `bash scripts/install.sh --dev`")
    try:
        find_icecast()
    except IcecastMissing as exc:
        sys.exit(f"the on-air benchmark needs Icecast: {exc}")


class CpuLoad:
    """Processes that keep CPU cores busy while the benchmark runs."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._procs: list[subprocess.Popen[bytes]] = []
        self._started = 0.0

    def __enter__(self) -> CpuLoad:
        self._started = time.monotonic()
        self._procs = [
            subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(self.count)
        ]
        return self

    def cpus_used(self) -> float:
        """Return how many CPUs the load processes have used on average so far."""
        ticks = 0
        for proc in self._procs:
            with Path(f"/proc/{proc.pid}/stat").open() as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime + stime
        elapsed = time.monotonic() - self._started
        return ticks / os.sysconf("SC_CLK_TCK") / elapsed if elapsed > 0 else 0.0

    def __exit__(self, *exc: object) -> None:
        for proc in self._procs:
            proc.kill()
        for proc in self._procs:
            proc.wait()


# ------------------------------------------------------------------ the station


def bench_settings(data_dir: Path, server: IcecastServer) -> Settings:
    """The station's settings: offline speech, the file output and the benchmark's Icecast."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return Settings(
        data_dir=data_dir,
        database_url=None,
        timezone=TIMEZONE,
        tts_engines=("offline",),
        output="file",
        icecast_url=server.url("{zone}.mp3"),
        prepare_lead_s=2.0,
        misfire_grace_s=30,
        min_gap_min=0.0,
        plan_build_time=clock_time(23, 59, 59),  # no evening build of tomorrow during the run
    )


def pick_phrases(ctx: StationContext, count: int, slot_s: int) -> list[tuple[str, float]]:
    """Return (text, speed) pairs whose speech is as long as ITEM_SHARE of a slot.

    Rendered here with the station's renderer, so that approving the bulletins hits its cache.
    """
    low, high = ITEM_SHARE[0] * slot_s, ITEM_SHARE[1] * slot_s
    chosen: list[tuple[str, float]] = []
    for text in PHRASES:
        length = ctx.renderer.render(text).duration_s
        speed = 1.0
        if not low <= length <= high:
            speed = min(1.3, max(0.8, round(length / ((low + high) / 2) * 20) / 20))
            length = ctx.renderer.render(text, speed=speed).duration_s
        if low <= length <= high:
            chosen.append((text, speed))
            if len(chosen) == count:
                return chosen
    sys.exit(
        f"only {len(chosen)} of the {count} phrases needed can be read in {low:.2f}-{high:.2f} s "
        f"with espeak-ng; try another --slot-seconds"
    )


def add_slots(ctx: StationContext, first: datetime, count: int, slot_s: int) -> list[int]:
    """Add the zone and `count` slots of `slot_s` seconds back to back from `first`."""
    tz = ctx.settings.zone
    with session_scope(ctx.sessions) as session:
        zone = Zone(name=ZONE_NAME)
        slots = [
            Slot(
                name=f"Đo giờ {k + 1:03d}",
                start=(first + timedelta(seconds=k * slot_s)).astimezone(tz).time(),
                duration_s=slot_s,
                zones=[zone],
            )
            for k in range(count)
        ]
        # Added as rows: the province's caps on sessions a day would only warn.
        session.add_all([zone, *slots])
        session.flush()
        return [zone.id, *(slot.id for slot in slots)]


def add_bulletins(ctx: StationContext, zone_id: int, phrases: list[tuple[str, float]]) -> None:
    """Write, submit and approve one bulletin per phrase, each asking for the most plays."""
    today = ctx.today()
    for number, (text, speed) in enumerate(phrases, 1):
        data = BulletinCreate(
            title=f"Đo giờ {number:02d}: {text}", text=text, topic=TOPIC, first_day=today,
            last_day=today, per_day=workflow.MAX_PER_DAY, zone_ids=[zone_id], speed=speed,
        )  # fmt: skip
        with session_scope(ctx.sessions) as session:
            approved(ctx, session, data)


def planned_slots(
    ctx: StationContext, slot_ids: list[int], first: datetime, slot_s: int
) -> list[PlannedSlot]:
    """Read the stored plan; stop loudly unless every slot has two items from its instant."""
    day = first.astimezone(ctx.settings.zone).date()
    with session_scope(ctx.sessions) as session:
        items: dict[int, list[PlanItem]] = defaultdict(list)
        for item in session.scalars(
            select(PlanItem).where(PlanItem.day == day).order_by(PlanItem.position)
        ):
            items[item.slot_id].append(item)
        planned, wrong = [], []
        for k, slot_id in enumerate(slot_ids):
            instant = first + timedelta(seconds=k * slot_s)
            own = items.get(slot_id, [])
            if len(own) != 2 or own[0].planned_start != instant:
                tz = ctx.settings.zone
                starts = ", ".join(f"{i.planned_start.astimezone(tz):%H:%M:%S.%f}" for i in own)
                wrong.append(
                    f"slot {k + 1} at {instant.astimezone(tz):%H:%M:%S}: {len(own)} item(s) "
                    f"starting [{starts}]"
                )
                continue
            media = ctx.settings.media_dir
            paths = (media / own[0].rendering.file, media / own[1].rendering.file)
            planned.append(
                PlannedSlot(slot_id, instant, paths, (own[0].duration_s, own[1].duration_s))
            )
    if wrong:
        sys.exit(
            f"the plan is not what the benchmark needs (two items in each slot, the first on the "
            f"slot's instant); {len(wrong)} of {len(slot_ids)} slots differ:\n  "
            + "\n  ".join(wrong[:10])
        )
    return planned


def station_figures(ctx: StationContext, slots: list[PlannedSlot]) -> tuple[Figures, Figures]:
    """Read the as-run log: each output's start errors and gaps, and what did not air whole."""
    figures = {"file": Figures("station, file output (as-run)"),
               "icecast": Figures("station, Icecast (as-run)")}  # fmt: skip
    with session_scope(ctx.sessions) as session:
        rows: dict[tuple[str, int], list[AirLog]] = defaultdict(list)
        for row in session.scalars(
            select(AirLog).where(AirLog.source == AirSource.SCHEDULE).order_by(AirLog.id)
        ):
            kind = "icecast" if row.output.startswith("icecast:") else row.output
            if kind in figures and row.slot_id is not None:
                rows[(kind, row.slot_id)].append(row)
        for kind, measured in figures.items():
            for slot in slots:
                pair = sorted(rows.get((kind, slot.slot_id), []), key=_scheduled)
                statuses = [r.status for r in pair]
                if statuses != [AirStatus.PLAYED, AirStatus.PLAYED]:
                    measured.problems[",".join(s.value for s in statuses) or "no row"] += 1
                    continue
                one, two = pair
                assert one.actual_start and one.actual_end and two.actual_start
                measured.errors.append((one.actual_start - slot.instant).total_seconds())
                measured.gaps.append((two.actual_start - one.actual_end).total_seconds())
    return figures["file"], figures["icecast"]


def _scheduled(row: AirLog) -> datetime:
    return row.scheduled_start or datetime.min.replace(tzinfo=UTC)


def as_run_rows(ctx: StationContext) -> int:
    with session_scope(ctx.sessions) as session:
        return len(session.scalars(select(AirLog.id)).all())


def run_station(ctx: StationContext, slots: list[PlannedSlot], slot_s: int) -> None:
    """Start the station, wait until every slot is in the as-run log (or late), shut down."""
    expected = len(slots) * 2 * 2  # two items, two outputs
    ctx.station.start()
    try:
        last_end = slots[-1].instant + timedelta(seconds=slot_s)
        time.sleep(max(0.0, (last_end - datetime.now(UTC)).total_seconds()) + 1.0)
        deadline = time.monotonic() + 30
        while as_run_rows(ctx) < expected and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        ctx.station.shutdown()


# ------------------------------------------------------------------ the bare reference


def play_file(item: Path, wav: wave.Wave_write) -> tuple[float, float]:
    """Decode with ffmpeg in real time into `wav`; return its first bytes' and end's instants."""
    proc = subprocess.Popen(
        ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-re", "-i", str(item),
         "-f", "s16le", "-ar", "44100", "-ac", "1", "pipe:1"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stdout is not None
    started: float | None = None
    while chunk := os.read(proc.stdout.fileno(), 65536):
        if started is None:
            started = time.time()
        wav.writeframes(chunk)
    ended = time.time()
    proc.stdout.close()
    if proc.wait() or started is None:
        raise RuntimeError(f"ffmpeg exited {proc.returncode} with no audio")
    return started, ended


def play_icecast(item: Path, server: IcecastServer, mount: str) -> tuple[float, float]:
    """Stream with ffmpeg in real time to Icecast; return when it connected and when it ended."""
    proc = subprocess.Popen(
        ["ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-loglevel", "level+info", "-re",
         "-i", str(item), "-c:a", "libmp3lame", "-b:a", "64k", "-f", "mp3",
         "-content_type", "audio/mpeg", "-password", server.source_password,
         f"icecast://source@{server.host}:{server.port}/{mount}"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    started: float | None = None
    last = b""
    for line in proc.stderr:
        if started is None and b"Output #0" in line:
            started = time.time()
        last = line or last
    proc.wait()
    ended = time.time()
    if proc.returncode or started is None:
        raise RuntimeError(f"ffmpeg exited {proc.returncode}: {last.decode(errors='replace')}")
    return started, ended


def bare_slot(
    figures: Figures,
    instant: float,
    next_instant: float,
    slot: PlannedSlot,
    play: Callable[[Path], tuple[float, float]],
) -> None:
    """One slot's naive script: sleep until the instant, run ffmpeg for each item in turn."""
    time.sleep(max(0.0, instant - time.time()))
    try:
        start_one, end_one = play(slot.items[0])
        start_two, end_two = play(slot.items[1])
    except (RuntimeError, OSError) as exc:
        with BARE_LOCK:
            figures.problems[f"failed: {str(exc)[:80]}"] += 1
        return
    with BARE_LOCK:
        figures.errors.append(start_one - instant)
        figures.gaps.append(start_two - end_one)
        if end_two > next_instant:
            figures.problems["still playing at the next slot's instant"] += 1


def run_bare(
    slots: list[PlannedSlot], slot_s: int, server: IcecastServer, folder: Path
) -> tuple[Figures, Figures]:
    """Run the bare reference to WAV files and to Icecast, side by side on the same instants."""
    folder.mkdir()
    files = Figures("bare ffmpeg, file (first bytes)")
    icecast = Figures("bare ffmpeg, Icecast (connected)")
    first = time.time() + 3.0
    threads: list[threading.Thread] = []
    wavs: list[wave.Wave_write] = []
    for k, slot in enumerate(slots):
        instant = first + k * slot_s
        wav = wave.open(str(folder / f"{k:03d}.wav"), "wb")  # noqa: SIM115  (closed below)
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(44100)
        wavs.append(wav)
        plays: list[tuple[Figures, Callable[[Path], tuple[float, float]]]] = [
            (files, partial(play_file, wav=wav)),
            # Two mounts in turn: a slot still streaming must not lock the next one out.
            (icecast, partial(play_icecast, server=server, mount=f"bare-{k % 2}.mp3")),
        ]
        # The timer: wake a little ahead and leave the rest of the wait to the slot's script.
        time.sleep(max(0.0, instant - TIMER_LEAD_S - time.time()))
        for figures, play in plays:
            thread = threading.Thread(
                target=bare_slot, args=(figures, instant, instant + slot_s, slot, play)
            )
            thread.start()
            threads.append(thread)
    for thread in threads:
        thread.join()
    for wav in wavs:
        wav.close()
    return files, icecast


# ------------------------------------------------------------------ the run


def heard(listener: ListenerProcess, slots: list[PlannedSlot]) -> Figures:
    """The listener's figures: when the frame carrying each slot's first sample arrived."""
    figures = Figures("station, Icecast (listener, heard)")
    try:
        recording = listener.result()
        leads = {path: lead_in(decode_pcm(path)) for slot in slots for path in slot.items[:1]}
        found: Heard = heard_starts(
            recording,
            [SlotStart(slot.instant.timestamp(), leads[slot.items[0]]) for slot in slots],
        )
    except (RuntimeError, ValueError, OSError, subprocess.CalledProcessError) as exc:
        figures.problems[f"not measured: {exc}"] += 1
        return figures
    figures.errors = found.errors
    if found.not_found:
        figures.problems["slot start not found in the stream"] += found.not_found
    return figures


def refuse_midnight(tz: ZoneInfo, seconds: float) -> None:
    """Stop if the run would cross local midnight (the plan is one local day)."""
    now = datetime.now(tz)
    end = now + timedelta(seconds=seconds)
    if end.date() != now.date():
        sys.exit(
            f"the run takes about {seconds / 60:.0f} min and would cross midnight "
            f"({now:%H:%M} → {end:%H:%M} {TIMEZONE}): one day's plan cannot hold it; "
            f"run it after 00:00 or with fewer --slots"
        )


def main() -> None:
    """Run the benchmark and print the station's p99 start error last."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slots", type=int, default=100, help="slots back to back (≥ 1)")
    parser.add_argument("--slot-seconds", type=int, default=2, help="length of a slot (≥ 2)")
    parser.add_argument("--no-load", action="store_true", help="without the CPU load")
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary folder (database, WAV files)"
    )
    args = parser.parse_args()
    if args.slots < 1 or args.slot_seconds < 2:
        parser.error("needs --slots 1 or more and --slot-seconds 2 or more")
    count, slot_s = args.slots, args.slot_seconds
    check_tools()
    for name in [name for name in os.environ if name.startswith("LOA_")]:
        del os.environ[name]
    tz = ZoneInfo(TIMEZONE)
    refuse_midnight(tz, SETUP_S + 2 * count * slot_s + 60)

    server = IcecastServer()
    server.start()
    try:
        folder = Path(tempfile.mkdtemp(prefix="loa-bench-onair-"))
        ctx = StationContext.create(bench_settings(folder / "data", server))
        try:
            measure(ctx, server, folder, count, slot_s, load=not args.no_load)
        finally:
            ctx.engine.dispose()
            if args.keep:
                print(f"kept: {folder}", file=sys.stderr)
            else:
                shutil.rmtree(folder, ignore_errors=True)
    finally:
        server.cleanup()


def measure(
    ctx: StationContext, server: IcecastServer, folder: Path, count: int, slot_s: int, load: bool
) -> None:
    """Set the station up, air it under load, run the bare reference, print the figures."""
    needed = math.ceil(2 * count / workflow.MAX_PER_DAY) + 2
    phrases = pick_phrases(ctx, needed, slot_s)
    first = (datetime.now(UTC) + timedelta(seconds=SETUP_S)).replace(microsecond=0)
    zone_id, *slot_ids = add_slots(ctx, first, count, slot_s)
    add_bulletins(ctx, zone_id, phrases)
    ctx.station.build_plan(first.astimezone(ctx.settings.zone).date(), reconcile=False)
    slots = planned_slots(ctx, slot_ids, first, slot_s)
    lengths = [d for slot in slots for d in slot.durations]
    if (first - datetime.now(UTC)).total_seconds() < 8:
        sys.exit("setting the station up took too long: the first slot is too close")

    print(
        f"machine: {os.cpu_count()} CPUs; load: "
        + (f"{HOGS} processes running `while True: pass`" if load else "none (--no-load)")
    )
    print(
        f"station: {count} slots of {slot_s} s back to back from "
        f"{first.astimezone(ctx.settings.zone):%H:%M:%S} ({TIMEZONE}), one zone on the file "
        f"output and Icecast; plan checked: 2 items a slot, {min(lengths):.2f}-"
        f"{max(lengths):.2f} s each, {len(phrases)} espeak-ng bulletins"
    )
    last_end = slots[-1].instant + timedelta(seconds=slot_s)
    mount = f"{slug(ZONE_NAME)}.mp3"
    with CpuLoad(HOGS if load else 0) as hogs:
        listener = ListenerProcess(
            server.listen_url(mount),
            seconds=(last_end - datetime.now(UTC)).total_seconds() + 2,
            connect_timeout_s=SETUP_S,
            out=folder / "listener",
        )
        try:
            run_station(ctx, slots, slot_s)
            station_load = hogs.cpus_used()
            loadavg = os.getloadavg()[0]
            listened = heard(listener, slots)
        finally:
            listener.stop()
        file_out, icecast_out = station_figures(ctx, slots)
        bare_file, bare_icecast = run_bare(slots, slot_s, server, folder / "bare")
        bare_load = hogs.cpus_used() if load else 0.0

    if load:
        print(
            f"load while the station aired: the {HOGS} processes used {station_load:.2f} CPUs "
            f"on average ({bare_load:.2f} over the whole run); load average (1 min) "
            f"{loadavg:.2f}"
        )
    print()
    print(f"{'start error vs the instant':<34} {'n':>4} {'median ms':>10} {'p99 ms':>8} "
          f"{'max ms':>8} {'max gap ms':>11}")  # fmt: skip
    variants = [file_out, icecast_out, listened, bare_file, bare_icecast]
    for figures in variants:
        print(figures.row())
    for figures in variants:
        for problem, times in figures.problems.items():
            print(f"  {figures.label}: {times} slot(s) {problem}")

    station = [f for f in (file_out, icecast_out) if f.errors]
    if len(station) < 2:
        sys.exit("the station aired nothing measurable on one of its outputs")
    worst = max(p99(f.errors) for f in station) * 1000
    gap = max(max(f.gaps) for f in station) * 1000
    missing = sum(sum(f.problems.values()) for f in station)
    met = worst <= TARGET_P99_MS and gap <= TARGET_GAP_MS and not missing
    print(
        f"\ntarget (p99 ≤ {TARGET_P99_MS:.0f} ms, largest gap ≤ {TARGET_GAP_MS:.0f} ms, every "
        f"slot aired whole): {'met' if met else 'MISSED'} (gap {gap:.1f} ms)"
    )
    print(f"p99 start error (ms): {worst:.1f}")


if __name__ == "__main__":
    main()
