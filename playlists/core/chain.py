"""A ledger over one table: rows are appended, never changed, and chained by hash.

The as-run log (playlists/asrun/ledger.py) and the audit trail (playlists/audit/service.py)
are both evidence, so both are kept the same way; this module is that way, once. A `Chain`
names what differs between them: the table, the columns a row's hash covers, the database
lock key and the name staff read in messages.

Each row carries a gapless sequence number, the previous row's hash and its own hash over its
content and that previous hash. Changing, inserting or deleting any row breaks the chain from
that row on, which `verify` finds. The database refuses UPDATE and DELETE on each chained
table outright (triggers, migrations 0006/0007 and 0009); the chain catches what bypasses the
database.

Appending is safe with concurrent writers, threads and processes alike: `append` takes the
database's write lock (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: a transaction-scoped advisory
lock, one key per chain) before it reads the last row, and holds it until the caller's
transaction ends, so no two writers can chain to the same row. There is no Python lock on top:
each thread's session has its own connection, which the database lock serialises as it does
other processes, and a Python lock could not be held until the caller's commit anyway. See
docs/asrun-log.md.
"""

from __future__ import annotations

import enum
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import Connection, Table, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from playlists.core.db import Base

log = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64

# How often `append` tries again when the unique seq refuses its row. With the write lock held
# this does not happen; it guards against a writer that bypasses the lock.
APPEND_ATTEMPTS = 5

# Rows fetched per round trip while verifying, so a year of log never sits in memory at once.
VERIFY_BATCH = 1000

# The columns every chained table has besides its content: numbered and linked by `append`.
CHAIN_COLUMNS = frozenset({"id", "seq", "prev_hash", "row_hash"})

RowT = TypeVar("RowT", bound=Base)


@dataclass(frozen=True)
class VerifyResult:
    """What `Chain.verify` found.

    `rows_checked` counts the rows found intact, in seq order, before the first bad row (all
    rows when ok). `first_bad_*` name the first row where the chain breaks: for a deleted row,
    the row after the gap. `last_seq`/`last_hash` are the last intact row's, the anchor to
    print in a report (0 and GENESIS_HASH for an empty log). `problem` is English for the logs,
    `message` Vietnamese for staff.
    """

    ok: bool
    rows_checked: int
    first_bad_seq: int | None = None
    first_bad_id: int | None = None
    first_bad_at: datetime | None = None
    problem: str = ""
    message: str = ""
    last_seq: int = 0
    last_hash: str = GENESIS_HASH


