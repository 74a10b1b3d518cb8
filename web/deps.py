"""Request dependencies: the station context, and one unit of work per request.

The session is committed when the route function returns, before the response is sent, so a
client is never told "saved" for a row whose commit then failed; a failed commit is an error
to the client. A request holds one connection at most, from the web's own pool, and waits for
its turn (without a worker thread) when all are in use.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from playlists.accounts.service import credential_ward
from playlists.core.db import session_scope
from playlists.core.errors import NotFound
from web.context import WEB_POOL, StationContext

# The session cookie of pages (web/auth.py signs in with it).
COOKIE = "loa_phien"


def get_context(request: Request) -> StationContext:
    """Return the context of the ward the request's credential works for.

    A sign-in session and an API token each work for one ward (chosen at sign-in, or the
    token's own): the request's database session then sees that ward's schema and no other.
    Nobody signed in (the sign-in page) gets the context the app was built with. Who may
    do what is decided later, as ever, by the roles held at that ward (web/auth.py).
    """
    ctx: StationContext = request.app.state.ctx
    if ctx.root_web_engine.dialect.name == "postgresql":  # SQLite holds one ward only
        ward = _credential_ward(request, ctx)
        if ward and ward != ctx.ward_code:
            # A ward since removed: the credential, checked at the home ward, is refused there.
            with suppress(NotFound):
                ctx = ctx.for_ward(ward)
    request.state.ctx = ctx
    return ctx


def _credential_ward(request: Request, ctx: StationContext) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" else ""
    cookie = request.cookies.get(COOKIE, "")
    if not (bearer or cookie):
        return None
    with session_scope(ctx.credential_sessions) as session:
        return credential_ward(session, cookie=cookie, bearer=bearer)


ContextDep = Annotated[StationContext, Depends(get_context)]


def get_session(ctx: ContextDep) -> Iterator[Session]:
    """Open the request's unit of work: committed (and reacted to) before the response."""
    with ctx.unit_of_work(ctx.web_sessions) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function", max_concurrency=WEB_POOL)]
