"""The tables of topics, bulletins and their renderings (the audio that airs)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Column, Date, Float, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

# Bulletins point at their author's and approver's accounts.
from playlists.accounts import models as _accounts  # noqa: F401
from playlists.core.db import Base, UTCDateTime, enum_column, utcnow
from playlists.slots.models import Zone


class Priority(enum.StrEnum):
    """Bulletin priority levels from the regulation on commune radio stations."""

    NORMAL = "normal"
    PRIORITY = "priority"
    EMERGENCY = "emergency"

    @property
    def label(self) -> str:
        return {"normal": "Thông thường", "priority": "Ưu tiên", "emergency": "Khẩn cấp"}[self]

    @property
    def rank(self) -> int:
        """Return the planning order: lower airs first."""
        return {"emergency": 0, "priority": 1, "normal": 2}[self]


class BulletinStatus(enum.StrEnum):
    """Editorial state: nháp → chờ duyệt → đã duyệt, or trả lại to the editor."""

    DRAFT = "draft"
    PENDING = "pending"
    APPROVED = "approved"
    RETURNED = "returned"

    @property
    def label(self) -> str:
        return {
            "draft": "Nháp",
            "pending": "Chờ duyệt",
            "approved": "Đã duyệt",
            "returned": "Trả lại",
        }[self]


bulletin_zones = Table(
    "bulletin_zones",
    Base.metadata,
    Column("bulletin_id", ForeignKey("bulletins.id", ondelete="CASCADE"), primary_key=True),
    Column("zone_id", ForeignKey("zones.id", ondelete="RESTRICT"), primary_key=True),
)


class Topic(Base):
    """A content item of the yearly CCHC communication plan."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(300))
    # The airtime the station aims at for this topic, per month (the CCHC report scales it to
    # its window and lists the topics below it); none by default.
    target_plays_per_month: Mapped[int | None] = mapped_column(Integer, default=None)
    target_minutes_per_month: Mapped[float | None] = mapped_column(Float, default=None)


class Rendering(Base):
    """The mastered audio of one exact spoken text, or of one uploaded recording."""

    __tablename__ = "renderings"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    file: Mapped[str] = mapped_column(String(300))  # relative to the media folder
    engine: Mapped[str] = mapped_column(String(32))
    voice: Mapped[str] = mapped_column(String(64), default="")
    speed: Mapped[float] = mapped_column(Float, default=1.0)
    spoken_text: Mapped[str] = mapped_column(Text, default="")
    duration_s: Mapped[float] = mapped_column(Float)
    loudness_lufs: Mapped[float] = mapped_column(Float)
    true_peak_db: Mapped[float] = mapped_column(Float)
    fallback: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The last intelligibility check: an offline recognizer's word error rate, what it heard,
    # and the words it got wrong as [said, heard] pairs.
    check_wer: Mapped[float | None] = mapped_column(Float, default=None)
    check_heard: Mapped[str | None] = mapped_column(Text, default=None)
    check_misheard: Mapped[list[list[str]] | None] = mapped_column(JSON, default=None)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class Bulletin(Base):
    """A news item or announcement (tin, bài) to air."""

    __tablename__ = "bulletins"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text, default="")
    recording_name: Mapped[str | None] = mapped_column(String(300), default=None)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"))
    priority: Mapped[Priority] = mapped_column(enum_column(Priority), default=Priority.NORMAL)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    per_day: Mapped[int] = mapped_column(Integer, default=1)
    voice: Mapped[str | None] = mapped_column(String(64), default=None)
    speed: Mapped[float] = mapped_column(Float, default=1.0)
    status: Mapped[BulletinStatus] = mapped_column(
        enum_column(BulletinStatus), default=BulletinStatus.DRAFT
    )
    # The names as they were when written and approved (the people's accounts may be renamed
    # later); the ids say which accounts. Bulletins from before accounts have names only.
    author: Mapped[str] = mapped_column(String(100), default="")
    approver: Mapped[str | None] = mapped_column(String(100), default=None)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    # What exactly was approved: the text, the recording and the voice (approval_digest).
    approved_digest: Mapped[str | None] = mapped_column(String(64), default=None)
    return_reason: Mapped[str | None] = mapped_column(Text, default=None)
    rendering_id: Mapped[int | None] = mapped_column(ForeignKey("renderings.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    topic: Mapped[Topic] = relationship()
    zones: Mapped[list[Zone]] = relationship(secondary=bulletin_zones, order_by=Zone.name)
    rendering: Mapped[Rendering | None] = relationship()
