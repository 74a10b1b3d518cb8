"""Commands that only read or edit data import only what they use and start no thread.

Run in a fresh interpreter each, as `loa` is: what a command imports and starts is what a
person waits for. (How long they take is measured, not asserted: see the notes of issue 9.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from playlists.accounts.roles import Role
from playlists.core.db import session_scope
from tests.people import add_person
from web.context import StationContext

# Runs `loa ARGS` in this interpreter, then reports what it imported and which threads run.
PROBE = """
import json, sys, threading
from web.cli import main
OURS = ("scheduler.", "web.", "playlists.", "audio.")
sys.argv = ["loa", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit as stop:
    code = stop.code or 0
report = {
    "code": code,
    "threads": sorted(t.name for t in threading.enumerate()),
    "modules": sorted(m for m in sys.modules if "." not in m or m.startswith(OURS)),
}
print("\\nPROBE " + json.dumps(report), file=sys.stderr)
"""

HEAVY = {"numpy", "scipy", "pydub", "fastapi", "uvicorn", "apscheduler", "gtts", "holidays"}


def probe(env: dict[str, str], *args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(list(args))],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    line = next(x for x in done.stderr.splitlines() if x.startswith("PROBE "))
    report: dict[str, object] = json.loads(line.removeprefix("PROBE "))
    report["stdout"] = done.stdout
    return report


def environment(data: Path) -> dict[str, str]:
    return os.environ | {"LOA_DATA_DIR": str(data), "LOA_TTS_ENGINES": "offline"}


def test_help_imports_neither_the_database_nor_the_audio(tmp_path: Path) -> None:
    report = probe(environment(tmp_path), "--help")
    assert report["code"] == 0
    modules = set(report["modules"])  # type: ignore[arg-type]
    assert "zone" in str(report["stdout"]) and "serve" in str(report["stdout"])
    assert not modules & (HEAVY | {"sqlalchemy", "pydantic", "alembic"}), modules & HEAVY
    assert report["threads"] == ["MainThread"]


def test_reading_zones_starts_no_scheduler_and_no_thread(ctx: StationContext) -> None:
    report = probe(environment(ctx.settings.data_dir), "zone", "list")
    assert report["code"] == 0
    modules = set(report["modules"])  # type: ignore[arg-type]
    assert not modules & HEAVY, modules & HEAVY
    assert not {m for m in modules if m.startswith("scheduler.")} - {"scheduler.settings"}
    assert report["threads"] == ["MainThread"], "no scheduler, recorder or output thread"


def test_editing_a_zone_starts_no_thread_either(ctx: StationContext) -> None:
    with session_scope(ctx.sessions) as session:
        add_person(session, "vanhanh", Role.OPERATOR)
    report = probe(environment(ctx.settings.data_dir), "zone", "add", "Chợ Hôm", "--by", "vanhanh")
    assert report["code"] == 0 and "Đã thêm cụm loa Chợ Hôm" in str(report["stdout"])
    assert report["threads"] == ["MainThread"]
    assert "apscheduler" not in set(report["modules"])  # type: ignore[arg-type]


def test_listing_users_starts_no_thread_either(ctx: StationContext) -> None:
    with session_scope(ctx.sessions) as session:
        add_person(session, "quantri", Role.ADMIN)
    report = probe(environment(ctx.settings.data_dir), "user", "list")
    assert report["code"] == 0 and "quantri" in str(report["stdout"])
    assert report["threads"] == ["MainThread"]
    assert not set(report["modules"]) & HEAVY  # type: ignore[arg-type]
