"""A city on one server: W wards of 5 zones on PostgreSQL, mosquitto, and a `loa player` each.

What it measures, in one run:
- planning: each ward's next day planned (its 5 zones, 3 slots and 5 approved bulletins),
  timed per ward;
- sync: one player per ward, each its own process, started together, each fetching its ward's
  coming days' plans and every audio file they need (checked by SHA-256): the seconds and
  bytes of each player's first sync, as the player itself recorded them (player.json);
- idle cost: the server process's CPU while the players are connected and idle (heartbeats
  through the broker), per player;
- emergency: one emergency to every ward at once (the city operator's
  `POST /api/city/emergencies`, what the page "Thành phố — khẩn cấp" sends), fanned out by the
  server's one relay through the broker, each ward's call carrying the audio; its delay at
  each player is from the request to the first sample its file output wrote (the player's
  as-run row), on the same machine's clock. Beside it: when each ward's row was stored, how
  busy the machine was, and the CPU the server and each player spent. The last line is the
  p99 of that delay in ms (the issue's target: at most 2,000 ms across 100 players).

This machine runs everything: the server, the broker, PostgreSQL and the players share its
two cores, so the figures are an upper bound of what separate machines would see. With 100
player processes the machine is fully busy for the whole fan-out: each player's own work
(taking the call, loading the audio, opening its outputs, then airing and archiving it) is
done by all of them at once here, on the cores the server needs to store and hand over the
wards' calls, where in a city each player does it on its own machine. The line "stored at the
ward" is the server's own share.

    .venv/bin/python bench/city.py [--wards 100] [--idle-s 20]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time as clock
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
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
from playlists.wards.service import add_ward  # noqa: E402
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


def build_ward(ward: StationContext, name: str) -> tuple[str, float]:
    """Fill a ward (zones, slots, bulletins, its player's account); plan its next day.

    Return the player's token and the seconds the plan took.
    """
    today = ward.today()
    with session_scope(ward.sessions) as session:
        zones = [Zone(name=f"Cụm {n}") for n in range(1, ZONES + 1)]
        session.add_all(zones)
        for at in SLOTS:
            hour, minute = map(int, at.split(":"))
            session.add(Slot(name=f"Khung {at}", start=clock_time(hour, minute),
                             duration_s=15 * 60, days="1234567", zones=zones))  # fmt: skip
        session.flush()
        zone_ids = [z.id for z in zones]
        for text in TEXTS:
            approved(ward, session, BulletinCreate(
                title=text[:40], text=text, topic=1, first_day=today,
                last_day=today + timedelta(days=7), per_day=2, zone_ids=zone_ids,
            ))  # fmt: skip
        bind(session, ADMIN)
        accounts.add_user(session, name, display_name=name, roles=[Role.PLAYER],
                          password="mat-khau-may-phat-1", now=ward.now())  # fmt: skip
        _t, token = accounts.make_token(session, name, days=30, max_days=365,
                                        label="bench", now=ward.now())  # fmt: skip
    ward.build_plan(today)
    started = clock.perf_counter()
    ward.build_plan(today + timedelta(days=1))
    return token, clock.perf_counter() - started


def build_city(ctx: StationContext, count: int) -> tuple[list[str], list[float], str]:
    """Make `count` wards; the first renders the bulletins, the others find them in the cache
    (the same texts read the same way: rendering is not what this bench measures).

    Return the players' tokens, each ward's planning time, and the city operator's token.
    """
    tokens, plans = [], []
    for n in range(count):
        code = ward_code(n)
        add_ward(ctx.root_engine, code, f"Phường {n + 1}")
        ward = ctx.for_ward(code)
        if n > 0:  # hard links of the first ward's speech cache
            shutil.copytree(ctx.for_ward(ward_code(0)).settings.media_dir / "tts",
                            ward.settings.media_dir / "tts", copy_function=os.link)  # fmt: skip
        token, plan_s = build_ward(ward, f"loa-{code}")
        tokens.append(token)
        plans.append(plan_s)
        if (n + 1) % 10 == 0:
            say(f"  {n + 1} wards made")
    with session_scope(ctx.sessions) as session:
        bind(session, ADMIN)
        accounts.add_user(session, "dieuhanh.tp", display_name="Điều hành thành phố",
                          roles=[Role.CITY_OPERATOR], password="bench-operator-1",
                          now=ctx.now())  # fmt: skip
        _t, operator = accounts.make_token(session, "dieuhanh.tp", days=1, max_days=365,
                                           label="bench", now=ctx.now())  # fmt: skip
    return tokens, plans, operator


def ward_code(n: int) -> str:
    return f"phuong-{n + 1:03d}"


def clock_time(hour: int, minute: int) -> Any:
    from datetime import time

    return time(hour, minute)


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.RequestException:
        return False


def cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and its children (the server's web workers)."""
    total = 0.0
    for process in [pid, *children(pid)]:
        fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def own_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process alone (a player's archive runs ffmpeg after each airing)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in found]


def wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = clock.monotonic() + timeout
    while clock.monotonic() < deadline:
        if predicate():
            return
        clock.sleep(0.5)
    raise SystemExit(f"timed out: {what}")


def busy_ticks() -> tuple[int, int]:
    """The machine's CPU ticks so far: (busy, all)."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields) - idle, sum(fields)


@dataclass
class City:
    """The running city, to send emergencies to and measure."""

    ctx: StationContext
    folder: Path
    port: int
    operator: str
    wards: int
    server: subprocess.Popen[bytes]
    players: list[subprocess.Popen[bytes]]

    def fan_out(self, text: str) -> float:
        """Send one emergency to every ward, as the city's operator's page does (the home
        ward has no zone of its own in this city); print its figures; return its p99 in ms."""
        body = {"text": text, "wards": [ward_code(n) for n in range(self.wards)]}
        cpu_before = {p.pid: own_cpu_seconds(p.pid) for p in self.players}
        server_before = cpu_seconds(self.server.pid)
        machine_before = busy_ticks()
        requested = datetime.now(UTC)
        sent = requests.post(
            f"http://127.0.0.1:{self.port}/api/city/emergencies",
            json=body,
            headers={"Authorization": f"Bearer {self.operator}"},
            timeout=120,
        )
        answered = (datetime.now(UTC) - requested).total_seconds() * 1000
        if sent.status_code != 200 or not all(w["emergency_id"] for w in sent.json()):
            raise SystemExit(sent.text)
        ids = {w["ward"]: w["emergency_id"] for w in sent.json()}
        say(f"  the server stored it at {self.wards} wards in {answered:.0f} ms")
        delays: dict[int, float] = {}

        def aired() -> bool:
            for n in range(self.wards):
                if n in delays:
                    continue
                engine = make_engine(f"sqlite:///{self.folder / ward_code(n) / 'loa.db'}")
                with session_scope(make_session_factory(engine)) as session:
                    first = session.scalars(
                        select(AirLog.actual_start).where(
                            AirLog.source == AirSource.EMERGENCY,
                            AirLog.actual_start >= requested,
                        ).order_by(AirLog.actual_start).limit(1)
                    ).first()  # fmt: skip
                engine.dispose()
                if first is not None:
                    delays[n] = (first - requested).total_seconds() * 1000
            return len(delays) == self.wards

        # An as-run row is written when its item ends: a few seconds after its first sample.
        wait(aired, 600, "the emergency at every player")
        window = (datetime.now(UTC) - requested).total_seconds()
        busy, total = (now - then for now, then in zip(busy_ticks(), machine_before, strict=True))
        spent = [(own_cpu_seconds(p.pid) - cpu_before[p.pid]) * 1000 for p in self.players]
        served = cpu_seconds(self.server.pid) - server_before
        say(f"  CPU over the {window:.1f} s until every player had aired it whole: the machine "
            f"{100 * busy / total:.0f} % busy; the server {served:.2f} s; each player's own "
            "(its airing and upload included), ms: " + spread(spent))  # fmt: skip
        stored = []
        for n in range(self.wards):
            code = ward_code(n)
            with session_scope(self.ctx.for_ward(code).sessions) as session:
                emergency = session.get(Emergency, ids[code])
                assert emergency is not None
            stored.append((emergency.created_at - requested).total_seconds() * 1000)
        say("  city request to stored at the ward, ms: " + spread(stored))
        values = list(delays.values())
        say(f"  city request to first sample, ms ({len(values)} players): " + spread(values))
        return p99_of(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wards", type=int, default=100)
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
        say(f"city: making {args.wards} wards of {ZONES} zones, {len(SLOTS)} slots, "
            f"{len(TEXTS)} bulletins each")  # fmt: skip
        tokens, plans, operator = build_city(ctx, args.wards)
        say(f"planning a ward's next day, ms ({len(plans)} wards): "
            + spread([p * 1000 for p in plans]))  # fmt: skip
        try:
            broker.start()
            base = {k: v for k, v in os.environ.items() if not k.startswith("LOA_")} | {
                "LOA_TTS_ENGINES": "offline", "LOA_OUTPUT": "file", "LOA_MQTT_URL": broker.url,
                "LOA_PLAYER_HEARTBEAT_S": "5",
            }  # fmt: skip
            server_env = base | {"LOA_DATA_DIR": str(settings.data_dir), "LOA_DATABASE_URL": url,
                                 "LOA_AIR_AT": "players"}  # fmt: skip
            port = free_port()
            server = subprocess.Popen([LOA, "serve", "--port", str(port)], env=server_env,
                                      stdout=(folder / "server.log").open("wb"),
                                      stderr=subprocess.STDOUT)  # fmt: skip
            processes.append(server)
            wait(lambda: answers(f"http://127.0.0.1:{port}/dang-nhap"), 300, "the server")
            say(f"players: starting {args.wards} `loa player` processes, one per ward")
            started = clock.monotonic()
            for n, token in enumerate(tokens):
                code = ward_code(n)
                env = base | {"LOA_DATA_DIR": str(folder / code), "LOA_PLAYER_TOKEN": token,
                              "LOA_STATION_CODE": code}  # fmt: skip
                processes.append(subprocess.Popen(
                    [LOA, "player", "--server", f"http://127.0.0.1:{port}", "--name",
                     f"loa-{code}"], env=env, stdout=subprocess.DEVNULL,
                    stderr=(folder / f"{code}.log").open("wb"),
                ))  # fmt: skip
            states: list[dict[str, Any]] = []

            def synced() -> bool:
                states.clear()
                for n in range(args.wards):
                    path = folder / ward_code(n) / "player.json"
                    try:
                        state = json.loads(path.read_text())
                    except (OSError, ValueError):
                        return False
                    if "first_sync_s" not in state:
                        return False
                    states.append(state)
                return True

            wait(synced, 1800, "every player's first sync")
            say(f"  all synced {clock.monotonic() - started:.0f} s after the first start")
            say("first sync per player, ms: "
                + spread([s["first_sync_s"] * 1000 for s in states]))  # fmt: skip
            sizes = [s["first_sync_bytes"] for s in states]
            say(f"first sync per player, bytes: median {statistics.median(sizes):,.0f}, "
                f"max {max(sizes):,}")  # fmt: skip

            def online() -> bool:
                for n in range(args.wards):
                    with session_scope(ctx.for_ward(ward_code(n)).sessions) as session:
                        if not session.scalars(select(Player).where(Player.online)).first():
                            return False
                return True

            wait(online, 600, "every player's heartbeat at the server")
            before = cpu_seconds(server.pid)
            clock.sleep(args.idle_s)
            used = cpu_seconds(server.pid) - before
            share = used / args.idle_s / args.wards * 100
            say(f"server CPU per idle player: {share:.3f} % of a core "
                f"({used:.2f} s over {args.idle_s:.0f} s for {args.wards})")  # fmt: skip

            city = City(ctx, folder, port, operator, args.wards, server, processes[1:])
            say("emergency: one to every ward, the city operator's API call")
            p99 = city.fan_out("Khẩn cấp: bão đổ bộ, người dân ở yên trong nhà.")
            say(f"emergency p99 ms: {p99:.0f}")
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
