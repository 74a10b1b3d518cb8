"""A real Icecast server for tests, and a listener that records what it streams.

Debian's icecast2 runs on a free loopback port with its own temporary configuration, so tests
never touch a system-wide Icecast (which, once configured, listens on port 8000). Its logs go
to stderr ("-" in <logging>), captured in a file we opened ourselves: as root, icecast2 must
drop to nobody:nogroup, and a file it opens after that could not live in a private folder.
"""

from __future__ import annotations

import grp
import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

INSTALL_HINT = (
    "Debian's icecast2 is not installed: run `bash scripts/install.sh --dev` "
    "(or `sudo apt-get install icecast2`)"
)
DEBIAN_WEB = Path("/usr/share/icecast2/web")
DEBIAN_ADMIN = Path("/usr/share/icecast2/admin")


class IcecastMissing(RuntimeError):
    """The icecast2 program is not installed."""


def find_icecast() -> str:
    """Return the icecast2 program, or raise IcecastMissing with how to install it."""
    program = shutil.which("icecast2") or shutil.which("icecast")
    if program is None:
        raise IcecastMissing(INSTALL_HINT)
    return program


def free_port() -> int:
    """Return a loopback TCP port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _unprivileged_owner() -> tuple[str, str, int, int]:
    """Return the user and group icecast2 drops to when started as root."""
    user = pwd.getpwnam("nobody")
    for group_name in ("nogroup", "nobody"):  # Debian says nogroup; other systems nobody
        try:
            group = grp.getgrnam(group_name)
        except KeyError:
            continue
        return user.pw_name, group.gr_name, user.pw_uid, group.gr_gid
    return user.pw_name, user.pw_name, user.pw_uid, user.pw_gid


@dataclass
class IcecastServer:
    """One icecast2 process on 127.0.0.1; stop() and start() again keep the same port."""

    source_password: str = "src-Pa55word"
    admin_password: str = "adm-Pa55word"
    host: str = "127.0.0.1"
    port: int = field(default_factory=free_port)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="loa-icecast-")))
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _log: IO[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def config_path(self) -> Path:
        return self.workdir / "icecast.xml"

    @property
    def log_path(self) -> Path:
        return self.workdir / "icecast.log"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def url(self, mount: str) -> str:
        """The source URL IcecastOutput takes: icecast://source:PASSWORD@HOST:PORT/MOUNT."""
        return f"icecast://source:{self.source_password}@{self.host}:{self.port}/{mount}"

    def listen_url(self, mount: str) -> str:
        """The URL a listener plays: http://HOST:PORT/MOUNT."""
        return f"http://{self.host}:{self.port}/{mount}"

    def _write_config(self) -> None:
        logdir = self.workdir / "log"
        logdir.mkdir(exist_ok=True)
        security = ""
        if os.geteuid() == 0:
            # icecast2 refuses to run as root without <changeowner>; the user it becomes must
            # reach the folder (mkdtemp makes it 0700) and could write logs in logdir.
            user, group, uid, gid = _unprivileged_owner()
            security = (
                "<security><chroot>0</chroot><changeowner>"
                f"<user>{user}</user><group>{group}</group>"
                "</changeowner></security>"
            )
            self.workdir.chmod(0o755)
            os.chown(logdir, uid, gid)
        self.config_path.write_text(
            f"""<icecast>
  <hostname>{self.host}</hostname>
  <limits>
    <clients>50</clients>
    <sources>20</sources>
    <source-timeout>10</source-timeout>
  </limits>
  <authentication>
    <source-password>{escape(self.source_password)}</source-password>
    <relay-password>{escape(self.admin_password)}</relay-password>
    <admin-user>admin</admin-user>
    <admin-password>{escape(self.admin_password)}</admin-password>
  </authentication>
  <listen-socket>
    <port>{self.port}</port>
    <bind-address>{self.host}</bind-address>
  </listen-socket>
  <fileserve>1</fileserve>
  <paths>
    <basedir>{self.workdir}</basedir>
    <logdir>{logdir}</logdir>
    <webroot>{DEBIAN_WEB}</webroot>
    <adminroot>{DEBIAN_ADMIN}</adminroot>
  </paths>
  <logging>
    <errorlog>-</errorlog>
    <accesslog>-</accesslog>
    <loglevel>3</loglevel>
  </logging>
  {security}
</icecast>
""",
            encoding="utf-8",
        )

    def start(self, timeout_s: float = 10.0) -> None:
        """Start icecast2 and return once it answers HTTP; raise RuntimeError if it cannot."""
        if self.running:
            return
        program = find_icecast()
        self._write_config()
        self._log = self.log_path.open("ab")
        # Foreground (no -b) so that stop() owns the process; logs go to our file.
        self._proc = subprocess.Popen(
            [program, "-c", str(self.config_path)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._close_log()
                raise RuntimeError(f"icecast2 exited at start:\n{self.log_tail()}")
            try:
                # Just after start, Icecast answers before it has filled in its stats (the
                # JSON is then malformed): ready means the server's own id is there.
                if "server_id" in self.status():
                    return
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"icecast2 did not answer within {timeout_s} s:\n{self.log_tail()}")

    def stop(self, *, graceful: bool = True) -> None:
        """Stop icecast2 (its sources and listeners are disconnected); start() brings it back.

        Graceful is SIGTERM, which icecast2 takes about a second to obey; otherwise SIGKILL, a
        crash, which its clients see the same way (the kernel closes the connections).
        """
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM if graceful else signal.SIGKILL)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._close_log()

    def cleanup(self) -> None:
        """Stop at once and remove the temporary folder."""
        self.stop(graceful=False)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def status(self) -> dict[str, Any]:
        """Return /status-json.xsl's "icestats" (raise OSError if the server does not answer)."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=2)
        try:
            conn.request("GET", "/status-json.xsl")
            response = conn.getresponse()
            body = response.read()
        finally:
            conn.close()
        if response.status != 200:
            raise OSError(f"status page answered {response.status}")
        stats: dict[str, Any] = json.loads(body)["icestats"]
        return stats

    def mounts(self) -> list[str]:
        """Return the mounts that have a source connected, e.g. ["phuong-1.mp3"]."""
        sources = self.status().get("source", [])
        if isinstance(sources, dict):  # Icecast 2.4 gives an object for one source, a list else
            sources = [sources]
        return [str(source["listenurl"]).rsplit("/", 1)[-1] for source in sources]


class Listener:
    """A listener recording a mount in a background thread, like a radio app would.

    It retries while the mount does not exist yet (404: no source connected) and stops after
    `seconds`, or when Icecast ends the stream (the source disconnected).
    """

    def __init__(self, url: str, seconds: float, connect_timeout_s: float = 5.0) -> None:
        self.url = url
        self.seconds = seconds
        self.connect_timeout_s = connect_timeout_s
        self.chunks: list[tuple[float, bytes]] = []  # (time.monotonic() at arrival, bytes)
        self.connected_at: float | None = None
        self.content_type = ""
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="icecast-listener", daemon=True)

    def start(self) -> Listener:
        self._thread.start()
        return self

    def wait(self, timeout_s: float | None = None) -> bytes:
        """Wait for the recording to end and return the MP3 bytes received."""
        if timeout_s is None:
            timeout_s = self.seconds + self.connect_timeout_s + 5
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            raise TimeoutError(f"listener on {self.url} did not finish")
        if self.error is not None and not self.chunks:
            raise self.error
        return self.data

    @property
    def data(self) -> bytes:
        return b"".join(chunk for _, chunk in self.chunks)

    def _run(self) -> None:
        try:
            self._record()
        except BaseException as exc:  # handed to wait(); a thread must not die silently
            self.error = exc

    def _record(self) -> None:
        parts = urllib.parse.urlsplit(self.url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        deadline = time.monotonic() + self.connect_timeout_s
        while True:
            conn = http.client.HTTPConnection(host, port, timeout=2)
            conn.request("GET", parts.path, headers={"Icy-MetaData": "0"})
            response = conn.getresponse()
            if response.status == 200:
                break
            response.read()
            conn.close()
            if time.monotonic() > deadline:
                raise OSError(f"{self.url} answered {response.status} {response.reason}")
            time.sleep(0.05)
        self.connected_at = time.monotonic()
        self.content_type = response.getheader("Content-Type", "")
        end = self.connected_at + self.seconds
        try:
            while time.monotonic() < end:
                try:
                    chunk = response.read1(4096)
                except TimeoutError:
                    continue  # nothing for 2 s: keep listening until the end
                if not chunk:
                    return  # the server ended the stream
                self.chunks.append((time.monotonic(), chunk))
        finally:
            conn.close()


def read_stream(url: str, seconds: float, connect_timeout_s: float = 5.0) -> bytes:
    """Listen to `url` for `seconds` (less if the stream ends) and return the MP3 bytes."""
    return Listener(url, seconds, connect_timeout_s).start().wait()
