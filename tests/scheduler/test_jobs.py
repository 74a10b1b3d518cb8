"""The scheduler's jobs: which should exist (pure, time passed in) and what the store keeps.

The job store keeps each job as a textual reference to a function in scheduler/jobs.py and its
arguments, pickled in the station's database. A release that renames one of those functions
or changes its arguments breaks the jobs stored by the release before: these tests pin them
(see scheduler/jobs.py and docs/architecture.md for what an upgrade must then do).
"""

from __future__ import annotations

import inspect
import pickle
from datetime import UTC, date, datetime, timedelta

from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.util import ref_to_obj
from sqlalchemy import text

from scheduler import jobs
from scheduler.reconcile import Span, WantedJob, wanted_jobs
from scheduler.settings import PlayoutSettings
from scheduler.station import STORE, Station
from tests.scheduler.helpers import approved_bulletin, slot_in
from web.context import StationContext

NOW = datetime(2026, 3, 3, 3, 0, tzinfo=UTC)  # 10:00 in Hà Nội
DAY = date(2026, 3, 3)
KEY = "0123456789abcdef"


def span(start: datetime, minutes: int = 30, slot_id: int = 7) -> Span:
    return Span(DAY, slot_id, start, start + timedelta(minutes=minutes))


def test_the_stored_references_and_argument_shapes_are_pinned() -> None:
    # These strings are in the databases of running stations: never change them silently.
    assert jobs.AIR_SLOT == "scheduler.jobs:air_slot"
    assert jobs.AMPLIFIER == "scheduler.jobs:amplifier"
    assert jobs.BUILD_TOMORROW == "scheduler.jobs:build_tomorrow"
    shapes = {
        jobs.AIR_SLOT: ["key", "day", "slot_id"],
        jobs.AMPLIFIER: ["key", "action", "day", "slot_id"],
        jobs.BUILD_TOMORROW: ["key"],
    }
    for ref, parameters in shapes.items():
        assert list(inspect.signature(ref_to_obj(ref)).parameters) == parameters


def test_a_slot_gets_an_air_job_ahead_of_it_with_the_stored_arguments() -> None:
    playout = PlayoutSettings(prepare_lead_s=180)
    start = NOW + timedelta(hours=1)
    wanted = wanted_jobs(now=NOW, spans=[span(start)], key=KEY, playout=playout)
    assert wanted == {
        "air:2026-03-03:7": WantedJob(
            "scheduler.jobs:air_slot", start - timedelta(seconds=180), (KEY, "2026-03-03", 7)
        )
    }


def test_a_slot_due_now_or_just_missed_still_gets_its_job_and_a_late_one_does_not() -> None:
    playout = PlayoutSettings(prepare_lead_s=180, misfire_grace_s=120)
    soon = span(NOW + timedelta(seconds=60), slot_id=1)
    just_missed = span(NOW - timedelta(seconds=100), slot_id=2)
    too_late = span(NOW - timedelta(seconds=121), slot_id=3)
    wanted = wanted_jobs(now=NOW, spans=[soon, just_missed, too_late], key=KEY, playout=playout)
    assert set(wanted) == {"air:2026-03-03:1", "air:2026-03-03:2"}
    assert all(job.run_at == NOW for job in wanted.values()), "never scheduled in the past"


def test_amplifier_jobs_switch_on_ahead_and_off_after_with_their_arguments() -> None:
    playout = PlayoutSettings(
        amp_on_command="relay on {zone}", amp_off_command="relay off {zone}",
        amp_lead_s=30, amp_hold_s=45, misfire_grace_s=120,
    )  # fmt: skip
    start = NOW + timedelta(hours=1)
    wanted = wanted_jobs(now=NOW, spans=[span(start)], key=KEY, playout=playout)
    on, off = wanted["amp:on:2026-03-03:7"], wanted["amp:off:2026-03-03:7"]
    assert (on.func, on.args) == ("scheduler.jobs:amplifier", (KEY, "on", "2026-03-03", 7))
    assert (off.func, off.args) == ("scheduler.jobs:amplifier", (KEY, "off", "2026-03-03", 7))
    assert on.run_at == start - timedelta(seconds=30)
    assert off.run_at == start + timedelta(minutes=30, seconds=45)
    assert on.misfire_grace_s == off.misfire_grace_s == 150


def test_a_slot_on_air_now_keeps_only_its_switch_off() -> None:
    playout = PlayoutSettings(amp_on_command="on", amp_off_command="off", misfire_grace_s=60)
    on_air = span(NOW - timedelta(minutes=10))
    wanted = wanted_jobs(now=NOW, spans=[on_air], key=KEY, playout=playout)
    assert list(wanted) == ["amp:off:2026-03-03:7"]


def test_without_amplifier_commands_there_are_no_amplifier_jobs() -> None:
    wanted = wanted_jobs(
        now=NOW, spans=[span(NOW + timedelta(hours=1))], key=KEY, playout=PlayoutSettings()
    )
    assert list(wanted) == ["air:2026-03-03:7"]


def test_a_job_stored_by_the_previous_release_is_loaded_and_runs(ctx: StationContext) -> None:
    """A job row as the last release wrote it (its reference and arguments) still works."""
    zone_id, slot_id, start = slot_in(ctx, 3600, "Tối")
    approved_bulletin(ctx, zone_id, "Bản tin buổi tối.")
    station = Station(settings=ctx.settings, session_factory=ctx.sessions, clock=ctx.clock)
    day = start.astimezone(ctx.settings.zone).date()
    station.build_plan(day, reconcile=False)
    # Write the row the way APScheduler 3 stores it, with nothing of this release's code.
    writer = BackgroundScheduler(timezone=ctx.settings.zone)
    store = SQLAlchemyJobStore(engine=ctx.engine, tablename="apscheduler_jobs")
    store.start(writer, STORE)  # creates the table, as a running scheduler would
    job = Job(
        writer, id=f"air:{day.isoformat()}:{slot_id}", func="scheduler.jobs:air_slot",
        args=[station.key, day.isoformat(), slot_id], kwargs={},
        trigger=DateTrigger(run_date=start), executor="default", misfire_grace_time=None,
        coalesce=True, max_instances=1, next_run_time=start, name="air_slot",
    )  # fmt: skip
    store.add_job(job)
    with ctx.engine.connect() as connection:
        stored = connection.execute(text("SELECT job_state FROM apscheduler_jobs")).scalar()
    state = pickle.loads(stored)
    assert state["func"] == "scheduler.jobs:air_slot"
    assert list(state["args"]) == [station.key, day.isoformat(), slot_id]
    # The station loads it, and the function it names hands over to the running station.
    (loaded,) = store.get_all_jobs()
    aired: list[tuple[date, int]] = []
    station.air_slot = lambda d, s, *_a, **_k: aired.append((d, s)) or []  # type: ignore[method-assign]
    jobs.register(station.key, station)
    try:
        loaded.func(*loaded.args)
    finally:
        jobs.unregister(station.key)
    assert aired == [(day, slot_id)]
