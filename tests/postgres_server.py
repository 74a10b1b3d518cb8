"""A real PostgreSQL server for tests: Debian's binaries, a throwaway cluster, a loopback port.

`.ci/run` starts one before the tests and hands its address over in LOA_TEST_POSTGRES_URL
(`python -m tests.postgres_server --serve FILE` writes it to FILE and runs until killed);
without that variable the test session starts its own. Each test gets a database of its own,
made in a few milliseconds from a template the session migrated once.

PostgreSQL refuses to run as root: as root, the cluster belongs to Debian's `postgres` user
and its programs run as that user (runuser). Authentication is `trust` on 127.0.0.1 only, and
fsync is off: the cluster lives in a temporary folder and dies with the tests.
"""

from __future__ import annotations

import argparse
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

INSTALL_HINT = (
    "Debian's PostgreSQL server is not installed: run `bash scripts/install.sh --dev` "
    "(or `sudo apt-get install postgresql`)"
)
ADMIN_USER = "postgres"


class PostgresMissing(RuntimeError):
    """The PostgreSQL server programs are not installed."""


def find_bin() -> Path:
    """Return the folder of Debian's newest PostgreSQL server programs."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/postgres"),
        key=lambda path: int(Path(path).parent.parent.name),
    )
    if not found:
        raise PostgresMissing(INSTALL_HINT)
    return Path(found[-1]).parent


def free_port() -> int:
    """Return a loopback TCP port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _as_owner() -> dict[str, object]:
    """Return how to run the server's programs as the cluster's owner (root may not own it).

    The programs themselves switch user (no runuser wrapper), so a signal sent to the process
    reaches the server.
    """
    if os.geteuid() != 0:
        return {}
    owner = pwd.getpwnam(ADMIN_USER)
    return {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}


@dataclass
class PostgresServer:
    """One throwaway PostgreSQL cluster on 127.0.0.1."""

    port: int = field(default_factory=free_port)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="loa-pg-")))
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def admin_url(self) -> str:
        """Return the SQLAlchemy URL of the server's administration database."""
        return f"postgresql+psycopg://{ADMIN_USER}@127.0.0.1:{self.port}/postgres"

    @property
    def data(self) -> Path:
        return self.workdir / "data"

    def start(self, timeout: float = 60.0) -> None:
        """Create the cluster (the first time) and start the server; wait until it answers."""
        bin_dir = find_bin()
        if os.geteuid() == 0:
            owner = pwd.getpwnam(ADMIN_USER)
            os.chown(self.workdir, owner.pw_uid, owner.pw_gid)
        if not self.data.exists():
            subprocess.run(
                [str(bin_dir / "initdb"), "-D", str(self.data), "-U", ADMIN_USER,
                 "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
                check=True, capture_output=True, cwd=self.workdir, **_as_owner(),  # type: ignore[call-overload]
            )  # fmt: skip
        log = (self.workdir / "server.log").open("ab")
        self._proc = subprocess.Popen(  # type: ignore[call-overload]
            [str(bin_dir / "postgres"), "-D", str(self.data), "-p", str(self.port),
             "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.workdir}",
             "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
             "-c", "max_connections=300", "-c", "timezone=UTC"],
            stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir, **_as_owner(),
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.conninfo("postgres"), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if self._proc.poll() is not None or time.monotonic() > deadline:
                    log_text = (self.workdir / "server.log").read_text(errors="replace")
                    raise RuntimeError(f"PostgreSQL did not start:\n{log_text}") from None
                time.sleep(0.1)

    def conninfo(self, database: str) -> str:
        """Return a psycopg connection string for one database of this server."""
        return f"host=127.0.0.1 port={self.port} user={ADMIN_USER} dbname={database}"

    def stop(self) -> None:
        """Stop the server (fast shutdown); the cluster stays for start() again."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGINT)  # fast shutdown: no waiting for clients
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def cleanup(self) -> None:
        """Stop the server and remove the cluster."""
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


def _admin(admin_url: str) -> psycopg.Connection[tuple[object, ...]]:
    from sqlalchemy.engine import make_url

    url = make_url(admin_url)
    return psycopg.connect(
        host=url.host, port=url.port, user=url.username, password=url.password or None,
        dbname=url.database, autocommit=True,
    )  # fmt: skip


def database_url(admin_url: str, name: str) -> str:
    """Return the SQLAlchemy URL of another database on the same server."""
    from sqlalchemy.engine import make_url

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def create_database(admin_url: str, name: str, *, template: str | None = None) -> str:
    """Create a database (a copy of `template` when given); return its URL."""
    with _admin(admin_url) as connection:
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        connection.execute(statement)
    return database_url(admin_url, name)


def drop_database(admin_url: str, name: str) -> None:
    """Drop a database, whoever is still connected to it."""
    with _admin(admin_url) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def main() -> None:
    """Run a server until killed, writing its administration URL to a file (`.ci/run`)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", type=Path, required=True, help="file to write the URL to")
    args = parser.parse_args()
    try:
        server = PostgresServer()
        server.start()
    except PostgresMissing as exc:
        sys.exit(str(exc))
    stop = False

    def finish(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    args.serve.write_text(server.admin_url, encoding="utf-8")
    try:
        while not stop:
            time.sleep(0.2)
    finally:
        server.cleanup()


if __name__ == "__main__":
    main()
