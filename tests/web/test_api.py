"""The JSON API: the editorial workflow, the plan, the as-run log, and refusals in Vietnamese."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from playlists.asrun import ledger
from playlists.asrun.models import AirSource, AirStatus
from playlists.bulletins.models import Bulletin
from playlists.core.db import session_scope
from playlists.slots.models import Slot, Zone
from web.context import StationContext

pytestmark = pytest.mark.databases()


def body(ctx: StationContext, **changes: Any) -> dict[str, Any]:
    today = ctx.today()
    data: dict[str, Any] = {
        "title": "Nộp hồ sơ trực tuyến",
        "text": "Bà con có thể nộp hồ sơ trên Cổng DVC quốc gia từ ngày 01/12/2026.",
        "topic": 8,
        "priority": "priority",
        "first_day": today.isoformat(),
        "last_day": (today + timedelta(days=3)).isoformat(),
        "per_day": 1,
        "zone_ids": [1],
        "author": "Chị Lan",
    }
    data.update(changes)
    return data


def bulletin_count(ctx: StationContext) -> int:
    with session_scope(ctx.sessions) as session:
        return session.scalar(select(func.count(Bulletin.id))) or 0


def test_submit_render_approve_and_plan(client: TestClient, ctx: StationContext) -> None:
    created = client.post("/api/bulletins", json=body(ctx))
    assert created.status_code == 201, created.text
    bulletin = created.json()
    assert bulletin["status"] == "pending"
    assert bulletin["rendering"]["engine"] == "espeak-ng"
    assert abs(bulletin["rendering"]["loudness_lufs"] - -16) < 1.5
    assert "dịch vụ công" in bulletin["rendering"]["spoken_text"]

    audio = client.get(bulletin["audio_url"])
    assert audio.status_code == 200 and audio.headers["content-type"].startswith("audio/")
    assert len(audio.content) > 1000

    approved = client.post(
        f"/api/bulletins/{bulletin['id']}/approve", json={"approver": "Anh Minh"}
    )
    assert approved.json()["status"] == "approved"
    assert approved.json()["approver"] == "Thử tester"  # the signed-in approver

    tomorrow = (ctx.today() + timedelta(days=1)).isoformat()
    plan = client.post(f"/api/plan/{tomorrow}/build").json()
    assert plan["date"] == tomorrow
    slot = plan["zones"][0]["slots"][0]
    assert slot["slot"] == "Sáng" and slot["start"] == "05:30:00" and slot["capacity_s"] == 1800
    assert slot["items"][0]["bulletin_id"] == bulletin["id"]
    assert slot["items"][0]["start"] == "05:30:00"
    assert client.get(f"/api/plan/{tomorrow}").json() == plan


def test_return_needs_a_reason_and_sends_it_back(client: TestClient, ctx: StationContext) -> None:
    bulletin = client.post("/api/bulletins", json=body(ctx)).json()
    refused = client.post(f"/api/bulletins/{bulletin['id']}/return", json={"reason": " "})
    assert refused.status_code == 422
    assert "lý do" in refused.json()["detail"]
    returned = client.post(
        f"/api/bulletins/{bulletin['id']}/return", json={"reason": "Sửa số điện thoại"}
    ).json()
    assert returned["status"] == "returned" and returned["return_reason"] == "Sửa số điện thoại"
    not_pending = client.post(f"/api/bulletins/{bulletin['id']}/approve", json={})
    assert not_pending.status_code == 409
    assert "chờ duyệt" in not_pending.json()["detail"]


def test_bad_input_is_refused_with_reasons_and_nothing_is_saved(
    client: TestClient, ctx: StationContext
) -> None:
    cases = {
        "title": body(ctx, title=""),
        "text": body(ctx, text="   "),
        "last_day": body(ctx, last_day=(ctx.today() - timedelta(days=1)).isoformat()),
        "zone_ids": body(ctx, zone_ids=[99]),
        "per_day": body(ctx, per_day=0),
        "topic": body(ctx, topic=42),
    }
    for field, data in cases.items():
        response = client.post("/api/bulletins", json=data)
        assert response.status_code == 422, field
        assert field in response.json()["errors"], response.json()
    too_long = client.post("/api/bulletins", json=body(ctx, text="Chữ " * 3000))
    assert too_long.status_code == 422 and "vượt giới hạn" in too_long.json()["errors"]["text"]
    malformed = client.post("/api/bulletins", json=body(ctx, first_day="31/02/2026"))
    assert malformed.status_code == 422
    assert "Ngày không hợp lệ" in malformed.json()["errors"]["first_day"]
    assert bulletin_count(ctx) == 0


def test_recording_upload_is_checked_and_mastered(
    client: TestClient, ctx: StationContext, tmp_path: Path
) -> None:
    wav = tmp_path / "ghi-am.wav"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=300:duration=2",
         "-af", "volume=-20dB", str(wav)],
        check=True,
    )  # fmt: skip
    data = json.dumps(
        {
            "title": "Ghi âm",
            "first_day": str(ctx.today()),
            "last_day": str(ctx.today()),
            "zone_ids": [1],
        }
    )
    with wav.open("rb") as fh:
        response = client.post(
            "/api/bulletins/recording", data={"data": data}, files={"file": ("ghi-am.wav", fh)}
        )
    assert response.status_code == 201, response.text
    rendering = response.json()["rendering"]
    assert rendering["engine"] == "recording"
    assert abs(rendering["duration_s"] - 2.0) < 0.2
    assert abs(rendering["loudness_lufs"] - -16) < 1.5

    fake = tmp_path / "khong-phai.mp3"
    fake.write_text("đây không phải âm thanh")
    with fake.open("rb") as fh:
        refused = client.post(
            "/api/bulletins/recording", data={"data": data}, files={"file": ("x.mp3", fh)}
        )
    assert refused.status_code == 422
    assert "âm thanh" in refused.json()["errors"]["recording"]
    assert bulletin_count(ctx) == 1


def test_recording_longer_than_any_slot_is_refused(
    client: TestClient, ctx: StationContext, tmp_path: Path
) -> None:
    with session_scope(ctx.sessions) as session:
        session.scalars(select(Slot)).one().duration_s = 2  # the only slot lasts 2 seconds
    wav = tmp_path / "dai.wav"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=300:duration=4",
         str(wav)],
        check=True,
    )  # fmt: skip
    data = json.dumps(
        {
            "title": "Dài",
            "first_day": str(ctx.today()),
            "last_day": str(ctx.today()),
            "zone_ids": [1],
        }
    )
    with wav.open("rb") as fh:
        refused = client.post(
            "/api/bulletins/recording", data={"data": data}, files={"file": ("dai.wav", fh)}
        )
    assert refused.status_code == 422
    assert "recording" in refused.json()["errors"]
    assert bulletin_count(ctx) == 0


def test_airlog_filters_and_csv_for_excel(client: TestClient, ctx: StationContext) -> None:
    now = ctx.now()
    with session_scope(ctx.sessions) as session:
        ledger.append(
            session,
            zone_id=1,
            zone_name="Cụm 1",
            slot_name="Sáng",
            bulletin_title="Tin một",
            topic_name="Khác",
            scheduled_start=now,
            actual_start=now,
            actual_end=now + timedelta(seconds=42.5),
            status=AirStatus.PLAYED,
            source=AirSource.SCHEDULE,
            output="file",
        )
        ledger.append(session, zone_id=1, zone_name="Cụm 1", slot_name="Sáng",
                      bulletin_title="Tin hai", topic_name="Khác", scheduled_start=now,
                      status=AirStatus.MISSED, source=AirSource.SCHEDULE,
                      reason="Hết thời lượng khung giờ", output="file")  # fmt: skip
    today = ctx.today().isoformat()
    rows = client.get("/api/airlog", params={"from": today, "to": today}).json()
    assert [r["status"] for r in rows] == ["played", "missed"]
    missed = client.get("/api/airlog", params={"from": today, "to": today, "status": "missed"})
    assert [r["bulletin_title"] for r in missed.json()] == ["Tin hai"]

    export = client.get("/api/airlog.csv", params={"from": today, "to": today})
    assert export.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert table[0][1] == "Cụm loa" and table[1][5] == "Tin một"
    assert table[1][10] == "42.5" and table[1][11] == "Đã phát"
    assert table[2][11] == "Bỏ lỡ" and table[2][13] == "Hết thời lượng khung giờ"
    backwards = client.get("/api/airlog.csv", params={"from": today, "to": "2000-01-01"})
    assert backwards.status_code == 422


def test_openapi_documents_the_api(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    assert "/api/bulletins" in spec["paths"] and "/api/plan/{day}" in spec["paths"]
    assert client.get("/api/docs").status_code == 200


def test_spoken_form_preview_uses_the_station_lexicon(client: TestClient) -> None:
    before = client.post("/api/spoken-form", json={"text": "HTX gọi 0912 345 678"}).json()
    assert before["spoken"] == "hợp tác xã gọi không chín một hai, ba bốn năm, sáu bảy tám"
    changed = client.put("/api/lexicon/HTX", json={"spoken": "hợp tác xã nông nghiệp"})
    assert changed.status_code == 200 and changed.json()["source"] == "Đài sửa"
    assert changed.json()["revoiced"] == [], "no bulletin says HTX"
    after = client.post("/api/spoken-form", json={"text": "HTX"}).json()
    assert after["spoken"] == "hợp tác xã nông nghiệp"
    reset = client.delete("/api/lexicon/HTX")
    assert reset.status_code == 200 and reset.json()["source"] == "Mặc định"
    assert client.post("/api/spoken-form", json={"text": "HTX"}).json()["spoken"] == "hợp tác xã"
    refused = client.put("/api/lexicon/HTX", json={"spoken": "số 5"})
    assert refused.status_code == 422 and "chữ số" in refused.json()["errors"]["spoken"]


def test_a_bulletin_can_ask_for_a_regional_voice(client: TestClient, ctx: StationContext) -> None:
    south = client.post("/api/bulletins", json=body(ctx, voice="vi-vn-x-south")).json()
    assert south["rendering"]["voice"] == "vi-vn-x-south"
    north = client.post("/api/bulletins", json=body(ctx)).json()
    assert north["rendering"]["voice"] == "vi"
    assert south["rendering"]["sha256"] != north["rendering"]["sha256"]
    unknown = client.post("/api/bulletins", json=body(ctx, voice="klingon"))
    assert unknown.status_code == 422 and "voice" in unknown.json()["errors"]


def test_lexicon_page_edits_readings(client: TestClient) -> None:
    page = client.get("/tu-dien")
    assert page.status_code == 200 and "UBND" in page.text
    saved = client.post("/tu-dien", data={"written": "KDC", "spoken": "khu dân cư"})
    assert saved.status_code == 200 and "Đã lưu cách đọc" in saved.text
    assert "khu dân cư" in client.get("/tu-dien").text
    bad = client.post("/tu-dien", data={"written": "UB ND", "spoken": "x"})
    assert "không hợp lệ" in bad.text
    word = client.post("/tu-dien", data={"written": "hai từ", "spoken": "x"})
    assert "là từ tiếng Việt thông thường" in word.text


def test_intelligibility_check_is_kept_with_the_audio(
    client: TestClient, ctx: StationContext
) -> None:
    bulletin = client.post(
        "/api/bulletins", json=body(ctx, text="Xin chào bà con. Hôm nay trời nắng đẹp.")
    ).json()
    checked = client.post(f"/api/bulletins/{bulletin['id']}/check")
    assert checked.status_code == 200, checked.text
    rendering = checked.json()["rendering"]
    assert 0.0 <= rendering["check_wer"] <= 1.5
    assert rendering["check_heard"].strip(), "the recognizer heard something"
    assert rendering["checked_at"] is not None
    page = client.get(f"/ban-tin/{bulletin['id']}")
    assert "Độ rõ" in page.text and "tỷ lệ lỗi từ" in page.text


def test_slots_page_adds_zones_and_slots_and_cancels_days(
    client: TestClient, ctx: StationContext
) -> None:
    assert "Cụm 1" in client.get("/khung-gio").text
    zone = client.post("/khung-gio/cum-loa", data={"name": "Chợ"})
    assert "Đã thêm cụm loa Chợ" in zone.text
    added = client.post(
        "/khung-gio/them",
        data={"name": "Chiều", "start": "17:00", "minutes": "50", "days": ["1", "3", "5"],
              "zone_names": ["Chợ"], "head_s": "30", "relay_s": "600", "tail_s": "30"},
    )  # fmt: skip
    assert "Đã thêm khung giờ" in added.text and "vượt mức 45 phút" in added.text
    clash = client.post(
        "/khung-gio/them",
        data={"name": "Trùng", "start": "17:10", "minutes": "10", "days": ["1"],
              "zone_names": ["Chợ"]},
    )  # fmt: skip
    assert "Trùng giờ" in clash.text
    future = ctx.today() + timedelta(days=30)
    while future.isoweekday() not in (1, 3, 5):
        future += timedelta(days=1)
    cancelled = client.post(
        "/khung-gio/huy", data={"slot": "Chiều", "day": future.isoformat(), "reason": "Lễ"}
    )
    assert f"Đã hủy khung giờ Chiều ngày {future:%d/%m/%Y}" in cancelled.text
    assert "(Lễ)" in client.get("/khung-gio").text
    listed = client.get("/api/slots").json()
    assert any(s["name"] == "Chiều" and s["days"] == "135" for s in listed)


def test_a_bulletin_that_could_never_air_is_refused_at_submission(
    client: TestClient, ctx: StationContext
) -> None:
    past = (ctx.today() - timedelta(days=3)).isoformat()
    old = client.post("/api/bulletins", json=body(ctx, first_day=past, last_day=past))
    assert old.status_code == 409 and "đã qua" in old.json()["detail"]
    with session_scope(ctx.sessions) as session:
        session.add(Zone(name="Không có khung giờ"))
    nowhere = client.post("/api/bulletins", json=body(ctx, zone_ids=[2]))
    assert nowhere.status_code == 409
    assert "Không có khung giờ nào phát ở các cụm loa đã chọn" in nowhere.json()["detail"]
    with session_scope(ctx.sessions) as session:
        session.scalars(select(Slot)).one().duration_s = 3
    too_long = client.post("/api/bulletins", json=body(ctx))
    assert too_long.status_code == 409 and "vượt thời lượng" in too_long.json()["detail"]
    assert bulletin_count(ctx) == 0, "nothing half-saved"


def test_bulletin_page_title_is_just_the_title(client: TestClient, ctx: StationContext) -> None:
    bulletin = client.post("/api/bulletins", json=body(ctx)).json()
    page = client.get(f"/ban-tin/{bulletin['id']}").text
    title = page[page.index("<title>") : page.index("</title>")]
    assert "<script" not in title and "Nộp hồ sơ trực tuyến" in title
    assert page.count("<script>") == 1
