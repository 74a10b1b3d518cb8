"""What survives a crash: the player's journal, the as-run spool, emergencies in the queue."""

from __future__ import annotations

import json
import time as _time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from playlists.alerts.models import Alert, AlertKind
from playlists.asrun import ledger
from playlists.asrun.models import AirSource, AirStatus
from playlists.core.db import make_engine, make_session_factory, session_scope
from scheduler import recorder as recorder_module
from scheduler.playout.programs import PlayResult, Program, ProgramItem
from scheduler.recorder import Recorder
from tests.conftest import send_emergency
from tests.scheduler.helpers import airlog, approved_bulletin, slot_in, wait_for
from tests.scheduler.test_onair import station_for
from web.context import StationContext


def past_program(ctx: StationContext, items: int) -> tuple[Program, datetime]:
    """A programme that was on air a minute ago and whose slot is over now."""
    start = ctx.now() - timedelta(seconds=60)
    program = Program(
        zone_id=None, zone_name="Cụm 1", slot_id=None, slot_name="Sáng", start=start,
        end=start + timedelta(seconds=30),
        items=tuple(
            ProgramItem(bulletin_id=None, title=f"Tin {i}", topic_name="Khác",
                        rendering_sha256=f"{i}" * 64, path=Path(f"/nowhere/{i}.wav"),
                        duration_s=5.0, scheduled_start=start + timedelta(seconds=5 * i))
            for i in range(items)
        ),
        source=AirSource.SCHEDULE, label="2026-11-26/053000_cum-1_sang",
    )  # fmt: skip
    return program, start


def write_journal(ctx: StationContext, program: Program, events: list[dict[str, object]]) -> None:
    folder = ctx.settings.onair_dir
    folder.mkdir(parents=True, exist_ok=True)
    lines = [{"event": "program", "program": program.to_json(), "pid": 1},
             {"event": "outputs", "names": ["file"]}, *events]  # fmt: skip
    (folder / "crashed.jsonl").write_text("".join(json.dumps(e) + "\n" for e in lines))


def at(when: datetime) -> str:
    return when.isoformat()


@pytest.mark.parametrize("first_row_was_written", [False, True])
def test_recovery_writes_what_the_journal_knows_and_nothing_twice(
    ctx: StationContext, first_row_was_written: bool
) -> None:
    program, t0 = past_program(ctx, 3)
    t1, t2 = t0 + timedelta(seconds=5), t0 + timedelta(seconds=7)
    write_journal(ctx, program, [
        {"event": "start", "index": 0, "at": at(t0)},
        {"event": "end", "index": 0, "at": at(t1), "results": [
            {"output": "file", "status": "played", "start": at(t0), "end": at(t1), "reason": ""},
        ]},
        {"event": "start", "index": 1, "at": at(t1)},
        {"event": "tick", "at": at(t2)},
    ])  # fmt: skip
    station = station_for(ctx)
    if first_row_was_written:  # the writer got item 0 in before the crash
        station.recorder.record(
            PlayResult(program, program.items[0], AirStatus.PLAYED, "file", t0, t1)
        )
        station.recorder.flush()

    station.recover()

    rows = airlog(ctx)
    assert [(r.bulletin_title, r.status) for r in rows] == [
        ("Tin 0", AirStatus.PLAYED),
        ("Tin 1", AirStatus.PARTIAL),
        ("Tin 2", AirStatus.MISSED),
    ]
    played, cut, missed = rows
    assert (played.actual_start, played.actual_end) == (t0, t1)
    assert (cut.actual_start, cut.actual_end) == (t1, t2)
    assert "dừng đột ngột" in cut.reason and "2 giây" in cut.reason
    assert "khung giờ đã hết" in missed.reason
    assert list(ctx.settings.onair_dir.glob("*.jsonl")) == []
    station.recorder.flush()
    with session_scope(ctx.sessions) as session:
        assert ledger.verify(session).ok
        kinds = [a.kind for a in session.scalars(select(Alert))]
    assert AlertKind.SCHEDULER in kinds


