"""The report's figures, counted by the database from the as-run log.

A play is one item on one zone: the log has a row per output (file, sound card, Icecast), so
rows with the same zone, source, item and scheduled start are one play. A play aired when any
of its rows played it, in full or in part; its airtime is its longest output's measured time,
counted once. A play that aired nowhere was missed (never started) or failed.

Everything is two GROUP BYs, one inside the other (rows → plays → groups by topic, zone,
month and source), so a city's quarter is counted where the rows are, and Python only adds up
a few thousand groups. A report can be pinned to a position of the log (`upto_seq`): a closed
report counts exactly the rows it counted when it was closed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    Integer,
    Select,
    and_,
    case,
    func,
    literal,
    null,
    select,
    type_coerce,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from playlists.asrun.models import AirLog, AirSource, AirStatus
from playlists.bulletins.models import Topic
from playlists.core.clock import local_midnight
from playlists.planning.models import PlanItem
from playlists.reports.periods import Window
from playlists.slots.models import Slot, Zone

OTHER_TOPIC = "Khác"
# How a play's rows rank: the best one says what the play was.
_RANK = {AirStatus.PLAYED: 0, AirStatus.PARTIAL: 1, AirStatus.FAILED: 2, AirStatus.MISSED: 3}
_STATUS_OF_RANK = {rank: status for status, rank in _RANK.items()}
AIRED_RANKS = (0, 1)


class seconds_between(FunctionElement[float]):
    """SQL: the seconds from one stored instant to another, on SQLite and PostgreSQL."""

    type = Float()
    inherit_cache = True


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = list(element.clauses)
    # julianday's float carries noise below the millisecond (90 s reads 89.9999946):
    # rounded to the millisecond, as the player measures, and never below zero.
    return (
        f"MAX(0.0, ROUND((julianday({compiler.process(end, **kw)}) - "
        f"julianday({compiler.process(start, **kw)})) * 86400.0, 3))"
    )


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = list(element.clauses)
    return (
        f"GREATEST(0.0, ROUND(EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - "
        f"{compiler.process(start, **kw)}))::numeric, 3)::float8)"
    )


@dataclass(frozen=True)
class Scope:
    """Which rows a report counts: a window of local days, up to a position of the log."""

    window: Window
    tz: ZoneInfo
    upto_seq: int | None = None

    @property
    def start(self) -> datetime:
        return local_midnight(self.window.first_day, self.tz)

    @property
    def end(self) -> datetime:
        return local_midnight(self.window.last_day + timedelta(days=1), self.tz)

    def month_bounds(self) -> list[datetime]:
        """Return the instants where a later month of the window begins (local midnight)."""
        return [local_midnight(day, self.tz) for day in self.window.month_starts()]


def _when() -> ColumnElement[datetime]:
    """A row's instant: when it aired, or was due when it never aired."""
    return func.coalesce(AirLog.actual_start, AirLog.scheduled_start)


# The columns that make rows one play.
_PLAY_KEY = (
    AirLog.scheduled_start,  # first: the most telling column, so grouping sorts least
    AirLog.zone_id,
    AirLog.zone_name,
    AirLog.source,
    AirLog.slot_id,
    AirLog.slot_name,
    AirLog.bulletin_id,
    AirLog.bulletin_title,
    AirLog.topic_name,
    AirLog.rendering_sha256,
)
# How far a play's outputs can log apart: an output that failed logs the item's scheduled
# instant while another airs it after an emergency held the zone (scheduler/playout/programs.py
# EMERGENCY_MARGIN is an hour). Rows this near the window are read; the play's own instant
# decides whether it is in.
PLAY_SPREAD = timedelta(hours=2)


