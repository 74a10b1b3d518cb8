"""The audit trail as the CSV that Excel opens in Vietnamese."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from playlists.audit.models import AuditEntry
from playlists.core.spreadsheet import excel_csv, local_stamp

CSV_HEADER = [
    "Số",
    "Thời gian",
    "Tên đăng nhập",
    "Họ tên",
    "Vai trò",
    "Nơi thao tác",
    "Thao tác",
    "Loại đối tượng",
    "Mã đối tượng",
    "Nội dung",
    "Trước",
    "Sau",
    "Ghi chú",
]


def audit_csv(rows: list[AuditEntry], *, tz: ZoneInfo) -> bytes:
    """Return the entries as the CSV Excel opens (UTF-8 with a BOM, no cell run as a formula).

    Times are local (the station's time zone). Each entry keeps its chain number, so a row in
    a printed report can be found again and checked with `loa audit verify`.
    """
    return excel_csv(
        CSV_HEADER,
        (
            [
                row.seq,
                local_stamp(row.at, tz),
                row.username,
                row.display_name,
                ", ".join(row.role_list),
                row.where,
                row.action,
                row.subject_kind,
                row.subject_id,
                row.summary,
                row.before,
                row.after,
                row.note,
            ]
            for row in rows
        ),
    )


def audit_filename(start: date | None, end: date | None) -> str:
    """Name an export after the window it covers."""
    window = [f"tu-{start.isoformat()}"] if start else []
    window += [f"den-{end.isoformat()}"] if end else []
    return "_".join(["nhat-ky-thao-tac", *window]) + ".csv"
