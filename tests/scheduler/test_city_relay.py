"""A city's server relays for every ward it can hold, woken by PostgreSQL's notifications.

Real PostgreSQL (the wards' schemas), a real mosquitto, and a listener on the broker standing
in for the players: a city emergency comes out on each ward's own topic, carrying its audio;
a ward whose own station runs elsewhere (it holds the ward's lock) is left to it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from playlists.accounts.actor import Actor, Origin, bind
from playlists.accounts.roles import Role
from playlists.core.db import session_scope
from playlists.emergencies.service import EmergencyDraft
from playlists.wards.service import add_ward
from scheduler.edge.bus import Bus
from scheduler.lock import StationLock
from tests.conftest import add_zone_and_slot
from tests.mqtt_broker import Broker
from web.city import send_to_wards
from web.context import StationContext
from web.settings import Settings

pytestmark = pytest.mark.databases("postgresql")

OPERATOR = Actor(None, "dieuhanh.tp", "Điều hành TP", frozenset({Role.CITY_OPERATOR}), Origin.CLI)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    started = Broker(tmp_path / "broker").start()
    yield started
    started.stop()


class Ear:
    """Everything published under loa/, by topic."""

    def __init__(self, url: str) -> None:
        self.heard: dict[str, list[dict[str, object]]] = {}
        self._lock = threading.Lock()
        self.bus = Bus(url, "test-ear", subscriptions=("loa/#",), on_message=self._heard)

    def _heard(self, topic: str, payload: bytes) -> None:
        with self._lock:
            self.heard.setdefault(topic, []).append(json.loads(payload))

    def wait_for(self, topics: set[str], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if topics <= set(self.heard):
                    return
            time.sleep(0.05)
        raise AssertionError(f"not heard: {topics - set(self.heard)}")


def city_server(settings: Settings, broker: Broker, **more: object) -> StationContext:
    """A city's server (its players' relay on `broker`), not started."""
    return StationContext.create(
        settings.model_copy(update={"air_at": "players", "mqtt_url": broker.url, **more})
    )


def ward_with_a_zone(ctx: StationContext, code: str, name: str) -> tuple[StationContext, int]:
    """Add a ward, as `loa ward add` does, with a zone and a slot; its context and zone id."""
    add_ward(ctx.root_engine, code, name)
    ward = ctx.for_ward(code)
    with session_scope(ward.sessions) as session:
        zone, _slot = add_zone_and_slot(session)
        return ward, zone.id


def test_one_server_relays_a_city_emergency_to_each_wards_players(
    settings: Settings, broker: Broker
) -> None:
    ctx = city_server(settings, broker, station_code="thanh-pho")
    for code in ("phuong-a", "phuong-b", "phuong-c"):
        ward_with_a_zone(ctx, code, f"Phường {code[-1].upper()}")
    # Ward C's own station runs elsewhere: it holds C's lock, the city's server leaves C be.
    own_c = StationLock(ctx.for_ward("phuong-c").engine, settings.data_dir)
    own_c.acquire()
    ear = Ear(broker.url)
    ear.bus.start()
    try:
        assert ctx.serves_city
        ctx.start()
        assert ctx.station.relay is not None
        assert ctx.station.relay.ward_codes == ["local", "phuong-a", "phuong-b"]
        sent = send_to_wards(
            ctx, OPERATOR, EmergencyDraft(requested_by="TP", text="Thử báo động toàn thành phố."),
            ["phuong-a", "phuong-b", "phuong-c"],
        )  # fmt: skip
        assert all(s.emergency_id == 1 for s in sent), sent
        ear.wait_for({"loa/phuong-a/emergency", "loa/phuong-b/emergency"})
        calls = ear.heard["loa/phuong-a/emergency"] + ear.heard["loa/phuong-b/emergency"]
        assert {c["sha256"] for c in calls} == {calls[0]["sha256"]}  # one rendering for all
        for call in calls:  # each carries the file itself: no player asks the server for it
            assert isinstance(call["audio"], str)
            assert hashlib.sha256(base64.b64decode(call["audio"])).hexdigest() == call["sha256"]
        time.sleep(1)  # ward C's emergency waits for C's own station: not on the broker
        assert "loa/phuong-c/emergency" not in ear.heard
        assert "loa/thanh-pho/emergency" not in ear.heard  # the home ward was not asked
    finally:
        ear.bus.stop()
        ctx.stop()
        own_c.release()


def test_a_ward_added_while_the_server_runs_is_planned_at_once(
    settings: Settings, broker: Broker
) -> None:
    from sqlalchemy import select

    from playlists.planning.models import DayPlan
    from tests.scheduler.helpers import approved_bulletin, wait_for

    ctx = city_server(settings, broker, player_heartbeat_s=1.0)
    try:
        ctx.start()
        assert ctx.station.relay is not None
        ward, zone_id = ward_with_a_zone(ctx, "phuong-moi", "Phường Mới")

        def planned() -> list[object]:
            with session_scope(ward.sessions) as session:
                return list(session.scalars(select(DayPlan.day)))

        wait_for(lambda: ward.today() in planned(), timeout=30)
        # Its day is planned: what its staff approve today is planned in it at once (the
        # reaction to an approval rebuilds the plans that exist), not at the evening build.
        approved_bulletin(ward, zone_id, "Phường Mới tiếp nhận hồ sơ trực tuyến.")
        assert ward.today() in ward.replan()
    finally:
        ctx.stop()


def test_the_citys_new_reading_revoices_every_wards_bulletins_at_once(
    settings: Settings, broker: Broker
) -> None:
    from playlists.bulletins.models import Bulletin
    from playlists.lexicon.service import set_reading
    from tests.conftest import PERSON
    from tests.scheduler.helpers import approved_bulletin, wait_for

    ctx = city_server(settings, broker, refresh_every_min=1440)
    ward, zone_id = ward_with_a_zone(ctx, "phuong-a", "Phường A")
    bulletin = approved_bulletin(ward, zone_id, "Họp TKV số ba lúc bảy giờ tối nay.")

    def spoken() -> str:
        with session_scope(ward.sessions) as session:
            row = session.get(Bulletin, bulletin)
            assert row is not None and row.rendering is not None
            return row.rendering.spoken_text

    assert "tổ khu vực" not in spoken()
    try:
        ctx.start()
        with ctx.unit_of_work() as session:  # the home ward's lexicon page
            bind(session, PERSON)
            set_reading("TKV", "tổ khu vực", session=session, now=ctx.now())
        # Not at the next periodic refresh (a day away here): now.
        wait_for(lambda: "tổ khu vực" in spoken(), timeout=60)
    finally:
        ctx.stop()


def test_a_stop_reaches_the_players_after_the_server_restarted(
    settings: Settings, broker: Broker
) -> None:
    from playlists.emergencies import service as emergencies
    from playlists.emergencies.models import Emergency
    from tests.scheduler.helpers import wait_for

    ctx = city_server(settings, broker)
    ward, _zone = ward_with_a_zone(ctx, "phuong-a", "Phường A")
    ear = Ear(broker.url)
    ear.bus.start()
    try:
        ctx.start()
        draft = EmergencyDraft(requested_by="TP", text="Cắt điện khu phố một từ tám giờ.",
                               repeat=3, every_min=10)  # fmt: skip
        (sent,) = send_to_wards(ctx, OPERATOR, draft, ["phuong-a"])
        assert sent.emergency_id is not None, sent.refusal
        ear.wait_for({"loa/phuong-a/emergency"})
        ctx.stop()  # the server restarts between the hand-over and the stop
        ctx = city_server(settings, broker)
        ctx.start()
        with session_scope(ward.sessions) as session:
            bind(session, OPERATOR)
            emergencies.cancel(session, sent.emergency_id)
        ear.wait_for({"loa/phuong-a/stop"})
        assert ear.heard["loa/phuong-a/stop"] == [{"id": sent.emergency_id}]

        def reason() -> str:
            with session_scope(ward.sessions) as session:
                emergency = session.get(Emergency, sent.emergency_id)
                assert emergency is not None
                return emergency.reason

        wait_for(lambda: reason() == emergencies.STOP_SENT, timeout=10)
        ctx.station.relay.send_due()  # type: ignore[union-attr]  # sent once, not again
        time.sleep(0.5)
        assert len(ear.heard["loa/phuong-a/stop"]) == 1
    finally:
        ear.bus.stop()
        ctx.stop()
