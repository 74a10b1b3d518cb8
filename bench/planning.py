"""Planning benchmark: a city-scale station's whole year, against loading its rows (the floor).

The station: 100 zones in 10 wards of 10, each ward with 3 slots a day (05:30 for 30 min,
11:00 for 15 min, 17:00 for 30 min, each with a 60 s head and a 30 s tail), and 5,000
approved bulletins spread over 2026: runs of 1 to 30 days, 1 to 3 plays a day, 40 s to 4 min
of audio, 3 % khẩn cấp, 17 % ưu tiên, the rest thông thường; 5 % city-wide, 20 % for a whole
ward, the rest for 1 to 3 zones; texts as long as their audio (about 12 characters a second).
Demand exceeds capacity on many days, so shortfalls and fairness are exercised too.

The station is built twice from one seed: as plain planner specs, and as rows in a temporary
SQLite database (migrated like production, inserted in bulk). The floor is loading those rows
back as specs, once for the whole year, with the query shape of `playlists.plans.load_specs`
widened to a range: zones; slots with their zones, cancellations and fixed segments; approved
bulletins overlapping the year with their zones and renderings; and what each one already
aired, from the as-run log (empty here: the year is ahead). The specs loaded are checked
against those generated, then planned, timed two ways:

- day by day with `iter_range_plan`, each day's plan handed over complete and dropped once
  counted, as a caller that stores plans would: this is the planning time of the ratio;
- all at once with `build_range_plan`, the 365 plans kept in memory (about a million items),
  where the garbage collector's passes over the growing heap add their cost.

Each figure is the best of a few runs (wall clock). The last line is the ratio.

    .venv/bin/python bench/planning.py [--repeats N]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import tempfile
import time as clock
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from playlists.bulletins.models import (
    Bulletin,
    BulletinStatus,
    Priority,
    Rendering,
    Topic,
    bulletin_zones,
)
from playlists.core.db import make_engine, migrate
from playlists.planning.engine import build_range_plan, iter_range_plan
from playlists.planning.specs import (
    BulletinSpec,
    DayPlan,
    PlanningRules,
    SlotSpec,
    ZoneSpec,
)
from playlists.planning.store import load_specs
from playlists.slots.models import Slot, Zone, slot_zones

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
YEAR_FIRST = date(2026, 1, 1)
YEAR_LAST = date(2026, 12, 31)
WARDS = 10
ZONES_PER_WARD = 10
BULLETINS = 5000
SLOT_SHAPES = [
    ("Sáng", time(5, 30), 1800),
    ("Trưa", time(11, 0), 900),
    ("Chiều", time(17, 0), 1800),
]
HEAD_S = 60.0
TAIL_S = 30.0
CHARS_PER_S = 12
SENTENCE = (
    "Ủy ban nhân dân phường thông báo lịch tiếp công dân và hướng dẫn nộp hồ sơ trực tuyến "
    "trên Cổng dịch vụ công quốc gia; mọi thắc mắc xin gọi đường dây nóng 1900 1234. "
)
RANKS = {Priority.EMERGENCY: 0, Priority.PRIORITY: 1, Priority.NORMAL: 2}

T = TypeVar("T")


def best_of(repeats: int, action: Callable[[], T]) -> tuple[float, T]:
    """Run action `repeats` times; return the shortest time and the last result."""
    best = float("inf")
    result: T | None = None
    for _ in range(repeats):
        started = clock.perf_counter()
        result = action()
        best = min(best, clock.perf_counter() - started)
    assert result is not None
    return best, result


class Station:
    """The city-scale station as plain data: rows to insert and the specs they stand for."""

    def __init__(self, topic_ids: list[int], seed: int = 2026) -> None:
        rng = random.Random(seed)
        self.zones = [
            ZoneSpec(w * ZONES_PER_WARD + k + 1, f"Phường {w + 1:02d} – cụm {k + 1:02d}")
            for w in range(WARDS)
            for k in range(ZONES_PER_WARD)
        ]
        ward_zones = [
            [z.id for z in self.zones[w * ZONES_PER_WARD : (w + 1) * ZONES_PER_WARD]]
            for w in range(WARDS)
        ]
        self.slots = [
            SlotSpec(
                id=w * len(SLOT_SHAPES) + s + 1,
                name=f"{name} – phường {w + 1:02d}",
                start=start,
                duration_s=duration,
                zone_ids=frozenset(ward_zones[w]),
                head_s=HEAD_S,
                tail_s=TAIL_S,
            )
            for w in range(WARDS)
            for s, (name, start, duration) in enumerate(SLOT_SHAPES)
        ]
        all_zones = [z.id for z in self.zones]
        self.bulletins: list[BulletinSpec] = []
        self.priorities: dict[int, Priority] = {}
        for i in range(1, BULLETINS + 1):
            first = YEAR_FIRST + timedelta(days=rng.randrange(365))
            last = min(first + timedelta(days=rng.randint(1, 30) - 1), YEAR_LAST)
            roll = rng.random()
            priority = (
                Priority.EMERGENCY
                if roll < 0.03
                else Priority.PRIORITY
                if roll < 0.20
                else Priority.NORMAL
            )
            reach = rng.random()
            if reach < 0.05:
                zone_ids = all_zones
            elif reach < 0.25:
                zone_ids = rng.choice(ward_zones)
            else:
                zone_ids = rng.sample(all_zones, rng.randint(1, 3))
            self.priorities[i] = priority
            self.bulletins.append(
                BulletinSpec(
                    id=i,
                    title=f"Bản tin số {i}",
                    priority_rank=RANKS[priority],
                    first_day=first,
                    last_day=last,
                    per_day=rng.choice([1, 1, 2, 2, 3]),
                    zone_ids=frozenset(zone_ids),
                    rendering_id=i,
                    duration_s=round(rng.uniform(40, 240), 1),
                    topic_id=rng.choice(topic_ids),
                    aired_plays=0,
                )
            )

    def insert_rows(self, session: Session) -> None:
        """Insert the station as database rows, in bulk."""
        session.execute(insert(Zone), [{"id": z.id, "name": z.name} for z in self.zones])
        session.execute(
            insert(Slot),
            [
                {
                    "id": s.id,
                    "name": s.name,
                    "start": s.start,
                    "duration_s": s.duration_s,
                    "head_s": int(s.head_s),
                    "tail_s": int(s.tail_s),
                }
                for s in self.slots
            ],
        )
        session.execute(
            insert(slot_zones),
            [{"slot_id": s.id, "zone_id": z} for s in self.slots for z in sorted(s.zone_ids)],
        )
        now = datetime(2025, 12, 20, tzinfo=UTC)
        texts = {b.id: text_of(b.duration_s) for b in self.bulletins}
        session.execute(
            insert(Rendering),
            [
                {
                    "id": b.rendering_id,
                    "sha256": hashlib.sha256(f"rendering {b.id}".encode()).hexdigest(),
                    "file": f"renderings/{b.id:05d}.wav",
                    "engine": "gtts",
                    "spoken_text": texts[b.id],
                    "duration_s": b.duration_s,
                    "loudness_lufs": -16.0,
                    "true_peak_db": -1.2,
                    "created_at": now,
                }
                for b in self.bulletins
            ],
        )
        session.execute(
            insert(Bulletin),
            [
                {
                    "id": b.id,
                    "title": b.title,
                    "text": texts[b.id],
                    "topic_id": b.topic_id,
                    "priority": self.priorities[b.id],
                    "first_day": b.first_day,
                    "last_day": b.last_day,
                    "per_day": b.per_day,
                    "status": BulletinStatus.APPROVED,
                    "author": "Phóng viên",
                    "approver": "Trưởng đài",
                    "rendering_id": b.rendering_id,
                    "created_at": now,
                    "updated_at": now,
                    "submitted_at": now,
                    "decided_at": now,
                }
                for b in self.bulletins
            ],
        )
        session.execute(
            insert(bulletin_zones),
            [
                {"bulletin_id": b.id, "zone_id": z}
                for b in self.bulletins
                for z in sorted(b.zone_ids)
            ],
        )


def text_of(duration_s: float) -> str:
    """Return a text about as long as `duration_s` of speech."""
    length = int(duration_s * CHARS_PER_S)
    return (SENTENCE * (length // len(SENTENCE) + 1))[:length]


def load_year_specs(
    session: Session, first: date, last: date
) -> tuple[list[ZoneSpec], list[SlotSpec], list[BulletinSpec]]:
    """Load zones, slots and the approved bulletins overlapping a range, as planner specs.

    The station's own loader, with the range and the plays already aired before it (the
    inputs the planner's preferences use).
    """
    before = datetime.combine(first, time(0), tzinfo=TZ)
    return load_specs(session=session, day=first, last_day=last, aired_before=before)


def summarize(plans: list[DayPlan]) -> tuple[int, int, int, float]:
    """Return zone-days, items placed, shortfalls, and the share of item time used."""
    zone_days = items = 0
    used = window = 0.0
    for plan in plans:
        zone_days += len(plan.zones)
        for zone_plan in plan.zones:
            for slot_plan in zone_plan.slots:
                items += len(slot_plan.items)
                used += slot_plan.used_s
                window += slot_plan.slot.items_s
    shortfalls = sum(len(plan.unplaced) for plan in plans)
    return zone_days, items, shortfalls, used / window if window else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of each timing (best)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        migrate(engine)
        with Session(engine) as session:
            topic_ids = sorted(session.scalars(select(Topic.id)))
            station = Station(topic_ids)
            started = clock.perf_counter()
            station.insert_rows(session)
            session.commit()
            inserted_s = clock.perf_counter() - started

        def load() -> tuple[list[ZoneSpec], list[SlotSpec], list[BulletinSpec]]:
            with Session(engine) as session:
                return load_year_specs(session, YEAR_FIRST, YEAR_LAST)

        def load_one_day() -> int:
            with Session(engine) as session:
                return len(load_specs(session=session, day=date(2026, 6, 15))[2])

        load_s, (zones, slots, bulletins) = best_of(args.repeats, load)
        day_load_s, day_count = best_of(args.repeats, load_one_day)
        engine.dispose()

    assert sorted(zones, key=lambda z: z.id) == station.zones, "zones differ"
    assert sorted(slots, key=lambda s: s.id) == station.slots, "slots differ"
    assert sorted(bulletins, key=lambda b: b.id) == station.bulletins, "bulletins differ"
    memberships = sum(len(b.zone_ids) for b in bulletins)
    described = (
        f"station: {len(zones)} zones, {len(slots)} slots ({len(SLOT_SHAPES)} a day per zone), "
        f"{len(bulletins)} bulletins ({memberships} bulletin-zone pairs), "
        f"{YEAR_FIRST} to {YEAR_LAST}"
    )
    del station  # plan what was loaded, as the station would; the generated copy can go

    rules = PlanningRules()
    year = (YEAR_FIRST, YEAR_LAST, zones, slots, bulletins, TZ, rules)

    def plan_day_by_day() -> int:
        items = 0
        for plan in iter_range_plan(*year):
            items += sum(len(s.items) for z in plan.zones for s in z.slots)
            del plan  # a caller storing plans lets each day go once stored
        return items

    def plan_all_at_once() -> list[DayPlan]:
        return build_range_plan(*year)

    plan_s, streamed_items = best_of(args.repeats, plan_day_by_day)
    keep_s, plans = best_of(args.repeats, plan_all_at_once)
    zone_days, items, shortfalls, used = summarize(plans)
    assert items == streamed_items

    print(described)
    print(f"rows inserted in bulk:                  {inserted_s:7.3f} s")
    print(
        f"load one day (load_specs):              {day_load_s:7.3f} s"
        f"  ({day_count} bulletins running)"
    )
    print(f"load the year's rows (the floor):       {load_s:7.3f} s")
    print(f"plan the year, day by day:              {plan_s:7.3f} s")
    print(f"plan the year, all kept in memory:      {keep_s:7.3f} s")
    print(f"zone-days planned:                      {zone_days:7d}")
    print(f"time per zone-day (day by day):         {plan_s / zone_days * 1e6:7.1f} µs")
    print(f"time per zone-day (all kept):           {keep_s / zone_days * 1e6:7.1f} µs")
    print(
        f"items placed:                           {items:7d}  ({items / zone_days:.1f} a zone-day)"
    )
    print(f"item time used (between head and tail): {used:7.1%}")
    print(
        f"shortfalls reported:                    {shortfalls:7d}"
        f"  ({shortfalls / zone_days:.1f} a zone-day)"
    )
    print(f"planning/load ratio: {plan_s / load_s:.2f}")


if __name__ == "__main__":
    main()
