"""The players page: a player replaced or gone for good is taken off the list by an operator.

Retiring one ends the alerts about it (the one already showing is cleared) and is in the
audit trail; one still connected is refused, since its next heartbeat would list it again;
and the broker's repeat of its last word ("gone") at the next connect does not bring it back,
though a "gone" from a player never listed lists it, silent.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from playlists.accounts.roles import Role
from playlists.alerts.models import Alert, AlertKind
from playlists.alerts.service import raise_alert
from playlists.audit.service import history
from playlists.core.db import session_scope
from playlists.replica import fleet
from playlists.replica.models import Player
from tests.people import add_person
from tests.web.conftest import sign_in
from web.app import create_app
from web.context import StationContext

pytestmark = pytest.mark.databases()


@pytest.fixture
def client(ctx: StationContext) -> Iterator[TestClient]:
    with session_scope(ctx.sessions) as session:
        add_person(session, "vanhanh", Role.OPERATOR)
        now = ctx.now()
        for name, online, seen in (("may-cu", False, now - timedelta(days=3)),
                                   ("may-moi", True, now)):  # fmt: skip
            fleet.record(session, fleet.PlayerStatus(name=name), now=seen)
            if not online:
                fleet.record(session, fleet.PlayerStatus(name=name, online=False), now=now)
        raise_alert(session, kind=AlertKind.PLAYER, message="Máy phát may-cu mất liên lạc.",
                    now=now)  # fmt: skip
        raise_alert(session, kind=AlertKind.AUDIO, now=now,
                    message="Máy phát may-cu: Cụm 1: không đọc được tệp âm thanh.")  # fmt: skip
    with TestClient(create_app(ctx, run_scheduler=False)) as client:
        sign_in(client, "vanhanh")
        yield client


def listed(ctx: StationContext) -> list[str]:
    with session_scope(ctx.sessions) as session:
        return [p.name for p in fleet.players(session)]


def test_an_operator_takes_a_silent_player_off_the_list(
    ctx: StationContext, client: TestClient
) -> None:
    page = client.get("/may-phat").text
    assert page.count("Gỡ khỏi danh sách") == 1  # the silent one only
    done = client.post("/may-phat/may-cu/go", follow_redirects=True)
    assert "Đã gỡ máy phát may-cu khỏi danh sách" in done.text
    assert listed(ctx) == ["may-moi"]
    with session_scope(ctx.sessions) as session:
        alerts = {a.kind: a for a in session.scalars(select(Alert))}
        # The worry about it is dealt with; what it reported of its loudspeakers stays.
        assert alerts[AlertKind.PLAYER].cleared_by and alerts[AlertKind.AUDIO].cleared_at is None
        (trail,) = history(session, "player", "may-cu")
        assert trail.summary == "Gỡ máy phát may-cu khỏi danh sách"
        # The broker repeats its last word ("gone") when the relay connects again.
        assert fleet.record(session, fleet.PlayerStatus(name="may-cu", online=False),
                            now=ctx.now()) is None  # fmt: skip
        assert session.get(Player, "may-cu") is None
    assert listed(ctx) == ["may-moi"]
    # Its next heartbeat, were it to come back, lists it again.
    with session_scope(ctx.sessions) as session:
        fleet.record(session, fleet.PlayerStatus(name="may-cu"), now=ctx.now())
    assert listed(ctx) == ["may-cu", "may-moi"]


def test_a_connected_player_is_not_taken_off_and_an_unknown_one_is_said(
    ctx: StationContext, client: TestClient
) -> None:
    refused = client.post("/may-phat/may-moi/go", follow_redirects=True)
    assert "Máy phát may-moi đang kết nối" in refused.text
    assert client.delete("/api/players/may-moi").status_code == 409
    unknown = client.delete("/api/players/khong-co")
    assert unknown.status_code == 404 and "Không có máy phát 'khong-co'" in unknown.text
    assert client.delete("/api/players/may-cu").status_code == 204
    assert listed(ctx) == ["may-moi"]


def test_retiring_a_player_leaves_the_alerts_of_a_name_alike(
    ctx: StationContext, client: TestClient
) -> None:
    with session_scope(ctx.sessions) as session:
        fleet.record(session, fleet.PlayerStatus(name="may_1"), now=ctx.now() - timedelta(days=1))
        fleet.record(session, fleet.PlayerStatus(name="may_1", online=False), now=ctx.now())
        raise_alert(session, kind=AlertKind.PLAYER, message="Máy phát may-1 mất liên lạc.",
                    now=ctx.now())  # fmt: skip
    assert client.delete("/api/players/may_1").status_code == 204
    with session_scope(ctx.sessions) as session:
        other = session.scalars(select(Alert).where(Alert.message.contains("may-1"))).one()
        assert other.cleared_at is None  # "_" is not a wildcard


def test_a_player_first_heard_gone_is_listed_as_silent(ctx: StationContext) -> None:
    # It ran while the server was away and died: the broker's first word of it is its will.
    with session_scope(ctx.sessions) as session:
        heard = fleet.record(session, fleet.PlayerStatus(name="may-la", online=False),
                             now=ctx.now())  # fmt: skip
        assert heard is not None and heard.last_seen_at is None
        assert fleet.is_silent(heard, now=ctx.now(), silent_after=timedelta(minutes=1))
    assert listed(ctx) == ["may-la"]
