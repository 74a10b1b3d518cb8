"""Read the as-run log for people: filtered lists and the CSV that Excel opens in Vietnamese."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from playlists.models import AirLog, AirSource, AirStatus


@dataclass(frozen=True)
class AirLogFilter:
    """Which rows to show: local dates inclusive, and optionally one zone, status or source."""

    first_day: date
    last_day: date
    zone_id: int | None = None
    status: AirStatus | None = None
    source: AirSource | None = None


def query_airlog(*, session: Session, filt: AirLogFilter, tz: ZoneInfo) -> list[AirLog]:
    """Return as-run rows in time order; a row's day is when it aired (or was due, if missed)."""
    start = datetime.combine(filt.first_day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(filt.last_day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    when = func.coalesce(AirLog.actual_start, AirLog.scheduled_start)
    query = select(AirLog).where(when >= start, when < end)
    if filt.zone_id is not None:
        query = query.where(AirLog.zone_id == filt.zone_id)
    if filt.status is not None:
        query = query.where(AirLog.status == filt.status)
    if filt.source is not None:
        query = query.where(AirLog.source == filt.source)
    return list(session.scalars(query.order_by(when, AirLog.id)))


CSV_HEADER = [
    "STT",
    "Cụm loa",
    "Đầu ra",
    "Khung giờ",
    "Mã bản tin",
    "Tiêu đề bản tin",
    "Chủ đề",
    "Giờ dự kiến",
    "Bắt đầu thực tế",
    "Kết thúc thực tế",
    "Thời lượng phát (giây)",
    "Trạng thái",
    "Nguồn",
    "Lý do",
    "Mã âm thanh (SHA-256)",
]


def _local(value: datetime | None, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def airlog_csv(rows: list[AirLog], *, tz: ZoneInfo) -> bytes:
    """Return the rows as CSV in UTF-8 with a BOM, so Excel shows Vietnamese correctly.

    Times are local (the station's time zone); the header row comes first so scripts read it too.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for number, row in enumerate(rows, start=1):
        writer.writerow(
            [
                number,
                row.zone_name,
                row.output,
                row.slot_name,
                row.bulletin_id or "",
                row.bulletin_title,
                row.topic_name,
                _local(row.scheduled_start, tz),
                _local(row.actual_start, tz),
                _local(row.actual_end, tz),
                f"{row.aired_s:.1f}",
                row.status.label,
                row.source.label,
                row.reason,
                row.rendering_sha256,
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def airlog_filename(filt: AirLogFilter) -> str:
    """Name an export after the window it covers."""
    return f"nhat-ky-phat-song_{filt.first_day.isoformat()}_{filt.last_day.isoformat()}.csv"
