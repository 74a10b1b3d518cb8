"""audio.engines.gtts_engine against recorded responses; the network is never used."""

from __future__ import annotations

import base64
import json
import random
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from audio.engines.gtts_engine import PAUSES_S, GttsEngine, speakable_chunks
from audio.errors import EngineError
from audio.sound import files
from audio.text.textsplit import Boundary, split_chunks
from tests.audio import ffmpeg_reference

URL = "https://translate.google.com/_/TranslateWebserverUi/data/batchexecute"
TEXT = "Xin chào bà con."
# Three sentences, the second too long for one request: it is cut at its semicolon.
LONG_TEXT = (
    "Thông báo của ủy ban nhân dân phường. "
    "Ủy ban nhân dân phường tổ chức tiêm phòng dại cho chó mèo tại nhà văn hóa tổ dân phố số năm; "
    "bà con nhớ mang theo sổ tiêm của vật nuôi. Xin cảm ơn bà con."
)

LONG_CHUNKS = [
    "Thông báo của ủy ban nhân dân phường.",
    "Ủy ban nhân dân phường tổ chức tiêm phòng dại cho chó mèo tại nhà văn hóa tổ dân phố số năm;",
    "bà con nhớ mang theo sổ tiêm của vật nuôi.",
    "Xin cảm ơn bà con.",
]


def batchexecute_body(audio: bytes) -> str:
    """Build a response in the batchexecute format gTTS parses (one jQ1olc line)."""
    payload = json.dumps([base64.b64encode(audio).decode("ascii")], separators=(",", ":"))
    envelope = json.dumps(
        [["wrb.fr", "jQ1olc", payload, None, None, None, "generic"]], separators=(",", ":")
    )
    return f')]}}\'\n\n{len(envelope)}\n{envelope}\n25\n[["e",4,null,null,120]]\n'


def sent_text(call: Any) -> str:
    """Return the text a recorded batchexecute request asked to be spoken."""
    body = call.request.body
    form = urllib.parse.parse_qs(body if isinstance(body, str) else body.decode("ascii"))
    rpc = json.loads(form["f.req"][0])
    return str(json.loads(rpc[0][0][1])[0])


def decoded_seconds(path: Path) -> float:
    """Return how long a file plays once decoded (an MP3's header may count its padding)."""
    return len(files.decode_pcm(path, sample_rate=24000)) / 2 / 24000


