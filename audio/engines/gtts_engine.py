"""Online Vietnamese speech through Google Translate's TTS endpoint (gTTS)."""

from __future__ import annotations

import io
import math
import os
from pathlib import Path

from gtts import gTTS
from gtts.tts import gTTSError

from audio import ffmpeg
from audio.engines._files import temp_sibling
from audio.errors import AudioError, EngineError

_USER_MESSAGE = "Không kết nối được dịch vụ đọc văn bản trực tuyến (Google)."
VOICES = ("vi",)


def describe_gtts_error(exc: gTTSError) -> str:
    """Return an English one-liner for a gTTS failure, naming rate limits explicitly."""
    response = getattr(exc, "rsp", None)
    status = getattr(response, "status_code", None)
    if status == 429:
        return "gtts: rate limited by Google (HTTP 429 Too Many Requests)"
    if isinstance(status, int) and status != 200:
        return f"gtts: HTTP {status} {getattr(response, 'reason', '')}".rstrip()
    if status == 200:
        return "gtts: HTTP 200 but the response held no audio"
    # gTTS swallows the underlying requests error; it survives as the implicit context.
    cause = exc.__cause__ or exc.__context__
    if cause is not None:
        return f"gtts: request failed: {type(cause).__name__}: {cause}"
    return f"gtts: {exc}"


class GttsEngine:
    """Speech engine using gTTS; needs internet access to translate.google.<tld>."""

    name = "gtts"

    def __init__(self, *, timeout_s: float = 10.0, tld: str = "com") -> None:
        self.timeout_s = timeout_s
        self.tld = tld

    def default_voice(self) -> str:
        """Return the only voice gTTS offers for Vietnamese."""
        return "vi"

    def _fetch(self, text: str) -> bytes:
        buffer = io.BytesIO()
        try:
            tts = gTTS(text, lang="vi", tld=self.tld, timeout=self.timeout_s)
            tts.write_to_fp(buffer)
        except gTTSError as exc:
            raise EngineError(_USER_MESSAGE, describe_gtts_error(exc)) from exc
        except OSError as exc:
            # requests errors are OSErrors; these escape gTTS while it streams the body.
            raise EngineError(
                _USER_MESSAGE, f"gtts: request failed: {type(exc).__name__}: {exc}"
            ) from exc
        except AssertionError as exc:
            # gTTS asserts when nothing speakable is left after its own cleaning.
            raise EngineError(_USER_MESSAGE, f"gtts: nothing to speak: {exc}") from exc
        except ValueError as exc:
            raise EngineError(_USER_MESSAGE, f"gtts: {type(exc).__name__}: {exc}") from exc
        return buffer.getvalue()

    def synthesize(self, text: str, *, voice: str, speed: float, dst: Path) -> None:
        """Fetch speech for text into an audio file at dst, or raise EngineError."""
        if voice not in VOICES:
            raise EngineError(_USER_MESSAGE, f"gtts: unsupported voice {voice!r}, only 'vi'")
        if not math.isfinite(speed) or speed <= 0:
            raise ValueError(f"speed must be a positive number, got {speed!r}")
        audio = self._fetch(text)
        if not audio:
            raise EngineError(_USER_MESSAGE, "gtts: response held no audio")
        mp3 = temp_sibling(dst, ".mp3")
        tempo = temp_sibling(dst, ".wav")
        try:
            mp3.write_bytes(audio)
            try:
                # Bytes from the network are only trusted once ffprobe sees audio in them.
                ffmpeg.probe(mp3)
                # gTTS itself only has "slow", which is far too slow, so tempo is done locally.
                if abs(speed - 1.0) > 1e-6:
                    ffmpeg.change_tempo(mp3, tempo, speed=speed)
                    os.replace(tempo, dst)
                else:
                    os.replace(mp3, dst)
            except AudioError as exc:
                raise EngineError(_USER_MESSAGE, f"gtts: unusable audio: {exc.detail}") from exc
        finally:
            mp3.unlink(missing_ok=True)
            tempo.unlink(missing_ok=True)
