"""How long the audio of what aired is kept: one pure rule, with the days and windows given.

The as-run log is the station's record and is never deleted. The audio the file output kept
of a day (`aired/YYYY-MM-DD/`, scheduler/archive.py) is evidence behind a report: it may go
only once it is older than the station's setting (LOA_AIRED_KEEP_DAYS) and a closed report
(`ReportClosure`) covers its day, so a period still being counted, or one nobody closed,
keeps all of its audio however old it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import Enum


class Retention(Enum):
    """What becomes of a day's aired audio, and why."""

    YOUNG = "young"  # kept: not older than the days the station keeps
    REPORT_OPEN = "report open"  # kept: old enough, but no closed report covers the day
    DELETE = "delete"


def retention(
    day: date, *, today: date, keep_days: int, closed: Iterable[tuple[date, date]]
) -> Retention:
    """Decide a local day's aired audio: kept, and why, or deleted.

    A day is kept `keep_days` whole days after it: with 90, the audio of 1 January stays
    through 1 April (non-leap year) and may go from 2 April. `closed` holds the windows
    (first day, last day, both inclusive) of the closed reports. A day after `today` (a clock
    set wrong) is young.
    """
    if keep_days < 0:
        raise ValueError(f"keep_days must not be negative, got {keep_days}")
    if (today - day).days <= keep_days:
        return Retention.YOUNG
    if any(first <= day <= last for first, last in closed):
        return Retention.DELETE
    return Retention.REPORT_OPEN


def may_delete(
    day: date, *, today: date, keep_days: int, closed: Iterable[tuple[date, date]]
) -> bool:
    """Tell whether a local day's aired audio may be deleted: older than `keep_days`, and
    inside the window of at least one closed report."""
    return retention(day, today=today, keep_days=keep_days, closed=closed) is Retention.DELETE
