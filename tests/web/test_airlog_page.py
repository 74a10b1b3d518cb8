"""The as-run log page: a page of rows at a time, totals over the whole window."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from playlists.asrun import ledger
from playlists.asrun.models import AirSource, AirStatus
from playlists.core.db import session_scope
from web.context import StationContext


def test_the_log_is_shown_a_hundred_rows_a_page_with_totals_over_all(
    client: TestClient, ctx: StationContext
) -> None:
    start = ctx.now() - timedelta(hours=3)
    with session_scope(ctx.sessions) as session:
        for n in range(150):
            at = start + timedelta(minutes=n)
            ledger.append(
                session, zone_name="Cụm 1", output="file", slot_name="Sáng",
                bulletin_title=f"Bản tin số {n:03d}", status=AirStatus.PLAYED,
                source=AirSource.SCHEDULE, actual_start=at, actual_end=at + timedelta(seconds=30),
            )  # fmt: skip
    first = client.get("/nhat-ky").text
    assert "150 dòng, tổng thời lượng đã phát 1:15:00" in first
    assert "Trang 1/2" in first and "trang=2" in first
    assert "Bản tin số 099" in first and "Bản tin số 100" not in first
    second = client.get("/nhat-ky", params={"trang": "2"}).text
    assert "Bản tin số 100" in second and "Bản tin số 149" in second
    assert "Bản tin số 099" not in second and "trang=1" in second
    assert "Trang 1/2" in client.get("/nhat-ky", params={"trang": "hai"}).text
