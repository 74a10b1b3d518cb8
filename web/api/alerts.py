"""Alerts in the JSON API."""

from __future__ import annotations

from fastapi import APIRouter

from playlists.accounts.roles import Action
from playlists.alerts.schemas import AlertClear, AlertRead
from playlists.alerts.service import active_alerts, clear_alert
from playlists.core.bounds import Id
from web.auth import needs
from web.deps import ContextDep, SessionDep

router = APIRouter()


@router.get("/alerts", dependencies=[needs(Action.READ)], summary="Cảnh báo chưa xử lý")
def alerts(session: SessionDep) -> list[AlertRead]:
    return [AlertRead.model_validate(a) for a in active_alerts(session, limit=200)]


@router.post(
    "/alerts/{alert_id}/clear",
    dependencies=[needs(Action.ACKNOWLEDGE_ALERT)],
    summary="Đánh dấu cảnh báo đã xử lý",
)
def alert_clear(
    alert_id: Id, ctx: ContextDep, session: SessionDep, body: AlertClear | None = None
) -> AlertRead:
    # Who dealt with it is the signed-in user; a body, if any, is accepted and says nothing.
    return AlertRead.model_validate(clear_alert(session, alert_id, now=ctx.now()))
