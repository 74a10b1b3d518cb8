"""Build one day's plan from slots and approved bulletins: pure, deterministic, explainable.

Nothing here touches the database or the clock: the caller loads plain specs, passes the local
date and time zone, and stores the result. That keeps every rule testable by property tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class ZoneSpec:
    """A zone as the planner sees it."""

    id: int
    name: str


@dataclass(frozen=True)
class SlotSpec:
    """A slot as the planner sees it; `days` holds ISO weekday digits ("1234567")."""

    id: int
    name: str
    start: time
    duration_s: int
    zone_ids: frozenset[int]
    days: str = "1234567"
    valid_from: date | None = None
    valid_to: date | None = None

    def airs_on(self, day: date) -> bool:
        """Tell whether the slot airs on a local date."""
        if str(day.isoweekday()) not in self.days:
            return False
        if self.valid_from is not None and day < self.valid_from:
            return False
        return not (self.valid_to is not None and day > self.valid_to)


@dataclass(frozen=True)
class BulletinSpec:
    """An approved bulletin as the planner sees it; no rendering means no audio yet."""

    id: int
    title: str
    priority_rank: int  # 0 khẩn cấp, 1 ưu tiên, 2 thông thường
    first_day: date
    last_day: date
    per_day: int
    zone_ids: frozenset[int]
    rendering_id: int | None
    duration_s: float


@dataclass(frozen=True)
class PlannedItem:
    """One bulletin placed in a slot, `offset_s` after the slot starts."""

    bulletin_id: int
    title: str
    rendering_id: int
    offset_s: float
    duration_s: float


@dataclass
class SlotPlan:
    """A slot's programme on one zone."""

    slot: SlotSpec
    start: datetime  # aware, in the station's time zone
    items: list[PlannedItem] = field(default_factory=list)

    @property
    def capacity_s(self) -> int:
        return self.slot.duration_s

    @property
    def used_s(self) -> float:
        return sum(item.duration_s for item in self.items)

    @property
    def free_s(self) -> float:
        return self.capacity_s - self.used_s


@dataclass
class ZonePlan:
    """Every slot of one zone on one day, in time order."""

    zone: ZoneSpec
    slots: list[SlotPlan] = field(default_factory=list)


@dataclass(frozen=True)
class Unplaced:
    """A bulletin that did not get all the plays it asked for, and why (in Vietnamese)."""

    bulletin_id: int
    title: str
    zone_id: int
    reason: str


@dataclass
class DayPlan:
    """The whole station's plan for one local date."""

    day: date
    zones: list[ZonePlan]
    unplaced: list[Unplaced]


def _mmss(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def build_day_plan(
    day: date,
    zones: Sequence[ZoneSpec],
    slots: Iterable[SlotSpec],
    bulletins: Iterable[BulletinSpec],
    tz: ZoneInfo,
) -> DayPlan:
    """Plan one local date: fit each zone's bulletins into that zone's slots.

    Hard rules: the bulletin's dates include the day; its zones include the zone; at most once
    per slot; at most `per_day` plays a day on a zone; nothing past a slot's end. Order: higher
    priority first, then fewer plays so far today (to spread), then nearer last day, then id.
    """
    slots_today = sorted(
        (slot for slot in slots if slot.airs_on(day)), key=lambda s: (s.start, s.id)
    )
    # Sorted by id so that the plan, and the order of its explanations, never depend on the
    # order the database happened to return rows in.
    active = sorted(
        (b for b in bulletins if b.first_day <= day <= b.last_day and b.per_day > 0),
        key=lambda b: b.id,
    )
    label = day.strftime("%d/%m")
    zone_plans: list[ZonePlan] = []
    unplaced: list[Unplaced] = []

    for zone in sorted(zones, key=lambda z: (z.name, z.id)):
        zone_slots = [
            SlotPlan(slot=s, start=datetime.combine(day, s.start, tzinfo=tz))
            for s in slots_today
            if zone.id in s.zone_ids
        ]
        zone_plans.append(ZonePlan(zone=zone, slots=zone_slots))
        wanted = [b for b in active if zone.id in b.zone_ids]
        playable = []
        for bulletin in wanted:
            reason = _never_fits(bulletin, zone, zone_slots, label)
            if reason:
                unplaced.append(Unplaced(bulletin.id, bulletin.title, zone.id, reason))
            else:
                playable.append(bulletin)

        plays = {b.id: 0 for b in playable}
        for slot_plan in zone_slots:
            order = sorted(playable, key=lambda b: (b.priority_rank, plays[b.id], b.last_day, b.id))
            for bulletin in order:
                if plays[bulletin.id] >= bulletin.per_day:
                    continue
                if bulletin.duration_s > slot_plan.free_s:
                    continue
                assert bulletin.rendering_id is not None  # _never_fits filtered the rest
                slot_plan.items.append(
                    PlannedItem(
                        bulletin_id=bulletin.id,
                        title=bulletin.title,
                        rendering_id=bulletin.rendering_id,
                        offset_s=slot_plan.used_s,
                        duration_s=bulletin.duration_s,
                    )
                )
                plays[bulletin.id] += 1

        for bulletin in playable:
            got = plays[bulletin.id]
            if got >= bulletin.per_day:
                continue
            if len(zone_slots) < bulletin.per_day and got == len(zone_slots):
                reason = (
                    f"Cụm loa {zone.name} chỉ có {len(zone_slots)} khung giờ ngày {label}, "
                    f"bản tin cần {bulletin.per_day} lượt; đã xếp {got} lượt."
                )
            else:
                reason = (
                    f"Thiếu thời lượng khung giờ: đã xếp {got}/{bulletin.per_day} lượt "
                    f"ở cụm loa {zone.name} ngày {label}."
                )
            unplaced.append(Unplaced(bulletin.id, bulletin.title, zone.id, reason))

    return DayPlan(day=day, zones=zone_plans, unplaced=unplaced)


def _never_fits(
    bulletin: BulletinSpec, zone: ZoneSpec, zone_slots: Sequence[SlotPlan], label: str
) -> str | None:
    """Return why a bulletin cannot air at all on this zone today, or None if it might."""
    if bulletin.rendering_id is None:
        return "Chưa có âm thanh: bản tin chưa được đọc thành giọng nói hoặc đọc bị lỗi."
    if not zone_slots:
        return f"Không có khung giờ nào phát ở cụm loa {zone.name} ngày {label}."
    longest = max(s.capacity_s for s in zone_slots)
    if bulletin.duration_s > longest:
        return (
            f"Bản tin dài {_mmss(bulletin.duration_s)}, vượt khung giờ dài nhất "
            f"({_mmss(longest)}) của cụm loa {zone.name}."
        )
    return None


def planned_start(slot_plan: SlotPlan, item: PlannedItem) -> datetime:
    """Return when an item is planned to start."""
    return slot_plan.start + timedelta(seconds=item.offset_s)
