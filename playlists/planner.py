"""Plan days of airtime from slots and approved bulletins: pure, deterministic, explainable.

Nothing here touches the database or the clock: the caller loads plain specs, passes the local
dates, the time zone and (when rebuilding today) the instant to plan from, and stores the
result. That keeps every rule testable by property tests.

Hard rules, which hold in every plan:

- a bulletin airs only on its dates and on its zones, at most once per slot and at most
  `per_day` plays a day on a zone; plays already made (`FixedItem`) count;
- two plays of the same bulletin on the same zone are at least `PlanningRules.min_gap_s` apart
  (from the end of one to the start of the next), across slots and across midnight;
- a slot's fixed segments are kept: items start after its head (signature tune, station
  identification) and its relay (tiếp âm), and end before its tail (closing words and tune);
  nothing runs past a slot's end; a slot that has started gets nothing new; a slot airs
  only on its weekdays and dates, never on a cancelled date.

Preferences, in order:

1. priority: khẩn cấp, then ưu tiên, then thông thường;
2. fairness: plays are handed out round by round, so no bulletin gets its second play of the
   day on a zone before every bulletin of the same priority has had its turn at a first;
3. need: how many plays a bulletin still owes per remaining day, against what it asked for;
   behind its asked plays, or nearer its last day with the same debt, comes first;
4. nearer last day, then least recently aired on the zone, then id;
5. within a slot, items of the same priority are ordered so that two neighbours share a topic
   only when nothing else could go there.

Every bulletin that does not get all its plays on a zone is listed with the reason, in
Vietnamese, naming the slot and date that ran out.

Gaps are checked against the slot's whole item window (first possible start, last possible
end), so the order chosen inside a slot can never break them; a range plan carries each
bulletin's last play on a zone to the next day the same way.

Rebuilding today: pass what already aired or started as `fixed` (per zone; the previous
evening's plays too, for the gap across midnight) and the instant as `rebuild_from`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial
from operator import itemgetter
from typing import NamedTuple
from zoneinfo import ZoneInfo

_NEVER = float("-inf")
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class ZoneSpec:
    """A zone as the planner sees it."""

    id: int
    name: str


@dataclass(frozen=True)
class SlotSpec:
    """A slot as the planner sees it; `days` holds ISO weekday digits ("1234567").

    Fixed segments are kept free: `head_s` at the start (signature tune, station
    identification), then `relay_s` (relaying national radio, tiếp âm), and `tail_s` at the
    end (closing words and tune); items go in between. `cancelled` lists the dates it does not
    air (a holiday, an event).
    """

    id: int
    name: str
    start: time
    duration_s: int
    zone_ids: frozenset[int]
    days: str = "1234567"
    valid_from: date | None = None
    valid_to: date | None = None
    head_s: float = 0.0
    tail_s: float = 0.0
    relay_s: float = 0.0
    cancelled: frozenset[date] = frozenset()

    def airs_on(self, day: date) -> bool:
        """Tell whether the slot airs on a local date."""
        if str(day.isoweekday()) not in self.days:
            return False
        if self.valid_from is not None and day < self.valid_from:
            return False
        if self.valid_to is not None and day > self.valid_to:
            return False
        return day not in self.cancelled

    @property
    def items_start_s(self) -> float:
        """Return the offset where items may start: after the head and the relay."""
        return self.head_s + self.relay_s

    @property
    def items_s(self) -> float:
        """Return the time left for items between the fixed segments."""
        return max(0.0, self.duration_s - self.head_s - self.relay_s - self.tail_s)


@dataclass(frozen=True)
class BulletinSpec:
    """An approved bulletin as the planner sees it; no rendering means no audio yet.

    `asked_total_plays` is what the bulletin asked for over its whole run on all its zones
    (None: `per_day` on every day and zone); `aired_plays` is how many of them aired before the
    first planned day (None: unknown, taken as on pace); `last_aired` is its latest play on any
    zone. Together they say how far behind its asked plays it is and how long it has waited.
    """

    id: int
    title: str
    priority_rank: int  # 0 khẩn cấp, 1 ưu tiên, 2 thông thường
    first_day: date
    last_day: date
    per_day: int
    zone_ids: frozenset[int]
    rendering_id: int | None
    duration_s: float
    topic_id: int | None = None
    asked_total_plays: int | None = None
    aired_plays: int | None = None
    last_aired: datetime | None = None


@dataclass(frozen=True)
class PlanningRules:
    """The station's planning settings."""

    min_gap_s: float = 3600.0  # between two plays of the same bulletin on the same zone
    spread_topics: bool = True


