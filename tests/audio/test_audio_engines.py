"""audio.engines: espeak-ng for real, and the chain built from settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from audio.engines.base import SpeechEngine
from audio.engines.chain import build_engines
from audio.engines.espeak import BASE_WPM, MAX_WPM, MIN_WPM, EspeakEngine, words_per_minute
from audio.engines.gtts_engine import GttsEngine
from audio.errors import EngineError
from audio.sound import files
from tests.audio import ffmpeg_reference

TEXT = "Thông báo: sáng mai phường tổ chức tổng vệ sinh, mời bà con tham gia."


def test_espeak_renders_vietnamese(tmp_path: Path) -> None:
    engine = EspeakEngine()
    assert engine.name == "espeak-ng"
    assert isinstance(engine, SpeechEngine)
    dst = tmp_path / "out.wav"
    engine.synthesize(TEXT, voice=engine.default_voice(), speed=1.0, dst=dst)
    info = files.probe(dst)
    assert info.duration_s > 2.0
    assert ffmpeg_reference.measure_loudness(dst).integrated_lufs > -40
    assert [p.name for p in tmp_path.iterdir()] == ["out.wav"]


@pytest.mark.parametrize("voice", ["vi-vn-x-central", "vi-vn-x-south"])
def test_espeak_regional_voices(tmp_path: Path, voice: str) -> None:
    dst = tmp_path / "out.wav"
    EspeakEngine().synthesize("Xin chào bà con.", voice=voice, speed=1.0, dst=dst)
    assert files.probe(dst).duration_s > 0.3


def test_espeak_speed_changes_duration(tmp_path: Path) -> None:
    engine = EspeakEngine()
    fast, slow = tmp_path / "fast.wav", tmp_path / "slow.wav"
    engine.synthesize(TEXT, voice="vi", speed=1.3, dst=fast)
    engine.synthesize(TEXT, voice="vi", speed=0.8, dst=slow)
    assert files.probe(fast).duration_s < files.probe(slow).duration_s * 0.8


def test_espeak_text_starting_with_dash_is_spoken_not_parsed(tmp_path: Path) -> None:
    dst = tmp_path / "dash.wav"
    EspeakEngine().synthesize("-x năm mươi", voice="vi", speed=1.0, dst=dst)
    assert files.probe(dst).duration_s > 0.3


def test_espeak_missing_binary(tmp_path: Path) -> None:
    dst = tmp_path / "out.wav"
    with pytest.raises(EngineError) as excinfo:
        EspeakEngine(binary="espeak-ng-does-not-exist").synthesize(
            TEXT, voice="vi", speed=1.0, dst=dst
        )
    assert "not found" in excinfo.value.detail
    assert excinfo.value.user_message
    assert not dst.exists()
    assert list(tmp_path.iterdir()) == []


def test_espeak_unknown_voice(tmp_path: Path) -> None:
    with pytest.raises(EngineError):
        EspeakEngine().synthesize(TEXT, voice="en", speed=1.0, dst=tmp_path / "x.wav")
    assert list(tmp_path.iterdir()) == []


def test_words_per_minute_scales_and_clamps() -> None:
    assert words_per_minute(1.0) == BASE_WPM
    assert words_per_minute(1.3) > words_per_minute(1.0) > words_per_minute(0.8)
    assert words_per_minute(0.01) == MIN_WPM
    assert words_per_minute(100) == MAX_WPM


def test_build_engines_order() -> None:
    engines = build_engines(["gtts", "offline"], gtts_timeout_s=3.0)
    assert [e.name for e in engines] == ["gtts", "espeak-ng"]
    assert isinstance(engines[0], GttsEngine)
    assert engines[0].timeout_s == 3.0
    assert [e.name for e in build_engines(["offline"])] == ["espeak-ng"]
    assert [e.name for e in build_engines([" Offline ", "GTTS"])] == ["espeak-ng", "gtts"]


@pytest.mark.parametrize("order", [["gtts", "polly"], [], ["gtts", "gtts"], "gtts"])
def test_build_engines_rejects_bad_order(order) -> None:
    with pytest.raises(ValueError) as excinfo:
        build_engines(order)
    assert str(excinfo.value)
