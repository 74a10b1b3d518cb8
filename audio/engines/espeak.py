"""Offline Vietnamese speech with espeak-ng: robotic but always available."""

from __future__ import annotations

import math
import os
import subprocess
import wave
from pathlib import Path

from audio.engines._files import temp_sibling
from audio.errors import EngineError

VOICES = ("vi", "vi-vn-x-central", "vi-vn-x-south")
# espeak-ng's default 175 wpm is hard to follow through outdoor horns. Measured with the
# offline recognizer on the sample bulletins (docs/intelligibility.md): 120 wpm with a 40 ms
# word gap gave a word error rate of 0.72 against 0.76 at 145 wpm and 20 ms.
BASE_WPM = 120
MIN_WPM = 80
MAX_WPM = 450
# Extra pause between words in 10 ms units: Vietnamese is monosyllabic and runs together.
WORD_GAP = 4

_USER_MESSAGE = "Bộ đọc ngoại tuyến (espeak-ng) không hoạt động."


def words_per_minute(speed: float) -> int:
    """Return the espeak-ng rate for a relative speed (1.0 is the station's normal pace)."""
    if not math.isfinite(speed) or speed <= 0:
        raise ValueError(f"speed must be a positive number, got {speed!r}")
    return max(MIN_WPM, min(MAX_WPM, round(BASE_WPM * speed)))


def _wav_frames(path: Path) -> int:
    try:
        with wave.open(str(path), "rb") as wav:
            return wav.getnframes()
    except (wave.Error, EOFError, OSError):
        return 0


class EspeakEngine:
    """Speech engine running the local espeak-ng binary."""

    name = "espeak-ng"
    voices = VOICES
    last_resort = True  # never moved ahead of the natural voices for a voice it shares

    def __init__(self, *, binary: str = "espeak-ng", timeout_s: float = 60.0) -> None:
        self.binary = binary
        self.timeout_s = timeout_s

    def default_voice(self) -> str:
        """Return the northern Vietnamese voice."""
        return "vi"

    def synthesize(self, text: str, *, voice: str, speed: float, dst: Path) -> None:
        """Render text to a WAV file at dst, or raise EngineError."""
        if voice not in VOICES:
            raise EngineError(
                _USER_MESSAGE, f"espeak-ng: unknown voice {voice!r}, expected one of {VOICES}"
            )
        if not text.strip():
            raise EngineError(_USER_MESSAGE, "espeak-ng: nothing to say")
        tmp = temp_sibling(dst, ".wav")
        # Text goes through stdin, so a leading "-" can't be read as an option and long
        # bulletins don't hit argv limits; -b 1 declares it UTF-8.
        args = [
            self.binary,
            "-v",
            voice,
            "-s",
            str(words_per_minute(speed)),
            "-g",
            str(WORD_GAP),
            "-b",
            "1",
            "-w",
            str(tmp),
            "--stdin",
        ]
        try:
            try:
                proc = subprocess.run(
                    args,
                    input=text.encode("utf-8"),
                    capture_output=True,
                    timeout=self.timeout_s,
                    check=False,
                )
            except FileNotFoundError as exc:
                raise EngineError(
                    _USER_MESSAGE, f"espeak-ng: binary {self.binary!r} not found"
                ) from exc
            except OSError as exc:
                raise EngineError(
                    _USER_MESSAGE, f"espeak-ng: cannot run {self.binary!r}: {exc}"
                ) from exc
            except subprocess.TimeoutExpired as exc:
                raise EngineError(
                    _USER_MESSAGE, f"espeak-ng: timed out after {self.timeout_s:.0f} s"
                ) from exc
            if proc.returncode != 0:
                stderr = proc.stderr.decode("utf-8", errors="replace").strip()
                raise EngineError(
                    _USER_MESSAGE, f"espeak-ng: exit {proc.returncode}: {stderr[-300:]}"
                )
            if _wav_frames(tmp) <= 0:
                raise EngineError(_USER_MESSAGE, "espeak-ng: produced no audio")
            os.replace(tmp, dst)
        finally:
            tmp.unlink(missing_ok=True)
