"""Vietnamese cloud speech services a station subscribes to: FPT.AI and Viettel AI.

Both take text over HTTPS with the station's own key and answer with speech in several
voices per region and gender. The discipline is gTTS's: our own cut of the text to the
service's length limit at sentence and clause boundaries, a timeout on every request, retries
with back-off on rate limits (HTTP 429), server errors and network trouble, never on a refused
key (`KeyRefused`: sending it again only counts against the station), every answer checked as
audio before it is kept, the parts joined with a reader's pauses, and speed applied here so
that every voice keeps its pitch.

The key is a secret: it goes only in the request (a header, or the JSON body), never in a URL,
a log line or an error's text.

Request and response shapes, as each service documents them:
- FPT.AI text to speech v5 (docs.fpt.ai, "Text to Speech"): `POST /hmi/tts/v5`, headers
  `api-key`, `voice`, `speed` (-3..3; 0 here), the UTF-8 text as the body (at most 5,000
  characters); the answer is JSON `{"async": URL, "error": 0, "message": …, "request_id": …}`
  and the MP3 appears at the `async` URL a few seconds later (404 until then). A refused key
  is HTTP 401 (or 403).
- Viettel AI text to speech (viettelai.vn, "Tài liệu API — Chuyển văn bản thành giọng nói"):
  `POST /tts/speech_synthesis`, JSON `{"text", "voice", "speed", "tts_return_option",
  "token", "without_filter"}` with `tts_return_option` 3 for MP3 (2 for WAV); the answer is the
  audio itself, or JSON `{"vi_message", "en_message", "code"}` on an error. A refused token is
  HTTP 401 (or 403).
"""

from __future__ import annotations

import logging
import math
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from audio.engines._files import temp_sibling
from audio.errors import AudioError, EngineError, KeyRefused
from audio.sound import files
from audio.text.textsplit import Boundary, split_chunks

logger = logging.getLogger(__name__)

PAUSES_S: Mapping[Boundary, float] = {
    Boundary.SENTENCE: 0.35,
    Boundary.CLAUSE: 0.18,
    Boundary.WORD: 0.0,
    Boundary.END: 0.0,
}
SAMPLE_RATE = 24000  # the parts are joined at this rate


@dataclass(frozen=True)
class Voice:
    """One of a service's voices: its id, region (Bắc/Trung/Nam) and gender (nam/nữ)."""

    id: str
    name: str
    region: str
    gender: str


class _Transient(Exception):
    """A failure that may pass: a rate limit, a server error, a network error, a timeout."""


class _Failed(Exception):
    """A failure that will not pass by sending the same request again."""


