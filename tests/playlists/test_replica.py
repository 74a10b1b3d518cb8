"""What a player keeps and sends: the snapshot of the coming days applied to a player's own
database, as-run rows received once each in the player's order, and when a player worries
the station. The server's side runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from playlists.asrun import ledger
from playlists.asrun.models import AirLog, AirSource, AirStatus
from playlists.core.db import ensure_migrated, make_engine, make_session_factory, session_scope
from playlists.core.errors import InputError
from playlists.planning.models import PlanItem
from playlists.replica import fleet, snapshot
from playlists.replica.models import Player, PlayerUpload
from playlists.replica.uploads import AsRunRow, ingest
from playlists.slots.models import Slot, Zone
from tests.conftest import add_zone_and_slot
from tests.scheduler.helpers import approved_bulletin
from web.context import StationContext

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def player_db(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A player's own database: the station's schema, on SQLite, empty."""
    engine = make_engine(f"sqlite:///{tmp_path / 'player.db'}")
    ensure_migrated(engine)
    yield make_session_factory(engine)
    engine.dispose()


def wire(data: dict[str, object]) -> dict[str, object]:
    """What crosses the network: JSON text, read back."""
    loaded: dict[str, object] = json.loads(json.dumps(data))
    return loaded


def items(sessions: sessionmaker[Session]) -> list[tuple[object, ...]]:
    with session_scope(sessions) as session:
        rows = session.scalars(select(PlanItem).order_by(PlanItem.id))
        return [(r.id, r.day, r.zone_id, r.slot_id, r.planned_start, r.duration_s,
                 r.bulletin_id, r.rendering_id) for r in rows]  # fmt: skip


@pytest.mark.databases()
def test_a_snapshot_makes_the_players_plans_the_servers(
    ctx: StationContext, player_db: sessionmaker[Session]
) -> None:
    with session_scope(ctx.sessions) as session:
        zone, _ = add_zone_and_slot(session, start=time(23, 0), minutes=30)
        zone_id = zone.id
    bulletin = approved_bulletin(ctx, zone_id, "Phường tiếp nhận hồ sơ trực tuyến.", per_day=1)
    today = ctx.today()
    for day in (today, today + timedelta(days=1)):
        ctx.build_plan(day)
    with session_scope(ctx.sessions) as session:
        taken = snapshot.take(session, first_day=today, days=3, now=ctx.now())
        again = snapshot.take(session, first_day=today, days=3, now=ctx.now())
        with pytest.raises(InputError):
            snapshot.take(session, first_day=today, days=0, now=ctx.now())
    assert taken["revision"] == again["revision"], "the same content, the same revision"
    assert [a.file for a in snapshot.audio_of(taken)] and all(
        b["author_id"] is None
        for b in taken["tables"]["bulletins"]  # type: ignore[index]
    ), "audio named; people stay on the server"

    with session_scope(player_db) as session:
        applied = snapshot.apply(session, wire(taken))
    assert applied.days == (today, today + timedelta(days=1))
    assert applied.items == len(items(ctx.sessions)) >= 1
    assert items(player_db) == items(ctx.sessions)
    with session_scope(player_db) as session:  # applying again changes nothing
        snapshot.apply(session, wire(taken))
        slot = session.scalars(select(Slot)).one()
        assert slot.zones[0].name == "Cụm 1" and slot.start == time(23, 0)
    assert items(player_db) == items(ctx.sessions)

    # The server moves the slot and replans: the player's days follow, its ids the server's.
    with session_scope(ctx.sessions) as session:
        session.scalars(select(Slot)).one().start = time(22, 0)
    ctx.replan()
    with session_scope(ctx.sessions) as session:
        moved = snapshot.take(session, first_day=today, days=3, now=ctx.now())
    assert moved["revision"] != taken["revision"]
    with session_scope(player_db) as session:
        snapshot.apply(session, wire(moved))
    assert items(player_db) == items(ctx.sessions)
    assert {i[6] for i in items(player_db)} == {bulletin}


def row(origin: str, n: int, zone_id: int | None = None) -> AsRunRow:
    start = datetime(2026, 12, 4, 1, 0, tzinfo=UTC) + timedelta(minutes=n)
    return AsRunRow(
        origin=origin, zone_id=zone_id, zone_name="Cụm Chợ", bulletin_title=f"Bản tin {n}",
        actual_start=start, actual_end=start + timedelta(seconds=30),
        status=AirStatus.PLAYED, source=AirSource.SCHEDULE,
    )  # fmt: skip


