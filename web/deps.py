"""Request dependencies: the station context and one session per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from playlists.db import session_scope
from web.context import StationContext


def get_context(request: Request) -> StationContext:
    """Return the station context the app was built with."""
    ctx: StationContext = request.app.state.ctx
    return ctx


ContextDep = Annotated[StationContext, Depends(get_context)]


def get_session(ctx: ContextDep) -> Iterator[Session]:
    """Open a session for one request: committed on success, rolled back on any error."""
    with session_scope(ctx.sessions) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
