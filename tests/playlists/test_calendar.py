"""When a slot airs and where its bulletins go: the one place that says (slots/calendar.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from playlists.planning.store import slot_spec
from playlists.slots import calendar
from playlists.slots.models import Slot, SlotCancellation

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DAYS = st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31))
WEEKDAYS = st.sets(st.sampled_from("1234567"), min_size=1).map(lambda s: "".join(sorted(s)))


@st.composite
def rules(draw: st.DrawFn) -> dict[str, object]:
    valid_from = draw(st.none() | DAYS)
    valid_to = draw(st.none() | DAYS)
    return {
        "days": draw(WEEKDAYS),
        "valid_from": valid_from,
        "valid_to": valid_to,
        "cancelled": frozenset(draw(st.sets(DAYS, max_size=6))),
    }


@given(rule=rules(), first=DAYS, span=st.integers(min_value=0, max_value=60))
def test_airs_between_is_some_day_airing(rule: dict[str, object], first: date, span: int) -> None:
    last = first + timedelta(days=span)
    days = [first + timedelta(days=n) for n in range(span + 1)]
    expected = any(calendar.airs_on(d, **rule) for d in days)  # type: ignore[arg-type]
    assert calendar.airs_between(first, last, **rule) == expected  # type: ignore[arg-type]


@given(rule=rules(), day=DAYS)
def test_the_stored_slot_and_the_planners_slot_agree_on_every_day(
    rule: dict[str, object], day: date
) -> None:
    slot = Slot(
        id=1, name="Sáng", start=time(5, 30), duration_s=1800, days=rule["days"],
        valid_from=rule["valid_from"], valid_to=rule["valid_to"], head_s=60, relay_s=0,
        tail_s=30, zones=[],
        cancellations=[SlotCancellation(day=d) for d in rule["cancelled"]],  # type: ignore[attr-defined]
    )  # fmt: skip
    spec = slot_spec(slot)
    assert slot.airs_on(day) == spec.airs_on(day) == calendar.airs_on(day, **rule)  # type: ignore[arg-type]
    assert slot.window == spec.window


def test_bulletins_go_between_the_fixed_segments() -> None:
    window = calendar.bulletin_window(1800, head_s=60, relay_s=300, tail_s=30)
    assert (window.start_s, window.end_s, window.length_s) == (360, 1770, 1410)
    assert calendar.bulletin_window(60, head_s=40, relay_s=0, tail_s=40).length_s == 0


def test_a_morning_slot_starts_on_the_previous_utc_day() -> None:
    start, end = calendar.occurrence(date(2026, 3, 3), time(5, 30), 1800, TZ)
    assert start == datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
    assert end - start == timedelta(minutes=30)


def test_weekdays_are_read_as_staff_write_them() -> None:
    assert calendar.parse_days("1-5") == "12345"
    assert calendar.parse_days("2,4,6") == "246"
    assert calendar.parse_days("6-7, 1") == "167"
