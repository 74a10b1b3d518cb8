"""The station's own lexicon: overrides, additions, turning a built-in reading off."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from audio.text.normalize import ABBREVIATIONS
from playlists.core.errors import InputError, NotFound
from playlists.lexicon.service import (
    effective_lexicon,
    readings,
    reset_reading,
    set_reading,
    station_normalizer,
)

# Every change is someone's: the `person` fixture binds them to the session.
pytestmark = [pytest.mark.databases(), pytest.mark.usefixtures("person")]

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def test_starts_from_the_built_in_lexicon(session: Session) -> None:
    assert effective_lexicon(session=session) == ABBREVIATIONS
    assert all(r.source == "Mặc định" for r in readings(session=session))


def test_station_readings_override_add_and_turn_off(session: Session) -> None:
    set_reading("UBND", "ủy ban", session=session, now=NOW)
    set_reading("KDC", "khu dân cư", session=session, now=NOW)
    set_reading("CCCD", "", session=session, now=NOW)
    lexicon = effective_lexicon(session=session)
    speak = station_normalizer(lexicon)
    assert speak("UBND phường thông báo") == "ủy ban phường thông báo"
    assert speak("Họp KDC số 3") == "Họp khu dân cư số ba"
    assert "CCCD" in speak("Làm CCCD")
    sources = {r.written: r.source for r in readings(session=session)}
    assert sources["UBND"] == "Đài sửa" and sources["KDC"] == "Đài thêm"

    reset_reading("UBND", session=session, now=NOW)
    assert station_normalizer(effective_lexicon(session=session))("UBND") == "ủy ban nhân dân"
    reset_reading("KDC", session=session, now=NOW)
    assert "KDC" not in effective_lexicon(session=session)


@pytest.mark.parametrize(
    ("written", "spoken", "field"),
    [
        ("hai từ", "x", "written"),
        ("", "x", "written"),
        ("X" * 41, "x", "written"),
        ("QĐ", "quyết định số 5", "spoken"),
        ("QĐ", "a" * 301, "spoken"),
    ],
)
def test_bad_readings_are_refused(session: Session, written: str, spoken: str, field: str) -> None:
    with pytest.raises(InputError) as refused:
        set_reading(written, spoken, session=session, now=NOW)
    assert field in refused.value.errors


def test_resetting_an_unchanged_entry_says_so(session: Session) -> None:
    with pytest.raises(NotFound):
        reset_reading("UBND", session=session, now=NOW)