class FakeTime:
    """A clock that only moves when the engine sleeps or a fake request takes time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def engine(fake_time: FakeTime) -> GttsEngine:
    """An engine with default retry settings whose back-off sleeps take no real time."""
    return GttsEngine(timeout_s=2, sleep=fake_time.sleep, clock=fake_time.clock)


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def test_writes_decodable_mp3(mocked, speech_mp3: Path, tmp_path: Path, engine) -> None:
    mocked.add(responses.POST, URL, body=batchexecute_body(speech_mp3.read_bytes()))
    dst = tmp_path / "out"
    engine.synthesize(TEXT, voice=engine.default_voice(), speed=1.0, dst=dst)
    # A single chunk is passed through untouched.
    assert dst.read_bytes() == speech_mp3.read_bytes()
    info = files.probe(dst)
    assert info.codec == "mp3"
    assert info.duration_s > 1.0
    assert len(files.decode_pcm(dst, sample_rate=8000)) > 8000
    assert len(mocked.calls) == 1
    assert "jQ1olc" in requests.utils.unquote(mocked.calls[0].request.body)
    assert sent_text(mocked.calls[0]) == TEXT
    assert mocked.calls[0].request.req_kwargs["timeout"] == 2
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_long_text_is_fetched_per_chunk_and_joined_with_pauses(
    mocked, speech_mp3: Path, tmp_path: Path, engine
) -> None:
    mocked.add(responses.POST, URL, body=batchexecute_body(speech_mp3.read_bytes()))
    assert [c.text for c in split_chunks(LONG_TEXT)] == LONG_CHUNKS
    dst = tmp_path / "out"
    engine.synthesize(LONG_TEXT, voice="vi", speed=1.0, dst=dst)

    assert [sent_text(call) for call in mocked.calls] == LONG_CHUNKS
    assert all(len(chunk) <= 100 for chunk in LONG_CHUNKS)
    info = files.probe(dst)
    assert (info.codec, info.sample_rate, info.channels) == ("pcm_s16le", 24000, 1)
    pauses = PAUSES_S[Boundary.SENTENCE] * 2 + PAUSES_S[Boundary.CLAUSE]
    expected = len(LONG_CHUNKS) * decoded_seconds(speech_mp3) + pauses
    assert info.duration_s == pytest.approx(expected, abs=0.02 * len(LONG_CHUNKS))
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_pauses_are_longer_after_sentences_than_clauses() -> None:
    assert PAUSES_S[Boundary.SENTENCE] > PAUSES_S[Boundary.CLAUSE] > PAUSES_S[Boundary.WORD] >= 0
    assert 0.3 <= PAUSES_S[Boundary.SENTENCE] <= 0.5
    assert 0.1 <= PAUSES_S[Boundary.CLAUSE] <= 0.25


def test_speed_is_applied_locally(mocked, speech_mp3: Path, tmp_path: Path, engine) -> None:
    mocked.add(responses.POST, URL, body=batchexecute_body(speech_mp3.read_bytes()))
    dst = tmp_path / "fast"
    engine.synthesize(TEXT, voice="vi", speed=1.5, dst=dst)
    original = files.probe(speech_mp3).duration_s
    assert files.probe(dst).duration_s == pytest.approx(original / 1.5, rel=0.1)
    assert [p.name for p in tmp_path.iterdir()] == ["fast"]


def test_speed_applies_to_joined_chunks(mocked, speech_mp3: Path, tmp_path: Path, engine) -> None:
    mocked.add(responses.POST, URL, body=batchexecute_body(speech_mp3.read_bytes()))
    dst = tmp_path / "fast"
    engine.synthesize("Xin chào. Tạm biệt.", voice="vi", speed=2.0, dst=dst)
    expected = (2 * decoded_seconds(speech_mp3) + PAUSES_S[Boundary.SENTENCE]) / 2
    assert files.probe(dst).duration_s == pytest.approx(expected, abs=0.05)
    assert [p.name for p in tmp_path.iterdir()] == ["fast"]


# --------------------------------------------------------------------------- retries


def test_rate_limit_then_success_retries_once(
    mocked, speech_mp3: Path, tmp_path: Path, engine, fake_time: FakeTime
) -> None:
    mocked.add(responses.POST, URL, status=429)
    mocked.add(responses.POST, URL, body=batchexecute_body(speech_mp3.read_bytes()))
    dst = tmp_path / "out"
    engine.synthesize(TEXT, voice="vi", speed=1.0, dst=dst)
    assert len(mocked.calls) == 2
    assert [sent_text(call) for call in mocked.calls] == [TEXT, TEXT]
    assert len(fake_time.sleeps) == 1
    assert 1.0 <= fake_time.sleeps[0] <= 1.0 * (1 + engine.jitter)
    assert dst.read_bytes() == speech_mp3.read_bytes()


def test_connection_errors_then_success(
    mocked, speech_mp3: Path, tmp_path: Path, engine, fake_time: FakeTime
) -> None:
    refused = requests.exceptions.ConnectionError("connection refused")
    mocked.add(responses.POST, URL, body=refused)
    mocked.add(responses.POST, URL, body=refused)
    mocked.add(responses.POST, URL, body=batchexecute_body(speech_mp3.read_bytes()))
    dst = tmp_path / "out"
    engine.synthesize(TEXT, voice="vi", speed=1.0, dst=dst)
    assert len(mocked.calls) == 3
    # Exponential back-off: about 1 s, then about 2 s.
    assert [round(delay) for delay in fake_time.sleeps] == [1, 2]
    assert files.probe(dst).codec == "mp3"


def test_retry_happens_per_chunk(
    mocked, speech_mp3: Path, tmp_path: Path, engine, fake_time: FakeTime
) -> None:
    audio = batchexecute_body(speech_mp3.read_bytes())
    mocked.add(responses.POST, URL, body=audio)
    mocked.add(responses.POST, URL, status=503)
    mocked.add(responses.POST, URL, body=audio)
    engine.synthesize("Xin chào. Tạm biệt.", voice="vi", speed=1.0, dst=tmp_path / "out")
    assert [sent_text(call) for call in mocked.calls] == ["Xin chào.", "Tạm biệt.", "Tạm biệt."]
    assert len(fake_time.sleeps) == 1


def test_rate_limit_on_every_attempt_gives_up(
    mocked, tmp_path: Path, engine, fake_time: FakeTime
) -> None:
    mocked.add(responses.POST, URL, status=429)
    dst = tmp_path / "out.mp3"
    with pytest.raises(EngineError) as excinfo:
        engine.synthesize(TEXT, voice="vi", speed=1.0, dst=dst)
    assert len(mocked.calls) == engine.max_attempts == 3
    assert "429" in excinfo.value.detail
    assert "attempt 3 of 3" in excinfo.value.detail
    assert excinfo.value.user_message
    assert len(fake_time.sleeps) == 2
    assert list(tmp_path.iterdir()) == []


def test_server_error_is_retried_then_engine_error(mocked, tmp_path: Path, engine) -> None:
    mocked.add(responses.POST, URL, status=503)
    with pytest.raises(EngineError) as excinfo:
        engine.synthesize(TEXT, voice="vi", speed=1.0, dst=tmp_path / "out.mp3")
    assert "503" in excinfo.value.detail
    assert len(mocked.calls) == 3


@pytest.mark.parametrize("status", [400, 403, 404])
def test_other_client_errors_are_not_retried(
    mocked, tmp_path: Path, engine, fake_time: FakeTime, status: int
) -> None:
    mocked.add(responses.POST, URL, status=status)
    with pytest.raises(EngineError) as excinfo:
        engine.synthesize(TEXT, voice="vi", speed=1.0, dst=tmp_path / "out.mp3")
    assert str(status) in excinfo.value.detail
    assert len(mocked.calls) == 1
    assert fake_time.sleeps == []
    assert list(tmp_path.iterdir()) == []


def test_connection_timeout_is_engine_error(mocked, tmp_path: Path, fake_time: FakeTime) -> None:
    mocked.add(responses.POST, URL, body=requests.exceptions.ConnectTimeout("timed out"))
    dst = tmp_path / "out.mp3"
    engine = GttsEngine(timeout_s=0.5, sleep=fake_time.sleep, clock=fake_time.clock)
    with pytest.raises(EngineError) as excinfo:
        engine.synthesize(TEXT, voice="vi", speed=1.0, dst=dst)
    assert "ConnectTimeout" in excinfo.value.detail
    assert not dst.exists()


def test_hanging_service_is_cut_off_at_the_deadline(
    mocked, tmp_path: Path, fake_time: FakeTime
) -> None:
    def hang(request: Any) -> tuple[int, dict[str, str], str]:
        # Each attempt waits out its whole timeout, as against a server that never answers.
        fake_time.now += request.req_kwargs["timeout"]
        raise requests.exceptions.ReadTimeout("read timed out")

    mocked.add_callback(responses.POST, URL, callback=hang)
    engine = GttsEngine(
        timeout_s=4, max_attempts=5, jitter=0, sleep=fake_time.sleep, clock=fake_time.clock
    )
    assert engine.deadline_s == 20
    with pytest.raises(EngineError) as excinfo:
        engine.synthesize(TEXT, voice="vi", speed=1.0, dst=tmp_path / "out.mp3")
    # 4 s, sleep 1, 4 s, sleep 2, 4 s, sleep 4, then only the 1 s left; an 8 s sleep won't fit.
    assert [call.request.req_kwargs["timeout"] for call in mocked.calls] == [4, 4, 4, 1]
    assert fake_time.sleeps == [1, 2, 4]
    assert fake_time.now == pytest.approx(engine.deadline_s)
    assert "ReadTimeout" in excinfo.value.detail
    assert "deadline" in excinfo.value.detail
    assert list(tmp_path.iterdir()) == []


def test_failure_on_a_later_chunk_leaves_no_files(
    mocked, speech_mp3: Path, tmp_path: Path, engine
) -> None:
    mocked.add(responses.POST, URL, body=batchexecute_body(speech_mp3.read_bytes()))
    mocked.add(responses.POST, URL, body=requests.exceptions.ReadTimeout("read timed out"))
    dst = tmp_path / "out"
    with pytest.raises(EngineError) as excinfo:
        engine.synthesize(LONG_TEXT, voice="vi", speed=1.0, dst=dst)
    assert "chunk 2 of 4" in excinfo.value.detail
    assert "ReadTimeout" in excinfo.value.detail
    assert list(tmp_path.iterdir()) == []


def test_backoff_grows_exponentially_with_a_little_jitter() -> None:
    engine = GttsEngine(backoff_s=0.5, backoff_factor=3, jitter=0.2, rng=random.Random(7))
    for attempt, base in [(1, 0.5), (2, 1.5), (3, 4.5)]:
        assert base <= engine.backoff_delay(attempt) <= base * 1.2
    steady = GttsEngine(jitter=0)
    assert [steady.backoff_delay(n) for n in (1, 2, 3)] == [1.0, 2.0, 4.0]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"timeout_s": 0},
        {"max_attempts": 0},
        {"backoff_s": -1},
        {"backoff_factor": 0.5},
        {"jitter": float("nan")},
        {"deadline_s": 0},
    ],
)
def test_bad_retry_settings_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        GttsEngine(**kwargs)


# --------------------------------------------------------------------------- bad answers


def test_200_without_audio_line_leaves_no_file(mocked, tmp_path: Path, engine) -> None:
    mocked.add(responses.POST, URL, body=')]}\'\n\n25\n[["e",4,null,null,120]]\n')
    dst = tmp_path / "out.mp3"
    with pytest.raises(EngineError) as excinfo:
        engine.synthesize(TEXT, voice="vi", speed=1.0, dst=dst)
    assert "no audio" in excinfo.value.detail
    assert len(mocked.calls) == 1
    assert list(tmp_path.iterdir()) == []


def test_200_with_empty_audio_field_leaves_no_file(mocked, tmp_path: Path, engine) -> None:
    mocked.add(responses.POST, URL, body=')]}\'\n\n[["wrb.fr","jQ1olc","[]",null]]\n')
    dst = tmp_path / "out.mp3"
    with pytest.raises(EngineError):
        engine.synthesize(TEXT, voice="vi", speed=1.0, dst=dst)
    assert list(tmp_path.iterdir()) == []


def test_garbage_audio_is_engine_error(mocked, tmp_path: Path, engine) -> None:
    mocked.add(responses.POST, URL, body=batchexecute_body(b"definitely not an mp3" * 10))
    dst = tmp_path / "out.mp3"
    with pytest.raises(EngineError) as excinfo:
        engine.synthesize(TEXT, voice="vi", speed=1.0, dst=dst)
    assert "unusable" in excinfo.value.detail
    assert list(tmp_path.iterdir()) == []


def test_punctuation_only_text_sends_nothing(mocked, tmp_path: Path, engine) -> None:
    with pytest.raises(EngineError) as excinfo:
        engine.synthesize("… !", voice="vi", speed=1.0, dst=tmp_path / "out.mp3")
    assert "nothing to speak" in excinfo.value.detail
    assert len(mocked.calls) == 0
    assert speakable_chunks("... \n !") == []


def test_only_vietnamese_voice(tmp_path: Path) -> None:
    with pytest.raises(EngineError):
        GttsEngine().synthesize(TEXT, voice="vi-vn-x-south", speed=1.0, dst=tmp_path / "x")


# --------------------------------------------------------------------------- joining


def test_join_with_pauses_puts_silence_between_parts(make_tone, tmp_path: Path) -> None:
    one = make_tone("one.wav", seconds=0.5, sample_rate=48000, channels=2)
    two = make_tone("two.wav", seconds=0.25, sample_rate=16000, channels=1)
    dst = tmp_path / "joined.wav"
    files.join_with_pauses([one, two, one], [0.35, 0.0], dst, sample_rate=24000)
    info = files.probe(dst)
    assert (info.codec, info.sample_rate, info.channels) == ("pcm_s16le", 24000, 1)
    assert info.duration_s == pytest.approx(0.5 + 0.35 + 0.25 + 0.5, abs=0.01)
    scan = ffmpeg_reference.scan_silence(
        dst,
        prefilter=[],
        sample_rate=24000,
        threshold_db=-50,
        min_silence_s=0.2,
        timeout_s=60,
    )
    assert len(scan.silences) == 1
    assert scan.silences[0].start_s == pytest.approx(0.5, abs=0.02)
    assert scan.silences[0].end_s == pytest.approx(0.85, abs=0.02)


def test_join_with_pauses_needs_one_pause_per_gap(make_tone, tmp_path: Path) -> None:
    one = make_tone("one.wav", seconds=0.2)
    with pytest.raises(ValueError):
        files.join_with_pauses([one, one], [], tmp_path / "x.wav")
    with pytest.raises(ValueError):
        files.join_with_pauses([one, one], [-0.1], tmp_path / "x.wav")
    with pytest.raises(ValueError):
        files.join_with_pauses([], [], tmp_path / "x.wav")
