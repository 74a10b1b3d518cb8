"""A web client on a real station (real database, real offline speech, scheduler off)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from playlists.db import session_scope
from tests.conftest import add_zone_and_slot
from web.app import create_app
from web.context import StationContext


@pytest.fixture
def client(ctx: StationContext) -> Iterator[TestClient]:
    with session_scope(ctx.sessions) as session:
        add_zone_and_slot(session)
    with TestClient(create_app(ctx, run_scheduler=False)) as test_client:
        yield test_client
