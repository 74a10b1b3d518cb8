"""The report's files reopened: the Word layout of Nghị định 30/2020, the workbook's sheets,
numbers and charts, the CSV; formulas never run; a closed report made again byte for byte and
checked against the register and the log.

The rows here are appended by the as-run writer's own function (ledger.append); the figures
themselves are proven against the real player in tests/scheduler/test_report_figures.py.
"""

from __future__ import annotations

import csv
import io
import sqlite3
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
from docx.shared import Pt
from sqlalchemy.orm import Session

from playlists.accounts.actor import Actor
from playlists.accounts.actor import bind as bind_person
from playlists.asrun import ledger
from playlists.asrun.models import AirSource, AirStatus
from playlists.core.db import session_scope
from playlists.core.errors import StateError
from playlists.reports import service
from playlists.reports.periods import WindowRule, parse_period
from web.context import StationContext

ISSUER = service.Issuer(
    ward_name="Phường Hòa Bình",
    ward_parent="Thành phố Hà Nội",
    signer_title=("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"),
    signer_name="Nguyễn Văn An",
    recipients=("UBND Thành phố (để báo cáo)", "Lưu: VT, VHXH"),
)
HOSTILE = '=HYPERLINK("http://x.invalid","bấm")'
TOPIC_8 = "Hướng dẫn sử dụng dịch vụ công trực tuyến, thanh toán trực tuyến; đường dây nóng"
WINDOW = parse_period("2026-Q1").window(WindowRule.DECREE)  # 15/12/2025 – 14/03/2026


def play(
    session: Session,
    when: datetime,
    title: str,
    topic: str,
    *,
    seconds: float = 90.0,
    zone: str = "Cụm 1",
    outputs: tuple[str, ...] = ("file", "icecast:cum-1"),
    source: AirSource = AirSource.SCHEDULE,
    bulletin_id: int | None = None,
) -> None:
    """Append one play as the as-run writer does: a row per output."""
    for number, output in enumerate(outputs):
        ledger.append(
            session, zone_name=zone, output=output, slot_name="Sáng", bulletin_id=bulletin_id,
            bulletin_title=title, topic_name=topic, scheduled_start=when, actual_start=when,
            actual_end=when + timedelta(seconds=seconds - number), status=AirStatus.PLAYED,
            source=source,
        )  # fmt: skip


@pytest.fixture
def logged(ctx: StationContext) -> StationContext:
    with session_scope(ctx.sessions) as session:
        start = datetime(2026, 1, 10, 0, 30, tzinfo=UTC)
        play(session, start, HOSTILE, TOPIC_8, seconds=120)
        play(
            session,
            start + timedelta(days=30),
            "Chỉ số PAR INDEX",
            "Chỉ số PAR INDEX và chỉ số SIPAS",
            zone="Cụm 2",
        )
        play(session, start + timedelta(days=31), "Mưa bão", "Khẩn cấp", source=AirSource.EMERGENCY)
        play(session, datetime(2026, 3, 20, tzinfo=UTC), "Sau kỳ", TOPIC_8)  # next quarter
    return ctx


def make(ctx: StationContext, fmt: str, path: Path) -> service.Report:
    with session_scope(ctx.sessions) as session:
        report = service.build(session, WINDOW, tz=ctx.settings.zone, issuer=ISSUER,
                               made_at=datetime(2026, 3, 16, 2, 0, tzinfo=UTC))  # fmt: skip
        service.write_file(report, session, fmt, path)
        return report


