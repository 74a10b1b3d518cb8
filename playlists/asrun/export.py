"""The as-run log as the CSV that Excel opens in Vietnamese."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from playlists.asrun.models import AirLog
from playlists.asrun.queries import AirLogFilter

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
