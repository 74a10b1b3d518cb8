"""People for tests: actors bound to a session, and users who sign in to a real app."""

from __future__ import annotations

from sqlalchemy.orm import Session

from playlists.accounts.actor import Actor, Origin, bind
from playlists.accounts.roles import Role

# Passwords the test users sign in with (they pass the station's password rules).
PASSWORD = "mat-khau-thu-nghiem-1"


def act_as(session: Session, *roles: Role, name: str = "Người thử") -> Actor:
    """Bind an actor holding `roles` (no account behind it) to `session`, and return it."""
    actor = Actor(None, "nguoi.thu", name, frozenset(roles), Origin.CLI)
    bind(session, actor)
    return actor


def add_person(session: Session, username: str, *roles: Role, password: str = PASSWORD) -> int:
    """Create a user who can sign in with `password`; return their id."""
    from playlists.accounts import service as accounts
    from playlists.core.clock import SystemClock

    previous = session.info.get("loa.actor")
    act_as(session, Role.ADMIN, name="Người quản trị thử")
    user, _ = accounts.add_user(
        session, username, display_name=f"Thử {username}", roles=roles, password=password,
        now=SystemClock().now(),
    )  # fmt: skip
    if previous is not None:
        bind(session, previous)
    return user.id


def token_for(session: Session, username: str, *roles: Role) -> str:
    """Create a user holding `roles` and return a personal API token of theirs."""
    from playlists.accounts import service as accounts
    from playlists.core.clock import SystemClock

    add_person(session, username, *roles)
    act_as(session, Role.ADMIN, name="Người quản trị thử")
    _token, secret = accounts.make_token(
        session, username, days=1, max_days=1, label="thử", now=SystemClock().now()
    )
    return secret
