"""Load the day's inputs, run the pure planner, store its result, and read stored plans."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from playlists.errors import StateError
from playlists.models import (
    Bulletin,
    BulletinStatus,
    DayPlan,
    PlanItem,
    Slot,
    Zone,
)
from playlists.planner import BulletinSpec, SlotSpec, ZoneSpec, build_day_plan, planned_start


def load_specs(
    *, session: Session, day: date
) -> tuple[list[ZoneSpec], list[SlotSpec], list[BulletinSpec]]:
    """Load zones, slots and the approved bulletins running on a day as planner specs."""
    zones = [ZoneSpec(z.id, z.name) for z in session.scalars(select(Zone))]
    slots = [
        SlotSpec(
            id=s.id,
            name=s.name,
            start=s.start,
            duration_s=s.duration_s,
            zone_ids=frozenset(z.id for z in s.zones),
            days=s.days,
            valid_from=s.valid_from,
            valid_to=s.valid_to,
        )
        for s in session.scalars(
            select(Slot).options(selectinload(Slot.zones), selectinload(Slot.cancellations))
        )
        if s.airs_on(day)  # cancelled days are only known here, not to the pure planner
    ]
    query = (
        select(Bulletin)
        .options(selectinload(Bulletin.zones), selectinload(Bulletin.rendering))
        .where(
            Bulletin.status == BulletinStatus.APPROVED,
            Bulletin.first_day <= day,
            Bulletin.last_day >= day,
        )
    )
    bulletins = [
        BulletinSpec(
            id=b.id,
            title=b.title,
            priority_rank=b.priority.rank,
            first_day=b.first_day,
            last_day=b.last_day,
            per_day=b.per_day,
            zone_ids=frozenset(z.id for z in b.zones),
            rendering_id=b.rendering.id if b.rendering else None,
            duration_s=b.rendering.duration_s if b.rendering else 0.0,
        )
        for b in session.scalars(query)
    ]
    return zones, slots, bulletins


def build_and_store(*, session: Session, day: date, tz: ZoneInfo, now: datetime) -> DayPlan:
    """Build a day's plan and store it; slots that already started keep what they had.

    A past day is refused: its plan is what aired against, and the as-run log is evidence.
    """
    today = now.astimezone(tz).date()
    if day < today:
        raise StateError(
            f"Không lập lại lịch của ngày đã qua ({day:%d/%m/%Y}).", f"refused past day {day}"
        )
    zones, slots, bulletins = load_specs(session=session, day=day)
    plan = build_day_plan(day, zones, slots, bulletins, tz)

    header = session.get(DayPlan, day)
    if header is None:
        header = DayPlan(day=day)
        session.add(header)
    header.built_at = now
    header.unplaced = [
        {"bulletin_id": u.bulletin_id, "title": u.title, "zone_id": u.zone_id, "reason": u.reason}
        for u in plan.unplaced
    ]
    session.flush()

    started = {
        (item.zone_id, item.slot_id)
        for item in session.scalars(
            select(PlanItem).where(PlanItem.day == day, PlanItem.slot_start <= now)
        )
    }
    session.execute(delete(PlanItem).where(PlanItem.day == day, PlanItem.slot_start > now))
    for zone_plan in plan.zones:
        for slot_plan in zone_plan.slots:
            slot_start = slot_plan.start.astimezone(UTC)
            if (zone_plan.zone.id, slot_plan.slot.id) in started or slot_start <= now:
                continue
            for position, item in enumerate(slot_plan.items):
                session.add(
                    PlanItem(
                        day=day,
                        zone_id=zone_plan.zone.id,
                        slot_id=slot_plan.slot.id,
                        position=position,
                        slot_start=slot_start,
                        planned_start=planned_start(slot_plan, item).astimezone(UTC),
                        duration_s=item.duration_s,
                        bulletin_id=item.bulletin_id,
                        rendering_id=item.rendering_id,
                    )
                )
    session.flush()
    return header


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
        return self.slot.duration_s - self.used_s


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


def slot_occurrence(slot: Slot, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Return a slot's start and end instants (UTC) on a local date."""
    start = datetime.combine(day, slot.start, tzinfo=tz).astimezone(UTC)
    return start, start + timedelta(seconds=slot.duration_s)