DEFAULT_RULES = PlanningRules()


@dataclass(frozen=True)
class FixedItem:
    """A play on one zone that already happened or started: it is kept, never moved.

    It counts toward the bulletin's plays that day and toward the gap rule. With `slot_id`
    it is shown in that slot's programme (when the slot airs on the zone at that instant),
    and new items go after it.
    """

    bulletin_id: int
    start: datetime  # aware
    duration_s: float
    slot_id: int | None = None
    rendering_id: int | None = None
    title: str = ""


class PlannedItem(NamedTuple):
    """One bulletin placed in a slot, `offset_s` after the slot starts.

    An immutable record, a named tuple rather than a dataclass: a year's plan for a city holds
    about a million of them, and tuples are the cheapest records Python makes and keeps.
    """

    bulletin_id: int
    title: str
    rendering_id: int
    offset_s: float
    duration_s: float
    fixed: bool = False  # kept from what already aired or started


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
    def items_end_s(self) -> float:
        """Return the offset by which every item must have ended (the tail starts)."""
        return self.slot.duration_s - self.slot.tail_s

    @property
    def free_s(self) -> float:
        """Return the time left for items after the last one and before the tail."""
        last = max((i.offset_s + i.duration_s for i in self.items), default=0.0)
        return self.items_end_s - max(last, self.slot.items_start_s)


@dataclass
class ZonePlan:
    """Every slot of one zone on one day, in time order."""

    zone: ZoneSpec
    slots: list[SlotPlan] = field(default_factory=list)


class Unplaced(NamedTuple):
    """A bulletin that did not get all the plays it asked for on a zone, and why (Vietnamese)."""

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


def _duration_words(seconds: float) -> str:
    if seconds % 60 == 0:
        return f"{int(seconds) // 60} phút"
    return f"{seconds:g} giây"


def _hhmm(at: time) -> str:
    return f"{at.hour:02d}:{at.minute:02d}"


# --- working state ----------------------------------------------------------------------------


class _Occ:
    """One slot airing on one day: the same for every zone it covers."""

    __slots__ = ("bit", "frozen", "label", "span", "spec", "start", "start_ts", "we", "ws")

    spec: SlotSpec
    bit: int  # 1 << the slot's index in time order, to mark "already in this slot"
    start: datetime
    start_ts: float
    ws: float  # first instant an item may start (after the head and the relay)
    we: float  # last instant an item may end (before the tail)
    span: float  # we - ws
    frozen: bool  # started before the rebuild instant: takes nothing new
    label: str  # "17:00"


class _Layout:
    """The slots one or more zones have on one day, and what follows from them for any zone."""

    __slots__ = (
        "bits", "blocked", "by_bit_length", "first_ws", "frees", "heads", "label", "longest",
        "occs", "plain", "prefixes", "rooms",
    )  # fmt: skip

    def __init__(self, occs: list[_Occ], gap: float, label: str) -> None:
        self.occs = occs
        self.label = label
        self.plain = not any(occ.frozen for occ in occs)
        self.prefixes: dict[int, str] = {}
        self.rooms = range(len(occs))
        self.bits = [occ.bit for occ in occs]
        # The slots (bits) where a play of a bulletin rules out another play of it in this one:
        # this one, and those whose item windows come closer than the gap.
        self.blocked = [
            sum(b.bit for b in occs if b is a or (a.ws - b.we < gap and b.ws - a.we < gap))
            for a in occs
        ]
        self.frees = [-1.0 if occ.frozen else occ.span for occ in occs]
        self.heads = [occ.spec.items_start_s for occ in occs]
        self.longest = max((occ.span for occ in occs), default=0.0)
        self.first_ws = occs[0].ws if occs else _NEVER
        self.by_bit_length = {occ.bit.bit_length(): occ for occ in occs}

    def short_of_time(self, mask: int) -> str:
        """Return the start of the usual shortfall reason for a bulletin in slots `mask`.

        Only for a bulletin with nothing near today but its plays in `mask`, in a layout with
        no started slot: the slots it is not blocked from are exactly those that ran out of
        time. Empty when there is none (the reason is then another one).
        """
        prefix = self.prefixes.get(mask)
        if prefix is None:
            short = [o.label for o, b in zip(self.occs, self.blocked, strict=True) if not mask & b]
            prefix = (
                f"Thiếu thời lượng khung giờ {', '.join(short)} ngày {self.label}: đã xếp "
                if short
                else ""
            )
            self.prefixes[mask] = prefix
        return prefix


