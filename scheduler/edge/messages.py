"""The control messages between the server and its players, and the broker topics they use.

Topics live under loa/<station_code>/: `plan` (the plans changed: sync now), `emergency` (air
this at once), `stop` (end an emergency's repeats), and `players/<name>` (each player's
retained status, replaced by its last will when the broker loses it). Payloads are JSON.

An emergency carries its audio (base64) when the file is small enough
(LOA_EMERGENCY_INLINE_KB): a hundred players then air it without asking the web server for the
same file at the same moment, and a player whose link to the server is down but whose broker
still answers airs it all the same. A longer one names its audio by SHA-256, fetched over HTTP
as the plans' audio is.
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

# The largest audio file an emergency message may carry itself (the server carries at most
# LOA_EMERGENCY_INLINE_KB, 1 MiB by default: some 23 s of the station's speech, 22.05 kHz mono
# WAV); longer ones are fetched.
INLINE_AUDIO_MAX_BYTES = 2 * 1024 * 1024


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
    # The audio file itself, base64 (standard alphabet), when at most INLINE_AUDIO_MAX_BYTES;
    # checked against `sha256` before it is used.
    audio: Annotated[str | None, MaxLen(4 * (INLINE_AUDIO_MAX_BYTES // 3 + 1))] = None


class StopCall(BaseModel):
    """Stop an emergency's airing and its repeats."""

    id: Id
