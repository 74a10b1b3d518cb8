"""What the planner takes and gives: plain, frozen records, no database and no clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from playlists.slots import calendar


@dataclass(frozen=True)
class ZoneSpec:
    """A zone as the planner sees it."""

    id: int
    name: str


@dataclass(frozen=True)
class SlotSpec:
    """A slot as the planner sees it; `days` holds ISO weekday digits ("1234567").

    Fixed segments are kept free: `head_s` at the start (signature tune, station
    identification), then `relay_s` (relaying national radio, tiếp âm), and `tail_s` at the
    end (closing words and tune); items go in between. `cancelled` lists the dates it does not
    air (a holiday, an event).
    """

    id: int
    name: str
    start: time
    duration_s: int
    zone_ids: frozenset[int]
    days: str = "1234567"
    valid_from: date | None = None
    valid_to: date | None = None
    head_s: float = 0.0
    tail_s: float = 0.0
    relay_s: float = 0.0
    cancelled: frozenset[date] = frozenset()

    def airs_on(self, day: date) -> bool:
        """Tell whether the slot airs on a local date."""
        return calendar.airs_on(
            day,
            days=self.days,
            valid_from=self.valid_from,
            valid_to=self.valid_to,
            cancelled=self.cancelled,
        )

    def airs_between(self, first: date, last: date) -> bool:
        """Tell whether the slot airs on at least one local date from `first` to `last`."""
        return calendar.airs_between(
            first,
            last,
            days=self.days,
            valid_from=self.valid_from,
            valid_to=self.valid_to,
            cancelled=self.cancelled,
        )

    @property
    def window(self) -> calendar.Window:
        """Return where items may go: after the head and the relay, before the tail."""
        return calendar.bulletin_window(self.duration_s, self.head_s, self.relay_s, self.tail_s)

    @property
    def items_start_s(self) -> float:
        """Return the offset where items may start: after the head and the relay."""
        return self.window.start_s

    @property
    def items_s(self) -> float:
        """Return the time left for items between the fixed segments."""
        return self.window.length_s


@dataclass(frozen=True)
class BulletinSpec:
    """An approved bulletin as the planner sees it; no rendering means no audio yet.

    `asked_total_plays` is what the bulletin asked for over its whole run on all its zones
    (None: `per_day` on every day and zone); `aired_plays` is how many of them aired before the
    first planned day (None: unknown, taken as on pace); `last_aired` is its latest play on any
    zone. Together they say how far behind its asked plays it is and how long it has waited.
    """

    id: int
    title: str
    priority_rank: int  # 0 khẩn cấp, 1 ưu tiên, 2 thông thường
    first_day: date
    last_day: date
    per_day: int
    zone_ids: frozenset[int]
    rendering_id: int | None
    duration_s: float
    topic_id: int | None = None
    asked_total_plays: int | None = None
    aired_plays: int | None = None
    last_aired: datetime | None = None


@dataclass(frozen=True)
class PlanningRules:
    """The station's planning settings."""

    min_gap_s: float = 3600.0  # between two plays of the same bulletin on the same zone
    spread_topics: bool = True


DEFAULT_RULES = PlanningRules()


@dataclass(frozen=True)
class FixedItem:
    """A play on one zone that already happened or started: it is kept, never moved.

    It counts toward the bulletin's plays that day and toward the gap rule. With `slot_id`
    it is shown in that slot's programme (when the slot airs on the zone at that instant),
    and new items go after it.
    """

    bulletin_id: int
    start: datetime  # aware
    duration_s: float
    slot_id: int | None = None
    rendering_id: int | None = None
    title: str = ""


class PlannedItem(NamedTuple):
    """One bulletin placed in a slot, `offset_s` after the slot starts.

    An immutable record, a named tuple rather than a dataclass: a year's plan for a city holds
    about a million of them, and tuples are the cheapest records Python makes and keeps.
    """

    bulletin_id: int
    title: str
    rendering_id: int
    offset_s: float
    duration_s: float
    fixed: bool = False  # kept from what already aired or started


@dataclass
class SlotPlan:
    """A slot's programme on one zone."""

    slot: SlotSpec
    start: datetime  # aware, in the station's time zone
    items: list[PlannedItem] = field(default_factory=list)

    @property
    def capacity_s(self) -> int:
        return self.slot.duration_s

    @property
    def used_s(self) -> float:
        return sum(item.duration_s for item in self.items)

    @property
    def items_end_s(self) -> float:
        """Return the offset by which every item must have ended (the tail starts)."""
        return self.slot.window.end_s

    @property
    def free_s(self) -> float:
        """Return the time left for items after the last one and before the tail."""
        last = max((i.offset_s + i.duration_s for i in self.items), default=0.0)
        return self.items_end_s - max(last, self.slot.items_start_s)


@dataclass
class ZonePlan:
    """Every slot of one zone on one day, in time order."""

    zone: ZoneSpec
    slots: list[SlotPlan] = field(default_factory=list)


class Unplaced(NamedTuple):
    """A bulletin that did not get all the plays it asked for on a zone, and why (Vietnamese)."""

    bulletin_id: int
    title: str
    zone_id: int
    reason: str


@dataclass
class DayPlan:
    """The whole station's plan for one local date."""

    day: date
    zones: list[ZonePlan]
    unplaced: list[Unplaced]


def planned_start(slot_plan: SlotPlan, item: PlannedItem) -> datetime:
    """Return when an item is planned to start."""
    return slot_plan.start + timedelta(seconds=item.offset_s)
