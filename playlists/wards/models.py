"""The list of wards: a city table, beside the people (playlists/accounts)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from playlists.core.db import Base, UTCDateTime, utcnow


class Ward(Base):
    """One ward's station: its code (in roles, settings and commands), name and schema."""

    __tablename__ = "wards"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # The ward's PostgreSQL schema; empty for the home ward, whose tables are the default's.
    schema_name: Mapped[str] = mapped_column(String(63), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
