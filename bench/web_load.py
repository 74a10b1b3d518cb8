"""Web load against the air: 20 and 50 clients on the pages and the API while slots air.

A real station (`loa serve` in its own process, on a temporary data folder, speaking offline
and airing to the file output) gets three phases: no load, then 20 clients, then 50 clients,
each client a thread with its own keep-alive connection asking, back to back, for the main
pages and JSON API operations in turn, for --seconds each. In each phase a slot starts on two
zones with a few bulletins, so the player and the as-run writer work while the pages are
hammered.

Printed per phase: requests, throughput, p50 and p99 latency of pages and of the API, errors
(any answer but 200) and timeouts (no answer in 10 s); the slot's start error (its first item's
measured start minus the instant, worst zone, from the as-run log) and the largest delay
between an item's end and its as-run row being written (the row's `created_at`). The phase
without load is the reference for both, measured in the same run.

Targets (issue 9): no errors or timeouts, page p99 at most 500 ms at 50 clients, start error
unchanged from the no-load phase (and the on-air benchmark), as-run rows within 1 s. The last
line is the page p99 in ms at 50 clients.

    .venv/bin/python bench/web_load.py [--seconds 60] [--clients 20 50] [--keep]
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _people import approved

from playlists.accounts import service as accounts
from playlists.accounts.actor import bind, station_actor
from playlists.accounts.roles import Role
from playlists.alerts.models import AlertKind
from playlists.alerts.service import raise_alert
from playlists.asrun import ledger
from playlists.asrun.models import AirLog, AirSource, AirStatus
from playlists.bulletins.schemas import BulletinCreate
from playlists.slots.models import Slot, Zone
from web.context import StationContext
from web.settings import Settings

TIMEZONE = "Asia/Ho_Chi_Minh"
TIMEOUT_S = 10.0
# From the bench's set-up to the first phase: the server starts, plans today, opens zones.
STARTUP_S = 40.0
# Each phase's slot starts this long into the phase, so the load is already on.
SLOT_OFFSET_S = 15.0
ZONES = ("Cụm chợ", "Cụm trường học", "Cụm khu phố 3")
SLOT_ZONES = ZONES[:2]
HISTORY_DAYS = 7
HISTORY_ROWS_PER_DAY = 60
TEXTS = [
    "Kính thưa bà con, Ủy ban nhân dân phường thông báo lịch tiếp công dân tháng mười hai.",
    "Bà con có thể nộp hồ sơ khai sinh trực tuyến trên Cổng dịch vụ công quốc gia.",
    "Phường đang áp dụng hệ thống quản lý chất lượng theo tiêu chuẩn ISO 9001:2015.",
    "Đường dây nóng tiếp nhận phản ánh về thủ tục hành chính: 0243 825 1234.",
    "Kết quả khảo sát sự hài lòng của người dân năm nay đạt 92,5 phần trăm.",
    "Mời bà con tham gia buổi hướng dẫn sử dụng dịch vụ công trực tuyến tại nhà văn hoá.",
]


@dataclass
class Phase:
    """One phase's clients and what they measured."""

    clients: int
    begin: datetime
    end: datetime
    slot_start: datetime
    pages: list[float] = field(default_factory=list)
    api: list[float] = field(default_factory=list)
    errors: int = 0
    timeouts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def requests(self) -> int:
        return len(self.pages) + len(self.api) + self.errors + self.timeouts


