"""The audit trail: bound to who acts, chained like the as-run log, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from playlists.accounts.actor import Actor, Origin, bind, station_actor
from playlists.accounts.roles import Role
from playlists.asrun import ledger
from playlists.asrun.models import AirSource, AirStatus
from playlists.audit import service as audit
from playlists.audit.export import audit_csv, audit_filename
from playlists.audit.models import AuditEntry
from playlists.copying import CopyReport, copy_station
from playlists.core.chain import VerifyResult
from playlists.core.db import make_engine, make_session_factory, session_scope
from playlists.core.errors import InputError, StateError
from tests.playlists.test_copying import (  # noqa: F401 - target_url is a fixture
    counts,
    fill,
    target_url,
)
from tests.playlists.test_ledger import Intruder, db_path
from web.context import StationContext
from web.settings import Settings

pytestmark = pytest.mark.databases()

AT = datetime(2026, 11, 27, 22, 30, tzinfo=UTC)  # 05:30 on 28/11/2026 in Hà Nội

LAN = Actor(
    7, "lan", "Nguyễn Thị Lan", frozenset({Role.EDITOR, Role.APPROVER}), Origin.WEB, "10.0.0.5"
)
MINH = Actor(9, "minh", "Trần Văn Minh", frozenset({Role.ADMIN}), Origin.CLI)


def note(session: Session, n: int, **extra: Any) -> AuditEntry:
    """Record the n-th change: a bulletin's title edited, `n` minutes after AT."""
    values: dict[str, Any] = {
        "subject_kind": "bulletin",
        "subject_id": n,
        "summary": f"Sửa bản tin số {n}",
        "before": {"title": f"Tin {n}"},
        "after": {"title": f"Tin {n} (sửa)"},
        "at": AT + timedelta(minutes=n),
    }
    return audit.record(session, "bulletin_edited", **(values | extra))


@pytest.fixture
def five(ctx: StationContext) -> list[AuditEntry]:
    """Five committed entries by Lân, on bulletins 1 to 5."""
    with session_scope(ctx.sessions) as session:
        bind(session, LAN)
        return [note(session, n) for n in range(1, 6)]


def check(ctx: StationContext, **kwargs: Any) -> VerifyResult:
    with session_scope(ctx.sessions) as session:
        return audit.verify(session, **kwargs)


def raw(settings: Settings) -> sqlite3.Connection | Intruder:
    """A connection of the database's own client, past the application, committing at once."""
    if settings.database_url is not None:
        return Intruder(settings.database_url)
    return sqlite3.connect(db_path(settings), isolation_level=None)


@pytest.fixture
def attacker(settings: Settings, five: list[AuditEntry]) -> Iterator[sqlite3.Connection | Intruder]:
    """Someone with the database itself: drops the trail's guard, then edits rows by hand."""
    connection = raw(settings)
    if settings.database_url is not None:
        connection.execute("DROP TRIGGER audit_log_append_only ON audit_log")
    else:
        connection.execute("DROP TRIGGER audit_log_no_update")
        connection.execute("DROP TRIGGER audit_log_no_delete")
    yield connection
    connection.close()


def copy_to(ctx: StationContext, url: str) -> CopyReport:
    target = make_engine(url)
    try:
        return copy_station(ctx.engine, target)
    finally:
        target.dispose()


# Recording binds to the actor


def test_a_change_nobody_made_cannot_be_recorded(ctx: StationContext, session: Session) -> None:
    with pytest.raises(RuntimeError, match="no actor"):
        note(session, 1)
    assert session.scalars(select(AuditEntry)).all() == []


