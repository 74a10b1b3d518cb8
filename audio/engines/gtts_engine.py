"""Online Vietnamese speech through Google Translate's TTS endpoint (gTTS).

The text is cut with audio.text.textsplit at sentence and clause boundaries, each chunk is fetched
with its own request (retried with exponential back-off on rate limits and network trouble),
and the chunks are joined with short pauses so the result sounds like one reader.
"""

from __future__ import annotations

import io
import logging
import math
import os
import random
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from gtts import gTTS
from gtts.tts import gTTSError

from audio.engines._files import temp_sibling
from audio.errors import AudioError, EngineError
from audio.sound import files
from audio.text.textsplit import Boundary, Chunk, split_chunks

logger = logging.getLogger(__name__)

_USER_MESSAGE = "Không kết nối được dịch vụ đọc văn bản trực tuyến (Google)."
VOICES = ("vi",)
# The endpoint refuses longer texts (gTTS's GOOGLE_TTS_MAX_CHARS).
MAX_CHARS = 100
# gTTS returns 24 kHz mono MP3; joining at that rate avoids resampling the speech.
SAMPLE_RATE = 24000
# Silence after a chunk, by what ends it. Google's clips carry almost no padding, so without
# these the chunks run together; a cut between words gets none, as it is mid-phrase.
PAUSES_S: Mapping[Boundary, float] = {
    Boundary.SENTENCE: 0.35,
    Boundary.CLAUSE: 0.18,
    Boundary.WORD: 0.0,
    Boundary.END: 0.0,
}
# A retry with less time left than this could hardly connect, so it is not made.
_MIN_ATTEMPT_S = 0.1
_STRENGTH = {Boundary.WORD: 0, Boundary.CLAUSE: 1, Boundary.SENTENCE: 2, Boundary.END: 3}


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


def is_transient(exc: gTTSError) -> bool:
    """Return whether a gTTS failure may pass on retry: no response, HTTP 429 or 5xx."""
    status = getattr(getattr(exc, "rsp", None), "status_code", None)
    if not isinstance(status, int):
        # gTTS raises without a response when the request itself failed (connect, timeout).
        return True
    return status == 429 or status >= 500


def _whole(text: str) -> list[str]:
    # Our chunks are already cut where a reader pauses; gTTS must not cut them again.
    return [text]


def _speakable(text: str) -> bool:
    # gTTS drops punctuation-only text and then refuses to send nothing.
    return any(ch.isalnum() for ch in text)


def speakable_chunks(text: str) -> list[Chunk]:
    """Return text split for the endpoint, without chunks that hold nothing to say."""
    kept: list[Chunk] = []
    for chunk in split_chunks(text, MAX_CHARS):
        if _speakable(chunk.text):
            kept.append(chunk)
        elif kept:
            # The pause a dropped chunk asked for still belongs after the previous one.
            stronger = max(kept[-1].boundary, chunk.boundary, key=_STRENGTH.__getitem__)
            kept[-1] = Chunk(kept[-1].text, stronger)
    return kept


