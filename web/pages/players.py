"""The players page (Máy phát): each player at the loudspeakers as the server last heard it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from playlists.accounts.roles import Action
from playlists.core.errors import DomainError
from playlists.replica import fleet
from web.api.players import player_rows
from web.auth import needs
from web.deps import ContextDep, SessionDep
from web.pages.common import back, render

router = APIRouter(include_in_schema=False)
PAGE = "/may-phat"


@router.get(PAGE, dependencies=[needs(Action.READ)], response_class=HTMLResponse)
def players_page(
    request: Request, ctx: ContextDep, session: SessionDep, loi: str = "", ok: str = ""
) -> HTMLResponse:
    return render(
        request, session, "players.html", players=player_rows(ctx, session),
        air_at=ctx.settings.air_at, sync_every=ctx.settings.player_sync_every_min,
        error=loi, retired=ok,
    )  # fmt: skip


@router.post(PAGE + "/{name}/go", dependencies=[needs(Action.MANAGE_SLOTS)])
def player_retire(name: str, ctx: ContextDep, session: SessionDep) -> Response:
    try:
        fleet.retire(session, name, now=ctx.now(), silent_after=ctx.settings.edge.silent_after)
    except DomainError as exc:
        session.rollback()
        return back(PAGE, error=exc.message)
    return back(PAGE, ok=name)
