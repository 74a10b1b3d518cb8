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
from datetime import date, datetime, timedelta
from functools import partial
from operator import itemgetter
from zoneinfo import ZoneInfo

from playlists.planning import reasons
from playlists.planning.specs import (
    DEFAULT_RULES,
    BulletinSpec,
    DayPlan,
    FixedItem,
    PlannedItem,
    PlanningRules,
    SlotPlan,
    SlotSpec,
    Unplaced,
    ZonePlan,
    ZoneSpec,
)
from playlists.planning.spread import spread_topics

_NEVER = float("-inf")
_ONE_DAY = timedelta(days=1)


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
        """Return the opening of the usual shortfall reason for a bulletin in slots `mask`.

        Only for a bulletin with nothing near today but its plays in `mask`, in a layout with
        no started slot: the slots it is not blocked from are exactly those that ran out of
        time. Empty when there is none (the reason is then another one).
        """
        prefix = self.prefixes.get(mask)
        if prefix is None:
            short = [o.label for o, b in zip(self.occs, self.blocked, strict=True) if not mask & b]
            prefix = reasons.short_of_time_opening(short, self.label) if short else ""
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
            _sweep_in(incoming[cursor], day, active, fixed_index, leaving)
            cursor += 1

        occs = _occurrences(day, slot_list, tz, frozen_ts)
        key = tuple(occ.bit for occ in occs)
        zone_slots = zone_slots_cache.get(key)
        if zone_slots is None:
            zone_slots = zone_slots_cache[key] = _slots_by_zone(occs)
        layouts: dict[tuple[int, ...], _Layout] = {}

        label = reasons.day_label(day)
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
            for zone_id in spec.zone_ids & zone_ids:
                del active[zone_id][spec.id]
        day += _ONE_DAY


# --- the steps of a day ----------------------------------------------------------------------


def _sweep_in(
    spec: BulletinSpec,
    day: date,
    active: dict[int, dict[int, _Cand]],
    fixed_index: dict[int, dict[int, list[_Fixed]]],
    leaving: dict[date, list[BulletinSpec]],
) -> None:
    """Start planning a bulletin on each of its zones from its first day (or the first day)."""
    proto = _proto(spec, day)
    for zone_id in spec.zone_ids & active.keys():
        zone_fixed = fixed_index.get(zone_id)
        own = zone_fixed.get(spec.id) if zone_fixed else None
        active[zone_id][spec.id] = _Cand(proto, own)
    leaving.setdefault(spec.last_day, []).append(spec)


def _slots_by_zone(occs: Sequence[_Occ]) -> dict[int, tuple[int, ...]]:
    """Return, for each zone, the positions among the day's slot occurrences that it airs."""
    lists: dict[int, list[int]] = {}
    for k, occ in enumerate(occs):
        for zone_id in occ.spec.zone_ids:
            lists.setdefault(zone_id, []).append(k)
    return {z: tuple(ks) for z, ks in lists.items()}


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
    out: list[_Occ] = []
    for i, spec in enumerate(slot_list):
        if not spec.airs_on(day):
            continue
        window = spec.window
        occ = _Occ()
        occ.spec = spec
        occ.bit = 1 << i
        occ.start = datetime.combine(day, spec.start, tzinfo=tz)
        occ.start_ts = occ.start.timestamp()
        occ.ws = occ.start_ts + window.start_s
        occ.we = occ.start_ts + window.end_s
        occ.span = occ.we - occ.ws
        occ.frozen = occ.start_ts <= frozen_ts
        occ.label = reasons.slot_label(spec.start)
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
    """Fill one zone's slots on one day; append its shortfalls to `unplaced`.

    In four steps: rank the bulletins, hand out plays round by round, lay each slot out, and
    carry what was planned over to the next day while explaining what fell short.
    """
    refused: list[Unplaced] = []
    if not layout.occs:
        for c in active.values():
            reason = reasons.no_slot_on_zone(zone.name, label) if c.audio else reasons.NO_AUDIO
            refused.append(_make_unplaced((c.id, c.title, zone.id, reason)))
        _report(refused, unplaced)
        return ZonePlan(zone, [])
    frees = layout.frees.copy()
    kept: list[list[PlannedItem]] | None = None
    cursors = layout.heads
    if zone_fixed:
        kept, cursors = _place_fixed(layout, frees, zone_fixed, active)
    order = _rank(zone, day, label, layout, active, rules.min_gap_s, refused)
    members = _hand_out(order, layout, frees, rules.min_gap_s)
    slot_plans = _lay_out(layout, members, kept, cursors, active, rules.spread_topics)
    _carry_over(zone, label, layout, frees, active, rules.min_gap_s, refused)
    _report(refused, unplaced)
    return ZonePlan(zone, slot_plans)


