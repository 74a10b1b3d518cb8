"""The overview page (Tổng quan): today's plan, bulletins waiting, what just aired."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from playlists.accounts.roles import Action
from playlists.asrun.models import AirStatus
from playlists.asrun.queries import AirLogFilter, latest
from playlists.bulletins.workflow import count_pending
from playlists.planning.views import read_plan
from web.auth import needs
from web.deps import ContextDep, SessionDep
from web.pages.common import render

router = APIRouter(include_in_schema=False)

RECENT_ROWS = 10


@router.get("/", dependencies=[needs(Action.READ)], response_class=HTMLResponse)
def home(request: Request, ctx: ContextDep, session: SessionDep) -> HTMLResponse:
    today = ctx.today()
    plan = read_plan(session=session, day=today, tz=ctx.settings.zone)
    recent = latest(
        session=session,
        filt=AirLogFilter(first_day=today - timedelta(days=1), last_day=today),
        tz=ctx.settings.zone,
        count=RECENT_ROWS,
    )
    failed = [row for row in recent if row.status in (AirStatus.FAILED, AirStatus.MISSED)]
    return render(
        request, session, "home.html", plan=plan, pending=count_pending(session=session),
        recent=recent, failed=failed,
    )  # fmt: skip
