"""The tables of remote players: each player's last report, and the as-run rows it sent."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from playlists.core.db import Base, UTCDateTime, utcnow


class Player(Base):
    """A player airing the station's zones from its own cache, as it last reported itself.

    Written from the player's heartbeats (and its broker's last will when it vanishes); read
    by the players page and the check that raises an alert when one falls silent.
    """

    __tablename__ = "players"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The last day whose plan and audio the player holds.
    horizon: Mapped[date | None] = mapped_column(Date, default=None)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The player's clock minus the server's, in milliseconds, measured at its last sync.
    clock_offset_ms: Mapped[float | None] = mapped_column(Float, default=None)
    outputs: Mapped[list[str]] = mapped_column(JSON, default=list)
    # As-run rows the player has written and the server has not received yet.
    pending_rows: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[str] = mapped_column(String(32), default="")


class PlayerUpload(Base):
    """One as-run row a player sent: its stable id, and the row it became in the server's log.

    The id is the player's own (its install id and its local row number), so that a batch
    sent again after a lost answer is recognised and never appended twice.
    """

    __tablename__ = "player_uploads"

    origin: Mapped[str] = mapped_column(String(100), primary_key=True)
    player: Mapped[str] = mapped_column(String(64), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
