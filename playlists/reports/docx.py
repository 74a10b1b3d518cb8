"""The report as a Word document in the layout of Nghị định 30/2020/NĐ-CP (Phụ lục I).

python-docx writes it: A4, margins 20/20/30/15 mm, Times New Roman 14 pt justified with a
first-line indent; the borderless header table (issuing body, number left for the office,
national motto, place and date); the title and summary line; the sections with the figures,
a table by topic and a chart; the signature block beside "Nơi nhận". Page numbers sit centred
in the top margin from page 2 on. The ZIP's entries get a fixed date and the document's dates
are the report's own, so a closed report is made again byte for byte.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from playlists.core.text import clean_text, vn_decimal
from playlists.reports.charts import png
from playlists.reports.view import charts, topic_label

if TYPE_CHECKING:
    from docx.document import Document
    from docx.table import _Cell
    from docx.text.paragraph import Paragraph

    from playlists.reports.service import Report

FONT = "Times New Roman"
BODY_PT = 14
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def write_docx(report: Report, session: Session, out: IO[bytes]) -> None:
    """Write the report's Word document to `out`."""
    import docx

    document = docx.Document()
    _page(document)
    _header_table(document, report)
    _title(document, report)
    _body(document, report)
    _signature(document, report)
    properties = document.core_properties
    made = report.made_at.replace(tzinfo=None)
    properties.title = f"Báo cáo kết quả tuyên truyền CCHC {report.period.name}"
    properties.author = f"Ủy ban nhân dân {report.issuer.ward_name}"
    properties.last_modified_by = report.generator
    properties.comments = f"Nhật ký phát sóng đến dòng số {report.last_seq}"
    properties.created = properties.modified = properties.last_printed = made
    properties.revision = 1
    buffer = io.BytesIO()
    document.save(buffer)
    out.write(_fixed_dates(buffer.getvalue()))


def _fixed_dates(data: bytes) -> bytes:
    """Return the ZIP with every entry dated alike (python-docx stamps them with the clock)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, source.read(info.filename))
    return buffer.getvalue()


def _page(document: Document) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Mm, Pt

    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance = Mm(10)
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), FONT)
    layout = normal.paragraph_format
    layout.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    layout.first_line_indent = Cm(1.27)
    layout.space_after = Pt(6)
    layout.line_spacing = 1.15
    # Page numbers: centred in the top margin, from the second page on.
    section.different_first_page_header_footer = True
    number = section.header.paragraphs[0]
    _plain(number, WD_ALIGN_PARAGRAPH.CENTER)
    _field(number, "PAGE")


def _plain(paragraph: Paragraph, alignment: Any) -> Paragraph:
    """Make a paragraph of a table or header: no indent, no space after."""
    from docx.shared import Pt

    layout = paragraph.paragraph_format
    layout.alignment = alignment
    layout.first_line_indent = Pt(0)
    layout.space_after = Pt(0)
    layout.space_before = Pt(0)
    layout.line_spacing = 1.0
    return paragraph


def _field(paragraph: Paragraph, code: str) -> None:
    """Add a Word field (PAGE) to a paragraph: Word fills it in on each page."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, code), ("separate", None), (None, "1"),
                       ("end", None)):  # fmt: skip
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif text == code:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {code} "
        else:
            element = OxmlElement("w:t")
            element.text = text
        run._r.append(element)


def _run(paragraph: Paragraph, text: str, *, size: float = BODY_PT, bold: bool = False,
         italic: bool = False) -> None:  # fmt: skip
    from docx.shared import Pt

    # A reason may hold an error's raw text: Word's XML cannot carry control characters.
    run = paragraph.add_run(clean_text(text))
    run.font.size = Pt(size)
    run.font.name = FONT
    run.bold = bold
    run.italic = italic


