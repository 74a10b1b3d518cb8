"""The table of the audit trail: one row per change a person (or the station) made."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from playlists.accounts.actor import Actor, Origin
from playlists.accounts.roles import Role
from playlists.core.db import Base, UTCDateTime, utcnow


class AuditEntry(Base):
    """One change, and who made it as they were at the time.

    The person is copied (name, roles, where from) rather than only pointed at: the trail is
    evidence, and renaming a user, changing their roles or removing them later must not
    rewrite what it says. For the same reason `user_id` has no foreign key (a user's row may go;
    their entries stay), and `origin` is a plain code, not an enum column, so that an origin
    added or retired later never makes old rows unreadable.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        UniqueConstraint("seq", name="uq_audit_log_seq"),
        # A bulletin's (or a user's) own history: `history` reads by subject.
        Index("ix_audit_log_subject", "subject_kind", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, default=None)
    username: Mapped[str] = mapped_column(Text, default="")
    display_name: Mapped[str] = mapped_column(Text, default="")
    roles: Mapped[str] = mapped_column(Text, default="")  # role codes, comma-separated
    origin: Mapped[str] = mapped_column(String(16))  # an Origin code: web, api, cli, station
    address: Mapped[str] = mapped_column(Text, default="")
    action: Mapped[str] = mapped_column(String(64))  # a stable English code: "user_added"
    subject_kind: Mapped[str] = mapped_column(String(32), default="")  # "bulletin", "user"
    subject_id: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")  # one Vietnamese line for staff
    before: Mapped[str] = mapped_column(Text, default="")  # JSON, or "" when nothing was
    after: Mapped[str] = mapped_column(Text, default="")  # JSON, or "" when nothing is left
    note: Mapped[str] = mapped_column(Text, default="")
    # The tamper-evident chain (playlists/core/chain.py), as the as-run log's.
    seq: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))

    @property
    def role_list(self) -> list[str]:
        """The roles held at the time, in Vietnamese; a code no longer known as itself."""
        labels = []
        for code in filter(None, self.roles.split(",")):
            try:
                labels.append(Role(code).label)
            except ValueError:
                labels.append(code)
        return labels

    @property
    def where(self) -> str:
        """Where the change came from, as `Actor.where` says it (an unknown origin as stored)."""
        try:
            origin = Origin(self.origin)
        except ValueError:
            return self.address or self.origin
        return Actor(None, "", "", frozenset(), origin, self.address).where
