"""A web client on a real station (real database, real offline speech, scheduler off)."""

from __future__ import annotations

import shutil
import threading
import time as _time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, sync_playwright

from playlists.accounts.passwords import csrf_token
from playlists.accounts.roles import Role
from playlists.core.db import session_scope
from tests.conftest import add_zone_and_slot
from tests.icecast_server import free_port
from tests.people import PASSWORD, add_person
from web.app import create_app
from web.auth import COOKIE, CSRF_HEADER
from web.context import StationContext
from web.settings import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The web tests' station lets one person write and approve (most tests drive a whole
    workflow through one client); tests/web/test_permissions.py keeps the four-eyes rule."""
    return settings.model_copy(update={"allow_self_approval": True})


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> None:
    """Sign `client` in; its later changes carry the session's CSRF token as a header."""
    answer = client.post(
        "/dang-nhap", data={"username": username, "password": password}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    client.headers[CSRF_HEADER] = csrf_token(client.cookies[COOKIE])


def browser_sign_in(page: Page, server: str, username: str, password: str = PASSWORD) -> None:
    """Sign in on the sign-in page as a person would (signing out whoever was in first)."""
    page.context.clear_cookies()
    page.goto(f"{server}/dang-nhap")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("#sign-in-form button[type=submit]")
    page.wait_for_selector("#who")


@pytest.fixture
def client(ctx: StationContext) -> Iterator[TestClient]:
    """A client signed in as a user holding every role."""
    with session_scope(ctx.sessions) as session:
        add_zone_and_slot(session)
        add_person(session, "tester", *Role)
    with TestClient(create_app(ctx, run_scheduler=False)) as test_client:
        sign_in(test_client, "tester")
        yield test_client


CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]  # fmt: skip


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Chromium is installed by `bash scripts/install.sh --dev`"
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def server(station: StationContext) -> Iterator[str]:
    """A real uvicorn server whose app starts the real scheduler; each module sets `station`."""
    port = free_port()
    config = uvicorn.Config(create_app(station), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = _time.monotonic() + 30
    while not srv.started:
        assert _time.monotonic() < deadline, "server did not start"
        _time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=30)
