"""The server's side of the players (LOA_AIR_AT=players): it airs nothing itself.

It tells the players through the broker when plans change, hands them each emergency the
moment it is requested (and a stop), and records the status each player publishes (its last
will when the broker loses it). A check every heartbeat raises an alert when a player falls
silent or its plans will run out before its next sync.

One relay serves every ward the process runs (one ward; or, for a city on one server, each
ward whose lock it holds): one connection to the broker, one watcher. On PostgreSQL the watcher
sleeps on the database's notifications (a unit of work that requested an emergency or changed
plans says so when it commits, web/context.py), so an emergency goes out at once without a
hundred wards being polled four times a second; a slow poll catches anything a lost
notification missed. On SQLite (one ward, one machine) it polls, as the player's desk does.
A notified ward is handed over on a few threads (HANDING_AT_ONCE), each ward under a lock of
its own: an emergency to a hundred wards goes out as fast as the wards' transactions allow,
and no ward's call waits behind the hundredth's.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from playlists.alerts.models import AlertKind
from playlists.alerts.service import raise_alert
from playlists.core.changes import EMERGENCY_CHANNEL, PLANS_CHANNEL
from playlists.core.clock import Clock
from playlists.core.db import session_scope
from playlists.emergencies import service as emergencies
from playlists.planning.models import DayPlan
from playlists.replica import fleet
from scheduler.edge import messages
from scheduler.edge.bus import Bus
from scheduler.playout.emergencies import POLL_S
from scheduler.settings import SchedulerSettings

log = logging.getLogger(__name__)

# With the database's notifications, the poll that catches what one missed (and one at each
# (re)connection of the listener).
NOTIFIED_POLL_S = 30.0
# Wards handed their emergencies at once: each is a short transaction, mostly the database's.
HANDING_AT_ONCE = 4


@dataclass(frozen=True)
class WardLink:
    """A ward the relay serves: its code, its topic code on the broker, its sessions, and the
    media folder its emergencies' audio is in."""

    code: str
    topic: str
    sessions: sessionmaker[Session]
    media_dir: Path


@dataclass
class _Ward:
    link: WardLink
    plans_mark: tuple[object, ...] | None = None  # the plans as last seen
    lock: threading.Lock = field(default_factory=threading.Lock)  # one hand-over at a time


