"""The tables of stored day plans: a header per day and its planned plays."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from playlists.bulletins.models import Bulletin, Rendering
from playlists.core.db import Base, UTCDateTime, utcnow
from playlists.slots.models import Slot, Zone


class DayPlan(Base):
    """The header of one built day plan: when it was built and what did not fit."""

    __tablename__ = "day_plans"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    unplaced: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class PlanItem(Base):
    """One planned play: a bulletin's rendering at a position in a zone's slot on a day."""

    __tablename__ = "plan_items"
    __table_args__ = (
        UniqueConstraint("day", "zone_id", "slot_id", "position"),
        # The report matches scheduled plays to the plan by these: without the index
        # PostgreSQL may scan the window's items once per play (minutes for a city's quarter).
        Index("ix_plan_items_play", "zone_id", "slot_id", "planned_start"),
    )

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