def _rule(paragraph: Paragraph, *, indent_cm: float) -> None:
    """Make `paragraph` (an empty one, under a line of text) a short rule: a thin paragraph
    whose bottom border runs `indent_cm` in from each side of its column."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    layout = paragraph.paragraph_format
    layout.left_indent = layout.right_indent = Cm(indent_cm)
    layout.line_spacing = Pt(2)
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for name, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"),
                        ("w:color", "000000")):  # fmt: skip
        bottom.set(qn(name), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().append(borders)


def _line(cell: _Cell, text: str, *, size: float, bold: bool = False, italic: bool = False,
          first: bool = False) -> Paragraph:  # fmt: skip
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    paragraph: Paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
    _plain(paragraph, WD_ALIGN_PARAGRAPH.CENTER)
    _run(paragraph, text, size=size, bold=bold, italic=italic)
    return paragraph


def _rule_in(cell: _Cell, *, indent_cm: float) -> None:
    """Add a short rule under the last line of a cell."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    _rule(_plain(cell.add_paragraph(), WD_ALIGN_PARAGRAPH.CENTER), indent_cm=indent_cm)


def _widths(table: Any, widths: tuple[Any, ...]) -> None:
    """Fix a table's column widths: the grid (LibreOffice reads it) and every cell (Word)."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width


def _borderless(table: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    properties.append(borders)


def _header_table(document: Document, report: Report) -> None:
    from docx.shared import Cm

    issuer = report.issuer
    table = document.add_table(rows=1, cols=2)
    _borderless(table)
    # The two columns of the decree's header: the bodies (7 cm), the national name (9.5 cm).
    _widths(table, (Cm(7.0), Cm(9.5)))
    left, right = table.rows[0].cells
    _line(left, f"ỦY BAN NHÂN DÂN {issuer.ward_parent.upper()}", size=12, first=True)
    _line(left, f"ỦY BAN NHÂN DÂN {issuer.ward_name.upper()}", size=12, bold=True)
    _rule_in(left, indent_cm=2.3)  # about 1/3 of the issuing body's line
    _line(left, "", size=6)
    _line(left, "Số:        /BC-UBND", size=13)
    _line(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=12, bold=True, first=True)
    _line(right, "Độc lập - Tự do - Hạnh phúc", size=13, bold=True)
    _rule_in(right, indent_cm=1.9)  # as wide as the motto
    _line(right, "", size=6)
    made = report.made_at.astimezone(report.tz)
    _line(right, f"{issuer.ward_name}, {decree_date(made)}", size=14, italic=True)


def decree_date(day: date) -> str:
    """Write a date as Nghị định 30/2020 wants it: days under 10 and months 1 and 2 padded
    with a zero ("ngày 05 tháng 02 năm 2026", "ngày 16 tháng 3 năm 2026")."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def _title(document: Document, report: Report) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    gap = _plain(document.add_paragraph(), WD_ALIGN_PARAGRAPH.CENTER)
    gap.paragraph_format.space_after = Pt(6)
    _run(_plain(document.add_paragraph(), WD_ALIGN_PARAGRAPH.CENTER), "BÁO CÁO", bold=True)
    summary_line = _plain(document.add_paragraph(), WD_ALIGN_PARAGRAPH.CENTER)
    _run(summary_line, "Kết quả tuyên truyền cải cách hành chính trên hệ thống truyền thanh "
         f"cơ sở {report.period.name}", bold=True)  # fmt: skip
    rule = _plain(document.add_paragraph(), WD_ALIGN_PARAGRAPH.CENTER)
    _rule(rule, indent_cm=6.5)
    rule.paragraph_format.space_after = Pt(12)


def _para(document: Document, text: str, *, bold: bool = False, italic: bool = False) -> None:
    _run(document.add_paragraph(), text, bold=bold, italic=italic)


def _head(document: Document, text: str) -> None:
    """A section head: "I. …" in capitals, bold."""
    _run(document.add_paragraph(), text.upper(), bold=True)


def _item(document: Document, title: str, text: str = "") -> None:
    """A numbered sub-item: its title in bold, then its text in the same paragraph."""
    paragraph = document.add_paragraph()
    _run(paragraph, title, bold=True)
    if text:
        _run(paragraph, " " + text)


