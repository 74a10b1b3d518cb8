"""Programmes: what one zone airs in one go, as plain data the player airs without a database.

Every kind is made here: a slot's programme from the stored plan (scheduled or played by
hand), an emergency's, and the rest of a slot resumed after a crash. The player, the journal
and the as-run writer only ever see these records.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from playlists.asrun.models import AirSource, AirStatus
from playlists.bulletins.models import Bulletin
from playlists.core.text import slug
from playlists.emergencies.models import Emergency
from playlists.planning.models import PlanItem
from playlists.slots import calendar
from playlists.slots.models import Slot

EMERGENCY_TOPIC = "Khẩn cấp"
EMERGENCY_SLOT = "Khẩn cấp"
# An emergency's programme may run this long past its audio before the player gives up on it
# (it waits for the zone when another emergency holds it).
EMERGENCY_MARGIN = timedelta(hours=1)


@dataclass(frozen=True)
class ProgramItem:
    """One item to air, with everything the as-run log needs to describe it."""

    bulletin_id: int | None
    title: str
    topic_name: str
    rendering_sha256: str
    path: Path
    duration_s: float
    scheduled_start: datetime | None


@dataclass(frozen=True)
class Program:
    """What one zone airs in one slot (or in a manual or emergency play)."""

    zone_id: int | None
    zone_name: str
    slot_id: int | None
    slot_name: str
    start: datetime
    end: datetime
    items: tuple[ProgramItem, ...]
    source: AirSource
    label: str

    def to_json(self) -> dict[str, Any]:
        """Return the programme as JSON-ready data (the player's journal keeps it)."""
        data = asdict(self)
        data["start"], data["end"] = self.start.isoformat(), self.end.isoformat()
        data["source"] = self.source.value
        for item in data["items"]:
            item["path"] = str(item["path"])
            when = item["scheduled_start"]
            item["scheduled_start"] = when.isoformat() if when else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Program:
        """Rebuild a programme written by `to_json`."""
        items = tuple(
            ProgramItem(
                **(
                    item
                    | {
                        "path": Path(item["path"]),
                        "scheduled_start": datetime.fromisoformat(item["scheduled_start"])
                        if item["scheduled_start"]
                        else None,
                    }
                )
            )
            for item in data["items"]
        )
        return cls(
            **(
                data
                | {
                    "start": datetime.fromisoformat(data["start"]),
                    "end": datetime.fromisoformat(data["end"]),
                    "source": AirSource(data["source"]),
                    "items": items,
                }
            )
        )


@dataclass(frozen=True)
class PlayResult:
    """The player's confirmation of one item on one output: what really happened."""

    program: Program
    item: ProgramItem
    status: AirStatus
    output: str
    actual_start: datetime | None = None
    actual_end: datetime | None = None
    reason: str = ""


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
    Bulletins air inside the slot's bulletin window (after the head and relay, before the
    tail), as the planner placed them.
    """
    slot = session.get(Slot, slot_id)
    if slot is None:
        return []
    planned_start, _planned_end = calendar.occurrence(day, slot.start, slot.duration_s, tz)
    slot_begin = start or planned_start
    # A slot played by hand: each item is due that much later than planned, so two manual
    # plays of one slot on one day are two plays in the log and the report, not one. A
    # scheduled slot keeps its plan's instants whenever it starts: they say it aired once.
    moved = slot_begin - planned_start if source is AirSource.MANUAL else timedelta(0)
    window = slot.window
    begin = slot_begin + timedelta(seconds=window.start_s)
    end = slot_begin + timedelta(seconds=window.end_s)
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
                items=tuple(_program_item(i, media_dir, moved) for i in own),
                source=source,
                label=label(begin, tz, zone.name, slot.name),
            )
        )
    return programs


def emergency_programs(
    emergency: Emergency, zones: dict[int, str], *, now: datetime, tz: ZoneInfo, media_dir: Path
) -> list[Program]:
    """Return an emergency's programme on each of its zones, starting now."""
    item = ProgramItem(
        bulletin_id=None,
        title=emergency.title,
        topic_name=EMERGENCY_TOPIC,
        rendering_sha256=emergency.audio_sha256,
        path=media_dir / emergency.audio_file,
        duration_s=emergency.duration_s,
        scheduled_start=now,
    )
    end = now + timedelta(seconds=emergency.duration_s) + EMERGENCY_MARGIN
    return [
        Program(
            zone_id=zone_id,
            zone_name=zone_name,
            slot_id=None,
            slot_name=EMERGENCY_SLOT,
            start=now,
            end=end,
            items=(item,),
            source=AirSource.EMERGENCY,
            label=label(now, tz, zone_name, f"khan-cap-{emergency.id}"),
        )
        for zone_id, zone_name in sorted(zones.items(), key=lambda z: z[1])
    ]


def resumed(program: Program, rest: list[int], *, now: datetime) -> Program:
    """Return what is left of a slot's programme (items `rest`), to air from now to its end."""
    return Program(
        zone_id=program.zone_id,
        zone_name=program.zone_name,
        slot_id=program.slot_id,
        slot_name=program.slot_name,
        start=now,
        end=program.end,
        items=tuple(program.items[i] for i in rest),
        source=program.source,
        label=f"{program.label}_tiep",
    )


def _program_item(item: PlanItem, media_dir: Path, moved: timedelta) -> ProgramItem:
    return ProgramItem(
        bulletin_id=item.bulletin_id,
        title=item.bulletin.title,
        topic_name=item.bulletin.topic.name,
        rendering_sha256=item.rendering.sha256,
        path=media_dir / item.rendering.file,
        duration_s=item.duration_s,
        scheduled_start=item.planned_start + moved,
    )


def label(begin: datetime, tz: ZoneInfo, zone_name: str, what: str) -> str:
    """Name a programme by its local start, zone and slot (the file output's path)."""
    local = begin.astimezone(tz)
    return f"{local:%Y-%m-%d/%H%M%S}_{slug(zone_name)}_{slug(what)}"


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
