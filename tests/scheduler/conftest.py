"""Tiny real audio for playout tests, generated with ffmpeg."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.icecast_server import IcecastMissing, IcecastServer, find_icecast


@pytest.fixture
def tone(tmp_path: Path) -> Callable[[float, int], Path]:
    """Return a maker of mono 44.1 kHz MP3 tones of a given length and pitch."""

    def make(seconds: float, hz: int = 440) -> Path:
        path = tmp_path / f"tone-{hz}-{seconds}.mp3"
        subprocess.run(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
             "-i", f"sine=frequency={hz}:duration={seconds}:sample_rate=44100",
             "-ac", "1", "-c:a", "libmp3lame", "-b:a", "128k", str(path)],
            check=True,
        )  # fmt: skip
        return path

    return make


@pytest.fixture
def icecast() -> Iterator[IcecastServer]:
    """A running icecast2 on a free loopback port; `.stop()` and `.start()` take it down and up.

    Fails (never skips) where Debian's icecast2 is missing: the Icecast output must be tested.
    """
    try:
        find_icecast()
    except IcecastMissing as exc:
        pytest.fail(str(exc))
    server = IcecastServer()
    try:
        server.start()
        yield server
    finally:
        server.cleanup()
