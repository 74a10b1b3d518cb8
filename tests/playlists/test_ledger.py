"""The as-run log is an append-only, hash-chained ledger, on the station's real SQLite file."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from playlists.asrun import ledger
from playlists.asrun.models import AirLog, AirSource, AirStatus
from playlists.core.db import (
    MIGRATIONS_DIR,
    make_engine,
    make_session_factory,
    migrate,
    session_scope,
)
from playlists.slots.models import Zone
from web.context import StationContext
from web.settings import Settings

pytestmark = pytest.mark.databases()

START = datetime(2026, 11, 27, 22, 30, tzinfo=UTC)  # 05:30 on the 28th in Hà Nội


def play(n: int, **extra: Any) -> dict[str, Any]:
    """Return the columns of the n-th play of a morning programme."""
    return {
        "zone_name": "Cụm 1",
        "output": "file",
        "slot_name": "Sáng",
        "bulletin_title": f"Bản tin số {n}",
        "topic_name": "Hành chính",
        "rendering_sha256": f"{n:064x}",
        "scheduled_start": START + timedelta(minutes=n),
        "actual_start": START + timedelta(minutes=n, seconds=1),
        "actual_end": START + timedelta(minutes=n, seconds=61),
        "status": AirStatus.PLAYED,
        "source": AirSource.SCHEDULE,
    } | extra


def db_path(settings: Settings) -> Path:
    return settings.data_dir / "loa.db"


@pytest.fixture
def five(ctx: StationContext) -> list[AirLog]:
    """Five committed rows."""
    with session_scope(ctx.sessions) as session:
        return [ledger.append(session, **play(n)) for n in range(1, 6)]


class Intruder:
    """A raw PostgreSQL connection that takes SQLite's `?` placeholders, as the tests write."""

    def __init__(self, url: str) -> None:
        plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.connection = psycopg.connect(plain, autocommit=True)

    def execute(self, statement: str, params: tuple[object, ...] = ()) -> None:
        self.connection.execute(statement.replace("?", "%s"), params)  # type: ignore[arg-type]

    def close(self) -> None:
        self.connection.close()


@pytest.fixture
def attacker(settings: Settings, five: list[AirLog]) -> Iterator[sqlite3.Connection | Intruder]:
    """Someone with the database itself: drops the guard, then edits rows by hand."""
    if settings.database_url is not None:
        intruder = Intruder(settings.database_url)
        intruder.execute("DROP TRIGGER air_log_append_only ON air_log")
        yield intruder
        intruder.close()
        return
    connection = sqlite3.connect(db_path(settings), isolation_level=None)
    connection.execute("DROP TRIGGER air_log_no_update")
    connection.execute("DROP TRIGGER air_log_no_delete")
    yield connection
    connection.close()


def check(ctx: StationContext, **kwargs: Any) -> ledger.VerifyResult:
    with session_scope(ctx.sessions) as session:
        return ledger.verify(session, **kwargs)


def seqs(ctx: StationContext) -> list[int]:
    with session_scope(ctx.sessions) as session:
        return list(session.scalars(select(AirLog.seq).order_by(AirLog.id)))


# The chain


def test_chain_grows_and_verifies(ctx: StationContext, session: Session) -> None:
    assert ledger.verify(session) == ledger.VerifyResult(ok=True, rows_checked=0)
    rows = [ledger.append(session, **play(n)) for n in range(1, 4)]
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[0].prev_hash == ledger.GENESIS_HASH
    assert [r.prev_hash for r in rows[1:]] == [r.row_hash for r in rows[:-1]]
    assert len({r.row_hash for r in rows}) == 3
    result = ledger.verify(session)
    assert result.ok and result.rows_checked == 3
    assert (result.last_seq, result.last_hash) == (3, rows[-1].row_hash)


