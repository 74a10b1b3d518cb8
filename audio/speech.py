"""Text to mastered speech, with an engine fallback chain and a content-addressed cache.

A rendering is cached as `<cache_dir>/<key>.wav` plus a `<key>.json` sidecar describing it.
The key covers the spoken text, engine, voice and speed, so the same announcement is only
synthesised once, and a rendering made while offline never shadows a better online one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import shutil
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from audio.engines.base import SpeechEngine
from audio.errors import AudioError, EngineError, KeyRefused, SpeechUnavailable
from audio.sound.mastering import Mastered, MasteringSpec, master, sha256_file

logger = logging.getLogger(__name__)

MIN_SPEED = 0.5
MAX_SPEED = 2.0
SIDECAR_FORMAT = 1

_EMPTY_MESSAGE = "Văn bản trống, không có gì để đọc."
_SPEED_MESSAGE = "Tốc độ đọc phải nằm trong khoảng từ 0,5 đến 2 lần."
_UNAVAILABLE_MESSAGE = "Không tạo được âm thanh: không có bộ đọc nào hoạt động."


@dataclass(frozen=True)
class Rendered:
    """A mastered audio file ready to play, and how it was made."""

    path: Path
    sha256: str
    engine: str
    voice: str
    speed: float
    spoken_text: str
    duration_s: float
    loudness_lufs: float
    true_peak_db: float
    from_cache: bool
    fallback: bool
    failures: tuple[str, ...]  # each engine that failed before this one, in English (logs)
    reasons: tuple[str, ...] = ()  # the same, in Vietnamese for staff, each said once
    refused: tuple[str, ...] = ()  # a cloud service that refused the station's key, said so


def _canonical_speed(speed: float) -> str:
    # 1, 1.0 and 1.0000001 must share a cache entry.
    return f"{speed:.3f}"


def cache_key(spoken_text: str, engine: str, voice: str, speed: float) -> str:
    """Return the sha256 hex naming the cached rendering of these parameters."""
    canonical = json.dumps(
        {
            "v": SIDECAR_FORMAT,
            "text": spoken_text,
            "engine": engine,
            "voice": voice,
            "speed": _canonical_speed(speed),
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def engine_voices(engine: SpeechEngine) -> tuple[str, ...]:
    """The voices an engine speaks with (its default alone when it lists none)."""
    return tuple(getattr(engine, "voices", (engine.default_voice(),)))


def voice_for(engine: SpeechEngine, wanted: str | None) -> str:
    """Return the wanted voice if the engine has it, else the engine's default voice.

    A bulletin asks for a voice once (say, the southern one); an engine further down the chain
    that lacks it must still speak rather than fail.
    """
    supported = engine_voices(engine)
    return wanted if wanted is not None and wanted in supported else engine.default_voice()


# --------------------------------------------------------------------------- cache files
# Shared with audio.recording, which caches uploaded recordings the same way.


def _finite_or_none(value: float) -> float | None:
    # JSON has no infinity; a clip too short to gate measures -inf LUFS.
    return value if math.isfinite(value) else None


def _float_or_neg_inf(value: object) -> float:
    return float(value) if isinstance(value, int | float) else -math.inf


def sidecar_path(audio: Path) -> Path:
    """Return the metadata file that accompanies a cached rendering."""
    return audio.with_suffix(".json")


def write_sidecar(rendered: Rendered, spec: MasteringSpec) -> None:
    """Store a rendering's metadata next to its audio file, atomically."""
    data = {
        "format": SIDECAR_FORMAT,
        "engine": rendered.engine,
        "voice": rendered.voice,
        "speed": rendered.speed,
        "spoken_text": rendered.spoken_text,
        "duration_s": rendered.duration_s,
        "loudness_lufs": _finite_or_none(rendered.loudness_lufs),
        "true_peak_db": _finite_or_none(rendered.true_peak_db),
        "sha256": rendered.sha256,
        "spec": asdict(spec),
    }
    target = sidecar_path(rendered.path)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=1)
        os.replace(tmp_name, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)