def test_an_entry_copies_the_actor_as_they_were(ctx: StationContext) -> None:
    with session_scope(ctx.sessions) as session:
        bind(session, LAN)
        entry = audit.record(
            session,
            "bulletin_approved",
            subject_kind="bulletin",
            subject_id=12,
            summary="Duyệt bản tin “Tiêm chủng”",
            before={"status": "submitted", "zones": ["Chợ"]},
            after={"status": "approved", "approved_at": AT, "title": "Tiêm chủng"},
            note="duyệt qua điện thoại",
        )
    with session_scope(ctx.sessions) as session:
        row = session.scalars(select(AuditEntry)).one()
    assert row.id == entry.id and row.seq == 1 and row.prev_hash == ledger.GENESIS_HASH
    assert (row.user_id, row.username, row.display_name) == (7, "lan", "Nguyễn Thị Lan")
    assert (row.roles, row.origin, row.address) == ("approver,editor", "web", "10.0.0.5")
    assert (row.action, row.subject_kind, row.subject_id) == ("bulletin_approved", "bulletin", "12")
    assert row.summary == "Duyệt bản tin “Tiêm chủng”" and row.note == "duyệt qua điện thoại"
    # Stable JSON: keys sorted, Vietnamese as written, instants as text.
    assert row.before == '{"status": "submitted", "zones": ["Chợ"]}'
    assert row.after == (
        '{"approved_at": "2026-11-27 22:30:00+00:00", "status": "approved", "title": "Tiêm chủng"}'
    )
    assert json.loads(row.after)["title"] == "Tiêm chủng"
    assert row.role_list == ["Lãnh đạo duyệt", "Biên tập viên"] and row.where == "10.0.0.5"
    assert datetime.now(UTC) - row.at < timedelta(minutes=1), "`at` defaults to now"


def test_the_station_and_the_command_line_record_as_themselves(
    ctx: StationContext, session: Session
) -> None:
    bind(session, station_actor())
    by_station = audit.record(session, "plan_built", subject_kind="plan", summary="Lập lịch")
    bind(session, MINH)
    by_minh = audit.record(
        session, "user_added", subject_kind="user", subject_id=None, summary="Thêm người dùng"
    )
    assert (by_station.user_id, by_station.roles, by_station.where) == (None, "", "Đài tự động")
    assert (by_station.before, by_station.after, by_station.subject_id) == ("", "", "")
    assert (by_minh.roles, by_minh.where, by_minh.subject_id) == ("admin", "Dòng lệnh", "")
    assert [by_station.seq, by_minh.seq] == [1, 2]


def test_an_entry_rolls_back_with_the_change(ctx: StationContext, session: Session) -> None:
    bind(session, LAN)
    note(session, 1)
    session.rollback()
    assert session.scalars(select(AuditEntry)).all() == []
    assert check(ctx) == VerifyResult(ok=True, rows_checked=0)


# The chain


def test_the_chain_grows_and_verifies(ctx: StationContext, five: list[AuditEntry]) -> None:
    assert [e.seq for e in five] == [1, 2, 3, 4, 5]
    assert [e.prev_hash for e in five[1:]] == [e.row_hash for e in five[:-1]]
    with session_scope(ctx.sessions) as session:
        for row in session.scalars(select(AuditEntry).order_by(AuditEntry.seq)):
            values = {name: getattr(row, name) for name in audit.HASHED_COLUMNS}
            assert audit.AUDIT.row_hash(values, row.prev_hash) == row.row_hash
    result = check(ctx)
    assert result.ok and result.rows_checked == 5
    assert (result.last_seq, result.last_hash) == (5, five[-1].row_hash)
    assert check(ctx, anchor=(5, five[-1].row_hash)).ok


REFUSED = [
    "UPDATE audit_log SET summary = 'không có gì' WHERE seq = 2",
    "DELETE FROM audit_log WHERE seq = 5",
]


@pytest.mark.parametrize("sql", REFUSED)
def test_the_database_refuses_update_and_delete(
    ctx: StationContext, five: list[AuditEntry], settings: Settings, sql: str
) -> None:
    with session_scope(ctx.sessions) as session, pytest.raises(IntegrityError) as refused:
        session.execute(text(sql))
    assert "append-only" in str(refused.value)
    refusal: type[Exception] = sqlite3.IntegrityError
    if settings.database_url is not None:  # an integrity violation, as air_log's (0007)
        assert getattr(refused.value.orig, "sqlstate", None) == "23000"
        refusal = psycopg.errors.IntegrityError
    connection = raw(settings)  # any client, not only the application
    with pytest.raises(refusal, match="append-only"):
        connection.execute(sql)
    connection.close()
    assert check(ctx).rows_checked == 5


