"""The as-run log as a ledger: rows are appended, never changed, and chained by hash.

Each row carries a gapless sequence number, the previous row's hash and its own hash over its
content and that previous hash. Changing, inserting or deleting any row breaks the chain from
that row on, which `loa airlog verify` finds. The database refuses UPDATE and DELETE on the
table outright (triggers, migration 0006); the chain catches what bypasses the database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from playlists.models import AirLog

GENESIS_HASH = "0" * 64

# The columns a row's hash covers, in a fixed order. Never reorder or rename: old rows were
# hashed with this list. A new column needs a new chain version, not an edit here.
HASHED_COLUMNS = (
    "seq",
    "zone_id",
    "zone_name",
    "output",
    "slot_id",
    "slot_name",
    "bulletin_id",
    "bulletin_title",
    "topic_name",
    "rendering_sha256",
    "scheduled_start",
    "actual_start",
    "actual_end",
    "status",
    "source",
    "reason",
    "created_at",
)


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:  # SQLite hands naive UTC back to raw queries
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if hasattr(value, "value"):  # enums store their code
        return value.value
    return value


def row_hash(values: Mapping[str, Any], prev_hash: str) -> str:
    """Return the hash of one row's content chained to the previous row's hash."""
    content = {name: _canonical(values.get(name)) for name in HASHED_COLUMNS}
    payload = json.dumps(
        {"prev": prev_hash, "row": content}, ensure_ascii=False, sort_keys=True, default=str
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append(session: Session, **values: Any) -> AirLog:
    """Append one row to the as-run log, chained to the last one."""
    last = session.execute(
        select(AirLog.seq, AirLog.row_hash).order_by(AirLog.seq.desc()).limit(1)
    ).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    values.setdefault("created_at", datetime.now(UTC))
    values["seq"] = seq
    row = AirLog(**values, prev_hash=prev, row_hash=row_hash(values, prev))
    session.add(row)
    session.flush()
    return row
