"""The Icecast output: PCM piped into ffmpeg, which encodes MP3 straight onto an Icecast source.

Listeners (a phone app, a relay to the loudspeakers) hear each zone on its own mount. The
stream must be live: ffmpeg sends every encoded frame at once (no input probing, no output
buffering), and the output finds out quickly when Icecast is down, refuses the password, or
stops taking audio, so that the player can log it and retry.

The source password never reaches ffmpeg: this output connects to Icecast itself, says who
it is (HTTP PUT with Basic authentication, as ffmpeg's icecast:// would), and hands ffmpeg the
accepted connection as its output (`pipe:N`). ffmpeg's arguments, which any local user reads
in /proc/PID/cmdline, then hold no secret; ffmpeg 5 has no way to read one from a file.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import http
import os
import re
import select
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse

from playlists.core.clock import Clock
from playlists.core.text import one_line, slug, without_marks
from scheduler.outputs.base import BYTES_PER_SAMPLE, SAMPLE_RATE, Output, OutputError

# ffmpeg's "-loglevel level+..." tags every line, e.g. "[tcp @ 0x55d1] [error] Connection..."
_LOG_LINE = re.compile(r"^(?:\[[^\]]* @ 0x[0-9a-f]+\] )?\[(?P<level>[a-z]+)\] (?P<text>.*)$")


def _header_text(text: str) -> str:
    """Vietnamese without its marks, for Icecast's headers.

    Icecast reads ice-name as Latin-1, and its status page and some players would show raw
    UTF-8 as mojibake; plain ASCII reads the same everywhere. One line: a title with a line
    break in it must not add a header of its own to the request.
    """
    return without_marks(one_line(text))


class IcecastOutput(Output):
    """Stream to Icecast at `url`, e.g. icecast://source:PASSWORD@127.0.0.1:8000/{zone}.mp3.

    `{zone}` in the URL becomes the ASCII slug of `zone` ("Khu phố 3" → khu-pho-3), so one
    URL setting gives every zone its mount. The password never appears in `name` nor in
    errors, nor in ffmpeg's arguments: the output opens the source connection itself.
    """

    name = "icecast"
    # Icecast drops a source that sends nothing for <source-timeout> (10 s by default) and
    # listeners drop a silent connection: the player opens this output early and feeds it
    # silence until the programme starts.
    keepalive: bool = True

    # How long open() waits for Icecast to accept the source before giving up; on loopback a
    # refused connection or a wrong password is known within milliseconds.
    connect_timeout_s: float = 1.5
    # How long one write may wait for ffmpeg to take audio. The pipe holds ~0.7 s of PCM, so
    # a write waits only once ffmpeg has stopped reading (its encoder or Icecast stalled).
    write_timeout_s: float = 1.0
    # How long close() lets ffmpeg finish the last frames before killing it.
    close_timeout_s: float = 5.0
    # Silence written by open(): ffmpeg connects to Icecast only after reading some input.
    prime_s: float = 0.2

    def __init__(
        self,
        url: str,
        clock: Clock,
        sample_rate: int = SAMPLE_RATE,
        bitrate_kbps: int = 64,
        zone: str = "",
    ) -> None:
        super().__init__(clock, sample_rate)
        if "{zone}" in url:
            if not zone:
                raise ValueError("the Icecast URL has {zone} but no zone name was given")
            url = url.replace("{zone}", slug(zone))
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "icecast" or not parts.hostname or parts.path in ("", "/"):
            raise ValueError(
                "the Icecast URL must look like icecast://source:PASSWORD@HOST:PORT/MOUNT"
            )
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        address = f"{host}:{parts.port or 8000}"
        self.zone = zone
        self.bitrate_kbps = bitrate_kbps
        self.mount = parts.path
        self.user = urllib.parse.unquote(parts.username or "source")
        self._password = urllib.parse.unquote(parts.password or "")
        self._server = (parts.hostname, parts.port or 8000)
        self._host_header = address
        self.name = f"icecast:{address}{self.mount}"
        self._proc: subprocess.Popen[bytes] | None = None
        self._stdin: int = -1
        self._stderr_lines: collections.deque[str] = collections.deque(maxlen=40)
        self._stderr_thread: threading.Thread | None = None
        self._connected = threading.Event()
        self._failed = False  # an OutputError was raised for this process: close() stays quiet

    # ------------------------------------------------------------------ the contract

    def open(self, label: str) -> None:
        """Start ffmpeg as the Icecast source and return once Icecast has accepted it."""
        if self._proc is not None:
            self._discard()  # a retry without close(): the old process must not linger
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is None:
            raise OutputError("ffmpeg not found: install Debian's ffmpeg package")
        station = _header_text(f"Loa Phường - {self.zone}" if self.zone else "Loa Phường")
        source = self._connect(station, _header_text(label))
        command = [
            ffmpeg, "-hide_banner", "-nostdin", "-nostats",
            # Every line tagged with its level, so errors can be told from chatter; info level
            # prints "Output #0, mp3, to 'pipe:N'" once ffmpeg has begun writing the stream.
            "-loglevel", "level+info",
            # Raw PCM needs no probing; without these ffmpeg would buffer before encoding.
            "-fflags", "nobuffer", "-probesize", "32", "-analyzeduration", "0",
            "-f", "s16le", "-ar", str(self.sample_rate), "-ac", "1", "-i", "pipe:0",
            "-c:a", "libmp3lame", "-b:a", f"{self.bitrate_kbps}k",
            # Send each MP3 frame (26 ms) as soon as it is encoded.
            "-flush_packets", "1",
            # A live stream has no start to tag: no ID3 tag, no Xing header (it would claim
            # a length, and ffmpeg could not seek back to fill it in).
            "-f", "mp3", "-id3v2_version", "0", "-write_xing", "0",
            # The connection Icecast accepted (see _connect), under its own descriptor number.
            f"pipe:{source.fileno()}",
        ]  # fmt: skip
        try:
            proc = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                bufsize=0,
                pass_fds=(source.fileno(),),
            )
        except OSError as exc:
            raise OutputError(f"cannot start ffmpeg for {self.name}: {exc}") from exc
        finally:
            # ffmpeg holds its own copy: when it exits, Icecast sees the source disconnect.
            source.close()
        assert proc.stdin is not None and proc.stderr is not None
        self._proc, self._failed = proc, False
        self._stdin = proc.stdin.fileno()
        # Non-blocking, so that _write can give up on a stalled ffmpeg instead of hanging.
        os.set_blocking(self._stdin, False)
        self._stderr_lines = collections.deque(maxlen=40)
        self._connected = threading.Event()
        self._stderr_thread = threading.Thread(
            target=self._read_stderr,
            args=(proc, self._stderr_lines, self._connected),
            name=f"ffmpeg-stderr {self.name}",
            daemon=True,
        )
        self._stderr_thread.start()
        try:
            silence = bytes(int(self.sample_rate * self.prime_s) * BYTES_PER_SAMPLE)
            self._write(silence)
            self._await_connection(proc)
        except OutputError:
            self._discard()
            raise

    def _write(self, chunk: bytes) -> None:
        """Hand PCM to ffmpeg; raise OutputError if it died or took nothing for a second."""
        if self._proc is None:
            raise OutputError(f"{self.name} written before open()")
        if self._failed:
            raise OutputError(f"{self.name} already failed: {self._reason()}")
        view = memoryview(chunk)
        deadline = time.monotonic() + self.write_timeout_s
        poller = select.poll()  # poll, not select: select breaks on descriptors above 1023
        poller.register(self._stdin, select.POLLOUT)
        while view:
            try:
                view = view[os.write(self._stdin, view) :]
                continue
            except BlockingIOError:
                pass  # the pipe is full: ffmpeg is behind
            except OSError as exc:  # BrokenPipeError: ffmpeg exited
                self._raise_stopped("stopped", exc)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._failed = True
                raise OutputError(
                    f"{self.name} stalled: ffmpeg took no audio for {self.write_timeout_s:g} s"
                    f"{self._reason_suffix()}"
                )
            # Wakes when there is room, or at once when ffmpeg exits (the write then fails).
            poller.poll(remaining * 1000)

    def _check(self) -> None:
        proc = self._proc  # read once: abort() in another thread may drop it
        if proc is None:
            raise OutputError(f"{self.name} is not open")
        if self._failed:
            raise OutputError(f"{self.name} already failed: {self._reason()}")
        if proc.poll() is not None:
            self._raise_stopped("stopped")

    def close(self) -> None:
        """End the stream: ffmpeg sends the last frames and disconnects from Icecast."""
        proc = self._proc
        if proc is None:
            return
        if self._failed:
            # Already reported by _write, _check or open(); ffmpeg may be dead or stuck, with
            # nothing worth flushing: end it without waiting, and do not raise twice (close()
            # usually runs in a finally block, where it would hide the first report).
            self._discard()
            return
        self._close_stdin(proc)
        try:
            proc.wait(timeout=self.close_timeout_s)
        except subprocess.TimeoutExpired:
            self._discard()
            raise OutputError(
                f"{self.name}: ffmpeg did not finish in {self.close_timeout_s:g} s"
            ) from None
        self._join_stderr()
        reason = self._reason()
        self._proc = None
        if proc.returncode:
            raise OutputError(f"{self.name}: ffmpeg exited {proc.returncode}: {reason}")

    def abort(self) -> None:
        """Kill ffmpeg at once, whatever state it is in."""
        self._failed = True
        self._discard()

    # ------------------------------------------------------------------ helpers

    def _connect(self, station: str, description: str) -> socket.socket:
        """Connect to Icecast as the mount's source and return the accepted connection.

        What ffmpeg's icecast:// does, in Python so that the password stays in this process:
        a PUT with Basic authentication and the stream's headers; Icecast answers 200 (or
        100 Continue) and then reads the MP3 from the same connection.
        """
        credentials = base64.b64encode(f"{self.user}:{self._password}".encode()).decode()
        mount = urllib.parse.quote(self.mount, safe="/%-._~!$&'()*+,;=:@")
        request = (
            f"PUT {mount} HTTP/1.1\r\n"
            f"Host: {self._host_header}\r\n"
            f"Authorization: Basic {credentials}\r\n"
            "User-Agent: Loa Phuong\r\n"
            "Content-Type: audio/mpeg\r\n"
            "Ice-Public: 0\r\n"
            f"Ice-Name: {station}\r\n"
            f"Ice-Description: {description}\r\n"
            "\r\n"
        ).encode("latin-1", errors="replace")
        try:
            sock = socket.create_connection(self._server, timeout=self.connect_timeout_s)
        except OSError as exc:
            raise OutputError(f"{self.name} could not start streaming: {exc}") from exc
        try:
            sock.sendall(request)
            status, reason = _read_status(sock)
        except OSError as exc:
            sock.close()
            raise OutputError(f"{self.name} could not start streaming: {exc}") from exc
        if status not in (100, 200):
            sock.close()
            known = _phrase(status)
            said = f"{status} {known}" + (f" ({reason})" if reason and reason != known else "")
            raise OutputError(f"{self.name} could not start streaming: Icecast answered {said}")
        sock.settimeout(None)  # ffmpeg writes to it blocking, as to any pipe
        return sock

    def _await_connection(self, proc: subprocess.Popen[bytes]) -> None:
        """Wait until ffmpeg reports its output open (Icecast said yes) or exits (it said no)."""
        deadline = time.monotonic() + self.connect_timeout_s
        while not self._connected.wait(0.02):
            if proc.poll() is not None:
                self._raise_stopped("could not start streaming")
            if time.monotonic() > deadline:
                self._failed = True
                raise OutputError(
                    f"{self.name}: Icecast did not accept the stream within "
                    f"{self.connect_timeout_s:g} s{self._reason_suffix()}"
                )

    def _raise_stopped(self, what: str, cause: BaseException | None = None) -> None:
        self._failed = True
        proc = self._proc  # abort() in another thread may have dropped it already
        if proc is not None:
            # Let ffmpeg finish dying and its last words reach the reader thread.
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=1)
        self._join_stderr()
        raise OutputError(f"{self.name} {what}: {self._reason()}") from cause

    @staticmethod
    def _read_stderr(
        proc: subprocess.Popen[bytes], lines: collections.deque[str], connected: threading.Event
    ) -> None:
        """Drain ffmpeg's stderr (a full pipe would block it), keeping the last lines."""
        assert proc.stderr is not None
        for raw in proc.stderr:
            line = raw.decode("utf-8", errors="replace").rstrip()
            lines.append(line)
            if "Output #0" in line:
                connected.set()

    def _join_stderr(self) -> None:
        if self._stderr_thread is not None:
            self._stderr_thread.join(timeout=1)

    def _reason(self) -> str:
        """ffmpeg's own words for what went wrong, without the password."""
        errors: list[str] = []
        for line in list(self._stderr_lines):
            match = _LOG_LINE.match(line)
            if match and match["level"] in ("error", "fatal", "panic"):
                text = match["text"].strip()
                if text and text not in errors:
                    errors.append(text)
        if errors:
            # The first error is the cause, the last what ffmpeg made of it; most failures
            # print only one or two. A broken pipe is a dropped connection: say so plainly.
            reason = errors[0] if len(errors) == 1 else f"{errors[0]}; {errors[-1]}"
            if "Broken pipe" in reason or "Connection reset" in reason:
                reason = f"Icecast closed the connection ({reason})"
        elif self._proc is not None and self._proc.returncode is not None:
            reason = f"ffmpeg exited {self._proc.returncode}"
        else:
            reason = "no reason given by ffmpeg"
        # ffmpeg never sees the password in the URL, but be sure it cannot leak. (A password
        # shorter than 4 characters is not scrubbed: that would mangle the whole message.)
        if len(self._password) >= 4:
            for form in (self._password, urllib.parse.quote(self._password, safe="")):
                reason = reason.replace(form, "***")
        return reason

    def _reason_suffix(self) -> str:
        reason = self._reason()
        return "" if reason == "no reason given by ffmpeg" else f": {reason}"

    def _close_stdin(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.stdin is not None:
            # OSError: ffmpeg already gone, with nothing left to flush.
            with contextlib.suppress(OSError):
                proc.stdin.close()
        self._stdin = -1

    def _discard(self) -> None:
        """Stop ffmpeg at once, whatever state it is in (also a stopped or stuck one)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        self._close_stdin(proc)
        if proc.poll() is None:
            proc.kill()  # SIGKILL also ends a process that is stopped (SIGSTOP)
        proc.wait()
        self._join_stderr()


def _read_status(sock: socket.socket) -> tuple[int, str]:
    """Read an HTTP response's head from Icecast; return its status code and reason."""
    head = b""
    while b"\r\n\r\n" not in head and b"\n\n" not in head:
        chunk = sock.recv(1024)
        if not chunk:
            raise ConnectionResetError("Icecast closed the connection without an answer")
        head += chunk
        if len(head) > 16384:
            raise ConnectionError("Icecast's answer has no end of headers")
    first = head.split(b"\n", 1)[0].decode("latin-1").strip()
    parts = first.split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise ConnectionError(f"not an HTTP answer from Icecast: {first[:80]!r}")
    return int(parts[1]), parts[2] if len(parts) > 2 else ""


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""
