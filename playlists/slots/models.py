"""The tables of zones, slots and the days a slot is cancelled."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from playlists.core.db import Base
from playlists.slots import calendar

slot_zones = Table(
    "slot_zones",
    Base.metadata,
    Column("slot_id", ForeignKey("slots.id", ondelete="CASCADE"), primary_key=True),
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
    days: Mapped[str] = mapped_column(String(7), default=calendar.EVERY_DAY)
    valid_from: Mapped[date | None] = mapped_column(Date, default=None)
    valid_to: Mapped[date | None] = mapped_column(Date, default=None)
    # The document of the public service centre that assigned the slot (số, ngày văn bản).
    document: Mapped[str] = mapped_column(String(100), default="")
    document_date: Mapped[date | None] = mapped_column(Date, default=None)
    # Fixed segments, in seconds (see playlists/slots/calendar.py).
    head_s: Mapped[int] = mapped_column(Integer, default=0)
    relay_s: Mapped[int] = mapped_column(Integer, default=0)
    tail_s: Mapped[int] = mapped_column(Integer, default=0)
    one_off: Mapped[bool] = mapped_column(default=False)
    zones: Mapped[list[Zone]] = relationship(secondary=slot_zones, order_by=Zone.name)
    cancellations: Mapped[list[SlotCancellation]] = relationship(
        back_populates="slot", cascade="all, delete-orphan"
    )

    @property
    def window(self) -> calendar.Window:
        """Return where bulletins may go inside the slot."""
        return calendar.bulletin_window(self.duration_s, self.head_s, self.relay_s, self.tail_s)

    @property
    def content_s(self) -> int:
        """Return the seconds left for bulletins once the fixed segments are kept."""
        return int(self.window.length_s)

    def airs_on(self, day: date) -> bool:
        """Tell whether the slot airs on a local date (not cancelled that day)."""
        return calendar.airs_on(
            day,
            days=self.days,
            valid_from=self.valid_from,
            valid_to=self.valid_to,
            cancelled={c.day for c in self.cancellations},
        )


class SlotCancellation(Base):
    """A day a slot does not air (a holiday, an event), with the reason."""

    __tablename__ = "slot_cancellations"
    __table_args__ = (UniqueConstraint("slot_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(300), default="")
    slot: Mapped[Slot] = relationship(back_populates="cancellations")
