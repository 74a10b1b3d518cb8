"""The report as an Excel workbook: a summary with native charts, a sheet per breakdown, and
the plays in detail, written row by row so a city's quarter stays in bounded memory.

XlsxWriter writes the workbook (constant-memory mode: each row goes to disk as it is written;
its ZIP entries carry a fixed date, and the document's date is the report's own, so the same
report is the same bytes). Texts are written as texts: one that starts like a formula gets
Excel's own quote prefix, so it shows as typed and never runs.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from playlists.core.spreadsheet import FORMULA_STARTS
from playlists.reports import detail, figures
from playlists.reports.charts import shorten
from playlists.reports.view import topic_label

if TYPE_CHECKING:
    from xlsxwriter.workbook import Workbook
    from xlsxwriter.worksheet import Worksheet

    from playlists.reports.service import Report

SUMMARY = "Tổng hợp"
TOPICS = "Theo nội dung"
ZONES = "Theo cụm loa"
MONTHS = "Theo tháng"
SOURCES = "Theo nguồn"
NOT_AIRED = "Không phát được"
SLOTS = "Khung giờ"
DETAIL = "Chi tiết lượt phát"


class _Cells:
    """The workbook's formats, and writing a cell by what it holds."""

    def __init__(self, book: Workbook) -> None:
        self.head = book.add_format({"bold": True, "bg_color": "#DDDDDD", "border": 1,
                                     "text_wrap": True, "valign": "top"})  # fmt: skip
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.bold = book.add_format({"bold": True})
        self.quoted = book.add_format({"quote_prefix": True})
        self.minutes = book.add_format({"num_format": "#,##0.0"})
        self.day = book.add_format({"num_format": "dd/mm/yyyy"})
        self.month = book.add_format({"num_format": "mm/yyyy"})
        self.time = book.add_format({"num_format": "hh:mm:ss"})
        self.stamp = book.add_format({"num_format": "dd/mm/yyyy hh:mm:ss"})

    def put(self, sheet: Worksheet, row: int, col: int, value: Any, fmt: Any = None) -> None:
        if value is None or value == "":
            sheet.write_blank(row, col, None, fmt)
        elif isinstance(value, str):
            quoted = value.startswith(FORMULA_STARTS)
            sheet.write_string(row, col, value, self.quoted if quoted else fmt)
        elif isinstance(value, datetime):
            sheet.write_datetime(row, col, value, fmt or self.stamp)
        elif isinstance(value, date):
            sheet.write_datetime(row, col, datetime.combine(value, datetime.min.time()),
                                 fmt or self.day)  # fmt: skip
        elif isinstance(value, bool):
            sheet.write_boolean(row, col, value, fmt)
        else:
            sheet.write_number(row, col, value, fmt)

    def header(self, sheet: Worksheet, names: list[str], widths: list[int]) -> None:
        for col, (name, width) in enumerate(zip(names, widths, strict=True)):
            sheet.write_string(0, col, name, self.head)
            sheet.set_column(col, col, width)
        sheet.freeze_panes(1, 0)


