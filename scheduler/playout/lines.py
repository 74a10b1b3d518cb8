"""One of a zone's outputs on the air path: fed by its own thread, reopened when it fails."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from datetime import datetime

from playlists.alerts.models import AlertKind
from playlists.core.clock import Clock
from scheduler.outputs.base import Output, OutputError

log = logging.getLogger(__name__)

ProblemReport = Callable[[AlertKind, str, str], None]
"""Tell staff about a problem: kind, message in Vietnamese, detail in English for the log."""


class OutputLine:
    """One of a zone's outputs: live, or down and being reopened, fed by its own thread.

    The player hands chunks to a short queue and never waits on the output itself, so a
    stalled sound card or Icecast server cannot hold back the zone's other outputs. An output
    more than a second behind has stalled: it is dropped at once (`abort`), staff are told,
    and it is reopened every `retry_s`, up to `retries` times in a row.
    """

    QUEUE_CHUNKS = 10  # one second of audio

    def __init__(
        self,
        output: Output,
        label: str,
        on_problem: ProblemReport,
        *,
        clock: Clock,
        retries: int = 3,
        retry_s: float = 2.0,
    ) -> None:
        self.output, self.label, self.on_problem, self.clock = output, label, on_problem, clock
        self.retries, self.retry_s = retries, retry_s
        self.live = False
        self.broken = ""
        self.failed_at: datetime | None = None
        self.attempts = 0  # reopen attempts since the output last worked
        self.opens = 0  # every reopen, for a new name each time
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=self.QUEUE_CHUNKS)
        self._state = threading.Lock()
        self._wake = threading.Event()  # close() ends a wait between two reopen attempts
        self._closing = False
        self._thread = threading.Thread(target=self._run, name=f"output {output.name}", daemon=True)

    @property
    def name(self) -> str:
        return self.output.name

    def open(self) -> None:
        """Open the output (or note it down, to be reopened) and start its writer thread."""
        try:
            self.output.open(self.label)
            self.live, self.broken = True, ""
        except (OutputError, OSError) as exc:
            self.fail(exc, None, opening=True)
        self._thread.start()

    def write(self, chunk: bytes, now: datetime) -> None:
        """Hand a chunk to the output's thread; an output that stopped taking audio goes down."""
        if not self.live:
            return
        try:
            self._queue.put_nowait(chunk)
        except queue.Full:
            self.fail(OutputError(f"{self.name} took no audio for a second (stalled)"), now)

    def confirm(self, now: datetime) -> bool:
        """Tell whether the output is still live (it may have died silently)."""
        if self.live:
            try:
                self.output._check()
            except (OutputError, OSError) as exc:
                self.fail(exc, now)
        return self.live

    def fail(
        self, exc: OutputError | OSError, now: datetime | None, *, opening: bool = False
    ) -> None:
        """Take the output down at once and tell staff; the writer thread reopens it."""
        with self._state:
            if not self.live and self.broken and not opening:
                return  # already down
            self.live, self.failed_at = False, now
            what = "không mở được" if opening else "bị lỗi khi đang phát"
            self.broken = f"Đầu ra {self.name} {what}: {exc}"
        log.error("output %s failed (%s): %s", self.name, self.label, exc)
        self.on_problem(AlertKind.OUTPUT, self.broken, f"output {self.name} failed: {exc}")
        self.output.abort()  # unblocks a write stuck in a full pipe
        self._wake.set()
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(b"")  # wakes a writer waiting for audio, so it reopens

    def _run(self) -> None:
        while True:
            try:
                if self._step():
                    return
            except Exception as exc:  # a writer thread must never die: the output would stay down
                log.exception("output %s writer", self.name)
                self.fail(OutputError(str(exc)), self.clock.now())

    def _step(self) -> bool:
        """Write one chunk, or make one reopen attempt; True when the line is closed."""
        if self.live:
            chunk = self._queue.get()
            if chunk is None:
                return True
            if not self.live or not chunk:
                return False  # dropped (the output went down), or only a wake-up
            try:
                self.output._write(chunk)
            except (OutputError, OSError) as exc:
                self.fail(exc, self.clock.now())
            return False
        self._drain()
        if self._closing:
            return True
        if self.attempts >= self.retries:
            self._wake.wait()  # no retries left: wait for close()
            self._wake.clear()
            return False
        self._wake.wait(self.retry_s)
        self._wake.clear()
        if self._closing:
            return True
        self.attempts += 1
        self.opens += 1
        try:
            # A new name each time: the file output must not overwrite what aired.
            self.output.open(f"{self.label}.{self.opens}")
        except (OutputError, OSError) as exc:
            log.error("output %s still down (attempt %d): %s", self.name, self.attempts, exc)
            self.broken = f"Đầu ra {self.name} không mở được: {exc}"
            return False
        if self._closing:  # closed while it was reopening: do not leave it running
            with contextlib.suppress(OutputError, OSError):
                self.output.close()
            return True
        log.info("output %s back after %d attempt(s)", self.name, self.attempts)
        with self._state:
            self.live, self.broken, self.attempts = True, "", 0
        return False

    def _drain(self) -> None:
        with contextlib.suppress(queue.Empty):
            while True:
                self._queue.get_nowait()

    def close(self) -> None:
        """Let the queued audio out, then close the output (and stop reopening it)."""
        self._closing = True
        if self.live and self._thread.is_alive():
            try:
                self._queue.put(None, timeout=2)
            except queue.Full:
                self.fail(OutputError(f"{self.name} stalled at the end"), self.clock.now())
        self._wake.set()
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)  # a writer waiting for audio sees the end at once
        if self._thread.is_alive():
            self._thread.join(timeout=3)
        if self._thread.is_alive():  # stuck in a write: drop the output, the thread follows
            self.output.abort()
            self._thread.join(timeout=3)
        if not self.live:
            return
        self.live = False
        try:
            self.output.close()
        except (OutputError, OSError) as exc:
            log.error("output %s failed to close for %s: %s", self.name, self.label, exc)
