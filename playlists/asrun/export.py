"""The as-run log as the CSV that Excel opens in Vietnamese."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from playlists.asrun.models import AirLog
from playlists.asrun.queries import AirLogFilter, query_airlog
from playlists.audit.service import record
from playlists.core.spreadsheet import excel_csv, local_stamp

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


def airlog_csv(rows: list[AirLog], *, tz: ZoneInfo) -> bytes:
    """Return the rows as the CSV Excel opens (UTF-8 with a BOM, no cell run as a formula).

    Times are local (the station's time zone); the header row comes first so scripts read it too.
    """
    return excel_csv(
        CSV_HEADER,
        (
            [
                number,
                row.zone_name,
                row.output,
                row.slot_name,
                row.bulletin_id or "",
                row.bulletin_title,
                row.topic_name,
                local_stamp(row.scheduled_start, tz),
                local_stamp(row.actual_start, tz),
                local_stamp(row.actual_end, tz),
                f"{row.aired_s:.1f}",
                row.status.label,
                row.source.label,
                row.reason,
                row.rendering_sha256,
            ]
            for number, row in enumerate(rows, start=1)
        ),
    )


def airlog_filename(filt: AirLogFilter) -> str:
    """Name an export after the window it covers."""
    return f"nhat-ky-phat-song_{filt.first_day.isoformat()}_{filt.last_day.isoformat()}.csv"


def export_airlog(session: Session, filt: AirLogFilter, *, tz: ZoneInfo) -> tuple[bytes, str, int]:
    """Read the log for `filt`: the CSV, its file name, its row count; the export is audited.

    An export is evidence leaving the station (the CCHC report is built from it): the audit
    trail says who took which window, and how many rows it held.
    """
    rows = query_airlog(session=session, filt=filt, tz=tz)
    record(
        session,
        "airlog_exported",
        subject_kind="airlog",
        summary=f"Xuất nhật ký phát sóng {filt.first_day:%d/%m/%Y}–{filt.last_day:%d/%m/%Y}",
        after={
            "first_day": filt.first_day.isoformat(),
            "last_day": filt.last_day.isoformat(),
            "zone_id": filt.zone_id,
            "status": filt.status.value if filt.status else None,
            "rows": len(rows),
        },
    )
    return airlog_csv(rows, tz=tz), airlog_filename(filt), len(rows)
