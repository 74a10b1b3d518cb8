"""Alerts as the JSON API shows and takes them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, computed_field

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
    """Clearing an alert: nothing to say, since who dealt with it is the signed-in user.

    Kept (empty, and optional in the request) so that clients sending a body still work: the
    name they used to send (`by`) is ignored.
    """
