"""Read stored plans for people: per zone and slot, ready to show, print or export as JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from playlists.planning.models import DayPlan, PlanItem
from playlists.slots.models import Slot, Zone


@dataclass
class SlotView:
    """A stored slot programme on one zone, ready to show or print."""

    slot: Slot
    start: datetime  # local
    items: list[PlanItem] = field(default_factory=list)

    @property
    def used_s(self) -> float:
        return sum(item.duration_s for item in self.items)

    @property
    def free_s(self) -> float:
        """Return the seconds still free for bulletins (fixed segments excluded)."""
        return self.slot.content_s - self.used_s


@dataclass
class ZoneView:
    zone: Zone
    slots: list[SlotView] = field(default_factory=list)


@dataclass
class PlanView:
    """A stored day plan: every zone, every slot airing that day, items in order."""

    day: date
    built_at: datetime | None
    zones: list[ZoneView]
    unplaced: list[dict[str, Any]]


def read_plan(*, session: Session, day: date, tz: ZoneInfo) -> PlanView:
    """Read the stored plan of a day (empty slots included)."""
    header = session.get(DayPlan, day)
    items = list(
        session.scalars(
            select(PlanItem)
            .options(selectinload(PlanItem.bulletin), selectinload(PlanItem.rendering))
            .where(PlanItem.day == day)
            .order_by(PlanItem.slot_start, PlanItem.position)
        )
    )
    slots = list(
        session.scalars(
            select(Slot).options(selectinload(Slot.zones), selectinload(Slot.cancellations))
        )
    )
    zones: list[ZoneView] = []
    for zone in session.scalars(select(Zone).order_by(Zone.name)):
        views = []
        for slot in sorted(slots, key=lambda s: (s.start, s.id)):
            if zone not in slot.zones or not slot.airs_on(day):
                continue
            start = datetime.combine(day, slot.start, tzinfo=tz)
            own = [i for i in items if i.zone_id == zone.id and i.slot_id == slot.id]
            views.append(SlotView(slot=slot, start=start, items=own))
        zones.append(ZoneView(zone=zone, slots=views))
    unplaced = list(header.unplaced) if header else []
    zone_names = {z.zone.id: z.zone.name for z in zones}
    for entry in unplaced:
        entry.setdefault("zone", zone_names.get(entry.get("zone_id", -1), ""))
    return PlanView(
        day=day, built_at=header.built_at if header else None, zones=zones, unplaced=unplaced
    )


def plan_as_json(view: PlanView, tz: ZoneInfo) -> dict[str, Any]:
    """Return the stable JSON shape of `loa plan build --json` and `GET /api/plan/{date}`."""
    return {
        "date": view.day.isoformat(),
        "zones": [
            {
                "zone": zone_view.zone.name,
                "slots": [
                    {
                        "slot": slot_view.slot.name,
                        "start": slot_view.start.strftime("%H:%M:%S"),
                        "capacity_s": slot_view.slot.duration_s,
                        "items": [
                            {
                                "bulletin_id": item.bulletin_id,
                                "title": item.bulletin.title,
                                "start": item.planned_start.astimezone(tz).strftime("%H:%M:%S"),
                                "duration_s": round(item.duration_s, 1),
                            }
                            for item in slot_view.items
                        ],
                    }
                    for slot_view in zone_view.slots
                ],
            }
            for zone_view in view.zones
        ],
        "unplaced": [
            {"bulletin_id": u["bulletin_id"], "title": u["title"], "reason": u["reason"]}
            for u in view.unplaced
        ],
    }
