"""What a player keeps of its station: the slots and zones, and the plans of the coming days.

The server takes a snapshot (`take`): the rows of the days asked for, with the bulletins and
renderings their items name, as JSON. The player applies it to its own database (`apply`),
which has the station's very schema, so that the same playout engine airs from it. Ids are
the server's: the as-run rows the player writes name the server's zones, slots and bulletins.

Bulletins travel without the people who wrote and approved them (their names stay, copied
as text): a player holds no accounts.
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, Enum, Table, Time, delete, insert, select
from sqlalchemy.orm import Session

from playlists.bulletins.models import Bulletin, Rendering
from playlists.core.db import UTCDateTime
from playlists.core.errors import InputError, StateError
from playlists.planning.models import DayPlan, PlanItem
from playlists.tables import METADATA

FORMAT = 1
MAX_DAYS = 14

# Copied whole, every sync: a station has a few dozen of each.
WHOLE = ("zones", "slots", "slot_zones", "topics")
# In the order that satisfies the foreign keys.
ORDER = (*WHOLE, "slot_cancellations", "renderings", "bulletins", "bulletin_zones",
         "day_plans", "plan_items")  # fmt: skip
# The people a bulletin names by id stay on the server.
WITHOUT = {"bulletins": ("author_id", "approver_id")}


@dataclass(frozen=True)
class Audio:
    """One audio file a snapshot's plans need: where it lives under the media folder."""

    sha256: str
    file: str


@dataclass(frozen=True)
class Applied:
    """What applying a snapshot changed on the player."""

    first_day: date
    last_day: date
    days: tuple[date, ...]  # the days that have a plan
    items: int


def take(session: Session, *, first_day: date, days: int, now: datetime) -> dict[str, Any]:
    """Return the snapshot of `days` days from `first_day`, as JSON-ready data."""
    if not 1 <= days <= MAX_DAYS:
        raise InputError({"days": f"Số ngày phải từ 1 đến {MAX_DAYS}."})
    last_day = first_day + timedelta(days=days - 1)
    in_days = PlanItem.day.between(first_day, last_day)
    item_bulletins = select(PlanItem.bulletin_id).where(in_days)
    item_renderings = select(PlanItem.rendering_id).where(in_days)
    bulletin_renderings = select(Bulletin.rendering_id).where(Bulletin.id.in_(item_bulletins))
    t = METADATA.tables
    wanted = {
        "slot_cancellations": t["slot_cancellations"].c.day.between(first_day, last_day),
        "renderings": Rendering.id.in_(item_renderings) | Rendering.id.in_(bulletin_renderings),
        "bulletins": Bulletin.id.in_(item_bulletins),
        "bulletin_zones": t["bulletin_zones"].c.bulletin_id.in_(item_bulletins),
        "day_plans": DayPlan.day.between(first_day, last_day),
        "plan_items": in_days,
    }
    tables: dict[str, list[dict[str, Any]]] = {}
    for name in ORDER:
        table = t[name]
        query = select(table).order_by(*table.primary_key.columns)
        if name in wanted:
            query = query.where(wanted[name])
        tables[name] = [_encoded(table, row._mapping) for row in session.execute(query)]
    body = {"first_day": first_day.isoformat(), "last_day": last_day.isoformat(), "tables": tables}
    return {
        "format": FORMAT,
        "made_at": now.isoformat(),
        # Equal revisions, equal content: a player that holds it fetches nothing again.
        "revision": hashlib.sha256(_canonical(body).encode()).hexdigest(),
        **body,
    }


def audio_of(snapshot: dict[str, Any]) -> list[Audio]:
    """Return the audio files a snapshot's plans need, once each."""
    found = {(r["sha256"], r["file"]) for r in snapshot["tables"]["renderings"]}
    return [Audio(sha256, file) for sha256, file in sorted(found)]


def apply(session: Session, snapshot: dict[str, Any]) -> Applied:
    """Make the player's database hold the snapshot's days as the server has them.

    The slots, zones and topics are replaced by the server's (rows the server no longer has
    stay: old as-run rows point at them); the plans of the snapshot's days are replaced
    whole. A slot on air keeps airing the programme it loaded: only the rows change.
    """
    if snapshot.get("format") != FORMAT:
        raise StateError(
            "Máy chủ gửi lịch phát ở dạng máy phát này không đọc được; hãy cập nhật máy phát.",
            f"snapshot format {snapshot.get('format')!r}, expected {FORMAT}",
        )
    first_day = date.fromisoformat(snapshot["first_day"])
    last_day = date.fromisoformat(snapshot["last_day"])
    t = METADATA.tables
    rows = {name: [_decoded(t[name], row) for row in snapshot["tables"][name]] for name in ORDER}
    # Children first, then parents; then parents first, as the foreign keys want.
    session.execute(delete(PlanItem).where(PlanItem.day.between(first_day, last_day)))
    session.execute(delete(DayPlan).where(DayPlan.day.between(first_day, last_day)))
    cancellations = t["slot_cancellations"]
    session.execute(delete(cancellations).where(cancellations.c.day.between(first_day, last_day)))
    bulletin_ids = [row["id"] for row in rows["bulletins"]]
    session.execute(
        delete(t["bulletin_zones"]).where(t["bulletin_zones"].c.bulletin_id.in_(bulletin_ids))
    )
    session.execute(delete(t["slot_zones"]))
    for name in ORDER:
        table = t[name]
        if name in ("slot_zones", "bulletin_zones", "slot_cancellations", "day_plans",
                    "plan_items"):  # fmt: skip
            if rows[name]:
                session.execute(insert(table), rows[name])
            continue
        _upsert(session, table, rows[name])
    session.flush()
    return Applied(
        first_day=first_day,
        last_day=last_day,
        days=tuple(sorted(row["day"] for row in rows["day_plans"])),
        items=len(rows["plan_items"]),
    )


def _upsert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert the rows the player lacks and update those it has, by primary key."""
    if not rows:
        return
    (key,) = table.primary_key.columns
    have = set(session.scalars(select(key).where(key.in_([row[key.name] for row in rows]))))
    fresh = [row for row in rows if row[key.name] not in have]
    if fresh:
        session.execute(insert(table), fresh)
    for row in rows:
        if row[key.name] in have:
            session.execute(table.update().where(key == row[key.name]).values(row))


def _encoded(table: Table, row: Any) -> dict[str, Any]:
    dropped = WITHOUT.get(table.name, ())
    return {
        name: None if name in dropped else _json_value(value)
        for name, value in row.items()
        if name in table.c
    }


def _json_value(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def _decoded(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """Turn one JSON row back into the column values SQLAlchemy binds."""
    values: dict[str, Any] = {}
    for column in table.columns:
        if column.name not in row:
            continue
        value = row[column.name]
        kind = column.type
        if value is not None:
            if isinstance(kind, UTCDateTime):
                value = datetime.fromisoformat(value)
            elif isinstance(kind, Date):
                value = date.fromisoformat(value)
            elif isinstance(kind, Time):
                value = time.fromisoformat(value)
            elif isinstance(kind, Enum) and kind.enum_class is not None:
                value = kind.enum_class(value)
        values[column.name] = value
    return values


def _canonical(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
