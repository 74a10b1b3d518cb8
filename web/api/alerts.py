"""Alerts in the JSON API."""

from __future__ import annotations

from fastapi import APIRouter

from playlists.alerts.schemas import AlertClear, AlertRead
from playlists.alerts.service import active_alerts, clear_alert
from web.deps import ContextDep, SessionDep

router = APIRouter()


@router.get("/alerts", summary="Cảnh báo chưa xử lý")
def alerts(session: SessionDep) -> list[AlertRead]:
    return [AlertRead.model_validate(a) for a in active_alerts(session, limit=200)]


@router.post("/alerts/{alert_id}/clear", summary="Đánh dấu cảnh báo đã xử lý")
def alert_clear(alert_id: int, body: AlertClear, ctx: ContextDep, session: SessionDep) -> AlertRead:
    return AlertRead.model_validate(clear_alert(session, alert_id, by=body.by, now=ctx.now()))
