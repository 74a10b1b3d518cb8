"""The table of the as-run log, and what a row can say about a play."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

# The tables the log points at must be known before a row is written.
from playlists.bulletins import models as _bulletins  # noqa: F401
from playlists.core.db import Base, UTCDateTime, enum_column, utcnow
from playlists.slots import models as _slots  # noqa: F401


class AirStatus(enum.StrEnum):
    """What really happened to one planned or requested play."""

    PLAYED = "played"
    PARTIAL = "partial"
    MISSED = "missed"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {
            "played": "Đã phát",
            "partial": "Phát dở",
            "missed": "Bỏ lỡ",
            "failed": "Lỗi",
        }[self]


class AirSource(enum.StrEnum):
    """Why a play happened."""

    SCHEDULE = "schedule"
    MANUAL = "manual"
    EMERGENCY = "emergency"

    @property
    def label(self) -> str:
        return {"schedule": "Theo lịch", "manual": "Phát tay", "emergency": "Khẩn cấp"}[self]


class AirLog(Base):
    """One row of the as-run log: what really aired, as the player measured it.

    Names are copied next to the ids because the log is evidence for the CCHC report: renaming
    a zone or a bulletin later must not rewrite what the log says aired.
    """

    __tablename__ = "air_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id"), default=None)
    zone_name: Mapped[str] = mapped_column(String(100), default="")
    output: Mapped[str] = mapped_column(String(100), default="")
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("slots.id"), default=None)
    slot_name: Mapped[str] = mapped_column(String(100), default="")
    bulletin_id: Mapped[int | None] = mapped_column(ForeignKey("bulletins.id"), default=None)
    bulletin_title: Mapped[str] = mapped_column(String(200), default="")
    topic_name: Mapped[str] = mapped_column(String(300), default="")
    rendering_sha256: Mapped[str] = mapped_column(String(64), default="")
    scheduled_start: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    actual_start: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    actual_end: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    status: Mapped[AirStatus] = mapped_column(enum_column(AirStatus))
    source: Mapped[AirSource] = mapped_column(enum_column(AirSource))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The tamper-evident chain (playlists/asrun/ledger.py): rows are numbered without gaps and
    # each row's hash covers its content and the previous row's hash.
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))

    @property
    def aired_s(self) -> float:
        """Return the measured airtime in seconds (0 when nothing aired)."""
        if self.actual_start is None or self.actual_end is None:
            return 0.0
        return max(0.0, (self.actual_end - self.actual_start).total_seconds())
