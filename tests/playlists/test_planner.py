"""The planner: each hard rule holds in every plan; each preference shows its effect."""

from __future__ import annotations

import itertools
import random
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from playlists.planning.engine import build_day_plan, build_range_plan, iter_range_plan
from playlists.planning.reasons import why_never_airs
from playlists.planning.specs import (
    BulletinSpec,
    DayPlan,
    FixedItem,
    PlannedItem,
    PlanningRules,
    SlotSpec,
    Unplaced,
    ZoneSpec,
    planned_start,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = date(2026, 3, 3)  # a Tuesday
NO_GAP = PlanningRules(min_gap_s=0)


def bulletin(
    id: int,
    *,
    seconds: float = 60,
    per_day: int = 1,
    rank: int = 2,
    zones: set[int] | None = None,
    first: date = DAY,
    last: date = DAY,
    rendering: int | None = 1,
    topic: int | None = None,
    asked: int | None = None,
    aired: int | None = None,
    last_aired: datetime | None = None,
) -> BulletinSpec:
    return BulletinSpec(
        id=id, title=f"Tin {id}", priority_rank=rank, first_day=first, last_day=last,
        per_day=per_day, zone_ids=frozenset(zones or {1}), rendering_id=rendering,
        duration_s=seconds, topic_id=topic, asked_total_plays=asked, aired_plays=aired,
        last_aired=last_aired,
    )  # fmt: skip


MORNING = SlotSpec(1, "Sáng", time(5, 30), 600, frozenset({1}))
EVENING = SlotSpec(2, "Chiều", time(17, 0), 600, frozenset({1}))
ZONE = ZoneSpec(1, "Cụm 1")


def ids(plan: DayPlan, slot: int = 0, zone: int = 0) -> list[int]:
    return [item.bulletin_id for item in plan.zones[zone].slots[slot].items]


def plays(plans: list[DayPlan], bulletin_id: int) -> int:
    return sum(
        item.bulletin_id == bulletin_id
        for plan in plans
        for zone_plan in plan.zones
        for slot_plan in zone_plan.slots
        for item in slot_plan.items
    )


# --- the basics -------------------------------------------------------------------------------


def test_morning_slot_starts_on_the_previous_utc_day() -> None:
    plan = build_day_plan(DAY, [ZONE], [MORNING], [bulletin(1)], TZ)
    start = plan.zones[0].slots[0].start
    assert start.astimezone(UTC).date() == DAY - timedelta(days=1)
    assert start.astimezone(UTC).time() == time(22, 30)


def test_items_follow_each_other_back_to_back() -> None:
    plan = build_day_plan(DAY, [ZONE], [MORNING], [bulletin(1, seconds=30), bulletin(2)], TZ)
    items = plan.zones[0].slots[0].items
    assert [i.offset_s for i in items] == [0, 30]
    assert planned_start(plan.zones[0].slots[0], items[1]) == datetime.combine(
        DAY, time(5, 30, 30), tzinfo=TZ
    )


def test_plays_per_day_spread_over_slots_once_per_slot() -> None:
    plan = build_day_plan(DAY, [ZONE], [MORNING, EVENING], [bulletin(1, per_day=3)], TZ)
    assert [len(s.items) for s in plan.zones[0].slots] == [1, 1]
    assert "chỉ có 2 khung giờ" in plan.unplaced[0].reason


def test_bulletins_outside_their_dates_or_zones_are_left_out() -> None:
    plan = build_day_plan(
        DAY,
        [ZONE],
        [MORNING],
        [bulletin(1, first=DAY + timedelta(days=1), last=DAY + timedelta(days=2)),
         bulletin(2, zones={9}), bulletin(3)],
        TZ,
    )  # fmt: skip
    assert ids(plan) == [3]
    assert plan.unplaced == []


def test_what_does_not_fit_is_listed_with_the_reason() -> None:
    plan = build_day_plan(
        DAY,
        [ZONE],
        [MORNING],
        [bulletin(1, seconds=500), bulletin(2, seconds=200), bulletin(3, seconds=700),
         bulletin(4, rendering=None)],
        TZ,
    )  # fmt: skip
    reasons = {u.bulletin_id: u.reason for u in plan.unplaced}
    assert (
        reasons[2]
        == "Thiếu thời lượng khung giờ 05:30 ngày 03/03: đã xếp 0/1 lượt ở cụm loa Cụm 1."
    )
    assert "vượt khung giờ dài nhất" in reasons[3]
    assert "Chưa có âm thanh" in reasons[4]
    assert ids(plan) == [1]


def test_the_reason_names_the_slot_and_date_that_ran_out() -> None:
    market = ZoneSpec(1, "Chợ")
    plan = build_day_plan(
        DAY,
        [market],
        [MORNING, replace(EVENING, duration_s=100)],
        [bulletin(1, seconds=90, per_day=2, rank=1), bulletin(2, seconds=90, per_day=2)],
        TZ,
    )
    assert ids(plan, 0) == [1, 2] and ids(plan, 1) == [1]
    assert plan.unplaced == [
        Unplaced(
            2,
            "Tin 2",
            1,
            "Thiếu thời lượng khung giờ 17:00 ngày 03/03: đã xếp 1/2 lượt ở cụm loa Chợ.",
        )
    ]


def test_slot_days_and_validity_are_respected() -> None:
    weekend = SlotSpec(3, "Cuối tuần", time(7, 0), 600, frozenset({1}), days="67")
    expired = SlotSpec(4, "Cũ", time(8, 0), 600, frozenset({1}), valid_to=DAY - timedelta(days=1))
    plan = build_day_plan(DAY, [ZONE], [weekend, expired, MORNING], [bulletin(1)], TZ)
    assert [s.slot.id for s in plan.zones[0].slots] == [1]


def test_zone_without_slots_explains_why() -> None:
    plan = build_day_plan(DAY, [ZONE, ZoneSpec(2, "Chợ")], [MORNING], [bulletin(1, zones={2})], TZ)
    assert "Không có khung giờ nào phát ở cụm loa Chợ" in plan.unplaced[0].reason


# --- hard rules, one by one -------------------------------------------------------------------


def test_items_start_after_the_head_and_end_before_the_tail() -> None:
    slot = replace(MORNING, duration_s=300, head_s=45, tail_s=30)
    plan = build_day_plan(
        DAY, [ZONE], [slot], [bulletin(i, seconds=60) for i in (1, 2, 3, 4, 5)], TZ
    )
    slot_plan = plan.zones[0].slots[0]
    assert [i.offset_s for i in slot_plan.items] == [45, 105, 165]  # 225 + 60 would pass 270
    assert slot_plan.free_s == 300 - 30 - 225
    assert {u.bulletin_id for u in plan.unplaced} == {4, 5}


def test_a_bulletin_longer_than_the_time_between_head_and_tail_never_fits() -> None:
    slot = replace(MORNING, duration_s=300, head_s=60, tail_s=30)
    plan = build_day_plan(DAY, [ZONE], [slot], [bulletin(1, seconds=250)], TZ)
    assert (
        "vượt khung giờ dài nhất" in plan.unplaced[0].reason and "3:30" in plan.unplaced[0].reason
    )


def test_the_minimum_gap_holds_between_slots() -> None:
    early = SlotSpec(1, "A", time(6, 0), 600, frozenset({1}))
    close = SlotSpec(2, "B", time(6, 30), 600, frozenset({1}))  # 20 min after A's end
    later = SlotSpec(3, "C", time(8, 0), 600, frozenset({1}))
    b = bulletin(1, per_day=3)
    plan = build_day_plan(DAY, [ZONE], [early, close, later], [b], TZ, PlanningRules(1800))
    assert [len(s.items) for s in plan.zones[0].slots] == [1, 0, 1]
    assert "khoảng cách tối thiểu 30 phút" in plan.unplaced[0].reason
    plan = build_day_plan(DAY, [ZONE], [early, close, later], [b], TZ, PlanningRules(600))
    assert [len(s.items) for s in plan.zones[0].slots] == [1, 1, 1]


def test_the_minimum_gap_holds_across_midnight() -> None:
    late = SlotSpec(1, "Khuya", time(23, 30), 600, frozenset({1}))
    dawn = SlotSpec(2, "Sớm", time(0, 15), 600, frozenset({1}))
    b = bulletin(1, per_day=2, last=DAY + timedelta(days=1))
    plans = build_range_plan(DAY, DAY + timedelta(days=1), [ZONE], [late, dawn], [b], TZ)
    # Day 1: 00:15 and 23:30. Day 2: 00:15 is 35 minutes after 23:40, so only 23:30.
    assert [[len(s.items) for s in p.zones[0].slots] for p in plans] == [[1, 1], [0, 1]]
    assert "khoảng cách tối thiểu 60 phút" in plans[1].unplaced[0].reason
    rules = PlanningRules(min_gap_s=1800)
    plans = build_range_plan(DAY, DAY + timedelta(days=1), [ZONE], [late, dawn], [b], TZ, rules)
    assert [[len(s.items) for s in p.zones[0].slots] for p in plans] == [[1, 1], [1, 1]]
    # Planning the second day alone, yesterday's late play is passed in as aired.
    aired = FixedItem(1, datetime.combine(DAY, time(23, 30), tzinfo=TZ), 60, slot_id=1)
    alone = build_day_plan(
        DAY + timedelta(days=1), [ZONE], [late, dawn], [b], TZ, fixed={1: [aired]}
    )
    assert [len(s.items) for s in alone.zones[0].slots] == [0, 1]


def test_aired_items_count_toward_plays_per_day_and_the_gap() -> None:
    noon = SlotSpec(3, "Trưa", time(11, 0), 600, frozenset({1}))
    b = bulletin(1, per_day=2)
    aired = FixedItem(1, datetime.combine(DAY, time(5, 30), tzinfo=TZ), 60, slot_id=1)
    rebuild = datetime.combine(DAY, time(10, 0), tzinfo=TZ)
    plan = build_day_plan(
        DAY, [ZONE], [MORNING, noon, EVENING], [b], TZ, fixed={1: [aired]}, rebuild_from=rebuild
    )
    slots = plan.zones[0].slots
    assert slots[0].items == [PlannedItem(1, "Tin 1", 1, 0.0, 60, fixed=True)]
    assert [len(s.items) for s in slots] == [1, 1, 0]  # one more play makes two
    # A play at 10:30 (say, by hand) is too close to the 11:00 slot with an hour's gap.
    by_hand = FixedItem(1, datetime.combine(DAY, time(10, 30), tzinfo=TZ), 60)
    plan = build_day_plan(DAY, [ZONE], [MORNING, noon, EVENING], [b], TZ, fixed={1: [by_hand]})
    assert [len(s.items) for s in plan.zones[0].slots] == [1, 0, 0]


def test_a_slot_that_started_keeps_what_it_had_and_new_items_go_after_aired_ones() -> None:
    started = datetime.combine(DAY, time(5, 31), tzinfo=TZ)
    aired = FixedItem(7, datetime.combine(DAY, time(5, 30), tzinfo=TZ), 45, slot_id=1, title="Cũ")
    plan = build_day_plan(
        DAY, [ZONE], [MORNING, EVENING], [bulletin(1)], TZ, fixed={1: [aired]}, rebuild_from=started
    )
    assert [i.bulletin_id for i in plan.zones[0].slots[0].items] == [7]
    assert ids(plan, 1) == [1]
    # Not started: new items follow the aired one.
    plan = build_day_plan(DAY, [ZONE], [MORNING], [bulletin(1)], TZ, fixed={1: [aired]})
    assert [(i.bulletin_id, i.offset_s, i.fixed) for i in plan.zones[0].slots[0].items] == [
        (7, 0.0, True),
        (1, 45.0, False),
    ]


def test_a_rebuild_after_the_last_slot_started_explains_itself() -> None:
    plan = build_day_plan(
        DAY,
        [ZONE],
        [MORNING],
        [bulletin(1)],
        TZ,
        rebuild_from=datetime.combine(DAY, time(12, 0), tzinfo=TZ),
    )
    assert plan.zones[0].slots[0].items == []
    assert "đã bắt đầu phát" in plan.unplaced[0].reason


# --- preferences, each showing its effect -----------------------------------------------------


def test_priority_goes_first_within_a_slot_and_for_room() -> None:
    plan = build_day_plan(
        DAY, [ZONE], [MORNING], [bulletin(1, rank=2), bulletin(2, rank=1), bulletin(3, rank=0)], TZ
    )
    assert ids(plan) == [3, 2, 1]
    small = replace(MORNING, duration_s=100)
    plan = build_day_plan(DAY, [ZONE], [small], [bulletin(1, rank=2), bulletin(2, rank=1)], TZ)
    assert ids(plan) == [2]


def test_nearer_last_day_goes_first() -> None:
    small = replace(MORNING, duration_s=60)
    soon = bulletin(1, last=DAY + timedelta(days=2))
    later = bulletin(2, last=DAY + timedelta(days=9))
    assert ids(build_day_plan(DAY, [ZONE], [small], [later, soon], TZ)) == [1]


def test_further_behind_its_asked_plays_goes_first() -> None:
    small = replace(MORNING, duration_s=60)
    started = DAY - timedelta(days=4)
    # Both ran 4 days of 8 asking one play a day; 2 has aired 4 (on pace), 1 only 2.
    behind = bulletin(1, first=started, last=DAY + timedelta(days=3), aired=2)
    on_pace = bulletin(2, first=started, last=DAY + timedelta(days=3), aired=4)
    assert ids(build_day_plan(DAY, [ZONE], [small], [on_pace, behind], TZ)) == [1]
    # An explicit ask counts too: 2 asked for 24 plays over the same run, so it is behind.
    asked_more = replace(on_pace, asked_total_plays=24)
    assert ids(build_day_plan(DAY, [ZONE], [small], [asked_more, behind], TZ)) == [2]


def test_behind_and_nearer_the_end_beats_behind_by_as_much_with_time_left() -> None:
    small = replace(MORNING, duration_s=60)
    first = DAY - timedelta(days=2)
    ending = bulletin(1, first=first, last=DAY + timedelta(days=1), aired=0)  # owes 4 in 2 days
    lasting = bulletin(2, first=first, last=DAY + timedelta(days=9), aired=0)  # owes 12 in 10
    assert ids(build_day_plan(DAY, [ZONE], [small], [lasting, ending], TZ)) == [1]


def test_least_recently_aired_goes_first() -> None:
    small = replace(MORNING, duration_s=60)
    yesterday = datetime.combine(DAY - timedelta(days=1), time(17, 0), tzinfo=TZ)
    last_week = yesterday - timedelta(days=6)
    recent = bulletin(1, last_aired=yesterday)
    older = bulletin(2, last_aired=last_week)
    never = bulletin(3)
    plan = build_day_plan(DAY, [ZONE], [small], [recent, older], TZ)
    assert ids(plan) == [2]
    plan = build_day_plan(DAY, [ZONE], [small], [recent, older, never], TZ)
    assert ids(plan) == [3]


def test_over_a_range_bulletins_that_must_share_a_slot_take_turns() -> None:
    small = replace(MORNING, duration_s=60)
    end = DAY + timedelta(days=5)
    a, b = bulletin(1, last=end), bulletin(2, last=end)
    plans = build_range_plan(DAY, end, [ZONE], [small], [a, b], TZ)
    assert [ids(p) for p in plans] == [[1], [2], [1], [2], [1], [2]]


def test_topics_are_spread_within_a_slot() -> None:
    same = [bulletin(1, topic=5), bulletin(2, topic=5), bulletin(3, topic=8)]
    assert ids(build_day_plan(DAY, [ZONE], [MORNING], same, TZ)) == [1, 3, 2]
    off = PlanningRules(spread_topics=False)
    assert ids(build_day_plan(DAY, [ZONE], [MORNING], same, TZ, off)) == [1, 2, 3]
    # Never across priorities: the ưu tiên items stay first.
    ranked = [bulletin(1, topic=5, rank=1), bulletin(2, topic=5, rank=1), bulletin(3, topic=8)]
    assert ids(build_day_plan(DAY, [ZONE], [MORNING], ranked, TZ)) == [1, 2, 3]


def test_fairness_no_second_play_while_an_equal_has_none() -> None:
    slots = [replace(MORNING, duration_s=300), replace(EVENING, duration_s=300)]
    many = [bulletin(i, per_day=2) for i in range(1, 9)]  # 16 plays wanted, room for 10
    plan = build_day_plan(DAY, [ZONE], slots, many, TZ)
    got = Counter(i for s in plan.zones[0].slots for i in (x.bulletin_id for x in s.items))
    assert sorted(got.values()) == [1, 1, 1, 1, 1, 1, 2, 2]
    assert len(plan.unplaced) == 6
    assert all("đã xếp 1/2 lượt" in u.reason for u in plan.unplaced)


# --- refusing at submission -------------------------------------------------------------------


def test_why_never_airs() -> None:
    zones = [ZONE, ZoneSpec(2, "Chợ")]
    slots = [replace(MORNING, head_s=60, tail_s=30), replace(EVENING, days="67")]
    ok = bulletin(1, seconds=400, last=DAY + timedelta(days=3))
    assert why_never_airs(ok, slots, zones, DAY) is None
    past = bulletin(1, first=DAY - timedelta(days=3), last=DAY - timedelta(days=1))
    assert why_never_airs(past, slots, zones, DAY) == "Ngày kết thúc (02/03/2026) đã qua."
    nowhere = bulletin(1, zones={2})
    assert why_never_airs(nowhere, slots, zones, DAY) == (
        "Không có khung giờ nào phát ở các cụm loa đã chọn trong thời gian 03/03/2026 – 03/03/2026."
    )
    assert why_never_airs(bulletin(1, zones={1, 2}), slots, zones, DAY) is None  # airs on 1
    too_long = bulletin(1, seconds=520, last=DAY + timedelta(days=3))
    assert why_never_airs(too_long, slots, zones, DAY) == (
        "Bản tin dài 8:40, vượt thời lượng dành cho bản tin của khung giờ dài nhất (8:30)."
    )
    # Saturday's 10-minute slot without fixed segments takes it...
    weekend = replace(too_long, last_day=DAY + timedelta(days=4))
    assert why_never_airs(weekend, slots, zones, DAY) is None
    # ...unless it is cancelled that day.
    saturday = DAY + timedelta(days=4)
    cancelled = [slots[0], replace(slots[1], cancelled=frozenset({saturday}))]
    assert "vượt thời lượng" in (why_never_airs(weekend, cancelled, zones, DAY) or "")


def test_relay_and_cancellations_reach_the_plan() -> None:
    relayed = replace(MORNING, head_s=30, relay_s=300, tail_s=20)
    plan = build_day_plan(DAY, [ZONE], [relayed], [bulletin(1), bulletin(2, seconds=200)], TZ)
    assert [(i.bulletin_id, i.offset_s) for i in plan.zones[0].slots[0].items] == [(1, 330.0)]
    assert relayed.items_s == 250
    off = replace(MORNING, cancelled=frozenset({DAY}))
    plans = build_range_plan(DAY, DAY + timedelta(days=1), [ZONE], [off], [bulletin(1)], TZ)
    assert [len(p.zones[0].slots) for p in plans] == [0, 1]


# --- properties: random stations, bulletins and what already aired ---------------------------

ZONES = [ZoneSpec(1, "A"), ZoneSpec(2, "B"), ZoneSpec(3, "C")]
FIRST, LAST = DAY, DAY + timedelta(days=2)

slots_strategy = st.lists(
    st.builds(
        SlotSpec,
        id=st.integers(1, 1000),
        name=st.just("Khung"),
        start=st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45, 50])),
        duration_s=st.integers(0, 3600),
        zone_ids=st.frozensets(st.integers(1, 3), min_size=1),
        days=st.sampled_from(["1234567", "135", "67", "2"]),
        valid_from=st.one_of(st.none(), st.dates(DAY - timedelta(days=3), LAST)),
        head_s=st.sampled_from([0.0, 0.0, 30.0, 60.0]),
        tail_s=st.sampled_from([0.0, 0.0, 20.0, 45.0]),
        relay_s=st.sampled_from([0.0, 0.0, 0.0, 120.0]),
        cancelled=st.frozensets(st.dates(FIRST, LAST), max_size=2),
    ),
    max_size=5,
    unique_by=lambda s: s.id,
)
bulletins_strategy = st.lists(
    st.builds(
        BulletinSpec,
        id=st.integers(1, 10_000),
        title=st.just("Tin"),
        priority_rank=st.integers(0, 2),
        first_day=st.dates(DAY - timedelta(days=5), DAY + timedelta(days=5)),
        last_day=st.dates(DAY - timedelta(days=5), DAY + timedelta(days=10)),
        per_day=st.integers(0, 5),
        zone_ids=st.frozensets(st.integers(1, 3), min_size=1),
        rendering_id=st.one_of(st.none(), st.integers(1, 100)),
        duration_s=st.floats(0.5, 4000),
        topic_id=st.one_of(st.none(), st.integers(0, 3)),
        asked_total_plays=st.one_of(st.none(), st.integers(0, 50)),
        aired_plays=st.one_of(st.none(), st.integers(0, 50)),
        last_aired=st.one_of(
            st.none(),
            st.datetimes(datetime(2026, 2, 1), datetime(2026, 3, 3), timezones=st.just(TZ)),
        ),
    ),
    max_size=25,
    unique_by=lambda b: b.id,
)
rules_strategy = st.builds(
    PlanningRules,
    min_gap_s=st.sampled_from([0.0, 600.0, 3600.0, 7200.0]),
    spread_topics=st.booleans(),
)


