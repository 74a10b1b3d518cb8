"""The lexicon reads abbreviations, loanwords and symbols; it refuses ordinary Vietnamese words.

A tester's finding: `không` read as `có` re-voiced an approved bulletin ("không phải đến trụ
sở" aired as "có phải …") with its approval untouched. Ordinary words are now refused, and a
legitimate change lists the approved and pending bulletins it re-voices to the approver, and
records in each one's history how it will now be read.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from audio.engines.espeak import EspeakEngine
from audio.speech import SpeechRenderer
from audio.text.normalize import ABBREVIATIONS
from playlists.accounts.actor import Actor
from playlists.audit import service as audit
from playlists.bulletins import workflow
from playlists.bulletins.approval import still_approved
from playlists.bulletins.models import BulletinStatus
from playlists.bulletins.schemas import BulletinCreate
from playlists.core.errors import InputError
from playlists.lexicon.service import (
    effective_lexicon,
    reset_reading,
    set_reading,
    station_normalizer,
)
from playlists.lexicon.words import is_abbreviation_shaped, is_ordinary_word, is_syllable
from tests.conftest import add_zone_and_slot

NOW = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội
TODAY = NOW.date()

# --- the rule, on examples -------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    ["không", "có", "phường", "Hà Nội", "Không", "nghiêng", "quốc", "khuyên", "giường", "ạ",
     "ý", "thuở", "CÓ", "KHÔNG", "ĐI", "Hà-Nội", "gì", "quỳnh", "hoà", "hòa"],
)  # fmt: skip
def test_ordinary_words_are_words(written: str) -> None:
    assert is_ordinary_word(written)


@pytest.mark.parametrize(
    "written",
    ["UBND", "ISO", "online", "PAR INDEX", "SIPAS", "m²", "km/h", "Wi-Fi", "TP.HCM", "Tp.",
     "COVID-19", "HĐND", "KT-XH", "CA", "SIM", "pin", "email", "Zalo", "B", "càp", "", "  "],
)  # fmt: skip
def test_abbreviations_loanwords_and_symbols_are_not(written: str) -> None:
    assert not is_ordinary_word(written)


def test_capitals_are_an_abbreviation_unless_they_carry_a_vietnamese_mark() -> None:
    # "CA" (công an) spells a syllable, but in capitals and unmarked it is an abbreviation;
    # a word in capitals keeps its marks ("CÓ", "KHÔNG"), and no abbreviation has a tone.
    assert is_syllable("CA") and is_abbreviation_shaped("CA")
    assert not is_abbreviation_shaped("CÓ") and not is_abbreviation_shaped("ĐI")
    assert not is_abbreviation_shaped("A"), "one letter is no abbreviation"


def test_no_built_in_reading_is_an_ordinary_word() -> None:
    assert [written for written in ABBREVIATIONS if is_ordinary_word(written)] == []


# --- the rule, on every syllable made of valid parts -----------------------------------------
# The parts are written out here independently of playlists/lexicon/words.py: an onset, a
# rhyme spelled after it as Vietnamese does (c/k, g/gh, ng/ngh; qu with its own rhymes), and a
# tone on the rhyme's main vowel, only sắc or nặng before -p, -t, -c, -ch.

_TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
_STOP_TONES = ("\u0301", "\u0323")
_STOPS = ("p", "t", "c", "ch")


def _rhymes() -> list[tuple[str, int, str]]:
    """Rhymes as (text, index of the vowel taking the tone, kind)."""
    codas = {
        "a": ["", "c", "ch", "i", "m", "n", "ng", "nh", "o", "p", "t", "u", "y"],
        "ă": ["c", "m", "n", "ng", "p", "t"],
        "â": ["c", "m", "n", "ng", "p", "t", "u", "y"],
        "e": ["", "c", "m", "n", "ng", "o", "p", "t"],
        "ê": ["", "ch", "m", "n", "nh", "p", "t", "u"],
        "i": ["", "ch", "m", "n", "nh", "p", "t", "u"],
        "o": ["", "c", "i", "m", "n", "ng", "p", "t"],
        "ô": ["", "c", "i", "m", "n", "ng", "p", "t"],
        "ơ": ["", "i", "m", "n", "p", "t"],
        "u": ["", "c", "i", "m", "n", "ng", "p", "t"],
        "ư": ["", "c", "i", "ng", "t", "u"],
    }
    found = [(n + c, 0, "plain") for n, cs in codas.items() for c in cs]
    for pair, alone in (("iê", "ia"), ("uô", "ua"), ("ươ", "ưa")):
        found += [(pair + c, 1, "plain") for c in ["c", "m", "n", "ng", "p", "t", "u", "i"]
                  if (pair, c) not in {("iê", "i"), ("uô", "u"), ("uô", "p")}]  # fmt: skip
        found.append((alone, 0, "plain"))
    medial = {
        "oa": ["", "c", "ch", "i", "n", "ng", "nh", "t", "y"],
        "oă": ["c", "n", "ng", "t"],
        "oe": ["", "n", "o", "t"],
        "uâ": ["n", "t", "y"],
        "uê": ["", "ch", "nh"],
        "uy": ["", "ch", "nh", "t", "u"],
        "uyê": ["n", "t"],
    }
    found += [(m + c, len(m) - 1, "medial") for m, cs in medial.items() for c in cs]
    return found


def _parts() -> list[tuple[str, str, int]]:
    """Every (onset, rhyme, index of the toned vowel in the syllable) Vietnamese spells."""
    plain_onsets = ["", "b", "ch", "d", "đ", "h", "kh", "l", "m", "n", "nh", "ph", "r", "s",
                    "t", "th", "tr", "v", "x"]  # fmt: skip
    spelled = {"c": "k", "g": "gh", "ng": "ngh"}  # before i, e, ê the second spelling
    medial_onsets = ["", "ch", "đ", "h", "kh", "l", "ng", "s", "t", "th", "tr", "x"]
    parts = []
    for rhyme, at, kind in _rhymes():
        front = rhyme[0] in "ieê"
        onsets = medial_onsets if kind == "medial" else plain_onsets + [
            (spelled[o] if front else o) for o in spelled
        ]  # fmt: skip
        if kind == "plain" and rhyme[0] in "aăâeêoôơuư" and not rhyme.startswith(("uô", "ua")):
            onsets = [*onsets, "gi"]
        parts += [(onset, rhyme, len(onset) + at) for onset in onsets]
    # After q the medial is always written u: qua, quăn, que, quân, quê, quy, quyên.
    parts += [("qu", rhyme[1:], 1 + at) for rhyme, at, kind in _rhymes() if kind == "medial"]
    return parts


PARTS = _parts()


@st.composite
def syllables(draw: st.DrawFn) -> str:
    onset, rhyme, at = draw(st.sampled_from(PARTS))
    bare = onset + rhyme
    tone = draw(st.sampled_from(_STOP_TONES if bare.endswith(_STOPS) else _TONES))
    return unicodedata.normalize("NFC", bare[: at + 1] + tone + bare[at + 1 :])


def _marked(syllable: str) -> bool:
    """Whether a syllable carries a tone or a letter only Vietnamese writes."""
    decomposed = unicodedata.normalize("NFD", syllable)
    return any(unicodedata.combining(c) for c in decomposed) or "đ" in syllable


@given(syllables(), st.sampled_from(["lower", "capitalize", "upper"]))
def test_every_syllable_made_of_valid_parts_is_an_ordinary_word(word: str, case: str) -> None:
    assert is_syllable(word), word
    written = getattr(word, case)()
    if case == "upper" and len(word) > 1 and not _marked(word):
        assert not is_ordinary_word(written), f"{written}: capitals, unmarked: an abbreviation"
    else:
        assert is_ordinary_word(written), written


@given(st.lists(syllables(), min_size=2, max_size=4), st.sampled_from([" ", "-", "."]))
def test_phrases_of_ordinary_words_are_ordinary(words: list[str], joiner: str) -> None:
    assert is_ordinary_word(joiner.join(words))


_SYMBOLS = "0123456789²³%/&@#+_=°$€'*"


@given(
    st.lists(syllables(), min_size=1, max_size=3),
    st.sampled_from(_SYMBOLS),
    st.integers(min_value=0),
    st.data(),
)
def test_a_token_with_a_digit_or_a_symbol_is_not_a_word(
    words: list[str], symbol: str, where: int, data: st.DataObject
) -> None:
    which = data.draw(st.integers(min_value=0, max_value=len(words) - 1))
    word = words[which]
    at = where % (len(word) + 1)
    words[which] = word[:at] + symbol + word[at:]
    assert not is_ordinary_word(" ".join(words))


@given(st.text(alphabet="bcdfghjklmnpqrstvwxzBCDFGHJKLMNPQRSTVWXZđĐ", min_size=1, max_size=8))
def test_consonants_alone_are_no_word(written: str) -> None:
    assert not is_ordinary_word(written)


# --- the lexicon refuses them ----------------------------------------------------------------


@pytest.mark.databases("sqlite")
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(word=syllables())
def test_set_reading_refuses_every_ordinary_word(
    session: Session, person: Actor, word: str
) -> None:
    with pytest.raises(InputError) as refused:
        set_reading(word, "gì đó", session=session, now=NOW)
    assert "từ tiếng Việt thông thường" in refused.value.errors["written"]


def renderer(tmp_path: Path) -> SpeechRenderer:
    return SpeechRenderer(tmp_path / "tts", [EspeakEngine()], normalizer=station_normalizer(None))


def bulletin(
    session: Session, voice: SpeechRenderer, media: Path, title: str, text: str, status: str
) -> int:
    """Write a bulletin and take it as far as `status`: draft, pending or approved."""
    zone, _ = add_zone_and_slot(session, zone=f"Cụm {title}", slot=f"Khung {title}")
    data = BulletinCreate(
        title=title, text=text, topic=8, first_day=TODAY, last_day=TODAY + timedelta(days=5),
        zone_ids=[zone.id], submit=status != "draft",
    )  # fmt: skip
    made = workflow.create_bulletin(
        data, session=session, renderer=voice, media_dir=media, max_text_chars=5000, now=NOW,
        today=TODAY,
    )  # fmt: skip
    if status == "approved":
        workflow.approve(
            made.id, session=session, renderer=voice, media_dir=media, now=NOW, today=TODAY
        )
    return made.id


@pytest.mark.databases()
def test_the_khong_read_as_co_attack_is_refused_and_changes_nothing(
    session: Session, person: Actor, tmp_path: Path
) -> None:
    text = "Bà con không phải đến trụ sở UBND phường."
    approved = bulletin(session, renderer(tmp_path), tmp_path, "Khai sinh", text, "approved")
    recorded = len(audit.entries(session))
    for written in ("không", "Không", "KHÔNG", "không phải"):
        with pytest.raises(InputError) as refused:
            set_reading(written, "có", session=session, now=NOW)
        assert "từ tiếng Việt thông thường" in refused.value.message, written
    assert effective_lexicon(session=session) == ABBREVIATIONS
    assert len(audit.entries(session)) == recorded
    found = workflow.get_bulletin(approved, session=session)
    assert found.rendering is not None and "không phải đến" in found.rendering.spoken_text


@pytest.mark.databases()
def test_a_lexicon_change_lists_and_records_the_bulletins_it_revoices_keeping_approval(
    session: Session, person: Actor, tmp_path: Path
) -> None:
    voice = renderer(tmp_path)
    approved = bulletin(session, voice, tmp_path, "Họp", "Họp tại KDC số 2 lúc 8 giờ.", "approved")
    pending = bulletin(session, voice, tmp_path, "Vệ sinh", "KDC tổng vệ sinh.", "pending")
    bulletin(session, voice, tmp_path, "Nháp", "Nháp về KDC.", "draft")  # not sent: not listed
    bulletin(session, voice, tmp_path, "Khác", "Tin không có chữ viết tắt ấy.", "approved")
    kept = workflow.get_bulletin(approved, session=session)
    digest, rendering = kept.approved_digest, kept.rendering
    assert rendering is not None

    change = set_reading("KDC", "khu dân cư", session=session, now=NOW)
    assert change.written == "KDC"
    assert [(item.bulletin_id, item.status) for item in change.revoiced] == [
        (approved, BulletinStatus.APPROVED), (pending, BulletinStatus.PENDING),
    ]  # fmt: skip
    first = change.revoiced[0]
    assert first.title == "Họp" and first.before == rendering.spoken_text, "as it airs today"
    assert first.after == "Họp tại khu dân cư số hai lúc tám giờ."

    entry = audit.history(session, "bulletin", approved)[-1]
    assert (entry.action, entry.display_name) == ("bulletin_revoiced", person.display_name)
    assert entry.summary == f"Đọc lại bản tin số {approved} theo từ điển mới: Họp"
    assert json.loads(entry.before) == {"spoken_text": first.before}
    assert json.loads(entry.after) == {"spoken_text": first.after}
    assert entry.note == "“KDC” đọc là “khu dân cư”"
    (lexicon_entry,) = audit.history(session, "lexicon", "KDC")
    assert (
        lexicon_entry.note == f"đọc lại 2 bản tin đã duyệt hoặc chờ duyệt: số {approved}, {pending}"
    )

    # Its text did not change: the approval stands, and it stays in the plans.
    kept = workflow.get_bulletin(approved, session=session)
    assert kept.status == BulletinStatus.APPROVED and kept.approved_digest == digest
    assert still_approved(kept)

    # Saving the same reading again re-voices nothing; going back re-voices both again.
    assert set_reading("KDC", "khu dân cư", session=session, now=NOW).revoiced == ()
    back = reset_reading("KDC", session=session, now=NOW)
    assert [item.bulletin_id for item in back.revoiced] == [approved, pending]
    assert back.revoiced[0].after == first.before
    assert [e.action for e in audit.history(session, "bulletin", pending)][-2:] == [
        "bulletin_revoiced", "bulletin_revoiced",
    ]  # fmt: skip
