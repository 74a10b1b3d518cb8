"""Read and change the station's lexicon: how abbreviations are read aloud.

The built-in lexicon (`audio.text.normalize.ABBREVIATIONS`) is the starting point; the
station's rows override it, add to it, or (with an empty reading) turn a built-in entry off.

Only approvers change it, and each change is in the audit trail. A change re-voices the
bulletins that use the written form without touching their text, so their approval stands
(playlists/bulletins/approval.py): the change lists the approved and pending bulletins it
re-voices to the person making it, and records in each bulletin's own history how it will now
be read. Ordinary Vietnamese words are refused (playlists/lexicon/words.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import MetaData, select
from sqlalchemy.orm import Session

from audio.text.normalize import ABBREVIATIONS, normalize
from playlists.accounts.actor import acting
from playlists.audit.service import record
from playlists.bulletins.models import Bulletin, BulletinStatus
from playlists.core import changes
from playlists.core.changes import Change
from playlists.core.db import CITY_SCHEMA, HOME_WARD, Base, ward_of
from playlists.core.errors import InputError, NotFound
from playlists.core.text import one_line
from playlists.lexicon.models import LexiconEntry
from playlists.lexicon.words import is_ordinary_word

# An abbreviation is one token of letters and digits (Vietnamese letters included), possibly
# with inner dots or hyphens: "UBND", "HĐND", "TP.HCM", "COVID-19".
_WRITTEN = re.compile(r"^[^\W_](?:[\w.\-]*[^\W_])?$")
MAX_WRITTEN = 40
MAX_SPOKEN = 300
MAX_BY = 100  # LexiconEntry.updated_by


@dataclass(frozen=True)
class Reading:
    """One abbreviation as the station reads it, and where that reading comes from."""

    written: str
    spoken: str  # empty: read as written
    builtin: str | None  # the built-in reading, if there is one
    station: bool  # the station changed or added it
    city: str | None = None  # a ward of a city: the city's reading, if the city set one

    @property
    def source(self) -> str:
        """Say in Vietnamese where the reading comes from."""
        if not self.station:
            return "Thành phố" if self.city is not None else "Mặc định"
        return "Đài sửa" if self.inherited is not None else "Đài thêm"

    @property
    def inherited(self) -> str | None:
        """The reading the station would fall back to without its own row: the city's, else
        the built-in one (None: read as written, no row at all)."""
        return self.city if self.city is not None else self.builtin


def readings(*, session: Session) -> list[Reading]:
    """Return every abbreviation the station knows, by written form: the built-in lexicon,
    a city's readings over it (in a ward of a city), the station's own rows over both."""
    own = {row.written: row for row in session.scalars(select(LexiconEntry))}
    city = city_readings(session=session)
    names = sorted(set(ABBREVIATIONS) | set(city) | set(own), key=str.casefold)
    result = []
    for written in names:
        row = own.get(written)
        builtin = ABBREVIATIONS.get(written)
        inherited = city.get(written, builtin)
        spoken = row.spoken if row is not None else (inherited or "")
        result.append(Reading(written, spoken, builtin, row is not None, city.get(written)))
    return result


# A ward of a city reads the home ward's rows (the city's readings) under its own.
_CITY_LEXICON = Base.metadata.tables[LexiconEntry.__tablename__].to_metadata(
    MetaData(), schema=CITY_SCHEMA
)


def city_readings(*, session: Session) -> dict[str, str]:
    """Return the city's rows (the home ward's), written → spoken, for a ward of a city;
    nothing for the home ward itself or a single station (their rows are their own)."""
    if ward_of(session) == HOME_WARD:
        return {}
    city = session.execute(select(_CITY_LEXICON.c.written, _CITY_LEXICON.c.spoken))
    return {written: spoken for written, spoken in city}


def station_readings(*, session: Session) -> dict[str, str]:
    """Return the station's own rows, written → spoken (cheap: a few dozen at most).

    A ward of a city gets the city's rows (the home ward's) first, its own over them.
    """
    rows = session.execute(select(LexiconEntry.written, LexiconEntry.spoken))
    return city_readings(session=session) | {written: spoken for written, spoken in rows}


def lexicon_from(own: Mapping[str, str]) -> dict[str, str]:
    """Return the lexicon the normalizer uses: built-in, then the station's rows over it."""
    merged = dict(ABBREVIATIONS) | dict(own)
    return {written: spoken for written, spoken in merged.items() if spoken}


