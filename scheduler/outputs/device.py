"""The sound card output: PCM piped into ffmpeg, which plays it on an ALSA or Pulse device."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from scheduler.clock import Clock
from scheduler.outputs.base import SAMPLE_RATE, Output, OutputError


def has_sound_card(cards: Path = Path("/proc/asound/cards")) -> bool:
    """Tell whether the kernel lists a sound card."""
    try:
        text = cards.read_text()
    except OSError:
        return False
    return bool(text.strip()) and "no soundcards" not in text


class DeviceOutput(Output):
    """Air through ffmpeg to a device given as "FORMAT:TARGET" (e.g. "alsa:default").

    Any ffmpeg output format works, which is how tests run it with "wav:/some/file.wav".
    """

    name = "device"
    keepalive = True

    def __init__(self, device: str, clock: Clock, sample_rate: int = SAMPLE_RATE) -> None:
        super().__init__(clock, sample_rate)
        fmt, _, target = device.partition(":")
        if not target:
            fmt, target = "alsa", device
        self.fmt, self.target = fmt, target
        self.name = f"device:{device}"
        self._proc: subprocess.Popen[bytes] | None = None

    def open(self, label: str) -> None:
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is None:
            raise OutputError("ffmpeg not found: install Debian's ffmpeg package")
        command = [
            ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
            # Raw PCM needs no probing; without these ffmpeg would buffer seconds before output.
            "-probesize", "32", "-analyzeduration", "0", "-fflags", "nobuffer",
            "-f", "s16le", "-ar", str(self.sample_rate), "-ac", "1", "-i", "pipe:0",
            "-f", self.fmt, self.target,
        ]  # fmt: skip
        self._proc = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE)

    def _write(self, chunk: bytes) -> None:
        if self._proc is None or self._proc.stdin is None:
            raise OutputError("device output written before open()")
        try:
            self._proc.stdin.write(chunk)
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            err = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
            raise OutputError(
                f"ffmpeg output {self.fmt}:{self.target} failed: {err or exc}"
            ) from exc

    def _check(self) -> None:
        if self._proc is None:
            raise OutputError("device output used before open()")
        if self._proc.poll() is not None:
            err = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
            raise OutputError(f"ffmpeg output {self.fmt}:{self.target} stopped: {err.strip()}")

    def close(self) -> None:
        if self._proc is None:
            return
        proc, self._proc = self._proc, None
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.returncode:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise OutputError(f"ffmpeg output exited {proc.returncode}: {err.strip()}")
