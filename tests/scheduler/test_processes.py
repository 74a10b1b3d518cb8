"""The station as separate processes: `loa serve` killed with -9 and restarted, a second server
refused, `loa emergency` reaching the running server or airing on its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time as _time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from playlists.accounts.roles import Role
from playlists.asrun import ledger
from playlists.asrun.models import AirSource, AirStatus
from playlists.core.db import session_scope
from playlists.emergencies.models import Emergency
from tests.icecast_server import free_port
from tests.people import add_person
from tests.scheduler.helpers import airlog, approved_bulletin, slot_in, wait_for
from tests.scheduler.test_onair import LONG_TEXT
from web.context import StationContext

LOA = str(Path(sys.executable).parent / "loa")


def environment(ctx: StationContext) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("LOA_")} | {
        "LOA_DATA_DIR": str(ctx.settings.data_dir),
        "LOA_TTS_ENGINES": "offline",
        "LOA_OUTPUT": "file",
        "LOA_PREPARE_LEAD_S": "3",
    }


def operator(ctx: StationContext) -> list[str]:
    """Add an operator to the station; return the `--by` naming them."""
    with session_scope(ctx.sessions) as session:
        add_person(session, "vanhanh", Role.OPERATOR)
    return ["--by", "vanhanh"]


class Server:
    """`loa serve` in its own process, as a station runs it."""

    def __init__(self, ctx: StationContext, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.process = subprocess.Popen(
            [LOA, "serve", "--port", str(self.port)],
            env=environment(ctx),
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = _time.monotonic() + timeout
        while _time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=2):
                    return
            except OSError:
                _time.sleep(0.2)
        raise AssertionError("server did not come up:\n" + self.log.read_text())

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def on_air(ctx: StationContext) -> bool:
    return any('"event": "start"' in p.read_text() for p in ctx.settings.onair_dir.glob("*.jsonl"))


def test_killed_mid_bulletin_the_restart_logs_it_partial_and_resumes_the_slot(
    ctx: StationContext, servers: list[Server], tmp_path: Path
) -> None:
    zone_id, _slot_id, start = slot_in(ctx, 12, length_s=120)
    first = approved_bulletin(ctx, zone_id, LONG_TEXT)
    second = approved_bulletin(ctx, zone_id, "Bản tin thứ hai sau bản tin bị ngắt.")
    ctx.station.build_plan(start.astimezone(ctx.settings.zone).date(), reconcile=False)

    servers.append(Server(ctx, tmp_path / "first.log"))
    servers[0].wait_ready()
    # A second server for the same station is refused before it can air anything.
    second_server = subprocess.run(
        [LOA, "serve", "--port", str(free_port())], env=environment(ctx),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert second_server.returncode == 2
    assert "đã có bộ lập lịch đang chạy" in second_server.stderr

    wait_for(lambda: on_air(ctx), timeout=60)
    _time.sleep(3.0)
    servers[0].kill()
    assert airlog(ctx) == [], "nothing was logged before the crash"

    servers.append(Server(ctx, tmp_path / "second.log"))
    servers[1].wait_ready()
    wait_for(lambda: len(airlog(ctx)) == 3, timeout=120)
    servers[1].stop()

    cut, again, after = airlog(ctx)
    assert (cut.bulletin_id, cut.status) == (first, AirStatus.PARTIAL)
    assert "dừng đột ngột" in cut.reason
    # The journal ticks every second: what aired is known to within a second.
    assert 1.5 <= cut.aired_s <= 10.0, f"logged {cut.aired_s:.1f} s aired before the kill"
    assert (again.bulletin_id, again.status) == (first, AirStatus.PLAYED)
    assert (after.bulletin_id, after.status) == (second, AirStatus.PLAYED)
    assert again.actual_start is not None and cut.actual_start is not None
    assert again.actual_start > cut.actual_start
    with session_scope(ctx.sessions) as session:
        assert ledger.verify(session).ok
    assert list(ctx.settings.onair_dir.glob("*.jsonl")) == [], "journals cleaned up"


def test_loa_emergency_reaches_the_running_server_within_two_seconds(
    ctx: StationContext, servers: list[Server], tmp_path: Path
) -> None:
    slot_in(ctx, 3600, "Tối")
    servers.append(Server(ctx, tmp_path / "server.log"))
    servers[0].wait_ready()
    sent = subprocess.run(
        [LOA, "emergency", "--text", "Khẩn cấp: mất điện toàn phường từ 14 giờ.",
         "--zone", "Cụm Tối", *operator(ctx)],
        env=environment(ctx), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    assert "đài phát ngay" in sent.stdout
    wait_for(lambda: len(airlog(ctx)) == 1, timeout=30)
    (row,) = airlog(ctx)
    with session_scope(ctx.sessions) as session:
        (request,) = session.scalars(select(Emergency))
    assert row.source == AirSource.EMERGENCY and row.status == AirStatus.PLAYED
    assert row.actual_start is not None
    delay = (row.actual_start - request.created_at).total_seconds()
    # Picked up by the running server without waiting for anything slow (bench: the figure).
    assert 0 <= delay < 5.0, f"aired {delay:.2f} s after the request"


def test_loa_emergency_airs_by_itself_when_no_station_runs(ctx: StationContext) -> None:
    slot_in(ctx, 3600, "Tối")
    done = subprocess.run(
        [LOA, "emergency", "--text", "Thông báo khẩn.", "--repeat", "1", *operator(ctx)],
        env=environment(ctx), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Đã phát 1/1 lần" in done.stdout
    (row,) = airlog(ctx)
    assert row.source == AirSource.EMERGENCY and row.status == AirStatus.PLAYED


def test_loa_emergency_refuses_bad_requests_in_vietnamese(ctx: StationContext) -> None:
    slot_in(ctx, 3600, "Tối")
    both = subprocess.run(
        [LOA, "emergency", "--text", "A", "--file", "x.wav"],
        env=environment(ctx), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert both.returncode == 2 and "đúng một trong hai" in both.stderr
    unknown = subprocess.run(
        [LOA, "emergency", "--text", "A", "--zone", "Không có", *operator(ctx)],
        env=environment(ctx), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert unknown.returncode == 2 and "Không có" in unknown.stderr
    assert airlog(ctx) == []
