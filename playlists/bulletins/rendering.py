"""A bulletin's audio: the station's speech pipeline, stored renderings, and keeping them fresh.

Connects the station's settings and tables to the `audio` package: which engines speak, with
which loudness and lexicon; rendering a bulletin; re-rendering running bulletins whose audio
is stale or was voiced offline; checking how clearly a rendering is understood.
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from audio.engines.chain import build_engines
from audio.errors import AudioError
from audio.intelligibility import Transcriber, check_rendering
from audio.recording import master_recording, stored_paths
from audio.sound.mastering import MasteringSpec
from audio.speech import Rendered, SpeechRenderer
from audio.voices.installed import installed
from playlists.alerts.models import AlertKind
from playlists.alerts.service import raise_alert
from playlists.bulletins.models import Bulletin, BulletinStatus, Rendering
from playlists.core import changes
from playlists.core.bounds import id_or_none
from playlists.core.changes import Change
from playlists.core.db import utcnow
from playlists.core.errors import NotFound, StateError
from playlists.core.newfiles import discard_unless_kept
from playlists.core.settings import SpeechSettings
from playlists.lexicon.service import station_normalizer
from playlists.slots.service import longest_slot_s

log = logging.getLogger(__name__)

# What staff choose from. Regional voices exist in the offline engine; gTTS has one voice and
# piper one per voice file, so for them the choice falls back to their own voice.
VOICE_LABELS: dict[str, str] = {
    "": "Mặc định của đài",
    "vi": "Giọng miền Bắc",
    "vi-vn-x-central": "Giọng miền Trung",
    "vi-vn-x-south": "Giọng miền Nam",
}


# Engines that speak without the internet; their renderings are replaced when a better one answers.
OFFLINE_ENGINES = frozenset({"espeak-ng"})


class SpeakingStation(Protocol):
    """What building the station's renderer needs: its speech settings and its media folder."""

    @property
    def speech(self) -> SpeechSettings: ...

    @property
    def media_dir(self) -> Path: ...

    @property
    def voices_dir(self) -> Path: ...


def mastering_spec(settings: SpeechSettings) -> MasteringSpec:
    """Return the station's loudness targets and chimes."""
    return MasteringSpec(
        target_lufs=settings.loudness_target_lufs,
        true_peak_db=settings.true_peak_db,
        intro=str(settings.intro_chime or ""),
        outro=str(settings.outro_chime or ""),
    )


def make_renderer(
    station: SpeakingStation,
    engines: tuple[str, ...] | None = None,
    lexicon: Mapping[str, str] | None = None,
) -> SpeechRenderer:
    """Build the speech renderer with the station's engine order, cache, loudness and lexicon."""
    speech = station.speech
    return SpeechRenderer(
        cache_dir=station.media_dir / "tts",
        engines=build_engines(
            engines or speech.tts_engines,
            gtts_timeout_s=speech.gtts_timeout_s,
            piper_voice=speech.piper_voice,
            piper_voices=[voice.model for voice in installed(station.voices_dir)],
            cloud=cloud_keys(speech),
        ),
        spec=mastering_spec(speech),
        normalizer=station_normalizer(lexicon),
        default_voice=speech.default_voice,
    )


def cloud_keys(speech: SpeechSettings) -> dict[str, tuple[str, str]]:
    """The station's keys and addresses of the cloud voices it subscribes to."""
    keys = {"fpt": (speech.fpt_api_key, speech.fpt_url),
            "viettel": (speech.viettel_api_key, speech.viettel_url)}  # fmt: skip
    return {name: (key.get_secret_value(), url) for name, (key, url) in keys.items() if key}


def offline_engines(speech: SpeechSettings) -> tuple[str, ...]:
    """Return the station's engines that need no internet, in its order (espeak-ng at least)."""
    online = {"gtts", "fpt", "viettel"}
    return tuple(e for e in speech.tts_engines if e not in online) or ("offline",)


_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def find_rendering(sha256: str, *, session: Session) -> Rendering | None:
    """Return the rendering with this audio, if the station has it (None for a non-hash)."""
    if not _SHA256.match(sha256):
        return None  # "%00", "../x": nothing has that name, and no query is made for it
    return session.scalar(select(Rendering).where(Rendering.sha256 == sha256))


def store_rendering(session: Session, rendered: Rendered, *, media_dir: Path) -> Rendering:
    """Record a rendering, reusing the row when the same audio was stored before."""
    existing = session.scalar(select(Rendering).where(Rendering.sha256 == rendered.sha256))
    if existing is not None:
        return existing
    rendering = Rendering(
        sha256=rendered.sha256,
        file=str(rendered.path.resolve().relative_to(media_dir.resolve())),
        engine=rendered.engine,
        voice=rendered.voice,
        speed=rendered.speed,
        spoken_text=rendered.spoken_text,
        duration_s=rendered.duration_s,
        loudness_lufs=rendered.loudness_lufs,
        true_peak_db=rendered.true_peak_db,
        fallback=rendered.fallback,
    )
    session.add(rendering)
    session.flush()
    return rendering


def render_bulletin(
    bulletin: Bulletin, *, session: Session, renderer: SpeechRenderer, media_dir: Path
) -> Bulletin:
    """Give a text bulletin audio for its current text, voice and speed (cached, so cheap)."""
    if bulletin.recording_name is not None:
        return bulletin  # a human recording is its own audio
    try:
        rendered = renderer.render(bulletin.text, voice=bulletin.voice, speed=bulletin.speed)
    except AudioError as exc:
        log.warning("bulletin %s: rendering failed: %s", bulletin.id, exc.detail)
        raise StateError(
            f"Không tạo được âm thanh cho bản tin: {exc.user_message}", exc.detail
        ) from exc
    if rendered.fallback:
        log.warning(
            "bulletin %s rendered by fallback %s: %s",
            bulletin.id,
            rendered.engine,
            "; ".join(rendered.failures),
        )
    alert_refused_keys(session, rendered)
    bulletin.rendering = store_rendering(session, rendered, media_dir=media_dir)
    session.flush()
    return bulletin


