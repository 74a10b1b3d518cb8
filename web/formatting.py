"""How times, durations and numbers look to the ward's staff."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from playlists.core.text import vn_decimal

WEEKDAYS = ["Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy", "Chủ nhật"]


def local_time(value: datetime | None, tz: ZoneInfo, fmt: str = "%H:%M:%S") -> str:
    """Format an instant in the station's time zone."""
    return value.astimezone(tz).strftime(fmt) if value else ""


def mmss(seconds: float | None) -> str:
    """Format a duration as m:ss (h:mm:ss past an hour)."""
    if seconds is None:
        return ""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def vn_date(value: date | None) -> str:
    """Format a date the Vietnamese way, dd/mm/yyyy."""
    return value.strftime("%d/%m/%Y") if value else ""


def weekday_name(value: date) -> str:
    """Return the Vietnamese weekday name of a date."""
    return WEEKDAYS[value.weekday()]


def days_label(days: str) -> str:
    """Describe a slot's ISO weekday digits in words."""
    if days == "1234567":
        return "Hằng ngày"
    return ", ".join(WEEKDAYS[int(d) - 1] for d in sorted(days))


def decimal_vn(value: float, places: int = 1) -> str:
    """Format a number with a decimal comma (and dots between thousands)."""
    return vn_decimal(value, places)
