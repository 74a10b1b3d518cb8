"""Connect the station's settings and tables to the `audio` package's speech pipeline."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from audio.engines import build_engines
from audio.mastering import MasteringSpec
from audio.normalize import normalize
from audio.speech import Rendered, SpeechRenderer
from playlists.models import Rendering
from playlists.settings import Settings

# What staff choose from. Regional voices exist in the offline engine; gTTS has one voice and
# piper one per voice file, so for them the choice falls back to their own voice.
VOICE_LABELS: dict[str, str] = {
    "": "Mặc định của đài",
    "vi": "Giọng miền Bắc",
    "vi-vn-x-central": "Giọng miền Trung",
    "vi-vn-x-south": "Giọng miền Nam",
}


def mastering_spec(settings: Settings) -> MasteringSpec:
    """Return the station's loudness targets and chimes."""
    return MasteringSpec(
        target_lufs=settings.loudness_target_lufs,
        true_peak_db=settings.true_peak_db,
        intro=str(settings.intro_chime or ""),
        outro=str(settings.outro_chime or ""),
    )


def station_normalizer(lexicon: Mapping[str, str] | None) -> Callable[[str], str]:
    """Return the normalizer reading abbreviations with the station's lexicon."""
    if lexicon is None:
        return normalize
    frozen = dict(lexicon)
    return lambda text: normalize(text, frozen)


def make_renderer(
    settings: Settings,
    engines: tuple[str, ...] | None = None,
    lexicon: Mapping[str, str] | None = None,
) -> SpeechRenderer:
    """Build the speech renderer with the station's engine order, cache, loudness and lexicon."""
    return SpeechRenderer(
        cache_dir=settings.media_dir / "tts",
        engines=build_engines(
            engines or settings.tts_engines,
            gtts_timeout_s=settings.gtts_timeout_s,
            piper_voice=settings.piper_voice,
        ),
        spec=mastering_spec(settings),
        normalizer=station_normalizer(lexicon),
    )


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
