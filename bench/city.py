"""Players at the loudspeakers, many at once: a server on PostgreSQL, mosquitto, N `loa player`s.

What it measures, in one run:
- planning: the server plans a ward of 5 zones (its zones, slots and approved bulletins) for a
  day, timed per plan built;
- sync: N players, each its own process, started together, each fetching the coming days' plans
  and every audio file they need (checked by SHA-256): the seconds and bytes of each player's
  first sync, as the player itself recorded them (player.json);
- idle cost: the server process's CPU while the N players are connected and idle (heartbeats
  through the broker), per player;
- emergency: one emergency requested on the server (`loa emergency`), fanned out through the
  broker; its delay at each player is from the request's instant (the server's row) to the
  first sample its file output wrote (the player's as-run row), on the same machine's clock.
  The last line is the p99 of that delay in ms (the issue's target: at most 2,000 ms).

This machine runs everything: the server, the broker, PostgreSQL and the N players share its
cores, so the figures are an upper bound of what separate machines would see.

Not yet measured: a city of 100 wards on one server (the server serves one ward today;
docs/deployment.md, "Not yet"). Each player here airs the same ward's 5 zones.

    .venv/bin/python bench/city.py [--players 100] [--idle-s 20]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time as clock
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # tests/postgres_server.py and tests/mqtt_broker.py

from bench._people import approved  # noqa: E402
from playlists.accounts import service as accounts  # noqa: E402
from playlists.accounts.actor import Actor, Origin, bind  # noqa: E402
from playlists.accounts.roles import Role  # noqa: E402
from playlists.asrun.models import AirLog, AirSource  # noqa: E402
from playlists.bulletins.schemas import BulletinCreate  # noqa: E402
from playlists.core.db import make_engine, make_session_factory, session_scope  # noqa: E402
from playlists.emergencies.models import Emergency  # noqa: E402
from playlists.replica.models import Player  # noqa: E402
from playlists.slots.models import Slot, Zone  # noqa: E402
from tests.icecast_server import free_port  # noqa: E402
from tests.mqtt_broker import Broker  # noqa: E402
from web.context import StationContext  # noqa: E402
from web.settings import Settings  # noqa: E402

LOA = str(Path(sys.executable).parent / "loa")
ZONES = 5
SLOTS = ("05:30", "11:00", "17:00")
TEXTS = (
    "Phường triển khai dịch vụ công trực tuyến toàn trình, người dân nộp hồ sơ tại nhà.",
    "Bộ phận một cửa tiếp nhận hồ sơ từ bảy giờ sáng đến năm giờ chiều các ngày làm việc.",
    "Hãy đánh giá mức độ hài lòng về phục vụ hành chính công qua phiếu khảo sát SIPAS.",
    "Phường áp dụng hệ thống quản lý chất lượng theo tiêu chuẩn ISO 9001.",
    "Người dân có thể thanh toán phí, lệ phí trực tuyến khi làm thủ tục hành chính.",
)
ADMIN = Actor(None, "bench.admin", "Bench", frozenset({Role.ADMIN}), Origin.CLI)


def say(text: str) -> None:
    print(text, flush=True)


def spread(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return f"median {statistics.median(ordered):.0f}, p99 {p99:.0f}, max {ordered[-1]:.0f}"


def p99_of(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


@contextmanager
def postgres() -> Iterator[str]:
    """Yield the URL of an empty PostgreSQL database (a throwaway server unless
    LOA_TEST_POSTGRES_URL names one)."""
    from tests.postgres_server import PostgresServer, create_database, drop_database, find_bin

    server = None
    admin = os.environ.get("LOA_TEST_POSTGRES_URL")
    if not admin:
        find_bin()
        server = PostgresServer()
        server.start()
        admin = server.admin_url
    name = f"loa_bench_city_{os.getpid()}"
    try:
        drop_database(admin, name)
        yield create_database(admin, name)
    finally:
        drop_database(admin, name)
        if server is not None:
            server.cleanup()


def build_ward(ctx: StationContext, players: int) -> tuple[list[str], float]:
    """Make the ward (zones, slots, bulletins, player accounts); return tokens and plan time."""
    today = ctx.today()
    with session_scope(ctx.sessions) as session:
        zones = [Zone(name=f"Cụm {n}") for n in range(1, ZONES + 1)]
        session.add_all(zones)
        for at in SLOTS:
            hour, minute = map(int, at.split(":"))
            session.add(Slot(name=f"Khung {at}", start=clock_time(hour, minute),
                             duration_s=15 * 60, days="1234567", zones=zones))  # fmt: skip
        session.flush()
        zone_ids = [z.id for z in zones]
        for text in TEXTS:
            approved(ctx, session, BulletinCreate(
                title=text[:40], text=text, topic=1, first_day=today,
                last_day=today + timedelta(days=7), per_day=2, zone_ids=zone_ids,
            ))  # fmt: skip
        tokens = []
        bind(session, ADMIN)
        for n in range(players):
            name = f"loa-{n:03d}"
            accounts.add_user(session, name, display_name=name, roles=[Role.PLAYER],
                              password=f"bench-password-{n:03d}", now=ctx.now())  # fmt: skip
            _t, secret = accounts.make_token(session, name, days=30, max_days=365,
                                             label="bench", now=ctx.now())  # fmt: skip
            tokens.append(secret)
        operator = Actor(None, "bench.operator", "Bench", frozenset({Role.OPERATOR}), Origin.CLI)
        bind(session, operator)
        accounts.add_user(session, "dieuhanh", display_name="Điều hành", roles=[Role.OPERATOR],
                          password="bench-operator-1", now=ctx.now())  # fmt: skip
    started = clock.perf_counter()
    for day in (today, today + timedelta(days=1)):
        ctx.build_plan(day)
    return tokens, (clock.perf_counter() - started) / 2


def clock_time(hour: int, minute: int) -> Any:
    from datetime import time

    return time(hour, minute)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = clock.monotonic() + timeout
    while clock.monotonic() < deadline:
        if predicate():
            return
        clock.sleep(0.5)
    raise SystemExit(f"timed out: {what}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=100)
    parser.add_argument("--idle-s", type=float, default=20.0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="loa-bench-city-"))
    processes: list[subprocess.Popen[bytes]] = []
    broker = Broker(folder / "broker")
    with postgres() as url:
        settings = Settings(data_dir=folder / "server", database_url=url,
                            tts_engines=("offline",), output="file")  # fmt: skip
        settings.data_dir.mkdir(parents=True)
        ctx = StationContext.create(settings)
        tokens, plan_s = build_ward(ctx, args.players)
        say(f"planning: {plan_s * 1000:.0f} ms per day plan of a ward ({ZONES} zones, "
            f"{len(SLOTS)} slots, {len(TEXTS)} bulletins)")  # fmt: skip
        try:
            broker.start()
            base = {k: v for k, v in os.environ.items() if not k.startswith("LOA_")} | {
                "LOA_TTS_ENGINES": "offline", "LOA_OUTPUT": "file", "LOA_MQTT_URL": broker.url,
                "LOA_STATION_CODE": "bench", "LOA_PLAYER_HEARTBEAT_S": "5",
            }  # fmt: skip
            server_env = base | {"LOA_DATA_DIR": str(settings.data_dir), "LOA_DATABASE_URL": url,
                                 "LOA_AIR_AT": "players", "LOA_WEB_WORKERS": "0"}  # fmt: skip
            port = free_port()
            server = subprocess.Popen([LOA, "serve", "--port", str(port)], env=server_env,
                                      stdout=(folder / "server.log").open("wb"),
                                      stderr=subprocess.STDOUT)  # fmt: skip
            processes.append(server)
            wait(lambda: "Uvicorn running" in (folder / "server.log").read_text(), 120, "server")
            say(f"players: starting {args.players} `loa player` processes")
            started = clock.monotonic()
            for n, token in enumerate(tokens):
                env = base | {"LOA_DATA_DIR": str(folder / f"p{n:03d}"), "LOA_PLAYER_TOKEN": token}
                processes.append(subprocess.Popen(
                    [LOA, "player", "--server", f"http://127.0.0.1:{port}", "--name",
                     f"loa-{n:03d}"], env=env, stdout=subprocess.DEVNULL,
                    stderr=(folder / f"p{n:03d}.log").open("wb"),
                ))  # fmt: skip
            states: list[dict[str, Any]] = []

            def synced() -> bool:
                states.clear()
                for n in range(args.players):
                    path = folder / f"p{n:03d}" / "player.json"
                    try:
                        state = json.loads(path.read_text())
                    except (OSError, ValueError):
                        return False
                    if "last_sync_s" not in state:
                        return False
                    states.append(state)
                return True

            wait(synced, 900, "every player's first sync")
            say(f"  all synced {clock.monotonic() - started:.0f} s after the first start")
            say("sync per player, ms: " + spread([s["last_sync_s"] * 1000 for s in states]))
            sizes = [s["last_sync_bytes"] for s in states]
            say(f"sync per player, bytes: median {statistics.median(sizes):,.0f}, "
                f"max {max(sizes):,}")  # fmt: skip

            def online() -> bool:
                with session_scope(ctx.sessions) as session:
                    count = len(session.scalars(select(Player).where(Player.online)).all())
                return count == args.players

            wait(online, 300, "every player's heartbeat at the server")
            before = cpu_seconds(server.pid)
            clock.sleep(args.idle_s)
            used = cpu_seconds(server.pid) - before
            share = used / args.idle_s / args.players * 100
            say(f"server CPU per idle player: {share:.3f} % of a core "
                f"({used:.2f} s over {args.idle_s:.0f} s for {args.players})")  # fmt: skip

            sent = subprocess.run(
                [LOA, "emergency", "--text", "Khẩn cấp: bão đổ bộ, người dân ở yên trong nhà.",
                 "--by", "dieuhanh"], env=server_env, capture_output=True, text=True,
            )  # fmt: skip
            if sent.returncode != 0:
                raise SystemExit(sent.stderr)
            with session_scope(ctx.sessions) as session:
                requested = session.scalars(select(Emergency)).one().created_at
            delays: dict[int, float] = {}

            def aired() -> bool:
                for n in range(args.players):
                    if n in delays:
                        continue
                    engine = make_engine(f"sqlite:///{folder / f'p{n:03d}' / 'loa.db'}")
                    with session_scope(make_session_factory(engine)) as session:
                        first = session.scalars(
                            select(AirLog.actual_start).where(
                                AirLog.source == AirSource.EMERGENCY,
                                AirLog.actual_start.is_not(None),
                            ).order_by(AirLog.actual_start).limit(1)
                        ).first()  # fmt: skip
                    engine.dispose()
                    if first is not None:
                        delays[n] = (first - requested).total_seconds() * 1000
                return len(delays) == args.players

            wait(aired, 300, "the emergency at every player")
            values = list(delays.values())
            say(f"emergency, request to first sample, ms ({len(values)} players): "
                + spread(values))  # fmt: skip
            say(f"emergency p99 ms: {p99_of(values):.0f}")
        finally:
            for process in reversed(processes):
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
            broker.stop()
            ctx.stop()


if __name__ == "__main__":
    main()