class Relay:
    """Plans, emergencies and stops out to the players; their statuses in."""

    def __init__(
        self,
        settings: SchedulerSettings,
        wards: Callable[[], list[WardLink]],
        clock: Clock,
        *,
        notifications: Engine | None = None,
        client_id: str = "",
        on_new_ward: Callable[[WardLink], None] | None = None,
    ) -> None:
        if settings.mqtt_url is None:
            raise ValueError("LOA_AIR_AT=players needs LOA_MQTT_URL (the broker)")
        self.settings = settings
        self.clock = clock
        self._find_wards = wards
        # Told of each ward it serves, once, on the checker's thread: the station plans a
        # ward added while it runs (a city's `loa ward add`) at once; for the others the check
        # finds their days planned already.
        self._on_new_ward = on_new_ward
        self._known: set[str] = set()  # the wards it told of
        self._notifications = notifications if _listens(notifications) else None
        self._lock = threading.Lock()  # the list of wards
        self._refreshing = threading.Lock()
        self._wards: dict[str, _Ward] = {}  # by ward code
        self._handing = ThreadPoolExecutor(HANDING_AT_ONCE, thread_name_prefix="relay hand-over")
        self._inlined: tuple[str, str | None] = ("", None)  # the last audio carried: sha, base64
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None
        self._checker: threading.Thread | None = None
        self._poll_now = threading.Event()  # the broker (re)connected: hand over what is due
        self.bus = Bus(
            settings.mqtt_url,
            client_id or f"loa-server-{settings.station_code}",
            # Every station's players: a status is routed by its topic to the ward it names.
            subscriptions=(messages.topic("+", messages.PLAYERS, "+"),),
            on_message=self._heard,
            # Not on paho's thread: a hundred wards' transactions there would stall the link.
            on_connect=self._poll_now.set,
        )

    def refresh_wards(self) -> None:
        """Take in wards added since (a city's), keeping what is known of the others."""
        # One refresh at a time: an older listing must not replace a newer one (a ward's
        # state, its lock and the plans last seen, would be lost with it).
        with self._refreshing:
            links = {link.code: link for link in self._find_wards()}
            with self._lock:
                self._wards = {
                    code: self._wards.get(code) or _Ward(link) for code, link in links.items()
                }

    def _tell_new_wards(self) -> None:
        # Here, on the checker's thread: never on a hand-over's, ahead of an emergency.
        if self._on_new_ward is None:
            return
        for state in self._chosen(None):
            code = state.link.code
            if code in self._known:
                continue
            try:
                self._on_new_ward(state.link)
                self._known.add(code)
            except Exception:  # told again at the next check
                log.exception("taking in ward %s failed", code)

    @property
    def ward_codes(self) -> list[str]:
        return sorted(self._wards)

    def start(self) -> None:
        self.refresh_wards()
        self.bus.start()
        self._watcher = threading.Thread(target=self._watch, name="relay watcher", daemon=True)
        self._watcher.start()
        self._checker = threading.Thread(target=self._check, name="relay checker", daemon=True)
        self._checker.start()

    def stop(self) -> None:
        self._stopping.set()
        for thread in (self._watcher, self._checker):
            if thread is not None:
                thread.join(timeout=5)
        self._handing.shutdown(wait=True, cancel_futures=True)
        self.bus.stop()

    def _watch(self) -> None:
        # Requests written by another process (`loa emergency`, a web worker) are found here,
        # and nothing slower runs in this thread: an emergency never waits behind a check.
        polled = 0.0
        listener: _Listener | None = None
        while not self._stopping.is_set():
            try:
                if listener is None and self._notifications is not None:
                    listener = _Listener(self._notifications)
                    polled = 0.0  # what came while no one listened
                heard = listener.wait(POLL_S) if listener else self._sleep(POLL_S)
                for channel, code in dict.fromkeys(heard):
                    if channel == EMERGENCY_CHANNEL:
                        # Not waited for: the next notifications are heard meanwhile.
                        self._handing.submit(self._send_logged, code)
                    elif channel == PLANS_CHANNEL:
                        self.check_plans(code)
                due_poll = time.monotonic() - polled >= (NOTIFIED_POLL_S if listener else 0)
                if due_poll or self._poll_now.is_set():
                    self._poll_now.clear()
                    polled = time.monotonic()
                    self.send_due()
            except Exception:
                log.exception("relay watcher failed; trying again")
                if listener is not None:
                    listener.close()
                    listener = None
                self._stopping.wait(POLL_S)
        if listener is not None:
            listener.close()

    def _check(self) -> None:
        # The players, at the pace of their heartbeats; wards added since are taken in.
        while not self._stopping.wait(self.settings.player_heartbeat_s):
            try:
                self.refresh_wards()
                self._tell_new_wards()
                self.check()
            except Exception:
                log.exception("relay check failed; trying again")

    def _sleep(self, seconds: float) -> list[tuple[str, str]]:
        self._stopping.wait(seconds)
        return []

    def _chosen(self, code: str | None) -> list[_Ward]:
        with self._lock:
            if code is None:
                return list(self._wards.values())
            ward = self._wards.get(code)
        if ward is None:  # a ward added since the last check, perhaps
            self.refresh_wards()
            with self._lock:
                ward = self._wards.get(code)
        return [ward] if ward is not None else []

    # --- out ------------------------------------------------------------------------------

    def plans_changed(self, days: Iterable[date] = (), ward: str | None = None) -> None:
        """Tell the players (of one ward, or of every ward) to sync now."""
        call = _json(messages.PlanChanged(days=sorted(days), at=self.clock.now()))
        for state in self._chosen(ward):
            if not self.bus.publish(messages.topic(state.link.topic, messages.PLAN), call):
                log.warning("plan change not sent: no broker (players sync at their next turn)")

    def send_due(self, ward: str | None = None) -> None:
        """Hand every due emergency to the players, and every stop since the last call."""
        if not self.bus.connected.is_set():
            return  # claimed nothing: due still, sent at the next connect
        chosen = self._chosen(ward)
        if len(chosen) == 1:
            self._send_due(chosen[0])
            return
        handing = {self._handing.submit(self._send_due, state): state for state in chosen}
        for done in futures.as_completed(handing):
            if done.exception() is not None:  # the others are sent all the same
                log.error("handing over the emergencies of ward %s failed",
                          handing[done].link.code, exc_info=done.exception())  # fmt: skip

    def _send_logged(self, ward: str) -> None:
        try:
            self.send_due(ward)
        except Exception:  # the poll behind everything sends it later
            log.exception("handing over the emergencies of ward %s failed", ward)

    def _send_due(self, state: _Ward) -> None:
        topic = state.link.topic
        with state.lock, session_scope(state.link.sessions) as session:
            now = self.clock.now()
            for emergency in emergencies.claim_due(session, now=now):
                call = messages.EmergencyCall(
                    id=emergency.id, title=emergency.title, text=emergency.text,
                    requested_by=emergency.requested_by, sha256=emergency.audio_sha256,
                    duration_s=emergency.duration_s, zone_ids=emergency.zone_ids,
                    repeat=emergency.repeat, every_min=emergency.every_min, sent_at=now,
                    audio=self._inline(state.link.media_dir / emergency.audio_file,
                                       emergency.audio_sha256),
                )  # fmt: skip
                if self.bus.publish(messages.topic(topic, messages.EMERGENCY), _json(call)):
                    emergencies.handed_over(session, emergency, now=now)
                    log.info("emergency %d of %s handed to the players", emergency.id, topic)
                else:  # claimed but not sent: due again at the next call (a broker connect)
                    emergency.next_at = now
                    log.error("emergency %d of %s not sent: no broker", emergency.id, topic)
            for stopped in emergencies.stops_to_send(session):
                stop = messages.StopCall(id=stopped.id)
                # Marked sent only once the broker has it: a relay that dies before then sends
                # it again when it restarts (a second stop is harmless at a player).
                if self.bus.deliver(messages.topic(topic, messages.STOP), _json(stop)):
                    emergencies.stop_sent(stopped)
                    log.info("emergency %d of %s stopped at the players", stopped.id, topic)
                else:
                    log.warning("the stop of emergency %d of %s is not with the broker yet; "
                                "sent again at the next check", stopped.id, topic)  # fmt: skip

    def _inline(self, path: Path, sha256: str) -> str | None:
        """The audio file in base64 for the message, when small enough; else None (the player
        fetches it). A city's emergency is the same file at every ward: encoded once."""
        with self._lock:
            if self._inlined[0] == sha256:
                return self._inlined[1]
        try:
            limit = min(self.settings.emergency_inline_kb * 1024, messages.INLINE_AUDIO_MAX_BYTES)
            if path.stat().st_size > limit:
                encoded = None
            else:
                data = path.read_bytes()
                if hashlib.sha256(data).hexdigest() != sha256:
                    log.error("emergency audio %s does not match its SHA-256", path.name)
                    return None  # the player's fetch refuses it too, and says so
                encoded = base64.b64encode(data).decode("ascii")
        except OSError as exc:
            log.error("emergency audio %s unreadable: %s", path.name, exc)
            return None
        with self._lock:
            self._inlined = (sha256, encoded)
        return encoded

    # --- in -------------------------------------------------------------------------------

    def _heard(self, topic: str, payload: bytes) -> None:
        parts = topic.split("/")
        name = parts[-1]
        state = next((w for w in self._chosen(None) if w.link.topic == parts[1]), None)
        if state is None:
            return  # another station's player on the same broker
        try:
            status = fleet.PlayerStatus.model_validate_json(payload)
        except ValidationError:
            log.warning("unreadable status on %s", topic)
            return
        if status.name != name:
            log.warning("status on %s names another player (%s)", topic, status.name)
            return
        with session_scope(state.link.sessions) as session:
            fleet.record(session, status, now=self.clock.now())

    def check_plans(self, ward: str | None = None) -> None:
        """Tell the players of plans built by another process (`loa plan build`, the web)."""
        for state in self._chosen(ward):
            with session_scope(state.link.sessions) as session:
                mark = tuple(
                    session.execute(select(func.count(), func.max(DayPlan.built_at))).one()
                )
            if state.plans_mark is not None and mark != state.plans_mark:
                self.plans_changed(ward=state.link.code)
            state.plans_mark = mark

    def check(self) -> None:
        """Raise an alert for each player that needs attention; end handed-over requests; tell
        the players of plans built elsewhere."""
        self.check_plans()
        now = self.clock.now()
        for state in self._chosen(None):
            with session_scope(state.link.sessions) as session:
                emergencies.end_handed_over(session, now=now)
                for worry in fleet.worries(
                    fleet.players(session), now=now, tz=self.settings.zone,
                    silent_after=self.settings.silent_after,
                    sync_every=self.settings.sync_every,
                ):  # fmt: skip
                    raise_alert(session, kind=AlertKind.PLAYER, message=worry.message,
                                detail=f"player {worry.player}: {worry.detail}".rstrip(": "),
                                now=now)  # fmt: skip


def _json(message: BaseModel) -> bytes:
    return message.model_dump_json().encode()


def _listens(engine: Engine | None) -> bool:
    return engine is not None and engine.dialect.name == "postgresql"


class _Listener:
    """A connection of its own that LISTENs to the station's channels (PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        # Outside any pool: it sits in LISTEN for as long as the relay runs.
        self._own = create_engine(engine.url, poolclass=NullPool)
        self._raw = self._own.raw_connection()
        conn = self._raw.driver_connection  # psycopg's Connection
        assert conn is not None
        conn.autocommit = True
        for channel in (EMERGENCY_CHANNEL, PLANS_CHANNEL):
            conn.execute(f"LISTEN {channel}")
        self._conn: Any = conn

    def wait(self, timeout: float) -> list[tuple[str, str]]:
        """The (channel, ward) pairs notified within `timeout` seconds, or none."""
        heard = []
        for notice in self._conn.notifies(timeout=timeout, stop_after=1):
            heard.append((notice.channel, notice.payload))
        # More may have come in together: take them without waiting.
        for notice in self._conn.notifies(timeout=0, stop_after=1000):
            heard.append((notice.channel, notice.payload))
        return heard

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            self._own.dispose()
