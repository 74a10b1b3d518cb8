"""Hostile text: control characters never reach a name, and no export can be broken by one.

A tester with no account put a carriage return in a bulletin's title: the M3U8 export then
held a line of its own, an address ffmpeg fetched. The rule is one (playlists/core/text.py),
applied where names enter (the schemas, the domain's functions); the exports are checked on
their own too, with hostile text written past every entry check (an old row, a copied
database). Settings print no secret when they are wrong.
"""

from __future__ import annotations

import csv
import io
import subprocess
import unicodedata
from datetime import UTC, datetime, time
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings
from sqlalchemy.orm import Session

from playlists.accounts.roles import Role
from playlists.asrun.export import airlog_csv
from playlists.asrun.models import AirLog, AirSource, AirStatus
from playlists.bulletins.schemas import BulletinCreate
from playlists.core.settings import SECTION, SettingsError, StationSettings, read_settings
from playlists.core.text import clean_text, one_line
from playlists.emergencies.service import EmergencyDraft
from playlists.planning.playlist import exported_copy, plan_m3u8
from playlists.slots import service as slots
from tests.people import act_as
from tests.sounds import tone

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
INJECTED = "Tin\r\n#EXTINF:1,x\r\nhttp://127.0.0.1:9/ngoai.mp3\n\u202e"


def is_control(ch: str) -> bool:
    return unicodedata.category(ch) == "Cc" or ch in BIDI or "\ud800" <= ch <= "\udfff"


# ------------------------------------------------------------------ the rule


@given(st.text())
def test_a_name_is_one_line_without_any_control_character(text: str) -> None:
    name = one_line(text)
    assert not any(is_control(ch) for ch in name)
    assert len(name.splitlines()) <= 1  # also U+2028, U+0085: what any reader takes as a break
    assert one_line(name) == name


@given(st.text())
def test_a_text_keeps_its_lines_and_loses_every_other_control(text: str) -> None:
    cleaned = clean_text(text)
    assert not any(is_control(ch) for ch in cleaned if ch != "\n")
    assert clean_text(cleaned) == cleaned


def test_what_the_rule_does_to_ordinary_and_hostile_text() -> None:
    assert one_line("Khu phố 3") == "Khu phố 3"
    assert one_line("Tin\r\nmới\tnhất") == "Tin mới nhất"
    assert one_line("A\x00B\x07C\x7fD\x85E\u2028F") == "ABCD E F"
    assert one_line("\u202egnp.exe\u202c") == "gnp.exe"
    assert clean_text("Dòng một\r\nDòng hai\rDòng ba\x00") == "Dòng một\nDòng hai\nDòng ba"


def test_a_bulletin_s_names_are_cleaned_and_its_text_keeps_its_lines() -> None:
    data = BulletinCreate(
        title=INJECTED, text="Kính thưa bà con,\r\nxin thông báo\x00.", first_day="2026-12-01",
        last_day="2026-12-02", voice="vi\n",
    )  # fmt: skip
    assert data.title == "Tin #EXTINF:1,x http://127.0.0.1:9/ngoai.mp3 "
    assert data.text == "Kính thưa bà con,\nxin thông báo."
    assert data.voice == "vi "


def test_a_lone_surrogate_is_refused_not_stored() -> None:
    with pytest.raises(ValidationError, match="UTF-16"):
        BulletinCreate(title="\ud800", first_day="2026-12-01", last_day="2026-12-01")


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01"])
def test_a_bulletin_s_days_lie_within_what_the_station_handles(day: str) -> None:
    with pytest.raises(ValidationError):
        BulletinCreate(title="x", first_day=day, last_day=day)


@pytest.mark.parametrize(
    "changes",
    [
        {"topic": 2**70},
        {"topic": -1},
        {"zone_ids": [0]},
        {"zone_ids": [2**31]},
        {"zone_ids": [1] * 201},
    ],
)
def test_numbers_past_what_the_database_holds_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        BulletinCreate.model_validate(
            {"title": "x", "first_day": "2026-12-01", "last_day": "2026-12-01", **changes}
        )


def test_zone_and_slot_names_enter_the_domain_on_one_line(session: Session) -> None:
    act_as(session, *Role)
    zone = slots.add_zone("Cụm\r\n1\u202e", session=session, description="Ở\x00 đầu ngõ")
    assert (zone.name, zone.description) == ("Cụm 1", "Ở đầu ngõ")
    saved = slots.add_slot(
        slots.SlotInput(
            name="Sáng\n#EXTINF:1,x", zone_names=["Cụm\n1"], days="1-7", start=time(5, 30),
            minutes=30, document="QĐ\r\n12",
        ),
        session=session, caps=slots.Caps(),
    )  # fmt: skip
    assert (saved.slot.name, saved.slot.document) == ("Sáng #EXTINF:1,x", "QĐ 12")


def test_an_emergency_s_title_and_requester_are_one_line() -> None:
    draft = EmergencyDraft(requested_by="Anh\r\nBa", text="Cháy!\x07", title="Khẩn\ncấp\u2066")
    assert draft.heading == "Khẩn cấp"
    named = EmergencyDraft(
        requested_by="x", recording=Path("a.wav"), recording_name="Ghi\r\nâm.wav"
    )
    assert named.heading == "Ghi âm"


