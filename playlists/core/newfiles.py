"""Files a unit of work wrote for a row it may not keep: removed unless a row still needs them.

An uploaded recording is mastered and kept (media/recordings/…, uploads/…) before its
bulletin is saved, and the bulletin may then be refused (a missing title, an unknown zone).
The files are noted here with how to tell they are still needed; when the transaction rolls
back, or commits with no row that uses them (a form refused after its upload was read), they
are removed. A refused upload leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

_KEY = "loa.new_files"
Kept = Callable[[Session], bool]


def discard_unless_kept(session: Session, paths: Iterable[Path], *, kept: Kept) -> None:
    """Remove `paths` when the session's transaction ends without `kept(session)` being true."""
    paths = list(paths)
    if not paths:
        return
    if not session.in_transaction():
        session.begin()  # so that a rollback, even before any SQL, removes them
    session.info.setdefault(_KEY, []).append((paths, kept))


def _remove(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            log.info("removed %s: nothing kept it", path)


@event.listens_for(Session, "before_commit")
def _drop_unused(session: Session) -> None:
    noted: list[tuple[list[Path], Kept]] = session.info.get(_KEY, [])
    if not noted:
        return
    still = []
    for paths, kept in noted:
        if kept(session):
            still.append((paths, kept))  # removed all the same if the commit fails
        else:
            _remove(paths)
    session.info[_KEY] = still


@event.listens_for(Session, "after_commit")
def _kept(session: Session) -> None:
    session.info.pop(_KEY, None)


@event.listens_for(Session, "after_soft_rollback")
def _drop_on_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        for paths, _kept in session.info.pop(_KEY, []):
            _remove(paths)