@pytest.mark.parametrize(
    ("sql", "intact", "said"),
    [
        ("UPDATE audit_log SET username = 'minh' WHERE seq = 3", 2, "đã bị sửa sau khi ghi"),
        ("DELETE FROM audit_log WHERE seq = 2", 1, "thiếu dòng số 2: đã bị xóa"),
    ],
)
def test_a_changed_or_deleted_entry_is_found(
    ctx: StationContext,
    five: list[AuditEntry],
    attacker: sqlite3.Connection,
    sql: str,
    intact: int,
    said: str,
) -> None:
    """Either way the third entry is the first bad one: changed, or the one after the gap."""
    attacker.execute(sql)
    result = check(ctx)
    assert (result.ok, result.first_bad_seq, result.first_bad_id) == (False, 3, five[2].id)
    assert (result.first_bad_at, result.rows_checked) == (five[2].at, intact)
    assert said in result.message


def test_entries_cut_from_the_end_are_named_as_the_audit_trail(
    ctx: StationContext, five: list[AuditEntry], attacker: sqlite3.Connection
) -> None:
    attacker.execute("DELETE FROM audit_log WHERE seq = 5")
    result = check(ctx, anchor=(5, five[4].row_hash))
    assert not result.ok
    assert result.message.startswith("nhật ký thao tác dừng ở dòng số 4")


def test_the_two_chains_are_independent(
    ctx: StationContext, five: list[AuditEntry], attacker: sqlite3.Connection
) -> None:
    """Interleaved appends number each log from 1; breaking one leaves the other whole."""
    assert audit.ADVISORY_LOCK_KEY != ledger.ADVISORY_LOCK_KEY
    with session_scope(ctx.sessions) as session:
        bind(session, station_actor())
        played = ledger.append(session, status=AirStatus.PLAYED, source=AirSource.SCHEDULE)
        noted = note(session, 6)
        again = ledger.append(session, status=AirStatus.MISSED, source=AirSource.SCHEDULE)
    assert (played.seq, noted.seq, again.seq) == (1, 6, 2)
    assert played.prev_hash == ledger.GENESIS_HASH and noted.prev_hash == five[-1].row_hash
    attacker.execute("DELETE FROM audit_log WHERE seq = 1")
    with session_scope(ctx.sessions) as session:
        assert not audit.verify(session).ok
        assert ledger.verify(session).rows_checked == 2 and ledger.verify(session).ok
        # air_log's guard is its own: still in place.
        with pytest.raises(IntegrityError, match="append-only"):
            session.execute(text("DELETE FROM air_log WHERE seq = 1"))


# Reading it back


@pytest.fixture
def varied(ctx: StationContext) -> list[AuditEntry]:
    """Entries around a local midnight by two people, on two kinds of subject."""
    with session_scope(ctx.sessions) as session:
        bind(session, LAN)
        late = note(session, 1, at=datetime(2026, 11, 27, 16, 59, tzinfo=UTC))  # 27/11 23:59
        early = note(session, 2, at=datetime(2026, 11, 27, 17, 0, tzinfo=UTC))  # 28/11 00:00
        bind(session, MINH)
        user = audit.record(
            session, "user_added", subject_kind="user", subject_id="lan", summary="Thêm lan",
            at=datetime(2026, 11, 28, 3, 0, tzinfo=UTC),
        )  # fmt: skip
        bind(session, LAN)
        again = note(session, 1, at=datetime(2026, 11, 28, 17, 0, tzinfo=UTC))  # 29/11 00:00
        return [late, early, user, again]


def seqs_of(found: list[AuditEntry]) -> list[int]:
    return [entry.seq for entry in found]


