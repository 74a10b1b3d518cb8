"""Alerts on every page, and the guarded emergency button, through pages and the JSON API.

The station is real (migrated database, espeak-ng, ffmpeg); the scheduler is not running, so
stored emergencies stay pending here. tests/web/test_browser_emergency.py airs one.
"""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from playlists.alerts.models import Alert, AlertKind
from playlists.alerts.service import raise_alert
from playlists.audit import service as audit
from playlists.core.db import session_scope
from playlists.emergencies.models import Emergency, EmergencyStatus
from playlists.slots.models import Zone
from tests.people import PASSWORD
from web.context import StationContext

RAISED = datetime(2026, 11, 27, 0, 5, 9, tzinfo=UTC)  # 07:05:09 in Hà Nội


def add_alert(ctx: StationContext, message: str, *, minutes: int = 0, zone: str = "Cụm 1") -> int:
    with session_scope(ctx.sessions) as session:
        alert = raise_alert(
            session, kind=AlertKind.OUTPUT, message=message, detail="icecast refused the source",
            zone_name=zone, now=RAISED + timedelta(minutes=minutes),
        )  # fmt: skip
        return alert.id


def stored_emergencies(ctx: StationContext) -> list[Emergency]:
    with session_scope(ctx.sessions) as session:
        return list(session.scalars(select(Emergency).order_by(Emergency.id)))


def second_zone(ctx: StationContext) -> int:
    with session_scope(ctx.sessions) as session:
        zone = Zone(name="Tổ dân phố 7")
        session.add(zone)
        session.flush()
        return zone.id


