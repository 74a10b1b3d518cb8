"""Shared fixtures: a real station on a temporary data folder, migrated like production.

Tests speak with the offline engine (espeak-ng): they never need the internet. The gTTS
adapter is tested against recorded responses in tests/audio.

The station's database is SQLite; tests marked `databases` run a second time on a real
PostgreSQL (tests/postgres_server.py), each on a fresh database of its own.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from datetime import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from playlists.accounts.actor import Actor, Origin, bind
from playlists.accounts.roles import Role
from playlists.core.db import make_engine, migrate, session_scope
from playlists.slots.models import Slot, Zone
from tests.postgres_server import (
    PostgresMissing,
    PostgresServer,
    create_database,
    drop_database,
    find_bin,
)
from web.context import StationContext
from web.settings import Settings

# An already running server for the tests (`.ci/run` starts one); else the session starts one.
POSTGRES_URL = "LOA_TEST_POSTGRES_URL"


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


BOTH = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run the tests marked `databases` on each database named (both when none is)."""
    marker = metafunc.definition.get_closest_marker("databases")
    if "database_kind" in metafunc.fixturenames and marker is not None:
        metafunc.parametrize("database_kind", list(marker.args or BOTH), indirect=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """Return the administration URL of a PostgreSQL server for the tests.

    Fails (never skips) where PostgreSQL is missing: the second database must be tested.
    """
    running = os.environ.get(POSTGRES_URL)
    if running:
        yield running
        return
    try:
        find_bin()
    except PostgresMissing as exc:
        pytest.fail(str(exc))
    server = PostgresServer()
    server.start()
    try:
        yield server.admin_url
    finally:
        server.cleanup()


@pytest.fixture(scope="session")
def postgres_template(postgres: str) -> Iterator[str]:
    """Return a database migrated once, that each test's database is copied from."""
    name = f"loa_template_{os.getpid()}"
    drop_database(postgres, name)
    engine = make_engine(create_database(postgres, name))
    migrate(engine)
    engine.dispose()  # a template must have no connection while it is copied
    yield name
    drop_database(postgres, name)


def fresh_postgres(request: pytest.FixtureRequest, *, migrated: bool = True) -> Iterator[str]:
    """Yield the URL of a database of the test's own, dropped after it."""
    admin: str = request.getfixturevalue("postgres")
    template = request.getfixturevalue("postgres_template") if migrated else None
    name = f"loa_test_{uuid.uuid4().hex[:12]}"
    url = create_database(admin, name, template=template)
    try:
        yield url
    finally:
        drop_database(admin, name)


@pytest.fixture
def database_kind(request: pytest.FixtureRequest) -> str:
    """Return which database the test runs on: "sqlite" unless marked `databases`."""
    kind: str = getattr(request, "param", "sqlite")
    return kind


@pytest.fixture
def database(request: pytest.FixtureRequest, database_kind: str) -> Iterator[str | None]:
    """Return the station's database URL: None for SQLite in the data folder."""
    if database_kind == "sqlite":
        yield None
        return
    yield from fresh_postgres(request)


@pytest.fixture
def empty_database(
    request: pytest.FixtureRequest, database_kind: str, tmp_path: Path
) -> Iterator[str]:
    """Return the URL of an empty database, not migrated (to test the migrations)."""
    if database_kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    yield from fresh_postgres(request, migrated=False)


@pytest.fixture
def settings(tmp_path: Path, database: str | None) -> Settings:
    """Settings for a station in a temporary folder, speaking offline, airing to files."""
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database,
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


# Whose changes the domain tests make: every role, no account behind it (so one person may
# write and approve), from the command line.
PERSON = Actor(None, "nguoi.thu", "Người thử", frozenset(Role), Origin.CLI)


@pytest.fixture
def person(session: Session) -> Actor:
    """Bind `PERSON` to `session`: the domain records each change against the session's
    actor, and refuses a person's change in a session without one."""
    bind(session, PERSON)
    return PERSON


def send_emergency(ctx: StationContext, **draft: Any) -> int:
    """Send an emergency as an operator does from the page: one unit of work, `PERSON` bound
    (the running station is woken after the commit); return its id."""
    from playlists.emergencies.service import EmergencyDraft

    with ctx.unit_of_work() as session:
        bind(session, PERSON)
        asked = {"requested_by": "Trực ban"} | draft
        return ctx.send_emergency(session, EmergencyDraft(**asked)).id


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