def test_entries_by_local_day_user_and_subject(
    ctx: StationContext, varied: list[AuditEntry]
) -> None:
    tz = ctx.settings.zone
    with session_scope(ctx.sessions) as session:
        assert seqs_of(audit.entries(session)) == [1, 2, 3, 4]
        day = date(2026, 11, 28)
        assert seqs_of(audit.entries(session, tz=tz, start=day, end=day)) == [2, 3]
        assert seqs_of(audit.entries(session, tz=tz, start=day)) == [2, 3, 4]
        assert seqs_of(audit.entries(session, tz=tz, end=date(2026, 11, 27))) == [1]
        assert seqs_of(audit.entries(session, username=" LAN ")) == [1, 2, 4]
        assert seqs_of(audit.entries(session, subject_kind="user")) == [3]
        assert seqs_of(audit.entries(session, subject_kind="bulletin", subject_id=1)) == [1, 4]
        assert seqs_of(audit.entries(session, limit=2, offset=1)) == [2, 3]
        assert seqs_of(audit.entries(session, newest_first=True, limit=2)) == [4, 3]
        assert seqs_of(audit.history(session, "bulletin", 1)) == [1, 4]
        assert seqs_of(audit.history(session, "bulletin", 99)) == []


def test_a_window_that_ends_before_it_begins_is_refused(
    ctx: StationContext, session: Session
) -> None:
    with pytest.raises(InputError) as refused:
        audit.entries(
            session, tz=ctx.settings.zone, start=date(2026, 12, 2), end=date(2026, 12, 1),
            names=("--from", "--to"),
        )  # fmt: skip
    assert refused.value.errors == {"end": "--to phải bằng hoặc sau --from."}
    with pytest.raises(TypeError, match="time zone"):
        audit.entries(session, start=date(2026, 12, 2))


def test_the_export_opens_in_excel_and_runs_no_formula(
    ctx: StationContext, session: Session
) -> None:
    bind(session, LAN)
    audit.record(
        session, "bulletin_added", subject_kind="bulletin", subject_id=1,
        summary="=HYPERLINK(\"http://x\")", note="@SUM(A1)", at=AT,
    )  # fmt: skip
    data = audit_csv(audit.entries(session), tz=ctx.settings.zone)
    assert data.startswith("\ufeff".encode())
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[0].startswith("Số,Thời gian,Tên đăng nhập")
    assert lines[1].startswith("1,2026-11-28 05:30:00,lan,Nguyễn Thị Lan,")
    assert "'=HYPERLINK" in lines[1] and "'@SUM(A1)" in lines[1]
    assert audit_filename(date(2026, 11, 1), None) == "nhat-ky-thao-tac_tu-2026-11-01.csv"


# Moving the station to another database


@pytest.mark.databases("sqlite")  # the source; target_url gives SQLite and PostgreSQL targets
def test_copying_a_station_copies_and_verifies_the_audit_trail(
    ctx: StationContext,
    five: list[AuditEntry],
    target_url: str,  # noqa: F811 - the fixture imported above
) -> None:
    fill(ctx)
    report = copy_to(ctx, target_url)
    assert counts(target_url)["audit_log"] == 5 and report.rows["audit_log"] == 5
    assert report.chains["audit_log"] == (5, five[-1].row_hash)
    assert report.chains["air_log"] == (report.last_seq, report.last_hash) and report.last_seq == 5
    copied = make_engine(target_url)
    try:
        with session_scope(make_session_factory(copied)) as session:
            bind(session, MINH)
            assert note(session, 6).prev_hash == five[-1].row_hash
            assert audit.verify(session).rows_checked == 6
    finally:
        copied.dispose()


@pytest.mark.databases("sqlite")
def test_a_copy_whose_audit_trail_does_not_verify_is_refused(
    ctx: StationContext,
    attacker: sqlite3.Connection,
    target_url: str,  # noqa: F811 - the fixture imported above
) -> None:
    attacker.execute("UPDATE audit_log SET summary = 'đã sửa' WHERE seq = 4")
    with pytest.raises(StateError) as refused:
        copy_to(ctx, target_url)
    assert refused.value.message.startswith("Nhật ký thao tác chép sang không khớp bản gốc")
