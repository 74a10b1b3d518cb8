"""A web client on a real station (real database, real offline speech, scheduler off)."""

from __future__ import annotations

import shutil
import threading
import time as _time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, sync_playwright

from playlists.core.db import session_scope
from tests.conftest import add_zone_and_slot
from tests.icecast_server import free_port
from web.app import create_app
from web.context import StationContext


@pytest.fixture
def client(ctx: StationContext) -> Iterator[TestClient]:
    with session_scope(ctx.sessions) as session:
        add_zone_and_slot(session)
    with TestClient(create_app(ctx, run_scheduler=False)) as test_client:
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
