"""The functions the persistent job store calls, by name, in whichever process runs the station.

APScheduler keeps each job in the station's database as a textual reference to one of these
functions and its arguments (pickled), so a restarted process finds its jobs again. That makes
these names and argument shapes a stored interface: the references below and the arguments
`reconcile.wanted_jobs` gives them are pinned by tests/scheduler/test_jobs.py. When either
has to change, keep the old function as a forwarder for one release, or add a migration that
deletes the stored air:/amp: rows (reconciliation at start-up makes them again from the plan);
docs/architecture.md says so too.

Each function looks up the running `Station` by its key (a hash of the database URL) in this
process's registry and hands over; a job for a station that does not run here does nothing.
The registry is per process because one process may run several stations (the tests do).
"""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scheduler.station import Station

log = logging.getLogger(__name__)

# The stored references. Never rename without the upgrade step above.
AIR_SLOT = "scheduler.jobs:air_slot"  # args: [station key, "YYYY-MM-DD", slot id]
AMPLIFIER = "scheduler.jobs:amplifier"  # args: [station key, "on"|"off", "YYYY-MM-DD", slot id]
BUILD_TOMORROW = "scheduler.jobs:build_tomorrow"  # args: [station key]

_running: dict[str, Station] = {}


def register(key: str, station: Station) -> None:
    """Make `station` the target of the stored jobs with this key."""
    _running[key] = station


def unregister(key: str) -> None:
    """Forget a stopped station."""
    _running.pop(key, None)


def _station(key: str) -> Station | None:
    station = _running.get(key)
    if station is None:
        log.warning("job for station %s, which does not run in this process; skipped", key)
    return station


def air_slot(key: str, day: str, slot_id: int) -> None:
    """Air one slot of the stored plan."""
    station = _station(key)
    if station is not None:
        station.air_slot(date.fromisoformat(day), slot_id)


def amplifier(key: str, action: str, day: str, slot_id: int) -> None:
    """Switch the amplifiers of one slot's zones on or off."""
    station = _station(key)
    if station is not None:
        station.switch_amplifiers(action, date.fromisoformat(day), slot_id)


def build_tomorrow(key: str) -> None:
    """Build tomorrow's plan (the evening job)."""
    station = _station(key)
    if station is not None:
        station.build_tomorrow()
