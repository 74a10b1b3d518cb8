"""The table of the station's own readings of abbreviations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from playlists.core.db import Base, UTCDateTime, utcnow


class LexiconEntry(Base):
    """The station's own reading of an abbreviation, over the built-in lexicon.

    An empty `spoken` means "read it as written": the station turned a built-in entry off.
    """

    __tablename__ = "lexicon_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    written: Mapped[str] = mapped_column(String(40), unique=True)
    spoken: Mapped[str] = mapped_column(String(300), default="")
    updated_by: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