def effective_lexicon(*, session: Session) -> dict[str, str]:
    """Return the lexicon the normalizer uses: built-in, then the station's rows."""
    return lexicon_from(station_readings(session=session))


def station_normalizer(lexicon: Mapping[str, str] | None) -> Callable[[str], str]:
    """Return the normalizer reading abbreviations with the station's lexicon."""
    if lexicon is None:
        return normalize
    frozen = dict(lexicon)
    return lambda text: normalize(text, frozen)


@dataclass(frozen=True)
class Revoiced:
    """An approved or pending bulletin that a lexicon change makes the voice read differently."""

    bulletin_id: int
    title: str
    status: BulletinStatus
    before: str  # its spoken form with the lexicon as it was
    after: str  # and with the lexicon as changed


@dataclass(frozen=True)
class LexiconChange:
    """A saved lexicon change: the written form as stored, and the bulletins it re-voices."""

    written: str
    revoiced: tuple[Revoiced, ...] = ()


def spoken_form(text: str, lexicon: Mapping[str, str]) -> str:
    """Return a text as the station's voice reads it with `lexicon` (pure).

    The same steps as `SpeechRenderer.spoken_form` (NFC, the normalizer, NFC, white space
    collapsed), so the result compares with a rendering's stored `spoken_text`.
    """
    spoken = unicodedata.normalize("NFC", normalize(unicodedata.normalize("NFC", text), lexicon))
    return " ".join(spoken.split())


def revoiced_by(
    session: Session, before: Mapping[str, str], after: Mapping[str, str], *, now: datetime
) -> list[Revoiced]:
    """Return the approved or pending bulletins whose spoken form differs between two lexicons.

    `before` and `after` are the station's own rows (`station_readings`), the built-in lexicon
    under both. Bulletins with a recording are left out (their audio is the recording), and so
    are finished ones: those whose last day was before yesterday (UTC), a margin that keeps
    every bulletin still to air in any time zone without needing the station's.
    """
    old, new = lexicon_from(before), lexicon_from(after)
    if old == new:
        return []
    query = (
        select(Bulletin)
        .where(
            Bulletin.status.in_([BulletinStatus.APPROVED, BulletinStatus.PENDING]),
            Bulletin.recording_name.is_(None),
            Bulletin.last_day >= now.date() - timedelta(days=1),
        )
        .order_by(Bulletin.id)
    )
    found = []
    for bulletin in session.scalars(query):
        was, will_be = spoken_form(bulletin.text, old), spoken_form(bulletin.text, new)
        if was != will_be:
            found.append(Revoiced(bulletin.id, bulletin.title, bulletin.status, was, will_be))
    return found


def _check_written(written: str) -> str | None:
    """Say in Vietnamese why a written form cannot be a lexicon entry; None if it can.

    Ordinary words first: "không phải" is refused for what it is, not for its space.
    """
    if is_ordinary_word(written):
        return (
            f"“{written}” là từ tiếng Việt thông thường, không phải chữ viết tắt: từ điển chỉ "
            "dành cho chữ viết tắt, từ mượn và ký hiệu (ví dụ UBND, online, m²). Đổi cách đọc "
            "một từ thường sẽ đổi nội dung mọi bản tin có từ đó, kể cả bản tin đã duyệt; muốn "
            "đọc khác, hãy sửa chính bản tin."
        )
    if not _WRITTEN.match(written) or len(written) > MAX_WRITTEN:
        return (
            f"Chữ viết tắt “{written}” không hợp lệ: một từ gồm chữ và số, "
            f"tối đa {MAX_WRITTEN} ký tự (ví dụ UBND, TP.HCM)."
        )
    return None