def test_rows_hash_the_same_read_back_by_the_orm(ctx: StationContext) -> None:
    """What append hashed is what the row holds: defaults, enums given as codes, any zone."""
    hanoi = START.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    with session_scope(ctx.sessions) as session:
        ledger.append(session, status="missed", source="manual")  # every other column default
        ledger.append(session, **play(1, actual_start=hanoi, reason="Mất điện 5 phút"))
    with session_scope(ctx.sessions) as session:
        for row in session.scalars(select(AirLog).order_by(AirLog.seq)):
            values = {name: getattr(row, name) for name in ledger.HASHED_COLUMNS}
            assert ledger.row_hash(values, row.prev_hash) == row.row_hash
    assert check(ctx).ok


def test_append_refuses_to_be_told_the_chain(session: Session) -> None:
    with pytest.raises(TypeError, match="seq"):
        ledger.append(session, **play(1), seq=7)
    with pytest.raises(TypeError, match="nonsense"):
        ledger.append(session, **play(1), nonsense=1)


def test_append_keeps_the_callers_transaction(ctx: StationContext, session: Session) -> None:
    session.add(Zone(name="Cụm 9"))
    session.flush()
    ledger.append(session, **play(1))
    session.rollback()  # the caller's refusal takes the row with it
    assert seqs(ctx) == []
    assert session.scalar(select(Zone).where(Zone.name == "Cụm 9")) is None