class CloudEngine:
    """The shared discipline; a service says how one chunk is asked for (`_ask`)."""

    name = "cloud"
    service = "dịch vụ đọc văn bản"
    catalogue: tuple[Voice, ...] = ()
    max_chars = 1000

    def __init__(
        self,
        *,
        key: str,
        url: str,
        timeout_s: float = 15.0,
        max_attempts: int = 3,
        backoff_s: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if not key:
            raise ValueError(f"speech engine {self.name!r} needs the station's key")
        if max_attempts < 1 or not (math.isfinite(timeout_s) and timeout_s > 0):
            raise ValueError("max_attempts must be at least 1 and timeout_s positive")
        self._key = key
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.http = requests.Session()
        self.http.trust_env = True  # a station behind a proxy names it as usual
        self.voices = tuple(v.id for v in self.catalogue)

    def __repr__(self) -> str:  # never the key
        return f"{type(self).__name__}(url={self.url!r})"

    @property
    def user_message(self) -> str:
        return f"Không dùng được {self.service}."

    def default_voice(self) -> str:
        return self.voices[0]

    def synthesize(self, text: str, *, voice: str, speed: float, dst: Path) -> None:
        """Fetch speech for text into a WAV file at dst, or raise EngineError."""
        if voice not in self.voices:
            raise EngineError(self.user_message, f"{self.name}: no voice {voice!r}")
        if not math.isfinite(speed) or speed <= 0:
            raise ValueError(f"speed must be a positive number, got {speed!r}")
        chunks = [c for c in split_chunks(text, self.max_chars) if any(x.isalnum() for x in c.text)]
        if not chunks:
            raise EngineError(self.user_message, f"{self.name}: nothing to speak")
        parts: list[Path] = []
        joined, tempo = temp_sibling(dst, ".wav"), temp_sibling(dst, ".tempo.wav")
        try:
            for index, chunk in enumerate(chunks, start=1):
                where = f"chunk {index} of {len(chunks)}"
                part = temp_sibling(dst, ".audio")
                parts.append(part)
                part.write_bytes(self._fetch(chunk.text, voice, where))
                try:
                    files.probe(part)  # bytes from the network are audio once ffprobe says so
                except AudioError as exc:
                    raise EngineError(
                        self.user_message, f"{self.name}: the answer is not audio ({where}): "
                        f"{exc.detail}",
                    ) from exc  # fmt: skip
            try:
                pauses = [PAUSES_S[chunk.boundary] for chunk in chunks[:-1]]
                files.join_with_pauses(parts, pauses, joined, sample_rate=SAMPLE_RATE)
                if abs(speed - 1.0) > 1e-6:
                    files.change_tempo(joined, tempo, speed=speed)
                    os.replace(tempo, dst)
                else:
                    os.replace(joined, dst)
            except AudioError as exc:
                raise EngineError(self.user_message, f"{self.name}: {exc.detail}") from exc
        finally:
            for path in (*parts, joined, tempo):
                path.unlink(missing_ok=True)

    def _fetch(self, text: str, voice: str, where: str) -> bytes:
        for attempt in range(1, self.max_attempts + 1):
            tried = f"{where}, attempt {attempt} of {self.max_attempts}"
            try:
                return self._ask(text, voice)
            except KeyRefused as exc:
                raise KeyRefused(
                    f"{self.service} từ chối khóa API của đài (sai, hết hạn hoặc hết hạn mức). "
                    "Hãy kiểm tra khóa trong cấu hình của đài.",
                    f"{self.name}: key refused: {exc.detail} ({tried})",
                ) from None
            except _Failed as exc:
                raise EngineError(self.user_message, f"{self.name}: {exc} ({tried})") from None
            except (_Transient, requests.RequestException) as exc:
                detail = _described(exc)
                if attempt == self.max_attempts:
                    raise EngineError(
                        self.user_message, f"{self.name}: {detail} ({tried})"
                    ) from None
                delay = self.backoff_s * 2 ** (attempt - 1) * (1 + 0.1 * self._rng.random())
                logger.info("%s: %s (%s); retrying in %.1f s", self.name, detail, tried, delay)
                self._sleep(delay)
        raise AssertionError("unreachable")

    def _ask(self, text: str, voice: str) -> bytes:
        raise NotImplementedError

    def _classify(self, answer: requests.Response, what: str) -> None:
        """Raise for an answer that is not a success: refused key, transient, or failed."""
        status = answer.status_code
        if status in (401, 403):
            raise KeyRefused("", f"HTTP {status} {_said(answer)}")
        if status == 429 or status >= 500:
            raise _Transient(f"{what}: HTTP {status} {_said(answer)}")
        if status != 200:
            raise _Failed(f"{what}: HTTP {status} {_said(answer)}")


class FptEngine(CloudEngine):
    """FPT.AI's voices (docs.fpt.ai, text to speech v5)."""

    name = "fpt"
    service = "dịch vụ đọc văn bản FPT.AI"
    max_chars = 5000
    catalogue = (
        Voice("banmai", "Ban Mai", "Bắc", "nữ"),
        Voice("thuminh", "Thu Minh", "Bắc", "nữ"),
        Voice("leminh", "Lê Minh", "Bắc", "nam"),
        Voice("myan", "Mỹ An", "Trung", "nữ"),
        Voice("ngoclam", "Ngọc Lam", "Trung", "nữ"),
        Voice("giahuy", "Gia Huy", "Trung", "nam"),
        Voice("lannhi", "Lan Nhi", "Nam", "nữ"),
        Voice("linhsan", "Linh San", "Nam", "nữ"),
        Voice("minhquang", "Minh Quang", "Nam", "nam"),
    )
    ready_wait_s = 30.0  # how long the audio may take to appear at its link
    poll_s = 0.5

    def _ask(self, text: str, voice: str) -> bytes:
        answer = self.http.post(
            f"{self.url}/hmi/tts/v5", data=text.encode("utf-8"), timeout=self.timeout_s,
            headers={"api-key": self._key, "voice": voice, "speed": "0"},
        )  # fmt: skip
        self._classify(answer, "request")
        try:
            body: Any = answer.json()
            link, error = body["async"], int(body.get("error", 0))
        except (ValueError, KeyError, TypeError) as exc:
            raise _Failed(f"unexpected answer {answer.text[:120]!r}") from exc
        if error != 0 or not isinstance(link, str) or not link.startswith(("http://", "https://")):
            raise _Failed(f"error {error}: {str(body.get('message', ''))[:200]}")
        deadline = time.monotonic() + self.ready_wait_s
        while True:
            audio = self.http.get(link, timeout=self.timeout_s)
            if audio.status_code == 200 and audio.content:
                return audio.content
            if audio.status_code not in (404, 202) or time.monotonic() > deadline:
                raise _Transient(f"audio link: HTTP {audio.status_code} after waiting")
            self._sleep(self.poll_s)


class ViettelEngine(CloudEngine):
    """Viettel AI's voices (viettelai.vn, text to speech)."""

    name = "viettel"
    service = "dịch vụ đọc văn bản Viettel AI"
    max_chars = 2000
    catalogue = (
        Voice("hn-quynhanh", "Quỳnh Anh", "Bắc", "nữ"),
        Voice("hn-phuongtrang", "Phương Trang", "Bắc", "nữ"),
        Voice("hn-thanhtung", "Thanh Tùng", "Bắc", "nam"),
        Voice("hue-maingoc", "Mai Ngọc", "Trung", "nữ"),
        Voice("hue-baoquoc", "Bảo Quốc", "Trung", "nam"),
        Voice("hcm-diemmy", "Diễm My", "Nam", "nữ"),
        Voice("hcm-minhquan", "Minh Quân", "Nam", "nam"),
    )

    def _ask(self, text: str, voice: str) -> bytes:
        body: dict[str, Any] = {"text": text, "voice": voice, "speed": 1.0, "tts_return_option": 3,
                "token": self._key, "without_filter": False}  # fmt: skip
        answer = self.http.post(f"{self.url}/tts/speech_synthesis", json=body,
                                timeout=self.timeout_s)  # fmt: skip
        self._classify(answer, "request")
        if "json" in answer.headers.get("Content-Type", ""):
            raise _Failed(f"error: {_said(answer)}")
        return answer.content


def _said(answer: requests.Response) -> str:
    """What a service's error answer says, short (its own words; never our request)."""
    try:
        body = answer.json()
    except ValueError:
        return answer.text[:200].replace("\n", " ")
    if isinstance(body, dict):
        for field in ("en_message", "message", "vi_message", "error"):
            if body.get(field):
                return str(body[field])[:200]
    return str(body)[:200]


def _described(exc: BaseException) -> str:
    if isinstance(exc, requests.Timeout):
        return f"no answer within the timeout ({type(exc).__name__})"
    if isinstance(exc, requests.RequestException):
        return f"network error: {type(exc).__name__}"
    return str(exc)
