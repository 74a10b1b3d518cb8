"""The players page (Máy phát): each player at the loudspeakers as the server last heard it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from playlists.accounts.roles import Action
from web.api.players import player_rows
from web.auth import needs
from web.deps import ContextDep, SessionDep
from web.pages.common import render

router = APIRouter(include_in_schema=False)
PAGE = "/may-phat"


@router.get(PAGE, dependencies=[needs(Action.READ)], response_class=HTMLResponse)
def players_page(request: Request, ctx: ContextDep, session: SessionDep) -> HTMLResponse:
    return render(
        request, session, "players.html", players=player_rows(ctx, session),
        air_at=ctx.settings.air_at, sync_every=ctx.settings.player_sync_every_min,
    )  # fmt: skip
