"""The city's summary: each ward's plays and airtime, by topic of the plan, side by side.

Counted ward by ward with the ward's own report figures (playlists/reports/figures.py), each
in a read of the ward's own schema: what a city reporter sees for a ward is what the ward's
own report says for the same window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from playlists.reports.figures import PlanTopic, Scope, Tally, plan_topics, summarize
from playlists.reports.periods import Window


@dataclass(frozen=True)
class WardLine:
    """One ward's figures for the window."""

    code: str
    name: str
    totals: Tally
    emergencies: int
    missed: int
    # By topic code: what aired of each of the plan's topics (the ward's own plan).
    topics: dict[int, Tally]
    uncovered: list[str]  # the names of the plan's topics nothing aired for


@dataclass(frozen=True)
class CitySummary:
    """Every ward's line, and the plan's topics as the columns (codes in the plan's order)."""

    window: Window
    topics: list[PlanTopic]
    wards: list[WardLine]

    @property
    def totals(self) -> Tally:
        total = Tally()
        for line in self.wards:
            total.add(line.totals.plays, line.totals.airtime_s, None)
        return total

    def topic_total(self, code: int) -> Tally:
        total = Tally()
        for line in self.wards:
            tally = line.topics.get(code)
            if tally is not None:
                total.add(tally.plays, tally.airtime_s, None)
        return total

    @property
    def uncovering(self) -> list[WardLine]:
        """The wards that left at least one topic of the plan uncovered."""
        return [line for line in self.wards if line.uncovered]


WardSessions = Callable[[str], AbstractContextManager[Session]]


def city_summary(
    wards: list[tuple[str, str]], open_ward: WardSessions, window: Window, tz: ZoneInfo
) -> CitySummary:
    """Count the window for every ward of `wards` (code, name), each read in its own session.

    `open_ward(code)` opens a session on that ward's schema (the caller knows the engines).
    """
    lines = list(_lines(wards, open_ward, Scope(window, tz)))
    topics: dict[int, PlanTopic] = {}
    for _code, found in lines:
        for topic in found:
            topics.setdefault(topic.code, topic)
    ordered = sorted(topics.values(), key=lambda t: (t.code == 0, t.code))
    return CitySummary(window, ordered, [line for line, _ in lines])


def _lines(
    wards: list[tuple[str, str]], open_ward: WardSessions, scope: Scope
) -> Iterator[tuple[WardLine, list[PlanTopic]]]:
    for code, name in wards:
        with open_ward(code) as session:
            topics = plan_topics(session)
            summary = summarize(session, scope, topics)
        line = WardLine(
            code=code,
            name=name,
            totals=summary.totals,
            emergencies=summary.emergencies,
            missed=summary.missed + summary.failed,
            topics={t.code: t.tally for t in summary.topics},
            uncovered=summary.uncovered_topics,
        )
        yield line, topics
