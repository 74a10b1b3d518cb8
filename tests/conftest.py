"""Shared fixtures: a real station on a temporary data folder, migrated like production.

Tests speak with the offline engine (espeak-ng): they never need the internet. The gTTS
adapter is tested against recorded responses in tests/audio.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from playlists.core.db import session_scope
from playlists.slots.models import Slot, Zone
from web.context import StationContext
from web.settings import Settings


def _is_loopback(host: object) -> bool:
    return host in ("localhost", "::1", b"localhost") or str(host).startswith("127.")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keep every test off the internet: loopback only, and any outside lookup fails the test.

    Lookups get the error an offline machine gives (so code under test behaves as offline), and
    the test fails afterwards, so a leak can never pass unnoticed or hang CI on DNS.
    """
    leaks: list[str] = []
    connect, lookup = socket.socket.connect, socket.getaddrinfo

    def guarded_connect(self: socket.socket, address: Any, *args: Any, **kwargs: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            leaks.append(f"connect {address!r}")
            raise OSError(f"tests must not touch the network (tried {address!r})")
        return connect(self, address, *args, **kwargs)

    def guarded_lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _is_loopback(host):
            leaks.append(f"lookup {host!r}")
            raise socket.gaierror(socket.EAI_NONAME, f"tests must not look up {host!r}")
        return lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_lookup)
    yield
    assert not leaks, f"the test tried to reach the internet: {leaks}"


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
