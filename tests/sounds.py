"""Sounds for tests, made by ffmpeg: a tone of a given pitch, length and level, as a file."""

from __future__ import annotations

import subprocess
from pathlib import Path


def tone(path: Path, *, hz: int = 440, seconds: float = 1.0, volume_db: float = 0.0) -> Path:
    """Write a sine tone to `path` (its suffix picks the format) and return the path."""
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi",
         "-i", f"sine=frequency={hz}:duration={seconds}", "-af", f"volume={volume_db}dB",
         str(path)],
        check=True,
    )  # fmt: skip
    return path
