"""`loa player`: a player beside a ward's amplifiers, airing from its own cache.

It keeps the coming days' plans and all their audio in its own database and media folder
(playlists/replica/snapshot.py), airs them with the station's own playout engine and outputs
(a `Station` that builds no plans), and writes its as-run log locally, connected or not. Three
threads keep it in step with the server, each retrying on its own:

- sync: fetch the snapshot and every audio file it lacks (checked by SHA-256) first, then
  apply the rows and remake the jobs; every `player_sync_every_min`, at once on a "plan
  changed" message, and at every reconnection to the broker;
- upload: send the as-run rows the server has not acknowledged, in order, with stable ids;
- heartbeat: publish its status (retained), its last will saying it is gone.

An emergency message is aired within the desk's poll of its arrival, with the audio the
message carries (or, for a long one, fetched by HTTP first). With the server unreachable,
`loa player emergency` on this machine airs one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
import tempfile
import threading
import time as _time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from playlists.asrun.models import AirLog
from playlists.core.clock import Clock
from playlists.core.db import (
    ensure_migrated,
    make_engine,
    make_session_factory,
    session_scope,
    shown_url,
)
from playlists.emergencies import service as emergencies
from playlists.emergencies.models import Emergency
from playlists.replica import fleet, snapshot, uploads
from scheduler.edge import messages
from scheduler.edge.bus import Bus
from scheduler.outputs.factory import output_names
from scheduler.settings import SchedulerSettings
from scheduler.station import Station

log = logging.getLogger(__name__)

VERSION = "1"
UPLOAD_BATCH = 200
ALERT_BATCH = 20  # an alert can be 5 kB: 20 stay well under the server's body limit
UPLOAD_EVERY_S = 5.0
HTTP_TIMEOUT_S = 20.0
CHUNK = 1 << 16
EMERGENCY_ATTEMPTS = 5


class ServerUnreachable(Exception):
    """The server did not answer, or answered with an error (details in English)."""


class Refused(ServerUnreachable):
    """The server read what was sent and refused it (HTTP 400, 413, 422): sent again as it
    is, it would be refused again."""


REFUSALS = frozenset({400, 413, 422})


@dataclass(frozen=True)
class PlayerConfig:
    """Who the player is and where its server is. `token` is a secret: never logged."""

    server: str
    token: str
    name: str

    def __repr__(self) -> str:  # the token stays out of every log and traceback
        return f"PlayerConfig(server={self.server!r}, name={self.name!r}, token=***)"


class ServerLink:
    """The player's HTTP calls to its server (requests), with the player's token."""

    def __init__(self, config: PlayerConfig) -> None:
        self.base = config.server.rstrip("/")
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {config.token}"
        self.received = 0  # bytes of plans and audio received, for the status and the bench

    def _get(self, path: str, **kwargs: Any) -> requests.Response:
        try:
            answer = self.http.get(self.base + path, timeout=HTTP_TIMEOUT_S, **kwargs)
        except requests.RequestException as exc:
            raise ServerUnreachable(f"GET {path}: {type(exc).__name__}") from None
        if answer.status_code != 200:
            raise ServerUnreachable(f"GET {path}: HTTP {answer.status_code} {answer.text[:200]}")
        return answer

    def snapshot(self, days: int, first: date) -> tuple[dict[str, Any], float]:
        """Return the snapshot and this machine's clock offset from the server's, in ms."""
        sent = _time.time()
        answer = self._get("/api/player/snapshot", params={"days": days, "from": str(first)})
        received = _time.time()
        self.received += len(answer.content)
        data: dict[str, Any] = answer.json()
        server = datetime.fromisoformat(data["server_time"]).timestamp()
        # The server read its clock about halfway through the exchange.
        offset_ms = ((sent + received) / 2 - server) * 1000
        return data, offset_ms

    def fetch_audio(self, sha256: str, target: Path) -> None:
        """Download one file, check its SHA-256, and put it at `target` atomically."""
        try:
            answer = self.http.get(
                f"{self.base}/api/player/audio/{sha256}", timeout=HTTP_TIMEOUT_S, stream=True
            )
        except requests.RequestException as exc:
            raise ServerUnreachable(f"audio {sha256[:12]}: {type(exc).__name__}") from None
        with answer:
            if answer.status_code != 200:
                raise ServerUnreachable(f"audio {sha256[:12]}: HTTP {answer.status_code}")
            self.received += store_checked(answer.iter_content(CHUNK), sha256, target)

    def send_rows(self, rows: list[dict[str, Any]]) -> int:
        """Send as-run rows; return how many were new to the server."""
        return self._post("/api/player/asrun", {"rows": rows})

    def send_alerts(self, alerts: list[dict[str, Any]]) -> int:
        """Send the player's alerts; return how many the server raised."""
        return self._post("/api/player/alerts", {"alerts": alerts})

    def _post(self, path: str, body: dict[str, Any]) -> int:
        try:
            answer = self.http.post(self.base + path, json=body, timeout=HTTP_TIMEOUT_S)
        except requests.RequestException as exc:
            raise ServerUnreachable(f"POST {path}: {type(exc).__name__}") from None
        if answer.status_code != 200:
            trouble = Refused if answer.status_code in REFUSALS else ServerUnreachable
            raise trouble(f"POST {path}: HTTP {answer.status_code} {answer.text[:200]}")
        return int(answer.json()["received"])


