"""Retention of aired audio: never a day no closed report covers, never a day still young."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from playlists.reports.retention import Retention, may_delete, retention

DAYS = st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31))
KEEP = st.integers(min_value=1, max_value=3650)  # LOA_AIRED_KEEP_DAYS' bounds
WINDOW = st.tuples(DAYS, st.integers(min_value=0, max_value=400)).map(
    lambda start_len: (start_len[0], start_len[0] + timedelta(days=start_len[1]))
)
WINDOWS = st.lists(WINDOW, max_size=8)


def inside(day: date, windows: list[tuple[date, date]]) -> bool:
    return any(first <= day <= last for first, last in windows)


@given(DAYS, DAYS, KEEP, WINDOWS)
def test_a_day_no_closed_report_covers_is_never_deleted(
    day: date, today: date, keep: int, windows: list[tuple[date, date]]
) -> None:
    outside = [w for w in windows if not (w[0] <= day <= w[1])]
    assert not may_delete(day, today=today, keep_days=keep, closed=outside)
    assert not may_delete(day, today=today, keep_days=keep, closed=[])


@given(DAYS, st.integers(min_value=-30, max_value=3650), KEEP, WINDOWS)
def test_a_day_younger_than_keep_days_is_never_deleted(
    day: date, age: int, keep: int, windows: list[tuple[date, date]]
) -> None:
    today = day + timedelta(days=min(age, keep))
    # Even when every closed report covers it.
    assert not may_delete(day, today=today, keep_days=keep, closed=[*windows, (day, day)])
    assert retention(day, today=today, keep_days=keep, closed=windows) is Retention.YOUNG


@given(DAYS, DAYS, KEEP, WINDOWS)
def test_deleted_exactly_when_old_and_closed(
    day: date, today: date, keep: int, windows: list[tuple[date, date]]
) -> None:
    old = (today - day).days > keep
    assert may_delete(day, today=today, keep_days=keep, closed=windows) == (
        old and inside(day, windows)
    )


@given(DAYS, DAYS, KEEP, WINDOWS, WINDOWS, st.integers(min_value=0, max_value=400))
def test_once_deletable_a_day_stays_deletable(
    day: date,
    today: date,
    keep: int,
    windows: list[tuple[date, date]],
    more: list[tuple[date, date]],
    later: int,
) -> None:
    """Time passing and more reports closing never bring a deletable day back."""
    if may_delete(day, today=today, keep_days=keep, closed=windows):
        assert may_delete(
            day, today=today + timedelta(days=later), keep_days=keep, closed=[*windows, *more]
        )


def test_the_boundaries() -> None:
    closed = [(date(2026, 1, 1), date(2026, 1, 31))]
    # Kept 90 whole days after it: through 1 April, deleted from 2 April.
    assert retention(date(2026, 1, 1), today=date(2026, 4, 1), keep_days=90, closed=closed) is (
        Retention.YOUNG
    )
    assert may_delete(date(2026, 1, 1), today=date(2026, 4, 2), keep_days=90, closed=closed)
    # Both ends of a window are inside it.
    assert may_delete(date(2026, 1, 31), today=date(2026, 6, 1), keep_days=90, closed=closed)
    assert retention(date(2026, 2, 1), today=date(2026, 6, 1), keep_days=90, closed=closed) is (
        Retention.REPORT_OPEN
    )
    # A day "after today" (a clock set wrong) is young.
    assert not may_delete(date(2026, 1, 5), today=date(2025, 1, 1), keep_days=1, closed=closed)
    with pytest.raises(ValueError, match="negative"):
        retention(date(2026, 1, 5), today=date(2026, 9, 1), keep_days=-1, closed=closed)
