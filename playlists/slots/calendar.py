"""When a slot airs, and where its bulletins may go: the only place these rules are written.

Pure: plain values in and out, no database. The stored slots, the planner and the player all
ask here, so that a plan and what airs can never disagree on a slot's day or shape.

A slot's fixed segments stay free of bulletins: the head (signature tune, station
identification), then the relay (tiếp âm of national radio), and the tail (closing words and
tune) at the end. Bulletins go in the window between them.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from playlists.core.errors import InputError

EVERY_DAY = "1234567"
WEEKDAY_NAMES = {1: "thứ hai", 2: "thứ ba", 3: "thứ tư", 4: "thứ năm", 5: "thứ sáu",
                 6: "thứ bảy", 7: "chủ nhật"}  # fmt: skip
_ONE_DAY = timedelta(days=1)


def parse_days(text: str) -> str:
    """Read "1-7", "1-5", "2,4,6" or "6-7" into sorted ISO weekday digits (1 is thứ hai)."""
    digits: set[int] = set()
    for part in re.split(r"[,\s]+", text.strip()):
        if not part:
            continue
        match = re.fullmatch(r"([1-7])(?:-([1-7]))?", part)
        if match is None:
            raise InputError(
                {"days": f"Ngày trong tuần “{text}” không hợp lệ: dùng 1-7 (1 là thứ hai), "
                         "ví dụ 1-7, 1-5 hoặc 2,4,6."}
            )  # fmt: skip
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        if last < first:
            raise InputError({"days": f"Khoảng “{part}” ngược: viết từ nhỏ đến lớn, ví dụ 1-5."})
        digits.update(range(first, last + 1))
    if not digits:
        raise InputError({"days": "Cần chọn ít nhất một ngày trong tuần."})
    return "".join(str(d) for d in sorted(digits))


def airs_on(
    day: date,
    *,
    days: str,
    valid_from: date | None,
    valid_to: date | None,
    cancelled: Container[date] = (),
) -> bool:
    """Tell whether a slot airs on a local date: its weekday, inside its validity, not cancelled.

    `days` holds ISO weekday digits ("1234567" is every day).
    """
    if str(day.isoweekday()) not in days:
        return False
    if valid_from is not None and day < valid_from:
        return False
    if valid_to is not None and day > valid_to:
        return False
    return day not in cancelled


def airs_between(
    first: date,
    last: date,
    *,
    days: str,
    valid_from: date | None,
    valid_to: date | None,
    cancelled: frozenset[date] = frozenset(),
) -> bool:
    """Tell whether a slot airs on at least one local date from `first` to `last`."""
    if valid_from is not None and valid_from > first:
        first = valid_from
    if valid_to is not None and valid_to < last:
        last = valid_to
    day = first
    # Each weekday comes back every 7 days; each cancellation can hide one of its returns.
    for _ in range(7 * (len(cancelled) + 1)):
        if day > last:
            return False
        if airs_on(day, days=days, valid_from=None, valid_to=None, cancelled=cancelled):
            return True
        day += _ONE_DAY
    return False


@dataclass(frozen=True)
class Window:
    """Where bulletins may go inside a slot, as offsets in seconds from its start."""

    start_s: float  # after the head and the relay
    end_s: float  # before the tail

    @property
    def length_s(self) -> float:
        """Return the time left for bulletins (never negative)."""
        return max(0.0, self.end_s - self.start_s)


def bulletin_window(duration_s: float, head_s: float, relay_s: float, tail_s: float) -> Window:
    """Return the part of a slot that bulletins may fill, between its fixed segments."""
    return Window(start_s=head_s + relay_s, end_s=duration_s - tail_s)


def occurrence(
    day: date, start: time, duration_s: float, tz: ZoneInfo
) -> tuple[datetime, datetime]:
    """Return a slot's start and end instants (UTC) on a local date.

    A 05:30 slot in Hà Nội starts at 22:30 UTC on the day before.
    """
    begin = datetime.combine(day, start, tzinfo=tz).astimezone(UTC)
    return begin, begin + timedelta(seconds=duration_s)