def plays_query(scope: Scope) -> Select[*tuple[Any, ...]]:
    """Return the plays of the window: one row per play, with its best status and airtime.

    A play is in the window by its own instant (its earliest row), so the outputs of one play
    logged on either side of midnight make one play, in one window.
    """
    when = _when()
    rank = case(*((AirLog.status == status, value) for status, value in _RANK.items()), else_=3)
    aired = case(
        (
            and_(
                AirLog.status.in_((AirStatus.PLAYED, AirStatus.PARTIAL)),
                AirLog.actual_start.is_not(None),
                AirLog.actual_end.is_not(None),
            ),
            seconds_between(AirLog.actual_start, AirLog.actual_end),
        ),
        else_=0.0,
    )
    failed = case((AirLog.status == AirStatus.FAILED, 1), else_=0)
    problem = case(
        (AirLog.status.in_((AirStatus.FAILED, AirStatus.MISSED)), AirLog.reason), else_=None
    )
    query = (
        select(
            *_PLAY_KEY,
            func.min(when).label("at"),
            func.max(aired).label("aired_s"),
            func.min(rank).label("rank"),
            func.count().label("outputs"),
            func.sum(failed).label("failed_outputs"),
            func.max(problem).label("reason"),
        )
        .where(when >= scope.start - PLAY_SPREAD, when < scope.end + PLAY_SPREAD)
        .group_by(*_PLAY_KEY)
        .having(func.min(when) >= scope.start, func.min(when) < scope.end)
    )
    if scope.upto_seq is not None:
        # "+ 0": a bound on seq would lead SQLite to walk seq's unique index row by row,
        # slower than the scan the window needs anyway.
        query = query.where(AirLog.seq + 0 <= scope.upto_seq)
    return query


@dataclass
class Tally:
    """Plays and airtime of one group."""

    plays: int = 0
    airtime_s: float = 0.0
    bulletins: set[int] = field(default_factory=set)

    @property
    def airtime_min(self) -> float:
        return round(self.airtime_s / 60, 1)

    def add(self, plays: int, airtime_s: float, bulletin_id: int | None) -> None:
        self.plays += plays
        self.airtime_s += airtime_s
        if bulletin_id is not None:
            self.bulletins.add(bulletin_id)


@dataclass(frozen=True)
class TopicLine:
    """One topic of the plan: what aired, and its target for the window (when it has one)."""

    code: int
    name: str
    tally: Tally
    target_plays: int | None = None
    target_minutes: float | None = None

    @property
    def uncovered(self) -> bool:
        return self.tally.plays == 0

    @property
    def below_target(self) -> bool:
        short_plays = self.target_plays is not None and self.tally.plays < self.target_plays
        short_minutes = (
            self.target_minutes is not None and self.tally.airtime_min < self.target_minutes
        )
        return short_plays or short_minutes


@dataclass(frozen=True)
class Reason:
    """Plays missed or failed for one reason."""

    status: AirStatus
    reason: str
    plays: int


@dataclass(frozen=True)
class Summary:
    """Every figure of a report, counted from the log."""

    scope: Scope
    totals: Tally
    emergencies: int
    partial: int
    missed: int
    failed: int
    topics: list[TopicLine]
    zones: dict[str, Tally]
    months: dict[str, Tally]
    sources: dict[AirSource, Tally]
    reasons: list[Reason]
    slot_lines: list[SlotLine]
    plan_topics: Sequence[PlanTopic]

    @property
    def slots(self) -> SlotTally:
        lines = self.slot_lines
        return SlotTally(
            planned=len(lines),
            aired=sum(1 for line in lines if line.aired),
            complete=sum(1 for line in lines if line.complete),
        )

    @property
    def uncovered_topics(self) -> list[str]:
        return [line.name for line in self.topics if line.code != 0 and line.uncovered]

    @property
    def below_target(self) -> list[TopicLine]:
        return [line for line in self.topics if line.below_target]


def month_key(year: int, month: int) -> str:
    return f"{year}-{month:02d}"


@dataclass(frozen=True)
class PlanTopic:
    """A topic of the plan as a report counts it: its name, and its targets per month.

    A closed report keeps them as they were (service.close_period), so a target set later
    does not change what the report said.
    """

    code: int
    name: str
    target_plays_per_month: int | None = None
    target_minutes_per_month: float | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def plan_topics(session: Session) -> list[PlanTopic]:
    """Return the plan's topics as they are now, in the plan's order ("Khác", 0, last)."""
    rows = session.scalars(select(Topic).order_by(Topic.code == 0, Topic.code))
    return [
        PlanTopic(t.code, t.name, t.target_plays_per_month, t.target_minutes_per_month)
        for t in rows
    ]