@st.composite
def aired_strategy(
    draw: st.DrawFn, slots: list[SlotSpec], bulletins: list[BulletinSpec]
) -> dict[int, list[FixedItem]]:
    """Plays already made: inside slots that air on the zone, on the day before or the first."""
    fixed: dict[int, list[FixedItem]] = defaultdict(list)
    if not slots or not bulletins:
        return fixed
    for _ in range(draw(st.integers(0, 6))):
        slot = draw(st.sampled_from(slots))
        day = draw(st.sampled_from([FIRST - timedelta(days=1), FIRST]))
        if not slot.airs_on(day) or slot.duration_s == 0:
            continue
        b = draw(st.sampled_from(bulletins))
        zone = draw(st.sampled_from(sorted(slot.zone_ids)))
        offset = draw(st.integers(0, slot.duration_s - 1))
        start = datetime.combine(day, slot.start, tzinfo=TZ) + timedelta(seconds=offset)
        fixed[zone].append(FixedItem(b.id, start, min(b.duration_s, 600), slot_id=slot.id))
    return fixed


@settings(max_examples=250, deadline=None)
@given(
    slots=slots_strategy,
    bulletins=bulletins_strategy,
    rules=rules_strategy,
    data=st.data(),
    rebuild_at=st.one_of(st.none(), st.times()),
)
def test_every_plan_respects_every_hard_rule(
    slots: list[SlotSpec],
    bulletins: list[BulletinSpec],
    rules: PlanningRules,
    data: st.DataObject,
    rebuild_at: time | None,
) -> None:
    fixed = data.draw(aired_strategy(slots, bulletins))
    rebuild_from = None if rebuild_at is None else datetime.combine(FIRST, rebuild_at, tzinfo=TZ)
    plans = build_range_plan(
        FIRST, LAST, ZONES, slots, bulletins, TZ, rules, fixed=fixed, rebuild_from=rebuild_from
    )
    assert [p.day for p in plans] == [FIRST, FIRST + timedelta(days=1), LAST]
    by_id = {b.id: b for b in bulletins}
    fixed = {
        z: list({(f.bulletin_id, f.start): f for f in items}.values()) for z, items in fixed.items()
    }
    fixed_starts = {(z, f.bulletin_id, f.start) for z, items in fixed.items() for f in items}
    shown: set[tuple[int, int, datetime]] = set()
    # Every play per zone and bulletin: (start, end, planned?)
    airings: dict[tuple[int, int], list[tuple[datetime, datetime, bool]]] = defaultdict(list)
    for z, items in fixed.items():
        for f in items:
            airings[z, f.bulletin_id].append(
                (f.start, f.start + timedelta(seconds=f.duration_s), False)
            )

    for plan in plans:
        day = plan.day
        for zone_plan in plan.zones:
            zone = zone_plan.zone.id
            count: Counter[int] = Counter()  # every play, what already aired included
            planned: Counter[int] = Counter()
            for slot_plan in zone_plan.slots:
                slot = slot_plan.slot
                assert slot.airs_on(day) and zone in slot.zone_ids
                assert slot_plan.start == datetime.combine(day, slot.start, tzinfo=TZ)
                new = [item for item in slot_plan.items if not item.fixed]
                new_ids = [item.bulletin_id for item in new]
                kept_ids = {item.bulletin_id for item in slot_plan.items if item.fixed}
                assert len(new_ids) == len(set(new_ids)), "a bulletin twice in one slot"
                assert not kept_ids & set(new_ids), "a bulletin again in a slot where it aired"
                if rebuild_from is not None and slot_plan.start <= rebuild_from:
                    assert not new, "a slot that started got something new"
                cursor = max(
                    [slot.items_start_s]
                    + [i.offset_s + i.duration_s for i in slot_plan.items if i.fixed]
                )
                ranks = [by_id[i.bulletin_id].priority_rank for i in new]
                assert ranks == sorted(ranks), "a lower priority before a higher one"
                for item in slot_plan.items:
                    start = planned_start(slot_plan, item)
                    count[item.bulletin_id] += 1
                    if item.fixed:
                        assert (zone, item.bulletin_id, start) in fixed_starts
                        shown.add((zone, item.bulletin_id, start))
                        continue
                    b = by_id[item.bulletin_id]
                    planned[b.id] += 1
                    assert b.first_day <= day <= b.last_day
                    assert zone in b.zone_ids
                    assert b.rendering_id == item.rendering_id is not None
                    assert item.duration_s == b.duration_s
                    assert abs(item.offset_s - cursor) < 1e-6, "not back to back after the head"
                    cursor += item.duration_s
                    end = start + timedelta(seconds=item.duration_s)
                    airings[zone, b.id].append((start, end, True))
                assert cursor <= slot.duration_s - slot.tail_s + 1e-6 or not new, "into the tail"
            # Fixed plays not shown in any slot count on their local date.
            for f in fixed.get(zone, []):
                if f.start.date() == day:
                    count[f.bulletin_id] += _not_shown_anywhere(plans, zone, f)
            for bulletin_id, n in count.items():
                b_or_none = by_id.get(bulletin_id)
                if b_or_none is not None and planned[bulletin_id]:
                    assert n <= b_or_none.per_day, "more plays than asked a day"
            # Whatever wanted this zone and got fewer plays than asked is explained.
            for b in bulletins:
                wants = b.first_day <= day <= b.last_day and zone in b.zone_ids and b.per_day > 0
                if wants and count[b.id] < b.per_day:
                    assert any(u.bulletin_id == b.id and u.zone_id == zone for u in plan.unplaced)

    # Fixed plays in a slot occurrence of the range are shown there.
    for z, items in fixed.items():
        for f in items:
            if f.start.date() >= FIRST and _occurs(slots, z, f):
                assert (z, f.bulletin_id, f.start) in shown

    # The gap, across slots and midnight, between any two plays of which one is planned.
    gap = timedelta(seconds=rules.min_gap_s)
    for runs in airings.values():
        runs.sort()
        for (_s1, e1, p1), (s2, _e2, p2) in itertools.combinations(runs, 2):
            if p1 or p2:
                assert s2 - e1 >= gap - timedelta(microseconds=10), "two plays too close"


