"""Who the benches act as: people with no accounts behind them, recorded in the audit trail."""

from __future__ import annotations

from sqlalchemy.orm import Session

from playlists.accounts.actor import Actor, Origin, bind
from playlists.accounts.roles import Role
from playlists.bulletins.models import Bulletin
from playlists.bulletins.schemas import BulletinCreate
from web.context import StationContext

EDITOR = Actor(None, "bench.editor", "Bench", frozenset({Role.EDITOR}), Origin.CLI)
APPROVER = Actor(None, "bench.approver", "Bench", frozenset({Role.APPROVER}), Origin.CLI)
OPERATOR = Actor(None, "bench.operator", "Bench", frozenset({Role.OPERATOR}), Origin.CLI)


def approved(ctx: StationContext, session: Session, data: BulletinCreate) -> Bulletin:
    """Write a bulletin as an editor, and approve it as someone else, as a ward does."""
    bind(session, EDITOR)
    bulletin = ctx.newsroom(session).create(data, session=session)
    bind(session, APPROVER)
    return ctx.newsroom(session).approve(bulletin.id, session=session)
