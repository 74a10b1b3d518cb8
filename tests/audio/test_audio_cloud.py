"""The Vietnamese cloud voices (FPT.AI, Viettel AI) against local stand-ins of their services.

Each stand-in is a real HTTP server on loopback that answers as the service documents its
answers (the shapes are cited in audio/engines/cloud.py's docstring: FPT.AI's text to speech
v5 at docs.fpt.ai, a JSON answer naming an `async` link where the MP3 appears a moment later;
Viettel AI's `speech_synthesis` at viettelai.vn, the audio itself or a JSON error). The audio
they serve is real MP3 made by ffmpeg. What is tested: success, long text cut and joined with
pauses, a rate limit then success, a refused key (never retried, never shown), a hung
connection, a malformed answer.
"""

from __future__ import annotations

import json
import logging
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from audio.engines.chain import build_engines
from audio.engines.cloud import CloudEngine, FptEngine, ViettelEngine
from audio.errors import EngineError, KeyRefused
from audio.sound.files import probe

KEY = "khoa-bi-mat-cua-dai-123"
CLIP_S = 0.6


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real MP3 of CLIP_S seconds: what the services answer with."""
    path = tmp_path_factory.mktemp("clip") / "clip.mp3"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
         f"sine=frequency=440:duration={CLIP_S}", "-ac", "1", "-ar", "24000", str(path)],
        check=True,
    )  # fmt: skip
    return path.read_bytes()


@dataclass
class StandIn:
    """A service's stand-in: its answers to come, in order ("ok" once they run out)."""

    service: str
    clip: bytes
    plan: list[str] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    pending: dict[str, int] = field(default_factory=dict)  # FPT: polls left before ready

    def next_answer(self) -> str:
        return self.plan.pop(0) if self.plan else "ok"


def _handler(stand: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, body: dict[str, Any]) -> None:
            self._send(status, json.dumps(body).encode(), "application/json")

        def do_GET(self) -> None:  # FPT's async link: 404 until the audio is ready
            name = self.path.rsplit("/", 1)[-1]
            if stand.pending.get(name, 0) > 0:
                stand.pending[name] -= 1
                self._json(404, {"message": "Not Found"})
            else:
                self._send(200, stand.clip, "audio/mpeg")

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if stand.service == "fpt":
                key = self.headers.get("api-key", "")
                seen = {"text": raw.decode("utf-8"), "voice": self.headers.get("voice"),
                        "key": key}  # fmt: skip
            else:
                body = json.loads(raw)
                key = body.get("token", "")
                seen = {"text": body["text"], "voice": body["voice"], "key": key,
                        "option": body["tts_return_option"]}  # fmt: skip
            stand.requests.append(seen)
            answer = stand.next_answer()
            if answer == "hang":
                time.sleep(2.0)  # longer than the engine's timeout in these tests
                return
            if key != KEY:
                if stand.service == "fpt":
                    self._json(401, {"error": 401, "message": "Invalid API key"})
                else:
                    self._json(401, {"vi_message": "Token không hợp lệ",
                                     "en_message": "Invalid token", "code": 401})  # fmt: skip
                return
            if answer == "429":
                self._json(429, {"message": "Too Many Requests"})
            elif answer == "malformed":
                self._send(200, b"<html>Bad Gateway</html>", "text/html")
            elif stand.service == "fpt":
                name = f"{len(stand.requests)}.mp3"
                stand.pending[name] = 1  # one "not yet" before the audio appears
                self._json(200, {"async": f"{stand.url}/text2speech-v5/short/{name}", "error": 0,
                                 "message": "The content will be returned after a few seconds "
                                 "under the async link.", "request_id": "r-1"})  # fmt: skip
            else:
                self._send(200, stand.clip, "audio/mpeg")

    return Handler


@pytest.fixture(params=["fpt", "viettel"])
def stand(request: pytest.FixtureRequest, clip: bytes) -> Iterator[StandIn]:
    stand = StandIn(request.param, clip)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stand))
    stand.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield stand
    server.shutdown()
    server.server_close()


def engine_for(stand: StandIn, key: str = KEY, **options: Any) -> CloudEngine:
    kind = FptEngine if stand.service == "fpt" else ViettelEngine
    engine = kind(key=key, url=stand.url, sleep=lambda _s: None, **options)
    if isinstance(engine, FptEngine):
        engine.poll_s = 0.01
    return engine


