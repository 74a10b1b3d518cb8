"""Request dependencies: the station context, and one unit of work per request.

The session is committed when the route function returns, before the response is sent, so a
client is never told "saved" for a row whose commit then failed; a failed commit is an error
to the client. A request holds one connection at most, from the web's own pool, and waits for
its turn (without a worker thread) when all are in use.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from web.context import WEB_POOL, StationContext


def get_context(request: Request) -> StationContext:
    """Return the station context the app was built with."""
    ctx: StationContext = request.app.state.ctx
    return ctx


ContextDep = Annotated[StationContext, Depends(get_context)]


def get_session(ctx: ContextDep) -> Iterator[Session]:
    """Open the request's unit of work: committed (and reacted to) before the response."""
    with ctx.unit_of_work(ctx.web_sessions) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function", max_concurrency=WEB_POOL)]
