"""Load the day's inputs, run the pure planner, store its result, and read stored plans."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session, selectinload

from playlists.errors import StateError
from playlists.models import (
    AirLog,
    AirSource,
    AirStatus,
    Bulletin,
    BulletinStatus,
    DayPlan,
    PlanItem,
    Slot,
    Zone,
)
from playlists.planner import (
    BulletinSpec,
    FixedItem,
    PlanningRules,
    SlotSpec,
    ZoneSpec,
    build_day_plan,
    planned_start,
)


def load_specs(
    *,
    session: Session,
    day: date,
    last_day: date | None = None,
    aired_before: datetime | None = None,
) -> tuple[list[ZoneSpec], list[SlotSpec], list[BulletinSpec]]:
    """Load zones, slots and the approved bulletins running on a day (or up to `last_day`).

    With `aired_before`, each bulletin also gets how many of its plays aired before that
    instant and when it last aired, from the as-run log: the planner puts bulletins behind
    their asked plays, and those that waited longest, first.
    """
    last = day if last_day is None else last_day
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
            head_s=s.head_s,
            relay_s=s.relay_s,
            tail_s=s.tail_s,
            cancelled=frozenset(c.day for c in s.cancellations),
        )
        for s in session.scalars(
            select(Slot).options(selectinload(Slot.zones), selectinload(Slot.cancellations))
        )
    ]
    query = (
        select(Bulletin)
        .options(selectinload(Bulletin.zones), selectinload(Bulletin.rendering))
        .where(
            Bulletin.status == BulletinStatus.APPROVED,
            Bulletin.first_day <= last,
            Bulletin.last_day >= day,
        )
    )
    rows = list(session.scalars(query))
    aired: dict[int, tuple[int, datetime | None]] = {}
    if aired_before is not None and rows:
        aired = {
            bulletin_id: (count, latest)
            for bulletin_id, count, latest in session.execute(
                select(AirLog.bulletin_id, func.count(), func.max(AirLog.actual_start))
                .where(
                    AirLog.bulletin_id.in_([b.id for b in rows]),
                    AirLog.status == AirStatus.PLAYED,
                    AirLog.actual_start < aired_before,
                )
                .group_by(AirLog.bulletin_id)
            )
            if bulletin_id is not None
        }
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
            topic_id=b.topic_id,
            aired_plays=None if aired_before is None else aired.get(b.id, (0, None))[0],
            last_aired=_aware(aired.get(b.id, (0, None))[1]),
        )
        for b in rows
    ]
    return zones, slots, bulletins


def _aware(instant: datetime | None) -> datetime | None:
    # func.max() comes back without the column type: SQLite hands a naive UTC value.
    if instant is None or instant.tzinfo is not None:
        return instant
    return instant.replace(tzinfo=UTC)


def fixed_plays(
    *, session: Session, day: date, tz: ZoneInfo, now: datetime
) -> dict[int, list[FixedItem]]:
    """Return, by zone, the plays the planner must keep and count for a day built at `now`.

    The programmes of the day's slots that already started, the whole stored plan of the day
    before (for the gap across midnight), and what aired outside the plan (phát tay, khẩn cấp)
    since the day before. Scheduled plays come from the plan, not the log, so that none is
    counted twice.
    """
    since = datetime.combine(day - timedelta(days=1), time(0), tzinfo=tz)
    fixed: dict[int, list[FixedItem]] = {}
    for item in session.scalars(
        select(PlanItem).where(
            or_(
                PlanItem.day == day - timedelta(days=1),
                and_(PlanItem.day == day, PlanItem.slot_start <= now),
            )
        )
    ):
        fixed.setdefault(item.zone_id, []).append(
            FixedItem(
                bulletin_id=item.bulletin_id,
                start=item.planned_start,
                duration_s=item.duration_s,
                slot_id=item.slot_id,
                rendering_id=item.rendering_id,
            )
        )
    for row in session.scalars(
        select(AirLog).where(
            AirLog.source != AirSource.SCHEDULE,
            AirLog.status.in_([AirStatus.PLAYED, AirStatus.PARTIAL]),
            AirLog.actual_start >= since,
            AirLog.actual_start <= now,
        )
    ):
        if row.zone_id is None or row.bulletin_id is None or row.actual_start is None:
            continue
        fixed.setdefault(row.zone_id, []).append(
            FixedItem(bulletin_id=row.bulletin_id, start=row.actual_start, duration_s=row.aired_s)
        )
    return fixed


def build_and_store(
    *,
    session: Session,
    day: date,
    tz: ZoneInfo,
    now: datetime,
    rules: PlanningRules | None = None,
) -> DayPlan:
    """Build a day's plan and store it; slots that already started keep what they had.

    A past day is refused: its plan is what aired against, and the as-run log is evidence.
    What already aired or started counts toward plays a day and the gap rule.
    """
    today = now.astimezone(tz).date()
    if day < today:
        raise StateError(
            f"Không lập lại lịch của ngày đã qua ({day:%d/%m/%Y}).", f"refused past day {day}"
        )
    day_start = datetime.combine(day, time(0), tzinfo=tz)
    zones, slots, bulletins = load_specs(session=session, day=day, aired_before=day_start)
    plan = build_day_plan(
        day,
        zones,
        slots,
        bulletins,
        tz,
        rules or PlanningRules(),
        fixed=fixed_plays(session=session, day=day, tz=tz, now=now),
        rebuild_from=now,
    )

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
            new_items = [item for item in slot_plan.items if not item.fixed]
            for position, item in enumerate(new_items):
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


def slot_occurrence(slot: Slot, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Return a slot's start and end instants (UTC) on a local date."""
    start = datetime.combine(day, slot.start, tzinfo=tz).astimezone(UTC)
    return start, start + timedelta(seconds=slot.duration_s)
