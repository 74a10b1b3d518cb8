"""`loa audit list` and `loa audit verify`, run as a person runs them: real processes."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from playlists.accounts.actor import Actor, Origin, bind, station_actor
from playlists.accounts.roles import Role
from playlists.audit.models import AuditEntry
from playlists.audit.service import record
from playlists.core.db import make_engine, make_session_factory, session_scope
from tests.web.test_cli import run
from tests.web.test_cli_airlog_verify import station  # noqa: F401 - a fixture: `loa init`

LAN = Actor(7, "lan", "Nguyễn Thị Lan", frozenset({Role.ADMIN}), Origin.WEB, "10.0.0.5")
MINH = Actor(9, "minh", "Trần Văn Minh", frozenset({Role.OPERATOR}), Origin.CLI)


def record_changes(data: Path) -> list[AuditEntry]:
    """Three changes around midnight, Hà Nội time: 27/11 23:59, 28/11 05:30, 28/11 06:00."""
    engine = make_engine(f"sqlite:///{data / 'loa.db'}")
    try:
        with session_scope(make_session_factory(engine)) as session:
            bind(session, LAN)
            added = record(
                session, "user_added", subject_kind="user", subject_id="minh",
                summary="Thêm người dùng minh", at=datetime(2026, 11, 27, 16, 59, tzinfo=UTC),
            )  # fmt: skip
            bind(session, MINH)
            cancelled = record(
                session, "slot_cancelled", subject_kind="slot", subject_id=2,
                summary="Hủy khung giờ Sáng ngày 02/12/2026",
                at=datetime(2026, 11, 27, 22, 30, tzinfo=UTC),
            )  # fmt: skip
            bind(session, station_actor())
            built = record(
                session, "plan_built", subject_kind="plan", subject_id="2026-11-29",
                summary="Lập lịch phát ngày 29/11/2026",
                at=datetime(2026, 11, 27, 23, 0, tzinfo=UTC),
            )  # fmt: skip
            return [added, cancelled, built]
    finally:
        engine.dispose()


def tamper(data: Path, statement: str) -> None:
    """Edit the file as someone who has it would: drop the trail's guard, then change rows."""
    connection = sqlite3.connect(data / "loa.db", isolation_level=None)
    connection.execute("DROP TRIGGER audit_log_no_update")
    connection.execute("DROP TRIGGER audit_log_no_delete")
    connection.execute(statement)
    connection.close()


def test_an_empty_trail_lists_nothing_and_is_intact(station: Path) -> None:  # noqa: F811
    listed = run(station, "audit", "list")
    assert (listed.returncode, listed.stdout) == (
        0,
        "Không có thao tác nào được ghi trong khoảng này.\n",
    )
    verified = run(station, "audit", "verify")
    assert (verified.returncode, verified.stdout) == (0, "Nhật ký thao tác nguyên vẹn: 0 dòng.\n")


def test_the_list_is_a_table_in_the_stations_time(station: Path) -> None:  # noqa: F811
    record_changes(station)
    done = run(station, "audit", "list")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["Thời", "gian", "Người", "dùng", "Vai", "trò", "Từ", "đâu",
                                "Thao", "tác", "Nội", "dung"]  # fmt: skip
    assert lines[1].split("  ")[0] == "27/11/2026 23:59:00"
    assert "lan" in lines[1] and "Quản trị" in lines[1] and "10.0.0.5" in lines[1]
    assert "user_added" in lines[1] and lines[1].endswith("Thêm người dùng minh")
    assert "Kỹ thuật viên vận hành" in lines[2] and "Dòng lệnh" in lines[2]
    assert lines[2].startswith("28/11/2026 05:30:00")
    assert "station" in lines[3] and "Đài tự động" in lines[3]
    assert lines[-1] == "3 thao tác."
    # Columns line up: each row's action starts where the header's does.
    column = lines[0].index("Thao tác")
    assert [line[column:].split()[0] for line in lines[1:4]] == [
        "user_added",
        "slot_cancelled",
        "plan_built",
    ]


def test_the_list_filters_by_local_days_and_user(station: Path) -> None:  # noqa: F811
    record_changes(station)
    day = run(station, "audit", "list", "--from", "2026-11-28", "--to", "2026-11-28")
    assert day.returncode == 0, day.stderr
    assert "slot_cancelled" in day.stdout and "plan_built" in day.stdout
    assert "user_added" not in day.stdout and "2 thao tác." in day.stdout
    before = run(station, "audit", "list", "--to", "2026-11-27")
    assert "user_added" in before.stdout and "1 thao tác." in before.stdout
    minh = run(station, "audit", "list", "--user", "MINH")
    assert "slot_cancelled" in minh.stdout and "1 thao tác." in minh.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-11-29", "--to", "2026-11-28"], "--to phải bằng hoặc sau --from"),
        (["--from", "28/11/2026"], "--from “28/11/2026” không phải ngày hợp lệ"),
    ],
)
def test_a_wrong_window_is_refused(
    station: Path,  # noqa: F811
    args: list[str],
    message: str,
) -> None:
    done = run(station, "audit", "list", *args)
    assert done.returncode == 2 and message in done.stderr


def test_verify_prints_the_anchor_and_fails_on_tampering(station: Path) -> None:  # noqa: F811
    entries = record_changes(station)
    done = run(station, "audit", "verify")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "Nhật ký thao tác nguyên vẹn: 3 dòng.",
        f"Dòng cuối: số 3, mã băm {entries[-1].row_hash}",
    ]
    assert run(station, "audit", "verify", "--anchor", f"3:{entries[-1].row_hash}").returncode == 0
    assert run(station, "audit", "verify", "--anchor", "3:abc").returncode == 2

    tamper(station, "UPDATE audit_log SET username = 'lan' WHERE seq = 2")
    broken = run(station, "audit", "verify")
    assert broken.returncode == 1
    assert "Nhật ký thao tác KHÔNG nguyên vẹn" in broken.stderr
    assert f"dòng số 2 (id {entries[1].id}), lúc 05:30:00 ngày 28/11/2026" in broken.stderr
    assert "đã bị sửa sau khi ghi" in broken.stderr and "1 dòng đầu" in broken.stderr
    assert run(station, "airlog", "verify").returncode == 0, "the as-run log is another chain"


def test_a_deleted_entry_fails_verify(station: Path) -> None:  # noqa: F811
    record_changes(station)
    tamper(station, "DELETE FROM audit_log WHERE seq = 1")
    done = run(station, "audit", "verify")
    assert done.returncode == 1 and "thiếu dòng số 1: đã bị xóa" in done.stderr
