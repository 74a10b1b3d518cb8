"""Local neural speech with piper-tts and a voice file the station supplies (optional extra)."""

from __future__ import annotations

import json
import math
import os
import threading
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from audio.engines._files import temp_sibling
from audio.errors import EngineError

if TYPE_CHECKING:
    from piper import PiperVoice

_USER_MESSAGE = "Bộ đọc giọng tự nhiên ngoại tuyến (piper) không hoạt động."


def config_path_for(voice_path: Path) -> Path:
    """Return the .onnx.json config piper expects next to a .onnx voice."""
    return voice_path.with_name(voice_path.name + ".json")


class PiperEngine:
    """Speech engine running a piper .onnx voice in-process; needs the `piper` extra."""

    name = "piper"

    def __init__(self, *, voice_path: Path, speaker: int | None = None) -> None:
        self.voice_path = Path(voice_path)
        self.speaker = speaker
        self._voice: PiperVoice | None = None
        # piper builds phonemizers lazily without locking, and onnxruntime already spreads one
        # sentence over every core, so renders take turns instead of running side by side.
        self._lock = threading.Lock()

    def default_voice(self) -> str:
        """Return the voice file's stem, e.g. "vi_VN-vais1000-medium"."""
        return self.voice_path.stem

    def load(self) -> None:
        """Load the voice now (it is otherwise loaded at the first render), or raise EngineError."""
        with self._lock:
            self._loaded()

    def _loaded(self) -> PiperVoice:
        # Caller holds self._lock. Failures are not cached: a station that copies the voice
        # file in later gets piper at the next render without a restart.
        if self._voice is not None:
            return self._voice
        try:
            from piper import PiperVoice
        except ImportError as exc:
            raise EngineError(
                _USER_MESSAGE,
                f'piper: piper-tts is not installed (pip install -e ".[piper]"): {exc}',
            ) from exc
        config = config_path_for(self.voice_path)
        if not self.voice_path.is_file():
            raise EngineError(_USER_MESSAGE, f"piper: voice file {self.voice_path} not found")
        if not config.is_file():
            raise EngineError(_USER_MESSAGE, f"piper: voice config {config} not found")
        try:
            voice = PiperVoice.load(self.voice_path, config_path=config)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # json.JSONDecodeError is a ValueError; missing keys surface as KeyError.
            raise EngineError(
                _USER_MESSAGE, f"piper: cannot read voice {self.voice_path}: {_describe(exc)}"
            ) from exc
        except Exception as exc:
            # onnxruntime raises its own pybind11 exception types for a corrupt model.
            raise EngineError(
                _USER_MESSAGE, f"piper: cannot load model {self.voice_path}: {_describe(exc)}"
            ) from exc
        speakers = voice.config.num_speakers
        if self.speaker is not None and not 0 <= self.speaker < max(speakers, 1):
            raise EngineError(
                _USER_MESSAGE,
                f"piper: speaker {self.speaker} out of range, {self.voice_path.name} has "
                f"{speakers} speaker(s)",
            )
        self._voice = voice
        return voice

    def synthesize(self, text: str, *, voice: str, speed: float, dst: Path) -> None:
        """Render text to a WAV file at dst, or raise EngineError."""
        if voice != self.default_voice():
            raise EngineError(
                _USER_MESSAGE,
                f"piper: unknown voice {voice!r}, this engine speaks {self.default_voice()!r}",
            )
        if not math.isfinite(speed) or speed <= 0:
            raise ValueError(f"speed must be a positive number, got {speed!r}")
        if not text.strip():
            raise EngineError(_USER_MESSAGE, "piper: nothing to say")
        with self._lock:
            piper_voice = self._loaded()
            pcm, rate, width, channels = self._render(piper_voice, text, speed)
        if not pcm.strip(b"\0"):
            raise EngineError(_USER_MESSAGE, "piper: produced no audio")
        tmp = temp_sibling(dst, ".wav")
        try:
            with wave.open(str(tmp), "wb") as wav:
                wav.setnchannels(channels)
                wav.setsampwidth(width)
                wav.setframerate(rate)
                wav.writeframes(pcm)
            os.replace(tmp, dst)
        except (OSError, wave.Error) as exc:
            raise EngineError(_USER_MESSAGE, f"piper: cannot write {dst}: {exc}") from exc
        finally:
            tmp.unlink(missing_ok=True)

    def _render(
        self, piper_voice: PiperVoice, text: str, speed: float
    ) -> tuple[bytes, int, int, int]:
        from piper import SynthesisConfig

        # Scale the voice's own tuned pace (1.0 for most voices) so speed 1.0 sounds as trained.
        length_scale = piper_voice.config.length_scale / speed
        options = SynthesisConfig(speaker_id=self.speaker, length_scale=length_scale)
        parts: list[bytes] = []
        rate, width, channels = piper_voice.config.sample_rate, 2, 1
        try:
            for chunk in piper_voice.synthesize(text, syn_config=options):
                rate, width, channels = chunk.sample_rate, chunk.sample_width, chunk.sample_channels
                parts.append(chunk.audio_int16_bytes)
        except Exception as exc:
            # Phonemizer and onnxruntime failures come in many types; any of them means this
            # engine failed, and the renderer should move on to the next one.
            raise EngineError(_USER_MESSAGE, f"piper: synthesis failed: {_describe(exc)}") from exc
        return b"".join(parts), rate, width, channels


class PiperVoices:
    """Several piper voices as one engine: the voice asked for picks the model; the first
    is the default."""

    name = "piper"

    def __init__(self, models: Sequence[Path]) -> None:
        self._engines = {
            engine.default_voice(): engine
            for engine in (PiperEngine(voice_path=Path(m)) for m in models)
        }
        if not self._engines:
            raise ValueError("PiperVoices needs at least one voice")
        self.voices = tuple(self._engines)

    def default_voice(self) -> str:
        return self.voices[0]

    def synthesize(self, text: str, *, voice: str, speed: float, dst: Path) -> None:
        """Render text with the named voice, or raise EngineError."""
        engine = self._engines.get(voice)
        if engine is None:
            raise EngineError(_USER_MESSAGE, f"piper: no voice {voice!r} among {self.voices}")
        engine.synthesize(text, voice=voice, speed=speed, dst=dst)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON: {exc}"
    return f"{type(exc).__name__}: {exc}"
