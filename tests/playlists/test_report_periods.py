"""Reporting periods: the decree's and the calendar's windows, codes, and what staff are offered."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from playlists.core.errors import InputError
from playlists.reports.periods import (
    PERIOD_RULES,
    RULES,
    Kind,
    WindowRule,
    custom_period,
    offered,
    parse_period,
    running,
)

DECREE = {
    "2026-03": ("2026-02-15", "2026-03-14"),
    "2026-01": ("2025-12-15", "2026-01-14"),
    "2026-Q1": ("2025-12-15", "2026-03-14"),
    "2026-Q2": ("2026-03-15", "2026-06-14"),
    "2026-Q3": ("2026-06-15", "2026-09-14"),
    "2026-Q4": ("2026-09-15", "2026-12-14"),
    "2026-H1": ("2025-12-15", "2026-06-14"),
    "2026-9M": ("2025-12-15", "2026-09-14"),
    "2026": ("2025-12-15", "2026-12-14"),
}
CALENDAR = {
    "2026-02": ("2026-02-01", "2026-02-28"),
    "2024-02": ("2024-02-01", "2024-02-29"),
    "2026-Q1": ("2026-01-01", "2026-03-31"),
    "2026-Q4": ("2026-10-01", "2026-12-31"),
    "2026-H2": ("2026-07-01", "2026-12-31"),
    "2026": ("2026-01-01", "2026-12-31"),
}


@pytest.mark.parametrize(("code", "days"), DECREE.items())
def test_decree_windows_close_on_the_14th_and_open_on_the_15th(
    code: str, days: tuple[str, str]
) -> None:
    window = parse_period(code).window(WindowRule.DECREE)
    assert (window.first_day.isoformat(), window.last_day.isoformat()) == days


@pytest.mark.parametrize(("code", "days"), CALENDAR.items())
def test_calendar_windows_are_whole_months(code: str, days: tuple[str, str]) -> None:
    window = parse_period(code).window(WindowRule.CALENDAR)
    assert (window.first_day.isoformat(), window.last_day.isoformat()) == days


def test_every_rule_names_its_legal_basis() -> None:
    assert set(RULES) == set(WindowRule)
    assert "09/2019/NĐ-CP" in RULES[WindowRule.DECREE].basis
    assert all(info.label and info.basis for info in RULES.values())


def test_periods_read_and_write_back_and_say_their_name() -> None:
    for code in ("2026-03", "2026-Q1", "2026-H1", "2026-H2", "2026-9M", "2026"):
        assert parse_period(code).code == code
    assert parse_period("2026-q3").name == "quý III năm 2026"
    assert parse_period("2026-H1").name == "6 tháng đầu năm 2026"
    assert parse_period("2026-9M").name == "9 tháng năm 2026"
    assert parse_period("2026-03").name == "tháng 3 năm 2026"
    custom = custom_period(date(2026, 1, 5), date(2026, 2, 10))
    assert custom.code == "2026-01-05/2026-02-10"
    assert custom.window(WindowRule.DECREE).days == 37


@pytest.mark.parametrize("bad", ["2026-13", "2026-Q5", "26-Q1", "2026-H3", "", "Q1", "1999"])
def test_a_wrong_period_is_refused_in_vietnamese(bad: str) -> None:
    with pytest.raises(InputError) as refused:
        parse_period(bad)
    assert "2026-Q1 (quý)" in refused.value.errors["period"] or "Tháng" in str(refused.value)


def test_a_custom_window_must_run_forward_and_not_too_far() -> None:
    with pytest.raises(InputError) as backwards:
        custom_period(date(2026, 3, 2), date(2026, 3, 1))
    assert "phải bằng hoặc sau" in backwards.value.errors["to"]
    with pytest.raises(InputError) as too_long:
        custom_period(date(2020, 1, 1), date(2026, 1, 1))
    assert "tối đa" in too_long.value.errors["to"]


@given(st.integers(2001, 2099), st.sampled_from(PERIOD_RULES))
def test_months_tile_their_year_and_quarters_are_their_months(year: int, rule: WindowRule) -> None:
    months = [parse_period(f"{year}-{m:02d}").window(rule) for m in range(1, 13)]
    for before, after in itertools.pairwise(months):
        assert after.first_day == before.last_day + timedelta(days=1), "no gap, no overlap"
    whole = parse_period(str(year)).window(rule)
    assert (whole.first_day, whole.last_day) == (months[0].first_day, months[-1].last_day)
    for quarter in range(1, 5):
        window = parse_period(f"{year}-Q{quarter}").window(rule)
        assert window.first_day == months[quarter * 3 - 3].first_day
        assert window.last_day == months[quarter * 3 - 1].last_day


def test_the_page_offers_the_running_and_the_previous_periods() -> None:
    today = date(2026, 12, 20)  # past the 14th: the decree's 2027-Q1 has begun
    codes = [w.period.code for w in offered(today, WindowRule.DECREE)]
    assert codes[:2] == ["2027-Q1", "2026-Q4"]
    assert "2027-01" in codes and "2026-12" in codes and "2026" in codes
    assert running(today, WindowRule.DECREE).period.code == "2027-Q1"
    assert running(today, WindowRule.CALENDAR).period.code == "2026-Q4"
    assert running(today, WindowRule.CALENDAR, Kind.MONTH).period.code == "2026-12"
