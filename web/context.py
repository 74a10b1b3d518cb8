"""The composition root: builds, on first use, what a command or the web app needs, and no more.

`loa zone list` opens the database and nothing else; a page gets a session from the web's own
pool; only `loa serve`, `loa play` and `loa emergency` build the `Station` (its scheduler,
player and as-run writer). The web and the station each have their own engine, and under
`loa serve` the pages are served by worker processes of their own (web/serving.py): no load
on the pages can make a slot, the as-run writer or a scheduled job wait.

A unit of work (`unit_of_work`) commits, then reacts once to what the domain said it changed
(playlists/core/changes.py): plans rebuilt, lexicon re-read, the player woken. Where the
station runs in another process, the reaction it owes is sent to it (`elsewhere`).
"""

from __future__ import annotations

import getpass
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from playlists.core import changes
from playlists.core.changes import Change
from playlists.core.clock import Clock, SystemClock, local_day
from playlists.core.db import (
    HOME_WARD,
    ensure_migrated,
    for_ward,
    make_engine,
    make_session_factory,
    session_scope,
)
from web.settings import Settings

if TYPE_CHECKING:
    from audio.speech import SpeechRenderer
    from playlists.bulletins.workflow import Newsroom
    from playlists.emergencies.models import Emergency
    from playlists.emergencies.service import EmergencyDraft
    from playlists.reports.city import CitySummary
    from playlists.reports.periods import Window
    from playlists.wards.models import Ward
    from scheduler.edge.relay import WardLink
    from scheduler.station import Station

log = logging.getLogger(__name__)

# Connections each engine may hold. The web's pool bounds the requests served at once by one
# process (the session dependency waits for a turn rather than for a connection): more would
# only make Python's threads fight over one interpreter lock. The station's serves the
# player's threads, the as-run writer, the scheduler's jobs and the command line.
WEB_POOL = 8
STATION_POOL = 10
CREDENTIAL_POOL = 2
# Where each ward of a city keeps its files, inside the data folder.
WARDS_FOLDER = "phuong"

Elsewhere = Callable[[Change], None]
"""Tell the station running in another process what it must catch up with."""