def form(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "Cảnh báo cháy",
        "text": "Khẩn cấp: đang có cháy ở chợ phường, bà con tránh xa khu vực chợ.",
        "repeat": "1",
        "every_min": "5",
        "requested_by": "Anh Hùng, trực ban",
        "password": PASSWORD,
        "confirm": "1",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# --- alerts ---------------------------------------------------------------------------------


def test_no_banner_without_alerts(client: TestClient) -> None:
    for path in ("/", "/ban-tin", "/khan-cap", "/canh-bao"):
        page = client.get(path)
        assert page.status_code == 200
        assert 'id="alert-banner"' not in page.text


def test_the_banner_shows_on_every_page_until_the_alerts_are_cleared_on_their_page(
    client: TestClient, ctx: StationContext
) -> None:
    older = add_alert(ctx, "Cụm 1: không phát được ra card âm thanh.")
    newer = add_alert(ctx, "Cụm 1: mất kết nối tới máy chủ Icecast.", minutes=1)

    for path in ("/", "/ban-tin", "/nhat-ky", "/khan-cap", "/ban-tin/999"):
        page = client.get(path)
        assert 'id="alert-banner"' in page.text, path
        banner = page.text.split('id="alert-banner"')[1].split("</div>")[0]
        assert "2 cảnh báo chưa xử lý" in banner
        assert "mất kết nối tới máy chủ Icecast" in banner, "the newest message"
        assert 'href="/canh-bao"' in banner

    listing = client.get("/canh-bao").text
    assert "27/11/2026 07:06:09" in listing and "27/11/2026 07:05:09" in listing, "local time"
    assert "Đầu ra" in listing and "Cụm 1" in listing
    assert listing.index(f'id="alert-{newer}"') < listing.index(f'id="alert-{older}"')

    # Who dealt with it is the signed-in operator: the page asks for no name.
    assert 'name="by"' not in listing
    done = client.post(f"/canh-bao/{older}/xong", follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/canh-bao?ok=")
    banner = client.get("/").text.split('id="alert-banner"')[1].split("</div>")[0]
    assert "1 cảnh báo chưa xử lý" in banner

    client.post(f"/canh-bao/{newer}/xong", data={"by": "Anh Tuấn"})  # a stale form's name
    assert 'id="alert-banner"' not in client.get("/").text
    listing = client.get("/canh-bao").text
    assert "Không có cảnh báo nào chưa xử lý." in listing
    cleared = listing.split('id="cleared-alerts"')[1]
    assert cleared.count("Thử tester") == 2 and "Anh Tuấn" not in cleared
    with session_scope(ctx.sessions) as session:
        alert = session.get(Alert, older)
        assert alert is not None and alert.cleared_by == "Thử tester"
        assert alert.cleared_at is not None
        (entry,) = audit.history(session, "alert", older)
        assert (entry.action, entry.username) == ("alert_acknowledged", "tester")

    unknown = client.post("/canh-bao/999/xong")
    assert "Không có cảnh báo số 999." in unknown.text


def test_alerts_through_the_api(client: TestClient, ctx: StationContext) -> None:
    alert_id = add_alert(ctx, "Cụm 1: lỡ giờ phát buổi sáng.")
    (listed,) = client.get("/api/alerts").json()
    assert listed["id"] == alert_id
    assert listed["kind"] == "output" and listed["kind_label"] == "Đầu ra"
    assert listed["message"] == "Cụm 1: lỡ giờ phát buổi sáng."
    assert listed["cleared_at"] is None

    assert client.post("/api/alerts/999/clear").status_code == 404

    # Who cleared it is the signed-in user; a name an older client still sends is ignored.
    cleared = client.post(f"/api/alerts/{alert_id}/clear", json={"by": "Chị Hoa"})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["cleared_by"] == "Thử tester" and cleared.json()["cleared_at"]
    assert client.get("/api/alerts").json() == []
    assert 'id="alert-banner"' not in client.get("/").text


# --- emergencies ----------------------------------------------------------------------------


def test_an_operator_confirms_with_their_own_password_which_is_never_sent_back(
    client: TestClient, ctx: StationContext
) -> None:
    page = client.get("/khan-cap")
    assert page.status_code == 200
    assert 'id="emergency-form"' in page.text and 'name="password"' in page.text
    assert "PIN" not in page.text, "the shared PIN is gone"
    assert 'class="nav-emergency"' in page.text, "the red link is in the navigation"

    wrong = client.post("/khan-cap", data=form(password="khong-phai-mat-khau"))
    assert wrong.status_code == 403
    assert "Mật khẩu không đúng." in wrong.text
    assert 'value="Cảnh báo cháy"' in wrong.text, "what was typed is kept"
    assert "đang có cháy ở chợ phường" in wrong.text
    assert 'value="Anh Hùng, trực ban"' in wrong.text
    assert "khong-phai-mat-khau" not in wrong.text and PASSWORD not in wrong.text
    empty = client.post("/khan-cap", data=form(password=""))
    assert empty.status_code == 403 and "Cần nhập mật khẩu của bạn để xác nhận." in empty.text
    assert stored_emergencies(ctx) == []


def test_missing_fields_are_refused_keeping_what_was_typed(
    client: TestClient, ctx: StationContext
) -> None:
    missing = client.post("/khan-cap", data=form(text="", confirm=None, repeat="hai"))
    assert missing.status_code == 422
    errors = missing.text.split('id="form-errors"')[1].split("</div>")[0]
    for message in (
        "Cần nội dung tin khẩn cấp hoặc một tệp ghi âm.",
        "Cần đánh dấu ô xác nhận phát khẩn cấp.",
        "Số lần phát phải là số nguyên",
    ):
        assert message in errors

    too_many = client.post("/khan-cap", data=form(repeat="50"))
    assert too_many.status_code == 422
    assert "Số lần phát phải từ 1 đến 20." in too_many.text

    nameless = client.post("/khan-cap", data=form(requested_by=""), follow_redirects=False)
    assert nameless.status_code == 303, "the operator is the requester when none is named"
    (emergency,) = stored_emergencies(ctx)
    assert emergency.requested_by == "Thử tester"


def test_a_good_request_is_stored_listed_and_can_be_stopped(
    client: TestClient, ctx: StationContext
) -> None:
    zone_id = second_zone(ctx)
    sent = client.post(
        "/khan-cap",
        data=form(zone_ids=str(zone_id), repeat="3", every_min="0,5"),
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    (emergency,) = stored_emergencies(ctx)
    assert sent.headers["location"] == f"/khan-cap?gui={emergency.id}"
    assert emergency.zone_ids == [zone_id]
    assert (emergency.repeat, emergency.every_min) == (3, 0.5)
    assert emergency.status == EmergencyStatus.PENDING
    assert emergency.requested_by == "Anh Hùng, trực ban"
    assert emergency.title == "Cảnh báo cháy"
    assert emergency.duration_s > 1.0
    assert (ctx.settings.media_dir / emergency.audio_file).is_file()

    page = client.get(sent.headers["location"]).text
    assert f"Đã gửi tin khẩn cấp số {emergency.id}: đài phát trong vài giây." in page
    row = page.split(f'id="emergency-{emergency.id}"')[1].split("</tr>")[0]
    assert "Cảnh báo cháy" in row and "Tổ dân phố 7" in row and "Cụm 1" not in row
    assert "0/3" in row and "Chờ phát" in row and "Anh Hùng, trực ban" in row
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", row)
    assert f'action="/khan-cap/{emergency.id}/huy"' in row

    stopped = client.post(f"/khan-cap/{emergency.id}/huy")
    assert f"Đã dừng các lần phát còn lại của tin khẩn cấp số {emergency.id}" in stopped.text
    (emergency,) = stored_emergencies(ctx)
    assert emergency.status == EmergencyStatus.CANCELLED and emergency.next_at is None
    row = stopped.text.split(f'id="emergency-{emergency.id}"')[1].split("</tr>")[0]
    assert "Đã huỷ" in row and "/huy" not in row


def test_no_zone_ticked_means_every_zone(client: TestClient, ctx: StationContext) -> None:
    second_zone(ctx)
    page = client.post("/khan-cap", data=form()).text  # followed to /khan-cap?gui=N
    (emergency,) = stored_emergencies(ctx)
    assert f"Đã gửi tin khẩn cấp số {emergency.id}" in page
    assert emergency.zone_ids == [] and emergency.every_min == 0.0
    row = page.split(f'id="emergency-{emergency.id}"')[1].split("</tr>")[0]
    assert "Mọi cụm loa" in row and "0/1" in row


def test_a_recording_is_sent_but_not_together_with_text(
    client: TestClient, ctx: StationContext, tmp_path: Path
) -> None:
    wav = tmp_path / "bao-lu.wav"
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
         "-i", "sine=frequency=500:duration=3:sample_rate=44100", "-ac", "1", str(wav)],
        check=True,
    )  # fmt: skip

    both = client.post(
        "/khan-cap", data=form(), files={"recording": ("bao-lu.wav", wav.read_bytes(), "audio/wav")}
    )
    assert both.status_code == 422
    assert "Chỉ chọn một: nhập nội dung để máy đọc, hoặc tải tệp ghi âm." in both.text
    assert stored_emergencies(ctx) == []

    sent = client.post(
        "/khan-cap",
        data=form(title="", text=""),
        files={"recording": ("bao-lu.wav", wav.read_bytes(), "audio/wav")},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    (emergency,) = stored_emergencies(ctx)
    assert emergency.title == "bao-lu", "the file's name when there is no title"
    assert abs(emergency.duration_s - 3.0) < 0.5

    junk = client.post(
        "/khan-cap",
        data=form(text=""),
        files={"recording": ("ghi-am.mp3", b"not audio at all", "audio/mpeg")},
    )
    assert junk.status_code == 422
    assert 'data-field="recording"' in junk.text
    assert len(stored_emergencies(ctx)) == 1


def test_emergencies_through_the_api(client: TestClient, ctx: StationContext) -> None:
    body = {"title": "Bão", "text": "Bão số chín sắp đổ bộ.", "requested_by": "Chị Mai"}
    # From the browser's session, the API asks for the password as the page does.
    unconfirmed = client.post("/api/emergencies", json=body)
    assert unconfirmed.status_code == 403
    assert unconfirmed.json()["detail"] == "Cần nhập mật khẩu của bạn để xác nhận."
    wrong = client.post("/api/emergencies", json=body | {"password": "khong-dung-dau"})
    assert wrong.status_code == 403 and wrong.json()["detail"] == "Mật khẩu không đúng."
    body["password"] = PASSWORD
    invalid = client.post(
        "/api/emergencies", json=body | {"repeat": 2, "every_min": 0, "zone_ids": [42]}
    )
    assert invalid.status_code == 422
    assert set(invalid.json()["errors"]) >= {"every", "zones"}
    assert stored_emergencies(ctx) == []

    created = client.post("/api/emergencies", json=body | {"repeat": 2, "every_min": 1})
    assert created.status_code == 201, created.text
    data = created.json()
    assert data["zone_ids"] == [] and data["repeat"] == 2 and data["every_min"] == 1.0
    assert data["status"] == "pending" and data["status_label"] == "Chờ phát"
    assert data["requested_by"] == "Chị Mai"
    assert [e["id"] for e in client.get("/api/emergencies").json()] == [data["id"]]

    cancel = f"/api/emergencies/{data['id']}/cancel"
    stopped = client.post(cancel)
    assert stopped.status_code == 200 and stopped.json()["status"] == "cancelled"
    assert client.post("/api/emergencies/999/cancel").status_code == 404
    with session_scope(ctx.sessions) as session:
        assert session.scalar(select(func.count(Emergency.id))) == 1