def set_reading(written: str, spoken: str, *, session: Session, now: datetime) -> LexiconChange:
    """Add or change how an abbreviation is read (empty `spoken`: read it as written).

    The change is the session's actor's; it returns (and records in each one's history) the
    approved or pending bulletins it re-voices. Saving the reading already in force changes
    nothing and records nothing.
    """
    actor = acting(session)
    written, spoken = one_line(written).strip(), " ".join(one_line(spoken).split())
    errors: dict[str, str] = {}
    problem = _check_written(written)
    if problem:
        errors["written"] = problem
    if len(spoken) > MAX_SPOKEN:
        errors["spoken"] = f"Cách đọc dài quá {MAX_SPOKEN} ký tự."
    if any(ch.isdigit() for ch in spoken):
        errors["spoken"] = "Cách đọc cần viết bằng chữ, không dùng chữ số (ví dụ “mười hai”)."
    if errors:
        raise InputError(errors)
    own = station_readings(session=session)
    if own.get(written) == spoken:
        return LexiconChange(written)
    was = own.get(written, ABBREVIATIONS.get(written))
    revoiced = revoiced_by(session, own, own | {written: spoken}, now=now)
    row = session.scalar(select(LexiconEntry).where(LexiconEntry.written == written))
    if row is None:
        row = LexiconEntry(written=written)
        session.add(row)
    row.spoken = spoken
    row.updated_by = actor.display_name[:MAX_BY]
    row.updated_at = now
    session.flush()
    if not spoken:
        summary, reads = f"Đọc nguyên văn “{written}”", f"“{written}” đọc nguyên văn"
    else:
        verb = "Thêm" if was is None else "Sửa"
        summary = f"{verb} cách đọc “{written}”: “{spoken}”"
        reads = f"“{written}” đọc là “{spoken}”"
    record(session, "lexicon_set", subject_kind="lexicon", subject_id=written, summary=summary,
           before=None if was is None else {"spoken": was}, after={"spoken": spoken},
           note=_revoiced_note(revoiced), at=now)  # fmt: skip
    _record_revoiced(session, revoiced, reads, now=now)
    changes.note(session, Change.LEXICON)
    return LexiconChange(written, tuple(revoiced))


def reset_reading(written: str, *, session: Session, now: datetime) -> LexiconChange:
    """Drop the station's reading: back to the city's (in a ward of a city), else the
    built-in one, or gone if there is neither.

    As `set_reading`: the session's actor's change, recorded with the bulletins it re-voices.
    """
    acting(session)
    written = one_line(written).strip()
    row = session.scalar(select(LexiconEntry).where(LexiconEntry.written == written))
    if row is None:
        raise NotFound(
            f"Đài chưa sửa cách đọc “{written}”.", f"no station lexicon entry {written!r}"
        )
    own = station_readings(session=session)
    city = city_readings(session=session)
    rest = {key: value for key, value in own.items() if key != written}
    if written in city:  # a ward of a city falls back to the city's reading
        rest[written] = city[written]
    fallback = city.get(written, ABBREVIATIONS.get(written))
    revoiced = revoiced_by(session, own, rest, now=now)
    was = row.spoken
    session.delete(row)
    session.flush()
    if written in city:
        shown = f"“{fallback}”" if fallback else "nguyên văn"
        summary = f"Đưa cách đọc “{written}” về cách đọc của thành phố: {shown}"
        reads = f"“{written}” đọc theo thành phố: {shown}"
    elif fallback is None:
        summary, reads = f"Xóa cách đọc “{written}”", f"“{written}” đọc nguyên văn"
    else:
        summary = f"Đưa cách đọc “{written}” về mặc định: “{fallback}”"
        reads = f"“{written}” đọc là “{fallback}” (mặc định)"
    record(session, "lexicon_reset", subject_kind="lexicon", subject_id=written, summary=summary,
           before={"spoken": was}, after=None if fallback is None else {"spoken": fallback},
           note=_revoiced_note(revoiced), at=now)  # fmt: skip
    _record_revoiced(session, revoiced, reads, now=now)
    changes.note(session, Change.LEXICON)
    return LexiconChange(written, tuple(revoiced))


def _revoiced_note(revoiced: list[Revoiced]) -> str:
    if not revoiced:
        return ""
    numbers = ", ".join(str(item.bulletin_id) for item in revoiced)
    return f"đọc lại {len(revoiced)} bản tin đã duyệt hoặc chờ duyệt: số {numbers}"


def _record_revoiced(
    session: Session, revoiced: list[Revoiced], reads: str, *, now: datetime
) -> None:
    """Record in each re-voiced bulletin's own history how it is read from now on.

    Its approval stands (its text is unchanged): the history shows who changed how it sounds.
    """
    for item in revoiced:
        record(session, "bulletin_revoiced", subject_kind="bulletin", subject_id=item.bulletin_id,
               summary=f"Đọc lại bản tin số {item.bulletin_id} theo từ điển mới: {item.title}",
               before={"spoken_text": item.before}, after={"spoken_text": item.after},
               note=reads, at=now)  # fmt: skip
