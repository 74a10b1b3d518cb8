"""Everything a running station shares between pages, the API and the command line."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from audio.speech import Rendered, SpeechRenderer
from playlists import service
from playlists.db import make_engine, make_session_factory, migrate, session_scope
from playlists.lexicon import effective_lexicon
from playlists.models import Bulletin, DayPlan, Zone
from playlists.schemas import BulletinCreate
from playlists.service import refresh_renderings
from playlists.settings import Settings
from playlists.speech import make_renderer, station_normalizer
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
        if self._started:
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

    def has_zones(self) -> bool:
        """Tell whether the station has any zone yet."""
        with session_scope(self.sessions) as session:
            return session.scalar(select(Zone.id).limit(1)) is not None
