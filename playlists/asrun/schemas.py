"""As-run rows as the JSON API shows them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from playlists.asrun.models import AirSource, AirStatus


class AirLogRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    zone_name: str
    output: str
    slot_name: str
    bulletin_id: int | None
    bulletin_title: str
    rendering_sha256: str
    scheduled_start: datetime | None
    actual_start: datetime | None
    actual_end: datetime | None
    aired_s: float
    status: AirStatus
    source: AirSource
    reason: str
