"""What a player sends its server: its as-run rows, and the alerts its engine raised.

A player writes its as-run log in its own database (its own chain) while it airs, connected
or not, and sends the rows it has not had acknowledged. Each carries a stable id, the
player's install id and its local row number: a batch sent again after a lost answer is
recognised row by row, and the station's chain stays gapless and free of duplicates.

The alerts its engine raises there (an output that failed, a slot missed, audio it could not
read) are for the ward's staff, who look at the server: each becomes the server's alert,
naming the player. An alert still showing on the server is not raised twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from annotated_types import MaxLen
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from playlists.alerts.models import Alert, AlertKind
from playlists.alerts.service import raise_alert, showing
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


MAX_ALERT_MESSAGE, MAX_ALERT_DETAIL, MAX_ZONE_NAME = 1000, 4000, 100


class PlayerAlert(BaseModel):
    """An alert a player's engine raised, as it sends it."""

    kind: AlertKind
    message: Annotated[OneLine, MaxLen(MAX_ALERT_MESSAGE)]
    detail: Annotated[MultiLine, MaxLen(MAX_ALERT_DETAIL)] = ""
    zone_name: Annotated[OneLine, MaxLen(MAX_ZONE_NAME)] = ""
    raised_at: datetime


class PlayerAlerts(BaseModel):
    """A player's alerts, oldest first."""

    alerts: Annotated[list[PlayerAlert], MaxLen(MAX_BATCH)]


def alert_from_row(alert: Alert) -> PlayerAlert:
    """Return one of a player's own alerts as it is sent (cut to what the server takes: a
    batch it refused would be sent again and again)."""
    return PlayerAlert(
        kind=alert.kind, message=alert.message[:MAX_ALERT_MESSAGE],
        detail=alert.detail[:MAX_ALERT_DETAIL], zone_name=alert.zone_name[:MAX_ZONE_NAME],
        raised_at=alert.raised_at,
    )  # fmt: skip


def alert_payload(alert: Alert) -> dict[str, Any]:
    """Return one of a player's own alerts as the JSON it sends."""
    return alert_from_row(alert).model_dump(mode="json")


def take_alerts(session: Session, *, player: str, alerts: list[PlayerAlert]) -> int:
    """Raise a player's alerts at the station, each naming the player; return how many were
    new (one still showing is not raised again: a batch sent twice raises nothing more)."""
    added = 0
    for alert in alerts:
        message = f"Máy phát {player}: {alert.message}"
        if showing(session, kind=alert.kind, message=message, zone_name=alert.zone_name):
            continue
        raise_alert(session, kind=alert.kind, message=message, zone_name=alert.zone_name,
                    detail=f"player {player}: {alert.detail}".rstrip(": "),
                    now=alert.raised_at)  # fmt: skip
        added += 1
    return added


# Who cleared a player's own alert: it went to the server, where staff deal with it; the
# server refused it (kept in the player's log); or it was raised before players sent theirs.
SENT_TO_SERVER = "Đã gửi lên máy chủ"
REFUSED_BY_SERVER = "Máy chủ không nhận"
BEFORE_UPLOADS = "Có từ trước khi máy phát gửi cảnh báo lên máy chủ"


def alerts_to_send(session: Session, *, limit: int = MAX_BATCH) -> list[Alert]:
    """On a player: the alerts its engine raised that its server has not taken yet."""
    query = select(Alert).where(Alert.cleared_at.is_(None)).order_by(Alert.id).limit(limit)
    return list(session.scalars(query))


def alerts_sent(
    session: Session, ids: list[int], *, now: datetime, by: str = SENT_TO_SERVER
) -> None:
    """On a player: its server took these alerts (or refused them, `by` says). Cleared here, a
    recurrence is raised (and sent) again, while the server shows the first until its staff
    clear it."""
    for alert in session.scalars(select(Alert).where(Alert.id.in_(ids))):
        if alert.cleared_at is None:
            alert.cleared_at, alert.cleared_by = now, by


def set_aside_old_alerts(session: Session, *, now: datetime) -> int:
    """On a player upgraded to send its alerts: clear the ones raised before, unsent (months
    of them, maybe, that nobody saw when they mattered); return how many."""
    old = list(session.scalars(select(Alert).where(Alert.cleared_at.is_(None))))
    alerts_sent(session, [a.id for a in old], now=now, by=BEFORE_UPLOADS)
    return len(old)


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
