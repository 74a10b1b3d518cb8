"""What a unit of work changed that others must react to once it is committed.

Domain functions say what they changed (`note(session, PLANS)`: the day plans no longer fit
the bulletins and slots); whoever owns the transaction (a web request, a command, a job)
commits, then reacts once, in one place: rebuild the plans, re-read the lexicon, wake the
player for an emergency. So the pages, the API and the command line can never disagree on
when a change needs a new plan.
"""

from __future__ import annotations

import enum

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, SessionTransaction

from playlists.core.db import ward_of

_KEY = "loa.changes"


class Change(enum.StrEnum):
    """Something other parts of the station must catch up with after a commit."""

    PLANS = "plans"  # approved bulletins, slots or cancellations changed: rebuild plans
    SCHEDULE = "schedule"  # a stored plan changed: the running station re-makes its jobs
    LEXICON = "lexicon"  # how words are read changed: re-read it, re-render running bulletins
    EMERGENCY = "emergency"  # an emergency was requested or stopped: wake the player now


def note(session: Session, change: Change) -> None:
    """Record that the session's transaction changes something others must react to."""
    if not session.in_transaction():
        # Begun here (no connection is taken yet), so that a rollback, even before any SQL,
        # ends a transaction and forgets the note.
        session.begin()
    session.info.setdefault(_KEY, set()).add(change)


def take(session: Session) -> set[Change]:
    """Return and forget what the session's transaction changed."""
    changes: set[Change] = session.info.pop(_KEY, set())
    return changes


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    # What a rolled-back transaction changed never happened: nobody must react to it. Only
    # the whole transaction's rollback counts: a savepoint's (the ledger's retry) does not.
    if previous_transaction.parent is None:
        session.info.pop(_KEY, None)


# What other processes hear on PostgreSQL (LISTEN): an emergency requested or stopped, and
# plans changed; the payload is the ward's code. Sent inside the transaction, so delivered
# only when it commits (scheduler/edge/relay.py listens).
EMERGENCY_CHANNEL = "loa_emergency"
PLANS_CHANNEL = "loa_plans"
_CHANNELS = {
    Change.EMERGENCY: EMERGENCY_CHANNEL,
    Change.PLANS: PLANS_CHANNEL,
    Change.SCHEDULE: PLANS_CHANNEL,
}


def announce(session: Session, noted: set[Change]) -> None:
    """Tell listening processes, when the transaction commits, what it changed (PostgreSQL)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    ward = ward_of(session)
    for channel in sorted({_CHANNELS[c] for c in noted if c in _CHANNELS}):
        session.execute(select(func.pg_notify(channel, ward)))