def summarize(session: Session, scope: Scope, topics: Sequence[PlanTopic]) -> Summary:
    """Count every figure of the window in one statement over the log, and one over the plan.

    The log is grouped into plays once (a CTE); the same plays feed two groupings joined by
    UNION ALL: by topic, zone, month and source (part 0), and matched to the plan's items,
    by slot (part 1). Reading the log twice would cost the city's quarter twice.
    """
    plays = plays_query(scope).cte("plays")
    bounds = scope.month_bounds()
    month_index = (
        case(*((plays.c.at < b, index) for index, b in enumerate(bounds)), else_=len(bounds))
        if bounds
        else literal(0)
    )
    # An emergency and its repeats, on every zone, are one emergency: its audio says which.
    emergency_key = case((plays.c.source == AirSource.EMERGENCY, plays.c.rendering_sha256))
    aired = plays.c.rank.in_(AIRED_RANKS)
    airtime = func.sum(case((aired, plays.c.aired_s), else_=0.0))
    group = (
        plays.c.topic_name,
        plays.c.zone_name,
        month_index,
        plays.c.source,
        plays.c.rank,
        plays.c.bulletin_id,
        emergency_key,
        plays.c.reason,
    )
    # Part 0 has no slot. Typed: the result of a UNION is read by its first part's types, and
    # SQLite hands a date back as text unless its column says Date.
    nothing: list[Any] = [
        type_coerce(null(), Date),
        *(type_coerce(null(), Integer) for _ in range(4)),
    ]
    by_group = select(literal(0), *group, func.count(), airtime, *nothing).group_by(*group)
    # Part 1's columns: the part, then part 0's groups as NULL, then AiredSlot's fields.
    slot_columns = _aired_slot_columns(plays)
    by_slot = _aired_slots(plays, scope).with_only_columns(
        literal(1), *([null()] * (len(group) - 1)), *slot_columns, maintain_column_froms=True
    )
    rows = session.execute(by_group.union_all(by_slot)).all()

    by_name = {topic.name: topic for topic in topics}
    topic_tally: dict[int, Tally] = {topic.code: Tally() for topic in topics}
    months = {month_key(y, m): Tally() for y, m in scope.window.months()}
    month_names = list(months)
    totals, zones = Tally(), defaultdict[str, Tally](Tally)
    sources: dict[AirSource, Tally] = {source: Tally() for source in AirSource}
    emergencies: set[Any] = set()
    counts = {rank: 0 for rank in _STATUS_OF_RANK}
    reasons: dict[tuple[AirStatus, str], int] = defaultdict(int)
    aired_slots: dict[tuple[date, int, int], AiredSlot] = {}
    for row in rows:
        if row[0] == 1:
            got = AiredSlot(*row[-8:])
            aired_slots[got.day, got.zone_id, got.slot_id] = got
            continue
        topic_name, zone, month, source, rank, bulletin_id, emergency, reason, count, time_s = row[
            1:11
        ]
        counts[rank] += count
        if rank not in AIRED_RANKS:
            reasons[_STATUS_OF_RANK[rank], reason or ""] += count
            continue
        time_s = float(time_s or 0.0)
        totals.add(count, time_s, bulletin_id)
        topic = by_name.get(topic_name)
        topic_tally[topic.code if topic else 0].add(count, time_s, bulletin_id)
        zones[zone].add(count, time_s, bulletin_id)
        months[month_names[month]].add(count, time_s, bulletin_id)
        sources[AirSource(source)].add(count, time_s, bulletin_id)
        if emergency is not None:
            emergencies.add(emergency)
    months_long = scope.window.months_long
    return Summary(
        scope=scope,
        totals=totals,
        emergencies=len(emergencies),
        partial=counts[1],
        failed=counts[2],
        missed=counts[3],
        topics=[_topic_line(topic, topic_tally[topic.code], months_long) for topic in topics],
        zones=dict(sorted(zones.items())),
        months=months,
        sources=sources,
        reasons=[
            Reason(status, reason, count)
            for (status, reason), count in sorted(
                reasons.items(), key=lambda item: (-item[1], item[0][0], item[0][1])
            )
        ],
        slot_lines=_slot_lines(session, scope, aired_slots),
        plan_topics=tuple(topics),
    )


