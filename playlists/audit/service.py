"""The audit trail: who changed what, recorded against the session's actor, read back, verified.

Every change a person makes (a bulletin approved, a user added, a slot cancelled) is recorded
in the same transaction as the change itself, so the two commit or roll back together. The
trail is kept as the as-run log is (playlists/core/chain.py): appended only, refused UPDATE
and DELETE by the database (migration 0009), and hash-chained so that what bypasses the
database shows in `verify`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from playlists.accounts.actor import acting
from playlists.audit.models import AuditEntry
from playlists.core.chain import Chain, VerifyResult
from playlists.core.clock import local_midnight
from playlists.core.errors import InputError, range_problem

# The columns an entry's hash covers, in a fixed order. Never reorder or rename: old rows were
# hashed with this list. A new column needs a new chain version, not an edit here.
HASHED_COLUMNS = (
    "seq",
    "at",
    "user_id",
    "username",
    "display_name",
    "roles",
    "origin",
    "address",
    "action",
    "subject_kind",
    "subject_id",
    "summary",
    "before",
    "after",
    "note",
)

# The key of the PostgreSQL advisory lock that serialises appends ("LOA_AUDT" in ASCII): not
# the as-run log's, so a person's change never waits for the player's writer.
ADVISORY_LOCK_KEY = 0x4C4F415F41554454

AUDIT: Chain[AuditEntry] = Chain(
    model=AuditEntry,
    hashed_columns=HASHED_COLUMNS,
    instant_columns=frozenset({"at"}),
    stamped="at",
    dated_by=("at",),
    lock_key=ADVISORY_LOCK_KEY,
    noun="nhật ký thao tác",
)


def _json(value: Mapping[str, object] | None) -> str:
    """Return a state as stable JSON text (the same state, the same text): "" for none."""
    if value is None:
        return ""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def record(
    session: Session,
    action: str,
    *,
    subject_kind: str,
    subject_id: object = "",
    summary: str,
    before: Mapping[str, object] | None = None,
    after: Mapping[str, object] | None = None,
    note: str = "",
    at: datetime | None = None,
) -> AuditEntry:
    """Record one change by the session's actor (`playlists.accounts.actor.bind`); return it.

    `action` is a stable English code ("user_added", "bulletin_approved"); `subject_kind` and
    `subject_id` name what changed, `summary` says it in one Vietnamese line; `before` and
    `after` are the states that matter, stored as JSON. `at` defaults to now. Raises
    RuntimeError when no actor is bound: a change nobody made cannot be recorded.

    The entry is part of the caller's transaction, as the change is; the trail's write lock is
    held from here until that transaction ends (see `Chain.append`).
    """
    actor = acting(session)
    values: dict[str, object] = {
        "user_id": actor.user_id,
        "username": actor.username,
        "display_name": actor.display_name,
        "roles": ",".join(sorted(role.value for role in actor.roles)),
        "origin": actor.origin.value,
        "address": actor.address,
        "action": str(action),
        "subject_kind": subject_kind,
        "subject_id": "" if subject_id is None else str(subject_id),
        "summary": summary,
        "before": _json(before),
        "after": _json(after),
        "note": note,
    }
    if at is not None:
        values["at"] = at
    return AUDIT.append(session, **values)


def entries(
    session: Session,
    *,
    tz: ZoneInfo | None = None,
    start: date | None = None,
    end: date | None = None,
    username: str | None = None,
    subject_kind: str | None = None,
    subject_id: object | None = None,
    limit: int | None = None,
    offset: int = 0,
    newest_first: bool = False,
    names: tuple[str, str] = ("ngày bắt đầu", "Ngày kết thúc"),
) -> list[AuditEntry]:
    """Return entries in the order they were recorded (a page of them with `limit`, `offset`).

    `start` and `end` are local days of the station (`tz`, needed with either), inclusive;
    an end before the start is refused (InputError on `end`, the days named by `names`).
    `username` matches whatever its case.
    """
    query = select(AuditEntry)
    if start is not None or end is not None:
        if tz is None:
            raise TypeError("entries(): a window of days needs the station's time zone")
        if start is not None and end is not None:
            problem = range_problem(start, end, first_name=names[0], last_name=names[1])
            if problem:
                raise InputError({"end": problem})
        if start is not None:
            query = query.where(AuditEntry.at >= local_midnight(start, tz))
        if end is not None:
            query = query.where(AuditEntry.at < local_midnight(end + timedelta(days=1), tz))
    if username is not None:
        query = query.where(func.lower(AuditEntry.username) == username.strip().lower())
    if subject_kind is not None:
        query = query.where(AuditEntry.subject_kind == subject_kind)
    if subject_id is not None:
        query = query.where(AuditEntry.subject_id == str(subject_id))
    order = AuditEntry.seq.desc() if newest_first else AuditEntry.seq
    return list(session.scalars(query.order_by(order).offset(offset).limit(limit)))


def history(session: Session, subject_kind: str, subject_id: object) -> list[AuditEntry]:
    """Return one thing's own history (a bulletin's, a user's), oldest first."""
    return entries(session, subject_kind=subject_kind, subject_id=subject_id)


def verify(db: Session | Connection, *, anchor: tuple[int, str] | None = None) -> VerifyResult:
    """Walk the audit trail in seq order and check that its chain is whole (`Chain.verify`)."""
    return AUDIT.verify(db, anchor=anchor)