def _occurs(slots: list[SlotSpec], zone: int, f: FixedItem) -> bool:
    day = f.start.date()
    for slot in slots:
        if slot.id == f.slot_id and zone in slot.zone_ids and slot.airs_on(day):
            start = datetime.combine(day, slot.start, tzinfo=TZ)
            return start <= f.start < start + timedelta(seconds=slot.duration_s)
    return False


def _not_shown_anywhere(plans: list[DayPlan], zone: int, f: FixedItem) -> int:
    for plan in plans:
        for zone_plan in plan.zones:
            if zone_plan.zone.id != zone:
                continue
            for slot_plan in zone_plan.slots:
                for item in slot_plan.items:
                    if (
                        item.fixed
                        and item.bulletin_id == f.bulletin_id
                        and planned_start(slot_plan, item) == f.start
                    ):
                        return 0
    return 1


@settings(max_examples=150, deadline=None)
@given(
    capacities=st.lists(st.integers(0, 900), min_size=1, max_size=4),
    per_days=st.lists(st.integers(1, 4), min_size=1, max_size=15),
    seconds=st.integers(30, 300),
    gap=st.sampled_from([0.0, 3600.0]),
)
def test_fairness_when_demand_exceeds_capacity(
    capacities: list[int], per_days: list[int], seconds: int, gap: float
) -> None:
    """Equal bulletins: nobody gets a second play while another has none, and so on."""
    slots = [
        SlotSpec(k + 1, f"K{k}", time(6 + 3 * k), cap, frozenset({1}))
        for k, cap in enumerate(capacities)
    ]
    bulletins = [bulletin(i + 1, seconds=seconds, per_day=n) for i, n in enumerate(per_days)]
    plan = build_day_plan(DAY, [ZONE], slots, bulletins, TZ, PlanningRules(min_gap_s=gap))
    got = Counter(i.bulletin_id for s in plan.zones[0].slots for i in s.items)
    for b in bulletins:
        for other in bulletins:
            if got[b.id] < b.per_day:  # b fell short: nobody equal got two plays more
                assert got[other.id] <= got[b.id] + 1


