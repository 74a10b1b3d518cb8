"""ffmpeg's own meters, called directly: the independent reference the audio tests measure by.

The station measures loudness in-process (audio.sound.loudness) and reads files through pydub
(audio.sound.files); these run ffmpeg's ebur128 and silencedetect filters instead, so a bug in
the code under test can't hide in the instrument that checks it. The functions that only parse
ffmpeg's log are pure, so they can be unit-tested on captured text.
"""

from __future__ import annotations

import math
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from audio.errors import AudioError

FFMPEG = "ffmpeg"

# Test fixtures are seconds long; this covers slow disks and a loaded CI machine.
DEFAULT_TIMEOUT_S = 120.0

_PROCESSING_MESSAGE = "Không xử lý được âm thanh."
_MISSING_TOOL_MESSAGE = "Máy chưa cài đặt ffmpeg nên không xử lý được âm thanh."

# Only plain local files are readable, as the station's own inputs once were.
_INPUT_GUARD = ("-protocol_whitelist", "file")
_FFMPEG_FLAGS = ("-nostdin", "-hide_banner", "-nostats", "-loglevel", "info")


@dataclass(frozen=True)
class Loudness:
    """EBU R128 measurement of a whole file."""

    integrated_lufs: float
    true_peak_db: float


@dataclass(frozen=True)
class Silence:
    """One stretch of silence reported by ffmpeg's silencedetect, in seconds."""

    start_s: float
    end_s: float


@dataclass(frozen=True)
class SilenceScan:
    """Decoded duration of a stream and the silences found in it."""

    duration_s: float
    silences: tuple[Silence, ...]


def _tail(text: str, lines: int = 6) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


def _run(args: Sequence[str], *, timeout_s: float, what: str) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg, turning every failure into an AudioError with an English detail."""
    try:
        proc = subprocess.run(
            list(args),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout_s,
            check=False,
        )
    except FileNotFoundError as exc:
        raise AudioError(_MISSING_TOOL_MESSAGE, f"{args[0]} not found while {what}: {exc}") from exc
    except subprocess.TimeoutExpired as exc:
        raise AudioError(
            _PROCESSING_MESSAGE, f"{args[0]} timed out after {timeout_s:.0f} s while {what}"
        ) from exc
    if proc.returncode != 0:
        stderr = proc.stderr.decode("utf-8", errors="replace")
        raise AudioError(
            _PROCESSING_MESSAGE,
            f"{args[0]} failed while {what} (exit {proc.returncode}): {_tail(stderr)}",
        )
    return proc


def _ffmpeg() -> list[str]:
    # Looked up at call time so a test can point FFMPEG elsewhere.
    return [FFMPEG, *_FFMPEG_FLAGS]


def _stderr(proc: subprocess.CompletedProcess[bytes]) -> str:
    return proc.stderr.decode("utf-8", errors="replace")


def _input(path: Path) -> list[str]:
    # An absolute path can never be mistaken for an option or a protocol prefix like "http:".
    return [*_INPUT_GUARD, "-i", str(path.resolve())]


def _audio_filter(chain: Sequence[str]) -> list[str]:
    return ["-map", "0:a:0", "-af", ",".join(chain)] if chain else ["-map", "0:a:0"]


# --------------------------------------------------------------------------- measuring

_EBUR128_I = re.compile(r"Integrated loudness:\s*\n\s*I:\s*(-?[\d.]+|-?inf|nan)\s*LUFS", re.I)
_EBUR128_PEAK = re.compile(r"True peak:\s*\n\s*Peak:\s*(-?[\d.]+|-?inf|nan)\s*dBFS", re.I)


def parse_ebur128_summary(stderr: str) -> Loudness:
    """Extract integrated loudness and true peak from the ebur128 filter's final summary."""
    # The summary is printed last; earlier matches could come from per-frame logging.
    i_matches = _EBUR128_I.findall(stderr)
    peak_matches = _EBUR128_PEAK.findall(stderr)
    if not i_matches or not peak_matches:
        raise AudioError(
            _PROCESSING_MESSAGE, f"no ebur128 summary in ffmpeg output: {_tail(stderr)}"
        )
    integrated = float(i_matches[-1])
    # ebur128 reports -70 LUFS (its absolute gate) when nothing passes the gate: that is silence.
    if integrated <= -70.0:
        integrated = -math.inf
    return Loudness(integrated_lufs=integrated, true_peak_db=float(peak_matches[-1]))


def measure_loudness(
    path: Path, *, chain: Sequence[str] = (), timeout_s: float | None = None
) -> Loudness:
    """Measure integrated loudness (LUFS) and true peak (dBTP) per EBU R128, after chain."""
    args = [
        *_ffmpeg(),
        *_input(path),
        *_audio_filter([*chain, "ebur128=peak=true:framelog=verbose"]),
        "-f",
        "null",
        "-",
    ]
    timeout = timeout_s if timeout_s is not None else DEFAULT_TIMEOUT_S
    proc = _run(args, timeout_s=timeout, what=f"measuring {path.name}")
    return parse_ebur128_summary(_stderr(proc))


_SILENCE_START = re.compile(r"silence_start:\s*(-?[\d.]+(?:e-?\d+)?)")
_SILENCE_END = re.compile(r"silence_end:\s*(-?[\d.]+(?:e-?\d+)?)")
_NB_SAMPLES = re.compile(r"Number of samples:\s*(\d+)")


def parse_silence_scan(stderr: str, *, sample_rate: int) -> SilenceScan:
    """Turn silencedetect and astats output into a SilenceScan."""
    samples = _NB_SAMPLES.findall(stderr)
    duration = int(samples[-1]) / sample_rate if samples else 0.0
    silences: list[Silence] = []
    start: float | None = None
    for line in stderr.splitlines():
        if (m := _SILENCE_START.search(line)) is not None:
            start = max(0.0, float(m.group(1)))
        elif (m := _SILENCE_END.search(line)) is not None and start is not None:
            silences.append(Silence(start, min(float(m.group(1)), duration or math.inf)))
            start = None
    # Older ffmpeg releases never close a silence that runs to the end of the stream.
    if start is not None:
        silences.append(Silence(start, duration))
    return SilenceScan(duration_s=duration, silences=tuple(silences))


def scan_silence(
    path: Path,
    *,
    prefilter: Sequence[str],
    sample_rate: int,
    threshold_db: float,
    min_silence_s: float,
    timeout_s: float,
) -> SilenceScan:
    """Find silences (below threshold_db for at least min_silence_s) after prefilter."""
    chain = [
        *prefilter,
        f"silencedetect=noise={threshold_db:.1f}dB:duration={min_silence_s:.3f}",
        "astats=measure_perchannel=none:measure_overall=Number_of_samples",
    ]
    args = [*_ffmpeg(), *_input(path), *_audio_filter(chain), "-f", "null", "-"]
    proc = _run(args, timeout_s=timeout_s, what=f"scanning {path.name} for silence")
    return parse_silence_scan(_stderr(proc), sample_rate=sample_rate)