def _minutes(value: float) -> str:
    return vn_decimal(value)


def _body(document: Document, report: Report) -> None:
    summary, window, issuer = report.summary, report.window, report.issuer
    totals = summary.totals
    made = report.made_at.astimezone(report.tz)
    _para(
        document,
        f"Thực hiện Kế hoạch tuyên truyền cải cách hành chính năm {window.last_day.year}, "
        f"Ủy ban nhân dân {issuer.ward_name} báo cáo kết quả tuyên truyền cải cách hành chính "
        f"trên hệ thống truyền thanh cơ sở {report.period.name} (số liệu từ ngày "
        f"{window.first_day:%d/%m/%Y} đến ngày {window.last_day:%d/%m/%Y}) như sau:",
    )
    _head(document, "I. Kết quả thực hiện")
    sources = summary.sources
    from playlists.asrun.models import AirSource

    _item(
        document,
        "1. Kết quả chung.",
        f"Hệ thống truyền thanh cơ sở đã phát {len(totals.bulletins)} tin, bài tuyên truyền với "
        f"{totals.plays} lượt phát trên {len(summary.zones)} cụm loa, tổng thời lượng "
        f"{_minutes(totals.airtime_min)} phút; trong đó {sources[AirSource.SCHEDULE].plays} "
        f"lượt phát theo lịch, {sources[AirSource.MANUAL].plays} lượt phát tay và "
        f"{sources[AirSource.EMERGENCY].plays} lượt phát tin khẩn cấp "
        f"({summary.emergencies} tin khẩn cấp).",
    )
    _para(
        document,
        f"Theo kế hoạch phát sóng có {summary.slots.planned} buổi phát trên các cụm loa; "
        f"đã phát {summary.slots.aired} buổi, trong đó {summary.slots.complete} buổi phát đủ "
        "các tin, bài theo lịch.",
    )
    _item(document, "2. Kết quả theo nội dung tuyên truyền.",
          "Chi tiết theo các nội dung của Kế hoạch tại bảng sau:")  # fmt: skip
    _topic_table(document, report)
    _item(document, "3. Kết quả theo cụm loa.")
    zones = "; ".join(
        f"{zone}: {tally.plays} lượt, {_minutes(tally.airtime_min)} phút"
        for zone, tally in summary.zones.items()
    )
    _para(document, (zones + ".") if zones else "Chưa có cụm loa nào phát trong kỳ.")
    _item(document, "4. Kết quả theo tháng.")
    months = "; ".join(
        f"tháng {month[5:].lstrip('0')}/{month[:4]}: {tally.plays} lượt, "
        f"{_minutes(tally.airtime_min)} phút"
        for month, tally in summary.months.items()
    )
    _para(document, months[:1].upper() + months[1:] + ".")
    _chart(document, report)
    _head(document, "II. Tồn tại, hạn chế")
    uncovered = summary.uncovered_topics
    _para(
        document,
        ("Các nội dung của Kế hoạch chưa được tuyên truyền trong kỳ: " + "; ".join(uncovered) + ".")
        if uncovered
        else "Tất cả các nội dung của Kế hoạch đều được tuyên truyền trong kỳ.",
    )
    below = [line for line in summary.below_target if line.code or not line.uncovered]
    if below:
        _para(
            document,
            "Các nội dung chưa đạt chỉ tiêu thời lượng của đài: "
            + "; ".join(
                f"{topic_label(line.code, line.name)} ({line.tally.plays} lượt, "
                f"{_minutes(line.tally.airtime_min)} phút)"
                for line in below
            )
            + ".",
        )
    not_aired = summary.missed + summary.failed
    reasons = "; ".join(
        f"{reason.reason or reason.status.label} ({reason.plays} lượt)"
        for reason in summary.reasons[:5]
    )
    _para(
        document,
        f"Có {summary.missed} lượt phát bị bỏ lỡ, {summary.failed} lượt phát lỗi và "
        f"{summary.partial} lượt phát dở"
        + (f"; nguyên nhân chủ yếu: {reasons}." if not_aired and reasons else "."),
    )
    _head(document, "III. Nguồn số liệu")
    _para(
        document,
        "Số liệu được tổng hợp tự động từ nhật ký phát sóng của hệ thống truyền thanh "
        f"({report.generator}), tính đến dòng số {report.last_seq} của nhật ký "
        f"(mã băm {report.last_hash[:16]}…), lập lúc {made:%H:%M} ngày {made:%d/%m/%Y}. "
        f"Kỳ báo cáo tính theo: {window.rule.info.label.lower()}; căn cứ "
        f"{window.rule.info.basis}.",
    )
    _para(
        document,
        "Trên đây là báo cáo kết quả tuyên truyền cải cách hành chính trên hệ thống truyền "
        f"thanh cơ sở {report.period.name} của Ủy ban nhân dân {issuer.ward_name}./.",
    )