def p99(values: list[float]) -> float:
    """Return the nearest-rank 99th percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[math.ceil(0.99 * len(ordered)) - 1]


def ms(values: list[float], quantile: int) -> float:
    """Return the median (50) or the 99th percentile (99) of latencies, in ms."""
    if not values:
        return 0.0
    return (statistics.median(values) if quantile == 50 else p99(values)) * 1000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# ------------------------------------------------------------------ the station


def build_station(data_dir: Path, first_phase: datetime, phases: int, phase_s: float) -> Settings:
    """Make the station: zones, a slot per phase, approved bulletins, a week of as-run log."""
    settings = Settings(
        data_dir=data_dir, timezone=TIMEZONE, tts_engines=("offline",), output="file",
        prepare_lead_s=10.0, misfire_grace_s=60, min_gap_min=0.0,
    )  # fmt: skip
    data_dir.mkdir(parents=True, exist_ok=True)
    ctx = StationContext.create(settings)
    tz = settings.zone
    try:
        with ctx.unit_of_work() as session:
            zones = [Zone(name=name) for name in ZONES]
            session.add_all(zones)
            for n in range(phases):
                start = first_phase + timedelta(seconds=n * phase_s + SLOT_OFFSET_S)
                local = start.astimezone(tz)
                session.add(
                    Slot(
                        name=f"Đo tải {n + 1}", start=local.time(), duration_s=60,
                        zones=[z for z in zones if z.name in SLOT_ZONES],
                    )
                )  # fmt: skip
            session.flush()
            zone_ids = [z.id for z in zones]
        today = ctx.today()
        for number, text in enumerate(TEXTS, start=1):
            with ctx.unit_of_work() as session:
                data = BulletinCreate(
                    title=f"Bản tin đo tải {number}", text=text, topic=(number % 9) + 1,
                    first_day=today, last_day=today + timedelta(days=7), per_day=3,
                    zone_ids=zone_ids,
                )  # fmt: skip
                approved(ctx, session, data)
        add_history(ctx)
        with ctx.unit_of_work() as session:  # the clients read as a signed-in reporter
            bind(session, station_actor())
            accounts.add_user(
                session, "bench.reader", display_name="Bench", roles=[Role.REPORTER],
                password="mat-khau-do-tai", now=ctx.now(),
            )  # fmt: skip
            _token, secret = accounts.make_token(
                session, "bench.reader", days=1, max_days=1, label="bench", now=ctx.now()
            )
            HEADERS["Authorization"] = f"Bearer {secret}"
    finally:
        ctx.stop()
    return settings


def add_history(ctx: StationContext) -> None:
    """Give the as-run log a week of rows and the alerts page a few alerts to show."""
    now = ctx.now()
    with ctx.unit_of_work() as session:
        for day in range(HISTORY_DAYS, 0, -1):
            for n in range(HISTORY_ROWS_PER_DAY):
                start = now - timedelta(days=day, minutes=n * 3)
                ledger.append(
                    session, zone_name=ZONES[n % len(ZONES)], output="file",
                    slot_name="Sáng", bulletin_title=f"Bản tin cũ {n}", topic_name="Khác",
                    scheduled_start=start, actual_start=start,
                    actual_end=start + timedelta(seconds=40), status=AirStatus.PLAYED,
                    source=AirSource.SCHEDULE, created_at=start + timedelta(seconds=40),
                )  # fmt: skip
        for n in range(3):
            raise_alert(
                session, kind=AlertKind.OUTPUT, message=f"Đầu ra thử {n} mất kết nối.",
                zone_name=ZONES[n], now=now,
            )  # fmt: skip


# ------------------------------------------------------------------ the server


def start_server(data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """Start `loa serve` on the station and wait until its pages answer."""
    env = os.environ | {
        "LOA_DATA_DIR": str(data_dir), "LOA_TIMEZONE": TIMEZONE, "LOA_TTS_ENGINES": "offline",
        "LOA_OUTPUT": "file", "LOA_PREPARE_LEAD_S": "10", "LOA_MISFIRE_GRACE_S": "60",
        "LOA_MIN_GAP_MIN": "0",
    }  # fmt: skip
    loa = str(Path(sys.executable).parent / "loa")
    proc = subprocess.Popen(
        [loa, "serve", "--port", str(port)],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/api/zones", headers=HEADERS)
            if connection.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    sys.exit(f"loa serve did not answer within 60 s; see {log}")


# ------------------------------------------------------------------ the clients

# Every request carries the reader's personal API token (pages take it too), as real
# requests carry a signed-in session: the lookup is part of what a request costs.
HEADERS: dict[str, str] = {}


def paths(today: str) -> list[tuple[str, bool]]:
    """Return what clients ask for, in turn: (path, is a page)."""
    tomorrow = (datetime.fromisoformat(today) + timedelta(days=1)).date().isoformat()
    return [
        ("/", True), ("/ban-tin", True), (f"/lich-phat?ngay={today}", True), ("/nhat-ky", True),
        ("/khung-gio", True), ("/canh-bao", True), ("/tu-dien", True),
        ("/api/bulletins", False), (f"/api/plan/{tomorrow}", False),
        (f"/api/airlog?from={today}&to={today}", False), ("/api/alerts", False),
        ("/api/zones", False),
    ]  # fmt: skip


def client(port: int, phase: Phase, asks: list[tuple[str, bool]], offset: int) -> None:
    """Ask back to back until the phase ends; record each answer's latency."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
    turn = offset
    end = phase.end.timestamp()
    while time.time() < end:
        path, page = asks[turn % len(asks)]
        turn += 1
        began = time.perf_counter()
        try:
            connection.request("GET", path, headers=HEADERS)
            answer = connection.getresponse()
            answer.read()
            status = answer.status
        except TimeoutError:
            with phase.lock:
                phase.timeouts += 1
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
            continue
        except (OSError, http.client.HTTPException):
            status = 0
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
        took = time.perf_counter() - began
        with phase.lock:
            if status != 200:
                phase.errors += 1
            elif page:
                phase.pages.append(took)
            else:
                phase.api.append(took)
    connection.close()