class GttsEngine:
    """Speech engine using gTTS; needs internet access to translate.google.<tld>."""

    name = "gtts"
    voices = VOICES

    def __init__(
        self,
        *,
        timeout_s: float = 10.0,
        tld: str = "com",
        max_attempts: int = 3,
        backoff_s: float = 1.0,
        backoff_factor: float = 2.0,
        jitter: float = 0.1,
        deadline_s: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        if not (math.isfinite(timeout_s) and timeout_s > 0):
            raise ValueError(f"timeout_s must be a positive number, got {timeout_s!r}")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts!r}")
        if not (math.isfinite(backoff_s) and backoff_s >= 0):
            raise ValueError(f"backoff_s must be a non-negative number, got {backoff_s!r}")
        if not (math.isfinite(backoff_factor) and backoff_factor >= 1):
            raise ValueError(f"backoff_factor must be at least 1, got {backoff_factor!r}")
        if not (math.isfinite(jitter) and jitter >= 0):
            raise ValueError(f"jitter must be a non-negative number, got {jitter!r}")
        if deadline_s is not None and not (math.isfinite(deadline_s) and deadline_s > 0):
            raise ValueError(f"deadline_s must be a positive number, got {deadline_s!r}")
        self.timeout_s = timeout_s
        self.tld = tld
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.backoff_factor = backoff_factor
        self.jitter = jitter
        # Bounds one chunk's attempts and sleeps together, so a hanging or failing service
        # delays the fallback engine by about timeout_s × max_attempts at most.
        self.deadline_s = deadline_s if deadline_s is not None else timeout_s * max_attempts
        self._sleep = sleep
        self._clock = clock
        self._rng = rng if rng is not None else random.Random()

    def default_voice(self) -> str:
        """Return the only voice gTTS offers for Vietnamese."""
        return "vi"

    def backoff_delay(self, attempt: int) -> float:
        """Return the sleep after failed attempt number attempt (1-based), with jitter."""
        delay = self.backoff_s * self.backoff_factor ** (attempt - 1)
        # Jitter keeps stations that failed together from retrying in lockstep.
        return delay * (1.0 + self.jitter * self._rng.random())

    def _request(self, text: str, timeout_s: float) -> bytes:
        buffer = io.BytesIO()
        tts = gTTS(
            text,
            lang="vi",
            tld=self.tld,
            # "vi" is known; the check would only re-read gTTS's language table.
            lang_check=False,
            # gTTS's pre-processors are English rules and its tokenizer would re-cut the chunk.
            pre_processor_funcs=[],
            tokenizer_func=_whole,
            timeout=timeout_s,
        )
        tts.write_to_fp(buffer)
        return buffer.getvalue()

    def _fetch(self, text: str, *, where: str) -> bytes:
        """Return the MP3 bytes for one chunk, retrying transient failures, or raise."""
        deadline = self._clock() + self.deadline_s
        attempt = 0
        while True:
            attempt += 1
            # Later attempts only get what is left, so the deadline holds even when they hang.
            timeout_s = max(_MIN_ATTEMPT_S, min(self.timeout_s, deadline - self._clock()))
            cause: BaseException | None = None
            try:
                audio = self._request(text, timeout_s)
            except gTTSError as exc:
                cause, detail, transient = exc, describe_gtts_error(exc), is_transient(exc)
            except OSError as exc:
                # requests errors are OSErrors; these escape gTTS while it streams the body.
                cause, transient = exc, True
                detail = f"gtts: request failed: {type(exc).__name__}: {exc}"
            except AssertionError as exc:
                # gTTS asserts when nothing speakable is left after its own cleaning.
                cause, detail, transient = exc, f"gtts: nothing to speak: {exc}", False
            except ValueError as exc:
                cause, detail, transient = exc, f"gtts: {type(exc).__name__}: {exc}", False
            else:
                if audio:
                    return audio
                detail, transient = "gtts: response held no audio", False
            tried = f"{where}, attempt {attempt} of {self.max_attempts}"
            if not transient or attempt >= self.max_attempts:
                raise EngineError(_USER_MESSAGE, f"{detail} ({tried})") from cause
            delay = self.backoff_delay(attempt)
            if deadline - self._clock() - delay < _MIN_ATTEMPT_S:
                raise EngineError(
                    _USER_MESSAGE,
                    f"{detail} ({tried}; gave up: the {self.deadline_s:g} s deadline "
                    "leaves no time to retry)",
                ) from cause
            logger.info("%s (%s); retrying in %.1f s", detail, tried, delay)
            self._sleep(delay)

    def synthesize(self, text: str, *, voice: str, speed: float, dst: Path) -> None:
        """Fetch speech for text into an audio file at dst, or raise EngineError."""
        if voice not in VOICES:
            raise EngineError(_USER_MESSAGE, f"gtts: unsupported voice {voice!r}, only 'vi'")
        if not math.isfinite(speed) or speed <= 0:
            raise ValueError(f"speed must be a positive number, got {speed!r}")
        chunks = speakable_chunks(text)
        if not chunks:
            raise EngineError(_USER_MESSAGE, "gtts: nothing to speak")
        parts: list[Path] = []
        joined = temp_sibling(dst, ".wav")
        tempo = temp_sibling(dst, ".tempo.wav")
        try:
            for index, chunk in enumerate(chunks, start=1):
                where = f"chunk {index} of {len(chunks)}"
                audio = self._fetch(chunk.text, where=where)
                part = temp_sibling(dst, ".mp3")
                parts.append(part)
                part.write_bytes(audio)
                try:
                    # Bytes from the network are trusted once their header and ffprobe say audio.
                    files.probe(part)
                except AudioError as exc:
                    raise EngineError(
                        _USER_MESSAGE, f"gtts: unusable audio ({where}): {exc.detail}"
                    ) from exc
            try:
                if len(parts) == 1:
                    speech = parts[0]
                else:
                    pauses = [PAUSES_S[chunk.boundary] for chunk in chunks[:-1]]
                    files.join_with_pauses(parts, pauses, joined, sample_rate=SAMPLE_RATE)
                    speech = joined
                # gTTS itself only has "slow", which is far too slow, so tempo is done locally.
                if abs(speed - 1.0) > 1e-6:
                    files.change_tempo(speech, tempo, speed=speed)
                    os.replace(tempo, dst)
                else:
                    os.replace(speech, dst)
            except AudioError as exc:
                raise EngineError(_USER_MESSAGE, f"gtts: unusable audio: {exc.detail}") from exc
        finally:
            for path in (*parts, joined, tempo):
                path.unlink(missing_ok=True)
