"""audio.engines.gtts_engine against recorded responses; the network is never used."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import requests
import responses

from audio import ffmpeg
from audio.engines.gtts_engine import GttsEngine
from audio.errors import EngineError

URL = "https://translate.google.com/_/TranslateWebserverUi/data/batchexecute"
TEXT = "Xin chào bà con."


def batchexecute_body(audio: bytes) -> str:
    """Build a response in the batchexecute format gTTS parses (one jQ1olc line)."""
    payload = json.dumps([base64.b64encode(audio).decode("ascii")], separators=(",", ":"))
    envelope = json.dumps(
        [["wrb.fr", "jQ1olc", payload, None, None, None, "generic"]], separators=(",", ":")
    )
    return f')]}}\'\n\n{len(envelope)}\n{envelope}\n25\n[["e",4,null,null,120]]\n'


@pytest.fixture
def mocked() -> responses.RequestsMock:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def test_writes_decodable_mp3(mocked, speech_mp3: Path, tmp_path: Path) -> None:
    mocked.add(responses.POST, URL, body=batchexecute_body(speech_mp3.read_bytes()))
    dst = tmp_path / "out"
    engine = GttsEngine(timeout_s=2)
    engine.synthesize(TEXT, voice=engine.default_voice(), speed=1.0, dst=dst)
    assert dst.read_bytes() == speech_mp3.read_bytes()
    info = ffmpeg.probe(dst)
    assert info.codec == "mp3"
    assert info.duration_s > 1.0
    assert len(ffmpeg.decode_pcm(dst, sample_rate=8000)) > 8000
    request = mocked.calls[0].request
    assert "jQ1olc" in requests.utils.unquote(request.body)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_long_text_is_fetched_in_parts_and_joined(mocked, speech_mp3: Path, tmp_path: Path) -> None:
    mocked.add(responses.POST, URL, body=batchexecute_body(speech_mp3.read_bytes()))
    dst = tmp_path / "out.mp3"
    long_text = "Đây là một câu khá dài để thử. " * 8  # gTTS sends at most 100 chars a request
    GttsEngine().synthesize(long_text, voice="vi", speed=1.0, dst=dst)
    assert len(mocked.calls) > 1
    assert ffmpeg.probe(dst).duration_s > 1.0


def test_speed_is_applied_locally(mocked, speech_mp3: Path, tmp_path: Path) -> None:
    mocked.add(responses.POST, URL, body=batchexecute_body(speech_mp3.read_bytes()))
    dst = tmp_path / "fast"
    GttsEngine().synthesize(TEXT, voice="vi", speed=1.5, dst=dst)
    original = ffmpeg.probe(speech_mp3).duration_s
    assert ffmpeg.probe(dst).duration_s == pytest.approx(original / 1.5, rel=0.1)
    assert [p.name for p in tmp_path.iterdir()] == ["fast"]


def test_rate_limit_is_engine_error(mocked, tmp_path: Path) -> None:
    mocked.add(responses.POST, URL, status=429)
    dst = tmp_path / "out.mp3"
    with pytest.raises(EngineError) as excinfo:
        GttsEngine().synthesize(TEXT, voice="vi", speed=1.0, dst=dst)
    assert "429" in excinfo.value.detail
    assert excinfo.value.user_message
    assert not dst.exists()


def test_server_error_is_engine_error(mocked, tmp_path: Path) -> None:
    mocked.add(responses.POST, URL, status=503)
    with pytest.raises(EngineError) as excinfo:
        GttsEngine().synthesize(TEXT, voice="vi", speed=1.0, dst=tmp_path / "out.mp3")
    assert "503" in excinfo.value.detail


def test_connection_timeout_is_engine_error(mocked, tmp_path: Path) -> None:
    mocked.add(responses.POST, URL, body=requests.exceptions.ConnectTimeout("timed out"))
    dst = tmp_path / "out.mp3"
    with pytest.raises(EngineError) as excinfo:
        GttsEngine(timeout_s=0.5).synthesize(TEXT, voice="vi", speed=1.0, dst=dst)
    assert "ConnectTimeout" in excinfo.value.detail
    assert not dst.exists()


def test_200_without_audio_line_leaves_no_file(mocked, tmp_path: Path) -> None:
    mocked.add(responses.POST, URL, body=')]}\'\n\n25\n[["e",4,null,null,120]]\n')
    dst = tmp_path / "out.mp3"
    with pytest.raises(EngineError) as excinfo:
        GttsEngine().synthesize(TEXT, voice="vi", speed=1.0, dst=dst)
    assert "no audio" in excinfo.value.detail
    assert list(tmp_path.iterdir()) == []


def test_200_with_empty_audio_field_leaves_no_file(mocked, tmp_path: Path) -> None:
    mocked.add(responses.POST, URL, body=')]}\'\n\n[["wrb.fr","jQ1olc","[]",null]]\n')
    dst = tmp_path / "out.mp3"
    with pytest.raises(EngineError):
        GttsEngine().synthesize(TEXT, voice="vi", speed=1.0, dst=dst)
    assert list(tmp_path.iterdir()) == []


def test_garbage_audio_is_engine_error(mocked, tmp_path: Path) -> None:
    mocked.add(responses.POST, URL, body=batchexecute_body(b"definitely not an mp3" * 10))
    dst = tmp_path / "out.mp3"
    with pytest.raises(EngineError) as excinfo:
        GttsEngine().synthesize(TEXT, voice="vi", speed=1.0, dst=dst)
    assert "unusable" in excinfo.value.detail
    assert list(tmp_path.iterdir()) == []


def test_only_vietnamese_voice(tmp_path: Path) -> None:
    with pytest.raises(EngineError):
        GttsEngine().synthesize(TEXT, voice="vi-vn-x-south", speed=1.0, dst=tmp_path / "x")
