"""Emergency delay benchmark: from the operator's request to the first sample on air.

A real station (temporary data folder, migrated database, espeak-ng, the file output) runs a
long slot on one zone while another zone stays quiet, with two other processes keeping both
CPU cores busy. Emergencies are requested the way the web app does (`send_emergency`, as an
operator: speech rendered by the offline engine, the request stored, the station woken), one
every few seconds, alternately on the busy zone (interrupting a bulletin, which then resumes)
and on the quiet one. The delay is the as-run row's measured start minus the instant just before the
request, so it includes rendering the text. The issue's target: on air within 2 seconds.

    .venv/bin/python bench/emergency.py [--count N] [--no-load]
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from _people import OPERATOR, approved
from sqlalchemy import select

from playlists.accounts.actor import bind
from playlists.asrun.models import AirLog, AirSource
from playlists.bulletins.schemas import BulletinCreate
from playlists.core.db import session_scope
from playlists.emergencies.service import EmergencyDraft
from playlists.slots.models import Slot, Zone
from scheduler.station import Station
from web.context import StationContext
from web.settings import Settings

TARGET_S = 2.0
LONG_TEXT = (
    "Kính thưa bà con, Ủy ban nhân dân phường thông báo: từ ngày mười lăm tháng mười hai, "
    "người dân có thể nộp hồ sơ cấp đổi giấy phép lái xe trực tuyến trên Cổng dịch vụ công "
    "quốc gia, không phải đến bộ phận một cửa. Mọi thắc mắc xin liên hệ cán bộ tư pháp."
)


def p99(values: list[float]) -> float:
    """Return the nearest-rank 99th percentile."""
    ordered = sorted(values)
    return ordered[math.ceil(0.99 * len(ordered)) - 1]


def busy_station(folder: Path) -> tuple[StationContext, int, int, datetime]:
    """A station with a long slot on one zone, starting in a few seconds, and a quiet zone."""
    settings = Settings(
        data_dir=folder, tts_engines=("offline",), output="file", prepare_lead_s=2.0,
        min_gap_min=0, emergency_then="resume",
    )  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    ctx = StationContext.create(settings)
    start = (ctx.now() + timedelta(seconds=15)).replace(microsecond=0)
    local = start.astimezone(settings.zone)
    if local.date() != (local + timedelta(minutes=15)).date():
        sys.exit("the run would cross local midnight; start it again in a quarter of an hour")
    with session_scope(ctx.sessions) as session:
        busy, quiet = Zone(name="Cụm đang phát"), Zone(name="Cụm yên lặng")
        slot = Slot(name="Dài", start=local.time(), duration_s=15 * 60, zones=[busy])
        session.add_all([busy, quiet, slot])
        session.flush()
        busy_id, quiet_id = busy.id, quiet.id
    today = ctx.today()
    for number in range(12):
        with session_scope(ctx.sessions) as session:
            data = BulletinCreate(
                title=f"Bản tin {number}", text=f"Bản tin số {number}. {LONG_TEXT}", topic=8,
                first_day=today, last_day=today, per_day=1, zone_ids=[busy_id],
            )  # fmt: skip
            approved(ctx, session, data)
    ctx.station = Station(settings=settings, session_factory=ctx.sessions, clock=ctx.clock)
    ctx.station.build_plan(local.date(), reconcile=False)
    return ctx, busy_id, quiet_id, start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=30, help="emergencies to send")
    parser.add_argument("--no-load", action="store_true", help="no CPU load")
    args = parser.parse_args()
    hogs = [] if args.no_load else [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)
    ]  # fmt: skip
    try:
        with tempfile.TemporaryDirectory(prefix="loa-bench-emergency-") as tmp:
            run(Path(tmp), args.count, loaded=bool(hogs))
    finally:
        for hog in hogs:
            hog.kill()


def run(folder: Path, count: int, *, loaded: bool) -> None:
    ctx, busy_id, quiet_id, start = busy_station(folder / "data")
    ctx.station.start()
    asked: dict[str, tuple[float, str]] = {}
    try:
        time.sleep(max(0.0, (start - ctx.now()).total_seconds()) + 5)  # the slot is on air
        for number in range(count):
            zone_id, where = (busy_id, "busy") if number % 2 == 0 else (quiet_id, "quiet")
            title = f"Khẩn cấp {number}"
            before = time.time()
            with ctx.unit_of_work() as session:
                bind(session, OPERATOR)  # as the web app does for a signed-in operator
                ctx.send_emergency(session, EmergencyDraft(
                    requested_by="Bench", title=title, zone_ids=[zone_id],
                    text=f"Tin khẩn cấp số {number}: nước đang dâng ở tổ {number}.",
                ))  # fmt: skip
            asked[title] = (before, where)
            time.sleep(6)
        time.sleep(5)
    finally:
        ctx.stop()
    with session_scope(ctx.sessions) as session:
        rows = {
            row.bulletin_title: row
            for row in session.scalars(select(AirLog).where(AirLog.source == AirSource.EMERGENCY))
        }
    delays: dict[str, list[float]] = {"busy": [], "quiet": []}
    for title, (before, where) in asked.items():
        row = rows.get(title)
        if row is None or row.actual_start is None:
            print(f"{title}: not aired")
            continue
        delays[where].append(row.actual_start.timestamp() - before)
    print(f"load: {'2 processes running `while True: pass`' if loaded else 'none'}")
    print(f"{'emergency delay (request to air)':<36} {'n':>3} {'median ms':>10} {'p99 ms':>8} "
          f"{'max ms':>8}")  # fmt: skip
    for where, label in (("busy", "zone airing a slot (interrupt)"), ("quiet", "quiet zone")):
        values = delays[where]
        if values:
            print(f"{label:<36} {len(values):>3} {statistics.median(values) * 1000:>10.0f} "
                  f"{p99(values) * 1000:>8.0f} {max(values) * 1000:>8.0f}")  # fmt: skip
    every = delays["busy"] + delays["quiet"]
    if not every:
        sys.exit("no emergency aired")
    verdict = "met" if max(every) <= TARGET_S else "NOT met"
    print(f"target (every emergency on air within {TARGET_S:g} s): {verdict}")
    print(f"p99 emergency delay (ms): {p99(every) * 1000:.0f}")


if __name__ == "__main__":
    main()
