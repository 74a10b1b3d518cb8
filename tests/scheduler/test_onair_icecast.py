"""The station on a real icecast2: a mount that stays up between slots, and a server that dies."""

from __future__ import annotations

import subprocess
import time as _time

import numpy
from sqlalchemy import select

from playlists.alerts.models import Alert, AlertKind
from playlists.asrun.models import AirStatus
from playlists.core.db import session_scope
from tests.icecast_server import IcecastServer, Listener
from tests.scheduler.helpers import airlog, approved_bulletin, slot_in, wait_for
from tests.scheduler.test_onair import MEDIUM_TEXT, station_for
from web.context import StationContext


def decoded_levels(mp3: bytes, window_s: float = 0.5) -> list[float]:
    """Decode what a listener received and return the RMS level of each half second."""
    pcm = subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "mp3", "-i", "pipe:0",
         "-ac", "1", "-ar", "22050", "-f", "s16le", "pipe:1"],
        input=mp3, capture_output=True, check=True,
    ).stdout  # fmt: skip
    samples = numpy.frombuffer(pcm, dtype="<i2").astype(float)
    step = int(22050 * window_s)
    return [
        float(numpy.sqrt(numpy.mean(samples[i : i + step] ** 2)))
        for i in range(0, len(samples) - step + 1, step)
    ]


def test_the_zone_mount_is_up_before_the_slot_and_listeners_hear_it(
    ctx: StationContext, icecast: IcecastServer
) -> None:
    zone_id, _slot_id, start = slot_in(ctx, 6, "Phố 3")
    bulletin = approved_bulletin(ctx, zone_id, "Kính thưa bà con, phường thông báo lịch họp.")
    station = station_for(ctx, icecast_url=icecast.url("{zone}.mp3"))
    station.build_plan(start.astimezone(ctx.settings.zone).date(), reconcile=False)
    station.start()
    try:
        # The mount exists from start-up: a loudspeaker can connect before the slot.
        listener = Listener(icecast.listen_url("cum-pho-3.mp3"), seconds=14).start()
        wait_for(lambda: len(airlog(ctx)) == 2, timeout=60)
        mp3 = listener.wait()
    finally:
        station.shutdown()

    rows = {r.output.split(":")[0]: r for r in airlog(ctx)}
    assert set(rows) == {"file", "icecast"}
    assert all(r.bulletin_id == bulletin and r.status == AirStatus.PLAYED for r in rows.values())
    ice = rows["icecast"]
    assert ice.actual_start is not None and ice.scheduled_start is not None
    assert 0 <= (ice.actual_start - ice.scheduled_start).total_seconds() < 1.0
    assert listener.connected_at is not None
    levels = decoded_levels(mp3)
    # One stream: silence before the slot, the bulletin, silence again; never cut off.
    assert len(levels) >= 2 * 12, "the listener stayed connected for the whole time"
    assert levels[0] < 50, "silence before the slot"
    assert max(levels) > 1000, "the bulletin was heard"
    assert levels[-1] < 50, "silence after it"


def test_icecast_down_mid_slot_is_retried_logged_and_alerted(
    ctx: StationContext, icecast: IcecastServer
) -> None:
    zone_id, _slot_id, start = slot_in(ctx, 5, "Phố 4", length_s=60)
    first = approved_bulletin(ctx, zone_id, MEDIUM_TEXT)
    second = approved_bulletin(ctx, zone_id, "Bản tin thứ hai, khi máy chủ đã chạy lại.")
    station = station_for(ctx, icecast_url=icecast.url("{zone}.mp3"), output_retry_s=0.5)
    station.build_plan(start.astimezone(ctx.settings.zone).date(), reconcile=False)
    station.start()
    try:
        _time.sleep(max(0.0, (start - ctx.now()).total_seconds()) + 1.5)
        icecast.stop(graceful=False)  # the server dies in the middle of the first bulletin
        _time.sleep(1.5)
        icecast.start()
        wait_for(lambda: len(airlog(ctx)) == 4, timeout=90)
    finally:
        station.shutdown()

    rows = airlog(ctx)
    # The longer bulletin is the one on air when the server dies, whichever order it has.
    assert {r.bulletin_id for r in rows} == {first, second}
    by = {(r.bulletin_id, r.output.split(":")[0]): r for r in rows}
    assert by[(first, "file")].status == AirStatus.PLAYED, "the file output went on"
    assert by[(second, "file")].status == AirStatus.PLAYED
    aired_first = min(rows, key=lambda r: r.actual_start or r.created_at).bulletin_id
    aired_next = second if aired_first == first else first
    cut = by[(aired_first, "icecast")]
    assert cut.status == AirStatus.PARTIAL and cut.reason
    assert by[(aired_next, "icecast")].status == AirStatus.PLAYED, "reopened and back on air"
    with session_scope(ctx.sessions) as session:
        problems = session.scalars(select(Alert).where(Alert.kind == AlertKind.OUTPUT)).all()
    assert problems and "icecast" in problems[0].message
