"""Zones and slots as the JSON API shows them."""

from __future__ import annotations

from datetime import date, time

from pydantic import BaseModel, ConfigDict


class ZoneRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str


class SlotRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    start: time
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
