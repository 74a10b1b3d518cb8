"""Read and change the station's lexicon: how abbreviations are read aloud.

The built-in lexicon (`audio.text.normalize.ABBREVIATIONS`) is the starting point; the
station's rows override it, add to it, or (with an empty reading) turn a built-in entry off.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from audio.text.normalize import ABBREVIATIONS, normalize
from playlists.core import changes
from playlists.core.changes import Change
from playlists.core.errors import InputError, NotFound
from playlists.lexicon.models import LexiconEntry

# An abbreviation is one token of letters and digits (Vietnamese letters included), possibly
# with inner dots or hyphens: "UBND", "HĐND", "TP.HCM", "COVID-19".
_WRITTEN = re.compile(r"^[^\W_](?:[\w.\-]*[^\W_])?$")
MAX_WRITTEN = 40
MAX_SPOKEN = 300


@dataclass(frozen=True)
class Reading:
    """One abbreviation as the station reads it, and where that reading comes from."""

    written: str
    spoken: str  # empty: read as written
    builtin: str | None  # the built-in reading, if there is one
    station: bool  # the station changed or added it

    @property
    def source(self) -> str:
        """Say in Vietnamese where the reading comes from."""
        if not self.station:
            return "Mặc định"
        return "Đài sửa" if self.builtin is not None else "Đài thêm"


def readings(*, session: Session) -> list[Reading]:
    """Return every abbreviation the station knows, by written form."""
    own = {row.written: row for row in session.scalars(select(LexiconEntry))}
    names = sorted(set(ABBREVIATIONS) | set(own), key=str.casefold)
    result = []
    for written in names:
        row = own.get(written)
        builtin = ABBREVIATIONS.get(written)
        spoken = row.spoken if row is not None else (builtin or "")
        result.append(Reading(written, spoken, builtin, row is not None))
    return result


def station_readings(*, session: Session) -> dict[str, str]:
    """Return the station's own rows, written → spoken (cheap: a few dozen at most)."""
    rows = session.execute(select(LexiconEntry.written, LexiconEntry.spoken))
    return {written: spoken for written, spoken in rows}


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


def set_reading(
    written: str, spoken: str, *, session: Session, by: str, now: datetime
) -> LexiconEntry:
    """Add or change how an abbreviation is read (empty `spoken`: read it as written)."""
    written, spoken = written.strip(), " ".join(spoken.split())
    errors: dict[str, str] = {}
    if not _WRITTEN.match(written) or len(written) > MAX_WRITTEN:
        errors["written"] = (
            f"Chữ viết tắt “{written}” không hợp lệ: một từ gồm chữ và số, "
            f"tối đa {MAX_WRITTEN} ký tự (ví dụ UBND, TP.HCM)."
        )
    if len(spoken) > MAX_SPOKEN:
        errors["spoken"] = f"Cách đọc dài quá {MAX_SPOKEN} ký tự."
    if any(ch.isdigit() for ch in spoken):
        errors["spoken"] = "Cách đọc cần viết bằng chữ, không dùng chữ số (ví dụ “mười hai”)."
    if errors:
        raise InputError(errors)
    row = session.scalar(select(LexiconEntry).where(LexiconEntry.written == written))
    if row is None:
        row = LexiconEntry(written=written)
        session.add(row)
    row.spoken = spoken
    row.updated_by = by.strip()
    row.updated_at = now
    session.flush()
    changes.note(session, Change.LEXICON)
    return row


def reset_reading(written: str, *, session: Session) -> None:
    """Drop the station's reading: back to the built-in one, or gone if there is none."""
    row = session.scalar(select(LexiconEntry).where(LexiconEntry.written == written.strip()))
    if row is None:
        raise NotFound(
            f"Đài chưa sửa cách đọc “{written}”.", f"no station lexicon entry {written!r}"
        )
    session.delete(row)
    session.flush()
    changes.note(session, Change.LEXICON)
