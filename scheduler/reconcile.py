"""Which scheduled jobs should exist: a pure answer from the plan, then one step applying it.

`wanted_jobs` says, for an instant and the stored plan's slots, which air and amplifier jobs
should exist and when each runs; `apply` makes APScheduler's persistent store match it. The
station reconciles at start-up, after every plan build, and every minute (another process,
`loa plan build`, may change the plan).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.date import DateTrigger
from sqlalchemy.orm import Session

from playlists.slots import calendar
from playlists.slots.models import Slot
from scheduler import jobs
from scheduler.playout.programs import upcoming_slots
from scheduler.settings import PlayoutSettings

AIR_JOB_PREFIX = "air:"
AMP_JOB_PREFIX = "amp:"


@dataclass(frozen=True)
class Span:
    """One slot airing on one day: the plan's day, the slot, and its start and end instants."""

    day: date
    slot_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class WantedJob:
    """A job that should be in the store: what it calls (a stored reference), when, with what."""

    func: str
    run_at: datetime
    args: tuple[object, ...]
    misfire_grace_s: int | None = None


def air_job_id(day: date, slot_id: int) -> str:
    """Name the job that airs a slot on a day."""
    return f"{AIR_JOB_PREFIX}{day.isoformat()}:{slot_id}"


def amp_job_id(action: str, day: date, slot_id: int) -> str:
    """Name the job that switches a slot's amplifiers on or off on a day."""
    return f"{AMP_JOB_PREFIX}{action}:{day.isoformat()}:{slot_id}"


def wanted_jobs(
    *, now: datetime, spans: Iterable[Span], key: str, playout: PlayoutSettings
) -> dict[str, WantedJob]:
    """Return the air and amplifier jobs that should exist at `now`, by id (pure).

    A slot's air job fires LOA_PREPARE_LEAD_S before it (its programme is loaded and decoded
    into ready audio, then the player waits for the instant); however late the job runs (the
    machine slept), the airing decides: air what fits, or log it missed. A slot that started
    longer than the misfire grace ago gets no job. Amplifiers go on LOA_AMP_LEAD_S before a
    slot and off LOA_AMP_HOLD_S after it, when the commands are set.
    """
    grace = timedelta(seconds=playout.misfire_grace_s)
    lead = timedelta(seconds=playout.prepare_lead_s)
    amp_lead = timedelta(seconds=playout.amp_lead_s)
    amp_hold = timedelta(seconds=playout.amp_hold_s)
    amp_grace = int((amp_lead + grace).total_seconds())
    wanted: dict[str, WantedJob] = {}
    for span in spans:
        day = span.day.isoformat()
        if span.start > now - grace:
            wanted[air_job_id(span.day, span.slot_id)] = WantedJob(
                jobs.AIR_SLOT, max(span.start - lead, now), (key, day, span.slot_id)
            )
            if playout.amp_on_command:
                wanted[amp_job_id("on", span.day, span.slot_id)] = WantedJob(
                    jobs.AMPLIFIER,
                    max(span.start - amp_lead, now),
                    (key, "on", day, span.slot_id),
                    amp_grace,
                )
        if playout.amp_off_command and span.end + amp_hold > now:
            wanted[amp_job_id("off", span.day, span.slot_id)] = WantedJob(
                jobs.AMPLIFIER, span.end + amp_hold, (key, "off", day, span.slot_id), amp_grace
            )
    return wanted


def planned_spans(
    *, session: Session, since: datetime, until: datetime, tz: ZoneInfo
) -> list[Span]:
    """Return the stored plan's slot airings that start after `since`, up to `until`."""
    spans = []
    for day, slot_id, _start in upcoming_slots(session=session, since=since, until=until):
        slot = session.get(Slot, slot_id)
        if slot is not None:
            start, end = calendar.occurrence(day, slot.start, slot.duration_s, tz)
            spans.append(Span(day, slot_id, start, end))
    return spans


def apply(
    scheduler: BaseScheduler, wanted: dict[str, WantedJob], *, fired: set[str], store: str
) -> None:
    """Make the store's air and amplifier jobs exactly `wanted`.

    A job that already ran in this process (`fired`) is never added again, even if it looks
    due; one already stored for the same instant is left alone.
    """
    for job in scheduler.get_jobs(jobstore=store):
        if job.id.startswith((AIR_JOB_PREFIX, AMP_JOB_PREFIX)) and job.id not in wanted:
            with contextlib.suppress(JobLookupError):  # it may have just run
                scheduler.remove_job(job.id, jobstore=store)
    for job_id, job in wanted.items():
        if job_id in fired:
            continue
        existing = scheduler.get_job(job_id, jobstore=store)
        if existing is not None and existing.next_run_time == job.run_at:
            continue
        scheduler.add_job(
            job.func,
            DateTrigger(run_date=job.run_at),
            args=list(job.args),
            id=job_id,
            jobstore=store,
            replace_existing=True,
            misfire_grace_time=job.misfire_grace_s,
        )
