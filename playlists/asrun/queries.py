"""Read the as-run log for people: which rows, in a window of local days, filtered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from playlists.asrun.models import AirLog, AirSource, AirStatus
from playlists.core.clock import local_midnight
from playlists.core.errors import InputError, range_problem


@dataclass(frozen=True)
class AirLogFilter:
    """Which rows to show: local dates inclusive, and optionally one zone, status or source.

    A window that ends before it begins is refused (InputError on `last_day`); `names` are
    how the person wrote the two days, for the message.
    """

    first_day: date
    last_day: date
    zone_id: int | None = None
    status: AirStatus | None = None
    source: AirSource | None = None
    names: tuple[str, str] = ("ngày bắt đầu", "Ngày kết thúc")

    def __post_init__(self) -> None:
        problem = range_problem(
            self.first_day, self.last_day, first_name=self.names[0], last_name=self.names[1]
        )
        if problem:
            raise InputError({"last_day": problem})


def _filtered(filt: AirLogFilter, tz: ZoneInfo) -> tuple[Select[Any], ColumnElement[Any]]:
    """Return the filter as a WHERE over air_log, and the column that orders rows in time.

    A row's day is when it aired, or was due when it never aired (missed): local midnights.
    """
    start = local_midnight(filt.first_day, tz)
    end = local_midnight(filt.last_day + timedelta(days=1), tz)
    when = func.coalesce(AirLog.actual_start, AirLog.scheduled_start)
    query = select(AirLog).where(when >= start, when < end)
    if filt.zone_id is not None:
        query = query.where(AirLog.zone_id == filt.zone_id)
    if filt.status is not None:
        query = query.where(AirLog.status == filt.status)
    if filt.source is not None:
        query = query.where(AirLog.source == filt.source)
    return query, when


def query_airlog(
    *,
    session: Session,
    filt: AirLogFilter,
    tz: ZoneInfo,
    limit: int | None = None,
    offset: int = 0,
) -> list[AirLog]:
    """Return as-run rows in time order (a page of them with `limit` and `offset`)."""
    query, when = _filtered(filt, tz)
    query = query.order_by(when, AirLog.id).offset(offset).limit(limit)
    return list(session.scalars(query))


def latest(*, session: Session, filt: AirLogFilter, tz: ZoneInfo, count: int) -> list[AirLog]:
    """Return the last `count` rows of the window, in time order."""
    query, when = _filtered(filt, tz)
    rows = list(session.scalars(query.order_by(when.desc(), AirLog.id.desc()).limit(count)))
    return rows[::-1]


@dataclass(frozen=True)
class LogSummary:
    """How many rows a window holds and how long they aired in all."""

    rows: int
    aired_s: float


def summarize(*, session: Session, filt: AirLogFilter, tz: ZoneInfo) -> LogSummary:
    """Count the window's rows and add up their measured airtime, without loading rows."""
    query, _when = _filtered(filt, tz)
    spans = session.execute(query.with_only_columns(AirLog.actual_start, AirLog.actual_end)).all()
    aired = sum(max(0.0, (end - start).total_seconds()) for start, end in spans if start and end)
    return LogSummary(rows=len(spans), aired_s=aired)