class _Fixed:
    __slots__ = ("day", "end_ts", "item", "start_ts")

    def __init__(self, item: FixedItem, tz: ZoneInfo) -> None:
        self.item = item
        self.start_ts = item.start.timestamp()
        self.end_ts = self.start_ts + item.duration_s
        self.day = item.start.astimezone(tz).date()


class _Cand:
    """A bulletin on one zone, carried from day to day."""

    __slots__ = (
        "area", "area_run", "audio", "busy", "dur", "fail", "fixed", "id", "last_end",
        "last_ord", "last_start", "mask", "per_day", "rank", "recent", "rendering_id", "sofar",
        "step", "title", "today", "topic",
    )  # fmt: skip

    id: int
    title: str
    audio: bool
    rendering_id: int  # 0 when there is no audio (the bulletin is then refused)
    rank: int
    per_day: int
    dur: float
    topic: int | None
    last_ord: int
    # Pace, scaled to stay in integers: what it still owes per remaining day, over what it
    # asked per day, is (area_run - sofar) / (area * days_left); a play here adds `step`.
    area: int
    area_run: int
    sofar: int
    step: int
    recent: float  # latest known start on this zone (or anywhere, before any), or -inf
    # Its last planned play on this zone, as the item window of that slot (for the gap).
    last_start: float
    last_end: float
    fixed: list[_Fixed] | None
    # Today, reset after each day:
    today: int  # plays today, fixed ones included
    mask: int  # the slots it is in today
    busy: list[tuple[float, float]]  # plays outside today's slots that may be near: yesterday's
    fail: bool  # found no room for a play it wanted

    def __init__(self, proto: _Proto, fixed: list[_Fixed] | None) -> None:
        (
            self.id, self.title, self.audio, self.rendering_id, self.rank, self.per_day,
            self.dur, self.topic, self.last_ord, self.area, self.area_run, self.step,
            self.sofar, self.recent,
        ) = proto  # fmt: skip
        self.last_start = _NEVER
        self.last_end = _NEVER
        self.fixed = fixed
        self.today = 0
        self.mask = 0
        self.busy = _NOTHING
        self.fail = False


_Proto = tuple[int, str, bool, int, int, int, float, int | None, int, int, int, int, int, float]


def _proto(spec: BulletinSpec, start_day: date) -> _Proto:
    """Return what a bulletin's state starts with on each of its zones (see `_Cand`)."""
    last_ord = spec.last_day.toordinal()
    run = last_ord - spec.first_day.toordinal() + 1
    zones = max(1, len(spec.zone_ids))
    asked = spec.asked_total_plays
    # At least 1, so that asking for nothing reads as owing nothing, not as dividing by 0.
    area = max(1, spec.per_day * run * zones if asked is None else asked)
    if spec.aired_plays is None:  # unknown: on pace
        sofar = area * min(max(0, start_day.toordinal() - spec.first_day.toordinal()), run)
    else:
        sofar = spec.aired_plays * run
    return (
        spec.id, spec.title, spec.rendering_id is not None, spec.rendering_id or 0,
        spec.priority_rank, spec.per_day, spec.duration_s, spec.topic_id, last_ord, area,
        area * run, zones * run, sofar,
        _NEVER if spec.last_aired is None else spec.last_aired.timestamp(),
    )  # fmt: skip


_NOTHING: list[tuple[float, float]] = []  # shared and never appended to
_NO_AUDIO = "Chưa có âm thanh: bản tin chưa được đọc thành giọng nói hoặc đọc bị lỗi."
# Build records straight from a tuple of their fields (a named tuple's own constructor is a
# Python function: slower, and planning a city's year makes about a million records).
_make_item = partial(tuple.__new__, PlannedItem)
_make_unplaced = partial(tuple.__new__, Unplaced)
_BY_BULLETIN = itemgetter(0)


# --- public entry points ----------------------------------------------------------------------


def build_day_plan(
    day: date,
    zones: Sequence[ZoneSpec],
    slots: Iterable[SlotSpec],
    bulletins: Iterable[BulletinSpec],
    tz: ZoneInfo,
    rules: PlanningRules = DEFAULT_RULES,
    *,
    fixed: Mapping[int, Iterable[FixedItem]] | None = None,
    rebuild_from: datetime | None = None,
) -> DayPlan:
    """Plan one local date: fit each zone's bulletins into that zone's slots.

    `fixed` maps a zone id to the plays already made or started there (today's, and the
    previous evening's for the gap rule); `rebuild_from` is the instant from which slots may
    still change (slots starting at or before it keep only their fixed items).
    """
    return build_range_plan(
        day, day, zones, slots, bulletins, tz, rules, fixed=fixed, rebuild_from=rebuild_from
    )[0]


