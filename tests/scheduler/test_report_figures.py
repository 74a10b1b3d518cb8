"""The CCHC report's figures, counted from as-run rows the real player wrote.

The station airs for real (espeak-ng speech, the file output and a real icecast2, the as-run
writer): a scheduled slot, a slot too late to air (missed), the same slot played by hand while
Icecast is down (a failed output), and an emergency. The report must say exactly what an
independent count of those rows says: plays are (zone, source, item, scheduled start), airtime
the longest output's, counted once.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from playlists.accounts.roles import Role
from playlists.asrun.models import AirLog, AirSource, AirStatus
from playlists.bulletins import workflow
from playlists.bulletins.schemas import BulletinCreate
from playlists.core.clock import SystemClock
from playlists.core.db import session_scope
from playlists.reports import service
from playlists.reports.periods import Kind, Period, WindowRule, parse_period
from playlists.reports.view import report_json
from playlists.slots.models import Slot, Zone
from scheduler.station import Station
from tests.conftest import send_emergency
from tests.icecast_server import IcecastServer
from tests.people import act_as
from tests.scheduler.helpers import airlog
from web.context import StationContext

ISSUER = service.Issuer("Phường Thử", "Thành phố Thử", ("CHỦ TỊCH",), "Nguyễn Văn A", ("Lưu: VT",))


def bulletin(ctx: StationContext, zone_id: int, title: str, topic: int) -> int:
    with session_scope(ctx.sessions) as session:
        today = ctx.today()
        data = BulletinCreate(
            title=title, text=f"Kính thưa bà con, {title.lower()}.", topic=topic,
            first_day=today - timedelta(days=1), last_day=today + timedelta(days=1),
            per_day=1, zone_ids=[zone_id],
        )  # fmt: skip
        kwargs: Any = {"session": session, "renderer": ctx.renderer,
                       "media_dir": ctx.settings.media_dir}  # fmt: skip
        act_as(session, Role.EDITOR)
        made = workflow.create_bulletin(data, max_text_chars=5000, now=ctx.now(), today=today,
                                        **kwargs)  # fmt: skip
        act_as(session, Role.APPROVER, name="Chủ tịch")
        workflow.approve(made.id, now=ctx.now(), today=today, **kwargs)
        return made.id


def zone_with_slot(
    ctx: StationContext, name: str, start: datetime, length_s: int
) -> tuple[int, int]:
    local = start.astimezone(ctx.settings.zone)
    with session_scope(ctx.sessions) as session:
        zone = Zone(name=name)
        slot = Slot(name=f"Khung {name}", start=local.time(), duration_s=length_s, zones=[zone])
        session.add_all([zone, slot])
        session.flush()
        return zone.id, slot.id


def independent_count(rows: list[AirLog]) -> dict[str, Any]:
    """Count plays from the rows in plain Python: the figures the report must match."""
    plays: dict[tuple[Any, ...], list[AirLog]] = defaultdict(list)
    for row in rows:
        key = (row.zone_id, row.source, row.bulletin_id, row.bulletin_title, row.scheduled_start)
        plays[key].append(row)
    aired = {k: v for k, v in plays.items()
             if any(r.status in (AirStatus.PLAYED, AirStatus.PARTIAL) for r in v)}  # fmt: skip
    airtime = sum(max(r.aired_s for r in v) for v in aired.values())
    by_topic: dict[str, int] = defaultdict(int)
    for rows_of_play in aired.values():
        by_topic[rows_of_play[0].topic_name] += 1
    return {
        "plays": len(aired),
        "airtime_min": round(airtime / 60, 1),
        "bulletins": len({k[2] for k in aired if k[2] is not None}),
        "missed": sum(1 for v in plays.values() if all(r.status == AirStatus.MISSED for r in v)),
        "by_topic": dict(by_topic),
        "sources": {s: sum(1 for k in aired if k[1] == s) for s in AirSource},
    }


@pytest.mark.databases()
def test_the_report_counts_what_the_player_logged_once_per_play(
    ctx: StationContext, icecast: IcecastServer
) -> None:
    now = ctx.now().replace(microsecond=0)
    market, on_air = zone_with_slot(ctx, "Cụm Chợ", now + timedelta(seconds=6), 60)
    # Planned, but its job only comes after the first slot has aired: past the grace, missed.
    river, too_late = zone_with_slot(ctx, "Cụm Bờ Sông", now + timedelta(seconds=7), 60)
    online = bulletin(ctx, market, "Dịch vụ công trực tuyến", 8)
    par_index = bulletin(ctx, market, "Chỉ số PAR INDEX", 4)
    bulletin(ctx, river, "Chuyển đổi số", 6)
    station = Station(
        settings=ctx.settings.model_copy(update={"icecast_url": icecast.url("{zone}.mp3"),
                                                 "misfire_grace_s": 1.0}),
        session_factory=ctx.sessions,
        clock=ctx.clock,
    )  # fmt: skip
    day = now.astimezone(ctx.settings.zone).date()
    station.build_plan(day, reconcile=False)
    try:
        station.open_zones()
        aired = station.air_slot(day, on_air)  # waits for its instant, airs on both outputs
        missed = station.air_slot(day, too_late)  # seconds too late: logged missed
        icecast.stop(graceful=False)  # the stream's server dies: the file output goes on
        by_hand = station.air_slot(day, on_air, AirSource.MANUAL, ctx.now() + timedelta(seconds=1))
        # Played by hand again the same day: two more plays, not the same ones.
        station.air_slot(day, on_air, AirSource.MANUAL, ctx.now() + timedelta(seconds=1))
        send_emergency(ctx, text="Khẩn cấp: mất điện khu vực chợ.", zone_ids=[market])
        for thread in station.air_due_emergencies():
            thread.join(timeout=60)
        station.flush_asrun()
    finally:
        station.shutdown()
    assert {r.status for r in aired} == {AirStatus.PLAYED}
    assert {r.status for r in missed} == {AirStatus.MISSED}
    assert AirStatus.FAILED in {r.status for r in by_hand if r.output.startswith("icecast")}
    rows = airlog(ctx)
    assert len({r.output.split(":")[0] for r in rows}) == 2, "two outputs logged each play"

    window = Period(Kind.CUSTOM, first_day=day, last_day=day).window(WindowRule.DECREE)
    with session_scope(ctx.sessions) as session:
        report = service.build(session, window, tz=ctx.settings.zone, made_at=ctx.now(),
                               issuer=ISSUER)  # fmt: skip
        data = report_json(report)
        from playlists.reports.figures import plays, slot_lines

        detail = list(plays(session, report.summary.scope))
        slots = slot_lines(session, report.summary.scope)
    expected = independent_count(rows)
    totals = data["totals"]
    # 2 scheduled + 2 × 2 by hand + 1 emergency; the missed slot's item did not air.
    assert totals["plays"] == expected["plays"] == 7
    assert totals["airtime_min"] == expected["airtime_min"]
    assert totals["bulletins"] == expected["bulletins"] == 2
    assert totals["missed"] == expected["missed"] == 1
    assert totals["emergencies"] == 1 and totals["failed"] == 0
    assert {s["source"]: s["plays"] for s in data["by_source"]} == {
        "schedule": 2, "manual": 4, "emergency": 1,
    }  # fmt: skip
    topics = {t["code"]: t for t in data["by_topic"]}
    assert [t["code"] for t in data["by_topic"]] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 0]
    assert topics[8]["plays"] == topics[4]["plays"] == 3
    assert topics[0]["plays"] == 1  # the emergency: not a topic of the plan
    assert topics[6]["plays"] == 0 and topics[6]["topic"] in data["uncovered_topics"]
    assert sum(t["plays"] for t in data["by_topic"]) == totals["plays"]
    assert {z["zone"]: z["plays"] for z in data["by_zone"]} == {"Cụm Chợ": 7}
    assert data["by_month"] == [
        {"month": f"{day:%Y-%m}", "plays": 7, "airtime_min": totals["airtime_min"]}
    ]
    assert data["ledger"]["last_seq"] == max(r.seq for r in rows)
    # The detail: one line per play (the missed one included), the failed output counted.
    assert len(detail) == 8
    manual = [p for p in detail if p.source == AirSource.MANUAL]
    assert sorted(p.bulletin_id for p in manual) == sorted([online, par_index] * 2)
    assert all(p.outputs == 2 for p in manual)
    # The first manual play met the dead server: its Icecast row failed, with the reason.
    # (How the second one's row ends depends on how far the output's retries got.)
    assert all(p.failed_outputs == 1 and p.reason for p in manual[:2]), manual
    # Planned against aired: the slot that aired in full, the one that never did.
    states = {line.slot_name: line.state for line in slots}
    assert states == {"Khung Cụm Chợ": "Đủ", "Khung Cụm Bờ Sông": "Không phát"}
    assert totals["slots_planned"] == 2 and totals["slots_aired"] == 1


class OffsetClock(SystemClock):
    """The system clock, moved to another instant: the player paces real time around it."""

    def __init__(self, at: datetime) -> None:
        self.offset = at - datetime.now(UTC)

    def now(self) -> datetime:
        return super().now() + self.offset


# The two ends of 2026-Q1 under the decree's rule: 15/12/2025 – 14/03/2026.
EDGES = {
    "opens": (date(2025, 12, 14), "2026-Q1", "2025-Q4"),
    "closes": (date(2026, 3, 14), "2026-Q2", "2026-Q1"),
}


@pytest.mark.parametrize("edge", list(EDGES))
def test_a_play_belongs_to_the_local_day_it_aired_on_either_side_of_midnight(
    settings: Any, edge: str
) -> None:
    before_midnight, after_period, before_period = EDGES[edge]
    tz: ZoneInfo = settings.zone
    # The station's clock reads 23:59:50 local on the day before the boundary.
    clock = OffsetClock(datetime(*before_midnight.timetuple()[:3], 23, 59, 50, tzinfo=tz))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ctx = StationContext.create(settings, clock=clock)
    try:
        late = datetime(*before_midnight.timetuple()[:3], 23, 59, 59, tzinfo=tz)
        early = late + timedelta(seconds=1)  # 00:00:00 local, the next day
        evening, evening_slot = zone_with_slot(ctx, "Cụm Tối", late, 30)
        morning, morning_slot = zone_with_slot(ctx, "Cụm Sáng", early, 30)
        first = bulletin(ctx, evening, "Tin cuối ngày", 2)
        second = bulletin(ctx, morning, "Tin đầu ngày", 3)
        station = Station(settings=ctx.settings, session_factory=ctx.sessions, clock=clock)
        for day in (before_midnight, before_midnight + timedelta(days=1)):
            station.build_plan(day, reconcile=False)
        # Rendering took time: bring the clock back to 23:59:55 before the slots.
        clock.offset = datetime(*before_midnight.timetuple()[:3], 23, 59, 55,
                                tzinfo=tz) - datetime.now(UTC)  # fmt: skip
        # The slots' jobs, as the scheduler fires them (its own timer runs on the real date).
        after = before_midnight + timedelta(days=1)
        jobs = [
            threading.Thread(target=station.air_slot, args=(before_midnight, evening_slot)),
            threading.Thread(target=station.air_slot, args=(after, morning_slot)),
        ]
        try:
            for job in jobs:
                job.start()
            for job in jobs:
                job.join(timeout=60)
            station.flush_asrun()
        finally:
            station.shutdown()
        rows = {r.bulletin_id: r for r in airlog(ctx)}
        assert rows[first].actual_start is not None and rows[second].actual_start is not None
        assert rows[first].actual_start.astimezone(tz).date() == before_midnight
        assert rows[second].actual_start.astimezone(tz).date() == before_midnight + timedelta(1)
        with session_scope(ctx.sessions) as session:
            counted = {
                code: report_json(service.build(
                    session, parse_period(code).window(WindowRule.DECREE), tz=tz,
                    made_at=clock.now(), issuer=ISSUER,
                ))["totals"]["plays"]
                for code in (before_period, after_period)
            }  # fmt: skip
        # 23:59:59 stays in the period that ends that day; 00:00:00 opens the next.
        assert counted == {before_period: 1, after_period: 1}
    finally:
        ctx.stop()