def run_phase(port: int, phase: Phase, today: str) -> None:
    """Wait for the phase, then run its clients until it ends."""
    time.sleep(max(0.0, (phase.begin - datetime.now(UTC)).total_seconds()))
    if phase.clients == 0:
        time.sleep(max(0.0, (phase.end - datetime.now(UTC)).total_seconds()))
        return
    asks = paths(today)
    threads = [
        threading.Thread(target=client, args=(port, phase, asks, n), daemon=True)
        for n in range(phase.clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT_S + (phase.end - datetime.now(UTC)).total_seconds() + 5)


# ------------------------------------------------------------------ the log


def air_figures(settings: Settings, phase: Phase) -> tuple[float | None, float | None, int]:
    """Return the phase slot's start error, its largest as-run delay, and rows counted (s)."""
    ctx = StationContext.create(settings)
    try:
        with ctx.unit_of_work() as session:
            rows = list(
                session.scalars(
                    select(AirLog).where(
                        AirLog.source == AirSource.SCHEDULE,
                        AirLog.scheduled_start >= phase.slot_start,
                        AirLog.scheduled_start < phase.slot_start + timedelta(seconds=60),
                    )
                )
            )
    finally:
        ctx.stop()
    if not rows:
        return None, None, 0
    firsts = [r.actual_start for r in rows if r.scheduled_start == phase.slot_start]
    errors = [(start - phase.slot_start).total_seconds() for start in firsts if start]
    error = max(errors, default=None)
    delays = [(r.created_at - r.actual_end).total_seconds() for r in rows if r.actual_end]
    return error, max(delays, default=None), len(rows)


# ------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each phase")
    parser.add_argument("--clients", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--keep", action="store_true", help="keep the data folder")
    args = parser.parse_args()
    for tool in ("ffmpeg", "espeak-ng"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: run `bash scripts/install.sh --dev`")
    counts = [0, *args.clients]
    folder = Path(tempfile.mkdtemp(prefix="loa-bench-web-"))
    first = (datetime.now(UTC) + timedelta(seconds=STARTUP_S)).replace(microsecond=0)
    phase_s = float(math.ceil(max(args.seconds, 75.0)))  # a 60 s slot must end in its phase
    local_first = first.astimezone(Settings(timezone=TIMEZONE).zone)
    if local_first.date() != (local_first + timedelta(seconds=phase_s * len(counts))).date():
        sys.exit("the run would cross local midnight; start it again in a few minutes")
    print(f"data folder: {folder}")
    settings = build_station(folder / "data", first, len(counts), phase_s)
    phases = [
        Phase(
            clients=count,
            begin=first + timedelta(seconds=n * phase_s),
            end=first + timedelta(seconds=n * phase_s + min(args.seconds, phase_s)),
            slot_start=first + timedelta(seconds=n * phase_s + SLOT_OFFSET_S),
        )
        for n, count in enumerate(counts)
    ]
    port = free_port()
    log = folder / "server.log"
    server = start_server(folder / "data", port, log)
    today = local_first.date().isoformat()
    try:
        for phase in phases:
            run_phase(port, phase, today)
        last_end = phases[-1].slot_start + timedelta(seconds=62)
        time.sleep(max(0.0, (last_end - datetime.now(UTC)).total_seconds()))
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()

    print(f"\nWeb load while slots air ({len(SLOT_ZONES)} zones, file output), "
          f"{min(args.seconds, phase_s):.0f} s per phase, {os.cpu_count()} CPUs\n")  # fmt: skip
    header = (f"{'clients':>7} {'requests':>9} {'req/s':>7} {'page p50':>9} {'page p99':>9} "
              f"{'api p50':>8} {'api p99':>8} {'errors':>6} {'timeouts':>8} "
              f"{'start err':>10} {'as-run delay':>13}")  # fmt: skip
    print(header)
    print(f"{'':>7} {'':>9} {'':>7} {'ms':>9} {'ms':>9} {'ms':>8} {'ms':>8} {'':>6} {'':>8} "
          f"{'ms':>10} {'s':>13}")  # fmt: skip
    page_p99_at_most = 0.0
    failures = []
    for phase in phases:
        error, delay, rows = air_figures(settings, phase)
        seconds = (phase.end - phase.begin).total_seconds()
        print(
            f"{phase.clients:>7} {phase.requests:>9} {phase.requests / seconds:>7.1f} "
            f"{ms(phase.pages, 50):>9.1f} {ms(phase.pages, 99):>9.1f} {ms(phase.api, 50):>8.1f} "
            f"{ms(phase.api, 99):>8.1f} {phase.errors:>6} {phase.timeouts:>8} "
            f"{(error * 1000 if error is not None else float('nan')):>10.1f} "
            f"{(delay if delay is not None else float('nan')):>13.2f}"
        )
        if rows == 0:
            failures.append(f"the slot of the {phase.clients}-client phase left no as-run row")
        if phase.clients == counts[-1]:
            page_p99_at_most = ms(phase.pages, 99)
    for failure in failures:
        print(f"! {failure} (see {log})")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"\npage p99 at {counts[-1]} clients: {page_p99_at_most:.0f} ms")


if __name__ == "__main__":
    main()
