"""The station's tables: zones, slots, topics, bulletins, renderings, day plans, as-run log."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    Enum,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from playlists.db import Base, UTCDateTime


def utcnow() -> datetime:
    """Return the current instant, aware, in UTC."""
    return datetime.now(UTC)


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


def _enum(cls: type[enum.Enum]) -> Enum:
    # Store the stable English codes, not Python names, so the database reads well by hand.
    return Enum(
        cls,
        values_callable=lambda members: [m.value for m in members],
        native_enum=False,
        validate_strings=True,
        length=16,
    )


slot_zones = Table(
    "slot_zones",
    Base.metadata,
    Column("slot_id", ForeignKey("slots.id", ondelete="CASCADE"), primary_key=True),
    Column("zone_id", ForeignKey("zones.id", ondelete="RESTRICT"), primary_key=True),
)

bulletin_zones = Table(
    "bulletin_zones",
    Base.metadata,
    Column("bulletin_id", ForeignKey("bulletins.id", ondelete="CASCADE"), primary_key=True),
    Column("zone_id", ForeignKey("zones.id", ondelete="RESTRICT"), primary_key=True),
)


class Zone(Base):
    """A group of loudspeakers (cụm loa) that airs the same programme."""

    __tablename__ = "zones"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")


class Slot(Base):
    """A broadcast slot (khung giờ) assigned by the public service centre."""

    __tablename__ = "slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    start: Mapped[time] = mapped_column(Time)
    duration_s: Mapped[int] = mapped_column(Integer)
    # ISO weekdays as digits, "1234567" = every day; 1 is Monday (thứ hai), 7 is Sunday.
    days: Mapped[str] = mapped_column(String(7), default="1234567")
    valid_from: Mapped[date | None] = mapped_column(Date, default=None)
    valid_to: Mapped[date | None] = mapped_column(Date, default=None)
    # The document of the public service centre that assigned the slot (số, ngày văn bản).
    document: Mapped[str] = mapped_column(String(100), default="")
    document_date: Mapped[date | None] = mapped_column(Date, default=None)
    # Fixed segments, in seconds: signature tune and station identification at the start,
    # relaying national radio (tiếp âm) after them, closing words and tune at the end.
    head_s: Mapped[int] = mapped_column(Integer, default=0)
    relay_s: Mapped[int] = mapped_column(Integer, default=0)
    tail_s: Mapped[int] = mapped_column(Integer, default=0)
    one_off: Mapped[bool] = mapped_column(default=False)
    zones: Mapped[list[Zone]] = relationship(secondary=slot_zones, order_by=Zone.name)
    cancellations: Mapped[list[SlotCancellation]] = relationship(
        back_populates="slot", cascade="all, delete-orphan"
    )

    @property
    def content_s(self) -> int:
        """Return the seconds left for bulletins once the fixed segments are kept."""
        return max(0, self.duration_s - self.head_s - self.relay_s - self.tail_s)

    def airs_on(self, day: date) -> bool:
        """Tell whether the slot airs on a local date (not cancelled that day)."""
        if str(day.isoweekday()) not in self.days:
            return False
        if self.valid_from and day < self.valid_from:
            return False
        if self.valid_to and day > self.valid_to:
            return False
        return all(c.day != day for c in self.cancellations)


class SlotCancellation(Base):
    """A day a slot does not air (a holiday, an event), with the reason."""

    __tablename__ = "slot_cancellations"
    __table_args__ = (UniqueConstraint("slot_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(300), default="")
    slot: Mapped[Slot] = relationship(back_populates="cancellations")


class Topic(Base):
    """A content item of the yearly CCHC communication plan."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(300))


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
    priority: Mapped[Priority] = mapped_column(_enum(Priority), default=Priority.NORMAL)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    per_day: Mapped[int] = mapped_column(Integer, default=1)
    voice: Mapped[str | None] = mapped_column(String(64), default=None)
    speed: Mapped[float] = mapped_column(Float, default=1.0)
    status: Mapped[BulletinStatus] = mapped_column(
        _enum(BulletinStatus), default=BulletinStatus.DRAFT
    )
    author: Mapped[str] = mapped_column(String(100), default="")
    approver: Mapped[str | None] = mapped_column(String(100), default=None)
    return_reason: Mapped[str | None] = mapped_column(Text, default=None)
    rendering_id: Mapped[int | None] = mapped_column(ForeignKey("renderings.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    topic: Mapped[Topic] = relationship()
    zones: Mapped[list[Zone]] = relationship(secondary=bulletin_zones, order_by=Zone.name)
    rendering: Mapped[Rendering | None] = relationship()


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


class DayPlan(Base):
    """The header of one built day plan: when it was built and what did not fit."""

    __tablename__ = "day_plans"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    unplaced: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class PlanItem(Base):
    """One planned play: a bulletin's rendering at a position in a zone's slot on a day."""

    __tablename__ = "plan_items"
    __table_args__ = (UniqueConstraint("day", "zone_id", "slot_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(ForeignKey("day_plans.day", ondelete="CASCADE"), index=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"))
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"))
    position: Mapped[int] = mapped_column(Integer)
    slot_start: Mapped[datetime] = mapped_column(UTCDateTime)
    planned_start: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_s: Mapped[float] = mapped_column(Float)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletins.id"))
    rendering_id: Mapped[int] = mapped_column(ForeignKey("renderings.id"))

    zone: Mapped[Zone] = relationship()
    slot: Mapped[Slot] = relationship()
    bulletin: Mapped[Bulletin] = relationship()
    rendering: Mapped[Rendering] = relationship()


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
    status: Mapped[AirStatus] = mapped_column(_enum(AirStatus))
    source: Mapped[AirSource] = mapped_column(_enum(AirSource))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The tamper-evident chain (playlists/ledger.py): rows are numbered without gaps and each
    # row's hash covers its content and the previous row's hash.
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))

    @property
    def aired_s(self) -> float:
        """Return the measured airtime in seconds (0 when nothing aired)."""
        if self.actual_start is None or self.actual_end is None:
            return 0.0
        return max(0.0, (self.actual_end - self.actual_start).total_seconds())


class AlertKind(enum.StrEnum):
    """What went wrong on air, for the alerts the web app shows until someone clears them."""

    AUDIO = "audio"
    OUTPUT = "output"
    MISSED = "missed"
    SCHEDULER = "scheduler"
    AMPLIFIER = "amplifier"
    EMERGENCY = "emergency"

    @property
    def label(self) -> str:
        return {
            "audio": "Tệp âm thanh",
            "output": "Đầu ra",
            "missed": "Lỡ giờ phát",
            "scheduler": "Bộ lập lịch",
            "amplifier": "Bộ khuếch đại",
            "emergency": "Khẩn cấp",
        }[self]


class Alert(Base):
    """Something staff must know about: shown on every page until someone clears it."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    kind: Mapped[AlertKind] = mapped_column(_enum(AlertKind))
    zone_name: Mapped[str] = mapped_column(String(100), default="")
    message: Mapped[str] = mapped_column(Text)  # Vietnamese, for staff
    detail: Mapped[str] = mapped_column(Text, default="")  # English, for whoever reads logs
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    cleared_by: Mapped[str] = mapped_column(String(100), default="")


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
        _enum(EmergencyStatus), default=EmergencyStatus.PENDING
    )
    reason: Mapped[str] = mapped_column(Text, default="")
