"""Mono PCM in and out: 16-bit WAV read and written directly, anything else decoded by ffmpeg.

Samples travel as float32 in [-1, 1); 1.0 is 16-bit full scale (32768).
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import uuid
import wave
from pathlib import Path

import numpy as np
import scipy.signal
from numpy.typing import NDArray

from audio import ffmpeg
from audio.errors import AudioInputError

FULL_SCALE = 32768.0
# Decoding timeouts without an ffprobe call: no real audio file holds less than 8 kb/s, so
# this bounds the duration from the file size.
_MIN_BYTES_PER_S = 1000.0

_NOT_AUDIO_MESSAGE = "Tệp không phải là âm thanh hợp lệ."

Samples = NDArray[np.float32]


def read_wav(path: Path) -> tuple[NDArray[np.int16], int, int] | None:
    """Return (interleaved samples, channels, rate) of a 16-bit PCM WAV, else None."""
    try:
        with wave.open(str(path), "rb") as wav:
            if wav.getsampwidth() != 2 or wav.getcomptype() != "NONE":
                return None
            channels, rate = wav.getnchannels(), wav.getframerate()
            raw = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError):
        # Not RIFF/WAVE at all, or a WAV the module can't read (float, 24-bit extensible...).
        return None
    if channels < 1 or rate < 1:
        return None
    whole = len(raw) // (2 * channels) * (2 * channels)
    return np.frombuffer(raw[:whole], dtype="<i2"), channels, rate


def resample(samples: Samples, src_rate: int, dst_rate: int) -> Samples:
    """Return samples converted from src_rate to dst_rate with a polyphase filter."""
    if src_rate == dst_rate:
        return samples
    divisor = math.gcd(src_rate, dst_rate)
    converted = scipy.signal.resample_poly(samples, dst_rate // divisor, src_rate // divisor)
    return np.asarray(converted, dtype=np.float32)


def load(path: Path, rate: int) -> Samples:
    """Return the first audio stream of a file as mono float32 at rate.

    A 16-bit PCM WAV (what espeak-ng and piper write) is read directly; anything else is
    decoded by one ffmpeg call. Raises AudioInputError if the file is not usable audio.
    """
    if not path.is_file():
        raise AudioInputError(_NOT_AUDIO_MESSAGE, f"no such file: {path}")
    found = read_wav(path)
    if found is not None:
        interleaved, channels, src_rate = found
        if channels == 1:
            mono = interleaved.astype(np.float32)
        else:
            # Averaging is how ffmpeg downmixes (-ac 1), so both paths sound alike.
            mono = interleaved.reshape(-1, channels).mean(axis=1, dtype=np.float32)
        mono *= np.float32(1 / FULL_SCALE)
        return resample(mono, src_rate, rate)
    timeout = ffmpeg.timeout_for(path.stat().st_size / _MIN_BYTES_PER_S)
    raw = ffmpeg.decode_pcm(path, sample_rate=rate, timeout_s=timeout, bad_input_on_failure=True)
    decoded = np.frombuffer(raw[: len(raw) // 2 * 2], dtype="<i2")
    return decoded.astype(np.float32) * np.float32(1 / FULL_SCALE)


def from_int16(samples: NDArray[np.int16]) -> Samples:
    """Return 16-bit PCM as float32 in [-1, 1)."""
    return samples.astype(np.float32) * np.float32(1 / FULL_SCALE)


def write_wav(dst: Path, samples: NDArray[np.int16], rate: int) -> str:
    """Write mono 16-bit PCM to dst as WAV, atomically; return the file's SHA-256."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        # Little-endian is what WAV stores; a memoryview avoids copying the samples.
        wav.writeframes(samples.astype("<i2", copy=False).data.cast("B"))
    data = buffer.getbuffer()
    # Hashing the bytes written is hashing the file, without reading it back.
    digest = hashlib.sha256(data).hexdigest()
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.{uuid.uuid4().hex}.tmp")
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
        # Renaming within one directory is atomic, so readers never see a half-written file.
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)
    return digest
