"""After a crash: log what the dead process had on air, and resume slots still inside their time.

The player's journals (journal.py) say what each programme had aired when the process died.
Rows it reported but the log never got are written; the item on air is logged partial up to
the last tick; a slot still running resumes with what is left, a finished one logs it missed.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from playlists.alerts.models import AlertKind
from playlists.asrun.models import AirLog, AirSource, AirStatus
from playlists.core.db import session_scope
from scheduler.playout.airwaves import Airwaves
from scheduler.playout.journal import Unfinished, unfinished
from scheduler.playout.programs import PlayResult, resumed
from scheduler.playout.slots import SlotAiring

log = logging.getLogger(__name__)

NO_TIME_AFTER_RESTART = "Sau khi khởi động lại, khung giờ không còn đủ thời gian."
SLOT_OVER_AFTER_CRASH = "Phần mềm dừng đột ngột; khi chạy lại thì khung giờ đã hết."


class Recovery:
    """Pick up what a crashed run left on air."""

    def __init__(self, air: Airwaves, slots: SlotAiring) -> None:
        self.air = air
        self.slots = slots

    def recover(self) -> None:
        """Log what a crashed run left on air, and resume slots still inside their time."""
        for found in unfinished(self.air.settings.onair_dir):
            self._recover_one(found)
            # Only once its rows are written: dying here leaves the journal for next time.
            self.air.recorder.flush()
            found.path.unlink(missing_ok=True)

    def _recover_one(self, found: Unfinished) -> None:
        air = self.air
        program, now = found.program, air.clock.now()
        names = found.outputs or air.output_names(program)
        log.warning("recovering %s: the process stopped while it was on air", program.label)
        self._log_unwritten(found, names)
        if found.on_air is not None and found.on_air_since is not None:
            item = program.items[found.on_air]
            air.alert(AlertKind.SCHEDULER,
                      f"{program.zone_name}: phần mềm dừng đột ngột khi đang phát {item.title}.",
                      f"crash while airing {program.label}", program.zone_name)  # fmt: skip
        # The re-made slot job must not air it a second time.
        self.slots.mark_aired(program)
        rest = found.not_finished
        if not rest:
            return
        if program.source != AirSource.EMERGENCY and now < program.end:
            again = resumed(program, rest, now=now)
            air.spawn(self.slots.air_program, again, [], None, NO_TIME_AFTER_RESTART,
                      name=again.label)  # fmt: skip
            return
        for index in rest:
            if index == found.on_air or index in found.cut:
                continue
            for name in names:
                air.record(PlayResult(program, program.items[index], AirStatus.MISSED, name,
                                      reason=SLOT_OVER_AFTER_CRASH))  # fmt: skip

    def _log_unwritten(self, found: Unfinished, names: list[str]) -> None:
        """Write the rows the player reported but the crash kept from the log, and the cut.

        The journal holds what the player reported for each output at each item's end (or
        cut); a row of those not in the log died in the writer's queue. The item on air when
        the process died is logged partial on every output, up to the last tick.
        """
        program = found.program
        since = min(found.started.values(), default=program.start)
        with session_scope(self.air.sessions) as session:
            logged = {
                (row.output, row.rendering_sha256, row.status.value, row.actual_start)
                for row in session.scalars(
                    select(AirLog).where(
                        AirLog.zone_name == program.zone_name, AirLog.created_at >= since
                    )
                )
            }
        for index, data in found.results:
            item = program.items[index]
            start = datetime.fromisoformat(data["start"]) if data["start"] else None
            if (data["output"], item.rendering_sha256, data["status"], start) in logged:
                continue
            end = datetime.fromisoformat(data["end"]) if data["end"] else None
            self.air.record(PlayResult(program, item, AirStatus(data["status"]), data["output"],
                                       start, end, data["reason"]))  # fmt: skip
        if found.on_air is not None and found.on_air_since is not None:
            item, start = program.items[found.on_air], found.on_air_since
            end = found.last_seen or start
            reason = (
                "Phần mềm dừng đột ngột khi đang phát; "
                f"đã phát khoảng {(end - start).total_seconds():.0f} giây."
            )
            for name in names:
                self.air.record(
                    PlayResult(program, item, AirStatus.PARTIAL, name, start, end, reason)
                )
