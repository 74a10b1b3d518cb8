"""Slots as the public service centre assigns them: no overlaps, caps, cancelled days."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy.orm import Session

from playlists.accounts.actor import Actor
from playlists.core.errors import InputError, StateError
from playlists.slots.calendar import parse_days
from playlists.slots.holidays import holiday_suggestions
from playlists.slots.service import Caps, SlotInput, add_one_off, add_slot, add_zone, cancel_slot

pytestmark = pytest.mark.databases()

CAPS = Caps()


def slot(name: str, start: str, minutes: int = 30, days: str = "1-7", **kw: object) -> SlotInput:
    return SlotInput(
        name=name, zone_names=["Chợ"], days=days, start=time.fromisoformat(start),
        minutes=minutes, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


@pytest.fixture
def market(session: Session, person: Actor) -> None:
    add_zone("Chợ", session=session)
    add_zone("Trường học", session=session)


def test_days_read_like_staff_write_them() -> None:
    assert parse_days("1-7") == "1234567"
    assert parse_days("1-5") == "12345"
    assert parse_days("2,4, 6") == "246"
    for bad in ("0-3", "8", "5-1", "", "thứ hai"):
        with pytest.raises(InputError):
            parse_days(bad)


@pytest.mark.usefixtures("market")
def test_overlapping_slots_on_a_zone_are_refused(session: Session) -> None:
    add_slot(slot("Sáng", "05:30", days="1-5", valid_to=date(2026, 12, 31)), session=session,
             caps=CAPS)  # fmt: skip
    with pytest.raises(InputError) as refused:
        add_slot(slot("Sáng sớm", "05:45"), session=session, caps=CAPS)
    assert "Trùng giờ với khung “Sáng”" in refused.value.errors["start"]
    # Other weekdays, another zone, or another validity period do not clash.
    add_slot(slot("Cuối tuần", "05:45", days="6-7"), session=session, caps=CAPS)
    add_slot(slot("Sáng 2027", "05:45", days="1-5", valid_from=date(2027, 1, 1)),
             session=session, caps=CAPS)  # fmt: skip
    school = SlotInput(name="Trường", zone_names=["Trường học"], days="1-5",
                       start=time(5, 45), minutes=20)  # fmt: skip
    add_slot(school, session=session, caps=CAPS)
    add_slot(slot("Tiếp", "06:15"), session=session, caps=CAPS)  # starts as the others end


@pytest.mark.usefixtures("market")
def test_caps_warn_or_refuse_as_configured(session: Session) -> None:
    long = add_slot(slot("Dài", "07:00", minutes=50), session=session, caps=CAPS)
    assert any("vượt mức 45 phút" in w for w in long.warnings)
    add_slot(slot("Trưa", "11:00"), session=session, caps=CAPS)
    add_slot(slot("Chiều", "17:00"), session=session, caps=CAPS)
    fourth = add_slot(slot("Tối", "20:00"), session=session, caps=CAPS)
    assert any("4 buổi phát" in w and "vượt mức 3 buổi" in w for w in fourth.warnings)
    with pytest.raises(InputError) as refused:
        add_slot(slot("Khuya", "22:00"), session=session, caps=Caps(refuse=True))
    assert "vượt mức 3 buổi" in refused.value.errors["caps"]


@pytest.mark.usefixtures("market")
def test_bad_slots_are_refused_with_reasons(session: Session) -> None:
    cases = {
        "minutes": slot("Qua đêm", "23:30", minutes=60),
        "segments": slot("Toàn nhạc", "05:00", minutes=1, head_s=30, tail_s=30),
        "valid_to": slot("Ngược", "05:00", valid_from=date(2027, 2, 1), valid_to=date(2027, 1, 1)),
        "zones": SlotInput(name="X", zone_names=["Sao Hỏa"], days="1", start=time(5), minutes=5),
    }
    for field, data in cases.items():
        with pytest.raises(InputError) as refused:
            add_slot(data, session=session, caps=CAPS)
        assert field in refused.value.errors, field


@pytest.mark.usefixtures("market")
def test_fixed_segments_leave_the_rest_for_bulletins(session: Session) -> None:
    saved = add_slot(slot("Sáng", "05:30", head_s=60, relay_s=600, tail_s=45), session=session,
                     caps=CAPS)  # fmt: skip
    assert saved.slot.content_s == 30 * 60 - 705


@pytest.mark.usefixtures("market")
def test_cancel_a_day_and_add_a_one_off(session: Session) -> None:
    add_slot(slot("Sáng", "05:30"), session=session, caps=CAPS)
    holiday = date(2027, 9, 2)
    cancelled = cancel_slot("05:30", holiday, session=session, today=date(2027, 8, 1),
                            reason="Quốc khánh")  # fmt: skip
    assert not cancelled.slot.airs_on(holiday) and cancelled.slot.airs_on(date(2027, 9, 3))
    with pytest.raises(InputError):
        cancel_slot("Sáng", holiday, session=session, today=date(2027, 8, 1))
    with pytest.raises(StateError):
        cancel_slot("Sáng", date(2027, 7, 1), session=session, today=date(2027, 8, 1))
    extra = add_one_off("Ngày hội CCHC", zone_names=["Chợ"], day=date(2027, 9, 3),
                        start=time(8), minutes=20, session=session, caps=CAPS)  # fmt: skip
    assert extra.slot.airs_on(date(2027, 9, 3)) and not extra.slot.airs_on(date(2027, 9, 10))


def test_vietnam_holidays_are_suggested() -> None:
    names = dict(holiday_suggestions(2026))
    assert names[date(2026, 9, 2)] == "Quốc khánh"
    assert "Tết Nguyên Đán" in names[date(2026, 2, 17)]
