"""The functions the persistent job store calls, by name, in whichever process runs the station.

APScheduler stores a job as a reference to a module-level function and its arguments, so a
restarted process finds its jobs again. Each function looks up the running `Station` by its
key (the database URL) and hands over; a job for a station that is not running does nothing.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scheduler.station import Station

log = logging.getLogger(__name__)

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
