"""PCM samples in memory: PCM WAV read and 16-bit WAV written directly, downmix, resample.

Samples travel as float32 in [-1, 1); 1.0 is 16-bit full scale (32768). Nothing here runs a
subprocess: other containers are decoded through pydub by audio.sound.files.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import struct
import uuid
import wave
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import scipy.signal
from numpy.typing import NDArray

FULL_SCALE = 32768.0

Samples = NDArray[np.float32]


# WAV format tags read here: integer PCM, float PCM, and the extensible header naming either.
_WAV_INT, _WAV_FLOAT, _WAV_EXTENSIBLE = 1, 3, 0xFFFE
_WAV_TYPES: dict[tuple[int, int], str] = {
    (_WAV_INT, 8): "u1",
    (_WAV_INT, 16): "<i2",
    (_WAV_INT, 24): "u1",  # three bytes a sample, widened by hand
    (_WAV_INT, 32): "<i4",
    (_WAV_FLOAT, 32): "<f4",
    (_WAV_FLOAT, 64): "<f8",
}


def _wav_layout(fh: BinaryIO) -> tuple[int, int, int, int, int] | None:
    """Return (tag, channels, rate, bits, data size) with fh at the data, or None."""
    head = fh.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    layout: tuple[int, int, int, int] | None = None
    while len(header := fh.read(8)) == 8:
        chunk, size = header[:4], int.from_bytes(header[4:], "little")
        if chunk == b"data":
            return None if layout is None else (*layout, size)
        if chunk != b"fmt ":
            # Chunks are padded to an even length.
            fh.seek(size + (size & 1), os.SEEK_CUR)
            continue
        body = fh.read(size + (size & 1))
        if len(body) < 16:
            return None
        tag, channels, rate = struct.unpack_from("<HHI", body)
        (bits,) = struct.unpack_from("<H", body, 14)
        if tag == _WAV_EXTENSIBLE and len(body) >= 26:
            # The real format tag opens the sub-format GUID.
            (tag,) = struct.unpack_from("<H", body, 24)
        if (tag, bits) not in _WAV_TYPES or channels < 1 or rate < 1:
            return None
        layout = (tag, channels, rate, bits)
    return None


def read_wav(path: Path) -> tuple[NDArray[Any], int, int] | None:
    """Return (interleaved samples, channels, rate) of a PCM WAV, else None.

    Integer PCM of 8 to 32 bits comes back signed (24-bit widened to 32), float PCM as is.
    Read here rather than by pydub, whose WAV reader widens 24-bit audio one sample at a time
    in Python and takes WAVE_FORMAT_EXTENSIBLE float samples for integers.
    """
    with path.open("rb") as fh:
        layout = _wav_layout(fh)
        if layout is None:
            return None
        tag, channels, rate, bits, size = layout
        # A streamed WAV may declare more data than it holds: take the whole frames there are.
        raw = fh.read(size)
    width = bits // 8
    count = len(raw) // (width * channels) * channels
    if bits == 24:
        widened = np.zeros((count, 4), dtype=np.uint8)
        widened[:, 1:] = np.frombuffer(raw, dtype=np.uint8, count=count * 3).reshape(-1, 3)
        return widened.view("<i4").ravel(), channels, rate
    samples = np.frombuffer(raw, dtype=_WAV_TYPES[(tag, bits)], count=count)
    if bits == 8:
        # 8-bit WAV is unsigned, centred on 128.
        return (samples ^ np.uint8(0x80)).view(np.int8), channels, rate
    return samples, channels, rate


def resample(samples: Samples, src_rate: int, dst_rate: int) -> Samples:
    """Return samples converted from src_rate to dst_rate with a polyphase filter."""
    if src_rate == dst_rate:
        return samples
    divisor = math.gcd(src_rate, dst_rate)
    converted = scipy.signal.resample_poly(samples, dst_rate // divisor, src_rate // divisor)
    return np.asarray(converted, dtype=np.float32)


def to_float(interleaved: NDArray[Any]) -> Samples:
    """Return PCM (signed integers of any width, or floats) as float32; 1.0 is full scale."""
    samples = interleaved.astype(np.float32)
    if interleaved.dtype.kind != "f":
        samples *= np.float32(1 / 2 ** (8 * interleaved.dtype.itemsize - 1))
    return samples


def to_mono(interleaved: NDArray[Any], channels: int) -> Samples:
    """Return interleaved PCM (signed integers of any width, or floats) as mono float32."""
    if channels == 1:
        return to_float(interleaved)
    # Averaging is what ffmpeg -ac 1 does, and ffmpeg decoded everything here before pydub.
    mono: Samples = interleaved.reshape(-1, channels).mean(axis=1, dtype=np.float32)
    if interleaved.dtype.kind != "f":
        mono *= np.float32(1 / 2 ** (8 * interleaved.dtype.itemsize - 1))
    return mono


def from_int16(samples: NDArray[np.int16]) -> Samples:
    """Return 16-bit PCM as float32 in [-1, 1)."""
    return samples.astype(np.float32) * np.float32(1 / FULL_SCALE)


def to_int16(samples: Samples) -> NDArray[np.int16]:
    """Return float samples as 16-bit PCM, rounded and clipped to full scale."""
    scaled = np.rint(samples * np.float32(FULL_SCALE))
    np.clip(scaled, -FULL_SCALE, FULL_SCALE - 1, out=scaled)
    out: NDArray[np.int16] = scaled.astype("<i2")
    return out


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
