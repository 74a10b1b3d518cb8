"""An audit trail entry in the JSON API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class AuditRead(BaseModel):
    """One change: who (as they were then), from where, what, and before → after (JSON)."""

    model_config = ConfigDict(from_attributes=True)
    seq: int
    at: datetime
    username: str
    display_name: str
    roles: str
    origin: str
    address: str
    action: str
    subject_kind: str
    subject_id: str
    summary: str
    before: str
    after: str
    note: str
