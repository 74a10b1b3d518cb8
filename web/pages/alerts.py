"""The alerts page (Cảnh báo): problems on air, cleared by whoever dealt with them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from playlists.alerts.service import active_alerts, clear_alert, recently_cleared
from playlists.core.errors import DomainError
from web.deps import ContextDep, SessionDep
from web.pages.common import back, render

router = APIRouter(include_in_schema=False)
PAGE = "/canh-bao"


@router.get(PAGE, response_class=HTMLResponse)
def alerts_page(request: Request, session: SessionDep, loi: str = "", ok: str = "") -> HTMLResponse:
    return render(
        request, session, "alerts.html", active=active_alerts(session, limit=200),
        cleared=recently_cleared(session), error=loi, saved=ok,
    )  # fmt: skip


@router.post(PAGE + "/{alert_id}/xong")
def alert_clear(
    ctx: ContextDep, session: SessionDep, alert_id: int, by: Annotated[str, Form()] = ""
) -> Response:
    try:
        alert = clear_alert(session, alert_id, by=by, now=ctx.now())
    except DomainError as exc:
        session.rollback()
        return back(PAGE, error=exc.message)
    message = f"Đã ghi nhận cảnh báo số {alert_id} đã được xử lý ({alert.cleared_by})."
    return back(PAGE, ok=message)
