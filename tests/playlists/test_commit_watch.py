"""The cheap look that spares the emergency desk an empty query four times a second."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from playlists.core.db import CommitWatch, make_engine

ANOTHER_PROCESS = (
    "import sqlite3, sys\n"
    "db = sqlite3.connect(sys.argv[1])\n"
    "db.execute('INSERT INTO requests VALUES (2)')\n"
    "db.commit()\n"
)


def test_it_sees_each_commit_of_another_connection_or_process_and_nothing_else(
    tmp_path: Path,
) -> None:
    path = tmp_path / "loa.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE requests (id INTEGER)"))
    watch = CommitWatch(engine)
    try:
        assert watch.changed(), "the first look always looks"
        assert not watch.changed()
        with engine.begin() as conn:  # this process, another connection (the web's, a job's)
            conn.execute(text("INSERT INTO requests VALUES (1)"))
        assert watch.changed()
        assert not watch.changed()
        subprocess.run([sys.executable, "-c", ANOTHER_PROCESS, str(path)], check=True)
        assert watch.changed(), "`loa emergency` writes from a process of its own"
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM requests")).scalar() == 2
        assert not watch.changed(), "a read is no change"
        with engine.begin() as conn:  # rolled back: nothing to look at
            conn.execute(text("INSERT INTO requests VALUES (3)"))
            conn.rollback()
        assert not watch.changed()
    finally:
        watch.close()
        engine.dispose()


def test_where_it_cannot_tell_it_always_says_look() -> None:
    watch = CommitWatch(make_engine("sqlite://"))
    assert watch.changed() and watch.changed()