def _topic_line(topic: PlanTopic, tally: Tally, months_long: float) -> TopicLine:
    plays = topic.target_plays_per_month
    minutes = topic.target_minutes_per_month
    return TopicLine(
        code=topic.code,
        name=topic.name,
        tally=tally,
        target_plays=round(plays * months_long) if plays else None,
        target_minutes=round(minutes * months_long, 1) if minutes else None,
    )


@dataclass(frozen=True)
class SlotLine:
    """One slot on one zone on one day: what the plan held and what aired."""

    day: date
    zone_name: str
    slot_name: str
    start: datetime
    planned: int
    planned_s: float
    aired: int
    partial: int
    not_aired: int
    failed_outputs: int
    aired_s: float
    reason: str

    @property
    def state(self) -> str:
        """Say in a word how the slot went, as the planned-against-aired table shows it."""
        if self.aired == 0:
            return "Không phát"
        if self.not_aired or self.partial:
            return "Thiếu"
        if self.failed_outputs:
            return "Lỗi đầu ra"
        return "Đủ"

    @property
    def complete(self) -> bool:
        return self.state == "Đủ"


@dataclass(frozen=True)
class SlotTally:
    """Slots the plan held in the window, and how many aired at all and in full."""

    planned: int
    aired: int
    complete: int


def _planned_slots(scope: Scope) -> Select[*tuple[Any, ...]]:
    """The plan's slots in the window: a row per day, zone and slot."""
    window = scope.window
    return (
        select(
            PlanItem.day,
            PlanItem.zone_id,
            PlanItem.slot_id,
            func.min(PlanItem.slot_start).label("start"),
            func.count().label("planned"),
            func.sum(PlanItem.duration_s).label("planned_s"),
        )
        .where(PlanItem.day >= window.first_day, PlanItem.day <= window.last_day)
        .group_by(PlanItem.day, PlanItem.zone_id, PlanItem.slot_id)
    )


@dataclass(frozen=True)
class AiredSlot:
    """What aired of one planned slot (a day, a zone, a slot), from the scheduled plays."""

    reason: str | None
    aired: int
    aired_s: float | None
    day: date
    zone_id: int
    slot_id: int
    partial: int
    failed_outputs: int | None


def _aired_slot_columns(plays: Any) -> tuple[Any, ...]:
    """The columns of `AiredSlot`, in its order, over the plays matched to plan items."""
    aired = plays.c.rank.in_(AIRED_RANKS)
    return (
        func.max(plays.c.reason),
        func.sum(case((aired, 1), else_=0)),
        func.sum(case((aired, plays.c.aired_s), else_=0.0)),
        PlanItem.day,
        PlanItem.zone_id,
        PlanItem.slot_id,
        func.sum(case((plays.c.rank == 1, 1), else_=0)),
        func.sum(plays.c.failed_outputs),
    )


def _aired_slots(plays: Any, scope: Scope) -> Select[*tuple[Any, ...]]:
    """What aired of each planned slot: its planned items matched to scheduled plays."""
    window = scope.window
    return (
        select(*_aired_slot_columns(plays))
        .select_from(PlanItem)
        .join(
            plays,
            and_(
                plays.c.source == AirSource.SCHEDULE,
                plays.c.zone_id == PlanItem.zone_id,
                plays.c.slot_id == PlanItem.slot_id,
                plays.c.scheduled_start == PlanItem.planned_start,
                plays.c.bulletin_id == PlanItem.bulletin_id,
            ),
        )
        .where(PlanItem.day >= window.first_day, PlanItem.day <= window.last_day)
        .group_by(PlanItem.day, PlanItem.zone_id, PlanItem.slot_id)
    )


