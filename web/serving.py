"""`loa serve`: the station airs in this process; the pages are served by worker processes.

Python runs one thread at a time in a process. Pages rendered in the process that airs would
make the player wait for the interpreter when its next chunk is due, and slow pages would wait
on the player: so `loa serve` keeps the scheduler, the player and the as-run writer here, and
serves the web app from LOA_WEB_WORKERS processes on one listening socket.

Workers write to the same database. What the station must catch up with after a worker's
commit (re-make its jobs, air an emergency now, re-read the lexicon) reaches it as one line on
a pipe; the station also re-reads the plan every minute and polls for emergencies four times
a second, so a lost line only delays. Each worker holds the read end of a "lifeline" pipe
whose other end only this process holds: when this process dies (even by kill -9), the
workers see it close and exit at once, leaving the port free for the next start.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from playlists.core.changes import Change
from web.context import StationContext

log = logging.getLogger(__name__)

# A worker that dies is started again, at most this often.
RESTART_S = 1.0
BACKLOG = 2048
# How long stopping waits for the workers to finish the requests under way, all together.
STOP_WAIT_S = 10.0


@dataclass
class _Worker:
    number: int
    process: subprocess.Popen[bytes]
    started: float


class WebWorkers:
    """Serve the web app from worker processes and pass their changes on to the station."""

    def __init__(self, ctx: StationContext, *, host: str, port: int, count: int) -> None:
        self.ctx = ctx
        self.count = count
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.listener = socket.create_server((host, port), family=family, backlog=BACKLOG)
        self.listener.set_inheritable(True)
        self._nudges_read, self._nudges_write = os.pipe()
        self._lifeline_read, self._lifeline_write = os.pipe()
        self._workers: list[_Worker] = []
        self._stopping = threading.Event()
        self._spawning = threading.Lock()  # no worker is started once stopping has begun
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start the workers, and the threads that keep them up and hear their changes."""
        self._workers = [self._spawn(n) for n in range(self.count)]
        for target, name in ((self._keep_up, "web workers"), (self._hear, "web changes")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def ask_to_stop(self) -> None:
        """Tell every worker to stop (they finish the requests under way); do not wait."""
        with self._spawning:
            self._stopping.set()
        for worker in self._workers:
            if worker.process.poll() is None:
                worker.process.terminate()

    def stop(self) -> None:
        """Stop the workers, all within STOP_WAIT_S (then killed), and close the socket."""
        self.ask_to_stop()
        deadline = time.monotonic() + STOP_WAIT_S
        for worker in self._workers:
            try:
                worker.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()
        self.listener.close()
        for fd in (self._nudges_write, self._lifeline_write, self._lifeline_read):
            with contextlib.suppress(OSError):
                os.close(fd)
        # With every writer closed the listening thread reads the end and returns; only then
        # is its descriptor closed, so it can never read a file that reused the number.
        for thread in self._threads:
            thread.join(timeout=5)
        os.close(self._nudges_read)

    def _spawn(self, number: int) -> _Worker:
        fds = (self.listener.fileno(), self._nudges_write, self._lifeline_read)
        command = [
            # -P: the working folder is not on the import path, so nothing there shadows web.
            sys.executable, "-P", "-m", "web.worker", "--listen-fd", str(fds[0]),
            "--changes-fd", str(fds[1]), "--lifeline-fd", str(fds[2]),
        ]  # fmt: skip
        process = subprocess.Popen(command, pass_fds=fds)
        log.info("web worker %d started (pid %d)", number, process.pid)
        return _Worker(number, process, time.monotonic())

    def _keep_up(self) -> None:
        while not self._stopping.wait(0.5):
            for index, worker in enumerate(self._workers):
                code = worker.process.poll()
                if code is None or self._stopping.is_set():
                    continue
                log.error("web worker %d (pid %d) exited with %s; starting it again",
                          worker.number, worker.process.pid, code)  # fmt: skip
                time.sleep(max(0.0, RESTART_S - (time.monotonic() - worker.started)))
                with self._spawning:
                    if self._stopping.is_set():
                        return
                    self._workers[index] = self._spawn(worker.number)

    def _hear(self) -> None:
        """Pass each change a worker committed to the station, as if it was made here."""
        buffer = b""
        while True:
            try:
                data = os.read(self._nudges_read, 4096)
            except OSError:
                return
            if not data:
                return
            buffer += data
            *lines, buffer = buffer.split(b"\n")
            noted = set()
            for line in lines:
                try:
                    noted.add(Change(line.decode()))
                except ValueError:
                    log.error("unknown change from a web worker: %r", line)
            if noted:
                try:
                    self.ctx.react(noted)
                except Exception:  # this thread must live on: later changes still matter
                    log.exception("reacting to %s from a web worker failed", sorted(noted))


def tell_station(fd: int) -> Callable[[Change], None]:
    """Return how a worker tells the station about a committed change (never blocking it)."""
    os.set_blocking(fd, False)

    def tell(change: Change) -> None:
        try:
            os.write(fd, f"{change.value}\n".encode())
        except BlockingIOError:
            # The station is not reading: its minute reconcile and its emergency poll catch up.
            log.warning("station busy; change %s left to its own polling", change)
        except OSError as exc:
            log.error("cannot reach the station (%s); change %s not passed on", exc, change)

    return tell
