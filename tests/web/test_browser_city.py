"""The city's pages in Chromium: a person at two wards switches ward; the city's reporter
reads every ward side by side, with its charts; the city's operator tells two wards at once."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from playlists.accounts import service as accounts
from playlists.accounts.roles import Role
from playlists.core.db import session_scope
from playlists.emergencies.models import Emergency
from playlists.wards.service import add_ward
from tests.conftest import add_zone_and_slot
from tests.people import PASSWORD, act_as, add_person
from tests.web.conftest import browser_sign_in
from web.context import StationContext

pytestmark = pytest.mark.databases("postgresql")


@pytest.fixture
def station(ctx: StationContext) -> StationContext:
    """A city of two wards (A, B) beside the home ward, its people, and the city's."""
    ctx.settings = ctx.settings.model_copy(update={"air_at": "here"})
    for code in ("phuong-a", "phuong-b"):
        add_ward(ctx.root_engine, code, f"Phường {code[-1].upper()}")
        with session_scope(ctx.for_ward(code).sessions) as session:
            add_zone_and_slot(session, zone=f"Chợ {code[-1].upper()}")
    with session_scope(ctx.for_ward("phuong-a").sessions) as session:
        add_person(session, "lan", Role.EDITOR)
    with session_scope(ctx.for_ward("phuong-b").sessions) as session:
        act_as(session, Role.ADMIN)
        accounts.set_roles(session, "lan", {Role.REPORTER}, now=ctx.now())
    with session_scope(ctx.sessions) as session:
        add_person(session, "baocao.tp", Role.CITY_REPORTER)
        add_person(session, "dieuhanh.tp", Role.CITY_OPERATOR)
    return ctx


def test_the_city_pages_in_a_browser(
    browser: Browser, server: str, station: StationContext
) -> None:
    page = browser.new_page()
    browser_sign_in(page, server, "lan")
    page.goto(f"{server}/khung-gio")
    expect(page.locator("main")).to_contain_text("Chợ A")
    expect(page.locator("main")).not_to_contain_text("Chợ B")
    page.click("#ward-now")
    page.check("input[name=phuong][value=phuong-b]")
    page.click("#ward-form button[type=submit]")
    page.goto(f"{server}/khung-gio")
    expect(page.locator("main")).to_contain_text("Chợ B")
    expect(page.locator("#ward-now")).to_have_text("Phường B")

    browser_sign_in(page, server, "baocao.tp")
    page.click("nav >> text=Thành phố")
    expect(page.locator("#ward-phuong-a")).to_contain_text("Phường A")
    expect(page.locator("#ward-phuong-b")).to_contain_text("Phường B")
    expect(page.locator("#city-charts svg")).to_have_count(2)
    expect(page.locator("nav >> text=Khẩn cấp nhiều phường")).to_have_count(0)

    browser_sign_in(page, server, "dieuhanh.tp")
    page.click("nav >> text=Khẩn cấp nhiều phường")
    page.fill("textarea[name=text]", "Thử báo động: hai phường.")
    page.check("input[name=wards][value=phuong-a]")
    page.check("input[name=wards][value=phuong-b]")
    page.fill("input[name=password]", PASSWORD)
    page.click("#city-emergency-form button[type=submit]")
    expect(page.locator("#sent-phuong-a")).to_contain_text("đã gửi")
    expect(page.locator("#sent-phuong-b")).to_contain_text("đã gửi")
    for code in ("phuong-a", "phuong-b"):
        with session_scope(station.for_ward(code).sessions) as session:
            (emergency,) = session.scalars(select(Emergency)).all()
            assert emergency.text == "Thử báo động: hai phường."
    page.close()
