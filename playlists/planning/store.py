"""Load a day's inputs, run the pure planner, and store its result: the planner's I/O.

A stored plan is what the player airs against; `replan` rebuilds the plans already made for
today and tomorrow after a committed change (see playlists/core/changes.py).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session, selectinload

from playlists.accounts.actor import acting
from playlists.asrun.models import AirLog, AirSource, AirStatus
from playlists.audit.service import record
from playlists.bulletins.approval import still_approved
from playlists.bulletins.models import Bulletin, BulletinStatus
from playlists.core import changes
from playlists.core.changes import Change
from playlists.core.errors import StateError
from playlists.core.settings import PlanningSettings
from playlists.planning.engine import build_day_plan
from playlists.planning.models import DayPlan, PlanItem
from playlists.planning.specs import (
    BulletinSpec,
    FixedItem,
    PlanningRules,
    SlotSpec,
    ZoneSpec,
    planned_start,
)
from playlists.slots.models import Slot, Zone

log = logging.getLogger(__name__)


def rules_from(settings: PlanningSettings) -> PlanningRules:
    """Return the planner's rules as the station is configured."""
    return PlanningRules(min_gap_s=settings.min_gap_min * 60)


def zone_specs(*, session: Session) -> list[ZoneSpec]:
    """Return every zone as the planner sees it."""
    return [ZoneSpec(z.id, z.name) for z in session.scalars(select(Zone))]


def slot_spec(slot: Slot) -> SlotSpec:
    """Return a stored slot as the planner sees it."""
    return SlotSpec(
        id=slot.id,
        name=slot.name,
        start=slot.start,
        duration_s=slot.duration_s,
        zone_ids=frozenset(z.id for z in slot.zones),
        days=slot.days,
        valid_from=slot.valid_from,
        valid_to=slot.valid_to,
        head_s=slot.head_s,
        relay_s=slot.relay_s,
        tail_s=slot.tail_s,
        cancelled=frozenset(c.day for c in slot.cancellations),
    )


def slot_specs(*, session: Session) -> list[SlotSpec]:
    """Return every slot as the planner sees it."""
    query = select(Slot).options(selectinload(Slot.zones), selectinload(Slot.cancellations))
    return [slot_spec(s) for s in session.scalars(query)]


def bulletin_spec(
    bulletin: Bulletin,
    *,
    aired_plays: int | None = None,
    last_aired: datetime | None = None,
) -> BulletinSpec:
    """Return a stored bulletin as the planner sees it."""
    rendering = bulletin.rendering
    return BulletinSpec(
        id=bulletin.id,
        title=bulletin.title,
        priority_rank=bulletin.priority.rank,
        first_day=bulletin.first_day,
        last_day=bulletin.last_day,
        per_day=bulletin.per_day,
        zone_ids=frozenset(z.id for z in bulletin.zones),
        rendering_id=rendering.id if rendering else None,
        duration_s=rendering.duration_s if rendering else 0.0,
        topic_id=bulletin.topic_id,
        aired_plays=aired_plays,
        last_aired=last_aired,
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
    query = (
        select(Bulletin)
        .options(selectinload(Bulletin.zones), selectinload(Bulletin.rendering))
        .where(
            Bulletin.status == BulletinStatus.APPROVED,
            Bulletin.first_day <= last,
            Bulletin.last_day >= day,
        )
    )
    rows = []
    for bulletin in session.scalars(query):
        if still_approved(bulletin):
            rows.append(bulletin)
        else:  # changed behind the workflow's back (editing sends it back to draft)
            log.warning("bulletin %s changed since it was approved: not planned", bulletin.id)
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
        bulletin_spec(
            b,
            aired_plays=None if aired_before is None else aired.get(b.id, (0, None))[0],
            last_aired=_aware(aired.get(b.id, (0, None))[1]),
        )
        for b in rows
    ]
    return zone_specs(session=session), slot_specs(session=session), bulletins


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
    audited: bool = False,
) -> DayPlan:
    """Build a day's plan and store it; slots that already started keep what they had.

    A past day is refused: its plan is what aired against, and the as-run log is evidence.
    What already aired or started counts toward plays a day and the gap rule.

    `audited`: a person asked for this build (a page, the API, `loa plan build`), so it is
    recorded against the session's actor, who must be bound. The station builds plans on its
    own too, in sessions with no actor: the rebuild after a committed change (`replan`), the
    evening job, the build at start-up. Those follow a change already recorded, or none, and
    are nobody's action; so the default is the station's, and only the entry points that act
    for a person say so. A flag rather than a second function, because the build is one and
    the same: only who asked differs, and only the caller knows that.
    """
    if audited:
        acting(session)  # who asked is known before anything is built
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
    before = None
    if audited and header.built_at is not None:
        before = _plan_state(session, header)
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
    if audited:
        record(session, "plan_built", subject_kind="plan", subject_id=day.isoformat(),
               summary=f"Lập lịch phát ngày {day:%d/%m/%Y}", before=before,
               after=_plan_state(session, header), at=now)  # fmt: skip
    changes.note(session, Change.SCHEDULE)
    return header


def _plan_state(session: Session, header: DayPlan) -> dict[str, object]:
    """A stored day plan as the audit trail records it: when built, how much it holds."""
    items = session.scalar(select(func.count(PlanItem.id)).where(PlanItem.day == header.day))
    return {
        "built_at": header.built_at,
        "items": int(items or 0),
        "unplaced": len(header.unplaced or []),
    }


def replan(*, session: Session, now: datetime, tz: ZoneInfo, rules: PlanningRules) -> list[date]:
    """Rebuild the plans already made for today and tomorrow; return the days rebuilt.

    Run after a committed change to approved bulletins or slots, so that the change shows up
    in the plans at once. Days without a plan yet are left to the evening build.
    """
    today = now.astimezone(tz).date()
    days = [d for d in (today, today + timedelta(days=1)) if session.get(DayPlan, d) is not None]
    for day in days:
        build_and_store(session=session, day=day, tz=tz, now=now, rules=rules)
    return days
