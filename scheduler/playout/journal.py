"""The player's journal: what is on air right now, kept on disk for the restart after a crash.

One file per programme on air, one JSON line per event: the programme itself, each item's
start and end, and a tick every second. A clean finish removes the file, so any journal found
at start-up belongs to a programme the process never finished (kill -9, power cut): the item
that was on air is logged partial up to the last tick, and the rest can resume.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from scheduler.playout.player import Journal
from scheduler.playout.programs import PlayResult, Program

log = logging.getLogger(__name__)


class FileJournal(Journal):
    """Write a programme's journal under `folder`; `close()` when it finished normally."""

    def __init__(self, folder: Path, program: Program, name: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{name}.jsonl"
        self.broken = ""
        self._file: IO[str] | None = self.path.open("a", encoding="utf-8")
        self._event({"event": "program", "program": program.to_json(), "pid": os.getpid()}, True)

    def _event(self, data: dict[str, object], durable: bool = False) -> None:
        if self._file is None:
            return
        try:
            self._write(data, durable)
        except OSError as exc:
            # A full disk must not stop the air: go on without a journal (and say so once).
            log.error("player journal %s stopped: %s", self.path, exc)
            self.broken = str(exc)
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None

    def _write(self, data: dict[str, object], durable: bool) -> None:
        assert self._file is not None
        self._file.write(json.dumps(data, ensure_ascii=False) + "\n")
        # The OS keeps what was flushed when the process dies (kill -9, a crash). Only the
        # programme itself is synced to the disk: a sync between two items would delay the
        # second. After a power cut the last second of events may be lost, and recovery then
        # knows a little less of what aired (noted in docs/how-it-works.md).
        self._file.flush()
        if durable:
            os.fsync(self._file.fileno())

    def outputs(self, names: list[str]) -> None:
        """Note the outputs the programme airs on (the as-run rows name them)."""
        self._event({"event": "outputs", "names": names}, True)

    def item_started(self, index: int, at: datetime) -> None:
        self._event({"event": "start", "index": index, "at": at.isoformat()})

    def item_cut(self, index: int, at: datetime, results: list[PlayResult]) -> None:
        self._event({"event": "cut", "index": index, "at": at.isoformat(),
                     "results": [_result_json(r) for r in results]})  # fmt: skip

    def item_skipped(self, index: int) -> None:
        self._event({"event": "skipped", "index": index})

    def tick(self, at: datetime) -> None:
        self._event({"event": "tick", "at": at.isoformat()})

    def item_ended(self, index: int, at: datetime, results: list[PlayResult]) -> None:
        self._event({"event": "end", "index": index, "at": at.isoformat(),
                     "results": [_result_json(r) for r in results]})  # fmt: skip

    def close(self) -> None:
        """Close the file; `forget` removes it once its rows are safely in the log."""
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None

    def forget(self) -> None:
        """Remove the journal: the programme ended and all its rows are in the log."""
        self.path.unlink(missing_ok=True)


def _result_json(result: PlayResult) -> dict[str, object]:
    return {
        "output": result.output,
        "status": result.status.value,
        "start": result.actual_start.isoformat() if result.actual_start else None,
        "end": result.actual_end.isoformat() if result.actual_end else None,
        "reason": result.reason,
    }


@dataclass
class Unfinished:
    """A programme found in a journal at start-up: the process died while airing it."""

    path: Path
    program: Program
    outputs: list[str] = field(default_factory=list)
    started: dict[int, datetime] = field(default_factory=dict)  # the last start of each item
    ended: dict[int, datetime] = field(default_factory=dict)
    cut: dict[int, datetime] = field(default_factory=dict)  # cut by an emergency, logged partial
    # What the player reported for each output, item by item (cut airings too, in order).
    results: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    skipped: set[int] = field(default_factory=set)  # logged missed or failed, never aired
    on_air: int | None = None  # the item that was on air when the process died
    on_air_since: datetime | None = None
    last_seen: datetime | None = None  # the last instant the player was known to be airing

    @property
    def not_finished(self) -> list[int]:
        """Return the items neither aired to the end nor logged, in programme order."""
        done = self.ended.keys() | self.skipped
        return [i for i in range(len(self.program.items)) if i not in done]


def unfinished(folder: Path) -> list[Unfinished]:
    """Read every journal left in `folder` (there are none after a clean shutdown)."""
    found = []
    for path in sorted(folder.glob("*.jsonl")):
        try:
            found.append(_read(path))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # A journal cut in the middle of its first line has nothing to recover.
            log.error("unreadable player journal %s (%s); removing it", path, exc)
            path.unlink(missing_ok=True)
    return found


def _read(path: Path) -> Unfinished:
    program: Program | None = None
    state: Unfinished | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue  # the last line, cut by the crash
        kind = event["event"]
        if kind == "program":
            program = Program.from_json(event["program"])
            state = Unfinished(path, program)
            continue
        if state is None:
            raise ValueError("journal does not start with its programme")
        if kind == "outputs":
            state.outputs = list(event["names"])
            continue
        if kind == "skipped":
            state.skipped.add(event["index"])
            continue
        at = datetime.fromisoformat(event["at"])
        state.last_seen = at
        if kind == "start":
            state.on_air, state.on_air_since = event["index"], at
            state.started[event["index"]] = at
            state.cut.pop(event["index"], None)  # aired again after an emergency
        elif kind == "end":
            state.ended[event["index"]] = at
            state.on_air, state.on_air_since = None, None
            state.results += [(event["index"], r) for r in event.get("results", [])]
        elif kind == "cut":
            state.cut[event["index"]] = at
            state.on_air, state.on_air_since = None, None
            state.results += [(event["index"], r) for r in event.get("results", [])]
    if state is None or program is None:
        raise ValueError("empty journal")
    return state