class PlayerState:
    """What the player remembers beside its database: its install id, what was acknowledged."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "player.json"
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.data: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            # The install id makes this machine's row ids unique among all players, ever.
            self.data = {"install_id": uuid.uuid4().hex, "acked_seq": 0, "taken": {},
                         "sends_alerts": True}  # fmt: skip
            self.save()
        self._lock = threading.Lock()

    @property
    def install_id(self) -> str:
        return str(self.data["install_id"])

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            return self.data.get(key, default)

    def set(self, **values: Any) -> None:
        with self._lock:
            self.data.update(values)
            self.save()

    def save(self) -> None:
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.data, sort_keys=True), encoding="utf-8")
        os.replace(temporary, self.path)


class EdgePlayer:
    """The player: a plan-following `Station` on its own database, kept in step with the server."""

    def __init__(
        self,
        config: PlayerConfig,
        settings: SchedulerSettings,
        *,
        clock: Clock | None = None,
        station: Station | None = None,
    ) -> None:
        self.config = config
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(settings.db_url, pool_size=10)
        ensure_migrated(self.engine)
        self.sessions: sessionmaker[Session] = make_session_factory(self.engine)
        self.station = station or Station(
            settings=settings, session_factory=self.sessions, clock=clock, builds_plans=False
        )
        self.clock = self.station.clock
        self.state = PlayerState(settings.data_dir)
        if not self.state.get("sends_alerts"):
            # A player upgraded from a release that kept its alerts to itself.
            with session_scope(self.sessions) as session:
                old = uploads.set_aside_old_alerts(session, now=self.clock.now())
            if old:
                log.info("%d alert(s) raised before this release are not sent to the server", old)
            self.state.set(sends_alerts=True)
        self.link = ServerLink(config)
        self.stopping = threading.Event()
        self._sync_now = threading.Event()
        self._upload_now = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._emergency_lock = threading.Lock()
        self.bus: Bus | None = None
        self._warned_code = False
        if settings.mqtt_url:
            code = settings.station_code
            gone = fleet.PlayerStatus(name=config.name, online=False).model_dump_json()
            self.bus = Bus(
                settings.mqtt_url,
                f"loa-player-{code}-{config.name}",
                subscriptions=tuple(
                    messages.topic(code, kind)
                    for kind in (messages.PLAN, messages.EMERGENCY, messages.STOP)
                ),
                on_message=self._heard,
                will=(self._status_topic, gone.encode()),
                keepalive_s=max(1, int(settings.player_heartbeat_s)),
                on_connect=self._sync_now.set,  # whatever changed while we were away
            )

    @property
    def _status_topic(self) -> str:
        return messages.topic(self.settings.station_code, messages.PLAYERS, self.config.name)

    # --- life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Go on air from the cache at once; then reach for the server in the background."""
        self.station.start()
        for name, target in (
            ("sync", self._sync_loop),
            ("upload", self._upload_loop),
            ("heartbeat", self._heartbeat_loop),
        ):
            thread = threading.Thread(target=target, name=f"player {name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        if self.bus is not None:
            self.bus.start()
        log.info("player %s started; server %s", self.config.name, shown_url(self.config.server))

    def stop(self) -> None:
        """Stop airing (the station's shutdown logs what was cut), send what can be sent."""
        self.stopping.set()
        self._sync_now.set()
        self._upload_now.set()
        for thread in self._threads:
            thread.join(timeout=30)
        self.station.shutdown()
        try:
            self.upload_once()
        except ServerUnreachable as exc:
            log.info("as-run rows stay queued for the next start: %s", exc)
        if self.bus is not None:
            offline = fleet.PlayerStatus(name=self.config.name, online=False)
            self.bus.publish(self._status_topic, offline.model_dump_json().encode(), retain=True)
            self.bus.stop()
        self.engine.dispose()

    # --- sync ---------------------------------------------------------------------------------

    def sync_once(self) -> snapshot.Applied:
        """Fetch the coming days' plans and their audio; apply them; remake the jobs."""
        began = _time.perf_counter()
        received = self.link.received  # the snapshot's bytes count, and the audio's
        today = self.clock.now().astimezone(self.settings.zone).date()
        data, offset_ms = self.link.snapshot(self.settings.player_days, today)
        told = data.get("station_code")
        if told and told != self.settings.station_code and not self._warned_code:
            # Plans still sync, but the broker's calls (emergencies) go to another topic.
            self._warned_code = True
            log.error("the server sends this ward's calls on loa/%s/, this player listens on "
                      "loa/%s/: set LOA_STATION_CODE=%s", told, self.settings.station_code,
                      told)  # fmt: skip
        media = self.settings.media_dir
        fetched = 0
        for audio in snapshot.audio_of(data):
            target = _inside(media, audio.file)
            if not (target.is_file() and _sha256(target) == audio.sha256):
                self.link.fetch_audio(audio.sha256, target)
                fetched += 1
        with self._lock, session_scope(self.sessions) as session:
            applied = snapshot.apply(session, data)
        self.station.reconcile()
        took = {
            "last_sync_s": round(_time.perf_counter() - began, 3),
            "last_sync_bytes": self.link.received - received,
        }
        if self.state.get("first_sync_s") is None:  # what a new player's first fill cost
            took |= {"first_sync_s": took["last_sync_s"],
                     "first_sync_bytes": took["last_sync_bytes"]}  # fmt: skip
        self.state.set(
            horizon=(applied.days[-1].isoformat() if applied.days else None),
            last_sync_at=self.clock.now().isoformat(),
            clock_offset_ms=round(offset_ms, 1),
            revision=data["revision"],
            **took,
        )
        log.info("synced %s..%s: %d item(s), %d audio file(s) fetched",
                 applied.first_day, applied.last_day, applied.items, fetched)  # fmt: skip
        return applied

    def _sync_loop(self) -> None:
        every = self.settings.sync_every.total_seconds()
        retry = 2.0
        while not self.stopping.is_set():
            try:
                self.sync_once()
                retry = 2.0
                wait = every
            except ServerUnreachable as exc:
                log.warning("sync failed, airing from the cache: %s", exc)
                wait, retry = retry, min(retry * 2, 60.0)
            except Exception:
                log.exception("sync failed")
                wait, retry = retry, min(retry * 2, 60.0)
            self._sync_now.wait(wait)
            self._sync_now.clear()

    # --- as-run rows ----------------------------------------------------------------------------

    def pending_rows(self) -> int:
        """Return how many local as-run rows the server has not acknowledged."""
        with session_scope(self.sessions) as session:
            last = session.scalar(select(func.max(AirLog.seq))) or 0
        return max(0, last - int(self.state.get("acked_seq", 0)))

    def upload_once(self) -> int:
        """Send every unacknowledged row, oldest first, in batches, then the alerts raised
        here; return how many rows were sent."""
        self.station.flush_asrun()
        sent = self._upload_rows()
        try:
            self._upload_alerts()
        except ServerUnreachable as exc:  # the rows went; the alerts wait for the next round
            log.info("alerts not sent yet: %s", exc)
        return sent

    def _upload_alerts(self) -> None:
        with session_scope(self.sessions) as session:
            alerts = uploads.alerts_to_send(session, limit=ALERT_BATCH)
            batch = [(a.id, uploads.alert_payload(a)) for a in alerts]
        if not batch:
            return
        # Cleared here only once the server has them: a lost answer sends them again.
        try:
            raised = self.link.send_alerts([alert for _, alert in batch])
        except Refused as exc:
            log.info("the server refused %d alert(s) together, sending them one by one: %s",
                     len(batch), exc)  # fmt: skip
            # One of them the server cannot take (a kind it does not know yet, say): one by
            # one, so that the others still reach the staff and the bad one does not block them.
            raised = sum(self._send_alone(id_, alert) for id_, alert in batch)
        else:
            with session_scope(self.sessions) as session:
                uploads.alerts_sent(session, [id_ for id_, _ in batch], now=self.clock.now())
        log.info("%d alert(s) sent to the server, %d new there", len(batch), raised)

    def _send_alone(self, id_: int, alert: dict[str, Any]) -> int:
        """Send one alert; one the server refuses is put aside (logged), not sent again."""
        try:
            raised = self.link.send_alerts([alert])
        except Refused as exc:
            log.warning("the server refused an alert, kept on this player only: %s (%s)",
                        alert["message"], exc)  # fmt: skip
            raised, by = 0, uploads.REFUSED_BY_SERVER
        else:
            by = uploads.SENT_TO_SERVER
        with session_scope(self.sessions) as session:
            uploads.alerts_sent(session, [id_], now=self.clock.now(), by=by)
        return raised

    def _upload_rows(self) -> int:
        sent = 0
        while True:
            acked = int(self.state.get("acked_seq", 0))
            with session_scope(self.sessions) as session:
                rows = list(
                    session.scalars(
                        select(AirLog).where(AirLog.seq > acked).order_by(AirLog.seq)
                        .limit(UPLOAD_BATCH)
                    )
                )  # fmt: skip
                batch = [
                    uploads.row_from_log(row, self.state.install_id).model_dump(mode="json")
                    for row in rows
                ]
            if not rows:
                return sent
            self.link.send_rows(batch)
            self.state.set(acked_seq=rows[-1].seq)
            sent += len(rows)

    def _upload_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                self.upload_once()
            except ServerUnreachable as exc:
                log.info("as-run rows queued (%d): %s", self.pending_rows(), exc)
            except Exception:
                log.exception("upload failed")
            self._upload_now.wait(UPLOAD_EVERY_S)
            self._upload_now.clear()

    # --- status ---------------------------------------------------------------------------------

    def status(self) -> fleet.PlayerStatus:
        """Return what the heartbeat says of this player."""
        horizon = self.state.get("horizon")
        synced = self.state.get("last_sync_at")
        return fleet.PlayerStatus(
            name=self.config.name,
            online=True,
            horizon=date.fromisoformat(horizon) if horizon else None,
            last_sync_at=datetime.fromisoformat(synced) if synced else None,
            clock_offset_ms=self.state.get("clock_offset_ms"),
            outputs=output_names(self.settings),
            pending_rows=self.pending_rows(),
            version=VERSION,
        )

    def _heartbeat_loop(self) -> None:
        while not self.stopping.is_set():
            if self.bus is not None and self.bus.connected.is_set():
                try:
                    payload = self.status().model_dump_json().encode()
                    self.bus.publish(self._status_topic, payload, retain=True)
                except Exception:
                    log.exception("heartbeat failed")
            self.stopping.wait(self.settings.player_heartbeat_s)

    # --- control messages -----------------------------------------------------------------------

    def _heard(self, topic: str, payload: bytes) -> None:
        kind = topic.rsplit("/", 1)[-1]
        try:
            if kind == messages.PLAN:
                messages.PlanChanged.model_validate_json(payload)
                self._sync_now.set()
            elif kind == messages.EMERGENCY:
                # Off paho's network thread: the audio download must not stall the heartbeats.
                call = messages.EmergencyCall.model_validate_json(payload)
                threading.Thread(
                    target=self._take_with_retries, args=(call,), name="emergency", daemon=True
                ).start()
            elif kind == messages.STOP:
                self.stop_emergency(messages.StopCall.model_validate_json(payload).id)
        except ValidationError:
            log.warning("unreadable message on %s", topic)

    def _take_with_retries(self, call: messages.EmergencyCall) -> None:
        for attempt in range(1, EMERGENCY_ATTEMPTS + 1):
            try:
                self.take_emergency(call)
                return
            except ServerUnreachable as exc:
                log.warning("emergency %d: attempt %d failed: %s", call.id, attempt, exc)
                if self.stopping.wait(min(2.0**attempt, 10.0)):
                    return
            except Exception:
                log.exception("emergency %d could not be taken", call.id)
                return
        log.error("emergency %d not aired: its audio could not be fetched", call.id)

    def take_emergency(self, call: messages.EmergencyCall) -> Emergency | None:
        """Air an emergency the server handed over (once, however often it is delivered)."""
        with self._emergency_lock:
            return self._take(call)

    def _take(self, call: messages.EmergencyCall) -> Emergency | None:
        taken: dict[str, int] = self.state.get("taken", {})
        if str(call.id) in taken:
            return None
        now = self.clock.now()
        # Its age on the server's clock: this machine's may be off (measured at each sync).
        offset = timedelta(milliseconds=float(self.state.get("clock_offset_ms") or 0.0))
        if (now - offset - call.sent_at).total_seconds() > messages.EMERGENCY_FRESH_S:
            log.warning("emergency %d is stale (sent %s): not aired", call.id, call.sent_at)
            return None
        file = f"emergencies/server-{call.sha256[:16]}.wav"
        target = _inside(self.settings.media_dir, file)
        if not (target.is_file() and _sha256(target) == call.sha256):
            self._store_audio(call, target)
        with session_scope(self.sessions) as session:
            emergency = emergencies.take_handed(
                session, title=call.title, text=call.text, requested_by=call.requested_by,
                audio_file=file, sha256=call.sha256, duration_s=call.duration_s,
                zone_ids=call.zone_ids, repeat=call.repeat, every_min=call.every_min, now=now,
            )  # fmt: skip
        self.state.set(taken=taken | {str(call.id): emergency.id})
        self.station.emergency_requested()
        log.info("emergency %d from the server on air as local %d", call.id, emergency.id)
        return emergency

    def _store_audio(self, call: messages.EmergencyCall, target: Path) -> None:
        """Put the emergency's audio at `target`: the message's own when it carries it (no
        request to the server), else fetched."""
        if call.audio is not None:
            try:
                store_checked([base64.b64decode(call.audio, validate=True)], call.sha256, target)
                return
            except (binascii.Error, ServerUnreachable) as exc:
                log.warning("emergency %d: the audio it carries is unusable (%s); fetching it",
                            call.id, exc)  # fmt: skip
        self.link.fetch_audio(call.sha256, target)

    def stop_emergency(self, server_id: int) -> None:
        """End the repeats of an emergency the server stopped."""
        local = self.state.get("taken", {}).get(str(server_id))
        if local is None:
            return
        with session_scope(self.sessions) as session:
            emergencies.stop_handed(session, int(local))


def store_checked(chunks: Iterable[bytes], sha256: str, target: Path) -> int:
    """Write `chunks` to `target` atomically if their SHA-256 is `sha256`; return the bytes.

    Raises ServerUnreachable (nothing is written) when the content is not what was named.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in chunks:
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
        if digest.hexdigest() != sha256:
            raise ServerUnreachable(f"audio {sha256[:12]}: SHA-256 does not match")
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return size


def _inside(media: Path, file: str) -> Path:
    """Return where a file named by the server goes, refusing a path out of the media folder."""
    target = (media / file).resolve()
    if not target.is_relative_to(media.resolve()):
        raise ServerUnreachable(f"refused audio path outside the media folder: {file!r}")
    return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


__all__ = ["EdgePlayer", "PlayerConfig", "ServerUnreachable"]
