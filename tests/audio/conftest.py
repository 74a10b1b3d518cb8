"""Shared fixtures for the audio tests: generated audio, never committed blobs.

The network guard for every test is in tests/conftest.py.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydub.utils
import pytest

from audio.engines.base import SpeechEngine

SPEECH_TEXT = "Xin chào bà con, đây là thông báo của ủy ban nhân dân phường."


def _require(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed")


def run_ffmpeg(*args: str) -> None:
    """Run ffmpeg quietly to build a fixture, failing the test on error."""
    _require("ffmpeg")
    subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args],
        check=True,
        timeout=60,
    )


ToneMaker = Callable[..., Path]


@pytest.fixture
def make_tone(tmp_path: Path) -> ToneMaker:
    """Return a factory writing a 440 Hz tone with optional silence around it."""

    def make(
        name: str = "tone.wav",
        *,
        seconds: float = 2.0,
        amplitude: float = 0.5,
        lead_s: float = 0.0,
        tail_s: float = 0.0,
        sample_rate: int = 48000,
        channels: int = 2,
    ) -> Path:
        path = tmp_path / name
        graph = f"aevalsrc={amplitude}*sin(2*PI*440*t):s={sample_rate}:d={seconds}"
        if lead_s > 0:
            graph += f",adelay={int(lead_s * 1000)}:all=1"
        if tail_s > 0:
            graph += f",apad=pad_dur={tail_s}"
        run_ffmpeg("-f", "lavfi", "-i", graph, "-ac", str(channels), str(path))
        return path

    return make


@pytest.fixture
def make_silence(tmp_path: Path) -> Callable[[str, float], Path]:
    """Return a factory writing digital silence of the given length."""

    def make(name: str, seconds: float) -> Path:
        path = tmp_path / name
        run_ffmpeg("-f", "lavfi", "-i", f"anullsrc=r=44100:cl=mono:d={seconds}", str(path))
        return path

    return make


@pytest.fixture
def transcode(tmp_path: Path) -> Callable[[Path, str, str], Path]:
    """Return a factory re-encoding a fixture with the given ffmpeg codec into name."""

    def make(src: Path, name: str, codec: str) -> Path:
        path = tmp_path / name
        run_ffmpeg("-i", str(src), "-c:a", codec, str(path))
        return path

    return make


@pytest.fixture
def make_with_ffmpeg(tmp_path: Path) -> Callable[..., Path]:
    """Return a factory running ffmpeg with the given arguments to write tmp_path / name."""

    def make(name: str, *args: str) -> Path:
        path = tmp_path / name
        run_ffmpeg(*args, str(path))
        return path

    return make


@pytest.fixture(scope="session")
def speech_mp3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a real Vietnamese speech MP3, made with espeak-ng and ffmpeg like gTTS's output."""
    _require("espeak-ng")
    folder = tmp_path_factory.mktemp("speech")
    wav = folder / "speech.wav"
    subprocess.run(
        ["espeak-ng", "-v", "vi", "-b", "1", "-w", str(wav), "--stdin"],
        input=SPEECH_TEXT.encode("utf-8"),
        check=True,
        timeout=60,
    )
    mp3 = folder / "speech.mp3"
    # gTTS returns 24 kHz mono MP3 at 32 kb/s.
    run_ffmpeg("-i", str(wav), "-ac", "1", "-ar", "24000", "-b:a", "32k", str(mp3))
    return mp3


class CountingEngine:
    """Wraps a real engine and counts how often it synthesises."""

    def __init__(self, inner: SpeechEngine) -> None:
        self.inner = inner
        self.name = inner.name
        self.calls = 0
        self._lock = threading.Lock()

    def default_voice(self) -> str:
        return self.inner.default_voice()

    def synthesize(self, text: str, *, voice: str, speed: float, dst: Path) -> None:
        with self._lock:
            self.calls += 1
        self.inner.synthesize(text, voice=voice, speed=speed, dst=dst)


@pytest.fixture
def counting() -> type[CountingEngine]:
    """Return the CountingEngine wrapper class (fixtures avoid importing conftest)."""
    return CountingEngine


class SubprocessSpy:
    """Sees every subprocess the audio layer starts, through subprocess or through pydub."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.started: list[str] = []

    def _route(self, popen: Callable[..., Any]) -> None:
        # subprocess.run and pydub's ffmpeg runs look up subprocess.Popen when called; pydub's
        # ffprobe runs use the Popen that pydub.utils imported.
        self.monkeypatch.setattr(subprocess, "Popen", popen)
        self.monkeypatch.setattr(pydub.utils, "Popen", popen)

    def record(self) -> list[str]:
        """From now on, note the program name of every subprocess; return the list."""
        real_popen = subprocess.Popen

        def recording(args: Any, *rest: Any, **kwargs: Any) -> Any:
            self.started.append(Path(args[0]).name)
            return real_popen(args, *rest, **kwargs)

        self._route(recording)
        return self.started

    def forbid(self) -> None:
        """From now on, fail the test at any subprocess."""

        def refusing(args: Any, *rest: Any, **kwargs: Any) -> Any:
            raise AssertionError(f"unexpected subprocess {args[0]!r}")

        self._route(refusing)


@pytest.fixture
def subprocesses(monkeypatch: pytest.MonkeyPatch) -> SubprocessSpy:
    """Return a spy that records or forbids subprocesses once the test asks it to."""
    return SubprocessSpy(monkeypatch)


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    """Return an empty speech cache directory."""
    path = tmp_path / "cache"
    path.mkdir()
    return path
