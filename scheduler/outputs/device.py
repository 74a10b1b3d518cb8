"""The sound card output: PCM piped into ffmpeg, which plays it on an ALSA or Pulse device."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import IO

from playlists.core.clock import Clock
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
        self._errors: IO[bytes] | None = None

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
        # ffmpeg's messages go to a file, not a pipe: nobody has to drain it while we play, and
        # reading it after a failure never blocks.
        if self._errors is not None:
            self._errors.close()
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115  (kept until the next open)
        self._proc = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=self._errors)

    def _stderr(self) -> str:
        if self._errors is None:
            return ""
        with contextlib.suppress(OSError, ValueError):
            self._errors.seek(0)
            return self._errors.read().decode(errors="replace").strip()[-500:]
        return ""

    def _write(self, chunk: bytes) -> None:
        proc = self._proc  # abort() may drop it from another thread
        if proc is None or proc.stdin is None:
            raise OutputError(f"ffmpeg output {self.fmt}:{self.target} is not open")
        try:
            proc.stdin.write(chunk)
            proc.stdin.flush()
        except (OSError, ValueError) as exc:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=1)
            raise OutputError(
                f"ffmpeg output {self.fmt}:{self.target} failed: {self._stderr() or exc}"
            ) from exc

    def _check(self) -> None:
        proc = self._proc
        if proc is None:
            raise OutputError(f"ffmpeg output {self.fmt}:{self.target} is not open")
        if proc.poll() is not None:
            raise OutputError(f"ffmpeg output {self.fmt}:{self.target} stopped: {self._stderr()}")

    def abort(self) -> None:
        """Kill ffmpeg at once: a stalled device leaves it blocked with a full pipe."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        proc.wait()

    def close(self) -> None:
        if self._proc is None:
            return
        proc = self._proc
        if proc.stdin:
            try:
                proc.stdin.close()  # flushes: fails if ffmpeg died with audio still queued
            except OSError as exc:
                self.abort()
                raise OutputError(f"ffmpeg output {self.fmt}:{self.target} died: {exc}") from exc
        self._proc = None
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.returncode:
            raise OutputError(f"ffmpeg output exited {proc.returncode}: {self._stderr()}")
