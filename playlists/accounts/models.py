"""The tables of people: users, their roles per station, sign-in sessions, API tokens, and
failed sign-ins (counted in the database, so every web worker and the command line agree).

Secrets are never stored: a session id and a token are random strings the client holds; the
database keeps their SHA-256, so a copy of the database lets no one sign in as anybody.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from playlists.accounts.roles import CITY_ROLES, Role
from playlists.core.db import HOME_WARD, Base, UTCDateTime, enum_column, utcnow

# Where the city's roles are held: at every ward at once (no ward has this code).
CITY_SCOPE = "*"


class User(Base):
    """A person who signs in to the station."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    # Set by a one-time password (a new user, a reset): the next sign-in must change it.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="UserRole.role"
    )

    def roles(self, ward: str) -> frozenset[Role]:
        """Return the roles this user holds at `ward`: its own, and the city's."""
        return frozenset(row.role for row in self.role_rows if row.station in (ward, CITY_SCOPE))

    def city_roles(self) -> frozenset[Role]:
        """Return the city's roles this user holds."""
        return frozenset(row.role for row in self.role_rows if row.station == CITY_SCOPE)

    def wards(self) -> list[str]:
        """Return the codes of the wards where this user holds a role of the ward's, sorted."""
        return sorted({row.station for row in self.role_rows} - {CITY_SCOPE})


def scope_of(role: Role, ward: str) -> str:
    """Where a role given at `ward` is held: the city's roles at the city's scope."""
    return CITY_SCOPE if role in CITY_ROLES else ward


class UserRole(Base):
    """One role a user holds at one ward's station (`station` is the ward's code)."""

    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "station", "role", name="uq_user_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    station: Mapped[str] = mapped_column(String(64), default=HOME_WARD)
    role: Mapped[Role] = mapped_column(enum_column(Role))

    user: Mapped[User] = relationship(back_populates="role_rows")


class WebSession(Base):
    """A signed-in browser: the cookie holds a random id, this row its hash."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    ended_why: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    # The ward this browser works for: chosen at sign-in, changed on the wards page.
    ward: Mapped[str] = mapped_column(String(40), default=HOME_WARD)

    user: Mapped[User] = relationship()


class ApiToken(Base):
    """A personal token for the JSON API: shown once, stored hashed, with an expiry."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The token's first characters, so its owner can tell tokens apart in a list.
    prefix: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The ward the token works for: the one it was made in.
    ward: Mapped[str] = mapped_column(String(40), default=HOME_WARD)

    user: Mapped[User] = relationship()


class SignInFailure(Base):
    """One failed sign-in: counted per account and per address to slow guessing down."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (
        Index("ix_sign_in_failures_username_at", "username", "at"),
        Index("ix_sign_in_failures_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100))  # as typed (lowercased), known or not
    address: Mapped[str] = mapped_column(String(64), default="")
    # "sign_in", or "confirm" (a signed-in user's password asked again): counted apart.
    kind: Mapped[str] = mapped_column(String(16), default="sign_in")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
