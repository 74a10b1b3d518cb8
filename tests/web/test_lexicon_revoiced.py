"""The lexicon page and API: ordinary words refused, and the bulletins a change re-voices shown
to the approver who makes it (their approval stands)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from playlists.audit import service as audit
from playlists.core.db import session_scope
from web.context import StationContext


def approved_bulletin(client: TestClient, ctx: StationContext, title: str, text: str) -> int:
    today = ctx.today()
    data: dict[str, Any] = {
        "title": title, "text": text, "topic": 8, "first_day": today.isoformat(),
        "last_day": (today + timedelta(days=3)).isoformat(), "zone_ids": [1],
    }  # fmt: skip
    made = client.post("/api/bulletins", json=data)
    assert made.status_code == 201, made.text
    bulletin_id: int = made.json()["id"]
    approved = client.post(f"/api/bulletins/{bulletin_id}/approve", json={})
    assert approved.json()["status"] == "approved", approved.text
    return bulletin_id


def test_the_page_lists_the_bulletins_a_change_revoices(
    client: TestClient, ctx: StationContext
) -> None:
    meeting = approved_bulletin(client, ctx, "Họp khu dân cư", "Họp tại KDC số 2 tối nay.")
    approved_bulletin(client, ctx, "Tin khác", "Tin này không nói về khu ấy.")

    page = client.get("/tu-dien").text
    assert 'name="by"' not in page, "who changes it is the signed-in approver"
    saved = client.post(
        "/tu-dien", data={"written": "KDC", "spoken": "khu dân cư"}, follow_redirects=False
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/tu-dien?doclai={meeting}&ok=KDC#revoiced"
    shown = client.get(saved.headers["location"]).text
    listed = shown.split('id="revoiced"')[1].split("</div>")[0]
    assert "máy đọc khác 1 bản tin" in listed and "vẫn giữ nguyên duyệt" in listed
    assert f'<a href="/ban-tin/{meeting}">Bản tin số {meeting}: Họp khu dân cư</a>' in listed
    assert "Tin khác" not in listed

    with session_scope(ctx.sessions) as session:
        entry = audit.history(session, "bulletin", meeting)[-1]
        assert (entry.action, entry.username) == ("bulletin_revoiced", "tester")
    bulletin = client.get(f"/api/bulletins/{meeting}").json()
    assert bulletin["status"] == "approved", "the approval stands"

    # A change that re-voices nothing goes back to the reading itself; odd ids are ignored.
    quiet = client.post(
        "/tu-dien", data={"written": "XYZ", "spoken": "ích"}, follow_redirects=False
    )
    assert quiet.headers["location"] == "/tu-dien?ok=XYZ#w-XYZ"
    assert 'id="revoiced"' not in client.get("/tu-dien?doclai=²,99999999999,abc,0").text


def test_the_api_answers_with_the_revoiced_bulletins_and_refuses_ordinary_words(
    client: TestClient, ctx: StationContext
) -> None:
    meeting = approved_bulletin(client, ctx, "Họp", "Họp tại KDC số 2.")
    changed = client.put("/api/lexicon/KDC", json={"spoken": "khu dân cư"})
    assert changed.status_code == 200, changed.text
    (revoiced,) = changed.json()["revoiced"]
    assert (revoiced["id"], revoiced["title"], revoiced["status"]) == (meeting, "Họp", "approved")
    assert "KDC" in revoiced["spoken_before"] and "khu dân cư" in revoiced["spoken_after"]

    reset = client.delete("/api/lexicon/KDC")
    assert reset.status_code == 200 and reset.json()["revoiced"][0]["id"] == meeting
    assert reset.json()["spoken"] == "" and reset.json()["builtin"] is None

    refused = client.put("/api/lexicon/không", json={"spoken": "có"})
    assert refused.status_code == 422
    assert "từ tiếng Việt thông thường" in refused.json()["errors"]["written"]
    page = client.post("/tu-dien", data={"written": "Không", "spoken": "có"})
    assert "từ tiếng Việt thông thường" in page.text
