"""Vietnam's public holidays, suggested as days to cancel or move a slot."""

from __future__ import annotations

import functools
from datetime import date, timedelta

import holidays


@functools.lru_cache(maxsize=8)  # a year's holidays take a millisecond to work out
def holiday_suggestions(year: int) -> tuple[tuple[date, str], ...]:
    """Return Vietnam's public holidays of a year, in Vietnamese, to suggest cancellations."""
    found = holidays.country_holidays("VN", years=year, language="vi")
    return tuple(sorted((day, str(name)) for day, name in found.items()))


def upcoming_holidays(today: date, days: int = 60) -> list[tuple[date, str]]:
    """Return the public holidays in the coming days."""
    end = today + timedelta(days=days)
    found = holiday_suggestions(today.year) + (
        holiday_suggestions(end.year) if end.year != today.year else ()
    )
    return [(d, n) for d, n in found if today <= d <= end]
