"""Turn a stored day plan into plain programmes the player can air without the database."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from playlists.models import AirSource, Bulletin, PlanItem, Slot, Zone
from playlists.plans import slot_occurrence
from scheduler.playout import Program, ProgramItem


def slug(text: str) -> str:
    """Return an ASCII file-name-safe form of a Vietnamese name."""
    text = text.replace("đ", "d").replace("Đ", "D")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower() or "x"


def load_slot_programs(
    *,
    session: Session,
    day: date,
    slot_id: int,
    tz: ZoneInfo,
    media_dir: Path,
    source: AirSource,
    start: datetime | None = None,
) -> list[Program]:
    """Load one slot's programme for every zone it airs on, from the stored plan.

    `start` overrides the planned start (a manual play starts now); the slot keeps its length.
    """
    slot = session.get(Slot, slot_id)
    if slot is None:
        return []
    planned_start, planned_end = slot_occurrence(slot, day, tz)
    slot_begin = start or planned_start
    # Bulletins air between the slot's fixed segments: after the signature tune, station
    # identification and relay, and ending before the closing words and tune.
    begin = slot_begin + timedelta(seconds=slot.head_s + slot.relay_s)
    end = slot_begin + (planned_end - planned_start) - timedelta(seconds=slot.tail_s)
    items = list(
        session.scalars(
            select(PlanItem)
            .options(
                selectinload(PlanItem.bulletin).selectinload(Bulletin.topic),
                selectinload(PlanItem.rendering),
                selectinload(PlanItem.zone),
            )
            .where(PlanItem.day == day, PlanItem.slot_id == slot_id)
            .order_by(PlanItem.zone_id, PlanItem.position)
        )
    )
    programs = []
    for zone in sorted(slot.zones, key=lambda z: z.name):
        own = [i for i in items if i.zone_id == zone.id]
        programs.append(
            Program(
                zone_id=zone.id,
                zone_name=zone.name,
                slot_id=slot.id,
                slot_name=slot.name,
                start=begin,
                end=end,
                items=tuple(_program_item(i, media_dir) for i in own),
                source=source,
                label=_label(begin, tz, zone, slot.name),
            )
        )
    return programs


def _program_item(item: PlanItem, media_dir: Path) -> ProgramItem:
    return ProgramItem(
        bulletin_id=item.bulletin_id,
        title=item.bulletin.title,
        topic_name=item.bulletin.topic.name,
        rendering_sha256=item.rendering.sha256,
        path=media_dir / item.rendering.file,
        duration_s=item.duration_s,
        scheduled_start=item.planned_start,
    )


def _label(begin: datetime, tz: ZoneInfo, zone: Zone, slot_name: str) -> str:
    local = begin.astimezone(tz)
    return f"{local:%Y-%m-%d/%H%M%S}_{slug(zone.name)}_{slug(slot_name)}"


def upcoming_slots(
    *, session: Session, since: datetime, until: datetime
) -> list[tuple[date, int, datetime]]:
    """Return (day, slot id, start) of every planned slot starting after since, up to until."""
    rows = session.execute(
        select(PlanItem.day, PlanItem.slot_id, PlanItem.slot_start)
        .where(PlanItem.slot_start > since, PlanItem.slot_start <= until)
        .distinct()
        .order_by(PlanItem.slot_start)
    )
    return [(day, slot_id, start.astimezone(UTC)) for day, slot_id, start in rows]