def _topic_table(document: Document, report: Report) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    head = ("STT", "Nội dung tuyên truyền", "Số tin, bài", "Lượt phát", "Thời lượng (phút)")
    widths = (Cm(1.2), Cm(8.3), Cm(2.0), Cm(2.0), Cm(2.5))
    table = document.add_table(rows=1, cols=len(head))
    table.style = "Table Grid"

    def fill(cells: Any, values: tuple[str, ...], *, bold: bool) -> None:
        for col, (cell, value) in enumerate(zip(cells, values, strict=True)):
            align = WD_ALIGN_PARAGRAPH.LEFT if col == 1 else WD_ALIGN_PARAGRAPH.CENTER
            _run(_plain(cell.paragraphs[0], align), value, size=12, bold=bold)

    fill(table.rows[0].cells, head, bold=True)
    totals = report.summary.totals
    for index, line in enumerate(report.summary.topics, start=1):
        fill(table.add_row().cells, (
            str(index), topic_label(line.code, line.name), str(len(line.tally.bulletins)),
            str(line.tally.plays), _minutes(line.tally.airtime_min),
        ), bold=False)  # fmt: skip
    fill(table.add_row().cells, ("", "Tổng cộng", str(len(totals.bulletins)), str(totals.plays),
                                 _minutes(totals.airtime_min)), bold=True)  # fmt: skip
    _widths(table, widths)
    document.add_paragraph()


def _chart(document: Document, report: Report) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    by_topic = charts(report)[1]
    picture = _plain(document.add_paragraph(), WD_ALIGN_PARAGRAPH.CENTER)
    picture.add_run().add_picture(io.BytesIO(png(by_topic)), width=Cm(16))
    caption = _plain(document.add_paragraph(), WD_ALIGN_PARAGRAPH.CENTER)
    _run(caption, f"Biểu đồ: {by_topic.title.lower()} (phút)", size=12, italic=True)
    caption.paragraph_format.space_after = Pt(12)


def _signature(document: Document, report: Report) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    issuer = report.issuer
    table = document.add_table(rows=1, cols=2)
    _borderless(table)
    _widths(table, (Cm(8.0), Cm(8.5)))
    left, right = table.rows[0].cells
    label = _plain(left.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT)
    _run(label, "Nơi nhận:", size=12, bold=True, italic=True)
    recipients = list(issuer.recipients)
    for index, name in enumerate(recipients):
        entry = _plain(left.add_paragraph(), WD_ALIGN_PARAGRAPH.LEFT)
        end = "." if index == len(recipients) - 1 else ";"
        _run(entry, f"- {name.rstrip(';.')}{end}", size=11)
    for index, line in enumerate(issuer.signer_title or ("CHỦ TỊCH",)):
        _line(right, line.upper(), size=14, bold=True, first=index == 0)
    for _ in range(4):  # room for the signature and the seal
        _line(right, "", size=14)
    _line(right, issuer.signer_name, size=14, bold=True)
