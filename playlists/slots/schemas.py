"""Zones and slots as the JSON API shows them."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated

from pydantic import BaseModel, ConfigDict, WithJsonSchema

# A time of day on the station's clock, with no offset ("05:30:00"): JSON Schema's "time"
# format demands one, so the published schema says what is really sent.
LocalTime = Annotated[
    time,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^[0-2][0-9]:[0-5][0-9](:[0-5][0-9](\\.[0-9]+)?)?$",
            "description": "Giờ địa phương của đài, HH:MM:SS",
        }
    ),
]


class ZoneRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str


class SlotRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    start: LocalTime
    duration_s: int
    days: str
    valid_from: date | None
    valid_to: date | None
    document: str
    document_date: date | None
    head_s: int
    relay_s: int
    tail_s: int
    one_off: bool
    zones: list[ZoneRead]