def build_range_plan(
    first_day: date,
    last_day: date,
    zones: Sequence[ZoneSpec],
    slots: Iterable[SlotSpec],
    bulletins: Iterable[BulletinSpec],
    tz: ZoneInfo,
    rules: PlanningRules = DEFAULT_RULES,
    *,
    fixed: Mapping[int, Iterable[FixedItem]] | None = None,
    rebuild_from: datetime | None = None,
) -> list[DayPlan]:
    """Plan every local date from `first_day` to `last_day`, one `DayPlan` each.

    Days are planned in order and each zone carries forward what it planned (plays toward
    each bulletin's asked total, the last play for the gap rule and for recency), so a plan
    for a range is what planning its days one by one with up-to-date inputs would give.
    For long ranges prefer `iter_range_plan`, which hands over each day as it is planned.
    """
    return list(
        iter_range_plan(
            first_day,
            last_day,
            zones,
            slots,
            bulletins,
            tz,
            rules,
            fixed=fixed,
            rebuild_from=rebuild_from,
        )
    )


def iter_range_plan(
    first_day: date,
    last_day: date,
    zones: Sequence[ZoneSpec],
    slots: Iterable[SlotSpec],
    bulletins: Iterable[BulletinSpec],
    tz: ZoneInfo,
    rules: PlanningRules = DEFAULT_RULES,
    *,
    fixed: Mapping[int, Iterable[FixedItem]] | None = None,
    rebuild_from: datetime | None = None,
) -> Iterator[DayPlan]:
    """Yield the plan of each date from `first_day` to `last_day` (see `build_range_plan`)."""
    zone_list = sorted(zones, key=lambda z: (z.name, z.id))
    zone_ids = {z.id for z in zone_list}
    slot_list = sorted(slots, key=lambda s: (s.start, s.id))
    frozen_ts = _NEVER if rebuild_from is None else rebuild_from.timestamp()
    gap = rules.min_gap_s

    # Bulletins swept in by first day, and out again after their last day.
    incoming = sorted(
        (
            b
            for b in bulletins
            if b.per_day > 0
            and first_day <= b.last_day
            and b.first_day <= last_day
            and b.first_day <= b.last_day
            and not b.zone_ids.isdisjoint(zone_ids)
        ),
        key=lambda b: (b.first_day, b.id),
    )
    fixed_index = _index_fixed(fixed, zone_ids, tz)
    active: dict[int, dict[int, _Cand]] = {z.id: {} for z in zone_list}
    leaving: dict[date, list[BulletinSpec]] = {}
    cursor = 0
    # Which slots (positions among the day's) each zone has, by the set of slots airing.
    zone_slots_cache: dict[tuple[int, ...], dict[int, tuple[int, ...]]] = {}

    day = first_day
    while day <= last_day:
        while cursor < len(incoming) and incoming[cursor].first_day <= day:
            spec = incoming[cursor]
            cursor += 1
            proto = _proto(spec, day)
            for zone_id in spec.zone_ids:
                if zone_id in zone_ids:
                    zone_fixed = fixed_index.get(zone_id)
                    own = zone_fixed.get(spec.id) if zone_fixed else None
                    active[zone_id][spec.id] = _Cand(proto, own)
            leaving.setdefault(spec.last_day, []).append(spec)

        occs = _occurrences(day, slot_list, tz, frozen_ts)
        key = tuple(occ.bit for occ in occs)
        zone_slots = zone_slots_cache.get(key)
        if zone_slots is None:
            lists: dict[int, list[int]] = {}
            for k, occ in enumerate(occs):
                for zone_id in occ.spec.zone_ids:
                    lists.setdefault(zone_id, []).append(k)
            zone_slots = zone_slots_cache[key] = {z: tuple(ks) for z, ks in lists.items()}
        layouts: dict[tuple[int, ...], _Layout] = {}

        label = f"{day.day:02d}/{day.month:02d}"
        unplaced: list[Unplaced] = []
        zone_plans: list[ZonePlan] = []
        for zone in zone_list:
            positions = zone_slots.get(zone.id, ())
            layout = layouts.get(positions)
            if layout is None:
                layout = layouts[positions] = _Layout([occs[k] for k in positions], gap, label)
            zone_plans.append(
                _plan_zone_day(
                    zone,
                    day,
                    label,
                    layout,
                    active[zone.id],
                    fixed_index.get(zone.id),
                    rules,
                    unplaced,
                )
            )
        yield DayPlan(day=day, zones=zone_plans, unplaced=unplaced)

        for spec in leaving.pop(day, ()):
            for zone_id in spec.zone_ids:
                if zone_id in zone_ids:
                    del active[zone_id][spec.id]
        day += _ONE_DAY


