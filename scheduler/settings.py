"""Playout settings: outputs, lead times, amplifiers, emergencies, read from `LOA_*` variables."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings

from playlists.core.settings import SECTION, PlanningSettings, StationSettings, section


class PlayoutSettings(BaseSettings):
    """How the station goes on air."""

    model_config = SECTION

    output: Literal["auto", "file", "device"] = "auto"
    audio_device: str = "default"
    # When tomorrow's plan is built each evening.
    plan_build_time: time = time(20, 0)
    # A slot whose start was missed (the machine slept, the process started late) still airs
    # what fits before its end if this little time has passed; later, it is logged missed.
    misfire_grace_s: int = Field(default=120, ge=1, le=3600)
    # Each slot's programme is loaded and assembled into ready audio this long before air.
    prepare_lead_s: float = Field(default=180.0, ge=1, le=3600)
    # Besides the file or sound card output, stream every zone to Icecast: the URL's {zone}
    # becomes the zone's name, e.g. icecast://source:PASSWORD@127.0.0.1:8000/{zone}.mp3
    icecast_url: str | None = None
    icecast_bitrate_kbps: int = Field(default=64, ge=16, le=320)
    # A failed output (device gone, Icecast down) is reopened this many times per programme.
    output_retries: int = Field(default=3, ge=0, le=100)
    output_retry_s: float = Field(default=2.0, ge=0.1, le=300)
    # Amplifier power: commands run (no shell) before and after each slot; {zone} is replaced.
    amp_on_command: str | None = None
    amp_off_command: str | None = None
    amp_lead_s: float = Field(default=30.0, ge=0, le=3600)
    amp_hold_s: float = Field(default=30.0, ge=0, le=3600)
    # After an emergency interrupts a slot: "resume" airs the rest of it, "stop" ends it.
    emergency_then: Literal["resume", "stop"] = "resume"

    @field_validator("icecast_url")
    @classmethod
    def _icecast_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("icecast://"):
            raise ValueError("must look like icecast://source:PASSWORD@HOST:PORT/{zone}.mp3")
        return value


class EdgeSettings(BaseSettings):
    """Where the station airs (here, or at players by the loudspeakers) and how they talk.

    docs/deployment.md: with `air_at=players` the server plans, keeps the log and sends
    control messages through the MQTT broker at `mqtt_url`; each `loa player` airs its
    zones from its own cache.
    """

    model_config = SECTION

    air_at: Literal["here", "players"] = "here"
    # mqtt://[USER:PASSWORD@]HOST[:PORT]; the password is a secret, never printed.
    mqtt_url: str | None = None
    # The first level of the broker's topics: loa/<station_code>/...
    station_code: str = Field(default="phuong", pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    player_days: int = Field(default=3, ge=1, le=14)
    player_sync_every_min: float = Field(default=15.0, gt=0, le=1440)
    player_heartbeat_s: float = Field(default=5.0, ge=1, le=300)
    player_silent_after_s: float = Field(default=30.0, ge=3, le=3600)
    # The largest audio an emergency call carries in the message (KiB; 0: none, every player
    # fetches it). The broker's message size limit, if it has one, must be above 4/3 of it.
    emergency_inline_kb: int = Field(default=1024, ge=0, le=2048)

    @field_validator("mqtt_url")
    @classmethod
    def _mqtt_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("mqtt://", "mqtts://")):
            raise ValueError("must look like mqtt://USER:PASSWORD@HOST:1883")
        return value

    @model_validator(mode="after")
    def _players_need_a_broker(self) -> EdgeSettings:
        if self.air_at == "players" and not self.mqtt_url:
            raise ValueError("LOA_AIR_AT=players needs LOA_MQTT_URL (the broker)")
        return self

    @property
    def sync_every(self) -> timedelta:
        return timedelta(minutes=self.player_sync_every_min)

    @property
    def silent_after(self) -> timedelta:
        return timedelta(seconds=self.player_silent_after_s)


class SchedulerSettings(StationSettings, PlanningSettings, PlayoutSettings, EdgeSettings):
    """What a running station's scheduler needs: its data, its planning rules, its playout."""

    model_config = SECTION

    # The audio the file output keeps of what aired (compressed to Opus after each programme,
    # scheduler/archive.py) is kept this many days, and after that only deleted once a closed
    # report covers its day (playlists/reports/retention.py): never while a period is open.
    # The as-run log itself is never deleted.
    aired_keep_days: int = Field(default=90, ge=1, le=3650)

    @property
    def onair_dir(self) -> Path:
        """Return the folder of the player's journals (what is on air now, for crash recovery)."""
        return self.data_dir / "onair"

    @property
    def aired_dir(self) -> Path:
        """Return the folder the file output writes what aired into."""
        return self.data_dir / "aired"

    @property
    def spool(self) -> Path:
        """Return the file of as-run rows the database refused, written at the next start."""
        return self.data_dir / "asrun-spool.jsonl"

    @property
    def playout(self) -> PlayoutSettings:
        """Return the playout section alone."""
        return section(self, PlayoutSettings)

    @property
    def edge(self) -> EdgeSettings:
        """Return where the station airs and how its players talk to it."""
        return section(self, EdgeSettings)

    @property
    def planning(self) -> PlanningSettings:
        """Return the planning section alone."""
        return section(self, PlanningSettings)