def at_this_machine() -> str:
    """Name the person at the station's machine by their login (or uid, when there is none)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container run with a uid that has no passwd entry
        return f"uid {os.getuid()}"


class StationContext:
    """One station's settings, clock and database, and the parts built from them on demand."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        station: Station | None = None,
        elsewhere: Elsewhere | None = None,
    ) -> None:
        self.settings = settings
        # As read, before a ward's own name and folder: what every ward's context starts from.
        self.city_settings = settings
        self.clock: Clock = clock or SystemClock()
        self.elsewhere = elsewhere
        self.ward_code = HOME_WARD
        self.ward_schema: str | None = None
        # The context `loa serve` (or a command) made: it keeps every ward's context.
        self._city: StationContext = self
        self._wards: dict[str, StationContext] = {}
        self._wards_lock = threading.Lock()
        self._served_elsewhere: set[str] = set()  # wards whose own station held their lock
        self._started = False
        self._voices: dict[str, tuple[dict[str, str], SpeechRenderer]] = {}
        self._voices_lock = threading.Lock()
        # Re-voicing (refresh_soon): asked again while it runs, it runs once more.
        self._revoice_lock = threading.Lock()
        self._revoice_asked = self._revoicing = False
        self._revoice_runs = 0
        if station is not None:
            self.station = station

    @classmethod
    def create(
        cls,
        settings: Settings,
        *,
        clock: Clock | None = None,
        station: Station | None = None,
        elsewhere: Elsewhere | None = None,
    ) -> StationContext:
        """Open the station's database (migrating it when it is behind) and wire the rest.

        LOA_WARD names the ward to work for (its schema is migrated too); empty, the home ward.
        """
        ctx = cls(settings, clock=clock, station=station, elsewhere=elsewhere)
        ensure_migrated(ctx.root_engine)
        if settings.ward and settings.ward != HOME_WARD:
            ctx._work_for(ctx.find_ward(settings.ward))
        return ctx

    # --- the ward ----------------------------------------------------------------------------

    def find_ward(self, code: str) -> Ward:
        """Return the ward of that code, or raise NotFound (in Vietnamese)."""
        from playlists.wards.service import find_ward

        with session_scope(make_session_factory(self.root_engine)) as session:
            return find_ward(session, code)

    def _work_for(self, ward: Ward) -> None:
        """Become the context of `ward`: its schema, its name, its own folder of files."""
        self.ward_code, self.ward_schema = ward.code, ward.schema_name or None
        if self.ward_schema:
            self.settings = self.city_settings.model_copy(
                update={
                    "ward": ward.code,
                    "ward_name": ward.name,
                    # Audio, spools and recordings of each ward apart, under the city's folder.
                    "data_dir": self.city_settings.data_dir / WARDS_FOLDER / ward.code,
                }
            )
            ensure_migrated(self.engine)

    def for_ward(self, code: str) -> StationContext:
        """Return the context of another ward: the same engines' pools, its own schema.

        Made once per ward and kept. It has no station of its own in this process (a ward's
        station runs where LOA_WARD names it) and nothing to tell one.
        """
        city = self._city
        if code == self.ward_code:
            return self
        if code == city.ward_code:
            return city
        with city._wards_lock:
            child = city._wards.get(code)
            if child is None:
                child = StationContext(city.city_settings, clock=city.clock)
                child._city = city
                child.__dict__["root_engine"] = city.root_engine
                child.__dict__["root_web_engine"] = city.root_web_engine
                child._work_for(city.find_ward(code))
                city._wards[code] = child
            return child

    def know_every_ward(self) -> None:
        """Make every ward's context now (its schema's migrations checked), so that the first
        request across the city (an emergency to a hundred wards) does not pay for it: a ward
        met for the first time costs three times what it costs after."""
        if self._city is not self or self.root_engine.dialect.name != "postgresql":
            return
        for code, _name in self.ward_names():
            try:
                self.for_ward(code)
            except Exception:  # that ward's first request says why again
                log.exception("ward %s not ready", code)

    def ward_names(self) -> list[tuple[str, str]]:
        """Every ward's code and name, the home ward first."""
        from playlists.wards.service import wards

        with session_scope(self.city_sessions) as session:
            return [(w.code, w.name or self.city_settings.ward_name) for w in wards(session)]

    def city_summary(self, window: Window, *, web: bool = False) -> CitySummary:
        """Count the window for every ward, each on its own schema (web: on the web's pool)."""
        from playlists.reports.city import city_summary

        def open_ward(code: str) -> AbstractContextManager[Session]:
            ward = self.for_ward(code)
            return session_scope(ward.web_sessions if web else ward.sessions)

        return city_summary(self.ward_names(), open_ward, window, self.settings.zone)

    # --- the database ------------------------------------------------------------------------

    @cached_property
    def root_engine(self) -> Engine:
        """Return the station's own pool of connections, shared by every ward's context."""
        return make_engine(self.settings.db_url, pool_size=STATION_POOL)

    @cached_property
    def engine(self) -> Engine:
        """Return the station's own engine: the command line, the scheduler and the player."""
        return for_ward(self.root_engine, self.ward_code, self.ward_schema)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        """Return sessions on the station's own engine."""
        return make_session_factory(self.engine)

    @cached_property
    def root_web_engine(self) -> Engine:
        """Return the web app's pool of connections, apart from the station's."""
        return make_engine(self.settings.db_url, pool_size=WEB_POOL)

    @cached_property
    def city_sessions(self) -> sessionmaker[Session]:
        """Return sessions on no ward's schema: the city's tables (people, wards)."""
        return make_session_factory(self.root_engine)

    @cached_property
    def credential_sessions(self) -> sessionmaker[Session]:
        """Return sessions for finding the ward a request's credential works for.

        A pool of its own: the page's unit of work then holds its one connection of the web
        pool, and the lookup before it never waits behind (or for) the pages' connections.
        """
        return make_session_factory(make_engine(self.settings.db_url, pool_size=CREDENTIAL_POOL))

    @cached_property
    def web_engine(self) -> Engine:
        """Return the web app's engine, apart from the station's."""
        return for_ward(self.root_web_engine, self.ward_code, self.ward_schema)

    @cached_property
    def web_sessions(self) -> sessionmaker[Session]:
        """Return sessions for web requests."""
        return make_session_factory(self.web_engine)

    @contextmanager
    def unit_of_work(self, sessions: sessionmaker[Session] | None = None) -> Iterator[Session]:
        """Open a session, commit it, then react to what it changed (the one place that does).

        A refusal or any error rolls everything back and reacts to nothing.
        """
        with session_scope(sessions or self.sessions) as session:
            yield session
            # Taken before the commit in session_scope: a rollback leaves nothing to react to.
            noted = changes.take(session)
            changes.announce(session, noted)
        self.react(noted, sessions)

    def react(self, noted: set[Change], sessions: sessionmaker[Session] | None = None) -> None:
        """Catch up with committed changes: plans, the lexicon, the station's jobs and player.

        Plans are rebuilt on `sessions`, the unit of work's own engine (a request's reaction
        never takes a connection of the station's).
        """
        if Change.PLANS in noted:
            self.replan(sessions)
            noted = (noted - {Change.PLANS}) | {Change.SCHEDULE}
        if "station" in self.__dict__:
            station = self.station
            if Change.LEXICON in noted:
                self.refresh_soon()
            if Change.SCHEDULE in noted:
                station.reconcile()
            if Change.EMERGENCY in noted:
                station.emergency_requested()
        elif self.elsewhere is not None:
            for change in sorted(noted):
                self.elsewhere(change)

    def refresh_soon(self) -> None:
        """Re-voice what is stale, on the scheduler's threads (a lexicon change, and every
        LOA_REFRESH_EVERY_MIN). Asked while a pass runs (a hundred wards take a while), it
        runs once more when that pass ends: never two at once, and no change left unvoiced."""
        with self._revoice_lock:
            self._revoice_asked = True
            if self._revoicing:
                return
            self._revoicing = True
            self._revoice_runs += 1
            run = self._revoice_runs
        # A job id of its own: the scheduler skips a job whose last run is still winding up.
        self.station.soon(self._refresh_while_asked, f"refresh-renderings-now-{run}")

    def _refresh_while_asked(self) -> None:
        while True:
            with self._revoice_lock:
                if not self._revoice_asked:
                    self._revoicing = False
                    return
                self._revoice_asked = False
            try:
                self._refresh_served()
            except Exception:  # the next periodic pass tries again
                log.exception("re-voicing failed")

    def _refresh_served(self) -> None:
        # The home ward's readings are the city's: its server re-voices every ward it serves.
        if self.serves_city:
            self._refresh_every_ward()
        else:
            self.refresh_renderings()

    def replan(self, sessions: sessionmaker[Session] | None = None) -> list[date]:
        """Rebuild the plans already made for today and tomorrow."""
        from playlists.planning.store import replan, rules_from

        with session_scope(sessions or self.sessions) as session:
            days = replan(
                session=session,
                now=self.now(),
                tz=self.settings.zone,
                rules=rules_from(self.settings.planning),
            )
            # Heard by a relay in another process when the new plans are there to read.
            changes.announce(session, {Change.SCHEDULE})
            return days

    def build_plan(self, day: date) -> None:
        """Build and store a day's plan (the running station's jobs follow)."""
        from playlists.planning.store import build_and_store, rules_from

        with self.unit_of_work() as session:
            build_and_store(
                session=session,
                day=day,
                tz=self.settings.zone,
                now=self.now(),
                rules=rules_from(self.settings.planning),
            )

    # --- time --------------------------------------------------------------------------------

    def now(self) -> datetime:
        """Return the current instant (UTC)."""
        return self.clock.now()

    def today(self) -> date:
        """Return the station's local date."""
        return local_day(self.now(), self.settings.zone)

    # --- speech and the editorial steps --------------------------------------------------------

    def speech(self, session: Session) -> SpeechRenderer:
        """Return the speech renderer, reading with the station's lexicon as `session` sees it.

        The lexicon is checked on every use (a few rows): a change made by another process,
        the command line or another web worker, is read at once.
        """
        return self._voice("speech", session, offline_only=False)

    def emergency_speech(self, session: Session) -> SpeechRenderer:
        """Return the renderer of emergencies: offline engines only (never wait on the net)."""
        return self._voice("emergency", session, offline_only=True)

    @property
    def renderer(self) -> SpeechRenderer:
        """Return the speech renderer outside a request (commands, jobs)."""
        with session_scope(self.sessions) as session:
            return self.speech(session)

    def newsroom(self, session: Session) -> Newsroom:
        """Return the editorial steps bound to this station, for work in `session`."""
        from playlists.bulletins.workflow import Newsroom

        return Newsroom(
            renderer=self.speech(session),
            media_dir=self.settings.media_dir,
            limits=self.settings.limits,
            clock=self.clock,
            tz=self.settings.zone,
            allow_self_approval=self.settings.allow_self_approval,
        )

    def _voice(self, name: str, session: Session, *, offline_only: bool) -> SpeechRenderer:
        from playlists.bulletins.rendering import make_renderer, offline_engines
        from playlists.lexicon.service import lexicon_from, station_normalizer, station_readings

        own = station_readings(session=session)
        with self._voices_lock:
            known = self._voices.get(name)
            if known is None:
                engines = offline_engines(self.settings.speech) if offline_only else None
                renderer = make_renderer(self.settings, engines, lexicon=lexicon_from(own))
            else:
                renderer = known[1]
                if known[0] != own:
                    renderer.normalizer = station_normalizer(lexicon_from(own))
            self._voices[name] = (own, renderer)
            return renderer

    def refresh_renderings(self) -> list[int]:
        """Re-render stale or offline-voiced running bulletins (plans follow if any changed)."""
        from playlists.bulletins.rendering import refresh_renderings

        with self.unit_of_work() as session:
            return refresh_renderings(
                session=session,
                renderer=self.speech(session),
                media_dir=self.settings.media_dir,
                today=self.today(),
            )

    # --- emergencies ---------------------------------------------------------------------------

    def send_emergency(self, session: Session, draft: EmergencyDraft) -> Emergency:
        """Check a request, make its audio with the offline voice, and store it, in `session`."""
        from playlists.bulletins.rendering import mastering_spec
        from playlists.emergencies import service as emergencies

        return emergencies.send(
            session,
            draft=draft,
            voice=self.emergency_speech(session),
            media_dir=self.settings.media_dir,
            spec=mastering_spec(self.settings.speech),
            max_text_chars=self.settings.max_text_chars,
            now=self.now(),
        )

    # --- the station (scheduler, player, as-run writer) -----------------------------------------

    @cached_property
    def station(self) -> Station:
        """Return the station's scheduler and player (built only by the commands that air)."""
        from scheduler.station import Station

        return Station(
            settings=self.settings,
            session_factory=self.sessions,
            clock=self.clock,
            wards=self._served_wards if self.serves_city else None,
        )

    @property
    def serves_city(self) -> bool:
        """Whether this process plans and relays for every ward it can (a city's server for
        its players): the home ward's, on PostgreSQL, with LOA_AIR_AT=players."""
        return (
            self.settings.air_at == "players"
            and self._city is self
            and self.ward_code == HOME_WARD
            and self.root_engine.dialect.name == "postgresql"
        )

    def _served_wards(self) -> list[WardLink]:
        """This ward, and every other whose lock this process can hold (a ward whose own
        station runs elsewhere, LOA_WARD=…, is that station's)."""
        from scheduler.edge.messages import topic_for
        from scheduler.edge.relay import WardLink

        links = []
        for code, _name in self.ward_names():
            if code in self._served_elsewhere:
                continue
            try:
                ward = self.for_ward(code)
                if ward is self or self.station.lock.hold_ward(ward.ward_schema):
                    links.append(WardLink(code, topic_for(code, self.settings), ward.sessions,
                                           ward.settings.media_dir))  # fmt: skip
                else:
                    # Its own station holds it; when that station restarts, the ward stays
                    # its (a lock taken in between would keep it off its own station).
                    self._served_elsewhere.add(code)
                    log.info("ward %s has a station of its own: not served here", code)
            except Exception:  # one ward's trouble leaves the others served
                log.exception("ward %s cannot be served now", code)
        return links

    def _refresh_every_ward(self) -> None:
        for link in self.station.relay_wards():
            try:
                self.for_ward(link.code).refresh_renderings()
            except Exception:  # one ward's voice failing leaves the others' audio fresh
                log.exception("refreshing renderings failed for ward %s", link.code)

    def start(self) -> None:
        """Start the scheduler (once), with the housekeeping that keeps audio fresh."""
        if not self._started:
            self.station.start()
            self.station.every(
                self.settings.refresh_every_min, self.refresh_soon, "refresh-renderings"
            )
            self._started = True

    def stop(self) -> None:
        """Stop whatever was built: the station (a command that aired holds outputs open too)."""
        if "station" in self.__dict__:
            self.station.shutdown()
        self._started = False
        for name in ("root_engine", "root_web_engine"):
            engine = self.__dict__.get(name)
            if engine is not None:
                engine.dispose()
        if "credential_sessions" in self.__dict__:
            self.credential_sessions.kw["bind"].dispose()
