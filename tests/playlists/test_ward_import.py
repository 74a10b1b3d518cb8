"""A station made by the release before wards (tests/fixtures/station_0011.sql) becomes a ward.

Two paths, both from that database: opened as it is, it becomes the home ward of its own
database (SQLite, in place); moved with `loa ward import`, it becomes one ward of a city's
PostgreSQL database, its people merged into the city's, its chains verified.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select

from playlists.accounts import service as accounts
from playlists.accounts.actor import Origin
from playlists.accounts.models import User, WebSession
from playlists.accounts.roles import Role
from playlists.asrun import ledger
from playlists.bulletins.models import Bulletin
from playlists.core.clock import SystemClock
from playlists.core.db import HOME_WARD, current_revision, head_revision, make_engine, session_scope
from playlists.core.settings import AccountSettings
from playlists.wards.models import Ward
from tests.people import add_person
from tests.web.test_cli import run
from web.context import StationContext
from web.settings import Settings

RELEASE = Path(__file__).parent.parent / "fixtures" / "station_0011.sql"
LAST_SEQ = 4  # as-run rows in the release's database
PEOPLE = {"bientap": "soan-tin-mau-1", "duyet": "lanh-dao-mau-2", "quantri": "he-thong-mau-5"}


def release_station(folder: Path) -> Path:
    """A data folder holding the release's database (and one audio file in media/)."""
    folder.mkdir(parents=True)
    with sqlite3.connect(folder / "loa.db") as connection:
        connection.executescript(RELEASE.read_text(encoding="utf-8"))
    (folder / "media" / "tts").mkdir(parents=True)
    (folder / "media" / "tts" / "mau.wav").write_bytes(b"RIFF-not-really-audio")
    return folder


def signs_in(ctx: StationContext, username: str, password: str) -> bool:
    with session_scope(ctx.sessions) as session:
        result = accounts.sign_in(
            session, username, password, address="127.0.0.1", origin=Origin.WEB,
            settings=AccountSettings(), now=SystemClock().now(),
        )  # fmt: skip
        return result.user is not None


def test_the_releases_database_opens_as_the_home_ward_with_everything_kept(
    tmp_path: Path,
) -> None:
    data = release_station(tmp_path / "old")
    assert current_revision(make_engine(f"sqlite:///{data / 'loa.db'}")) == "0011_players"
    ctx = StationContext.create(Settings(data_dir=data, tts_engines=("offline",), output="file"))
    try:
        assert current_revision(ctx.engine) == head_revision()
        with session_scope(ctx.sessions) as session:
            (ward,) = session.scalars(select(Ward)).all()
            assert (ward.code, ward.schema_name) == (HOME_WARD, "")
            # The open sign-in session works on, for the home ward.
            assert {row.ward for row in session.scalars(select(WebSession))} == {HOME_WARD}
            assert len(accounts.list_users(session)) == 5
            assert ledger.AIRLOG.verify(session).ok
        assert all(signs_in(ctx, name, password) for name, password in PEOPLE.items())
    finally:
        ctx.stop()


@pytest.mark.databases("postgresql")
def test_the_releases_station_moves_into_a_ward_of_a_city(
    ctx: StationContext, tmp_path: Path
) -> None:
    data = release_station(tmp_path / "old")
    env = {"LOA_DATABASE_URL": ctx.settings.db_url}
    city_dir = ctx.settings.data_dir
    with session_scope(ctx.sessions) as session:  # the city already has a "quantri"
        add_person(session, "quantri", Role.ADMIN)
    # A username the city has: refused, and nothing is made.
    refused = run(city_dir, "ward", "import", "phuc-xa", "--name", "Phường Phúc Xá",
                  "--from", str(data), env=env)  # fmt: skip
    assert refused.returncode == 2 and "quantri" in refused.stderr
    assert "--suffix" in refused.stderr
    assert "ward_phuc_xa" not in inspect(ctx.root_engine).get_schema_names()
    moved = run(city_dir, "ward", "import", "phuc-xa", "--name", "Phường Phúc Xá",
                "--from", str(data), "--suffix", ".phucxa", env=env)  # fmt: skip
    assert moved.returncode == 0, moved.stderr
    assert f"dòng cuối số {LAST_SEQ}" in moved.stdout
    assert "quantri đổi thành quantri.phucxa" in moved.stdout
    ward = ctx.for_ward("phuc-xa")
    source = make_engine(f"sqlite:///{data / 'loa.db'}")
    with session_scope(ward.sessions) as session, source.connect() as old:
        for table in ("bulletins", "plan_items", "day_plans", "renderings", "audit_log"):
            model_count = session.execute(
                select(func.count()).select_from(Bulletin.metadata.tables[table])
            ).scalar()
            assert (
                model_count
                == old.execute(
                    select(func.count()).select_from(Bulletin.metadata.tables[table])
                ).scalar()
            ), table
        assert ledger.AIRLOG.verify(session).last_seq == LAST_SEQ
        # Each bulletin's author is still the same person, by their new id.
        for bulletin in session.scalars(select(Bulletin).where(Bulletin.author_id.is_not(None))):
            author = session.get(User, bulletin.author_id)
            assert author is not None and author.username == "bientap"
        assert {u.username for u in accounts.list_users(session)} == {
            "bientap", "duyet", "vanhanh", "baocao", "quantri.phucxa"
        }  # fmt: skip
    with session_scope(ctx.sessions) as session:  # the home ward gained nobody
        assert [u.username for u in accounts.list_users(session)] == ["quantri"]
    assert signs_in(ward, "quantri.phucxa", PEOPLE["quantri"])
    assert signs_in(ward, "duyet", PEOPLE["duyet"])
    assert (ward.settings.media_dir / "tts" / "mau.wav").read_bytes() == b"RIFF-not-really-audio"
    listed = run(city_dir, "ward", "list", env=env)
    assert "phuc-xa" in listed.stdout and "Phường Phúc Xá — 5 người dùng" in listed.stdout