def why_never_airs(
    bulletin: BulletinSpec, slots: Iterable[SlotSpec], zones: Iterable[ZoneSpec], today: date
) -> str | None:
    """Return why a bulletin could never air (to refuse it at submission), or None.

    It never airs when its last day has passed, when no slot airs on any of its zones on any
    of its remaining days, or when it is longer than the time every such slot leaves for
    bulletins (fixed segments kept). Zones not in `zones` do not count. In Vietnamese.
    """
    if bulletin.last_day < today:
        return f"Ngày kết thúc ({bulletin.last_day:%d/%m/%Y}) đã qua."
    known = bulletin.zone_ids & {zone.id for zone in zones}
    first = max(bulletin.first_day, today)
    airing = [
        slot
        for slot in slots
        if not slot.zone_ids.isdisjoint(known) and _airs_between(slot, first, bulletin.last_day)
    ]
    if not airing:
        return (
            "Không có khung giờ nào phát ở các cụm loa đã chọn trong thời gian "
            f"{bulletin.first_day:%d/%m/%Y} – {bulletin.last_day:%d/%m/%Y}."
        )
    longest = max(slot.items_s for slot in airing)
    if bulletin.rendering_id is not None and bulletin.duration_s > longest:
        return (
            f"Bản tin dài {_mmss(bulletin.duration_s)}, vượt thời lượng dành cho bản tin của "
            f"khung giờ dài nhất ({_mmss(longest)})."
        )
    return None


def planned_start(slot_plan: SlotPlan, item: PlannedItem) -> datetime:
    """Return when an item is planned to start."""
    return slot_plan.start + timedelta(seconds=item.offset_s)


# --- the work ---------------------------------------------------------------------------------


def _airs_between(slot: SlotSpec, first: date, last: date) -> bool:
    """Tell whether a slot airs on at least one date from `first` to `last`."""
    if slot.valid_from is not None and slot.valid_from > first:
        first = slot.valid_from
    if slot.valid_to is not None and slot.valid_to < last:
        last = slot.valid_to
    day = first
    # Each weekday comes back every 7 days; each cancellation can hide one of its returns.
    for _ in range(7 * (len(slot.cancelled) + 1)):
        if day > last:
            return False
        if slot.airs_on(day):
            return True
        day += _ONE_DAY
    return False


def _index_fixed(
    fixed: Mapping[int, Iterable[FixedItem]] | None, zone_ids: set[int], tz: ZoneInfo
) -> dict[int, dict[int, list[_Fixed]]]:
    index: dict[int, dict[int, list[_Fixed]]] = {}
    for zone_id, items in (fixed or {}).items():
        if zone_id not in zone_ids:
            continue
        per_bulletin: dict[int, list[_Fixed]] = {}
        seen: set[tuple[int, datetime]] = set()
        for item in sorted(items, key=lambda i: (i.start, i.bulletin_id, -i.duration_s)):
            if (item.bulletin_id, item.start) in seen:
                continue  # the same play reported twice counts once
            seen.add((item.bulletin_id, item.start))
            per_bulletin.setdefault(item.bulletin_id, []).append(_Fixed(item, tz))
        if per_bulletin:
            index[zone_id] = per_bulletin
    return index


def _occurrences(
    day: date, slot_list: Sequence[SlotSpec], tz: ZoneInfo, frozen_ts: float
) -> list[_Occ]:
    """Return the occurrences of the slots that air on a day, in time order."""
    weekday = str(day.isoweekday())
    out: list[_Occ] = []
    for i, spec in enumerate(slot_list):
        if (
            weekday not in spec.days
            or (spec.valid_from is not None and day < spec.valid_from)
            or (spec.valid_to is not None and day > spec.valid_to)
            or day in spec.cancelled
        ):
            continue
        occ = _Occ()
        occ.spec = spec
        occ.bit = 1 << i
        occ.start = datetime.combine(day, spec.start, tzinfo=tz)
        occ.start_ts = occ.start.timestamp()
        occ.ws = occ.start_ts + spec.head_s + spec.relay_s
        occ.we = occ.start_ts + spec.duration_s - spec.tail_s
        occ.span = occ.we - occ.ws
        occ.frozen = occ.start_ts <= frozen_ts
        occ.label = _hhmm(spec.start)
        out.append(occ)
    return out