@pytest.mark.databases()
def test_rows_sent_again_are_received_once_in_the_players_order(ctx: StationContext) -> None:
    with session_scope(ctx.sessions) as session:
        zone = Zone(name="Cụm Chợ")
        session.add(zone)
        session.flush()
        zone_id = zone.id
    sent = [row(f"abc:{n}", n, zone_id if n % 2 else 999) for n in range(1, 6)]
    now = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    with session_scope(ctx.sessions) as session:
        assert ingest(session, player="loa-1", rows=sent[:3], now=now) == 3
    with session_scope(ctx.sessions) as session:  # the answer was lost: all five again
        assert ingest(session, player="loa-1", rows=sent, now=now) == 2
    with session_scope(ctx.sessions) as session:
        logged = list(session.scalars(select(AirLog).order_by(AirLog.seq)))
        assert [r.bulletin_title for r in logged] == [f"Bản tin {n}" for n in range(1, 6)]
        # A zone the station does not know (999) is dropped; its name is kept.
        assert [r.zone_id for r in logged] == [zone_id, None, zone_id, None, zone_id]
        assert {r.zone_name for r in logged} == {"Cụm Chợ"}
        uploads = {u.origin: u.seq for u in session.scalars(select(PlayerUpload))}
        assert uploads == {f"abc:{n}": n for n in range(1, 6)}
        assert ledger.verify(session).ok


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=st.lists(st.tuples(st.integers(0, 11), st.integers(1, 6)), min_size=1, max_size=8))
def test_any_retries_leave_each_row_once_in_order(
    batches: list[tuple[int, int]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A player resends from its last acknowledged row: overlaps and repeats of any shape."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('ingest') / 'loa.db'}")
    ensure_migrated(engine)
    sessions = make_session_factory(engine)
    rows = [row(f"p:{n}", n) for n in range(1, 13)]
    acked = 0
    sent_up_to = 0
    for start, length in batches:
        # Each batch starts at or before the first unacknowledged row (a retry), never after.
        first = min(start, acked)
        batch = rows[first : first + length]
        with session_scope(sessions) as session:
            ingest(session, player="p", rows=batch, now=datetime.now(UTC))
        acked = max(acked, first + len(batch))
        sent_up_to = max(sent_up_to, first + len(batch))
    with session_scope(sessions) as session:
        titles = list(session.scalars(select(AirLog.bulletin_title).order_by(AirLog.seq)))
        assert ledger.verify(session).ok
    engine.dispose()
    assert titles == [r.bulletin_title for r in rows[:sent_up_to]]


def player(name: str, **values: object) -> Player:
    return Player(name=name, online=True, outputs=[], pending_rows=0, version="1", **values)


def test_a_player_worries_the_station_when_silent_or_about_to_run_out() -> None:
    now = datetime(2026, 12, 4, 16, 50, tzinfo=UTC)  # 23:50 in Hà Nội
    today = date(2026, 12, 4)
    every = timedelta(minutes=15)
    found = [
        player("tot", last_seen_at=now - timedelta(seconds=3), horizon=today + timedelta(days=1),
               last_sync_at=now),
        player("im-lang", last_seen_at=now - timedelta(seconds=90), horizon=today),
        # Its next syncs, at 23:55 and 00:10, come after its plans end at midnight.
        player("het-lich", last_seen_at=now, horizon=today,
               last_sync_at=now - timedelta(minutes=10)),
        player("vua-du", last_seen_at=now, horizon=today + timedelta(days=1),
               last_sync_at=now - timedelta(minutes=10)),
        # Heartbeats, but no sync for hours (a refused token): its plans will not last.
        player("khong-dong-bo", last_seen_at=now, horizon=today + timedelta(days=1),
               last_sync_at=now - timedelta(hours=3)),
        player("chua-co", last_seen_at=now, horizon=None),
    ]  # fmt: skip
    found.append(player("da-tat", last_seen_at=now))
    found[-1].online = False
    worries = fleet.worries(found, now=now, tz=TZ, silent_after=timedelta(seconds=30),
                            sync_every=every)  # fmt: skip
    said = {w.player: w.message for w in worries}
    assert set(said) == {"im-lang", "het-lich", "chua-co", "da-tat", "khong-dong-bo"}
    assert "không đồng bộ được" in said["khong-dong-bo"]
    assert said["im-lang"] == "Máy phát im-lang mất liên lạc."
    assert "04/12/2026" in said["het-lich"] and "lịch có thể hết" in said["het-lich"]
    # Tomorrow's plan held, synced 10 minutes ago: nothing to worry about.
    assert "vua-du" not in said