def read_cached(
    audio: Path,
    *,
    engine: str,
    voice: str,
    speed: float,
    spoken_text: str,
    spec: MasteringSpec,
) -> Rendered | None:
    """Return the cached rendering at audio if it is complete and matches, else None."""
    meta_path = sidecar_path(audio)
    if not audio.is_file() or not meta_path.is_file():
        return None
    try:
        meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8"))
        expected = (SIDECAR_FORMAT, engine, voice, _canonical_speed(speed), spoken_text)
        found = (
            meta["format"],
            meta["engine"],
            meta["voice"],
            _canonical_speed(float(meta["speed"])),
            meta["spoken_text"],
        )
        if found != expected or meta["spec"] != asdict(spec):
            logger.info("cache entry %s does not match the request; rendering again", audio.name)
            return None
        # A truncated or replaced file must not go on air; hashing a few MB is cheap.
        if sha256_file(audio) != meta["sha256"]:
            logger.warning("cache entry %s fails its checksum; rendering again", audio.name)
            return None
        return Rendered(
            path=audio,
            sha256=str(meta["sha256"]),
            engine=engine,
            voice=voice,
            speed=float(meta["speed"]),
            spoken_text=spoken_text,
            duration_s=float(meta["duration_s"]),
            loudness_lufs=_float_or_neg_inf(meta["loudness_lufs"]),
            true_peak_db=_float_or_neg_inf(meta["true_peak_db"]),
            from_cache=True,
            fallback=False,
            failures=(),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("unreadable cache entry %s (%s); rendering again", audio.name, exc)
        return None


def rendered_from_mastered(
    mastered: Mastered, *, engine: str, voice: str, speed: float, spoken_text: str
) -> Rendered:
    """Wrap a fresh mastering result as a Rendered that did not come from the cache."""
    return Rendered(
        path=mastered.path,
        sha256=mastered.sha256,
        engine=engine,
        voice=voice,
        speed=speed,
        spoken_text=spoken_text,
        duration_s=mastered.duration_s,
        loudness_lufs=mastered.loudness_lufs,
        true_peak_db=mastered.true_peak_db,
        from_cache=False,
        fallback=False,
        failures=(),
    )


class KeyedLocks:
    """One lock per cache key, so concurrent requests for one rendering do the work once."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    @contextlib.contextmanager
    def hold(self, key: str) -> Iterator[None]:
        """Hold the lock for key for the duration of the with-block."""
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, users = self._locks[key]
                if users <= 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)


# --------------------------------------------------------------------------- renderer


class SpeechRenderer:
    """Turns announcement text into mastered WAV files through a chain of engines."""

    def __init__(
        self,
        cache_dir: Path,
        engines: Sequence[SpeechEngine],
        spec: MasteringSpec = MasteringSpec(),
        normalizer: Callable[[str], str] | None = None,
        default_voice: str | None = None,
    ) -> None:
        if not engines:
            raise ValueError("SpeechRenderer needs at least one engine")
        self.cache_dir = cache_dir
        self.engines = tuple(engines)
        self.default_voice = default_voice or None  # the station's, when a text asks for none
        self.spec = spec
        self.normalizer = normalizer
        self._locks = KeyedLocks()
        cache_dir.mkdir(parents=True, exist_ok=True)

    def spoken_form(self, text: str) -> str:
        """Return the text as it will be spoken: normalised, NFC, whitespace collapsed."""
        # NFC first so the normaliser and the cache key see one spelling of each diacritic.
        spoken = unicodedata.normalize("NFC", text)
        if self.normalizer is not None:
            spoken = unicodedata.normalize("NFC", self.normalizer(spoken))
        return " ".join(spoken.split())

    def engines_for(self, voice: str | None) -> tuple[SpeechEngine, ...]:
        """The engine order for a voice: the engines that have it first (a bulletin asking
        for FPT.AI's southern voice goes to FPT.AI before gTTS), then the rest, as configured."""
        if voice is None:
            return self.engines
        # The last resort (espeak-ng) keeps its place: it shares "vi" with gTTS, and its
        # regional voices must not put the robot voice before a natural one that answers.
        having = tuple(
            e for e in self.engines
            if voice in engine_voices(e) and not getattr(e, "last_resort", False)
        )  # fmt: skip
        return having + tuple(e for e in self.engines if e not in having)

    def render(self, text: str, *, voice: str | None = None, speed: float = 1.0) -> Rendered:
        """Return a mastered rendering of text, from the cache or the first working engine."""
        voice = voice or self.default_voice
        spoken = self.spoken_form(text)
        if not spoken:
            raise AudioError(_EMPTY_MESSAGE, "nothing to render: spoken text is empty")
        if not (math.isfinite(speed) and MIN_SPEED <= speed <= MAX_SPEED):
            raise AudioError(_SPEED_MESSAGE, f"speed {speed!r} outside {MIN_SPEED}-{MAX_SPEED}")

        failures: list[str] = []
        reasons: list[str] = []
        refused: list[str] = []
        for engine in self.engines_for(voice):
            chosen_voice = voice_for(engine, voice)
            try:
                rendered = self._render_with(engine, spoken, chosen_voice, speed)
            except EngineError as exc:
                failures.append(f"{engine.name}: {exc.detail or exc.user_message}")
                reasons.append(exc.user_message)
                if isinstance(exc, KeyRefused):
                    refused.append(exc.user_message)
                logger.warning("speech engine %s failed: %s", engine.name, failures[-1])
                continue
            except Exception as exc:
                # A broken engine must not take the station off air; the next one may work.
                failures.append(f"{engine.name}: unexpected {type(exc).__name__}: {exc}")
                reasons.append(f"Bộ đọc {engine.name} gặp lỗi không lường trước.")
                logger.exception("speech engine %s crashed", engine.name)
                continue
            if failures:
                logger.info("rendered with fallback engine %s after: %s", engine.name, failures)
            return replace(
                rendered, fallback=bool(failures), failures=tuple(failures),
                reasons=tuple(dict.fromkeys(reasons)), refused=tuple(refused),
            )  # fmt: skip
        raise SpeechUnavailable(
            _UNAVAILABLE_MESSAGE, "all speech engines failed: " + "; ".join(failures)
        )

    def _render_with(self, engine: SpeechEngine, spoken: str, voice: str, speed: float) -> Rendered:
        key = cache_key(spoken, engine.name, voice, speed)
        audio = self.cache_dir / f"{key}.wav"
        with self._locks.hold(key):
            cached = read_cached(
                audio,
                engine=engine.name,
                voice=voice,
                speed=speed,
                spoken_text=spoken,
                spec=self.spec,
            )
            if cached is not None:
                return cached
            work = Path(tempfile.mkdtemp(dir=self.cache_dir, prefix=".render-"))
            try:
                raw = work / "speech"
                engine.synthesize(spoken, voice=voice, speed=speed, dst=raw)
                if not raw.is_file() or raw.stat().st_size == 0:
                    raise EngineError(_UNAVAILABLE_MESSAGE, "engine wrote no audio file")
                try:
                    mastered = master(raw, audio, self.spec)
                except AudioError as exc:
                    # Audio that can't be mastered (garbage, silence) is the engine's failure.
                    raise EngineError(exc.user_message, f"unusable audio: {exc.detail}") from exc
            finally:
                shutil.rmtree(work, ignore_errors=True)
            rendered = rendered_from_mastered(
                mastered, engine=engine.name, voice=voice, speed=speed, spoken_text=spoken
            )
            write_sidecar(rendered, self.spec)
            return rendered