def _plan_zone_day(
    zone: ZoneSpec,
    day: date,
    label: str,
    layout: _Layout,
    active: dict[int, _Cand],
    zone_fixed: dict[int, list[_Fixed]] | None,
    rules: PlanningRules,
    unplaced: list[Unplaced],
) -> ZonePlan:
    """Fill one zone's slots on one day; append its shortfalls to `unplaced`."""
    zone_id = zone.id
    zone_name = zone.name
    occs = layout.occs
    refused: list[Unplaced] = []
    if not occs:
        for c in active.values():
            reason = (
                f"Không có khung giờ nào phát ở cụm loa {zone_name} ngày {label}."
                if c.audio
                else _NO_AUDIO
            )
            refused.append(_make_unplaced((c.id, c.title, zone_id, reason)))
        if refused:
            refused.sort(key=_BY_BULLETIN)
            unplaced.extend(refused)
        return ZonePlan(zone, [])

    # The rooms (this zone's slots today) as parallel lists, indexed by `rooms`.
    gap = rules.min_gap_s
    rooms = layout.rooms
    frees = layout.frees.copy()
    blocked = layout.blocked
    bits = layout.bits
    members: list[list[_Cand]] = [[] for _ in rooms]
    cursors = layout.heads
    kept: list[list[PlannedItem]] | None = None
    if zone_fixed:
        kept, cursors = _place_fixed(layout, frees, zone_fixed, active)

    horizon = layout.first_ws - gap  # an earlier play cannot block any slot today
    longest = layout.longest
    left = 1 - day.toordinal()  # + last_ord: days left, today included
    keyed: list[tuple[int, float, int, float, int, _Cand]] = []
    for c in active.values():
        if c.last_end > horizon:
            c.busy = [(c.last_start, c.last_end)]
        elif c.busy:
            c.busy = _NOTHING
        if c.fixed is not None:
            _count_fixed(c, layout, day)
        if c.audio and c.dur <= longest:
            # Priority; then need, highest first; nearer last day; least recently aired; id.
            keyed.append(
                (
                    c.rank,
                    (c.sofar - c.area_run) / (c.area * (c.last_ord + left)),
                    c.last_ord,
                    c.recent,
                    c.id,
                    c,
                )
            )
        else:
            reason = (
                _NO_AUDIO
                if not c.audio
                else f"Bản tin dài {_mmss(c.dur)}, vượt khung giờ dài nhất của cụm loa "
                f"{zone_name} ({_mmss(longest)} dành cho bản tin) ngày {label}."
            )
            refused.append(_make_unplaced((c.id, c.title, zone_id, reason)))
    keyed.sort()

    # Round by round within each priority: at level L only bulletins with exactly L plays
    # today get a play, each in the first slot with room; one that finds none drops out
    # (room only shrinks, so it would find none later either).
    order = [k[5] for k in keyed]
    n = len(order)
    i = 0
    while i < n:
        rank = order[i].rank
        j = i + 1
        while j < n and order[j].rank == rank:
            j += 1
        pending = [c for c in order[i:j] if c.today < c.per_day]  # fixed plays may cover some
        level = 0
        while pending:
            still: list[_Cand] = []
            for c in pending:
                today = c.today
                if today > level:
                    still.append(c)
                    continue
                d = c.dur
                mask = c.mask
                busy = c.busy
                for r in rooms:
                    if frees[r] < d or mask & blocked[r]:
                        continue
                    if busy:
                        ws = occs[r].ws
                        we = occs[r].we
                        for bs, be in busy:
                            if ws - be < gap and bs - we < gap:
                                break
                        else:
                            frees[r] -= d
                            members[r].append(c)
                            c.mask = mask | bits[r]
                            c.today = today = today + 1
                            if today < c.per_day:
                                still.append(c)
                            break
                        continue
                    frees[r] -= d
                    members[r].append(c)
                    c.mask = mask | bits[r]
                    c.today = today = today + 1
                    if today < c.per_day:
                        still.append(c)
                    break
                else:
                    c.fail = True
            pending = still
            level += 1
        i = j

    # Each slot: kept items, then the new ones by priority, plays so far and preference (the
    # order they were placed in), topics spread, back to back after the head.
    spread = rules.spread_topics
    slot_plans: list[SlotPlan] = []
    for r in rooms:
        occ = occs[r]
        items = kept[r] if kept is not None else []
        placed = members[r]
        if placed:
            if spread and len(placed) > 1:
                placed = _spread_topics(placed, _topic_of(items[-1], active) if items else None)
            offset = cursors[r]
            for c in placed:
                items.append(_make_item((c.id, c.title, c.rendering_id, offset, c.dur, False)))
                offset += c.dur
        slot_plans.append(SlotPlan(occ.spec, occ.start, items))

    # Carry to tomorrow; explain what fell short.
    by_bit_length = layout.by_bit_length
    plain = layout.plain
    for c in active.values():
        if c.fail:
            prefix = layout.short_of_time(c.mask) if plain and not c.busy else ""
            if prefix:
                reason = f"{prefix}{c.today}/{c.per_day} lượt ở cụm loa {zone_name}."
            else:
                reason = _shortfall(c, layout, frees, zone_name, label, gap)
            refused.append(_make_unplaced((c.id, c.title, zone_id, reason)))
            c.fail = False
        today = c.today
        if today:
            c.sofar += c.step * today
            if c.mask:
                last = by_bit_length[c.mask.bit_length()]
                c.last_start = last.ws
                c.last_end = last.we
                if last.ws > c.recent:
                    c.recent = last.ws
            c.today = 0
            c.mask = 0
    if refused:
        refused.sort(key=_BY_BULLETIN)
        unplaced.extend(refused)
    return ZonePlan(zone, slot_plans)


