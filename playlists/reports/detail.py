"""The report's detail: one line per play, for the CSV and the XLSX's detail sheet."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime
from typing import IO, TYPE_CHECKING

from sqlalchemy.orm import Session

from playlists.core.spreadsheet import write_excel_csv
from playlists.reports import figures

if TYPE_CHECKING:
    from playlists.reports.service import Report

HEADER = [
    "STT",
    "Ngày",
    "Giờ phát",
    "Cụm loa",
    "Khung giờ",
    "Nguồn",
    "Mã bản tin",
    "Tiêu đề bản tin",
    "Nội dung (chủ đề)",
    "Kết quả",
    "Thời lượng (phút)",
    "Số đầu ra",
    "Đầu ra lỗi",
    "Lý do",
]


def detail_rows(report: Report, session: Session) -> Iterator[tuple[datetime, list[object]]]:
    """Yield each play as (its local start, its cells after the two date columns)."""
    tz = report.tz
    for play in figures.plays(session, report.summary.scope):
        yield (
            play.at.astimezone(tz).replace(tzinfo=None),
            [
                play.zone_name,
                play.slot_name,
                play.source.label,
                play.bulletin_id if play.bulletin_id is not None else "",
                play.title,
                play.topic_name,
                play.status.label,
                round(play.aired_s / 60, 2),
                play.outputs,
                play.failed_outputs,
                play.reason,
            ],
        )


def write_csv(report: Report, session: Session, out: IO[bytes]) -> None:
    """Write the plays as the CSV Excel opens (UTF-8 with a BOM, no cell run as a formula).

    The header comes first, for scripts; the last line says what the file covers (its window,
    rule, moment and log position), as every file of the report does. It starts with "#",
    the mark of a comment line that readers skip (pandas: `comment="#"`).
    """
    plays = (
        [number, local.strftime("%Y-%m-%d"), local.strftime("%H:%M:%S"), *cells]
        for number, (local, cells) in enumerate(detail_rows(report, session), start=1)
    )
    write_excel_csv(out, HEADER, itertools.chain(plays, [[provenance(report)]]))


def provenance(report: Report) -> str:
    """Say in one line what a file of the report covers and where its figures come from."""
    window, made = report.window, report.made_at.astimezone(report.tz)
    return (
        f"# Báo cáo CCHC {report.period.name}: từ ngày {window.first_day:%d/%m/%Y} đến ngày "
        f"{window.last_day:%d/%m/%Y} ({window.rule.info.label.lower()}); lập lúc "
        f"{made:%H:%M ngày %d/%m/%Y}; nhật ký phát sóng đến dòng số {report.last_seq}; "
        f"{report.generator}"
    )
