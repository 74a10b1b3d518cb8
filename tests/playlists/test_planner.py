"""The day planner: each hard rule holds in every plan; each ordering rule shows its effect."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from playlists.planner import BulletinSpec, SlotSpec, ZoneSpec, build_day_plan

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = date(2026, 3, 3)  # a Tuesday


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
) -> BulletinSpec:
    return BulletinSpec(
        id=id, title=f"Tin {id}", priority_rank=rank, first_day=first, last_day=last,
        per_day=per_day, zone_ids=frozenset(zones or {1}), rendering_id=rendering,
        duration_s=seconds,
    )  # fmt: skip


MORNING = SlotSpec(1, "Sáng", time(5, 30), 600, frozenset({1}))
EVENING = SlotSpec(2, "Chiều", time(17, 0), 600, frozenset({1}))
ZONE = ZoneSpec(1, "Cụm 1")


def test_morning_slot_starts_on_the_previous_utc_day() -> None:
    plan = build_day_plan(DAY, [ZONE], [MORNING], [bulletin(1)], TZ)
    start = plan.zones[0].slots[0].start
    assert start.astimezone(UTC).date() == DAY - timedelta(days=1)
    assert start.astimezone(UTC).time() == time(22, 30)


def test_priority_items_go_first_within_a_slot() -> None:
    plan = build_day_plan(
        DAY, [ZONE], [MORNING], [bulletin(1, rank=2), bulletin(2, rank=1), bulletin(3, rank=0)], TZ
    )
    assert [i.bulletin_id for i in plan.zones[0].slots[0].items] == [3, 2, 1]


def test_items_follow_each_other_back_to_back() -> None:
    plan = build_day_plan(DAY, [ZONE], [MORNING], [bulletin(1, seconds=30), bulletin(2)], TZ)
    items = plan.zones[0].slots[0].items
    assert [i.offset_s for i in items] == [0, 30]


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
    assert [i.bulletin_id for i in plan.zones[0].slots[0].items] == [3]
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
    assert "Thiếu thời lượng" in reasons[2] and "03/03" in reasons[2]
    assert "vượt khung giờ dài nhất" in reasons[3]
    assert "Chưa có âm thanh" in reasons[4]
    assert [i.bulletin_id for i in plan.zones[0].slots[0].items] == [1]


def test_slot_days_and_validity_are_respected() -> None:
    weekend = SlotSpec(3, "Cuối tuần", time(7, 0), 600, frozenset({1}), days="67")
    expired = SlotSpec(4, "Cũ", time(8, 0), 600, frozenset({1}), valid_to=DAY - timedelta(days=1))
    plan = build_day_plan(DAY, [ZONE], [weekend, expired, MORNING], [bulletin(1)], TZ)
    assert [s.slot.id for s in plan.zones[0].slots] == [1]


def test_zone_without_slots_explains_why() -> None:
    plan = build_day_plan(DAY, [ZONE, ZoneSpec(2, "Chợ")], [MORNING], [bulletin(1, zones={2})], TZ)
    assert "Không có khung giờ nào phát ở cụm loa Chợ" in plan.unplaced[0].reason


# --- properties: random stations and bulletin sets -------------------------------------------

slots_strategy = st.lists(
    st.builds(
        SlotSpec,
        id=st.integers(1, 1000),
        name=st.just("Khung"),
        start=st.times(),
        duration_s=st.integers(0, 3600),
        zone_ids=st.frozensets(st.integers(1, 3), min_size=1),
        days=st.sampled_from(["1234567", "135", "67", "2"]),
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
    ),
    max_size=25,
    unique_by=lambda b: b.id,
)
ZONES = [ZoneSpec(1, "A"), ZoneSpec(2, "B"), ZoneSpec(3, "C")]


@settings(max_examples=300, deadline=None)
@given(slots=slots_strategy, bulletins=bulletins_strategy)
def test_every_plan_respects_every_hard_rule(
    slots: list[SlotSpec], bulletins: list[BulletinSpec]
) -> None:
    plan = build_day_plan(DAY, ZONES, slots, bulletins, TZ)
    by_id = {b.id: b for b in bulletins}
    for zone_plan in plan.zones:
        plays: Counter[int] = Counter()
        for slot_plan in zone_plan.slots:
            assert slot_plan.slot.airs_on(DAY)
            assert zone_plan.zone.id in slot_plan.slot.zone_ids
            ids = [item.bulletin_id for item in slot_plan.items]
            assert len(ids) == len(set(ids)), "a bulletin twice in one slot"
            assert slot_plan.used_s <= slot_plan.capacity_s + 1e-9, "past the slot's end"
            ranks = [by_id[i].priority_rank for i in ids]
            assert ranks == sorted(ranks), "a lower priority before a higher one"
            offset = 0.0
            for item in slot_plan.items:
                b = by_id[item.bulletin_id]
                assert b.first_day <= DAY <= b.last_day
                assert zone_plan.zone.id in b.zone_ids
                assert b.rendering_id == item.rendering_id is not None
                assert abs(item.offset_s - offset) < 1e-9
                offset += item.duration_s
                plays[item.bulletin_id] += 1
        for bulletin_id, count in plays.items():
            assert count <= by_id[bulletin_id].per_day
        # Every bulletin that wanted this zone today and did not get all its plays is explained.
        for b in bulletins:
            wants = b.first_day <= DAY <= b.last_day and zone_plan.zone.id in b.zone_ids
            if wants and b.per_day > plays[b.id]:
                assert any(
                    u.bulletin_id == b.id and u.zone_id == zone_plan.zone.id for u in plan.unplaced
                )


@given(slots=slots_strategy, bulletins=bulletins_strategy)
def test_the_planner_is_deterministic(slots: list[SlotSpec], bulletins: list[BulletinSpec]) -> None:
    first = build_day_plan(DAY, ZONES, slots, bulletins, TZ)
    again = build_day_plan(DAY, ZONES, list(reversed(slots)), list(reversed(bulletins)), TZ)
    assert first == again
