"""The table of alerts, and the kinds of trouble they report."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from playlists.core.db import Base, UTCDateTime, enum_column, utcnow


class AlertKind(enum.StrEnum):
    """What went wrong on air, for the alerts the web app shows until someone clears them."""

    AUDIO = "audio"
    OUTPUT = "output"
    MISSED = "missed"
    SCHEDULER = "scheduler"
    AMPLIFIER = "amplifier"
    EMERGENCY = "emergency"
    PLAYER = "player"

    @property
    def label(self) -> str:
        return {
            "audio": "Tệp âm thanh",
            "output": "Đầu ra",
            "missed": "Lỡ giờ phát",
            "scheduler": "Bộ lập lịch",
            "amplifier": "Bộ khuếch đại",
            "emergency": "Khẩn cấp",
            "player": "Máy phát",
        }[self]


class Alert(Base):
    """Something staff must know about: shown on every page until someone clears it."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    kind: Mapped[AlertKind] = mapped_column(enum_column(AlertKind))
    zone_name: Mapped[str] = mapped_column(String(100), default="")
    message: Mapped[str] = mapped_column(Text)  # Vietnamese, for staff
    detail: Mapped[str] = mapped_column(Text, default="")  # English, for whoever reads logs
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    cleared_by: Mapped[str] = mapped_column(String(100), default="")