def _report(refused: list[Unplaced], unplaced: list[Unplaced]) -> None:
    if refused:
        refused.sort(key=_BY_BULLETIN)
        unplaced.extend(refused)


def _rank(
    zone: ZoneSpec,
    day: date,
    label: str,
    layout: _Layout,
    active: dict[int, _Cand],
    gap: float,
    refused: list[Unplaced],
) -> list[_Cand]:
    """Return the bulletins that can air today in the order they get plays; refuse the rest.

    Also notes, for each, the plays near today that the gap rule must keep clear of.
    """
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
            need = (c.sofar - c.area_run) / (c.area * (c.last_ord + left))
            keyed.append((c.rank, need, c.last_ord, c.recent, c.id, c))
        else:
            reason = (
                reasons.NO_AUDIO
                if not c.audio
                else reasons.longer_than_zone_slots(c.dur, zone.name, longest, label)
            )
            refused.append(_make_unplaced((c.id, c.title, zone.id, reason)))
    keyed.sort()
    return [k[5] for k in keyed]


def _hand_out(
    order: list[_Cand], layout: _Layout, frees: list[float], gap: float
) -> list[list[_Cand]]:
    """Give plays round by round within each priority; return each slot's new members.

    At level L only bulletins with exactly L plays today get a play, each in the first slot
    with room; one that finds none drops out (room only shrinks, so it would find none later
    either). `frees` is each slot's time left, updated as plays are given.
    """
    occs = layout.occs
    rooms = layout.rooms
    blocked = layout.blocked
    bits = layout.bits
    members: list[list[_Cand]] = [[] for _ in rooms]
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
    return members


def _lay_out(
    layout: _Layout,
    members: list[list[_Cand]],
    kept: list[list[PlannedItem]] | None,
    cursors: list[float],
    active: dict[int, _Cand],
    spread: bool,
) -> list[SlotPlan]:
    """Write each slot's programme: kept items, then the new ones back to back after them.

    New items keep the order they were placed in (priority, plays so far, preference), with
    topics spread.
    """
    slot_plans: list[SlotPlan] = []
    for r in layout.rooms:
        occ = layout.occs[r]
        items = kept[r] if kept is not None else []
        placed = members[r]
        if placed:
            if spread and len(placed) > 1:
                placed = spread_topics(placed, _topic_of(items[-1], active) if items else None)
            offset = cursors[r]
            for c in placed:
                items.append(_make_item((c.id, c.title, c.rendering_id, offset, c.dur, False)))
                offset += c.dur
        slot_plans.append(SlotPlan(occ.spec, occ.start, items))
    return slot_plans


def _carry_over(
    zone: ZoneSpec,
    label: str,
    layout: _Layout,
    frees: list[float],
    active: dict[int, _Cand],
    gap: float,
    refused: list[Unplaced],
) -> None:
    """Carry each bulletin's day to the next (pace, last play, recency); explain shortfalls."""
    by_bit_length = layout.by_bit_length
    plain = layout.plain
    for c in active.values():
        if c.fail:
            opening = layout.short_of_time(c.mask) if plain and not c.busy else ""
            if opening:
                reason = f"{opening}{reasons.placed(c.today, c.per_day, zone.name)}."
            else:
                reason = _shortfall(c, layout, frees, zone.name, label, gap)
            refused.append(_make_unplaced((c.id, c.title, zone.id, reason)))
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
        return reasons.short_of_time(short, label, c.today, c.per_day, zone_name)
    gapped = False
    started = False
    for occ, blocked in zip(layout.occs, layout.blocked, strict=True):
        if occ.frozen:
            started = True
        elif not mask & occ.bit and (mask & blocked or (busy and _near(occ, busy, gap))):
            gapped = True
    if gapped:
        return reasons.too_close(gap, label, c.today, c.per_day, zone_name)
    if started:
        return reasons.slots_started(label, c.today, c.per_day, zone_name)
    return reasons.too_few_slots(zone_name, len(layout.occs), label, c.per_day, c.today)


def _near(occ: _Occ, busy: list[tuple[float, float]], gap: float) -> bool:
    """Tell whether a play in this slot would come closer than the gap to one of `busy`."""
    return any(occ.ws - be < gap and bs - occ.we < gap for bs, be in busy)


def _topic_of(item: PlannedItem, active: dict[int, _Cand]) -> int | None:
    cand = active.get(item.bulletin_id)
    return cand.topic if cand is not None else None
