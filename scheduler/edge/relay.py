"""The server's side of the players (LOA_AIR_AT=players): it airs nothing itself.

It tells the players through the broker when plans change, hands them each emergency the
moment it is requested (and a stop), and records the status each player publishes (its last
will when the broker loses it). A check every heartbeat raises an alert when a player falls
silent or its plans will run out before its next sync.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from datetime import date

from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from playlists.alerts.models import AlertKind
from playlists.alerts.service import raise_alert
from playlists.core.clock import Clock
from playlists.core.db import session_scope
from playlists.emergencies import service as emergencies
from playlists.emergencies.models import Emergency, EmergencyStatus
from playlists.planning.models import DayPlan
from playlists.replica import fleet
from scheduler.edge import messages
from scheduler.edge.bus import Bus
from scheduler.playout.emergencies import POLL_S
from scheduler.settings import SchedulerSettings

log = logging.getLogger(__name__)


class Relay:
    """Plans, emergencies and stops out to the players; their statuses in."""

    def __init__(
        self, settings: SchedulerSettings, sessions: sessionmaker[Session], clock: Clock
    ) -> None:
        if settings.mqtt_url is None:
            raise ValueError("LOA_AIR_AT=players needs LOA_MQTT_URL (the broker)")
        self.settings = settings
        self.sessions = sessions
        self.clock = clock
        self.code = settings.station_code
        self._lock = threading.Lock()
        self._relayed: set[int] = set()  # emergencies handed over, which a stop may follow
        self._stopping = threading.Event()
        self._plans_mark: tuple[object, ...] | None = None  # the plans as last seen
        self._watcher: threading.Thread | None = None
        self.bus = Bus(
            settings.mqtt_url,
            f"loa-server-{self.code}",
            subscriptions=(messages.topic(self.code, messages.PLAYERS, "+"),),
            on_message=self._heard,
            on_connect=self.send_due,
        )

    def start(self) -> None:
        self.bus.start()
        self._watcher = threading.Thread(target=self._watch, name="relay watcher", daemon=True)
        self._watcher.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        self.bus.stop()

    def _watch(self) -> None:
        # Requests written by another process (`loa emergency`, a web worker) are found here;
        # the players are checked at the pace of their heartbeats.
        checked = 0.0
        while not self._stopping.wait(POLL_S):
            try:
                self.send_due()
                if time.monotonic() - checked >= self.settings.player_heartbeat_s:
                    checked = time.monotonic()
                    self.check()
            except Exception:
                log.exception("relay watcher failed; trying again")

    # --- out ------------------------------------------------------------------------------

    def plans_changed(self, days: Iterable[date] = ()) -> None:
        """Tell every player to sync now."""
        call = messages.PlanChanged(days=sorted(days), at=self.clock.now())
        if not self.bus.publish(messages.topic(self.code, messages.PLAN), _json(call)):
            log.warning("plan change not sent: no broker (players sync at their next turn)")

    def send_due(self) -> None:
        """Hand every due emergency to the players, and every stop since the last call."""
        if not self.bus.connected.is_set():
            return  # claimed nothing: due still, sent at the next connect
        with self._lock, session_scope(self.sessions) as session:
            now = self.clock.now()
            for emergency in emergencies.claim_due(session, now=now):
                call = messages.EmergencyCall(
                    id=emergency.id, title=emergency.title, text=emergency.text,
                    requested_by=emergency.requested_by, sha256=emergency.audio_sha256,
                    duration_s=emergency.duration_s, zone_ids=emergency.zone_ids,
                    repeat=emergency.repeat, every_min=emergency.every_min, sent_at=now,
                )  # fmt: skip
                if self.bus.publish(messages.topic(self.code, messages.EMERGENCY), _json(call)):
                    emergencies.handed_over(session, emergency, now=now)
                    self._relayed.add(emergency.id)
                    log.info("emergency %d handed to the players", emergency.id)
                else:  # claimed but not sent: due again at the next call (a broker connect)
                    emergency.next_at = now
                    log.error("emergency %d not sent: no broker", emergency.id)
            if self._relayed:
                stopped = session.scalars(
                    select(Emergency.id).where(
                        Emergency.id.in_(self._relayed),
                        Emergency.status == EmergencyStatus.CANCELLED,
                    )
                ).all()
                for emergency_id in stopped:
                    stop = messages.StopCall(id=emergency_id)
                    if self.bus.publish(messages.topic(self.code, messages.STOP), _json(stop)):
                        self._relayed.discard(emergency_id)

    # --- in -------------------------------------------------------------------------------

    def _heard(self, topic: str, payload: bytes) -> None:
        name = topic.rsplit("/", 1)[-1]
        try:
            status = fleet.PlayerStatus.model_validate_json(payload)
        except ValidationError:
            log.warning("unreadable status on %s", topic)
            return
        if status.name != name:
            log.warning("status on %s names another player (%s)", topic, status.name)
            return
        with session_scope(self.sessions) as session:
            fleet.record(session, status, now=self.clock.now())

    def check(self) -> None:
        """Raise an alert for each player that needs attention; end handed-over requests; tell
        the players of plans built by another process (`loa plan build`, a web worker)."""
        now = self.clock.now()
        with session_scope(self.sessions) as session:
            mark = tuple(session.execute(select(func.count(), func.max(DayPlan.built_at))).one())
            if self._plans_mark is not None and mark != self._plans_mark:
                self.plans_changed()
            self._plans_mark = mark
            emergencies.end_handed_over(session, now=now)
            for worry in fleet.worries(
                fleet.players(session), now=now, tz=self.settings.zone,
                silent_after=self.settings.silent_after, sync_every=self.settings.sync_every,
            ):  # fmt: skip
                raise_alert(session, kind=AlertKind.PLAYER, message=worry.message,
                            detail=f"player {worry.player}: {worry.detail}".rstrip(": "),
                            now=now)  # fmt: skip


def _json(message: BaseModel) -> bytes:
    return message.model_dump_json().encode()
