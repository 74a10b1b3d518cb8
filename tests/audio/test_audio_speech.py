"""audio.speech: engine fallback, the rendering cache, and keys."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import replace
from pathlib import Path

import pytest
import responses

from audio.engines.espeak import EspeakEngine
from audio.engines.gtts_engine import GttsEngine
from audio.errors import AudioError, EngineError, SpeechUnavailable
from audio.sound import files
from audio.sound.mastering import MasteringSpec
from audio.speech import SpeechRenderer, cache_key, voice_for
from tests.audio import ffmpeg_reference

URL = "https://translate.google.com/_/TranslateWebserverUi/data/batchexecute"
TEXT = "Mời bà con đến nhà văn hóa khu phố lúc bảy giờ tối."


class BrokenEngine:
    """An engine that always fails, like gTTS without internet."""

    name = "broken"

    def __init__(self, exc: Exception | None = None) -> None:
        self.exc = exc or EngineError("Hỏng.", "broken: no network")
        self.calls = 0

    def default_voice(self) -> str:
        return "vi"

    def synthesize(self, text: str, *, voice: str, speed: float, dst: Path) -> None:
        self.calls += 1
        raise self.exc


@pytest.fixture
def rate_limited():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(responses.POST, URL, status=429)
        yield rsps


def test_falls_back_to_espeak_when_gtts_is_rate_limited(
    rate_limited, cache_dir: Path, counting
) -> None:
    offline = counting(EspeakEngine())
    renderer = SpeechRenderer(cache_dir, [GttsEngine(timeout_s=1, max_attempts=1), offline])

    first = renderer.render(TEXT)
    assert first.engine == "espeak-ng"
    assert first.voice == "vi"
    assert first.fallback is True
    assert first.from_cache is False
    assert len(first.failures) == 1
    assert first.failures[0].startswith("gtts:")
    assert "429" in first.failures[0]
    assert first.spoken_text == TEXT
    assert first.path.parent == cache_dir
    assert first.path.name == cache_key(TEXT, "espeak-ng", "vi", 1.0) + ".wav"
    # The rendering, measured independently of what master() reported.
    info = files.probe(first.path)
    assert (info.codec, info.channels, info.sample_rate) == ("pcm_s16le", 1, 22050)
    assert first.duration_s == pytest.approx(info.duration_s, abs=1e-3)
    loudness = ffmpeg_reference.measure_loudness(first.path)
    assert loudness.integrated_lufs == pytest.approx(MasteringSpec().target_lufs, abs=1.0)
    assert loudness.true_peak_db <= MasteringSpec().true_peak_db + 0.3
    assert first.loudness_lufs == pytest.approx(loudness.integrated_lufs, abs=0.3)
    sidecar = json.loads(first.path.with_suffix(".json").read_text(encoding="utf-8"))
    assert sidecar["engine"] == "espeak-ng"
    assert sidecar["sha256"] == first.sha256
    assert sidecar["spoken_text"] == TEXT

    # gTTS is still tried first (the simple walk-in-order rule), but espeak-ng is not re-run.
    second = renderer.render(TEXT)
    assert offline.calls == 1
    assert second.from_cache is True
    assert second.fallback is True
    assert (second.path, second.sha256) == (first.path, first.sha256)
    assert len(rate_limited.calls) == 2


def test_second_render_calls_no_engine(cache_dir: Path, counting) -> None:
    engine = counting(EspeakEngine())
    renderer = SpeechRenderer(cache_dir, [engine])
    first = renderer.render(TEXT)
    # A fresh renderer over the same directory, as after a restart.
    again = SpeechRenderer(cache_dir, [engine]).render(TEXT)
    assert engine.calls == 1
    assert again.from_cache is True
    assert again.fallback is False
    assert again.failures == ()
    assert again == replace(first, from_cache=True)


def test_a_wanted_voice_goes_to_engines_that_have_it(cache_dir: Path) -> None:
    # gTTS has one Vietnamese voice: asked for the southern one, it speaks with its own rather
    # than failing; espeak-ng has the regional voices and uses the one asked for.
    assert voice_for(GttsEngine(), "vi-vn-x-south") == "vi"
    assert voice_for(EspeakEngine(), "vi-vn-x-south") == "vi-vn-x-south"
    assert voice_for(EspeakEngine(), None) == "vi"
    assert voice_for(EspeakEngine(), "klingon") == "vi"
    result = SpeechRenderer(cache_dir, [EspeakEngine()]).render("Xin chào.", voice="vi-vn-x-south")
    assert (result.engine, result.voice, result.fallback) == ("espeak-ng", "vi-vn-x-south", False)


def test_cached_first_engine_is_used_without_network(cache_dir: Path, counting) -> None:
    offline = counting(EspeakEngine())
    SpeechRenderer(cache_dir, [offline]).render(TEXT)
    broken = BrokenEngine()
    # The cached engine comes first in this chain, so nothing after it is consulted.
    result = SpeechRenderer(cache_dir, [offline, broken]).render(TEXT)
    assert result.from_cache is True
    assert broken.calls == 0
    assert offline.calls == 1


def test_speed_and_voice_change_the_key(cache_dir: Path, counting) -> None:
    engine = counting(EspeakEngine())
    renderer = SpeechRenderer(cache_dir, [engine])
    normal = renderer.render(TEXT)
    fast = renderer.render(TEXT, speed=1.3)
    assert engine.calls == 2
    assert fast.path != normal.path
    assert fast.speed == 1.3
    assert fast.duration_s < normal.duration_s
    assert cache_key(TEXT, "espeak-ng", "vi", 1.0) != cache_key(TEXT, "espeak-ng", "vi", 1.3)
    assert cache_key(TEXT, "espeak-ng", "vi", 1.0) != cache_key(
        TEXT, "espeak-ng", "vi-vn-x-south", 1.0
    )
    assert cache_key(TEXT, "espeak-ng", "vi", 1.0) != cache_key(TEXT, "gtts", "vi", 1.0)


def test_cache_key_is_canonical() -> None:
    key = cache_key("xin chào", "gtts", "vi", 1.0)
    assert len(key) == 64
    assert key == cache_key("xin chào", "gtts", "vi", 1)
    assert key == cache_key("xin chào", "gtts", "vi", 1.0000001)
    assert key != cache_key("xin chào ", "gtts", "vi", 1.0)


def test_spoken_form_uses_normalizer_and_collapses_whitespace(cache_dir: Path) -> None:
    renderer = SpeechRenderer(
        cache_dir, [EspeakEngine()], normalizer=lambda t: t.replace("UBND", "ủy ban nhân dân")
    )
    assert (
        renderer.spoken_form("  UBND\n phường\t\tthông báo  ") == "ủy ban nhân dân phường thông báo"
    )
    # Decomposed diacritics (as typed on some systems) get the same key as composed ones.
    assert SpeechRenderer(cache_dir, [EspeakEngine()]).spoken_form("Vie\u0323\u0302t") == "Việt"


def test_empty_text_is_refused(cache_dir: Path) -> None:
    renderer = SpeechRenderer(cache_dir, [BrokenEngine()])
    for text in ["", "   \n\t "]:
        with pytest.raises(AudioError) as excinfo:
            renderer.render(text)
        assert excinfo.value.user_message
    renderer_dropping_all = SpeechRenderer(cache_dir, [BrokenEngine()], normalizer=lambda t: "")
    with pytest.raises(AudioError):
        renderer_dropping_all.render("có chữ")


def test_bad_speed_is_refused(cache_dir: Path) -> None:
    renderer = SpeechRenderer(cache_dir, [BrokenEngine()])
    for speed in (0.0, 0.2, 5.0, float("nan")):
        with pytest.raises(AudioError):
            renderer.render(TEXT, speed=speed)


def test_all_engines_failing(cache_dir: Path) -> None:
    renderer = SpeechRenderer(
        cache_dir, [BrokenEngine(), EspeakEngine(binary="espeak-ng-does-not-exist")]
    )
    with pytest.raises(SpeechUnavailable) as excinfo:
        renderer.render(TEXT)
    assert excinfo.value.user_message == "Không tạo được âm thanh: không có bộ đọc nào hoạt động."
    assert "broken: no network" in excinfo.value.detail
    assert "espeak-ng" in excinfo.value.detail
    assert [p for p in cache_dir.iterdir()] == []


def test_crashing_engine_does_not_stop_the_chain(cache_dir: Path) -> None:
    renderer = SpeechRenderer(cache_dir, [BrokenEngine(RuntimeError("bug")), EspeakEngine()])
    result = renderer.render(TEXT)
    assert result.engine == "espeak-ng"
    assert result.fallback is True
    assert "RuntimeError" in result.failures[0]


def test_corrupted_cache_entry_is_rendered_again(cache_dir: Path, counting) -> None:
    engine = counting(EspeakEngine())
    renderer = SpeechRenderer(cache_dir, [engine])
    first = renderer.render(TEXT)
    first.path.write_bytes(first.path.read_bytes()[:100])  # truncated on disk
    again = renderer.render(TEXT)
    assert engine.calls == 2
    assert again.from_cache is False
    assert again.path == first.path
    assert again.sha256 == hashlib.sha256(again.path.read_bytes()).hexdigest()


def test_changed_mastering_spec_is_rendered_again(cache_dir: Path, counting) -> None:
    engine = counting(EspeakEngine())
    SpeechRenderer(cache_dir, [engine]).render(TEXT)
    quieter = SpeechRenderer(cache_dir, [engine], spec=MasteringSpec(target_lufs=-20.0))
    result = quieter.render(TEXT)
    assert engine.calls == 2
    assert result.loudness_lufs == pytest.approx(-20.0, abs=1.0)
    assert ffmpeg_reference.measure_loudness(result.path).integrated_lufs == pytest.approx(
        -20.0, abs=1.0
    )


def test_concurrent_renders_of_one_text_synthesise_once(cache_dir: Path, counting) -> None:
    engine = counting(EspeakEngine())
    renderer = SpeechRenderer(cache_dir, [engine])
    results = []
    errors = []

    def work() -> None:
        try:
            results.append(renderer.render(TEXT))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert engine.calls == 1
    assert len({r.sha256 for r in results}) == 1
    assert sorted(r.from_cache for r in results) == [False, True, True, True]
    assert sorted(p.suffix for p in cache_dir.iterdir()) == [".json", ".wav"]


def test_a_voice_goes_first_to_the_engine_that_has_it_and_the_station_default_applies(
    tmp_path: Path,
) -> None:
    from audio.engines.chain import build_engines
    from audio.engines.cloud import FptEngine

    gtts, fpt, espeak = build_engines(
        ["gtts", "fpt", "offline"], cloud={"fpt": ("k", "http://127.0.0.1:9")}
    )
    assert isinstance(fpt, FptEngine)
    renderer = SpeechRenderer(tmp_path, [gtts, fpt, espeak])
    assert renderer.engines_for("linhsan") == (fpt, gtts, espeak)
    # espeak-ng, the last resort, keeps its place even for its own regional voices.
    assert renderer.engines_for("vi-vn-x-south") == (gtts, fpt, espeak)
    assert renderer.engines_for(None) == (gtts, fpt, espeak)
    # A station whose default is the southern voice: a text asking for none gets it.
    southern = SpeechRenderer(tmp_path, [EspeakEngine()], default_voice="vi-vn-x-south")
    assert southern.render("Xin chào bà con.").voice == "vi-vn-x-south"
    assert southern.render("Xin chào bà con.", voice="vi").voice == "vi"