@settings(max_examples=150, deadline=None)
@given(topics=st.lists(st.one_of(st.none(), st.integers(0, 2)), min_size=1, max_size=6))
def test_topic_neighbours_only_when_unavoidable(topics: list[int | None]) -> None:
    bulletins = [bulletin(i + 1, topic=t) for i, t in enumerate(topics)]
    plan = build_day_plan(DAY, [ZONE], [replace(MORNING, duration_s=3600)], bulletins, TZ)
    order = [bulletins[i - 1].topic_id for i in ids(plan)]
    assert sorted(map(str, order)) == sorted(map(str, topics))

    def clashes(seq: tuple[int | None, ...] | list[int | None]) -> int:
        return sum(a is not None and a == b for a, b in itertools.pairwise(seq))

    assert clashes(order) == min(clashes(p) for p in itertools.permutations(topics))


@given(slots=slots_strategy, bulletins=bulletins_strategy, rules=rules_strategy, data=st.data())
def test_the_planner_is_deterministic(
    slots: list[SlotSpec], bulletins: list[BulletinSpec], rules: PlanningRules, data: st.DataObject
) -> None:
    fixed = data.draw(aired_strategy(slots, bulletins))
    first = build_range_plan(FIRST, LAST, ZONES, slots, bulletins, TZ, rules, fixed=fixed)
    shuffled = random.Random(7)
    again = build_range_plan(
        FIRST,
        LAST,
        list(reversed(ZONES)),
        shuffled.sample(slots, len(slots)),
        shuffled.sample(bulletins, len(bulletins)),
        TZ,
        rules,
        fixed={z: list(reversed(items)) for z, items in fixed.items()},
    )
    assert first == again


@settings(max_examples=50, deadline=None)
@given(slots=slots_strategy, bulletins=bulletins_strategy)
def test_a_range_is_its_days_planned_in_turn(
    slots: list[SlotSpec], bulletins: list[BulletinSpec]
) -> None:
    whole = build_range_plan(FIRST, LAST, ZONES, slots, bulletins, TZ)
    assert list(iter_range_plan(FIRST, LAST, ZONES, slots, bulletins, TZ)) == whole
    # The first day alone is the first day of the range: nothing from later days leaks back.
    assert build_day_plan(FIRST, ZONES, slots, bulletins, TZ) == whole[0]