def alert_refused_keys(session: Session, rendered: Rendered) -> None:
    """Tell the staff, once while it lasts, that a cloud voice refused the station's key: the
    bulletin still got a voice (a fallback), but not the one the station pays for."""
    for said in rendered.refused:
        raise_alert(session, kind=AlertKind.AUDIO, message=said, now=utcnow())


def master_upload(
    src: Path,
    original_name: str,
    *,
    session: Session,
    media_dir: Path,
    uploads_dir: Path,
    spec: MasteringSpec,
) -> Rendered:
    """Check and master an uploaded recording; keep the original as received.

    The longest slot bounds the length: a recording that no slot can hold would never air.
    The files made here go again unless the transaction stores a rendering of this audio
    (playlists/core/newfiles.py): a bulletin refused after its upload leaves nothing behind.
    """
    longest = longest_slot_s(session=session)
    recordings = media_dir / "recordings"
    made = [path for path in stored_paths(src, recordings) if not path.exists()]
    rendered = master_recording(src, recordings, spec, max_duration_s=longest)
    uploads_dir.mkdir(parents=True, exist_ok=True)
    kept = uploads_dir / f"{rendered.sha256[:16]}{upload_suffix(original_name)}"
    if not kept.exists():
        made.append(kept)
        partial = kept.with_name(f".{kept.name}.tmp")
        try:
            shutil.copyfile(src, partial)
            partial.replace(kept)
        finally:
            partial.unlink(missing_ok=True)

    def stored(session: Session) -> bool:
        return find_rendering(rendered.sha256, session=session) is not None

    discard_unless_kept(session, made, kept=stored)
    return rendered


def upload_suffix(name: str) -> str:
    """Return an upload's extension fit for a file name: ".m4a", or "" for anything odd."""
    suffix = Path(name.replace("\x00", "")).suffix.lower()[:8]
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,7}", suffix) else ""


def refresh_renderings(
    *, session: Session, renderer: SpeechRenderer, media_dir: Path, today: date
) -> list[int]:
    """Re-render running bulletins whose audio is stale or came from the offline fallback.

    Stale: the text, lexicon or speed changed since it was rendered. Offline: espeak-ng made it
    while gTTS was unreachable; once a better engine answers, the bulletin gets its voice before
    its next air time. Returns the ids of bulletins whose audio changed.
    """
    query = select(Bulletin).where(
        Bulletin.status == BulletinStatus.APPROVED,
        Bulletin.last_day >= today,
        Bulletin.recording_name.is_(None),
    )
    changed: list[int] = []
    for bulletin in session.scalars(query.order_by(Bulletin.first_day, Bulletin.id)):
        current = bulletin.rendering
        stale = (
            current is None
            or current.spoken_text != renderer.spoken_form(bulletin.text)
            or abs(current.speed - bulletin.speed) > 1e-6
        )
        offline = current is not None and current.engine in OFFLINE_ENGINES
        if not (stale or offline):
            continue
        try:
            rendered = renderer.render(bulletin.text, voice=bulletin.voice, speed=bulletin.speed)
        except AudioError as exc:
            log.warning("bulletin %s: re-render failed: %s", bulletin.id, exc.detail)
            continue
        alert_refused_keys(session, rendered)
        if not stale and rendered.engine in OFFLINE_ENGINES:
            # The better engines are still unreachable: trying the rest now would only wait
            # for the same timeouts again.
            log.info("better speech engines still unreachable; will retry later")
            break
        if current is not None and rendered.sha256 == current.sha256:
            continue
        bulletin.rendering = store_rendering(session, rendered, media_dir=media_dir)
        changed.append(bulletin.id)
        log.info("bulletin %s re-rendered by %s", bulletin.id, rendered.engine)
    session.flush()
    if changed:
        changes.note(session, Change.PLANS)
    return changed


def check_audio(
    bulletin_id: int,
    *,
    session: Session,
    media_dir: Path,
    transcriber: Transcriber,
    now: datetime,
) -> Rendering:
    """Let an offline recognizer listen to a bulletin's audio and keep how well it understood."""
    bulletin = session.get(Bulletin, bulletin_id) if id_or_none(bulletin_id) else None
    if bulletin is None:
        raise NotFound(f"Không có bản tin số {bulletin_id}.", f"no bulletin {bulletin_id}")
    rendering = bulletin.rendering
    if rendering is None:
        raise StateError("Bản tin chưa có âm thanh để kiểm tra.", "no rendering to check")
    if not rendering.spoken_text:
        raise StateError(
            "Bản ghi âm tải lên không có văn bản đọc để so sánh.", "recording has no spoken text"
        )
    try:
        report = check_rendering(media_dir / rendering.file, rendering.spoken_text, transcriber)
    except AudioError as exc:
        raise StateError(exc.user_message, exc.detail) from exc
    rendering.check_wer = report.wer
    rendering.check_heard = report.hypothesis
    rendering.check_misheard = [[said, heard] for said, heard in report.misheard]
    rendering.checked_at = now
    session.flush()
    log.info("bulletin %s checked: WER %.3f", bulletin_id, report.wer)
    return rendering
