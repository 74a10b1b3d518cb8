"""The control messages between the server and its players, and the broker topics they use.

Topics live under loa/<station_code>/: `plan` (the plans changed: sync now), `emergency` (air
this at once), `stop` (end an emergency's repeats), and `players/<name>` (each player's
retained status, replaced by its last will when the broker loses it). Payloads are JSON.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from annotated_types import MaxLen
from pydantic import BaseModel, Field

from playlists.core.bounds import Id
from playlists.core.db import HOME_WARD
from scheduler.settings import SchedulerSettings

PLAN = "plan"
EMERGENCY = "emergency"
STOP = "stop"
PLAYERS = "players"

# An emergency the broker kept for a player that was away longer than this is not aired: it
# was about then, not now (the player's own command line covers a cut link).
EMERGENCY_FRESH_S = 120.0


def topic_for(ward: str, settings: SchedulerSettings) -> str:
    """The first level of a ward's topics: LOA_STATION_CODE for the home ward (as a single
    station has always had), the ward's own code for the other wards of a city."""
    return settings.station_code if ward == HOME_WARD else ward


def topic(station: str, *parts: str) -> str:
    """Return a topic of the station's, e.g. loa/phuong/players/loa-1."""
    return "/".join(("loa", station, *parts))


class PlanChanged(BaseModel):
    """The server's plans changed: players sync now instead of at their next turn."""

    days: list[date] = []
    at: datetime


class EmergencyCall(BaseModel):
    """An emergency to air at once on the player's zones (empty: every zone)."""

    id: Id
    title: Annotated[str, MaxLen(200)]
    text: Annotated[str, MaxLen(20_000)] = ""
    requested_by: Annotated[str, MaxLen(100)] = ""
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    duration_s: Annotated[float, Field(gt=0)]
    zone_ids: Annotated[list[Id], MaxLen(1000)] = []
    repeat: Annotated[int, Field(ge=1, le=100)] = 1
    every_min: Annotated[float, Field(ge=0, le=1440)] = 0.0
    sent_at: datetime


class StopCall(BaseModel):
    """Stop an emergency's airing and its repeats."""

    id: Id