# ------------------------------------------------------------------ the exports


def _master(tmp_path: Path) -> Path:
    (tmp_path / "media").mkdir()
    return tone(tmp_path / "media" / "tin.wav")


def _plan(title: str, slot_name: str) -> SimpleNamespace:
    """A stored plan's shape (playlists/planning/views.py) holding one item, as read back."""
    item = SimpleNamespace(
        rendering=SimpleNamespace(file="tin.wav", sha256="a" * 64),
        bulletin=SimpleNamespace(title=title),
        duration_s=1.0,
    )
    slot = SimpleNamespace(
        slot=SimpleNamespace(name=slot_name), start=datetime(2026, 12, 1, 5, 30), items=[item]
    )
    return SimpleNamespace(zones=[SimpleNamespace(zone=SimpleNamespace(id=1), slots=[slot])])


def test_the_m3u8_holds_one_entry_per_item_whatever_the_title(tmp_path: Path) -> None:
    _master(tmp_path)
    text = plan_m3u8(
        _plan(INJECTED, "Sáng\r\nhttp://127.0.0.1:9/khung.mp3"),  # type: ignore[arg-type]
        zone_id=1, media_dir=tmp_path / "media", export_dir=tmp_path / "export",
        base_url="http://127.0.0.1:8000/am thanh\r\n/ban-sao",
    )  # fmt: skip
    lines = text.split("\n")
    assert "\r" not in text
    entries = [line for line in lines if line and not line.startswith("#")]
    assert entries == [f"http://127.0.0.1:8000/am%20thanh%0D%0A/ban-sao/{'a' * 64}.mp3"]
    extinf = [line for line in lines if line.startswith("#EXTINF")]
    assert extinf == ["#EXTINF:1.000,Tin #EXTINF:1 x http://127.0.0.1:9/ngoai.mp3 "]
    assert "# 05:30 Sáng http://127.0.0.1:9/khung.mp3" in lines

    # ffmpeg reads the playlist as one item, and asks for no other address.
    local = plan_m3u8(
        _plan(INJECTED, "Sáng"),  # type: ignore[arg-type]
        zone_id=1, media_dir=tmp_path / "media", export_dir=tmp_path / "export",
    )  # fmt: skip
    playlist = tmp_path / "lich.m3u8"
    playlist.write_text(local, encoding="utf-8")
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-protocol_whitelist", "file", "-show_entries",
         "format=duration", "-of", "csv=p=0", str(playlist)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert abs(float(probe.stdout.strip()) - 1.0) < 0.2


def test_an_exported_copy_is_named_by_its_hash_only(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    (export / f"{'b' * 64}.mp3").write_bytes(b"mp3")
    assert exported_copy(export, f"{'b' * 64}.mp3") == export / f"{'b' * 64}.mp3"
    for name in ["x\x00.mp3", "../lich.m3u8", f"{'b' * 64}.mp3\x00", f"{'c' * 64}.mp3"]:
        assert exported_copy(export, name) is None


def test_the_csv_quotes_line_breaks_and_neutralises_formulas() -> None:
    row = AirLog(
        zone_name="Cụm 1", output="file", slot_name="Sáng\r\nx", bulletin_id=1,
        bulletin_title="=HYPERLINK(\"http://127.0.0.1:9\")\r\n2,Tin giả", topic_name="Khác",
        scheduled_start=datetime(2026, 12, 1, tzinfo=UTC),
        status=AirStatus.PLAYED, source=AirSource.SCHEDULE, reason="", rendering_sha256="a" * 64,
    )  # fmt: skip
    text = airlog_csv([row], tz=TZ).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 2  # the header and the one row: no line break made another
    assert rows[1][3] == "Sáng\r\nx"
    assert rows[1][5].startswith("'=HYPERLINK")


# ------------------------------------------------------------------ settings


class SecretSettings(BaseSettings):
    """Settings named like the secrets a station may hold."""

    model_config = SECTION
    operator_pin: str = Field(default="0000", min_length=6)
    api_token: str = Field(default="", pattern="^loa_")


def test_a_wrong_database_url_is_shown_without_its_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LOA_DATABASE_URL", "mysql://loa:Bi@mat/123@127.0.0.1/loa")
    with pytest.raises(SettingsError) as refused:
        read_settings(StationSettings)
    said = str(refused.value)
    assert "LOA_DATABASE_URL" in said and "loa:***@127.0.0.1/loa" in said
    assert "Bi@mat" not in said and "mat/123" not in said


def test_a_wrong_secret_setting_is_named_but_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOA_OPERATOR_PIN", "12")
    monkeypatch.setenv("LOA_API_TOKEN", "bi-mat-khong-lo")
    with pytest.raises(SettingsError) as refused:
        read_settings(SecretSettings)
    said = str(refused.value)
    assert "LOA_OPERATOR_PIN" in said and "LOA_API_TOKEN" in said
    assert "'12'" not in said and "bi-mat-khong-lo" not in said
    assert said.count("giá trị bí mật") == 2