def test_append_retries_when_a_writer_took_the_seq(
    ctx: StationContext, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unique seq is the last line of defence: a stale read is refused, then redone."""
    first = ledger.append(session, **play(1))
    ledger.append(session, **play(2))
    zone = Zone(name="Cụm 2")  # the caller's own work must survive the retry
    session.add(zone)
    real_execute = session.execute
    stale: list[Any] = []

    class StaleLastRow:
        def first(self) -> tuple[int, str]:
            return (first.seq, first.row_hash)  # as if row 2 were not there yet

    def execute(statement: Any, *args: Any, **kwargs: Any) -> Any:
        if not stale and "air_log.seq" in str(statement):
            stale.append(statement)
            return StaleLastRow()
        return real_execute(statement, *args, **kwargs)

    monkeypatch.setattr(session, "execute", execute)
    row = ledger.append(session, **play(3))
    monkeypatch.undo()
    assert stale, "the stale read happened"
    assert row.seq == 3
    session.commit()
    assert seqs(ctx) == [1, 2, 3]
    assert check(ctx).ok
    assert session.scalar(select(Zone).where(Zone.name == "Cụm 2")) is not None


# The database refuses changes


REFUSED = ["UPDATE air_log SET reason = 'sửa' WHERE seq = 2", "DELETE FROM air_log WHERE seq = 5"]


@pytest.mark.databases("sqlite")
@pytest.mark.parametrize("sql", REFUSED)
def test_database_refuses_update_and_delete(
    ctx: StationContext, five: list[AirLog], settings: Settings, sql: str
) -> None:
    with session_scope(ctx.sessions) as session, pytest.raises(IntegrityError, match="append-only"):
        session.execute(text(sql))
    raw = sqlite3.connect(db_path(settings))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw.execute(sql)
    raw.close()
    assert seqs(ctx) == [1, 2, 3, 4, 5]
    assert check(ctx).ok


@pytest.mark.databases("postgresql")
@pytest.mark.parametrize("sql", REFUSED)
def test_postgresql_refuses_update_and_delete_to_any_client(
    ctx: StationContext, five: list[AirLog], settings: Settings, sql: str
) -> None:
    with session_scope(ctx.sessions) as session, pytest.raises(IntegrityError, match="append-only"):
        session.execute(text(sql))
    assert settings.database_url is not None
    raw = Intruder(settings.database_url)
    with pytest.raises(psycopg.errors.IntegrityError, match="append-only"):
        raw.execute(sql)
    raw.close()
    assert seqs(ctx) == [1, 2, 3, 4, 5]
    assert check(ctx).ok


def test_orm_cannot_change_or_delete_a_row(ctx: StationContext, five: list[AirLog]) -> None:
    for change in ("edit", "delete"):
        with (
            pytest.raises((IntegrityError, OperationalError), match="append-only"),
            session_scope(ctx.sessions) as session,
        ):
            row = session.scalars(select(AirLog).where(AirLog.seq == 3)).one()
            if change == "edit":
                row.status = AirStatus.FAILED
            else:
                session.delete(row)
            session.flush()
    assert check(ctx).ok


# Tampering behind the database's back


def test_a_changed_field_is_found(
    ctx: StationContext, five: list[AirLog], attacker: sqlite3.Connection
) -> None:
    attacker.execute("UPDATE air_log SET status = 'played', reason = '' WHERE seq = 3")
    assert check(ctx).ok, "the same values written back change nothing"
    attacker.execute("UPDATE air_log SET actual_end = '2026-11-27 22:33:30.000000' WHERE seq = 3")
    result = check(ctx)
    assert not result.ok
    assert (result.first_bad_seq, result.first_bad_id) == (3, five[2].id)
    assert result.rows_checked == 2 and result.last_hash == five[1].row_hash
    assert result.first_bad_at == five[2].actual_start
    assert "changed" in result.problem and "đã bị sửa" in result.message


def test_a_changed_row_with_a_recomputed_hash_breaks_the_next_link(
    ctx: StationContext, five: list[AirLog], attacker: sqlite3.Connection
) -> None:
    forged = {n: getattr(five[2], n) for n in ledger.HASHED_COLUMNS} | {"status": "failed"}
    digest = ledger.row_hash(forged, five[2].prev_hash)
    attacker.execute("UPDATE air_log SET status = 'failed', row_hash = ? WHERE seq = 3", (digest,))
    result = check(ctx)
    assert (result.ok, result.first_bad_seq, result.first_bad_id) == (False, 4, five[3].id)
    assert "prev_hash" in result.problem and "dòng số 3" in result.message


def test_a_deleted_row_is_found(
    ctx: StationContext, five: list[AirLog], attacker: sqlite3.Connection
) -> None:
    attacker.execute("DELETE FROM air_log WHERE seq = 2")
    result = check(ctx)
    assert (result.ok, result.first_bad_seq, result.first_bad_id) == (False, 3, five[2].id)
    assert result.rows_checked == 1
    assert "seq 2 missing" in result.problem and "thiếu dòng số 2" in result.message


def test_deleted_rows_are_named_as_a_range(
    ctx: StationContext, five: list[AirLog], attacker: sqlite3.Connection
) -> None:
    attacker.execute("DELETE FROM air_log WHERE seq IN (1, 2, 3)")
    result = check(ctx)
    assert (result.first_bad_seq, result.rows_checked) == (4, 0)
    assert "thiếu dòng số 1-3" in result.message


def test_swapped_rows_are_found(
    ctx: StationContext, five: list[AirLog], attacker: sqlite3.Connection
) -> None:
    """Renumbering row 4 as 2 and row 2 as 4 (the unique seq forces a detour through 0)."""
    attacker.execute("UPDATE air_log SET seq = 0 WHERE seq = 2")
    attacker.execute("UPDATE air_log SET seq = 2 WHERE seq = 4")
    attacker.execute("UPDATE air_log SET seq = 4 WHERE seq = 0")
    result = check(ctx)
    assert (result.ok, result.first_bad_seq, result.first_bad_id) == (False, 2, five[3].id)
    assert result.rows_checked == 1


def test_swapped_contents_are_found(
    ctx: StationContext, five: list[AirLog], attacker: sqlite3.Connection
) -> None:
    """The two rows' titles trade places; seq and hashes stay where they were."""
    attacker.execute(
        "UPDATE air_log SET bulletin_title = CASE seq WHEN 2 THEN ? ELSE ? END WHERE seq IN (2, 4)",
        (five[3].bulletin_title, five[1].bulletin_title),
    )
    result = check(ctx)
    assert (result.first_bad_seq, result.first_bad_id) == (2, five[1].id)


@pytest.mark.databases("sqlite")  # PostgreSQL's column types refuse such garbage at the door
def test_garbage_in_a_row_is_reported_not_raised(
    ctx: StationContext, five: list[AirLog], attacker: sqlite3.Connection
) -> None:
    attacker.execute("UPDATE air_log SET status = 'aired', actual_start = 'hôm qua' WHERE seq = 5")
    result = check(ctx)
    assert (result.ok, result.first_bad_seq, result.first_bad_at) == (False, 5, five[4].created_at)


def test_a_rewritten_chain_needs_the_recorded_anchor(
    ctx: StationContext, five: list[AirLog], attacker: sqlite3.Connection
) -> None:
    """Rewriting every hash from row 3 on fools the chain; the hash printed in a report not."""
    anchor = (5, five[4].row_hash)
    assert check(ctx, anchor=anchor).ok
    prev = five[1].row_hash
    for row in five[2:]:
        forged = {n: getattr(row, n) for n in ledger.HASHED_COLUMNS} | {"reason": "đã sửa"}
        digest = ledger.row_hash(forged, prev)
        attacker.execute(
            "UPDATE air_log SET reason = 'đã sửa', prev_hash = ?, row_hash = ? WHERE seq = ?",
            (prev, digest, row.seq),
        )
        prev = digest
    assert check(ctx).ok, "the chain alone cannot tell"
    result = check(ctx, anchor=anchor)
    assert (result.ok, result.first_bad_seq, result.rows_checked) == (False, 5, 4)
    assert "rewritten" in result.problem and "viết lại" in result.message


def test_rows_cut_from_the_end_need_the_recorded_anchor(
    ctx: StationContext, five: list[AirLog], attacker: sqlite3.Connection
) -> None:
    attacker.execute("DELETE FROM air_log WHERE seq >= 4")
    assert check(ctx).ok, "the chain alone cannot tell"
    result = check(ctx, anchor=(5, five[4].row_hash))
    assert (result.ok, result.first_bad_seq, result.first_bad_id) == (False, 4, None)
    assert result.last_seq == 3 and "removed from the end" in result.problem


def test_verify_streams_the_rows(
    ctx: StationContext, five: list[AirLog], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger, "VERIFY_BATCH", 2)  # five rows in three batches
    options: list[Any] = []

    def remember(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM air_log ORDER BY seq" in statement:
            options.append(args[-2].execution_options)

    event.listen(ctx.engine, "before_cursor_execute", remember)
    try:
        with ctx.engine.connect() as connection:  # a Connection works as well as a Session
            assert ledger.verify(connection).rows_checked == 5
    finally:
        event.remove(ctx.engine, "before_cursor_execute", remember)
    assert options and options[0].get("yield_per") == 2


# Concurrent writers


def test_threads_append_without_forking_the_chain(ctx: StationContext) -> None:
    threads, each = 8, 25
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            barrier.wait()
            for n in range(each):
                with session_scope(ctx.sessions) as session:
                    ledger.append(session, **play(n, zone_name=f"Luồng {number}"))
        except BaseException as exc:  # a thread's failure must fail the test
            errors.append(exc)

    workers = [threading.Thread(target=writer, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert sorted(seqs(ctx)) == list(range(1, threads * each + 1))
    result = check(ctx)
    assert result.ok and result.rows_checked == threads * each


WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from playlists.asrun import ledger
    from playlists.core.db import make_engine, make_session_factory, session_scope

    url, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sessions = make_session_factory(make_engine(url))
    print("ready", flush=True)
    sys.stdin.readline()
    for n in range(count):
        with session_scope(sessions) as session:
            ledger.append(
                session, zone_name=name, status="played", source="manual",
                actual_start=datetime.now(UTC),
            )
    print("done", flush=True)
    """
)


def test_processes_and_threads_append_at_once(ctx: StationContext, settings: Settings) -> None:
    """Three processes (say, `loa play` runs) and the station's own zone threads, together."""
    processes, per_process, threads, per_thread = 3, 40, 4, 20
    children = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, settings.db_url, f"Tiến trình {i}", str(per_process)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(processes)
    ]
    try:
        for child in children:
            assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        errors: list[BaseException] = []

        def writer(number: int) -> None:
            try:
                for n in range(per_thread):
                    with session_scope(ctx.sessions) as session:
                        ledger.append(session, **play(n, zone_name=f"Luồng {number}"))
            except BaseException as exc:
                errors.append(exc)

        workers = [threading.Thread(target=writer, args=(i,)) for i in range(threads)]
        for child in children:  # go
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        for child in children:
            out, err = child.communicate(timeout=120)
            assert child.returncode == 0, err
            assert out.strip() == "done"
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
    assert errors == []
    total = processes * per_process + threads * per_thread
    assert sorted(seqs(ctx)) == list(range(1, total + 1))
    with session_scope(ctx.sessions) as session:
        for i in range(processes):
            count = session.scalar(
                text("SELECT count(*) FROM air_log WHERE zone_name = :z"), {"z": f"Tiến trình {i}"}
            )
            assert count == per_process
    result = check(ctx)
    assert result.ok and result.rows_checked == total


# Upgrading a station that already has a log


def test_migration_chains_the_rows_already_logged(empty_database: str) -> None:
    engine = make_engine(empty_database)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    insert = text(
        "INSERT INTO air_log (id, zone_id, zone_name, output, slot_name, bulletin_id, "
        "bulletin_title, topic_name, rendering_sha256, scheduled_start, actual_start, "
        "actual_end, status, source, reason, created_at) VALUES (:id, :zone_id, 'Cụm 1', "
        "'file', 'Sáng', NULL, :title, 'Y tế', '', :at, :at, :end, :status, :source, :reason, "
        ":at)"
    )
    old_rows = [  # inserted out of id order; the stored instant format of SQLAlchemy
        {"id": 7, "title": "Tiêm chủng", "status": "played", "source": "schedule", "reason": ""},
        {"id": 2, "title": "Họp tổ", "status": "partial", "source": "manual", "reason": "Dừng"},
        {"id": 4, "title": "Khẩn", "status": "missed", "source": "emergency", "reason": ""},
    ]
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "996ac84337f1")  # the schema before the chain
        connection.execute(text("INSERT INTO zones VALUES (1, 'Cụm 1', '')"))
        for n, old in enumerate(old_rows):
            at = f"2026-10-0{n + 1} 22:30:00.000000"
            end = None if old["status"] == "missed" else f"2026-10-0{n + 1} 22:31:00.250000"
            connection.execute(insert, old | {"zone_id": 1 if n else None, "at": at, "end": end})
    migrate(engine)
    sessions = make_session_factory(engine)
    with session_scope(sessions) as session:
        assert ledger.verify(session).rows_checked == 3
        backfilled = list(session.scalars(select(AirLog).order_by(AirLog.id)))
        assert [(r.id, r.seq) for r in backfilled] == [(2, 1), (4, 2), (7, 3)]
        for row in backfilled:  # the raw text the migration hashed hashes like the ORM's values
            values = {name: getattr(row, name) for name in ledger.HASHED_COLUMNS}
            assert ledger.row_hash(values, row.prev_hash) == row.row_hash
        new = ledger.append(session, **play(1))
    assert (new.seq, new.prev_hash) == (4, backfilled[-1].row_hash)
    with session_scope(sessions) as session:
        result = ledger.verify(session)
        assert result.ok and result.rows_checked == 4
        with pytest.raises(IntegrityError, match="append-only"):
            session.execute(text("DELETE FROM air_log"))