def _place_fixed(
    layout: _Layout,
    frees: list[float],
    zone_fixed: dict[int, list[_Fixed]],
    active: dict[int, _Cand],
) -> tuple[list[list[PlannedItem]], list[float]]:
    """Show fixed plays in their slot occurrences; new items go after the last of them.

    Return each slot's kept items and the offset where new items may start.
    """
    kept: list[list[PlannedItem]] = []
    cursors = list(layout.heads)
    for r, occ in enumerate(layout.occs):
        end_ts = occ.start_ts + occ.spec.duration_s
        found = sorted(
            (
                f
                for items in zone_fixed.values()
                for f in items
                if f.item.slot_id == occ.spec.id and occ.start_ts <= f.start_ts < end_ts
            ),
            key=lambda f: (f.start_ts, f.item.bulletin_id),
        )
        own: list[PlannedItem] = []
        for f in found:
            item = f.item
            cand = active.get(item.bulletin_id)
            rendering = item.rendering_id
            if rendering is None:
                rendering = cand.rendering_id if cand is not None else 0
            title = item.title or (cand.title if cand is not None else "")
            offset = f.start_ts - occ.start_ts
            own.append(
                PlannedItem(item.bulletin_id, title, rendering, offset, item.duration_s, True)
            )
            cursors[r] = max(cursors[r], offset + item.duration_s)
        if own and frees[r] >= 0:
            frees[r] = occ.we - (occ.start_ts + cursors[r])
        kept.append(own)
    return kept, cursors


def _count_fixed(c: _Cand, layout: _Layout, day: date) -> None:
    """Add a bulletin's fixed plays to its busy times, and today's to its plays today.

    A fixed play belongs to the day of the slot occurrence it sits in, else to its local date.
    """
    assert c.fixed is not None
    if c.busy is _NOTHING:
        c.busy = []
    for f in c.fixed:
        c.busy.append((f.start_ts, f.end_ts))
        slot_id = f.item.slot_id
        for occ in layout.occs:
            if (
                slot_id == occ.spec.id
                and occ.start_ts <= f.start_ts < occ.start_ts + occ.spec.duration_s
            ):
                c.today += 1
                c.mask |= occ.bit
                break
        else:
            if f.day == day:
                c.today += 1
        if f.day <= day and f.start_ts > c.recent:
            c.recent = f.start_ts


