"""`loa airlog verify`, run as a person runs it: a real process on a real data folder."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from playlists.asrun import ledger
from playlists.asrun.models import AirLog, AirSource, AirStatus
from playlists.core.db import make_engine, make_session_factory, session_scope
from tests.web.test_cli import run

START = datetime(2026, 11, 27, 22, 30, tzinfo=UTC)  # 05:30 on 28/11/2026 in Hà Nội


@pytest.fixture
def station(tmp_path: Path) -> Path:
    """A station made by `loa init`, its as-run log still empty."""
    data = tmp_path / "data"
    done = run(data, "init")
    assert done.returncode == 0, done.stderr
    return data


def log_plays(data: Path, count: int) -> list[AirLog]:
    engine = make_engine(f"sqlite:///{data / 'loa.db'}")
    try:
        with session_scope(make_session_factory(engine)) as session:
            return [
                ledger.append(
                    session,
                    zone_name="Cụm 1",
                    bulletin_title=f"Bản tin số {n}",
                    actual_start=START + timedelta(minutes=n, seconds=1),
                    actual_end=START + timedelta(minutes=n, seconds=61),
                    status=AirStatus.PLAYED,
                    source=AirSource.SCHEDULE,
                )
                for n in range(1, count + 1)
            ]
    finally:
        engine.dispose()


def tamper(data: Path, *statements: str) -> None:
    """Edit the file as someone who has it would: drop the guard, then change rows."""
    connection = sqlite3.connect(data / "loa.db", isolation_level=None)
    connection.execute("DROP TRIGGER air_log_no_update")
    connection.execute("DROP TRIGGER air_log_no_delete")
    for statement in statements:
        connection.execute(statement)
    connection.close()


def test_an_empty_log_is_intact(station: Path) -> None:
    done = run(station, "airlog", "verify")
    assert (done.returncode, done.stdout) == (0, "Nhật ký phát sóng nguyên vẹn: 0 dòng.\n")


def test_an_intact_log_says_so_and_prints_its_anchor(station: Path) -> None:
    rows = log_plays(station, 4)
    done = run(station, "airlog", "verify")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "Nhật ký phát sóng nguyên vẹn: 4 dòng.",
        f"Dòng cuối: số 4, mã băm {rows[-1].row_hash}",
    ]
    anchored = run(station, "airlog", "verify", "--anchor", f"4:{rows[-1].row_hash.upper()}")
    assert anchored.returncode == 0, anchored.stderr


def test_a_changed_row_is_named_and_fails(station: Path) -> None:
    rows = log_plays(station, 4)
    tamper(station, "UPDATE air_log SET status = 'played', reason = 'x' WHERE seq = 2")
    done = run(station, "airlog", "verify")
    assert done.returncode == 1
    assert "nguyên vẹn: " not in done.stdout
    assert f"dòng số 2 (id {rows[1].id}), lúc 05:32:01 ngày 28/11/2026" in done.stderr
    assert "đã bị sửa sau khi ghi" in done.stderr
    assert "1 dòng đầu còn nguyên vẹn." in done.stderr


def test_rows_cut_from_the_end_fail_against_the_anchor(station: Path) -> None:
    rows = log_plays(station, 4)
    anchor = f"4:{rows[-1].row_hash}"
    tamper(station, "DELETE FROM air_log WHERE seq = 4")
    assert run(station, "airlog", "verify").returncode == 0, "the chain alone cannot tell"
    done = run(station, "airlog", "verify", "--anchor", anchor)
    assert done.returncode == 1
    assert "dòng số 4:" in done.stderr and "các dòng cuối đã bị xóa" in done.stderr


def test_a_malformed_anchor_is_refused(station: Path) -> None:
    done = run(station, "airlog", "verify", "--anchor", "4:abc")
    assert done.returncode == 2
    assert "SỐ:MÃ_BĂM" in done.stderr
