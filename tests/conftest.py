"""Shared fixtures: a real station on a temporary data folder, migrated like production.

Tests speak with the offline engine (espeak-ng): they never need the internet. The gTTS
adapter is tested against recorded responses in tests/audio.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from playlists.db import session_scope
from playlists.models import Slot, Zone
from playlists.settings import Settings
from web.context import StationContext


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a station in a temporary folder, speaking offline, airing to files."""
    return Settings(
        data_dir=tmp_path / "data",
        tts_engines=("offline",),
        output="file",
    )


@pytest.fixture
def ctx(settings: Settings) -> Iterator[StationContext]:
    """A migrated station (scheduler not started)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    context = StationContext.create(settings)
    yield context
    context.stop()


@pytest.fixture
def session(ctx: StationContext) -> Iterator[Session]:
    """A session on the station's database, committed at the end."""
    with session_scope(ctx.sessions) as s:
        yield s


def add_zone_and_slot(
    session: Session,
    *,
    zone: str = "Cụm 1",
    slot: str = "Sáng",
    start: time = time(5, 30),
    minutes: int = 30,
) -> tuple[Zone, Slot]:
    """Add a zone and an every-day slot on it."""
    z = Zone(name=zone)
    s = Slot(name=slot, start=start, duration_s=minutes * 60, days="1234567", zones=[z])
    session.add_all([z, s])
    session.flush()
    return z, s
