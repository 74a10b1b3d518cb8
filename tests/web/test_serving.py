"""`loa serve` with web workers: pages served apart from the air, changes passed to the station.

The station runs in `loa serve`'s process; its pages come from worker processes
(web/serving.py). A change committed by a worker reaches the station at once (not at its next
minute), and the workers never outlive the station's process, even when it is killed.
"""

from __future__ import annotations

import json
import os
import socket
import time as _time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from playlists.accounts.roles import Role
from playlists.asrun.models import AirSource, AirStatus
from playlists.core.db import session_scope
from tests.people import token_for
from tests.scheduler.helpers import airlog, approved_bulletin, slot_in, wait_for
from tests.scheduler.test_processes import Server
from web.context import StationContext


def children(pid: int) -> list[int]:
    """Return the processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    return state != "Z"


def listening(port: int) -> bool:
    """Whether something accepts connections on the loopback `port`."""
    with socket.socket() as probe:
        try:
            probe.connect(("127.0.0.1", port))
        except ConnectionRefusedError:
            return False
    return True


@pytest.fixture
def server(ctx: StationContext, tmp_path: Path) -> Iterator[Server]:
    running = Server(ctx, tmp_path / "serve.log")
    running.wait_ready()
    yield running
    running.stop()


def operator_token(ctx: StationContext) -> str:
    with session_scope(ctx.sessions) as session:
        return token_for(session, "vanhanh", Role.OPERATOR)


def post_json(url: str, body: dict[str, object], token: str) -> dict[str, object]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as answer:
        data: dict[str, object] = json.load(answer)
        return data


def test_pages_come_from_worker_processes_that_die_with_the_station(server: Server) -> None:
    workers = children(server.process.pid)
    assert len(workers) == 2, "LOA_WEB_WORKERS defaults to two"
    for _ in range(10):
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/", timeout=10) as page:
            assert page.status == 200
    server.kill()  # kill -9: no chance to stop its workers itself
    deadline = _time.monotonic() + 10
    while any(alive(pid) for pid in workers):
        assert _time.monotonic() < deadline, "a web worker outlived the station's process"
        _time.sleep(0.1)
    # The kernel may release the socket a moment after its last holder is gone (seen under
    # gVisor): what matters is that it goes, so that the next start can bind the port.
    while listening(server.port):
        assert _time.monotonic() < deadline, "the port stayed open after the workers died"
        _time.sleep(0.1)


def test_a_slot_added_on_a_page_is_scheduled_by_the_station_at_once(
    ctx: StationContext, server: Server
) -> None:
    start = (ctx.now() + timedelta(hours=2)).astimezone(ctx.settings.zone)
    if start.date() != ctx.today():
        pytest.skip("two hours from now is tomorrow: the slot would not be in today's plan")
    zone_id, _slot, _start = slot_in(ctx, 3 * 3600, "Có sẵn")  # a zone to add the slot to
    approved_bulletin(ctx, zone_id, "Bản tin cho khung giờ mới.", per_day=2)
    base = f"http://127.0.0.1:{server.port}"
    form = urllib.parse.urlencode(
        {"name": "Chiều mới", "start": f"{start:%H:%M}", "minutes": "30",
         "days": list("1234567"), "zone_names": "Cụm Có sẵn"},
        doseq=True,
    )  # fmt: skip
    request = urllib.request.Request(
        f"{base}/khung-gio/them", data=form.encode(),
        headers={"Authorization": f"Bearer {operator_token(ctx)}"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as page:
        assert "Đã thêm khung giờ." in page.read().decode()

    def scheduled() -> bool:
        with session_scope(ctx.sessions) as session:
            ids = session.execute(text("SELECT id FROM apscheduler_jobs")).scalars().all()
        return any(i.startswith(f"air:{ctx.today().isoformat()}:") for i in ids)

    # Well within the minute after which the station would have reconciled by itself.
    deadline = _time.monotonic() + 10
    while not scheduled():
        assert _time.monotonic() < deadline, "the station did not hear of the new slot"
        _time.sleep(0.2)


def test_an_emergency_sent_through_a_worker_airs_at_once(
    ctx: StationContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    zone_id, _slot, _start = slot_in(ctx, 3600, "Tối")
    token = operator_token(ctx)
    server = Server(ctx, tmp_path / "serve.log")
    try:
        server.wait_ready()
        sent = post_json(
            f"http://127.0.0.1:{server.port}/api/emergencies",
            {"text": "Thông báo khẩn: mất nước.", "requested_by": "Trực ban",
             "zone_ids": [zone_id]},
            token,
        )  # fmt: skip
        wait_for(lambda: len(airlog(ctx)) == 1, timeout=30)
    finally:
        server.stop()
    (row,) = airlog(ctx)
    assert sent["status"] == "pending"
    assert (row.source, row.status) == (AirSource.EMERGENCY, AirStatus.PLAYED)
    assert row.actual_start is not None
    requested = datetime.fromisoformat(str(sent["created_at"]))
    delay = (row.actual_start - requested).total_seconds()
    assert 0 <= delay < 5.0, f"aired {delay:.2f} s after the request"