def slot_lines(session: Session, scope: Scope) -> list[SlotLine]:
    """Return every planned slot of the window with what aired of it, in time order (alone:
    `summarize` makes them along with every other figure)."""
    plays = plays_query(scope).subquery("plays")
    aired = {
        (got.day, got.zone_id, got.slot_id): got
        for got in (AiredSlot(*row) for row in session.execute(_aired_slots(plays, scope)))
    }
    return _slot_lines(session, scope, aired)


def _slot_lines(
    session: Session, scope: Scope, aired: dict[tuple[date, int, int], AiredSlot]
) -> list[SlotLine]:
    zones = dict(session.execute(select(Zone.id, Zone.name)).all())
    slots = dict(session.execute(select(Slot.id, Slot.name)).all())
    lines = []
    for row in session.execute(_planned_slots(scope)):
        got = aired.get((row.day, row.zone_id, row.slot_id))
        lines.append(
            SlotLine(
                day=row.day,
                zone_name=zones.get(row.zone_id, ""),
                slot_name=slots.get(row.slot_id, ""),
                start=row.start,
                planned=row.planned,
                planned_s=float(row.planned_s or 0.0),
                aired=got.aired if got else 0,
                partial=got.partial if got else 0,
                # Planned items with no row in the log never aired either.
                not_aired=max(0, row.planned - (got.aired if got else 0)),
                failed_outputs=(got.failed_outputs or 0) if got else 0,
                aired_s=float(got.aired_s or 0.0) if got else 0.0,
                reason=(got.reason or "") if got else "Không có dòng nào trong nhật ký",
            )
        )
    lines.sort(key=lambda line: (line.start, line.zone_name, line.slot_name))
    return lines


@dataclass(frozen=True)
class Play:
    """One play, for the detail sheet and the CSV."""

    at: datetime
    zone_name: str
    slot_name: str
    source: AirSource
    bulletin_id: int | None
    title: str
    topic_name: str
    status: AirStatus
    aired_s: float
    outputs: int
    failed_outputs: int
    reason: str


def plays(session: Session, scope: Scope, *, batch: int = 5000) -> Iterator[Play]:
    """Yield the window's plays in time order, fetched in batches (a city's quarter never
    sits in memory at once)."""
    query = plays_query(scope).subquery("plays")
    # Every column of the play's key, NULLs placed alike on both databases: the same plays
    # come out in the same order every time (a closed report is made again byte for byte).
    c = query.c
    ordered = select(query).order_by(
        c.at, c.zone_name, c.zone_id.nulls_first(), c.source, c.scheduled_start.nulls_first(),
        c.slot_id.nulls_first(), c.slot_name, c.bulletin_id.nulls_first(), c.bulletin_title,
        c.topic_name, c.rendering_sha256,
    )  # fmt: skip
    result = session.execute(ordered, execution_options={"yield_per": batch})
    for row in result:
        yield Play(
            at=row.at,
            zone_name=row.zone_name,
            slot_name=row.slot_name,
            source=AirSource(row.source),
            bulletin_id=row.bulletin_id,
            title=row.bulletin_title,
            topic_name=row.topic_name,
            status=_STATUS_OF_RANK[row.rank],
            aired_s=float(row.aired_s or 0.0),
            outputs=row.outputs,
            failed_outputs=row.failed_outputs or 0,
            reason=row.reason or "",
        )


def ledger_position(session: Session, upto_seq: int | None = None) -> tuple[int, str]:
    """Return the log's last row (seq, hash) a report covers: the newest, or `upto_seq`'s."""
    from playlists.core.chain import GENESIS_HASH

    query = select(AirLog.seq, AirLog.row_hash).order_by(AirLog.seq.desc()).limit(1)
    if upto_seq is not None:
        query = query.where(AirLog.seq <= upto_seq)
    row = session.execute(query).first()
    return (row[0], row[1]) if row else (0, GENESIS_HASH)
