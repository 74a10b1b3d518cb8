"""Alerts: problems on air that staff must see (a missing file, a dead output, a missed slot).

They stay on every page of the web app until someone clears them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from playlists.models import Alert, AlertKind


def raise_alert(
    session: Session,
    *,
    kind: AlertKind,
    message: str,
    detail: str = "",
    zone_name: str = "",
    now: datetime,
) -> Alert:
    """Record an alert, unless the same one is already showing (a flapping output, say)."""
    same = session.scalar(
        select(Alert).where(
            Alert.cleared_at.is_(None),
            Alert.kind == kind,
            Alert.zone_name == zone_name,
            Alert.message == message,
        )
    )
    if same is not None:
        return same
    alert = Alert(kind=kind, message=message, detail=detail, zone_name=zone_name, raised_at=now)
    session.add(alert)
    session.flush()
    return alert


def active_alerts(session: Session, *, limit: int = 50) -> list[Alert]:
    """Return the alerts nobody has cleared yet, newest first."""
    return list(
        session.scalars(
            select(Alert)
            .where(Alert.cleared_at.is_(None))
            .order_by(Alert.raised_at.desc(), Alert.id.desc())
            .limit(limit)
        )
    )


def clear_alert(session: Session, alert_id: int, *, by: str, now: datetime) -> bool:
    """Mark an alert as seen and dealt with; return False if there is no such alert."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        return False
    if alert.cleared_at is None:
        alert.cleared_at, alert.cleared_by = now, by
    return True
