"""Who is acting: the person behind a change, as the audit trail records them.

Whoever opens a unit of work for a person (a request, a command) binds an `Actor` to its
session (`bind`); the domain records what it changes against `acting(session)`. A session
without an actor cannot record a person's change: the scheduler's own writes (the as-run log,
alerts it raises) go through `station_actor()`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from playlists.accounts.roles import Action, Role, allows, refusal
from playlists.core.errors import DomainError

_KEY = "loa.actor"


class Origin(enum.StrEnum):
    """Where a change came from."""

    WEB = "web"
    API = "api"
    CLI = "cli"
    STATION = "station"  # the scheduler itself

    @property
    def label(self) -> str:
        return {"web": "Trang web", "api": "API", "cli": "Dòng lệnh", "station": "Đài tự động"}[
            self
        ]


class Forbidden(DomainError):
    """The person's roles do not allow the action."""

    status_code = 403


@dataclass(frozen=True)
class Actor:
    """A person (or the station itself) acting through one origin."""

    user_id: int | None
    username: str
    display_name: str
    roles: frozenset[Role]
    origin: Origin
    address: str = ""  # the client's address; empty from the command line
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    def may(self, action: Action) -> bool:
        return self.origin is Origin.STATION or allows(self.roles, action)

    def require(self, action: Action) -> None:
        """Raise Forbidden (Vietnamese) unless the actor's roles allow `action`."""
        if not self.may(action):
            raise Forbidden(refusal(action), f"{self.username} lacks a role for {action}")

    @property
    def where(self) -> str:
        """Where the change came from, as the audit trail shows it."""
        return self.address if self.origin in (Origin.WEB, Origin.API) else self.origin.label


def station_actor() -> Actor:
    """The station itself, for what the scheduler does on its own."""
    return Actor(None, "station", "Đài tự động", frozenset(), Origin.STATION)


def bind(session: Session, actor: Actor) -> None:
    """Make `actor` the one whose changes `session` records."""
    session.info[_KEY] = actor


def acting(session: Session) -> Actor:
    """Return the actor bound to `session`; a person's change needs one."""
    actor = session.info.get(_KEY)
    if actor is None:
        raise RuntimeError("no actor bound to this session: who made this change?")
    assert isinstance(actor, Actor)
    return actor