def _instant(value: Any) -> datetime | None:
    """Return a stored instant as an aware UTC datetime, or None when it is not one."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _take_write_lock(session: Session, key: int) -> None:
    """Hold the database's write lock for appending until the session's transaction ends.

    SQLite: pysqlite opens a transaction only before the first INSERT/UPDATE/DELETE, so until
    then every SELECT reads outside any transaction and two writers could read the same last
    row. ``BEGIN IMMEDIATE`` takes the write lock first (waiting up to the busy timeout for
    another writer, in this process or another, to commit), so the last row read below is the
    last row, and stays so until commit. If the transaction is already open, a write already
    ran in it (pysqlite begins only for writes), so the lock is already held. SQLite has one
    write lock for the whole file: its chains serialise together, which costs nothing at a
    station's rate of writes.

    PostgreSQL: a transaction-scoped advisory lock on the chain's own key in the ward's
    schema, released at commit or rollback; in READ COMMITTED each statement after it sees
    what the previous holder committed. Distinct keys let the as-run writer and a person's
    change append at once.
    """
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect == "sqlite":
        dbapi_connection = connection.connection.dbapi_connection
        if not getattr(dbapi_connection, "in_transaction", False):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif dialect == "postgresql":
        # One lock per chain per ward: every ward's tables are in its own schema (the first
        # on the search path), and its chain is its own. One key for all of them made a
        # city's wards queue on each other, and a transaction writing two wards' chains wait
        # on itself.
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:key # hashtext(current_schema())::bigint)"),
            {"key": key},
        )
    else:  # pragma: no cover - settings accept only sqlite and postgresql
        raise RuntimeError(f"no append lock for the {dialect} database")


@dataclass(frozen=True)
class Chain(Generic[RowT]):
    """One hash-chained, append-only table.

    `hashed_columns` are the columns a row's hash covers, in a fixed order, `seq` among them:
    never reorder or rename them once rows exist (old rows were hashed with that list; a new
    column needs a new chain version). `instant_columns` are those holding instants, which
    raw SQL on SQLite hands back as text and must hash like the ORM's datetimes. `stamped` is
    the instant filled with now when the caller leaves it out; `dated_by` the instants, in
    order of preference, that date a bad row for staff. `lock_key` is the PostgreSQL advisory
    lock key, distinct per chain. `noun` is how staff call the log ("nhật ký phát sóng").
    """

    model: type[RowT]
    hashed_columns: tuple[str, ...]
    instant_columns: frozenset[str]
    stamped: str
    dated_by: tuple[str, ...]
    lock_key: int
    noun: str

    def __post_init__(self) -> None:
        # A misnamed column would only show as rows that never verify: refuse it at import.
        hashed = set(self.hashed_columns)
        unknown = (hashed | CHAIN_COLUMNS) - set(self.table.c.keys())
        unhashed = {"seq", self.stamped, *self.instant_columns, *self.dated_by} - hashed
        if unknown or unhashed:
            raise ValueError(f"{self.name}: not in the table {unknown}, not hashed {unhashed}")

    @property
    def table(self) -> Table:
        return cast(Table, self.model.__table__)

    @property
    def name(self) -> str:
        """The table's name, as raw SQL and the database's messages spell it."""
        return self.table.name

    @property
    def title(self) -> str:
        """The log's name at the start of a sentence ("Nhật ký phát sóng")."""
        return self.noun[:1].upper() + self.noun[1:]

    # Hashing

    def _canonical(self, name: str, value: Any) -> Any:
        if name in self.instant_columns and isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                return value  # not an instant: hash the text as it is (and fail to match)
        if isinstance(value, datetime):
            if value.tzinfo is None:  # SQLite hands naive UTC back to raw queries
                value = value.replace(tzinfo=UTC)
            return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        if isinstance(value, enum.Enum):  # enums store their code
            return value.value
        return value

    def row_hash(self, values: Mapping[str, Any], prev_hash: str) -> str:
        """Return the hash of one row's content chained to the previous row's hash.

        `values` may come from the ORM (aware datetimes, enums) or from raw SQL (text instants
        on SQLite, enum codes); the same row hashes the same either way.
        """
        content = {name: self._canonical(name, values.get(name)) for name in self.hashed_columns}
        payload = json.dumps(
            {"prev": prev_hash, "row": content}, ensure_ascii=False, sort_keys=True, default=str
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    # Appending

    def _column_default(self, name: str) -> Any:
        default = self.table.c[name].default
        if default is None:
            return None
        if isinstance(default, ScalarElementColumnDefault):
            return default.arg
        raise TypeError(f"{self.name}.{name} has a computed default: pass it to append()")

    def _complete(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Return every hashed column's value as it will be stored, defaults filled in.

        The hash must cover what the row will hold, not what the caller happened to pass: a
        column left to its default ("" for texts) would otherwise hash as None and never verify.
        """
        refused = sorted(set(values) & CHAIN_COLUMNS)
        if refused:
            raise TypeError(f"append() numbers and chains rows itself; do not pass {refused}")
        unknown = sorted(set(values) - set(self.hashed_columns))
        if unknown:
            raise TypeError(f"{self.name} has no hashed column {unknown}")
        complete = {self.stamped: datetime.now(UTC)} | dict(values)
        for name in self.hashed_columns:
            if name != "seq" and name not in complete:
                complete[name] = self._column_default(name)
        return complete

    def _is_seq_conflict(self, exc: IntegrityError) -> bool:
        message = str(exc.orig)  # SQLite names the column, PostgreSQL the constraint
        return f"{self.name}.seq" in message or f"uq_{self.name}_seq" in message

    def append(self, session: Session, **values: Any) -> RowT:
        """Append one row, chained to the last one; return it (flushed).

        `values` are the row's hashed columns (columns with a default may be left out, the
        `stamped` instant defaults to now); `seq`, `prev_hash` and `row_hash` are computed
        here. The caller owns the transaction and commits it; the write lock taken here is held
        until then, so commit soon. Safe with concurrent writers in other threads (each with
        its own session) and in other processes.
        """
        content = self._complete(values)
        # Write what the transaction holds first: its row locks are then taken before the
        # chain's lock, always in that order, so two writers cannot wait on each other
        # (PostgreSQL would end one with a deadlock).
        session.flush()
        _take_write_lock(session, self.lock_key)
        columns = self.table.c
        for attempt in range(1, APPEND_ATTEMPTS + 1):
            try:
                with session.begin_nested():
                    last = session.execute(
                        select(columns.seq, columns.row_hash).order_by(columns.seq.desc()).limit(1)
                    ).first()
                    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
                    chained = content | {"seq": seq}
                    row = self.model(
                        **chained, prev_hash=prev, row_hash=self.row_hash(chained, prev)
                    )
                    session.add(row)
                return row
            except IntegrityError as exc:
                if not self._is_seq_conflict(exc) or attempt == APPEND_ATTEMPTS:
                    raise
                log.warning(
                    "%s seq taken by a writer that bypassed the lock; retry %d", self.name, attempt
                )
        raise AssertionError("unreachable")  # pragma: no cover

    # Verifying

    def _row_problem(
        self, row: Mapping[str, Any], expected: int, prev: str
    ) -> tuple[str, str] | None:
        """Return (English, Vietnamese) for what is wrong with one row, or None when intact."""
        seq = row["seq"]
        if seq != expected:
            if isinstance(seq, int) and seq > expected:
                missing = str(expected) if seq == expected + 1 else f"{expected}-{seq - 1}"
                return (
                    f"row seq {missing} missing: deleted",
                    f"thiếu dòng số {missing}: đã bị xóa",
                )
            return (
                f"seq {seq} where {expected} was expected: repeated or renumbered",
                f"số thứ tự {seq} ở chỗ phải là {expected}: bị lặp hoặc bị đánh số lại",
            )
        if self.row_hash(row, row["prev_hash"]) != row["row_hash"]:
            return (
                "content does not match the row's hash: changed after it was written",
                "nội dung không khớp mã băm của dòng: đã bị sửa sau khi ghi",
            )
        if row["prev_hash"] != prev:
            return (
                f"prev_hash does not match the hash of row seq {expected - 1}: a row before it "
                "was changed or replaced",
                f"mã băm nối không khớp dòng số {expected - 1}: dòng trước đã bị sửa hoặc bị thay",
            )
        return None

    def _anchor_problem(
        self, row: Mapping[str, Any], anchor: tuple[int, str]
    ) -> tuple[str, str] | None:
        if row["row_hash"] == anchor[1]:
            return None
        return (
            f"hash differs from the one recorded for row seq {anchor[0]}: the log was rewritten "
            "at or before this row",
            f"mã băm khác mã đã ghi cho dòng số {anchor[0]}: {self.noun} đã bị viết lại từ dòng "
            "này hoặc trước đó",
        )

    def _dated(self, row: Mapping[str, Any]) -> datetime | None:
        """Return when a row happened, for staff to find it; None when no instant reads."""
        return next(filter(None, (_instant(row[name]) for name in self.dated_by)), None)

    def verify(
        self,
        db: Session | Connection,
        *,
        anchor: tuple[int, str] | None = None,
        batch: int = VERIFY_BATCH,
    ) -> VerifyResult:
        """Walk the table in seq order and check that the chain is whole.

        Checks that seq runs 1, 2, 3... without gaps, that each row's hash recomputes from its
        content and that each prev_hash is the previous row's hash. Stops at the first bad row.
        Rows are read raw and streamed (`batch` at a time), so a tampered value cannot crash
        the check and a long log does not load into memory.

        `anchor` is (seq, row_hash) of a row recorded earlier, e.g. in a quarterly report: the
        log must still hold that row with that hash. This catches what the chain alone cannot:
        a chain rewritten from some row on, or rows removed from the end.
        """
        columns = ", ".join(c for c in self.hashed_columns if c != "seq")
        query = text(
            f"SELECT id, seq, prev_hash, row_hash, {columns} FROM {self.name} ORDER BY seq"
        )
        rows = db.execute(query.execution_options(yield_per=batch)).mappings()
        checked, prev, last_seq = 0, GENESIS_HASH, 0
        for mapping in rows:
            row, expected = dict(mapping), checked + 1
            found = self._row_problem(row, expected, prev)
            if found is None and anchor is not None and anchor[0] == expected:
                found = self._anchor_problem(row, anchor)
            if found is not None:
                rows.close()
                return VerifyResult(
                    ok=False,
                    rows_checked=checked,
                    first_bad_seq=row["seq"],
                    first_bad_id=row["id"],
                    first_bad_at=self._dated(row),
                    problem=found[0],
                    message=found[1],
                    last_seq=last_seq,
                    last_hash=prev,
                )
            checked, prev, last_seq = expected, row["row_hash"], expected
        if anchor is not None and anchor[0] > last_seq:
            return VerifyResult(
                ok=False,
                rows_checked=checked,
                first_bad_seq=last_seq + 1,
                problem=f"the log ends at seq {last_seq} but row seq {anchor[0]} was recorded: "
                "rows removed from the end",
                message=f"{self.noun} dừng ở dòng số {last_seq} nhưng báo cáo đã ghi dòng số "
                f"{anchor[0]}: các dòng cuối đã bị xóa",
                last_seq=last_seq,
                last_hash=prev,
            )
        return VerifyResult(ok=True, rows_checked=checked, last_seq=last_seq, last_hash=prev)
