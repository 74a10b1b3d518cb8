"""The table of emergency requests, and where each stands."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from playlists.core.db import Base, UTCDateTime, enum_column, utcnow


class EmergencyStatus(enum.StrEnum):
    """Where an emergency announcement stands."""

    PENDING = "pending"
    AIRING = "airing"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {
            "pending": "Chờ phát",
            "airing": "Đang phát",
            "done": "Đã phát xong",
            "cancelled": "Đã huỷ",
            "failed": "Lỗi",
        }[self]

    @property
    def stoppable(self) -> bool:
        """Tell whether repeats are still to come, so staff can stop them."""
        return self in (EmergencyStatus.PENDING, EmergencyStatus.AIRING)


class Emergency(Base):
    """An emergency announcement (tin khẩn cấp): aired at once, interrupting, maybe repeated.

    Rows are requests, written by the web app or `loa emergency`; the running station picks
    them up within a fraction of a second, so the command line works beside a running server.
    """

    __tablename__ = "emergencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    requested_by: Mapped[str] = mapped_column(String(100), default="")
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text, default="")
    audio_file: Mapped[str] = mapped_column(String(300))  # mastered, under the media folder
    audio_sha256: Mapped[str] = mapped_column(String(64))
    duration_s: Mapped[float] = mapped_column(Float)
    zone_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # empty: every zone
    repeat: Mapped[int] = mapped_column(Integer, default=1)
    every_min: Mapped[float] = mapped_column(Float, default=0.0)
    plays_done: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    status: Mapped[EmergencyStatus] = mapped_column(
        enum_column(EmergencyStatus), default=EmergencyStatus.PENDING
    )
    reason: Mapped[str] = mapped_column(Text, default="")