def _shortfall(
    c: _Cand, layout: _Layout, frees: list[float], zone_name: str, label: str, gap: float
) -> str:
    """Say, in Vietnamese, why a bulletin got fewer plays than it asked for.

    Read from the day's final state, which gives what its failed turn saw: slots only fill
    up, and the bulletin itself got nothing more after it.
    """
    mask = c.mask
    busy = c.busy
    dur = c.dur
    # Slots that could have taken it but for time ("blocked" includes its own slots).
    short = [
        occ.label
        for occ, blocked, free in zip(layout.occs, layout.blocked, frees, strict=True)
        if free < dur
        and not occ.frozen
        and not mask & blocked
        and not (busy and _near(occ, busy, gap))
    ]
    if short:
        return (
            f"Thiếu thời lượng khung giờ {', '.join(short)} ngày {label}: "
            f"đã xếp {c.today}/{c.per_day} lượt ở cụm loa {zone_name}."
        )
    gapped = False
    started = False
    for occ, blocked in zip(layout.occs, layout.blocked, strict=True):
        if occ.frozen:
            started = True
        elif not mask & occ.bit and (mask & blocked or (busy and _near(occ, busy, gap))):
            gapped = True
    got = f"đã xếp {c.today}/{c.per_day} lượt ở cụm loa {zone_name}"
    if gapped:
        return (
            f"Không đủ khoảng cách tối thiểu {_duration_words(gap)} giữa hai lượt phát "
            f"ngày {label}: {got}."
        )
    if started:
        return f"Các khung giờ còn lại ngày {label} đã bắt đầu phát: {got}."
    return (
        f"Cụm loa {zone_name} chỉ có {len(layout.occs)} khung giờ ngày {label}, "
        f"bản tin cần {c.per_day} lượt; đã xếp {c.today} lượt."
    )


def _near(occ: _Occ, busy: list[tuple[float, float]], gap: float) -> bool:
    """Tell whether a play in this slot would come closer than the gap to one of `busy`."""
    return any(occ.ws - be < gap and bs - occ.we < gap for bs, be in busy)


def _topic_of(item: PlannedItem, active: dict[int, _Cand]) -> int | None:
    cand = active.get(item.bulletin_id)
    return cand.topic if cand is not None else None


def _spread_topics(members: list[_Cand], prev: int | None) -> list[_Cand]:
    """Reorder each run of one priority so neighbours share a topic only when unavoidable.

    Keeps the given order wherever it already alternates; otherwise takes the next item of
    another topic, unless one topic is so common that it must go now.
    """
    if members[0].rank == members[-1].rank:  # one priority (they come in priority order)
        arranged = _next_other_topic(members, prev)
        return arranged if arranged is not None else _majority_first(members, prev)
    out: list[_Cand] = []
    n = len(members)
    i = 0
    while i < n:
        rank = members[i].rank
        j = i + 1
        while j < n and members[j].rank == rank:
            j += 1
        group = members[i:j]
        arranged = _next_other_topic(group, prev)
        if arranged is None:
            arranged = _majority_first(group, prev)
        out.extend(arranged)
        prev = arranged[-1].topic
        i = j
    return out


def _next_other_topic(group: list[_Cand], prev: int | None) -> list[_Cand] | None:
    """Take, each time, the first remaining item whose topic differs from the one before.

    One pass: an item that would repeat the topic before it waits, and waiting items (which
    come first in the order) go as soon as they no longer repeat it. Return None when, at the
    end, only items repeating the topic are left: then `_majority_first` must decide.
    """
    out: list[_Cand] = []
    waiting: list[_Cand] = []
    for c in group:
        while waiting:
            for k in range(len(waiting)):
                if waiting[k].topic != prev:
                    break
            else:
                break
            w = waiting.pop(k)
            out.append(w)
            prev = w.topic
        topic = c.topic
        if topic is None or topic != prev:
            out.append(c)
            prev = topic
        else:
            waiting.append(c)
    while waiting:
        for k in range(len(waiting)):
            if waiting[k].topic != prev:
                break
        else:
            return None
        w = waiting.pop(k)
        out.append(w)
        prev = w.topic
    return out


def _majority_first(group: list[_Cand], prev: int | None) -> list[_Cand]:
    """Like `_next_other_topic`, but a topic that would otherwise run out of separators goes
    now: this leaves the fewest neighbours sharing a topic that the items allow."""
    rest = list(group)
    counts: dict[int, int] = {}
    for c in rest:
        if c.topic is not None:
            counts[c.topic] = counts.get(c.topic, 0) + 1
    out: list[_Cand] = []
    while rest:
        left = len(rest)
        forced = None
        for topic, count in counts.items():
            if topic != prev and count > left // 2:
                forced = topic
                break
        pick = 0
        if forced is not None:
            while rest[pick].topic != forced:
                pick += 1
        elif prev is not None:
            for k, c in enumerate(rest):
                if c.topic != prev:
                    pick = k
                    break
        chosen = rest.pop(pick)
        if chosen.topic is not None:
            counts[chosen.topic] -= 1
        prev = chosen.topic
        out.append(chosen)
    return out
