"""The alerts page (Cảnh báo): problems on air, cleared by the signed-in operator."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from playlists.accounts.roles import Action
from playlists.alerts.service import active_alerts, clear_alert, recently_cleared
from playlists.core.errors import DomainError
from web.auth import needs
from web.deps import ContextDep, SessionDep
from web.pages.common import back, render

router = APIRouter(include_in_schema=False)
PAGE = "/canh-bao"


@router.get(PAGE, dependencies=[needs(Action.READ)], response_class=HTMLResponse)
def alerts_page(request: Request, session: SessionDep, loi: str = "", ok: str = "") -> HTMLResponse:
    return render(
        request, session, "alerts.html", active=active_alerts(session, limit=200),
        cleared=recently_cleared(session), error=loi, saved=ok,
    )  # fmt: skip


@router.post(PAGE + "/{alert_id}/xong", dependencies=[needs(Action.ACKNOWLEDGE_ALERT)])
def alert_clear(ctx: ContextDep, session: SessionDep, alert_id: int) -> Response:
    try:
        alert = clear_alert(session, alert_id, now=ctx.now())
    except DomainError as exc:
        session.rollback()
        return back(PAGE, error=exc.message)
    message = f"Đã ghi nhận cảnh báo số {alert_id} đã được xử lý ({alert.cleared_by})."
    return back(PAGE, ok=message)
