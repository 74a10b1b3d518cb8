"""As-run rows a player sends: appended to the station's log once each, in the player's order.

A player writes its as-run log in its own database (its own chain) while it airs, connected
or not, and sends the rows it has not had acknowledged. Each carries a stable id, the
player's install id and its local row number: a batch sent again after a lost answer is
recognised row by row, and the station's chain stays gapless and free of duplicates.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from annotated_types import MaxLen
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from playlists.asrun import ledger
from playlists.asrun.models import AirLog, AirSource, AirStatus
from playlists.bulletins.models import Bulletin
from playlists.core.bounds import Id
from playlists.core.text import MultiLine, OneLine
from playlists.replica.models import PlayerUpload
from playlists.slots.models import Slot, Zone

MAX_BATCH = 500


class AsRunRow(BaseModel):
    """One as-run row as a player sends it (the server numbers and chains it again)."""

    origin: Annotated[str, Field(min_length=3, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")]
    zone_id: Id | None = None
    zone_name: Annotated[OneLine, MaxLen(100)] = ""
    output: Annotated[OneLine, MaxLen(100)] = ""
    slot_id: Id | None = None
    slot_name: Annotated[OneLine, MaxLen(100)] = ""
    bulletin_id: Id | None = None
    bulletin_title: Annotated[OneLine, MaxLen(200)] = ""
    topic_name: Annotated[OneLine, MaxLen(300)] = ""
    rendering_sha256: Annotated[str, Field(max_length=64, pattern=r"^[0-9a-f]*$")] = ""
    scheduled_start: datetime | None = None
    actual_start: datetime | None = None
    actual_end: datetime | None = None
    status: AirStatus
    source: AirSource
    reason: Annotated[MultiLine, MaxLen(4000)] = ""


class AsRunBatch(BaseModel):
    """Rows in the order the player wrote them."""

    rows: Annotated[list[AsRunRow], MaxLen(MAX_BATCH)]


def origin_of(install_id: str, seq: int) -> str:
    """Return the stable id of a player's local row."""
    return f"{install_id}:{seq}"


def row_from_log(row: AirLog, install_id: str) -> AsRunRow:
    """Return a player's local as-run row as it is sent."""
    return AsRunRow(
        origin=origin_of(install_id, row.seq),
        **{name: getattr(row, name) for name in SENT},
    )


SENT = tuple(name for name in AsRunRow.model_fields if name != "origin")


def ingest(session: Session, *, player: str, rows: list[AsRunRow], now: datetime) -> int:
    """Append the rows the station has not received yet, in order; return how many.

    A row already received (same origin) is skipped. Ids the station no longer knows (a
    zone deleted since) are dropped and the copied names kept. Two sends of one batch at once
    collide on the origin's key: one of them rolls back whole, and the player sends again.
    """
    origins = [row.origin for row in rows]
    known = set(
        session.scalars(select(PlayerUpload.origin).where(PlayerUpload.origin.in_(origins)))
    )
    exists = {
        "zone_id": _ids(session, Zone.id, {r.zone_id for r in rows}),
        "slot_id": _ids(session, Slot.id, {r.slot_id for r in rows}),
        "bulletin_id": _ids(session, Bulletin.id, {r.bulletin_id for r in rows}),
    }
    added = 0
    for row in rows:
        if row.origin in known:
            continue
        known.add(row.origin)
        values = row.model_dump(include=set(SENT))
        for name, ids in exists.items():
            if values[name] not in ids:
                values[name] = None
        appended = ledger.append(session, **values, created_at=now)
        session.add(PlayerUpload(origin=row.origin, player=player, seq=appended.seq,
                                 received_at=now))  # fmt: skip
        added += 1
    session.flush()
    return added


def _ids(session: Session, column: InstrumentedAttribute[int], wanted: set[int | None]) -> set[int]:
    present = {i for i in wanted if i is not None}
    if not present:
        return set()
    return set(session.scalars(select(column).where(column.in_(present))))
