"""Everything a running station shares between pages, the API and the command line."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from audio.recording import master_recording
from audio.speech import Rendered, SpeechRenderer
from playlists import emergencies, service
from playlists.db import make_engine, make_session_factory, migrate, session_scope
from playlists.errors import InputError
from playlists.lexicon import effective_lexicon
from playlists.models import Bulletin, DayPlan, Emergency, Zone
from playlists.schemas import BulletinCreate
from playlists.service import refresh_renderings
from playlists.settings import Settings
from playlists.speech import make_renderer, mastering_spec, station_normalizer
from scheduler.clock import Clock, SystemClock
from scheduler.station import Station

log = logging.getLogger(__name__)


@dataclass
class StationContext:
    """The station's settings, database, speech renderer, clock and scheduler, built once."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    renderer: SpeechRenderer
    clock: Clock
    station: Station
    _started: bool = field(default=False)
    _offline_renderer: SpeechRenderer | None = field(default=None)

    @classmethod
    def create(
        cls, settings: Settings, *, clock: Clock | None = None, station: Station | None = None
    ) -> StationContext:
        """Open the database (migrating it) and wire the station's parts together."""
        engine = make_engine(settings.db_url)
        migrate(engine)
        sessions = make_session_factory(engine)
        clock = clock or SystemClock()
        with session_scope(sessions) as session:
            lexicon = effective_lexicon(session=session)
        return cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            renderer=make_renderer(settings, lexicon=lexicon),
            clock=clock,
            station=station or Station(settings=settings, session_factory=sessions, clock=clock),
        )

    def now(self) -> datetime:
        """Return the current instant (UTC)."""
        return self.clock.now()

    def today(self) -> date:
        """Return the station's local date."""
        return self.now().astimezone(self.settings.zone).date()

    def start(self) -> None:
        """Start the scheduler (once), with the housekeeping that keeps audio fresh."""
        if not self._started:
            self.station.start()
            self.station.every(
                self.settings.refresh_every_min, self.refresh_renderings, "refresh-renderings"
            )
            self._started = True

    def stop(self) -> None:
        """Stop the scheduler and close the database."""
        # Always: a command that aired something (loa play) holds outputs open too.
        self.station.shutdown()
        self._started = False
        self.engine.dispose()

    def bulletins_changed(self) -> None:
        """Rebuild the plans already made for today and tomorrow, so approvals show up at once."""
        today = self.today()
        with session_scope(self.sessions) as session:
            days = [
                d for d in (today, today + timedelta(days=1)) if session.get(DayPlan, d) is not None
            ]
        for day in days:
            self.station.build_plan(day)

    # The editorial steps, with the station's renderer, media folder, limits and clock wired in,
    # so pages, the API and the CLI call them the same way.

    def create_bulletin(
        self,
        data: BulletinCreate,
        *,
        session: Session,
        recording: Rendered | None = None,
        recording_name: str | None = None,
    ) -> Bulletin:
        """Save a new bulletin (submitting it renders its audio)."""
        return service.create_bulletin(
            data,
            session=session,
            renderer=self.renderer,
            media_dir=self.settings.media_dir,
            max_text_chars=self.settings.max_text_chars,
            now=self.now(),
            today=self.today(),
            recording=recording,
            recording_name=recording_name,
        )

    def submit(self, bulletin_id: int, *, session: Session) -> Bulletin:
        """Send a bulletin for approval."""
        return service.submit(
            bulletin_id,
            session=session,
            renderer=self.renderer,
            media_dir=self.settings.media_dir,
            now=self.now(),
            today=self.today(),
        )

    def approve(self, bulletin_id: int, *, session: Session, approver: str) -> Bulletin:
        """Approve a submitted bulletin."""
        return service.approve(
            bulletin_id,
            session=session,
            approver=approver,
            renderer=self.renderer,
            media_dir=self.settings.media_dir,
            now=self.now(),
            today=self.today(),
        )

    def reload_lexicon(self) -> None:
        """Read the station's lexicon again (another process, the CLI, may have changed it)."""
        with session_scope(self.sessions) as session:
            lexicon = effective_lexicon(session=session)
        self.renderer.normalizer = station_normalizer(lexicon)

    def lexicon_changed(self) -> None:
        """Use the new lexicon now and re-read running bulletins with it, in the background."""
        self.reload_lexicon()
        self.station.soon(self.refresh_renderings, "refresh-renderings-now")

    def refresh_renderings(self) -> list[int]:
        """Re-render stale or offline-voiced running bulletins, and replan if any changed."""
        self.reload_lexicon()
        with session_scope(self.sessions) as session:
            changed = refresh_renderings(
                session=session,
                renderer=self.renderer,
                media_dir=self.settings.media_dir,
                today=self.today(),
            )
        if changed:
            self.bulletins_changed()
        return changed

    def request_emergency(
        self,
        *,
        title: str,
        text: str = "",
        recording: Path | None = None,
        zone_ids: list[int],
        repeat: int = 1,
        every_min: float = 0.0,
        requested_by: str = "",
    ) -> Emergency:
        """Prepare an emergency's audio, store the request, and wake the running station.

        Text is spoken by the offline engine: an emergency must not wait on the internet
        (nor on gTTS's retries), and the offline voice answers in a fraction of a second.
        """
        if recording is not None:
            rendered = master_recording(
                recording, self.settings.media_dir / "emergency", mastering_spec(self.settings),
                max_duration_s=emergencies.MAX_DURATION_S,
            )  # fmt: skip
        elif text.strip():
            if len(text) > self.settings.max_text_chars:
                raise InputError({"text": "Nội dung tin khẩn cấp quá dài."})
            rendered = self._emergency_renderer().render(text)
        else:
            raise InputError({"text": "Cần nội dung tin khẩn cấp hoặc một tệp ghi âm."})
        with session_scope(self.sessions) as session:
            emergency = emergencies.request_emergency(
                session, rendered=rendered, media_dir=self.settings.media_dir,
                title=title or (text.strip()[:60] if text else "Tin khẩn cấp"), text=text,
                zone_ids=zone_ids, repeat=repeat, every_min=every_min,
                requested_by=requested_by, now=self.now(),
            )  # fmt: skip
        self.station.emergency_requested()
        return emergency

    def _emergency_renderer(self) -> SpeechRenderer:
        if self._offline_renderer is None:
            offline = tuple(e for e in self.settings.tts_engines if e != "gtts") or ("offline",)
            with session_scope(self.sessions) as session:
                lexicon = effective_lexicon(session=session)
            self._offline_renderer = make_renderer(self.settings, offline, lexicon)
        return self._offline_renderer

    def has_zones(self) -> bool:
        """Tell whether the station has any zone yet."""
        with session_scope(self.sessions) as session:
            return session.scalar(select(Zone.id).limit(1)) is not None
