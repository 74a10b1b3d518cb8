"""End to end in a real headless Chromium against a real server with the real scheduler.

The ward's day with the station, each step by the person whose duty it is: an editor signs in
and writes a bulletin in the form and listens to it; an approver (four eyes: not its author)
approves it; the operator builds the plan and the scheduler airs the slot to the file output;
the reporting officer downloads the log.
"""

from __future__ import annotations

import csv
import io
import time as _time
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from playlists.accounts.roles import Role
from playlists.core.db import session_scope
from playlists.slots.models import Slot, Zone
from tests.people import PASSWORD, add_person
from tests.web.conftest import browser_sign_in
from web.context import StationContext

pytestmark = pytest.mark.browser


@pytest.fixture
def station(ctx: StationContext) -> StationContext:
    # Prepare 2 s ahead instead of 20, so the slot can start soon after the test sets it up;
    # and keep the four-eyes rule the web tests otherwise relax.
    ctx.settings = ctx.settings.model_copy(
        update={"prepare_lead_s": 2.0, "allow_self_approval": False}
    )
    ctx.station.settings = ctx.settings
    with session_scope(ctx.sessions) as session:
        add_person(session, "bientap", Role.EDITOR, Role.APPROVER)
        add_person(session, "duyet", Role.APPROVER)
        add_person(session, "vanhanh", Role.OPERATOR)
        add_person(session, "baocao", Role.REPORTER)
    return ctx


def test_nobody_signed_in_sees_only_the_sign_in_page(
    station: StationContext, server: str, browser: Browser
) -> None:
    page = browser.new_page()
    page.goto(f"{server}/ban-tin")
    page.wait_for_url("**/dang-nhap?tiep=/ban-tin")
    assert page.locator("nav").count() == 0, "no menu for nobody"
    page.fill("input[name=username]", "bientap")
    page.fill("input[name=password]", "sai-mat-khau-roi")
    page.click("#sign-in-form button[type=submit]")
    assert page.inner_text("#sign-in-error") == "Tên đăng nhập hoặc mật khẩu không đúng."
    page.fill("input[name=password]", PASSWORD)
    page.click("#sign-in-form button[type=submit]")
    page.wait_for_url("**/ban-tin")
    assert "Thử bientap" in page.inner_text("#who") and "Biên tập viên" in page.inner_text("#who")
    page.click("#who button:has-text('Đăng xuất')")
    page.wait_for_url("**/dang-nhap")
    page.goto(f"{server}/")
    page.wait_for_url("**/dang-nhap")