def write_xlsx(report: Report, session: Session, out: IO[bytes]) -> None:
    """Write the workbook to `out` (a binary file)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False})  # fmt: skip
    # XlsxWriter writes the document's date as UTC ("…Z"): given as such.
    made = report.made_at.astimezone(UTC).replace(tzinfo=None)
    book.set_properties(
        {
            "title": f"Báo cáo kết quả tuyên truyền CCHC {report.period.name}",
            "subject": "Kết quả tuyên truyền cải cách hành chính trên hệ thống truyền thanh",
            "author": report.issuer.ward_name,
            "company": f"Ủy ban nhân dân {report.issuer.ward_name}",
            "comments": f"{report.generator}; nhật ký đến dòng số {report.last_seq}",
            "created": made,
        }
    )
    cells = _Cells(book)
    summary_sheet = book.add_worksheet(SUMMARY)
    sizes = {
        TOPICS: _topics(book, cells, report),
        ZONES: _zones(book, cells, report),
        MONTHS: _months(book, cells, report),
    }
    _sources(book, cells, report)
    _not_aired(book, cells, report)
    _slots(book, cells, report, session)
    _detail(book, cells, report, session)
    _summary(book, summary_sheet, cells, report, sizes)
    book.close()


def _summary(
    book: Workbook, sheet: Worksheet, cells: _Cells, report: Report, sizes: dict[str, int]
) -> None:
    summary, window = report.summary, report.window
    totals = summary.totals
    sheet.set_column(0, 0, 46)
    sheet.set_column(1, 1, 22)
    lines: list[tuple[str, Any]] = [
        ("Đơn vị", f"Ủy ban nhân dân {report.issuer.ward_name}"),
        ("Kỳ báo cáo", report.period.name),
        ("Từ ngày", window.first_day),
        ("Đến ngày", window.last_day),
        ("Cách tính kỳ", window.rule.info.label),
        ("Căn cứ", window.rule.info.basis),
        ("Lập lúc", report.made_at.astimezone(report.tz).replace(tzinfo=None)),
        ("Nhật ký phát sóng đến dòng số", report.last_seq),
        ("Mã băm dòng cuối", report.last_hash),
        ("Phần mềm", report.generator),
        ("Tình trạng", "Đã chốt số liệu" if report.closed else "Chưa chốt số liệu"),
    ]
    figures_lines: list[tuple[str, Any]] = [
        ("Số tin, bài đã phát", len(totals.bulletins)),
        ("Lượt phát", totals.plays),
        ("Thời lượng phát (phút)", totals.airtime_min),
        ("Tin khẩn cấp đã phát", summary.emergencies),
        ("Buổi phát theo kế hoạch", summary.slots.planned),
        ("Buổi đã phát", summary.slots.aired),
        ("Buổi phát đủ", summary.slots.complete),
        ("Lượt phát dở", summary.partial),
        ("Lượt bị bỏ lỡ", summary.missed),
        ("Lượt phát lỗi", summary.failed),
        *((f"Lượt {src.label.lower()}", tally.plays) for src, tally in summary.sources.items()),
        ("Nội dung chưa được tuyên truyền", "; ".join(summary.uncovered_topics) or "Không có"),
    ]
    sheet.write_string(0, 0, "BÁO CÁO KẾT QUẢ TUYÊN TRUYỀN CẢI CÁCH HÀNH CHÍNH", cells.title)
    row = 2
    for name, value in lines:
        sheet.write_string(row, 0, name, cells.bold)
        cells.put(sheet, row, 1, value)
        row += 1
    row += 1
    sheet.write_string(row, 0, "Chỉ tiêu", cells.head)
    sheet.write_string(row, 1, "Số liệu", cells.head)
    for name, value in figures_lines:
        row += 1
        sheet.write_string(row, 0, name)
        cells.put(sheet, row, 1, value, cells.minutes if isinstance(value, float) else None)
    anchor = 0
    for title, name, count, kind in (
        ("Thời lượng phát theo tháng (phút)", MONTHS, sizes[MONTHS], "column"),
        ("Thời lượng phát theo nội dung (phút)", TOPICS, sizes[TOPICS], "bar"),
        ("Thời lượng phát theo cụm loa (phút)", ZONES, sizes[ZONES], "bar"),
    ):
        if count == 0:  # no zone aired: nothing to draw, and an empty range is not valid
            continue
        chart = book.add_chart({"type": kind})
        value_col = "E" if name == TOPICS else "C"
        label_col = "I" if name == TOPICS else "A"  # topics: their short names
        chart.add_series(
            {
                "name": title,
                "categories": f"='{name}'!${label_col}$2:${label_col}${count + 1}",
                "values": f"='{name}'!${value_col}$2:${value_col}${count + 1}",
                "fill": {"color": "#555555"},
                "data_labels": {"value": True, "num_format": "#,##0.0"},
            }
        )
        chart.set_title({"name": title, "name_font": {"size": 11}})
        chart.set_legend({"none": True})
        tall = max(288, 22 * count + 80) if kind == "bar" else 288
        chart.set_size({"width": 620, "height": tall})
        # The value axis from 0, so bars compare; a bar chart's categories top-down, as in
        # the sheet (in XlsxWriter's bar charts y is the category axis).
        if kind == "bar":
            chart.set_y_axis({"reverse": True, "crossing": "max"})
            chart.set_x_axis({"min": 0})
        else:
            chart.set_x_axis({"num_format": "mm/yyyy"})
            chart.set_y_axis({"min": 0})
        sheet.insert_chart(anchor, 3, chart)
        anchor += tall // 20 + 2


def _table(
    book: Workbook, cells: _Cells, name: str, head: list[str], widths: list[int],
    rows: list[list[Any]],
) -> int:  # fmt: skip
    sheet = book.add_worksheet(name)
    cells.header(sheet, head, widths)
    for index, values in enumerate(rows, start=1):
        for col, value in enumerate(values):
            cells.put(sheet, index, col, value, cells.minutes if isinstance(value, float) else None)
    return len(rows)


def _topics(book: Workbook, cells: _Cells, report: Report) -> int:
    rows = [
        [
            index,
            topic_label(line.code, line.name),
            len(line.tally.bulletins),
            line.tally.plays,
            line.tally.airtime_min,
            line.target_plays,
            line.target_minutes,
            _topic_note(line),
            shorten(topic_label(line.code, line.name)),
        ]
        for index, line in enumerate(report.summary.topics, start=1)
    ]
    head = ["STT", "Nội dung tuyên truyền", "Số tin, bài", "Lượt phát", "Thời lượng (phút)",
            "Chỉ tiêu lượt phát", "Chỉ tiêu thời lượng (phút)", "Ghi chú",
            "Tên ngắn (biểu đồ)"]  # fmt: skip
    return _table(book, cells, TOPICS, head, [5, 60, 11, 11, 14, 12, 14, 18, 40], rows)


def _topic_note(line: figures.TopicLine) -> str:
    if line.uncovered and line.code:
        return "Chưa tuyên truyền"
    return "Dưới chỉ tiêu" if line.below_target else ""


def _zones(book: Workbook, cells: _Cells, report: Report) -> int:
    rows = [[zone, t.plays, t.airtime_min] for zone, t in report.summary.zones.items()]
    return _table(book, cells, ZONES, ["Cụm loa", "Lượt phát", "Thời lượng (phút)"],
                  [30, 11, 14], rows)  # fmt: skip


def _months(book: Workbook, cells: _Cells, report: Report) -> int:
    sheet = book.add_worksheet(MONTHS)
    cells.header(sheet, ["Tháng", "Lượt phát", "Thời lượng (phút)"], [12, 11, 14])
    for row, (month, tally) in enumerate(report.summary.months.items(), start=1):
        first = date(int(month[:4]), int(month[5:]), 1)
        cells.put(sheet, row, 0, first, cells.month)
        cells.put(sheet, row, 1, tally.plays)
        cells.put(sheet, row, 2, tally.airtime_min, cells.minutes)
    return len(report.summary.months)


def _sources(book: Workbook, cells: _Cells, report: Report) -> None:
    rows = [[s.label, t.plays, t.airtime_min] for s, t in report.summary.sources.items()]
    _table(book, cells, SOURCES, ["Nguồn", "Lượt phát", "Thời lượng (phút)"], [14, 11, 14], rows)


def _not_aired(book: Workbook, cells: _Cells, report: Report) -> None:
    rows = [[r.status.label, r.reason, r.plays] for r in report.summary.reasons]
    _table(book, cells, NOT_AIRED, ["Trạng thái", "Lý do", "Lượt"], [12, 70, 8], rows)


def _slots(book: Workbook, cells: _Cells, report: Report, session: Session) -> None:
    sheet = book.add_worksheet(SLOTS)
    head = ["Ngày", "Giờ", "Cụm loa", "Khung giờ", "Bản tin theo lịch", "Dự kiến (phút)",
            "Đã phát", "Phát dở", "Không phát", "Đầu ra lỗi", "Đã phát (phút)", "Tình trạng",
            "Lý do"]  # fmt: skip
    cells.header(sheet, head, [11, 9, 22, 18, 10, 10, 9, 9, 10, 10, 11, 12, 50])
    for row, line in enumerate(report.summary.slot_lines, start=1):
        local = line.start.astimezone(report.tz).replace(tzinfo=None)
        values: list[Any] = [
            line.day, local, line.zone_name, line.slot_name, line.planned,
            round(line.planned_s / 60, 1), line.aired, line.partial, line.not_aired,
            line.failed_outputs, round(line.aired_s / 60, 1), line.state, line.reason,
        ]  # fmt: skip
        for col, value in enumerate(values):
            fmt = cells.time if col == 1 else cells.minutes if isinstance(value, float) else None
            cells.put(sheet, row, col, value, fmt)


# Excel's last row: a city's year of plays goes on in a second detail sheet.
EXCEL_ROWS = 1_048_576


def _detail(book: Workbook, cells: _Cells, report: Report, session: Session) -> None:
    widths = [7, 11, 9, 22, 18, 10, 9, 40, 40, 10, 10, 8, 8, 40]

    def new_sheet(count: int) -> Worksheet:
        sheet = book.add_worksheet(DETAIL if count == 1 else f"{DETAIL} ({count})")
        cells.header(sheet, detail.HEADER, widths)
        return sheet

    sheets = 1
    sheet, row = new_sheet(sheets), 0
    for number, (local, values) in enumerate(detail.detail_rows(report, session), start=1):
        if row == EXCEL_ROWS - 1:  # the sheet's last row is written: the next sheet follows
            sheets += 1
            sheet, row = new_sheet(sheets), 0
        row += 1
        sheet.write_number(row, 0, number)
        sheet.write_datetime(row, 1, local, cells.day)
        sheet.write_datetime(row, 2, local, cells.time)
        for col, value in enumerate(values, start=3):
            cells.put(sheet, row, col, value, cells.minutes if isinstance(value, float) else None)
