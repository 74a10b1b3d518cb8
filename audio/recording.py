"""Uploaded human recordings: validate, then master like synthesised speech.

A recording costs two subprocesses at most: ffprobe (container and length, before decoding
anything, and only once its first bytes show an accepted container) and one ffmpeg decode
through pydub, none for a PCM WAV; loudness and clipping are measured on the decoded samples.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from audio.errors import AudioInputError
from audio.sound import files, loudness
from audio.sound.mastering import MasteringSpec, master_samples, sha256_file
from audio.sound.pcm import Samples
from audio.speech import (
    Rendered,
    read_cached,
    rendered_from_mastered,
    sidecar_path,
    write_sidecar,
)

ENGINE_NAME = "recording"
MIN_DURATION_S = 0.5
# Integrated loudness under this is a muted microphone or room tone, not an announcement.
SILENT_LUFS = -60.0
# ffprobe format names (comma-separated aliases) of containers a phone or browser produces.
# Anything else, notably playlists such as HLS or concat lists, is refused: by its first bytes
# before ffprobe runs (audio.sound.files.sniff), and here again by what ffprobe found.
ACCEPTED_FORMATS = frozenset(
    {"mp3", "wav", "mov", "mp4", "m4a", "ogg", "matroska", "webm", "aac", "flac"}
)

NOT_AUDIO_MESSAGE = "Tệp tải lên không phải là tệp âm thanh (chấp nhận mp3, wav, m4a, ogg)."
TOO_SHORT_MESSAGE = "Bản ghi quá ngắn (dưới nửa giây)."
SILENT_MESSAGE = "Bản ghi gần như không có tiếng."


# Speech peaking once at full scale is fine; one sample in a thousand pinned there is not.
MAX_CLIPPED_FRACTION = 0.001
# A sample within 0.1 dB of full scale counts as clipped: encoders round true clipping to
# slightly below 0 dBFS.
CLIP_LEVEL_DB = -0.1
CLIPPED_MESSAGE = (
    "Bản ghi bị vỡ tiếng (thu quá to, {percent:.1f}% mẫu âm thanh chạm mức tối đa). "
    "Xin thu lại với micro xa hơn hoặc âm lượng nhỏ hơn."
)


def format_duration_vi(seconds: float) -> str:
    """Return a duration in Vietnamese minutes and seconds, e.g. "2 phút 5 giây"."""
    total = max(0, round(seconds))
    minutes, secs = divmod(total, 60)
    if minutes and secs:
        return f"{minutes} phút {secs} giây"
    if minutes:
        return f"{minutes} phút"
    return f"{secs} giây"


def too_long_message(duration_s: float, limit_s: float) -> str:
    """Return the Vietnamese message for a recording longer than the limit."""
    # Round the length up so a file just over the limit never reads as equal to it.
    return (
        f"Bản ghi dài {format_duration_vi(math.ceil(duration_s))}, "
        f"vượt quá giới hạn {format_duration_vi(limit_s)}."
    )


def is_accepted_format(format_name: str) -> bool:
    """Return True if an ffprobe format name is one of the accepted containers."""
    return any(part.strip() in ACCEPTED_FORMATS for part in format_name.split(","))


def clipped_fraction(samples: Samples) -> float:
    """Return the share of samples within CLIP_LEVEL_DB of full scale."""
    if len(samples) == 0:
        return 0.0
    pinned = np.count_nonzero(np.abs(samples) >= 10 ** (CLIP_LEVEL_DB / 20))
    return pinned / len(samples)


def stored_paths(src: Path, cache_dir: Path) -> tuple[Path, Path]:
    """Return where `master_recording` keeps `src`'s master, and the file describing it."""
    master = cache_dir / f"{sha256_file(src)}.wav"
    return master, sidecar_path(master)


def master_recording(
    src: Path, cache_dir: Path, spec: MasteringSpec, *, max_duration_s: float | None = None
) -> Rendered:
    """Validate an uploaded recording and master it into cache_dir."""
    try:
        info = files.probe(src)
    except AudioInputError as exc:
        raise AudioInputError(NOT_AUDIO_MESSAGE, exc.detail) from exc
    if not is_accepted_format(info.format_name):
        raise AudioInputError(
            NOT_AUDIO_MESSAGE, f"{src.name}: container {info.format_name!r} is not accepted"
        )
    if info.duration_s < MIN_DURATION_S:
        raise AudioInputError(TOO_SHORT_MESSAGE, f"{src.name}: {info.duration_s:.2f} s long")
    if max_duration_s is not None and info.duration_s > max_duration_s:
        raise AudioInputError(
            too_long_message(info.duration_s, max_duration_s),
            f"{src.name}: {info.duration_s:.1f} s exceeds the {max_duration_s:.0f} s limit",
        )
    try:
        # ffprobe already named the codec, so decoding takes one ffmpeg run and no second probe.
        samples = files.load(src, spec.sample_rate, codec=info.codec)
    except AudioInputError as exc:
        raise AudioInputError(NOT_AUDIO_MESSAGE, exc.detail) from exc
    lufs = loudness.integrated_loudness(samples, spec.sample_rate)
    if not math.isfinite(lufs) or lufs < SILENT_LUFS:
        raise AudioInputError(SILENT_MESSAGE, f"{src.name}: integrated loudness {lufs} LUFS")

    clipped = clipped_fraction(samples)
    if clipped > MAX_CLIPPED_FRACTION:
        # Mastering can make a clipped recording quieter but not clean again: ask for a retake.
        raise AudioInputError(
            CLIPPED_MESSAGE.format(percent=clipped * 100),
            f"{src.name}: {round(clipped * len(samples))} of {len(samples)} samples at full scale",
        )

    cache_dir.mkdir(parents=True, exist_ok=True)
    dst = stored_paths(src, cache_dir)[0]
    cached = read_cached(dst, engine=ENGINE_NAME, voice="", speed=1.0, spoken_text="", spec=spec)
    if cached is not None:
        return cached
    try:
        mastered = master_samples(samples, dst, spec, name=src.name)
    except AudioInputError as exc:
        raise AudioInputError(SILENT_MESSAGE, exc.detail) from exc
    rendered = rendered_from_mastered(
        mastered, engine=ENGINE_NAME, voice="", speed=1.0, spoken_text=""
    )
    write_sidecar(rendered, spec)
    return rendered
