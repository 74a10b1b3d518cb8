"""The as-run log as a ledger: rows are appended, never changed, and chained by hash.

Each row carries a gapless sequence number, the previous row's hash and its own hash over its
content and that previous hash. Changing, inserting or deleting any row breaks the chain from
that row on, which `loa airlog verify` finds. The database refuses UPDATE and DELETE on the
table outright (triggers, migration 0006); the chain catches what bypasses the database.

The mechanism (appending under the database's write lock, verifying, anchors) is
`playlists/core/chain.py`, shared with the audit trail; this module fixes what is the as-run
log's own: the columns it hashes, its lock key and its name. See docs/asrun-log.md.
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from playlists.asrun.models import AirLog
from playlists.core.chain import APPEND_ATTEMPTS, GENESIS_HASH, VERIFY_BATCH, Chain, VerifyResult

__all__ = [
    "ADVISORY_LOCK_KEY",
    "AIRLOG",
    "APPEND_ATTEMPTS",
    "GENESIS_HASH",
    "HASHED_COLUMNS",
    "VERIFY_BATCH",
    "VerifyResult",
    "append",
    "row_hash",
    "verify",
]

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

# Instants: the ORM hands them over as aware datetimes, raw SQL on SQLite as text
# ("2026-11-26 22:30:00.000000", UTC without an offset). Both hash the same.
_INSTANT_COLUMNS = frozenset({"scheduled_start", "actual_start", "actual_end", "created_at"})

# The key of the PostgreSQL advisory lock that serialises appends ("LOA_AIRL" in ASCII).
ADVISORY_LOCK_KEY = 0x4C4F415F4149524C

AIRLOG: Chain[AirLog] = Chain(
    model=AirLog,
    hashed_columns=HASHED_COLUMNS,
    instant_columns=_INSTANT_COLUMNS,
    stamped="created_at",
    # A bad row is named by when it aired; a row that never aired by when it was written.
    dated_by=("actual_start", "created_at"),
    lock_key=ADVISORY_LOCK_KEY,
    noun="nhật ký phát sóng",
)

row_hash = AIRLOG.row_hash
append = AIRLOG.append


def verify(db: Session | Connection, *, anchor: tuple[int, str] | None = None) -> VerifyResult:
    """Walk the as-run log in seq order and check that the chain is whole (`Chain.verify`).

    The batch size is read here at each call, so that a caller (or a test) can tune it on
    this module.
    """
    return AIRLOG.verify(db, anchor=anchor, batch=VERIFY_BATCH)
