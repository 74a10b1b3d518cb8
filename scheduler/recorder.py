"""The as-run writer: the station's one database writer for what happens on air.

The player hands results to a queue and goes on; this thread writes them in order. A write
that fails (the database restarting, locked for too long, a full disk) is retried, and a row
that still cannot be written goes to a spool file in the data folder, replayed into the log at
the next start: the as-run log is evidence, and no row may be lost.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from playlists.asrun import ledger
from playlists.asrun.models import AirLog, AirStatus
from playlists.core.db import session_scope
from scheduler.playout.programs import PlayResult, Program

log = logging.getLogger(__name__)

RETRY_DELAYS_S = (0.2, 0.5, 1.0, 2.0, 5.0)

Task = Callable[[Session], None]
"""Any other write that must not run on a play thread (an alert, an emergency's count)."""


@dataclass(frozen=True)
class _Stop:
    pass


class Recorder:
    """Write the player's confirmations and the station's alerts, in order, off the air path."""

    def __init__(self, sessions: sessionmaker[Session], spool: Path) -> None:
        self.sessions = sessions
        self.spool = spool
        self._queue: queue.Queue[PlayResult | Task | _Stop] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="as-run writer", daemon=True)
        self._thread.start()

    def record(self, result: PlayResult) -> None:
        """Queue one as-run row."""
        self._queue.put(result)

    def run(self, task: Task) -> None:
        """Queue another write (alerts, emergency counts)."""
        self._queue.put(task)

    def flush(self) -> None:
        """Wait until everything queued so far is written (or spooled)."""
        self._queue.join()

    def _run(self) -> None:
        while True:
            work = self._queue.get()
            try:
                if isinstance(work, _Stop):
                    return
                self._write(work)
            except Exception:  # this thread must never die: every later row would be lost
                log.critical("could neither write nor spool: %s", work, exc_info=True)
            finally:
                self._queue.task_done()

    def _write(self, work: PlayResult | Task) -> None:
        for attempt, delay in enumerate((0.0, *RETRY_DELAYS_S)):
            if delay:
                threading.Event().wait(delay)
            try:
                with session_scope(self.sessions) as session:
                    if isinstance(work, PlayResult):
                        record(work, session=session)
                    else:
                        work(session)
            except Exception:
                log.exception("database write failed (attempt %d)", attempt + 1)
                continue
            if isinstance(work, PlayResult):
                log.info("as-run: %s %s %s %s %s", work.program.label, work.output,
                         work.item.title, work.status, work.reason)  # fmt: skip
            return
        if isinstance(work, PlayResult):
            self._spool(work)

    def _spool(self, result: PlayResult) -> None:
        log.error("as-run row kept in %s until the database answers: %s", self.spool, result)
        index = result.program.items.index(result.item)
        line = {
            "program": result.program.to_json(),
            "item": index,
            "status": result.status.value,
            "output": result.output,
            "actual_start": _iso(result.actual_start),
            "actual_end": _iso(result.actual_end),
            "reason": result.reason,
        }
        self.spool.parent.mkdir(parents=True, exist_ok=True)
        with self.spool.open("a", encoding="utf-8") as file:
            file.write(json.dumps(line, ensure_ascii=False) + "\n")

    def replay_spool(self) -> int:
        """Write the rows a past run had to keep aside; return how many."""
        if not self.spool.exists():
            return 0
        results = []
        for line in self.spool.read_text(encoding="utf-8").splitlines():
            try:
                results.append(_from_spool(json.loads(line)))
            except (ValueError, KeyError, TypeError, IndexError):
                # The last line, cut by a crash while it was written: keep it for a person.
                log.error("unreadable as-run spool line kept in %s.bad: %r", self.spool, line)
                with self.spool.with_suffix(".bad").open("a", encoding="utf-8") as bad:
                    bad.write(line + "\n")
        with session_scope(self.sessions) as session:
            for result in results:
                record(result, session=session)
        self.spool.unlink()
        log.warning("%d as-run row(s) written from %s", len(results), self.spool)
        return len(results)


def record(result: PlayResult, *, session: Session) -> AirLog:
    """Append one as-run row for a play result: the log is written from what the player
    measured, never from the plan."""
    program, item = result.program, result.item
    return ledger.append(
        session,
        zone_id=program.zone_id,
        zone_name=program.zone_name,
        output=result.output,
        slot_id=program.slot_id,
        slot_name=program.slot_name,
        bulletin_id=item.bulletin_id,
        bulletin_title=item.title,
        topic_name=item.topic_name,
        rendering_sha256=item.rendering_sha256,
        scheduled_start=item.scheduled_start,
        actual_start=result.actual_start,
        actual_end=result.actual_end,
        status=result.status,
        source=program.source,
        reason=result.reason,
    )


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def _from_spool(data: dict[str, Any]) -> PlayResult:
    program = Program.from_json(data["program"])
    return PlayResult(
        program=program,
        item=program.items[data["item"]],
        status=AirStatus(data["status"]),
        output=data["output"],
        actual_start=datetime.fromisoformat(data["actual_start"]) if data["actual_start"] else None,
        actual_end=datetime.fromisoformat(data["actual_end"]) if data["actual_end"] else None,
        reason=data["reason"],
    )
