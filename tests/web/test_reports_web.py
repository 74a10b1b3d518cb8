"""The report where people get it: the JSON API, the page (and in Chromium), the command line."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import docx
import openpyxl
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser

from playlists.accounts.roles import Role
from playlists.asrun.models import AirSource
from playlists.core.db import session_scope
from tests.people import add_person
from tests.playlists.test_report_documents import HOSTILE, TOPIC_8, play
from tests.web.conftest import browser_sign_in, sign_in
from tests.web.test_cli import run as loa
from web.app import create_app
from web.context import StationContext


@pytest.fixture
def logged(ctx: StationContext) -> StationContext:
    """Plays in 2026-Q1 (decree: 15/12/2025 – 14/03/2026)."""
    with session_scope(ctx.sessions) as session:
        start = datetime(2026, 1, 10, 1, tzinfo=UTC)
        play(session, start, HOSTILE, TOPIC_8, seconds=120)
        play(session, start + timedelta(days=40), "Bão", "Khẩn cấp", source=AirSource.EMERGENCY)
    return ctx


def test_the_api_gives_the_stable_json_and_the_files(
    logged: StationContext, client: TestClient
) -> None:
    answer = client.get("/api/reports", params={"period": "2026-Q1"})
    assert answer.status_code == 200
    data = answer.json()
    assert data["period"] == "2026-Q1"
    window = {"first_day": "2025-12-15", "last_day": "2026-03-14", "rule": "decree"}
    assert data["window"] == data["window"] | window
    assert set(data["totals"]) >= {"bulletins", "plays", "airtime_min", "emergencies",
                                   "partial", "missed", "failed"}  # fmt: skip
    assert data["totals"]["plays"] == 2 and data["totals"]["emergencies"] == 1
    assert len(data["by_topic"]) == 10 and data["by_topic"][7]["airtime_min"] == 2.0
    assert [m["month"] for m in data["by_month"]] == ["2025-12", "2026-01", "2026-02", "2026-03"]
    assert data["ledger"]["last_seq"] == 4 and len(data["ledger"]["last_hash"]) == 64
    calendar = client.get("/api/reports", params={"period": "2026-Q1", "windows": "calendar"})
    assert calendar.json()["window"]["first_day"] == "2026-01-01"
    custom = client.get("/api/reports", params={"from": "2026-01-10", "to": "2026-01-10"})
    assert custom.json()["period"] == "2026-01-10/2026-01-10"
    wrong = client.get("/api/reports", params={"period": "2026-Q7"})
    assert wrong.status_code == 422 and "Kỳ báo cáo" in wrong.json()["errors"]["period"]

    files = {}
    for fmt in ("xlsx", "docx", "csv"):
        got = client.get("/api/reports/file", params={"period": "2026-Q1", "format": fmt})
        assert got.status_code == 200, got.text
        assert "bao-cao-cchc_2026-Q1_2025-12-15_2026-03-14" in got.headers["content-disposition"]
        files[fmt] = got.content
    book = openpyxl.load_workbook(io.BytesIO(files["xlsx"]))
    assert book["Tổng hợp"]["B15"].value is not None and len(book.sheetnames) == 8
    # The header, two plays, and the line saying what the file covers.
    assert files["csv"].decode("utf-8-sig").count("\r\n") == 4


def test_closing_through_the_api_fills_the_register_and_needs_the_reporter(
    logged: StationContext, client: TestClient
) -> None:
    closed = client.post("/api/reports/closed", json={"period": "2026-Q1"})
    assert closed.status_code == 201, closed.text
    entry = closed.json()
    assert entry["period"] == "2026-Q1" and entry["last_seq"] == 4
    again = client.post("/api/reports/closed", json={"period": "2026-Q1"})
    assert again.status_code == 409 and "đã được chốt" in again.json()["detail"]
    running = client.post("/api/reports/closed", json={"period": "2099-Q1"})
    assert running.status_code == 409 and "Chưa chốt được" in running.json()["detail"]
    register = client.get("/api/reports/closed").json()
    assert [r["id"] for r in register] == [entry["id"]]
    kept = client.get(f"/api/reports/closed/{entry['id']}/docx")
    assert kept.status_code == 200
    assert hashlib.sha256(kept.content).hexdigest() == entry["files"]["docx"]["sha256"]
    document = docx.Document(io.BytesIO(kept.content))
    assert any(p.text == "BÁO CÁO" for p in document.paragraphs)
    # The kept file gone: made again from the register, the same bytes.
    (logged.settings.reports_dir / entry["files"]["xlsx"]["name"]).unlink()
    remade = client.get(f"/api/reports/closed/{entry['id']}/xlsx")
    assert hashlib.sha256(remade.content).hexdigest() == entry["files"]["xlsx"]["sha256"]

    with session_scope(logged.sessions) as session:
        add_person(session, "soantin", Role.EDITOR)
    with TestClient(create_app(logged, run_scheduler=False)) as editor:
        sign_in(editor, "soantin")
        assert editor.get("/api/reports", params={"period": "2026-Q1"}).status_code == 200
        refused = editor.get("/api/reports/file", params={"period": "2026-Q1"})
        assert refused.status_code == 403 and "Cán bộ báo cáo" in refused.json()["detail"]
        refused = editor.post("/api/reports/closed", json={"period": "2026-Q2"})
        assert refused.status_code == 403


def test_targets_show_topics_below_them(logged: StationContext, client: TestClient) -> None:
    assert client.put("/api/reports/targets/8", json={"plays": 10}).status_code == 200
    assert client.put("/api/reports/targets/12", json={"plays": 1}).status_code == 422
    data = client.get("/api/reports", params={"period": "2026-Q1"}).json()
    line = data["by_topic"][7]
    assert line["target_plays"] == 30 and line["below_target"]  # 10 a month × 3 months
    assert line["topic"] in data["below_target"]


def test_the_page_shows_figures_and_charts_a_screen_reader_can_read(
    logged: StationContext, client: TestClient
) -> None:
    page = client.get("/bao-cao", params={"ky": "2026-Q1"})
    assert page.status_code == 200
    html = page.text
    assert "Quý I năm 2026" in html and "15/12/2025" in html
    assert html.count('role="img"') == 3 and "<desc" in html
    assert "Thời lượng phát theo nội dung tuyên truyền" in html
    # What staff typed is escaped, in the tables and in the charts alike.
    assert HOSTILE not in html
    wrong = client.get("/bao-cao", params={"ky": "quý một"})
    assert wrong.status_code == 200 and "Kỳ báo cáo" in wrong.text
    download = client.get("/bao-cao/tep", params={"ky": "2026-Q1", "dinh_dang": "csv"})
    assert download.status_code == 200 and download.content.startswith(b"\xef\xbb\xbf")


def test_the_command_line_prints_json_closes_and_verifies(
    logged: StationContext, tmp_path: Path
) -> None:
    if logged.settings.database_url is not None:
        pytest.skip("the command reads LOA_DATA_DIR's SQLite")
    data = logged.settings.data_dir
    with session_scope(logged.sessions) as session:
        add_person(session, "baocao", Role.REPORTER)
    printed = loa(data, "report", "--period", "2026-Q1")
    assert printed.returncode == 0, printed.stderr
    figures = json.loads(printed.stdout)
    assert figures["totals"]["plays"] == 2 and figures["window"]["rule"] == "decree"
    refused = loa(data, "report", "--period", "2026-Q1", "--format", "docx", "-o",
                  str(tmp_path / "r.docx"))  # fmt: skip
    assert refused.returncode == 2 and "--by" in refused.stderr
    closed = loa(data, "report", "close", "--period", "2026-Q1", "--by", "baocao", "-o",
                 str(tmp_path / "closed"))  # fmt: skip
    assert closed.returncode == 0, closed.stderr
    docx_file = next((tmp_path / "closed").glob("*.docx"))
    verified = loa(data, "report", "verify", str(docx_file))
    assert verified.returncode == 0, verified.stderr
    assert "báo cáo đã chốt" in verified.stdout and "nguyên vẹn" in verified.stdout
    other = tmp_path / "other.csv"
    other.write_text("không phải báo cáo")
    assert loa(data, "report", "verify", str(other)).returncode == 1
    register = loa(data, "report", "closed")
    assert "2026-Q1" in register.stdout and "15/12/2025" in register.stdout


@pytest.mark.browser
def test_a_reporter_picks_a_period_downloads_and_closes_it_in_chromium(
    logged: StationContext, browser: Browser, tmp_path: Path
) -> None:
    import threading
    import time as _time

    import uvicorn

    from tests.icecast_server import free_port

    with session_scope(logged.sessions) as session:
        add_person(session, "baocao", Role.REPORTER)
    port = free_port()
    app = create_app(logged, run_scheduler=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        _time.sleep(0.05)
    address = f"http://127.0.0.1:{port}"
    try:
        page = browser.new_page(accept_downloads=True)
        browser_sign_in(page, address, "baocao")
        page.goto(f"{address}/bao-cao")
        # The quarters offered are this year's; an older one is picked by its days.
        assert page.locator("#ky option").count() >= 8
        page.fill("input[name=tu]", "2025-12-15")
        page.fill("input[name=den]", "2026-03-14")
        page.click("#report-choice button[type=submit]")
        assert page.inner_text("#t-plays") == "2"
        assert page.locator("figure.chart svg[role=img]").count() == 3
        with page.expect_download() as download:
            page.click("#dl-docx")
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert saved.suffix == ".docx" and docx.Document(str(saved)).tables
        page.click("#close-period button")
        page.wait_for_url("**/bao-cao/da-chot**")
        assert "Đã chốt số liệu từ ngày 15/12/2025 đến ngày 14/03/2026" in page.inner_text("body")
        assert page.locator("#closed-reports tbody tr").count() == 1
    finally:
        server.should_exit = True
        thread.join(timeout=30)
