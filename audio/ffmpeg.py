"""Thin wrappers around the ffmpeg and ffprobe command-line tools.

Every ffmpeg/ffprobe subprocess of the audio layer lives here. The functions that only parse
tool output are kept pure (no subprocess) so they can be unit-tested on captured text.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from audio.errors import AudioError, AudioInputError

FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"

PROBE_TIMEOUT_S = 30.0
# Decoding runs far faster than real time; this floor covers slow disks and cold caches.
MIN_TIMEOUT_S = 60.0

_NOT_AUDIO_MESSAGE = "Tệp không phải là âm thanh hợp lệ."
_PROCESSING_MESSAGE = "Không xử lý được âm thanh."
_MISSING_TOOL_MESSAGE = "Máy chưa cài đặt ffmpeg nên không xử lý được âm thanh."

# Inputs may be user uploads: a crafted playlist (HLS, concat...) must not make ffmpeg open
# network URLs, so only plain local files are readable.
_INPUT_GUARD = ("-protocol_whitelist", "file")
_FFMPEG_FLAGS = ("-nostdin", "-hide_banner", "-nostats", "-loglevel", "info")


@dataclass(frozen=True)
class ProbeInfo:
    """What ffprobe reports about the first audio stream of a file."""

    duration_s: float
    codec: str
    channels: int
    sample_rate: int
    format_name: str = ""


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


def timeout_for(duration_s: float) -> float:
    """Return a subprocess timeout generous enough for processing audio of this length."""
    if not math.isfinite(duration_s) or duration_s < 0:
        return MIN_TIMEOUT_S
    return MIN_TIMEOUT_S + duration_s


def _tail(text: str, lines: int = 6) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


def _run(
    args: Sequence[str], *, timeout_s: float, what: str, bad_input_on_failure: bool = False
) -> subprocess.CompletedProcess[bytes]:
    """Run a tool, turning every failure into an AudioError with an English detail.

    With bad_input_on_failure a non-zero exit means the input file is unusable, so it raises
    AudioInputError instead; a missing tool or a timeout stays a plain AudioError.
    """
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
        detail = f"{args[0]} failed while {what} (exit {proc.returncode}): {_tail(stderr)}"
        if bad_input_on_failure:
            raise AudioInputError(_NOT_AUDIO_MESSAGE, detail)
        raise AudioError(_PROCESSING_MESSAGE, detail)
    return proc


def _ffmpeg() -> list[str]:
    # Looked up at call time so tests (and odd installs) can point FFMPEG elsewhere.
    return [FFMPEG, *_FFMPEG_FLAGS]


def _stderr(proc: subprocess.CompletedProcess[bytes]) -> str:
    return proc.stderr.decode("utf-8", errors="replace")


def _input(path: Path) -> list[str]:
    # An absolute path can never be mistaken for an option or a protocol prefix like "http:".
    return [*_INPUT_GUARD, "-i", str(path.resolve())]


def _audio_filter(chain: Sequence[str]) -> list[str]:
    return ["-map", "0:a:0", "-af", ",".join(chain)] if chain else ["-map", "0:a:0"]


# --------------------------------------------------------------------------- probing


def parse_probe_json(text: str) -> ProbeInfo | None:
    """Build ProbeInfo from `ffprobe -of json` output; None when there is no audio stream."""
    data = json.loads(text or "{}")
    streams = [s for s in data.get("streams", []) if s.get("codec_type", "audio") == "audio"]
    if not streams:
        return None
    stream = streams[0]
    fmt = data.get("format", {})
    duration = _to_float(stream.get("duration"))
    if duration is None:
        duration = _to_float(fmt.get("duration"))
    return ProbeInfo(
        duration_s=duration if duration is not None else 0.0,
        codec=str(stream.get("codec_name", "")),
        channels=int(stream.get("channels") or 0),
        sample_rate=int(_to_float(stream.get("sample_rate")) or 0),
        format_name=str(fmt.get("format_name", "")),
    )


def _to_float(value: object) -> float | None:
    if value is None:
        return None
    try:
        result = float(str(value))
    except ValueError:
        return None
    return result if math.isfinite(result) else None


def probe(path: Path) -> ProbeInfo:
    """Describe the first audio stream of a file, or raise AudioInputError if it has none."""
    if not path.is_file():
        raise AudioInputError(_NOT_AUDIO_MESSAGE, f"no such file: {path}")
    args = [
        FFPROBE,
        "-v",
        "error",
        *_INPUT_GUARD,
        "-select_streams",
        "a:0",
        "-show_entries",
        "stream=codec_type,codec_name,channels,sample_rate,duration:format=format_name,duration",
        "-of",
        "json",
        str(path.resolve()),
    ]
    proc = _run(
        args, timeout_s=PROBE_TIMEOUT_S, what=f"probing {path.name}", bad_input_on_failure=True
    )
    try:
        info = parse_probe_json(proc.stdout.decode("utf-8", errors="replace"))
    except (ValueError, TypeError) as exc:
        raise AudioInputError(_NOT_AUDIO_MESSAGE, f"unreadable ffprobe output: {exc}") from exc
    if info is None:
        raise AudioInputError(_NOT_AUDIO_MESSAGE, f"ffprobe found no audio stream in {path.name}")
    return info


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
    timeout = timeout_s if timeout_s is not None else timeout_for(probe(path).duration_s)
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


# --------------------------------------------------------------------------- converting


def atempo_chain(speed: float) -> list[str]:
    """Return atempo filters whose product is speed (one atempo only covers 0.5-2.0 well)."""
    if not math.isfinite(speed) or speed <= 0:
        raise ValueError(f"speed must be a positive number, got {speed!r}")
    filters: list[str] = []
    remaining = speed
    while remaining > 2.0:
        filters.append("atempo=2.0")
        remaining /= 2.0
    while remaining < 0.5:
        filters.append("atempo=0.5")
        remaining /= 0.5
    filters.append(f"atempo={remaining:.6f}")
    return filters


def change_tempo(src: Path, dst: Path, *, speed: float, timeout_s: float = MIN_TIMEOUT_S) -> None:
    """Write src to dst as WAV played speed times faster, keeping the pitch."""
    args = [
        *_ffmpeg(),
        "-y",
        *_input(src),
        *_audio_filter(atempo_chain(speed)),
        "-c:a",
        "pcm_s16le",
        "-f",
        "wav",
        str(dst.resolve()),
    ]
    _run(args, timeout_s=timeout_s, what=f"changing tempo of {src.name}")


def decode_pcm(
    path: Path,
    *,
    sample_rate: int = 44100,
    timeout_s: float | None = None,
    bad_input_on_failure: bool = False,
) -> bytes:
    """Decode the first audio stream to raw signed 16-bit little-endian mono PCM.

    With bad_input_on_failure, a file ffmpeg cannot decode raises AudioInputError.
    """
    args = [
        *_ffmpeg(),
        *_input(path),
        "-map",
        "0:a:0",
        "-ac",
        "1",
        "-ar",
        str(sample_rate),
        "-c:a",
        "pcm_s16le",
        "-f",
        "s16le",
        "-",
    ]
    timeout = timeout_s if timeout_s is not None else timeout_for(probe(path).duration_s)
    proc = _run(
        args,
        timeout_s=timeout,
        what=f"decoding {path.name}",
        bad_input_on_failure=bad_input_on_failure,
    )
    return proc.stdout


# --------------------------------------------------------------------------- joining


def join_with_pauses(
    parts: Sequence[Path],
    pauses_s: Sequence[float],
    dst: Path,
    *,
    sample_rate: int = 24000,
    timeout_s: float = MIN_TIMEOUT_S,
) -> None:
    """Write parts in order to dst as mono WAV, with pauses_s[i] of silence after part i."""
    # One pause per gap: pauses_s is one shorter than parts, so nothing trails the last part.
    if not parts:
        raise ValueError("join_with_pauses needs at least one part")
    if len(pauses_s) != len(parts) - 1:
        raise ValueError(f"{len(parts)} parts need {len(parts) - 1} pauses, got {len(pauses_s)}")
    if not all(math.isfinite(p) and p >= 0 for p in pauses_s):
        raise ValueError(f"pauses must be finite and non-negative, got {list(pauses_s)!r}")
    inputs: list[str] = []
    chains: list[str] = []
    for index, (part, pause) in enumerate(zip(parts, [*pauses_s, 0.0], strict=True)):
        inputs.extend(_input(part))
        # Every part is brought to one format first: concat refuses mismatched streams.
        chain = f"[{index}:a:0]aresample={sample_rate},aformat=sample_fmts=s16:channel_layouts=mono"
        if pause > 0:
            chain += f",apad=pad_dur={pause:.3f}"
        chains.append(f"{chain}[a{index}]")
    labels = "".join(f"[a{index}]" for index in range(len(parts)))
    graph = ";".join([*chains, f"{labels}concat=n={len(parts)}:v=0:a=1[out]"])
    args = [
        *_ffmpeg(),
        "-y",
        *inputs,
        "-filter_complex",
        graph,
        "-map",
        "[out]",
        "-map_metadata",
        "-1",
        "-c:a",
        "pcm_s16le",
        "-f",
        "wav",
        str(dst.resolve()),
    ]
    _run(args, timeout_s=timeout_s, what=f"joining {len(parts)} parts into {dst.name}")


def convert(src: Path, dst: Path, *, timeout_s: float = MIN_TIMEOUT_S) -> None:
    """Write src to dst in the format dst's extension names (e.g. .mp3, .ogg, .wav)."""
    args = [*_ffmpeg(), "-y", *_input(src), "-map_metadata", "-1", str(dst.resolve())]
    _run(args, timeout_s=timeout_s, what=f"converting {src.name} to {dst.name}")
