"""Raise, list and clear alerts: problems on air (a missing file, a dead output, a missed slot).

They stay on every page of the web app until an operator clears them: the station raises them
on its own (nobody's change, not in the audit trail); clearing one is a person's change, kept
with their name and recorded in the audit trail.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from playlists.accounts.actor import acting
from playlists.alerts.models import Alert, AlertKind
from playlists.audit.service import record
from playlists.core.bounds import id_or_none
from playlists.core.errors import NotFound

MAX_NAME = 100


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
    same = showing(session, kind=kind, message=message, zone_name=zone_name)
    if same is not None:
        return same
    alert = Alert(kind=kind, message=message, detail=detail, zone_name=zone_name, raised_at=now)
    session.add(alert)
    session.flush()
    return alert


def showing(
    session: Session, *, kind: AlertKind, message: str, zone_name: str = ""
) -> Alert | None:
    """Return the same alert if it is showing still (nobody cleared it)."""
    return session.scalar(
        select(Alert).where(
            Alert.cleared_at.is_(None),
            Alert.kind == kind,
            Alert.zone_name == zone_name,
            Alert.message == message,
        )
    )


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


def banner(session: Session) -> tuple[int, str] | None:
    """Count the active alerts and read the newest one's message, in one small query."""
    row = session.execute(
        select(func.count().over(), Alert.message)
        .where(Alert.cleared_at.is_(None))
        .order_by(Alert.raised_at.desc(), Alert.id.desc())
        .limit(1)
    ).first()
    return (int(row[0]), str(row[1])) if row is not None else None


def recently_cleared(session: Session, *, limit: int = 30) -> list[Alert]:
    """Return the alerts cleared last, newest first."""
    return list(
        session.scalars(
            select(Alert)
            .where(Alert.cleared_at.is_not(None))
            .order_by(Alert.cleared_at.desc(), Alert.id.desc())
            .limit(limit)
        )
    )


def clear_alert(session: Session, alert_id: int, *, now: datetime) -> Alert:
    """Mark an alert as dealt with by the session's actor, whose name it keeps.

    Clearing an alert already cleared changes nothing and records nothing.
    """
    actor = acting(session)
    alert = session.get(Alert, alert_id) if id_or_none(alert_id) else None
    if alert is None:
        raise NotFound(f"Không có cảnh báo số {alert_id}.", f"no alert {alert_id}")
    if alert.cleared_at is None:
        alert.cleared_at, alert.cleared_by = now, actor.display_name[:MAX_NAME]
        record(session, "alert_acknowledged", subject_kind="alert", subject_id=alert.id,
               summary=f"Xử lý cảnh báo số {alert.id}: {alert.message}",
               before={"cleared_at": None, "cleared_by": ""},
               after={"cleared_at": now, "cleared_by": alert.cleared_by}, at=now)  # fmt: skip
    return alert