def test_the_word_report_follows_the_decree_layout(logged: StationContext, tmp_path: Path) -> None:
    make(logged, "docx", tmp_path / "r.docx")
    document = docx.Document(str(tmp_path / "r.docx"))
    section = document.sections[0]

    def mm(*lengths: Any) -> list[float]:  # Word stores twips: to a tenth of a millimetre
        return [round(length.mm, 1) for length in lengths]

    assert mm(section.page_width, section.page_height) == [210, 297]
    assert mm(section.top_margin, section.bottom_margin) == [20, 20]
    assert mm(section.left_margin, section.right_margin) == [30, 15]
    normal = document.styles["Normal"]
    assert normal.font.name == "Times New Roman" and normal.font.size == Pt(14)
    assert normal.paragraph_format.first_line_indent is not None
    # Page numbers in the top margin, not on the first page.
    assert section.different_first_page_header_footer
    assert "PAGE" in section.header._element.xml
    header, topics, signature = document.tables
    left, right = header.rows[0].cells
    runs = {r.text: r for p in (*left.paragraphs, *right.paragraphs) for r in p.runs if r.text}
    parent = runs["ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI"]
    issuing = runs["ỦY BAN NHÂN DÂN PHƯỜNG HÒA BÌNH"]
    assert not parent.bold and issuing.bold and issuing.font.size == Pt(12)
    under = left.paragraphs[[p.text for p in left.paragraphs].index(issuing.text) + 1]
    assert under.text == "" and "w:pBdr" in under._p.xml, "a short rule under the issuing body"
    assert header.columns[0].width < header.columns[1].width
    assert runs["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"].bold
    assert runs["Độc lập - Tự do - Hạnh phúc"].bold
    place = runs["Phường Hòa Bình, ngày 16 tháng 3 năm 2026"]
    assert place.italic and not place.bold
    assert "Số:" in left.text and "/BC-UBND" in left.text
    assert "<w:tblBorders>" in header._tbl.xml and 'w:val="nil"' in header._tbl.xml
    texts = [p.text for p in document.paragraphs]
    title = document.paragraphs[texts.index("BÁO CÁO")]
    assert title.runs[0].bold and title.alignment == 1  # centred
    summary_line = next(p for p in document.paragraphs if p.text.startswith("Kết quả tuyên"))
    assert summary_line.text.endswith("quý I năm 2026") and summary_line.runs[0].bold
    assert any(t.startswith("I. KẾT QUẢ THỰC HIỆN") for t in texts)
    assert any(t.startswith("II. TỒN TẠI, HẠN CHẾ") for t in texts)
    body = "\n".join(texts)
    assert "đã phát 2 tin, bài" not in body  # bulletins are counted by id: none here
    assert "3 lượt phát trên 2 cụm loa" in body and "(1 tin khẩn cấp)" in body
    assert "từ ngày 15/12/2025 đến ngày 14/03/2026" in body
    # The table by topic: a header, the plan's nine items and "Khác", and the total.
    assert len(topics.rows) == 1 + 10 + 1
    assert topics.rows[8].cells[1].text.startswith("8. Hướng dẫn")
    assert topics.rows[8].cells[3].text == "1" and topics.rows[8].cells[4].text == "2,0"
    assert topics.rows[-1].cells[3].text == "3"
    # Signature block: "Nơi nhận:" bold italic 12 pt, the list 11 pt, the signer bold.
    recipients, signer = signature.rows[0].cells
    label = recipients.paragraphs[0].runs[0]
    assert label.text == "Nơi nhận:" and label.bold and label.italic and label.font.size == Pt(12)
    assert recipients.paragraphs[-1].text == "- Lưu: VT, VHXH."
    assert recipients.paragraphs[1].runs[0].font.size == Pt(11)
    lines = [p for p in signer.paragraphs if p.text]
    assert [p.text for p in lines] == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Nguyễn Văn An"]
    assert all(p.runs[0].bold for p in lines)
    assert len(document.inline_shapes) == 1, "the chart"


