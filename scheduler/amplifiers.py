"""Amplifier power: the station's own commands switch the amplifiers on before a slot, off after.

A ward wires its amplifiers to whatever it has (a relay board, a smart plug, a GPIO pin), so
the commands are settings, run without a shell; `{zone}` is replaced by the zone's name.
"""

from __future__ import annotations

import logging
import shlex
import subprocess
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from playlists.alerts.models import AlertKind
from playlists.core.db import session_scope
from playlists.slots.models import Slot
from scheduler.playout.airwaves import Airwaves
from scheduler.playout.programs import upcoming_slots

log = logging.getLogger(__name__)

TIMEOUT_S = 15.0


@dataclass(frozen=True)
class SwitchResult:
    """What one power command did."""

    command: list[str]
    ok: bool
    detail: str


def switch(template: str, *, zone: str) -> SwitchResult:
    """Run one power command for a zone and say whether it worked."""
    command = [part.replace("{zone}", zone) for part in shlex.split(template)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return SwitchResult(command, False, str(exc))
    output = (done.stderr or done.stdout).strip()[-300:]
    if done.returncode != 0:
        return SwitchResult(command, False, f"exit status {done.returncode}: {output}")
    return SwitchResult(command, True, output)


class Amplifiers:
    """Switch the amplifiers of a slot's zones on before it and off after it."""

    def __init__(self, air: Airwaves) -> None:
        self.air = air

    def switch_for_slot(self, action: str, day: date, slot_id: int) -> None:
        """Run the power command for each zone of a slot, and log what it did.

        Switching off is skipped on a zone that another slot needs soon.
        """
        settings = self.air.settings
        template = settings.amp_on_command if action == "on" else settings.amp_off_command
        if not template:
            return
        with session_scope(self.air.sessions) as session:
            slot = session.get(Slot, slot_id)
            zones = {z.id: z.name for z in slot.zones} if slot is not None else {}
            if action == "off":
                busy = self._zones_needed_soon(session, set(zones))
                for zone_id in busy:
                    log.info("amplifiers of %s kept on: another slot starts soon", zones[zone_id])
                zones = {z: name for z, name in zones.items() if z not in busy}
        for zone in zones.values():
            done = switch(template, zone=zone)
            if done.ok:
                log.info("amplifiers %s for %s (slot %s on %s): %s",
                         action, zone, slot_id, day, " ".join(done.command))  # fmt: skip
            else:
                log.error("amplifier command failed for %s: %s", zone, done.detail)
                word = "bật" if action == "on" else "tắt"
                self.air.alert(AlertKind.AMPLIFIER,
                               f"{zone}: không {word} được bộ khuếch đại ({done.detail}).",
                               f"amplifier {action} failed: {done.detail}", zone)  # fmt: skip

    def _zones_needed_soon(self, session: Session, zone_ids: set[int]) -> set[int]:
        """Return the zones among `zone_ids` that another slot needs within the amplifier lead."""
        settings = self.air.settings
        now = self.air.clock.now()
        soon = now + timedelta(seconds=settings.amp_lead_s + settings.amp_hold_s)
        needed: set[int] = set()
        for _day, slot_id, _start in upcoming_slots(session=session, since=now, until=soon):
            slot = session.get(Slot, slot_id)
            if slot is not None:
                needed |= {z.id for z in slot.zones} & zone_ids
        return needed
