"""Moving a station to another database: every row, every id, the as-run chain intact."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from playlists.alerts.models import AlertKind
from playlists.alerts.service import raise_alert
from playlists.asrun import ledger
from playlists.asrun.models import AirSource, AirStatus
from playlists.bulletins.models import Bulletin, BulletinStatus, Rendering, Topic
from playlists.copying import copy_station
from playlists.core.db import make_engine, make_session_factory, session_scope
from playlists.core.errors import StateError
from playlists.lexicon.models import LexiconEntry
from playlists.slots.models import Slot, SlotCancellation, Zone
from playlists.tables import METADATA
from scheduler.lock import StationLock
from tests.conftest import fresh_postgres
from web.context import StationContext


@pytest.fixture(params=["sqlite", "postgresql"])
def target_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Return an empty database, not migrated, to copy the test's SQLite station into."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'target.db'}"
        return
    yield from fresh_postgres(request, migrated=False)


AT = datetime(2026, 11, 27, 22, 30, tzinfo=UTC)


def fill(ctx: StationContext) -> None:
    """Give the station a bit of everything, and an as-run log of a few rows."""
    with session_scope(ctx.sessions) as session:
        zone = Zone(name="Chợ", description="Loa chợ phường")
        slot = Slot(name="Sáng", start=time(5, 30), duration_s=1800, zones=[zone], head_s=30)
        slot.cancellations.append(SlotCancellation(day=date(2026, 12, 2), reason="Lễ"))
        rendering = Rendering(
            sha256="a" * 64, file="tts/a.wav", engine="espeak-ng", duration_s=12.5,
            loudness_lufs=-16.0, true_peak_db=-1.2, check_misheard=[["phường", "phương"]],
        )  # fmt: skip
        topic = session.scalars(select(Topic).where(Topic.code == 8)).one()
        session.add_all([zone, slot, rendering])
        session.flush()
        session.add(
            Bulletin(
                title="Dịch vụ công", text="Bà con nộp hồ sơ trực tuyến.", topic=topic,
                first_day=date(2026, 11, 27), last_day=date(2026, 12, 27), zones=[zone],
                status=BulletinStatus.APPROVED, rendering=rendering, author="Chị Lan",
            )
        )  # fmt: skip
        session.add(LexiconEntry(written="KDC", spoken="khu dân cư", updated_by="Anh Minh"))
        raise_alert(session, kind=AlertKind.OUTPUT, message="Mất Icecast.", now=AT)
        for n in range(5):
            ledger.append(
                session, zone_id=zone.id, zone_name="Chợ", output="file", slot_name="Sáng",
                bulletin_title=f"Bản tin {n}", status=AirStatus.PLAYED,
                source=AirSource.SCHEDULE, actual_start=AT + timedelta(minutes=n),
                actual_end=AT + timedelta(minutes=n, seconds=40),
            )  # fmt: skip


def counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table.name: connection.execute(select(func.count()).select_from(table)).scalar()
                or 0
                for table in METADATA.sorted_tables
            }
    finally:
        engine.dispose()


def test_every_row_moves_with_its_id_and_the_chain_verifies(
    ctx: StationContext, target_url: str
) -> None:
    fill(ctx)
    target = make_engine(target_url)
    try:
        report = copy_station(ctx.engine, target)
    finally:
        target.dispose()
    before, after = counts(ctx.settings.db_url), counts(target_url)
    assert after == before and before["air_log"] == 5 and before["topics"] == 10
    assert report.rows["air_log"] == 5 and report.last_seq == 5
    with session_scope(ctx.sessions) as session:
        source_chain = ledger.verify(session)
    assert report.last_hash == source_chain.last_hash

    copied = make_engine(target_url)
    try:
        with copied.connect() as connection:
            row = connection.execute(text("SELECT zone_name, seq, row_hash FROM air_log "
                                          "WHERE seq = 5")).one()  # fmt: skip
            assert tuple(row) == ("Chợ", 5, source_chain.last_hash)
        # New rows continue after the copied ids (PostgreSQL's sequences were moved on).
        with session_scope(make_session_factory(copied)) as session:
            zone = Zone(name="Trường học")
            session.add(zone)
            session.flush()
            assert zone.id == 2
            assert (
                ledger.append(
                    session,
                    zone_name="Trường học",
                    status=AirStatus.PLAYED,
                    source=AirSource.MANUAL,
                ).seq
                == 6
            )
    finally:
        copied.dispose()


def test_a_target_that_holds_a_station_is_refused_and_left_alone(
    ctx: StationContext, target_url: str
) -> None:
    fill(ctx)
    target = make_engine(target_url)
    try:
        copy_station(ctx.engine, target)
        before = counts(target_url)
        with pytest.raises(StateError) as refused:
            copy_station(ctx.engine, target)
    finally:
        target.dispose()
    assert "đã có dữ liệu" in refused.value.message and "zones" in refused.value.message
    assert counts(target_url) == before, "nothing was added to it"


def loa_db_copy(ctx: StationContext, target: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOA_")} | {
        "LOA_DATA_DIR": str(ctx.settings.data_dir),
        "LOA_COPY_TO": target,
    }
    return subprocess.run(
        [str(Path(sys.executable).parent / "loa"), "db", "copy"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("target_url", ["postgresql"], indirect=True)
def test_loa_db_copy_moves_a_station_to_postgresql(ctx: StationContext, target_url: str) -> None:
    fill(ctx)
    lock = StationLock(ctx.engine, ctx.settings.data_dir)
    lock.acquire()  # a running station: nothing may be copied while it writes
    try:
        busy = loa_db_copy(ctx, target_url)
    finally:
        lock.release()
    assert busy.returncode == 2 and "Đài đang chạy" in busy.stderr

    done = loa_db_copy(ctx, target_url)
    assert done.returncode == 0, done.stderr
    assert "Nhật ký phát sóng khớp bản gốc: dòng cuối số 5." in done.stdout
    assert counts(target_url) == counts(ctx.settings.db_url)
    again = loa_db_copy(ctx, target_url)
    assert again.returncode == 2 and "chỉ chép vào cơ sở dữ liệu trống" in again.stderr
