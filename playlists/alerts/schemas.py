"""Alerts as the JSON API shows and takes them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, computed_field

from playlists.alerts.models import AlertKind


class AlertRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    raised_at: datetime
    kind: AlertKind
    zone_name: str
    message: str
    detail: str
    cleared_at: datetime | None
    cleared_by: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def kind_label(self) -> str:
        return self.kind.label


class AlertClear(BaseModel):
    by: str = Field(default="", max_length=100, description="Người đã xử lý cảnh báo")
