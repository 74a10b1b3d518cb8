"""An emergency from the web page to the air, in a real Chromium against a real server.

The operator fills the guarded form, confirms twice (the checkbox and the browser's dialog), and
the running scheduler airs the announcement to the file output within seconds; the as-run log
says so. An alert raised meanwhile shows in the banner until someone marks it dealt with.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Dialog, Page
from sqlalchemy import select

from playlists.accounts.roles import Role
from playlists.alerts.models import AlertKind
from playlists.alerts.service import raise_alert
from playlists.asrun.models import AirLog, AirSource, AirStatus
from playlists.core.db import session_scope
from playlists.emergencies.models import Emergency
from playlists.slots.models import Zone
from tests.people import PASSWORD, add_person
from tests.web.conftest import browser_sign_in
from web.context import StationContext

pytestmark = pytest.mark.browser


@pytest.fixture
def station(ctx: StationContext) -> StationContext:
    """The station with an operator and an editor, airing to files."""
    ctx.settings = ctx.settings.model_copy(update={"prepare_lead_s": 2.0})
    ctx.station.settings = ctx.settings
    with session_scope(ctx.sessions) as session:
        add_person(session, "vanhanh", Role.OPERATOR)
        add_person(session, "bientap", Role.EDITOR)
    return ctx


def wait_for(predicate: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    deadline = _time.monotonic() + timeout
    while not predicate():
        assert _time.monotonic() < deadline, what
        _time.sleep(0.2)


def emergency_rows(station: StationContext) -> list[AirLog]:
    with session_scope(station.sessions) as session:
        query = select(AirLog).where(AirLog.source == AirSource.EMERGENCY).order_by(AirLog.id)
        return list(session.scalars(query))


def fill_form(page: Page) -> None:
    page.fill("input[name=title]", "Cảnh báo ngập")
    page.fill(
        "textarea[name=text]", "Khẩn cấp: nước đang dâng ở tổ dân phố 3, bà con kê đồ lên cao."
    )
    page.check("label:has-text('Tổ dân phố 3') >> input[name=zone_ids]")
    page.fill("input[name=requested_by]", "Anh Hùng, trực ban")
    page.fill("input[name=password]", PASSWORD)
    page.check("input[name=confirm]")


def test_an_operator_sends_an_emergency_that_airs_within_seconds(
    station: StationContext, server: str, browser: Browser
) -> None:
    with session_scope(station.sessions) as session:
        session.add_all([Zone(name="Tổ dân phố 3"), Zone(name="Chợ Bến Thành")])
    page = browser.new_page()
    browser_sign_in(page, server, "bientap")
    assert page.locator("#nav-emergency").count() == 0, "an editor has no emergency button"
    page.goto(f"{server}/khan-cap")
    assert page.is_visible("#not-operator") and page.locator("#emergency-form").count() == 0

    browser_sign_in(page, server, "vanhanh")
    page.goto(f"{server}/")
    page.click("#nav-emergency")
    page.wait_for_url("**/khan-cap")
    assert not page.is_visible("#alert-banner")

    # Saying no to the browser's question sends nothing.
    fill_form(page)
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#send-emergency")
    page.wait_for_timeout(500)
    assert page.url.endswith("/khan-cap")
    with session_scope(station.sessions) as session:
        assert session.scalar(select(Emergency.id)) is None

    asked: list[str] = []

    def accept(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    # A wrong password sends nothing, and keeps what was typed but the password.
    page.fill("input[name=password]", "khong-dung-mat-khau")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#send-emergency")
    page.wait_for_selector("#form-errors:has-text('Mật khẩu không đúng.')")
    assert page.input_value("input[name=title]") == "Cảnh báo ngập"
    assert page.input_value("input[name=password]") == ""
    with session_scope(station.sessions) as session:
        assert session.scalar(select(Emergency.id)) is None
    page.fill("input[name=password]", PASSWORD)
    page.check("input[name=confirm]")

    page.once("dialog", accept)
    page.click("#send-emergency")
    page.wait_for_url("**/khan-cap?gui=*")
    assert "Tổ dân phố 3" in asked[0] and "ngắt" in asked[0], "the dialog says where and what"
    assert "Chợ Bến Thành" not in asked[0]
    sent = page.inner_text("#sent")
    assert sent.startswith("Đã gửi tin khẩn cấp số ") and "đài phát trong vài giây" in sent

    wait_for(lambda: emergency_rows(station), "the station did not air the emergency", 30)
    (row,) = emergency_rows(station)
    assert row.status == AirStatus.PLAYED, row.reason
    assert row.zone_name == "Tổ dân phố 3" and row.bulletin_title == "Cảnh báo ngập"
    assert row.aired_s > 1.0

    # The page follows the request to the end without a reload.
    page.wait_for_selector("#emergencies .emergency-done", timeout=15000)
    line = page.inner_text("#emergencies tbody tr")
    assert "Đã phát xong" in line and "1/1" in line and "Anh Hùng, trực ban" in line
    assert page.locator("#emergencies form.stop-emergency").count() == 0

    page.goto(f"{server}/nhat-ky")
    aired = page.inner_text("tr.status-played")
    assert "Khẩn cấp" in aired and "Cảnh báo ngập" in aired and "Tổ dân phố 3" in aired

    # A problem on air meanwhile: the banner shows it on every page until it is dealt with.
    with session_scope(station.sessions) as session:
        raise_alert(session, kind=AlertKind.AMPLIFIER, zone_name="Chợ Bến Thành",
                    message="Chợ Bến Thành: không bật được bộ khuếch đại.",
                    detail="amplifier on failed: exit 1", now=station.now())  # fmt: skip
    page.goto(f"{server}/ban-tin")
    banner = page.inner_text("#alert-banner")
    assert "1 cảnh báo chưa xử lý" in banner and "không bật được bộ khuếch đại" in banner
    page.click("#alert-banner a")
    page.wait_for_url("**/canh-bao")
    assert "Bộ khuếch đại" in page.inner_text("#active-alerts")
    page.click("#active-alerts button:has-text('Đã xử lý')")
    page.wait_for_url("**/canh-bao?ok=*")
    assert "Thử vanhanh" in page.inner_text("#cleared-alerts"), "who dealt with it is recorded"
    page.goto(f"{server}/")
    assert not page.is_visible("#alert-banner")
