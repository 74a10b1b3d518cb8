"""Emergency requests as the JSON API shows them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, computed_field

from playlists.emergencies.models import EmergencyStatus


class EmergencyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    created_at: datetime
    requested_by: str
    title: str
    text: str
    duration_s: float
    zone_ids: list[int] = Field(description="Cụm loa; trống là mọi cụm loa")
    repeat: int
    every_min: float
    plays_done: int
    next_at: datetime | None
    status: EmergencyStatus
    reason: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status_label(self) -> str:
        return self.status.label