def test_rows_the_database_refused_are_spooled_and_written_at_the_next_start(
    ctx: StationContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recorder_module, "RETRY_DELAYS_S", (0.01, 0.01))
    # A database without the station's tables refuses every write, as a broken one would.
    broken = make_session_factory(make_engine(f"sqlite:///{tmp_path / 'empty.db'}"))
    spool = ctx.settings.data_dir / "asrun-spool.jsonl"
    program, t0 = past_program(ctx, 1)
    result = PlayResult(
        program, program.items[0], AirStatus.PLAYED, "file", t0, t0 + timedelta(seconds=5)
    )
    refused = Recorder(broken, spool)
    refused.record(result)
    refused.flush()
    assert spool.exists() and airlog(ctx) == []

    Recorder(ctx.sessions, spool).replay_spool()
    (row,) = airlog(ctx)
    assert (row.bulletin_title, row.status, row.actual_start) == ("Tin 0", AirStatus.PLAYED, t0)
    assert not spool.exists()


def test_two_emergencies_on_one_zone_queue_and_neither_cuts_the_other(
    ctx: StationContext,
) -> None:
    zone_id, _slot_id, _start = slot_in(ctx, 3600)
    station = station_for(ctx)
    station.start()
    ctx.station = station
    try:
        send_emergency(ctx, title="Một", text="Tin khẩn cấp thứ nhất, về mưa lớn kéo dài.",
                       zone_ids=[zone_id])  # fmt: skip
        send_emergency(ctx, title="Hai", text="Tin khẩn cấp thứ hai.", zone_ids=[zone_id])
        wait_for(lambda: len(airlog(ctx)) == 2, timeout=60)
    finally:
        station.shutdown()
    first, second = airlog(ctx)
    assert [first.bulletin_title, second.bulletin_title] == ["Một", "Hai"]
    assert all(r.status == AirStatus.PLAYED for r in (first, second))
    assert first.actual_end is not None and second.actual_start is not None
    assert second.actual_start >= first.actual_end


def test_a_slot_job_that_runs_past_the_grace_logs_the_slot_missed(ctx: StationContext) -> None:
    zone_id, slot_id, start = slot_in(ctx, 2)
    approved_bulletin(ctx, zone_id, "Bản tin bị lỡ vì máy ngủ.")
    day = start.astimezone(ctx.settings.zone).date()
    station = station_for(ctx, misfire_grace_s=1)
    station.build_plan(day, reconcile=False)
    _time.sleep(max(0.0, (start - ctx.now()).total_seconds()) + 2.5)
    # What the job does when it finally runs after the machine slept through the slot.
    results = station.air_slot(day, slot_id)
    assert [r.status for r in results] == [AirStatus.MISSED]
    (row,) = airlog(ctx)
    assert row.status == AirStatus.MISSED and "Lỡ giờ phát" in row.reason
    station.recorder.flush()
    with session_scope(ctx.sessions) as session:
        assert session.scalars(select(Alert).where(Alert.kind == AlertKind.MISSED)).first()


def test_an_emergency_during_a_slots_lead_in_does_not_wait_for_the_slot(
    ctx: StationContext,
) -> None:
    zone_id, _slot_id, start = slot_in(ctx, 8)
    bulletin = approved_bulletin(ctx, zone_id, "Bản tin của khung giờ.")
    station = station_for(ctx)
    station.build_plan(start.astimezone(ctx.settings.zone).date(), reconcile=False)
    station.start()
    ctx.station = station
    try:
        # The slot holds the zone from three seconds before its start, feeding silence.
        _time.sleep(max(0.0, (start - ctx.now()).total_seconds()) - 2.0)
        send_emergency(ctx, title="Khẩn", text="Khẩn cấp.", zone_ids=[zone_id])
        wait_for(lambda: len(airlog(ctx)) == 2, timeout=60)
    finally:
        station.shutdown()
    alarm, slot_row = airlog(ctx)
    assert alarm.source == AirSource.EMERGENCY and alarm.actual_start is not None
    assert alarm.actual_start < start, "aired before the slot's start, not after its lead-in"
    assert slot_row.bulletin_id == bulletin and slot_row.status == AirStatus.PLAYED
