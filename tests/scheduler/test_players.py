"""Players at the loudspeakers, for real: `loa serve` (LOA_AIR_AT=players) on PostgreSQL, a
mosquitto broker and `loa player`, each its own process, the links cut by stopping the broker
and killing the server.

Slots air on time from the player's cache while the server is gone; an emergency taken at the
player's own command line airs; when the server comes back, every as-run row reaches it
exactly once, in the player's order, in a chain that verifies; a plan changed meanwhile
reaches the player and airs. The server hears the player's heartbeats and, through the
broker's last will, that it is gone.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from playlists.accounts import service as accounts
from playlists.accounts.roles import Role
from playlists.asrun import ledger
from playlists.asrun.models import AirLog, AirSource, AirStatus
from playlists.core.db import make_engine, make_session_factory, session_scope
from playlists.planning.models import DayPlan, PlanItem
from playlists.replica.models import PlayerUpload
from playlists.slots.models import Slot, Zone
from tests.icecast_server import free_port
from tests.mqtt_broker import Broker
from tests.people import act_as, add_person
from tests.scheduler.helpers import approved_bulletin, wait_for
from web.context import StationContext
from web.settings import Settings

LOA = str(Path(sys.executable).parent / "loa")
PLAYER = "loa-1"


def base_env(data_dir: Path, broker: Broker) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("LOA_")} | {
        "LOA_DATA_DIR": str(data_dir),
        "LOA_TTS_ENGINES": "offline",
        "LOA_OUTPUT": "file",
        "LOA_PREPARE_LEAD_S": "3",
        "LOA_MQTT_URL": broker.url,
        "LOA_STATION_CODE": "thu",
        "LOA_PLAYER_HEARTBEAT_S": "1",
        "LOA_MIN_GAP_MIN": "0",
    }


class Process:
    """A `loa` command running in its own process, its output in a log file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [LOA, *args], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Slots a minute apart may air the same bulletin: no gap between its plays."""
    return settings.model_copy(update={"min_gap_min": 0.0})


@pytest.fixture
def running(tmp_path: Path) -> Iterator[list[Process | Broker]]:
    started: list[Process | Broker] = []
    yield started
    for thing in reversed(started):
        thing.stop()


def add_slot(ctx: StationContext, zone_id: int, name: str, seconds: float) -> datetime:
    start = (ctx.now() + timedelta(seconds=seconds)).replace(microsecond=0)
    with session_scope(ctx.sessions) as session:
        zone = session.get(Zone, zone_id)
        session.add(Slot(name=name, start=start.astimezone(ctx.settings.zone).time(),
                         duration_s=40, zones=[zone]))  # fmt: skip
    return start


def player_account(session: Session, ctx: StationContext) -> str:
    """Add the player's account (role player), as an admin does; return its API token."""
    add_person(session, PLAYER, Role.PLAYER)
    act_as(session, Role.ADMIN)
    _t, token = accounts.make_token(session, PLAYER, days=30, max_days=365, label="máy phát",
                                    now=ctx.now())  # fmt: skip
    return token


