"""One scheduler per station: a lock that a second process cannot take, freed when we die.

On SQLite the lock is an flock on a file in the data folder; on PostgreSQL a session advisory
lock. Both are released by the operating system or the server when the process ends, even by
kill -9, so a crash never leaves the station locked out.
"""

from __future__ import annotations

import fcntl
import os
import threading
import zlib
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.pool import NullPool

from playlists.core.db import schema_of

# Any constant: with a ward's key, it names "the scheduler of this ward of this database"
# among PostgreSQL advisory locks.
ADVISORY_KEY = 0x4C4F4150  # "LOAP"


def ward_key(schema: str | None) -> int:
    """The second half of a ward's advisory lock: 0 for the home ward."""
    return zlib.crc32(schema.encode()) & 0x7FFFFFFF if schema else 0


class StationBusy(Exception):
    """Another process already runs this station's scheduler."""

    def __init__(self, holder: str) -> None:
        super().__init__(
            f"Đài này đã có bộ lập lịch đang chạy ({holder}). Mỗi đài chỉ chạy một bộ lập lịch, "
            "để không khung giờ nào bị phát hai lần; hãy dừng tiến trình kia trước."
        )
        self.holder = holder


class StationLock:
    """Hold the station's scheduler lock for as long as the process runs the scheduler."""

    def __init__(self, engine: Engine, data_dir: Path) -> None:
        self.engine = engine
        # Next to the database file: two data folders pointing at one database share it.
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        if database and database != ":memory:":
            self.path = Path(f"{database}.scheduler.lock")
        else:
            self.path = data_dir / "scheduler.lock"
        # Wards sharing one database each have their own lock; the home ward's is 0.
        self.ward_key = ward_key(schema_of(engine))
        self._also: set[int] = set()  # other wards' locks held on the same connection
        self._asking = threading.Lock()  # one question at a time on that connection
        self._file: IO[str] | None = None
        self._connection: Connection | None = None

    @property
    def held(self) -> bool:
        return self._file is not None or self._connection is not None

    def acquire(self) -> None:
        """Take the lock or raise StationBusy naming who holds it."""
        if self.held:
            return
        if self.engine.dialect.name == "postgresql":
            # A connection of its own, outside the pool: closing it really ends the session
            # (and its lock), and the pool never hands it to anyone else.
            connection = create_engine(self.engine.url, poolclass=NullPool).connect()
            taken = connection.execute(
                text("SELECT pg_try_advisory_lock(:k, :ward)"),
                {"k": ADVISORY_KEY, "ward": self.ward_key},
            )
            if not taken.scalar():
                connection.close()
                raise StationBusy("một tiến trình khác trên cơ sở dữ liệu PostgreSQL này")
            connection.commit()
            self._connection = connection
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise StationBusy(f"tiến trình {holder}") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def hold_ward(self, schema: str | None) -> bool:
        """Also hold another ward's lock (a city's server serving it); False when another
        process holds it (that ward's own station). PostgreSQL only, once this lock is held."""
        key = ward_key(schema)
        with self._asking:
            if key == self.ward_key or key in self._also:
                return True
            if self._connection is None:
                return False
            taken = self._connection.execute(
                text("SELECT pg_try_advisory_lock(:k, :ward)"), {"k": ADVISORY_KEY, "ward": key}
            ).scalar()
            self._connection.commit()
            if taken:
                self._also.add(key)
            return bool(taken)

    def release(self) -> None:
        """Let another process run the scheduler."""
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        if self._connection is not None:
            self._connection.close()  # ends the session, which frees its advisory locks
            self._connection = None
            self._also.clear()
