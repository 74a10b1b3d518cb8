"""Edges found in review: odd input, odd machines, rollbacks before any SQL."""

from __future__ import annotations

import getpass
import subprocess
import sys
import time as _time
import urllib.request
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from playlists.core import changes
from playlists.core.changes import Change
from playlists.core.db import make_engine, make_session_factory, shown_url
from tests.icecast_server import free_port
from tests.scheduler.test_processes import environment
from web.context import StationContext, at_this_machine


def test_without_a_login_name_the_request_is_the_uid_s(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_login() -> str:
        raise KeyError("getpwuid(): uid not found: 1000")

    monkeypatch.setattr(getpass, "getuser", no_login)
    assert at_this_machine().startswith("uid ")


def test_a_backwards_window_in_the_api_names_the_field_as_sent(client: TestClient) -> None:
    backwards = client.get("/api/airlog", params={"from": "2026-12-03", "to": "2026-12-01"})
    assert backwards.status_code == 422
    assert backwards.json()["errors"] == {"to": "Ngày kết thúc phải bằng hoặc sau ngày bắt đầu."}


@pytest.mark.parametrize("odd", ["²", "-1", "3.5", "hai"])
def test_odd_numbers_in_the_log_page_address_show_the_page(client: TestClient, odd: str) -> None:
    for params in ({"trang": odd}, {"cum": odd}):
        assert client.get("/nhat-ky", params=params).status_code == 200
    assert client.get("/nhat-ky.csv", params={"cum": odd}).status_code == 200


def test_a_change_noted_before_any_sql_is_forgotten_on_rollback() -> None:
    session = make_session_factory(make_engine("sqlite://"))()
    changes.note(session, Change.PLANS)
    session.rollback()
    assert changes.take(session) == set()
    session.close()


def test_an_in_memory_database_opens() -> None:
    engine = make_engine("sqlite://")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1


def test_printed_database_addresses_hide_the_password() -> None:
    shown = shown_url("postgresql+psycopg://loa:Bí-mật-123@127.0.0.1:5432/loa")
    assert "Bí-mật-123" not in shown and shown.endswith("loa:***@127.0.0.1:5432/loa")


def test_loa_serve_listens_on_an_ipv6_address(ctx: StationContext, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "loa"), "serve", "--host", "::1", "--port", str(port)],
        env=environment(ctx), stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = _time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(f"http://[::1]:{port}/dang-nhap", timeout=2) as page:
                    assert page.status == 200
                    break
            except OSError:
                assert _time.monotonic() < deadline, log.read_text()
                _time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=60)
