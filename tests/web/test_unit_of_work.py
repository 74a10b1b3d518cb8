"""One unit of work per request: committed before the response, one connection, one reaction.

A client told "created" must find the row there; a commit that fails is an error it sees; a
page uses one connection from the web's own pool and never the station's; and what a change
needs afterwards (new plans) happens the same way from a page, the API or the command line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from playlists.bulletins.models import Bulletin
from playlists.core.db import session_scope
from playlists.planning.models import PlanItem
from tests.web.conftest import sign_in
from tests.web.test_api import body
from web.app import create_app
from web.context import StationContext

pytestmark = pytest.mark.databases()


def bulletins(ctx: StationContext) -> int:
    with session_scope(ctx.sessions) as session:
        return session.scalar(select(func.count(Bulletin.id))) or 0


def planned(ctx: StationContext, bulletin_id: int) -> bool:
    tomorrow = ctx.today() + timedelta(days=1)
    with session_scope(ctx.sessions) as session:
        found = session.scalar(
            select(PlanItem.id).where(PlanItem.day == tomorrow, PlanItem.bulletin_id == bulletin_id)
        )
        return found is not None


@pytest.fixture
def quiet_client(client: TestClient, ctx: StationContext) -> Iterator[TestClient]:
    """The same app, answering server errors with a 500 as a real client would see them."""
    with TestClient(create_app(ctx, run_scheduler=False), raise_server_exceptions=False) as c:
        sign_in(c, "tester")
        yield c


def test_a_commit_that_fails_is_an_error_to_the_client(
    quiet_client: TestClient, ctx: StationContext
) -> None:
    def refuse(session: Session) -> None:
        raise RuntimeError("the disk is full")

    event.listen(ctx.web_sessions, "before_commit", refuse)
    try:
        answer = quiet_client.post("/api/bulletins", json=body(ctx, submit=False))
    finally:
        event.remove(ctx.web_sessions, "before_commit", refuse)
    assert answer.status_code == 500, "never 201 for a row that was not saved"
    assert bulletins(ctx) == 0
    created = quiet_client.post("/api/bulletins", json=body(ctx, submit=False))
    assert created.status_code == 201
    assert bulletins(ctx) == 1, "the row is there when the client hears it was created"


def test_a_page_uses_one_connection_from_the_web_pool_and_none_of_the_stations(
    client: TestClient, ctx: StationContext
) -> None:
    assert ctx.web_engine is not ctx.engine
    taken: dict[str, int] = {"web": 0, "station": 0}

    def counter(name: str) -> Any:
        def count(*_args: object) -> None:
            taken[name] += 1

        return count

    web_count, station_count = counter("web"), counter("station")
    event.listen(ctx.web_engine, "checkout", web_count)
    event.listen(ctx.engine, "checkout", station_count)
    try:
        for path in ("/", "/ban-tin", "/lich-phat", "/nhat-ky", "/khung-gio", "/canh-bao"):
            taken["web"] = 0
            assert client.get(path).status_code == 200
            assert taken["web"] == 1, f"{path} took {taken['web']} connections"
    finally:
        event.remove(ctx.web_engine, "checkout", web_count)
        event.remove(ctx.engine, "checkout", station_count)
    assert taken["station"] == 0


def test_an_approval_rebuilds_the_plans_from_the_page_and_from_the_api_alike(
    client: TestClient, ctx: StationContext
) -> None:
    tomorrow = (ctx.today() + timedelta(days=1)).isoformat()
    assert client.post(f"/api/plan/{tomorrow}/build").status_code == 200
    by_api = client.post("/api/bulletins", json=body(ctx, title="Qua API")).json()["id"]
    by_page = client.post("/api/bulletins", json=body(ctx, title="Qua trang")).json()["id"]
    assert not planned(ctx, by_api) and not planned(ctx, by_page)

    client.post(f"/api/bulletins/{by_api}/approve", json={"approver": "Anh Minh"})
    assert planned(ctx, by_api), "the existing plan was rebuilt after the API approval"
    client.post(f"/ban-tin/{by_page}/duyet", data={"approver": "Anh Minh"})
    assert planned(ctx, by_page), "and after the page's"


def test_a_refused_step_changes_nothing_and_rebuilds_nothing(
    client: TestClient, ctx: StationContext
) -> None:
    tomorrow = (ctx.today() + timedelta(days=1)).isoformat()
    client.post(f"/api/plan/{tomorrow}/build")
    draft = client.post("/api/bulletins", json=body(ctx, submit=False)).json()["id"]
    refused = client.post(f"/ban-tin/{draft}/duyet", data={"approver": "Anh Minh"})
    assert "Chỉ duyệt được bản tin đang chờ duyệt" in refused.text
    assert not planned(ctx, draft)


def test_clearing_an_unknown_alert_is_refused_alike_in_the_api_and_the_page(
    client: TestClient,
) -> None:
    refused = client.post("/api/alerts/1/clear")
    assert refused.status_code == 404
    assert "Không có cảnh báo số 1." in client.post("/canh-bao/1/xong").text


def test_loa_emergency_refuses_an_empty_name(ctx: StationContext, tmp_path: Path) -> None:
    env = os.environ | {"LOA_DATA_DIR": str(ctx.settings.data_dir), "LOA_TTS_ENGINES": "offline"}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "loa"), "emergency",
         "--text", "Thông báo khẩn.", "--by", " "],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert "Cần --by TÊN_ĐĂNG_NHẬP" in done.stderr
