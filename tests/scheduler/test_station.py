"""The station's clockwork with the real APScheduler, real audio and the file output."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from sqlalchemy import select

from audio.sound.files import decode_pcm
from playlists.asrun.models import AirSource, AirStatus
from playlists.core.db import session_scope
from playlists.planning.models import DayPlan, PlanItem
from playlists.slots.models import Slot
from scheduler.playout.programs import load_slot_programs
from scheduler.station import Station
from tests.scheduler.helpers import airlog, approved_bulletin, slot_in, wait_for
from web.context import StationContext


def test_the_real_scheduler_airs_a_planned_slot_and_logs_what_it_measured(
    ctx: StationContext,
) -> None:
    settings = ctx.settings.model_copy(update={"prepare_lead_s": 2.0})
    station = Station(settings=settings, session_factory=ctx.sessions, clock=ctx.clock)
    zone_id, slot_id, start = slot_in(ctx, 6)
    first = approved_bulletin(ctx, zone_id, "Kính thưa bà con, UBND phường thông báo.")
    second = approved_bulletin(ctx, zone_id, "Hạn nộp hồ sơ là ngày 15/12/2026.")
    day = start.astimezone(settings.zone).date()
    station.build_plan(day, reconcile=False)
    station.start()
    try:
        assert f"air:{day.isoformat()}:{slot_id}" in station.air_jobs()
        wait_for(lambda: len(airlog(ctx)) == 2)
    finally:
        station.shutdown()

    rows = airlog(ctx)
    assert [r.bulletin_id for r in rows] == [first, second]
    assert all(r.status == AirStatus.PLAYED and r.source == AirSource.SCHEDULE for r in rows)
    assert rows[0].actual_start is not None and rows[0].actual_start >= start
    with session_scope(ctx.sessions) as session:
        files = [
            settings.media_dir / i.rendering.file
            for i in session.scalars(
                select(PlanItem).where(PlanItem.day == day).order_by(PlanItem.position)
            )
        ]
    for row, path in zip(rows, files, strict=True):
        decoded_s = len(decode_pcm(path)) / (2 * 44100)
        assert row.aired_s >= decoded_s - 0.01, "the log holds the measured airtime"
        assert row.scheduled_start is not None
    # The station kept what aired as Opus (scheduler/archive.py) once the programme ended.
    assert list(settings.aired_dir.rglob("*.wav")) == []
    assert len(list(settings.aired_dir.rglob("*.opus"))) == 1


def test_a_scheduled_slot_is_never_aired_twice(ctx: StationContext) -> None:
    zone_id, slot_id, start = slot_in(ctx, 120)
    approved_bulletin(ctx, zone_id, "Một bản tin ngắn.")
    station = Station(settings=ctx.settings, session_factory=ctx.sessions, clock=ctx.clock)
    day = start.astimezone(ctx.settings.zone).date()
    station.build_plan(day, reconcile=False)
    # Aired a little early (as a job fired late would be), so the test need not wait 2 minutes.
    assert len(station.air_slot(day, slot_id, start=ctx.now())) == 1
    assert station.air_slot(day, slot_id) == []
    # A fresh process (empty memory) still refuses: the as-run log is the guard.
    again = Station(settings=ctx.settings, session_factory=ctx.sessions, clock=ctx.clock)
    assert again.air_slot(day, slot_id) == []
    assert len(airlog(ctx)) == 1


def test_jobs_follow_the_stored_plan(ctx: StationContext) -> None:
    zone_id, slot_id, start = slot_in(ctx, 3600, "Chiều")
    approved_bulletin(ctx, zone_id, "Bản tin buổi chiều.")
    station = Station(settings=ctx.settings, session_factory=ctx.sessions, clock=ctx.clock)
    day = start.astimezone(ctx.settings.zone).date()
    station.start()
    try:
        station.build_plan(day)
        job_id = f"air:{day.isoformat()}:{slot_id}"
        assert job_id in station.air_jobs()
        job = station.scheduler.get_job(job_id)
        expected = start - timedelta(seconds=ctx.settings.prepare_lead_s)
        assert job.next_run_time.astimezone(UTC) == expected
        with session_scope(ctx.sessions) as session:
            session.get(Slot, slot_id).days = ""  # type: ignore[union-attr]
        station.build_plan(day)
        assert job_id not in station.air_jobs()
    finally:
        station.shutdown()


def test_start_up_builds_a_missing_plan_for_today(ctx: StationContext) -> None:
    station = Station(settings=ctx.settings, session_factory=ctx.sessions, clock=ctx.clock)
    station.start()
    try:
        with session_scope(ctx.sessions) as session:
            assert session.get(DayPlan, ctx.today()) is not None
        assert station.scheduler.get_job("build-tomorrow") is not None
    finally:
        station.shutdown()


def test_a_past_day_plan_is_never_rebuilt(ctx: StationContext) -> None:
    from playlists.core.errors import StateError

    station = Station(settings=ctx.settings, session_factory=ctx.sessions, clock=ctx.clock)
    with pytest.raises(StateError) as refused:
        station.build_plan(ctx.today() - timedelta(days=1))
    assert "ngày đã qua" in refused.value.message


def test_bulletins_air_after_the_head_and_before_the_tail(ctx: StationContext) -> None:
    zone_id, slot_id, start = slot_in(ctx, 300, "Có nhạc hiệu")
    with session_scope(ctx.sessions) as session:
        slot = session.get(Slot, slot_id)
        assert slot is not None
        slot.head_s, slot.relay_s, slot.tail_s = 5, 10, 5
    approved_bulletin(ctx, zone_id, "Bản tin sau phần tiếp âm.")
    station = Station(settings=ctx.settings, session_factory=ctx.sessions, clock=ctx.clock)
    day = start.astimezone(ctx.settings.zone).date()
    station.build_plan(day, reconcile=False)
    with session_scope(ctx.sessions) as session:
        planned = session.scalars(select(PlanItem).where(PlanItem.slot_id == slot_id)).one()
        assert planned.planned_start == start + timedelta(seconds=15)
        programs = load_slot_programs(
            session=session, day=day, slot_id=slot_id, tz=ctx.settings.zone,
            media_dir=ctx.settings.media_dir, source=AirSource.SCHEDULE,
        )  # fmt: skip
    assert programs[0].start == planned.planned_start
    assert programs[0].end == start + timedelta(seconds=60 - 5)