def test_a_bulletin_goes_from_the_form_to_the_air_and_into_the_csv(
    station: StationContext, server: str, browser: Browser, tmp_path: Path
) -> None:
    start = (station.now() + timedelta(seconds=40)).replace(microsecond=0)
    local = start.astimezone(station.settings.zone)
    with session_scope(station.sessions) as session:
        zone = Zone(name="Tổ dân phố 3")
        session.add_all(
            [zone, Slot(name="Phát thử", start=local.time(), duration_s=120, zones=[zone])]
        )
    day = local.date()
    page: Page = browser.new_page(accept_downloads=True)

    browser_sign_in(page, server, "bientap")
    page.goto(f"{server}/ban-tin/moi")
    page.fill("input[name=title]", "Lịch tiếp công dân")
    page.fill("textarea[name=text]", "UBND phường tiếp công dân vào thứ 5 hằng tuần, từ 7h30.")
    # The form shows how the text will be read before it is sent.
    page.wait_for_selector(
        "#spoken-preview:has-text('ủy ban nhân dân phường tiếp công dân vào thứ năm')"
    )
    page.fill("input[name=first_day]", (day - timedelta(days=1)).isoformat())
    page.fill("input[name=last_day]", (day + timedelta(days=1)).isoformat())
    page.select_option("select[name=priority]", "priority")
    assert (
        page.is_checked("text=Tổ dân phố 3 >> input")
        or page.locator("input[name=zone_ids]").first.is_checked()
    )
    page.click("button[value=submit]")

    page.wait_for_url("**/ban-tin/*")
    assert page.inner_text("#status") == "Chờ duyệt"
    assert page.is_visible("#offline-voice"), "the page says the offline voice was used"
    duration = page.evaluate(
        """() => new Promise((ok, fail) => {
            const a = document.querySelector('#player');
            if (a.readyState >= 1) return ok(a.duration);
            a.addEventListener('loadedmetadata', () => ok(a.duration));
            a.addEventListener('error', () => fail('audio error'));
        })"""
    )
    assert duration > 1.0, "the browser decodes the rendered audio"

    # Its author holds the approver role too, but may not approve their own bulletin.
    assert page.is_visible("#own-bulletin")
    page.click("#approve")
    page.wait_for_selector("p.alert.error:has-text('không tự duyệt được')")
    assert page.inner_text("#status") == "Chờ duyệt"
    bulletin_url = page.url.split("?")[0]

    browser_sign_in(page, server, "duyet")
    page.goto(bulletin_url)
    assert not page.is_visible("#edit-bulletin"), "an approver does not edit others' bulletins"
    page.click("#approve")
    page.wait_for_selector("#status:has-text('Đã duyệt')")
    assert "Thử duyet" in page.inner_text("dl.facts")
    history = page.inner_text("#history")
    assert "Thử bientap" in history and "Thử duyet" in history and "Duyệt bản tin" in history

    browser_sign_in(page, server, "vanhanh")
    page.goto(f"{server}/lich-phat?ngay={day.isoformat()}")
    page.click("#build-plan")
    page.wait_for_selector("article[data-slot='Phát thử'] >> text=Lịch tiếp công dân")
    assert station.now() < start, "the plan was built before the slot (the test is on time)"

    deadline = _time.monotonic() + 120
    while True:
        page.goto(f"{server}/nhat-ky?tu={day.isoformat()}&den={day.isoformat()}")
        if page.locator("tr.status-played").count() == 1:
            break
        assert _time.monotonic() < deadline, "the scheduler did not air the slot"
        _time.sleep(1)
    assert "Theo lịch" in page.inner_text("tr.status-played")
    assert page.locator("#csv").count() == 0, "exporting is the reporting officer's"

    browser_sign_in(page, server, "baocao")
    page.goto(f"{server}/nhat-ky?tu={day.isoformat()}&den={day.isoformat()}")
    with page.expect_download() as download_info:
        page.click("#csv")
    saved = tmp_path / "log.csv"
    download_info.value.save_as(saved)
    raw = saved.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM for Excel"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    played = [r for r in rows if r["Tiêu đề bản tin"] == "Lịch tiếp công dân"]
    assert len(played) == 1
    assert played[0]["Trạng thái"] == "Đã phát" and played[0]["Nguồn"] == "Theo lịch"
    measured = float(played[0]["Thời lượng phát (giây)"])
    assert abs(measured - duration) < 0.5, "the measured airtime matches the audio"
    assert played[0]["Khung giờ"] == "Phát thử"


def test_the_form_explains_bad_input_in_vietnamese_and_saves_nothing(
    station: StationContext, server: str, browser: Browser
) -> None:
    with session_scope(station.sessions) as session:
        session.add(Zone(name="Chợ"))
    page = browser.new_page()
    browser_sign_in(page, server, "bientap")
    page.goto(f"{server}/ban-tin/moi")
    page.fill("input[name=title]", "Sai ngày")
    page.fill("textarea[name=text]", "Nội dung")
    page.fill("input[name=first_day]", "2026-12-10")
    page.fill("input[name=last_day]", "2026-12-01")
    page.click("button[value=submit]")
    errors = page.inner_text("#form-errors")
    assert "Ngày kết thúc phải bằng hoặc sau ngày bắt đầu." in errors
    assert page.input_value("input[name=title]") == "Sai ngày", "what was typed is kept"
    page.goto(f"{server}/ban-tin")
    assert "Chưa có bản tin nào" in page.inner_text("table")


def test_the_form_offers_the_voices_by_region_and_plays_a_sample(
    station: StationContext, server: str, browser: Browser
) -> None:
    page = browser.new_page()
    browser_sign_in(page, server, "bientap")
    page.goto(f"{server}/ban-tin/moi")
    groups = page.locator("#voice optgroup").evaluate_all("gs => gs.map(g => g.label)")
    assert groups == ["Miền Bắc", "Miền Trung", "Miền Nam"]
    page.select_option("#voice", "vi-vn-x-south")
    page.click("#voice-sample-play")
    page.wait_for_function(
        "() => { const a = document.getElementById('voice-sample');"
        " return !a.hidden && a.readyState >= 1 && a.duration > 1; }",
        timeout=60_000,
    )
    said = page.inner_text("#voice-sample-status")
    assert said == "Câu mẫu: Giọng miền Nam (máy đọc ngoại tuyến)"
    # The second hearing comes from the speech cache: the same file.
    first = page.request.get(f"{server}/giong-doc/mau?giong=vi-vn-x-south")
    again = page.request.get(f"{server}/giong-doc/mau?giong=vi-vn-x-south")
    assert first.ok and first.body() == again.body()
    unknown = page.request.get(f"{server}/giong-doc/mau?giong=khong-co")
    assert unknown.status == 404 and unknown.text() == "Không có giọng đọc này."