def get_json(url: str, token: str) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def server_up(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
            return True
    except OSError:
        return False


@pytest.mark.databases("postgresql")
def test_a_player_airs_from_its_cache_through_an_outage_and_the_log_arrives_once(
    ctx: StationContext, running: list[Process | Broker], tmp_path: Path
) -> None:
    settings = ctx.settings
    with session_scope(ctx.sessions) as session:
        add_person(session, "doc", Role.OPERATOR)
        token = player_account(session, ctx)
        _t, reader = accounts.make_token(session, "doc", days=30, max_days=365,
                                         label="đọc", now=ctx.now())  # fmt: skip
        zone = Zone(name="Cụm Chợ")
        session.add(zone)
        session.flush()
        zone_id = zone.id
    # Two slots already in the plan the player will hold before the link is cut.
    first = add_slot(ctx, zone_id, "Sáng", 40)
    second = add_slot(ctx, zone_id, "Trưa", 100)
    bulletin = approved_bulletin(ctx, zone_id, "Phường triển khai dịch vụ công trực tuyến.", 3)
    ctx.build_plan(ctx.today())

    broker = Broker(tmp_path / "broker").start()
    running.append(broker)
    server_env = base_env(settings.data_dir, broker) | {"LOA_AIR_AT": "players"}
    assert settings.database_url is not None
    server_env["LOA_DATABASE_URL"] = settings.database_url
    port = free_port()
    server = Process(["serve", "--port", str(port)], server_env, tmp_path / "server.log")
    running.append(server)
    wait_for(lambda: server_up(port), timeout=90)

    player_dir = tmp_path / "player"
    player_env = base_env(player_dir, broker) | {"LOA_PLAYER_TOKEN": token}
    player_args = ["player", "--server", f"http://127.0.0.1:{port}", "--name", PLAYER]
    player = Process(player_args, player_env, tmp_path / "player.log")
    running.append(player)
    url = f"http://127.0.0.1:{port}/api/players"

    def reported() -> dict[str, Any]:
        found = [p for p in get_json(url, reader) if p["name"] == PLAYER]
        return found[0] if found else {}

    def last_planned() -> str:
        with session_scope(ctx.sessions) as session:
            return str(session.scalar(select(func.max(DayPlan.day))))

    # The heartbeat reaches the server through the broker, with the cache's horizon: the
    # last day the server has planned (tomorrow's plan is built in the evening).
    wait_for(lambda: reported().get("horizon") == last_planned(), 60)
    status = reported()
    assert status["online"] and status["outputs"] == ["file"]
    assert abs(status["clock_offset_ms"]) < 1000

    local = make_session_factory(make_engine(f"sqlite:///{player_dir / 'loa.db'}"))

    def local_log() -> list[AirLog]:
        with session_scope(local) as session:
            return list(session.scalars(select(AirLog).order_by(AirLog.seq)))

    def server_log() -> list[AirLog]:
        with session_scope(ctx.sessions) as session:
            return list(session.scalars(select(AirLog).order_by(AirLog.seq)))

    # 1. Connected: the first slot airs at the player, on time, and its row reaches the server.
    wait_for(lambda: len(server_log()) == 1, timeout=120)
    (aired,) = server_log()
    assert (aired.bulletin_id, aired.status, aired.source) == (
        bulletin, AirStatus.PLAYED, AirSource.SCHEDULE)  # fmt: skip
    assert aired.actual_start is not None
    assert abs((aired.actual_start - first).total_seconds()) < 2.0

    # 2. An emergency requested on the server reaches the player through the broker.
    sent = subprocess.run(
        [LOA, "emergency", "--text", "Khẩn cấp: cắt điện khu chợ từ 14 giờ.", "--by", "doc"],
        env=server_env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    wait_for(lambda: any(r.source == AirSource.EMERGENCY for r in local_log()), timeout=30)

    # 3. The link is cut: broker stopped, server killed.
    broker.stop()
    server.kill()
    at_cut = len(server_log())
    # Meanwhile the server's plan changes: a new slot later today.
    third = add_slot(ctx, zone_id, "Chiều", 170)
    ctx.build_plan(ctx.today())

    # The second slot airs from the cache, and an emergency from the player's command line.
    wait_for(lambda: any(r.actual_start and r.actual_start >= second - timedelta(seconds=2)
                         for r in local_log() if r.source == AirSource.SCHEDULE), 150)  # fmt: skip
    by_hand = subprocess.run(
        [LOA, "player", "emergency", "--text", "Khẩn cấp tại chỗ: mất kết nối máy chủ."],
        env=player_env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert by_hand.returncode == 0, by_hand.stderr
    wait_for(lambda: sum(r.source == AirSource.EMERGENCY for r in local_log()) == 2, 30)
    assert len(server_log()) == at_cut, "nothing reached the server while it was down"

    # 4. The link comes back: the new slot reaches the player and airs; every row arrives once.
    broker.start()  # on the same port, empty
    server = Process(["serve", "--port", str(port)], server_env, tmp_path / "server2.log")
    running.append(server)
    wait_for(lambda: server_up(port), timeout=90)
    wait_for(lambda: any(r.slot_name == "Chiều" for r in local_log()), timeout=240)
    wait_for(lambda: len(server_log()) == len(local_log()), timeout=60)

    here, there = local_log(), server_log()
    fields = ("zone_id", "slot_id", "bulletin_id", "status", "source", "actual_start",
              "actual_end", "reason")  # fmt: skip
    assert [[getattr(r, f) for f in fields] for r in there] == [
        [getattr(r, f) for f in fields] for r in here
    ], "the server's log is the player's, in the player's order"
    late = [r for r in there if r.slot_name == "Chiều"]
    assert late and late[0].status == AirStatus.PLAYED
    assert late[0].actual_start is not None
    assert abs((late[0].actual_start - third).total_seconds()) < 2.0
    with session_scope(ctx.sessions) as session:
        assert ledger.verify(session).ok
        origins = list(session.scalars(select(PlayerUpload.origin)))
    assert len(origins) == len(set(origins)) == len(there)

    # 5. The player vanishes without a word: the broker's last will tells the server.
    assert reported()["online"]
    player.kill()
    wait_for(lambda: not reported()["online"], timeout=30)


class LiveWeb:
    """The server's pages and API in a real uvicorn (its scheduler not started), on `port`:
    stopped and started again on the same port, as a server that goes down and comes back."""

    def __init__(self, ctx: StationContext, port: int | None = None) -> None:
        self.ctx = ctx
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: Any = None
        self._thread: Any = None

    def start(self) -> LiveWeb:
        import threading
        import time as _time

        import uvicorn

        from web.app import create_app

        app = create_app(self.ctx, run_scheduler=False)
        self._server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = _time.monotonic() + 30
        while not self._server.started:
            assert _time.monotonic() < deadline, "server did not start"
            _time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=30)
            self._server = None


@pytest.fixture
def web(ctx: StationContext) -> Iterator[str]:
    live = LiveWeb(ctx).start()
    yield live.url
    live.stop()


def test_a_late_plan_never_cuts_the_slot_on_air(
    ctx: StationContext, web: str, tmp_path: Path
) -> None:
    from playlists.slots.models import SlotCancellation
    from scheduler.edge.player import EdgePlayer, PlayerConfig
    from tests.scheduler.helpers import slot_in
    from tests.scheduler.test_onair import LONG_TEXT

    with session_scope(ctx.sessions) as session:
        token = player_account(session, ctx)
    zone_id, slot_id, start = slot_in(ctx, 8, length_s=120)
    bulletin = approved_bulletin(ctx, zone_id, LONG_TEXT)
    ctx.build_plan(ctx.today())
    here = Settings(data_dir=tmp_path / "player", tts_engines=("offline",), output="file",
                    prepare_lead_s=3)  # fmt: skip
    edge = EdgePlayer(PlayerConfig(server=web, token=token, name=PLAYER), here)
    try:
        edge.start()
        onair = here.onair_dir
        wait_for(lambda: any('"event": "start"' in p.read_text() for p in onair.glob("*.jsonl")),
                 timeout=60)  # fmt: skip
        # On air: the server's plan for today no longer has the slot (the server's own planner
        # keeps a started slot; a plan from elsewhere may not), and the player takes it at once.
        with session_scope(ctx.sessions) as session:
            session.add(SlotCancellation(slot_id=slot_id, day=ctx.today(), reason="Mất điện"))
            session.execute(delete(PlanItem).where(PlanItem.slot_id == slot_id))
        edge.sync_once()
        with session_scope(edge.sessions) as session:
            left = session.scalars(select(PlanItem).where(PlanItem.slot_id == slot_id)).all()
            assert [i for i in left if i.day == ctx.today()] == [], "the late plan arrived"
        wait_for(lambda: edge.pending_rows() == 0 and bool(edge_log(edge)), timeout=120)
    finally:
        edge.stop()
    (row,) = edge_log(edge)
    assert (row.bulletin_id, row.status) == (bulletin, AirStatus.PLAYED), row.reason
    assert row.actual_start is not None and abs((row.actual_start - start).total_seconds()) < 2


def test_a_players_alert_reaches_its_servers_staff_once(
    ctx: StationContext, web: str, tmp_path: Path
) -> None:
    """The player's engine raises an alert (the audio of the bulletin it is about to air is
    unreadable in its cache); the server shows it, naming the player, and only once."""
    from playlists.alerts.models import Alert, AlertKind
    from playlists.bulletins.models import Rendering
    from playlists.replica.uploads import SENT_TO_SERVER, alert_from_row
    from scheduler.edge.player import EdgePlayer, PlayerConfig
    from tests.scheduler.helpers import slot_in

    with session_scope(ctx.sessions) as session:
        token = player_account(session, ctx)
    zone_id, _slot_id, _start = slot_in(ctx, 12, length_s=60)
    approved_bulletin(ctx, zone_id, "Phường tiếp nhận hồ sơ trực tuyến cả ngày thứ bảy.")
    ctx.build_plan(ctx.today())
    here = Settings(data_dir=tmp_path / "player", tts_engines=("offline",), output="file",
                    prepare_lead_s=3)  # fmt: skip
    edge = EdgePlayer(PlayerConfig(server=web, token=token, name=PLAYER), here)

    def server_alerts() -> list[Alert]:
        with session_scope(ctx.sessions) as session:
            return list(session.scalars(select(Alert).where(Alert.kind == AlertKind.AUDIO)))

    try:
        edge.start()
        wait_for(lambda: edge.state.get("last_sync_at") is not None, timeout=60)
        with session_scope(edge.sessions) as session:
            (file,) = session.scalars(
                select(Rendering.file).join(PlanItem, PlanItem.rendering_id == Rendering.id)
            ).all()
        (here.media_dir / file).write_bytes(b"RIFF broken in the player's cache")
        wait_for(lambda: server_alerts(), timeout=60)
        # The same batch sent again (its answer lost, say): not raised twice.
        with session_scope(edge.sessions) as session:
            again = [alert_from_row(a).model_dump(mode="json")
                     for a in session.scalars(select(Alert))]  # fmt: skip
        assert again and edge.link.send_alerts(again) == 0
    finally:
        edge.stop()
    (shown,) = server_alerts()
    assert shown.message.startswith(f"Máy phát {PLAYER}: ") and shown.cleared_at is None
    assert shown.zone_name == "Cụm Thử" and PLAYER in shown.detail
    with session_scope(edge.sessions) as session:  # the player's own: handed over
        (own,) = session.scalars(select(Alert)).all()
        assert own.cleared_by == SENT_TO_SERVER
        assert f"Máy phát {PLAYER}: {own.message}" == shown.message
    (row,) = edge_log(edge)
    assert row.status == AirStatus.FAILED


def test_a_players_refused_alert_does_not_hold_back_the_others(
    ctx: StationContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A player upgraded from a release that kept its alerts to itself does not send the old
    ones; a batch the server refuses (over its body limit, 413) goes one by one, so that the
    others reach the staff; one refused alone (a kind a newer player knows and this server
    does not, 422) is put aside on the player, not sent forever."""
    from playlists.alerts.models import Alert, AlertKind
    from playlists.alerts.service import raise_alert
    from playlists.replica import uploads
    from scheduler.edge.player import EdgePlayer, PlayerConfig

    with session_scope(ctx.sessions) as session:
        token = player_account(session, ctx)
    strict = StationContext.create(ctx.settings.model_copy(update={"max_body_kb": 64}))
    web = LiveWeb(strict).start()  # the least body limit the settings allow
    here = Settings(data_dir=tmp_path / "player", tts_engines=("offline",), output="file")
    config = PlayerConfig(server=web.url, token=token, name=PLAYER)
    older = EdgePlayer(config, here)  # made its database; then ran as the last release did:
    with session_scope(older.sessions) as session:
        raise_alert(session, kind=AlertKind.OUTPUT, message="Cũ: loa ngoài mất tín hiệu.",
                    now=ctx.now() - timedelta(days=90))  # fmt: skip
    older.engine.dispose()
    state = json.loads((here.data_dir / "player.json").read_text(encoding="utf-8"))
    del state["sends_alerts"]
    (here.data_dir / "player.json").write_text(json.dumps(state), encoding="utf-8")

    edge = EdgePlayer(config, here)  # upgraded
    with session_scope(edge.sessions) as session:
        # 4,000 characters of Vietnamese are about 24 kB as the player sends them (JSON
        # escapes): three such alerts are over the limit together, and under it one by one.
        for name in ("Một", "Hai", "Ba"):
            raise_alert(session, kind=AlertKind.OUTPUT, message=f"{name}: mất tín hiệu.",
                        detail="ộ" * 4000, now=ctx.now())  # fmt: skip
    payload = uploads.alert_payload

    def newer(alert: Alert) -> dict[str, Any]:
        sent = payload(alert)
        return sent | {"kind": "amplifier_hot"} if alert.message.startswith("Hai") else sent

    monkeypatch.setattr(uploads, "alert_payload", newer)
    try:
        edge.upload_once()
        edge.upload_once()  # nothing left to send: the refused one is not sent again
    finally:
        edge.engine.dispose()
        web.stop()
        strict.stop()
    with session_scope(ctx.sessions) as session:
        shown = sorted(a.message for a in session.scalars(select(Alert)))
    assert shown == [f"Máy phát {PLAYER}: Ba: mất tín hiệu.",
                     f"Máy phát {PLAYER}: Một: mất tín hiệu."]  # fmt: skip
    with session_scope(edge.sessions) as session:
        by = {a.message.split(":")[0]: a.cleared_by for a in session.scalars(select(Alert))}
    assert by == {"Cũ": uploads.BEFORE_UPLOADS, "Một": uploads.SENT_TO_SERVER,
                  "Hai": uploads.REFUSED_BY_SERVER, "Ba": uploads.SENT_TO_SERVER}  # fmt: skip


def edge_log(edge: Any) -> list[AirLog]:
    with session_scope(edge.sessions) as session:
        return list(session.scalars(select(AirLog).order_by(AirLog.seq)))


@pytest.mark.databases()
def test_an_emergency_carries_its_audio_to_a_player_cut_off_from_its_server(
    ctx: StationContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the server down and the broker up, the player airs the audio the call carries; a
    long call names its audio and the player fetches it; a stop made after the server restarted
    ends the player's repeats; a carried file that is not the one named is refused, and the
    right one fetched."""
    from playlists.emergencies import service as ctx_emergencies
    from playlists.emergencies.models import Emergency, EmergencyStatus
    from scheduler.edge import messages
    from scheduler.edge.bus import Bus
    from scheduler.edge.player import EdgePlayer, PlayerConfig
    from scheduler.edge.relay import Relay, WardLink
    from tests.conftest import add_zone_and_slot, send_emergency

    with session_scope(ctx.sessions) as session:
        token = player_account(session, ctx)
        add_zone_and_slot(session)
    code = ctx.settings.station_code

    def aired() -> list[AirLog]:
        return [r for r in edge_log(edge) if r.source == AirSource.EMERGENCY]

    with ExitStack() as running:
        broker = Broker(tmp_path / "broker").start()
        running.callback(broker.stop)
        on_broker: dict[str, Any] = {"mqtt_url": broker.url, "station_code": code,
                                     "player_heartbeat_s": 1.0}  # fmt: skip
        web = LiveWeb(ctx).start()
        running.callback(web.stop)

        def the_server_relay() -> Relay:
            return Relay(
                ctx.settings.model_copy(update=on_broker),
                lambda: [WardLink("local", code, ctx.sessions, ctx.settings.media_dir)],
                ctx.clock,
            )

        relay = the_server_relay()
        relay.start()
        running.callback(relay.stop)
        here = Settings(data_dir=tmp_path / "player", tts_engines=("offline",), output="file",
                        **on_broker)  # fmt: skip
        edge = EdgePlayer(PlayerConfig(server=web.url, token=token, name=PLAYER), here)
        edge.start()
        running.callback(edge.stop)
        ear = Bus(broker.url, "test-ear")
        ear.start()
        running.callback(ear.stop)
        bus = edge.bus
        assert bus is not None
        wait_for(lambda: edge.state.get("last_sync_at") is not None and bus.connected.is_set(),
                 timeout=60)  # fmt: skip

        # 1. The server goes down; the broker stays. The call brings its audio along.
        web.stop()
        first = send_emergency(ctx, text="Khẩn cấp: nước dâng, người dân khu trũng lên cao.")
        wait_for(lambda: len(aired()) == 1, timeout=60)

        # 2. A call too long to carry its audio: fetched once the server is back.
        monkeypatch.setattr(messages, "INLINE_AUDIO_MAX_BYTES", 1000)
        web.start()
        received = edge.link.received
        second = send_emergency(ctx, text="Khẩn cấp: tạm dừng cấp nước khu phố hai từ mười giờ.")
        wait_for(lambda: len(aired()) == 2, timeout=60)
        with session_scope(ctx.sessions) as session:
            asked = session.get(Emergency, second)
            assert asked is not None
            size = (ctx.settings.media_dir / asked.audio_file).stat().st_size
        assert edge.link.received - received >= size, "the player fetched it from the server"

        # 3. A repeating call, then the server restarts (a new relay), then staff stop it:
        # the stop reaches the player, whose repeats end.
        repeating = send_emergency(ctx, text="Khẩn cấp: cắt điện khu phố một từ tám giờ.",
                                   repeat=3, every_min=10)  # fmt: skip
        wait_for(lambda: len(aired()) == 3, timeout=60)
        relay.stop()
        relay = the_server_relay()
        relay.start()
        running.callback(relay.stop)
        with ctx.unit_of_work() as session:
            act_as(session, Role.OPERATOR)
            ctx_emergencies.cancel(session, repeating)
        local = edge.state.get("taken")[str(repeating)]

        def at_the_player() -> Emergency:
            with session_scope(edge.sessions) as session:
                found = session.get(Emergency, local)
                assert found is not None
                return found

        wait_for(lambda: at_the_player().status == EmergencyStatus.CANCELLED, timeout=30)
        assert at_the_player().next_at is None and at_the_player().plays_done == 1

        # 4. A call whose carried audio is not the file it names (here sent by hand, as a
        # corrupted or forged message would be): refused, and the right file fetched.
        relay.stop()
        third = send_emergency(ctx, text="Khẩn cấp: đường Lê Lợi ngập, xin đi đường khác.")
        with session_scope(ctx.sessions) as session:
            asked = session.get(Emergency, third)
            assert asked is not None
            call = messages.EmergencyCall(
                id=asked.id, title=asked.title, sha256=asked.audio_sha256,
                duration_s=asked.duration_s, sent_at=ctx.now(),
                audio=base64.b64encode(b"RIFF not this file").decode(),
            )  # fmt: skip
        wait_for(ear.connected.is_set, timeout=30)
        ear.publish(messages.topic(code, messages.EMERGENCY), call.model_dump_json().encode())
        wait_for(lambda: len(aired()) == 4, timeout=60)
    rows = aired()  # each aired whole (a cut or failed airing is not "played")
    assert [r.status for r in rows] == [AirStatus.PLAYED] * 4, [r.reason for r in rows]
    with session_scope(ctx.sessions) as session:
        named = session.get(Emergency, third)
        assert named is not None
    held = here.media_dir / f"emergencies/server-{named.audio_sha256[:16]}.wav"
    assert hashlib.sha256(held.read_bytes()).hexdigest() == named.audio_sha256
    assert first < second < repeating < third