def test_a_voice_speaks_and_the_key_goes_only_where_the_service_asks(
    stand: StandIn, tmp_path: Path
) -> None:
    engine = engine_for(stand)
    voice = engine.voices[-1]  # a southern voice
    dst = tmp_path / "tin.wav"
    engine.synthesize("Phường thông báo lịch tiếp dân.", voice=voice, speed=1.0, dst=dst)
    assert abs(probe(dst).duration_s - CLIP_S) < 0.15
    (asked,) = stand.requests
    assert asked == {"text": "Phường thông báo lịch tiếp dân.", "voice": voice, "key": KEY,
                     **({"option": 3} if stand.service == "viettel" else {})}  # fmt: skip
    assert KEY not in repr(engine) and [p.name for p in tmp_path.iterdir()] == ["tin.wav"]


def test_long_text_is_cut_at_sentences_and_joined_with_pauses(
    stand: StandIn, tmp_path: Path
) -> None:
    engine = engine_for(stand)
    engine.max_chars = 40  # the service's limit, small here
    text = "Phường thông báo lịch tiếp dân. Thời gian từ bảy giờ sáng. Mời bà con đến đúng giờ."
    dst = tmp_path / "dai.wav"
    engine.synthesize(text, voice=engine.default_voice(), speed=1.0, dst=dst)
    assert len(stand.requests) == 3 and all(len(r["text"]) <= 40 for r in stand.requests)
    assert " ".join(r["text"] for r in stand.requests) == text
    # Three clips and two sentence pauses (0.35 s each).
    assert abs(probe(dst).duration_s - (3 * CLIP_S + 2 * 0.35)) < 0.2


def test_a_rate_limit_is_waited_out(stand: StandIn, tmp_path: Path) -> None:
    stand.plan = ["429"]
    waited: list[float] = []
    engine = engine_for(stand)
    engine._sleep = waited.append
    engine.synthesize("Thông báo.", voice=engine.default_voice(), speed=1.0,
                      dst=tmp_path / "a.wav")  # fmt: skip
    assert len(stand.requests) == 2 and waited and waited[0] >= 1.0


def test_a_refused_key_is_not_retried_nor_shown(
    stand: StandIn, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "khoa-sai-khong-duoc-lo-ra"
    engine = engine_for(stand, key=wrong)
    with caplog.at_level(logging.DEBUG), pytest.raises(KeyRefused) as refused:
        engine.synthesize("Thông báo.", voice=engine.default_voice(), speed=1.0,
                          dst=tmp_path / "a.wav")  # fmt: skip
    assert len(stand.requests) == 1
    assert "từ chối khóa API" in refused.value.user_message
    assert "HTTP 401" in refused.value.detail
    shown = f"{refused.value.user_message} {refused.value.detail} {caplog.text}"
    assert wrong not in shown


def test_a_hung_connection_times_out_and_is_retried(stand: StandIn, tmp_path: Path) -> None:
    stand.plan = ["hang", "hang"]
    engine = engine_for(stand, timeout_s=0.5, max_attempts=2)
    with pytest.raises(EngineError) as failed:
        engine.synthesize("Thông báo.", voice=engine.default_voice(), speed=1.0,
                          dst=tmp_path / "a.wav")  # fmt: skip
    assert "timeout" in failed.value.detail and len(stand.requests) == 2
    assert not list(tmp_path.iterdir())


def test_a_malformed_answer_is_a_failure_not_audio(stand: StandIn, tmp_path: Path) -> None:
    stand.plan = ["malformed"]
    engine = engine_for(stand)
    with pytest.raises(EngineError) as failed:
        engine.synthesize("Thông báo.", voice=engine.default_voice(), speed=1.0,
                          dst=tmp_path / "a.wav")  # fmt: skip
    assert stand.service in failed.value.detail and len(stand.requests) == 1
    assert not list(tmp_path.iterdir())


def test_the_chain_needs_the_stations_key() -> None:
    with pytest.raises(ValueError, match="LOA_FPT_API_KEY"):
        build_engines(["fpt", "offline"])
    (engine, _offline) = build_engines(["viettel", "offline"],
                                       cloud={"viettel": (KEY, "http://127.0.0.1:9")})  # fmt: skip
    assert isinstance(engine, ViettelEngine) and "hcm-diemmy" in engine.voices