def test_the_workbook_has_its_sheets_numbers_dates_and_native_charts(
    logged: StationContext, tmp_path: Path
) -> None:
    make(logged, "xlsx", tmp_path / "r.xlsx")
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert book.sheetnames == ["Tổng hợp", "Theo nội dung", "Theo cụm loa", "Theo tháng",
                               "Theo nguồn", "Không phát được", "Khung giờ",
                               "Chi tiết lượt phát"]  # fmt: skip
    summary = {row[0]: row[1] for row in book["Tổng hợp"].iter_rows(values_only=True) if row[0]}
    assert summary["Từ ngày"] == datetime(2025, 12, 15)
    assert summary["Đến ngày"] == datetime(2026, 3, 14)
    assert summary["Lượt phát"] == 3 and summary["Thời lượng phát (phút)"] == 5.0
    topics = list(book["Theo nội dung"].iter_rows(min_row=2, values_only=True))
    assert len(topics) == 10 and topics[7][3] == 1 and topics[7][4] == 2.0
    months = list(book["Theo tháng"].iter_rows(min_row=2, values_only=True))
    assert [m[0] for m in months] == [datetime(2025, 12, 1), datetime(2026, 1, 1),
                                      datetime(2026, 2, 1), datetime(2026, 3, 1)]  # fmt: skip
    assert [m[1] for m in months] == [0, 1, 2, 0]
    detail = book["Chi tiết lượt phát"]
    rows = list(detail.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 3
    first = rows[0]
    assert first[1] == datetime(2026, 1, 10, 7, 30) and first[10] == 2.0 and first[11] == 2
    # A title typed as a formula is text, with Excel's quote prefix: shown, never run.
    cell = detail.cell(row=2, column=8)
    assert cell.value == HOSTILE and cell.data_type == "s" and cell.quotePrefix
    with zipfile.ZipFile(tmp_path / "r.xlsx") as archive:
        charts = sorted(n for n in archive.namelist() if n.startswith("xl/charts/chart"))
        assert len(charts) == 3
        xml = " ".join(archive.read(name).decode() for name in charts)
    assert "'Theo tháng'!$C$2:$C$5" in xml and "'Theo nội dung'!$E$2:$E$11" in xml
    assert "'Theo nội dung'!$I$2:$I$11" in xml  # the topics' short names label the bars


def test_the_csv_lists_plays_for_excel_with_formulas_neutralised(
    logged: StationContext, tmp_path: Path
) -> None:
    make(logged, "csv", tmp_path / "r.csv")
    raw = (tmp_path / "r.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:4] == ["STT", "Ngày", "Giờ phát", "Cụm loa"] and len(rows) == 1 + 3 + 1
    assert rows[1][7] == "'" + HOSTILE
    assert [r[5] for r in rows[1:4]] == ["Theo lịch", "Theo lịch", "Khẩn cấp"]
    assert [r[:3] for r in rows[1:4]] == [["1", "2026-01-10", "07:30:00"],
                                          ["2", "2026-02-09", "07:30:00"],
                                          ["3", "2026-02-10", "07:30:00"]]  # fmt: skip
    # The last line says what the file covers, as every file of the report does.
    (note,) = rows[-1]
    assert (
        "từ ngày 15/12/2025 đến ngày 14/03/2026" in note and "lập lúc 09:00 ngày 16/03/2026" in note
    )
    assert "dòng số 8" in note


def test_a_closed_report_is_made_again_byte_for_byte_and_proven(
    logged: StationContext, person: Actor, session: Session, tmp_path: Path
) -> None:
    tz = logged.settings.zone
    too_soon = datetime(2026, 3, 14, 10, tzinfo=UTC)
    with pytest.raises(StateError, match="Chưa chốt được"):
        service.close_period(session, WINDOW, tz=tz, now=too_soon, issuer=ISSUER,
                             folder=tmp_path)  # fmt: skip
    closed_at = datetime(2026, 3, 16, 2, tzinfo=UTC)
    closure, paths = service.close_period(session, WINDOW, tz=tz, now=closed_at, issuer=ISSUER,
                                          folder=tmp_path / "closed")  # fmt: skip
    session.commit()
    # The position is the log's newest row when closing (the next quarter's play included).
    assert (closure.last_seq, closure.rule, closure.period) == (8, "decree", "2026-Q1")
    with pytest.raises(StateError, match="đã được chốt"):
        service.close_period(session, WINDOW, tz=tz, now=closed_at, issuer=ISSUER,
                             folder=tmp_path)  # fmt: skip
    # Later rows (aired late into the window's days, or written by a replayed spool) do not
    # change the closed report.
    play(session, datetime(2026, 1, 20, tzinfo=UTC), "Chậm", TOPIC_8)
    session.commit()
    again = service.closed_report(session, closure)
    for fmt, path in paths.items():
        remade = tmp_path / f"again.{fmt}"
        digest = service.write_file(again, session, fmt, remade)
        assert digest == closure.files[fmt]["sha256"], fmt
        assert remade.read_bytes() == path.read_bytes()
        check = service.verify_file(session, path)
        assert check.ok and check.closure is not None and check.closure.id == closure.id
    stranger = tmp_path / "other.docx"
    stranger.write_bytes(paths["docx"].read_bytes() + b" ")
    assert not service.verify_file(session, stranger).ok


def test_a_rewritten_log_fails_the_check_of_a_closed_report(
    logged: StationContext, person: Actor, session: Session, tmp_path: Path
) -> None:
    if logged.settings.database_url is not None:
        pytest.skip("the tampering here is SQLite's; tests/playlists/test_ledger.py does both")
    _closure, paths = service.close_period(
        session, WINDOW, tz=logged.settings.zone, now=datetime(2026, 3, 16, tzinfo=UTC),
        issuer=ISSUER, folder=tmp_path,
    )  # fmt: skip
    session.commit()
    connection = sqlite3.connect(logged.settings.data_dir / "loa.db", isolation_level=None)
    connection.execute("DROP TRIGGER air_log_no_update")
    connection.execute("UPDATE air_log SET actual_end = actual_start WHERE seq = 1")
    connection.close()
    check = service.verify_file(session, paths["xlsx"])
    assert check.closure is not None and not check.log_ok and not check.ok
    assert check.first_bad_seq == 1 and "bị sửa" in check.log_message


def test_an_emergency_and_its_repeats_count_once(ctx: StationContext) -> None:
    with session_scope(ctx.sessions) as session:
        for repeat in range(3):  # aired three times, on two zones each time
            for zone in ("Cụm 1", "Cụm 2"):
                when = datetime(2026, 1, 5, 1, tzinfo=UTC) + timedelta(minutes=10 * repeat)
                ledger.append(
                    session, zone_name=zone, output="file", slot_name="Khẩn cấp",
                    bulletin_title="Bão số 3", topic_name="Khẩn cấp", rendering_sha256="e" * 64,
                    scheduled_start=when, actual_start=when,
                    actual_end=when + timedelta(seconds=30), status=AirStatus.PLAYED,
                    source=AirSource.EMERGENCY,
                )  # fmt: skip
        summary = service.build(session, WINDOW, tz=ctx.settings.zone, issuer=ISSUER,
                                made_at=datetime(2026, 3, 16, tzinfo=UTC)).summary  # fmt: skip
    assert summary.totals.plays == 6 and summary.emergencies == 1


def test_a_play_logged_on_both_sides_of_midnight_is_one_play_in_one_window(
    ctx: StationContext,
) -> None:
    # The file output started 23:59:59.7 on 14/03 (local), Icecast 00:00:00.2 on 15/03.
    due = datetime(2026, 3, 14, 16, 59, 59, 700000, tzinfo=UTC)
    with session_scope(ctx.sessions) as session:
        for output, late in (("file", 0.0), ("icecast:cum-1", 0.5)):
            start = due + timedelta(seconds=late)
            ledger.append(
                session, zone_name="Cụm 1", output=output, slot_name="Tối", bulletin_id=None,
                bulletin_title="Tin", topic_name=TOPIC_8, scheduled_start=due,
                actual_start=start, actual_end=start + timedelta(seconds=60),
                status=AirStatus.PLAYED, source=AirSource.SCHEDULE,
            )  # fmt: skip
        plays = {
            code: service.build(
                session, parse_period(code).window(WindowRule.DECREE), tz=ctx.settings.zone,
                issuer=ISSUER, made_at=datetime(2026, 6, 16, tzinfo=UTC),
            ).summary.totals.plays
            for code in ("2026-Q1", "2026-Q2")
        }  # fmt: skip
    assert plays == {"2026-Q1": 1, "2026-Q2": 0}


def test_monthly_targets_count_months_not_days(ctx: StationContext, person: Actor) -> None:
    with session_scope(ctx.sessions) as session:
        bind_person(session, person)
        service.set_target(session, 4, plays=100, minutes=30)
    with session_scope(ctx.sessions) as session:

        def target(code: str, rule: WindowRule) -> tuple[int | None, float | None]:
            report = service.build(session, parse_period(code).window(rule), issuer=ISSUER,
                                   tz=ctx.settings.zone, made_at=datetime.now(UTC))  # fmt: skip
            line = next(t for t in report.summary.topics if t.code == 4)
            return line.target_plays, line.target_minutes

        # A decree month of 28 days (15/02–14/03) is still a month.
        assert target("2026-03", WindowRule.DECREE) == (100, 30.0)
        assert target("2026-Q1", WindowRule.DECREE) == (300, 90.0)
        assert target("2026", WindowRule.CALENDAR) == (1200, 360.0)


def test_a_closed_report_keeps_its_targets_and_waits_for_the_night_to_be_logged(
    logged: StationContext, person: Actor, session: Session, tmp_path: Path
) -> None:
    tz = logged.settings.zone
    half_past_midnight = datetime(2026, 3, 14, 17, 30, tzinfo=UTC)  # 00:30 on 15/03, local
    with pytest.raises(StateError, match="chốt được từ 02:00 ngày 15/03/2026"):
        service.close_period(session, WINDOW, tz=tz, now=half_past_midnight, issuer=ISSUER,
                             folder=tmp_path)  # fmt: skip
    closure, paths = service.close_period(
        session, WINDOW, tz=tz, now=half_past_midnight + timedelta(hours=2), issuer=ISSUER,
        folder=tmp_path,
    )  # fmt: skip
    session.commit()
    service.set_target(session, 8, plays=50, minutes=None)  # set after closing
    session.commit()
    again = service.closed_report(session, closure)
    assert next(t for t in again.summary.topics if t.code == 8).target_plays is None
    for fmt, path in paths.items():
        assert service.write_file(again, session, fmt, tmp_path / f"x.{fmt}") == service.sha256_of(
            path
        ), fmt


def test_control_characters_in_a_reason_do_not_break_the_word_file(
    ctx: StationContext, tmp_path: Path
) -> None:
    with session_scope(ctx.sessions) as session:
        when = datetime(2026, 1, 5, 1, tzinfo=UTC)
        ledger.append(
            session, zone_name="Cụm 1", output="device:alsa", slot_name="Sáng",
            bulletin_title="Tin", topic_name=TOPIC_8, scheduled_start=when,
            status=AirStatus.FAILED, source=AirSource.SCHEDULE,
            reason="ffmpeg: \x1b[31mbroken pipe\x00\x07",
        )  # fmt: skip
    make(ctx, "docx", tmp_path / "r.docx")
    body = "\n".join(p.text for p in docx.Document(str(tmp_path / "r.docx")).paragraphs)
    assert "ffmpeg: [31mbroken pipe" in body and "1 lượt phát lỗi" in body


def test_decree_dates_pad_days_under_10_and_months_1_and_2() -> None:
    from datetime import date

    from playlists.reports.docx import decree_date

    assert decree_date(date(2026, 1, 5)) == "ngày 05 tháng 01 năm 2026"
    assert decree_date(date(2026, 2, 28)) == "ngày 28 tháng 02 năm 2026"
    assert decree_date(date(2026, 3, 16)) == "ngày 16 tháng 3 năm 2026"
    assert decree_date(date(2026, 12, 9)) == "ngày 09 tháng 12 năm 2026"
