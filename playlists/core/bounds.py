"""The bounds of numbers and dates the station can store: one place for the API, forms and CLI.

An id is an INTEGER column: PostgreSQL's holds up to 2^31-1 (SQLite's more), so a larger one
can only be "not found", never a database error. A day is one the station plans, logs or airs
on: between 2000 and 2100, so that a day before or after it (a week around it, a plan's end)
is always a date Python and the databases can hold. A bulletin runs at most a few years ahead.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from annotated_types import Ge, Le, MaxLen

MAX_ID = 2**31 - 1
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
# How far ahead a bulletin may run: a campaign is planned months ahead, never decades.
BULLETIN_HORIZON_YEARS = 5
# Zones one request may name: a ward has a handful; this only keeps a query's size sane.
MAX_ZONES = 200

Id = Annotated[int, Ge(1), Le(MAX_ID)]
"""A row's id, as a path, a query or a body carries it."""

Code = Annotated[int, Ge(0), Le(MAX_ID)]
"""A stored code looked up by value (a topic's code: 0 to 9 today)."""

Day = Annotated[date, Ge(FIRST_DAY), Le(LAST_DAY)]
"""A day the station plans, logs or airs on."""

ZoneIds = Annotated[list[Id], MaxLen(MAX_ZONES)]
"""The zones a bulletin or an emergency goes to."""


def id_or_none(value: int) -> int | None:
    """Return the value if it can be a row's id, else None (then nothing has it)."""
    return value if 1 <= value <= MAX_ID else None


def day_problem(value: date, label: str) -> str | None:
    """Say, in Vietnamese, why a day is outside what the station handles; None if it is not."""
    if FIRST_DAY <= value <= LAST_DAY:
        return None
    return (
        f"{label.capitalize()} {value:%d/%m/%Y} nằm ngoài khoảng đài xử lý được "
        f"(từ {FIRST_DAY:%d/%m/%Y} đến {LAST_DAY:%d/%m/%Y})."
    )


def horizon(today: date) -> date:
    """Return the last day a bulletin written today may run to."""
    try:
        return today.replace(year=today.year + BULLETIN_HORIZON_YEARS)
    except ValueError:  # 29 February, five years on
        return today.replace(year=today.year + BULLETIN_HORIZON_YEARS, day=28)


def bulletin_days_problems(first: date, last: date, today: date) -> dict[str, str]:
    """Say, by field, why a bulletin's days are outside a sane window (2000 to today+5 years)."""
    errors: dict[str, str] = {}
    limit = horizon(today)
    for field, value, label in (
        ("first_day", first, "ngày bắt đầu"),
        ("last_day", last, "ngày kết thúc"),
    ):
        if value < FIRST_DAY:
            errors[field] = f"{label.capitalize()} {value:%d/%m/%Y} quá xa trong quá khứ."
        elif value > limit:
            errors[field] = (
                f"{label.capitalize()} {value:%d/%m/%Y} quá xa: bản tin chỉ lên lịch được "
                f"đến {limit:%d/%m/%Y} ({BULLETIN_HORIZON_YEARS} năm tới)."
            )
    return errors
