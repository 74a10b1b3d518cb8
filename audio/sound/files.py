"""Audio files through pydub: recognising, probing, decoding, converting, joining, tempo.

pydub runs ffmpeg (and ffprobe) for every container but PCM WAV, which is read directly.
Samples come back as mono float32 (audio.sound.pcm) and are resampled there with scipy:
pydub puts extra ffmpeg options after the output, where ffmpeg ignores per-file options such
as `-ar` and `-ac`.

Inputs may be user uploads. pydub cannot give ffmpeg input options such as
`-protocol_whitelist file`, so a crafted playlist (HLS, concat list) could make ffmpeg open
network URLs or other files. Instead every input is recognised from its first bytes (`sniff`)
and refused unless it is one of the audio containers a phone, a browser or a speech engine
writes, before ffprobe or ffmpeg sees it; pydub is then told that container (`format=`), so
ffmpeg never picks a demuxer by guessing.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import subprocess
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from pydub import AudioSegment
from pydub.exceptions import CouldntDecodeError, CouldntEncodeError

from audio.errors import AudioError, AudioInputError
from audio.sound import pcm
from audio.sound.pcm import Samples

# The converter pydub runs, found on PATH (Debian's ffmpeg package). pydub would pick avconv
# first if one were installed, so it is set again before each run; tests point it elsewhere.
FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"
# No real audio file takes ffprobe this long; a crafted one could make it wait for ever.
PROBE_TIMEOUT_S = 30.0

_NOT_AUDIO_MESSAGE = "Tệp không phải là âm thanh hợp lệ."
_PROCESSING_MESSAGE = "Không xử lý được âm thanh."
_MISSING_TOOL_MESSAGE = "Máy chưa cài đặt ffmpeg nên không xử lý được âm thanh."
_EXPORT_FORMAT_MESSAGE = "Không xuất được âm thanh ra định dạng {suffix}."

# Global options count wherever they stand on ffmpeg's command line, so they still work after
# the output, where pydub appends them: no reading keys from a terminal, only errors logged.
_QUIET = ["-nostdin", "-hide_banner", "-loglevel", "error"]

# Enough to hold a container's signature and, for WAV and Ogg, the header naming the codec.
_HEAD_BYTES = 4096
# Files may chain ID3 tags; more than a few is not something a recorder writes.
_MAX_ID3_TAGS = 4
# What may follow an ID3 tag. ffmpeg's format guessing looks past a tag too, so a playlist
# behind one would be read as a playlist: the sniffer looks past it and refuses the same.
_AFTER_ID3 = frozenset({"mp3", "aac", "flac"})

# WAV format tag (and bits per sample, 0 for any) to the ffmpeg codec.
_WAV_CODECS: Mapping[tuple[int, int], str] = {
    (1, 8): "pcm_u8",
    (1, 16): "pcm_s16le",
    (1, 24): "pcm_s24le",
    (1, 32): "pcm_s32le",
    (3, 32): "pcm_f32le",
    (3, 64): "pcm_f64le",
    (2, 0): "adpcm_ms",
    (6, 0): "pcm_alaw",
    (7, 0): "pcm_mulaw",
    (0x11, 0): "adpcm_ima_wav",
    (0x55, 0): "mp3",
}
_WAV_EXTENSIBLE = 0xFFFE
# The first packet of an Ogg stream names its codec.
_OGG_CODECS = (
    (b"\x01vorbis", "vorbis"),
    (b"OpusHead", "opus"),
    (b"\x7fFLAC", "flac"),
    (b"Speex   ", "speex"),
)
_MPEG_LAYERS = {1: "mp3", 2: "mp2", 3: "mp1"}

# Output file extension to the ffmpeg muxer pydub exports with.
EXPORT_FORMATS: Mapping[str, str] = {
    ".mp3": "mp3",
    ".wav": "wav",
    ".ogg": "ogg",
    ".oga": "ogg",
    ".opus": "opus",
    ".flac": "flac",
    ".m4a": "ipod",
    ".aac": "adts",
    ".webm": "webm",
    ".mka": "matroska",
}

_SAMPLE_TYPES: Mapping[int, str] = {1: "i1", 2: "<i2", 4: "<i4"}


@dataclass(frozen=True)
class ProbeInfo:
    """What ffprobe reports about the first audio stream of a file."""

    duration_s: float
    codec: str
    channels: int
    sample_rate: int
    format_name: str = ""


@dataclass(frozen=True)
class Container:
    """An audio container recognised from a file's first bytes."""

    #: The ffmpeg demuxer pydub is told to use, e.g. "mp3", "ogg", "mp4".
    format: str
    #: The codec inside, when the first bytes name it (ffprobe's codec names, e.g. "opus").
    codec: str | None = None


# --------------------------------------------------------------------------- recognising


def identify(head: bytes) -> Container | None:
    """Return the audio container whose signature starts head, or None for anything else."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return Container("wav", _wav_codec(head))
    if head[:4] == b"OggS":
        return Container("ogg", _ogg_codec(head))
    if head[:4] == b"fLaC":
        return Container("flac", "flac")
    if head[4:8] == b"ftyp":
        # ISO base media: mp4, m4a, mov, 3gp. The codec is in the moov box, maybe at the end.
        return Container("mp4")
    if head[:4] == b"\x1a\x45\xdf\xa3":
        # EBML: Matroska and WebM.
        return Container("matroska")
    return _mpeg_audio(head)


def _wav_codec(head: bytes) -> str | None:
    position = 12
    while position + 8 <= len(head):
        chunk, size = (
            head[position : position + 4],
            int.from_bytes(head[position + 4 : position + 8], "little"),
        )
        if chunk == b"fmt ":
            body = head[position + 8 : position + 8 + size]
            if len(body) < 16:
                return None
            tag = int.from_bytes(body[0:2], "little")
            bits = int.from_bytes(body[14:16], "little")
            if tag == _WAV_EXTENSIBLE and len(body) >= 26:
                # The real format tag opens the sub-format GUID.
                tag = int.from_bytes(body[24:26], "little")
            return _WAV_CODECS.get((tag, bits)) or _WAV_CODECS.get((tag, 0))
        # Chunks are padded to an even length.
        position += 8 + size + (size & 1)
    return None


def _ogg_codec(head: bytes) -> str | None:
    if len(head) < 27:
        return None
    packet = head[27 + head[26] :]
    return next((codec for magic, codec in _OGG_CODECS if packet.startswith(magic)), None)


def _mpeg_audio(head: bytes) -> Container | None:
    """Recognise a bare MPEG audio frame header (MP3, MP2) or an ADTS one (raw AAC)."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return None
    layer = (head[1] >> 1) & 3
    if layer == 0:
        # ADTS has a 12-bit sync, layer 0 and a sampling frequency index under 13.
        if head[1] & 0xF6 == 0xF0 and (head[2] >> 2) & 0xF < 13:
            return Container("aac", "aac")
        return None
    version, bitrate, rate = (head[1] >> 3) & 3, head[2] >> 4, (head[2] >> 2) & 3
    # Version 1 and the all-ones bitrate and rate indexes are reserved: not a frame header.
    if version == 1 or bitrate == 15 or rate == 3:
        return None
    return Container("mp3", _MPEG_LAYERS[layer])


def _id3_size(head: bytes) -> int | None:
    """Return the length of the ID3v2 tag head starts with (header, footer too), else None."""
    if len(head) < 10 or head[:3] != b"ID3" or any(byte >= 0x80 for byte in head[6:10]):
        return None
    size = 0
    for byte in head[6:10]:
        # Sizes are "synchsafe": seven bits per byte.
        size = size << 7 | byte
    footer = 10 if head[5] & 0x10 else 0
    return 10 + size + footer


def sniff(path: Path) -> Container:
    """Return the container of an audio file from its first bytes, or raise AudioInputError.

    Nothing but the accepted containers passes, so a playlist or any other file a crafted
    upload could be never reaches ffprobe or ffmpeg.
    """
    if not path.is_file():
        raise AudioInputError(_NOT_AUDIO_MESSAGE, f"no such file: {path}")
    with path.open("rb") as fh:
        head = fh.read(_HEAD_BYTES)
        offset, tagged = 0, False
        for _ in range(_MAX_ID3_TAGS):
            size = _id3_size(head)
            if size is None:
                break
            offset, tagged = offset + size, True
            fh.seek(offset)
            head = fh.read(_HEAD_BYTES)
    if tagged:
        # Some taggers pad with zeros after the tag as well as inside it.
        head = head.lstrip(b"\0")
    container = identify(head)
    if container is None or (tagged and container.format not in _AFTER_ID3):
        where = "after an ID3 tag " if tagged else ""
        raise AudioInputError(
            _NOT_AUDIO_MESSAGE,
            f"{path.name}: not an accepted audio container (starts {where}with {head[:16]!r}); "
            "refused before ffmpeg read it",
        )
    return container


# --------------------------------------------------------------------------- probing


def probe_info(data: Mapping[str, Any]) -> ProbeInfo | None:
    """Build ProbeInfo from ffprobe's JSON (as a dict); None when there is no audio stream."""
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


def parse_probe_json(text: str) -> ProbeInfo | None:
    """Build ProbeInfo from `ffprobe -of json` output; None when there is no audio stream."""
    data = json.loads(text or "{}")
    return probe_info(data) if isinstance(data, dict) else None


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
    return _probe(path, sniff(path))


def _probe(path: Path, container: Container) -> ProbeInfo:
    """Run ffprobe on a recognised file, told its container, with local files only.

    Not pydub's mediainfo_json: it lets ffprobe guess the demuxer and gives it no time limit,
    and a file with an MP4 signature but a DASH manifest inside makes a guessing ffprobe
    follow the manifest, to other files or URLs, and wait for ever on a live one.
    """
    args = [
        FFPROBE, "-v", "error", "-protocol_whitelist", "file", "-f", container.format,
        "-show_format", "-show_streams", "-of", "json", str(path.resolve()),
    ]  # fmt: skip
    try:
        done = subprocess.run(
            args, stdin=subprocess.DEVNULL, capture_output=True, timeout=PROBE_TIMEOUT_S
        )
    except FileNotFoundError as exc:
        raise _missing_tool(exc, f"probing {path.name}") from exc
    except subprocess.TimeoutExpired as exc:
        raise AudioInputError(
            _NOT_AUDIO_MESSAGE, f"ffprobe took over {PROBE_TIMEOUT_S:.0f} s on {path.name}"
        ) from exc
    if done.returncode != 0:
        raise AudioInputError(
            _NOT_AUDIO_MESSAGE,
            f"ffprobe cannot read {path.name} as {container.format}: "
            f"{_tail(done.stderr.decode(errors='replace'))}",
        )
    try:
        data = json.loads(done.stdout or b"{}")
    except ValueError as exc:
        raise AudioInputError(
            _NOT_AUDIO_MESSAGE, f"unreadable ffprobe output for {path.name}: {exc!r}"
        ) from exc
    info = probe_info(data) if isinstance(data, dict) else None
    if info is None:
        raise AudioInputError(_NOT_AUDIO_MESSAGE, f"ffprobe found no audio stream in {path.name}")
    return info


# --------------------------------------------------------------------------- decoding


def _missing_tool(exc: FileNotFoundError, what: str) -> AudioError:
    return AudioError(_MISSING_TOOL_MESSAGE, f"{exc.filename} not found while {what}: {exc}")


def _tail(text: str, lines: int = 6) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])


@contextlib.contextmanager
def _source(path: Path) -> Iterator[str | BinaryIO]:
    """Yield what to hand pydub for path."""
    if path.suffix.lower() in (".raw", ".pcm"):
        # pydub reads any file so named as headerless PCM, whatever format= says; an open
        # file has no name, so pydub pipes it to ffmpeg instead.
        with path.open("rb") as fh:
            yield fh
    else:
        # An absolute path can never be mistaken for an option or a protocol like "http:".
        yield str(path.resolve())


def _segment(path: Path, *, codec: str | None = None) -> Any:
    """Decode a file to a pydub AudioSegment after recognising its container."""
    container = sniff(path)
    found = pcm.read_wav(path) if container.format == "wav" else None
    if found is not None:
        # PCM WAV is read directly (see pcm.read_wav for what pydub's reader gets wrong).
        interleaved, channels, rate = found
        data = pcm.to_int16(pcm.to_float(interleaved)).tobytes()
        return AudioSegment(data=data, sample_width=2, frame_rate=rate, channels=channels)
    # Told the codec, pydub runs no ffprobe of its own and ffmpeg writes 16-bit PCM; only
    # containers whose first bytes don't name it (mp4, Matroska) need a probe first.
    codec = codec or container.codec or _probe(path, container).codec
    AudioSegment.converter = FFMPEG
    try:
        with _source(path) as source:
            return AudioSegment.from_file(
                source, format=container.format, codec=codec, parameters=_QUIET
            )
    except CouldntDecodeError as exc:
        raise AudioInputError(
            _NOT_AUDIO_MESSAGE,
            f"ffmpeg cannot decode {path.name} as {container.format}/{codec}: {_tail(str(exc))}",
        ) from exc
    except FileNotFoundError as exc:
        if exc.filename == FFMPEG:
            raise _missing_tool(exc, f"decoding {path.name}") from exc
        raise AudioInputError(_NOT_AUDIO_MESSAGE, f"{path.name} vanished: {exc}") from exc


def _samples(segment: Any, rate: int) -> Samples:
    """Return a pydub segment as mono float32 at rate."""
    width, channels = int(segment.sample_width), int(segment.channels)
    if width not in _SAMPLE_TYPES or channels < 1:
        raise AudioInputError(
            _NOT_AUDIO_MESSAGE, f"unexpected decoded audio: {width}-byte samples, {channels} ch"
        )
    raw = segment.raw_data
    frames = len(raw) // (width * channels)
    interleaved = np.frombuffer(raw, dtype=_SAMPLE_TYPES[width], count=frames * channels)
    return pcm.resample(pcm.to_mono(interleaved, channels), int(segment.frame_rate), rate)


def _read_wav(path: Path, rate: int) -> Samples | None:
    """Read a PCM WAV directly as mono at rate, without ffmpeg; None for any other file."""
    if not path.is_file():
        raise AudioInputError(_NOT_AUDIO_MESSAGE, f"no such file: {path}")
    found = pcm.read_wav(path)
    if found is None:
        return None
    interleaved, channels, src_rate = found
    return pcm.resample(pcm.to_mono(interleaved, channels), src_rate, rate)


def load(path: Path, rate: int, *, codec: str | None = None) -> Samples:
    """Return the first audio stream of a file as mono float32 at rate.

    A PCM WAV (what espeak-ng and piper write, or any integer or float WAV) is read directly;
    anything else is decoded through pydub by one ffmpeg run, after an ffprobe run when
    neither the caller (codec, as ffprobe names it) nor the container names the codec.
    Raises AudioInputError if the file is not usable audio.
    """
    found = _read_wav(path, rate)
    if found is not None:
        return found
    return _samples(_segment(path, codec=codec), rate)


def load_own(path: Path, rate: int) -> Samples:
    """Return one of the station's own files (a chime) as mono float32 at rate.

    Those are put there by whoever runs the station, not uploaded: any format ffmpeg reads is
    taken (AIFF, WMA, …), where `load` accepts only the containers an upload may be.
    """
    found = _read_wav(path, rate)
    if found is not None:
        return found
    AudioSegment.converter = FFMPEG
    try:
        segment = AudioSegment.from_file(str(path.resolve()), parameters=_QUIET)
    except (CouldntDecodeError, KeyError, IndexError, ValueError) as exc:
        raise AudioInputError(
            _NOT_AUDIO_MESSAGE, f"ffmpeg cannot decode {path.name}: {exc}"
        ) from exc
    except FileNotFoundError as exc:
        raise _missing_tool(exc, f"decoding {path.name}") from exc
    return _samples(segment, rate)


def decode_pcm(path: Path, *, sample_rate: int = 44100) -> bytes:
    """Return the first audio stream as raw signed 16-bit little-endian mono PCM."""
    return pcm.to_int16(load(path, sample_rate)).tobytes()


# --------------------------------------------------------------------------- writing


def _mono_segment(samples: Samples, rate: int) -> Any:
    data = pcm.to_int16(samples).tobytes()
    return AudioSegment(data=data, sample_width=2, frame_rate=rate, channels=1)


def _silence(seconds: float, rate: int) -> Any:
    frames = round(seconds * rate)
    # silent() truncates rate * duration to whole frames; asking for half a frame more makes
    # the count exact whatever the floating-point error.
    return AudioSegment.silent(duration=(frames + 0.5) * 1000 / rate, frame_rate=rate)


def _export(segment: Any, dst: Path, fmt: str, *, parameters: Sequence[str] | None = None) -> None:
    """Write segment to dst in ffmpeg format fmt, atomically."""
    # pydub writes a plain WAV itself; anything else (or with filters) is an ffmpeg run.
    extra = None if fmt == "wav" and parameters is None else [*_QUIET, *(parameters or ())]
    tmp = dst.with_name(f".{dst.name}.{uuid.uuid4().hex}.tmp")
    AudioSegment.converter = FFMPEG
    try:
        with tmp.open("wb") as fh:
            segment.export(fh, format=fmt, parameters=extra)
        # Renaming within one directory is atomic, so readers never see a half-written file.
        os.replace(tmp, dst)
    except CouldntEncodeError as exc:
        raise AudioError(
            _PROCESSING_MESSAGE, f"ffmpeg cannot write {dst.name} as {fmt}: {_tail(str(exc))}"
        ) from exc
    except FileNotFoundError as exc:
        if exc.filename == FFMPEG:
            raise _missing_tool(exc, f"writing {dst.name}") from exc
        raise
    finally:
        tmp.unlink(missing_ok=True)


def convert(src: Path, dst: Path) -> None:
    """Write a copy of src to dst in the format dst's extension names (e.g. .mp3, .ogg, .wav)."""
    fmt = EXPORT_FORMATS.get(dst.suffix.lower())
    if fmt is None:
        raise AudioError(
            _EXPORT_FORMAT_MESSAGE.format(suffix=dst.suffix or "(không có đuôi tệp)"),
            f"no export format for {dst.name}; known: {', '.join(EXPORT_FORMATS)}",
        )
    _export(_segment(src), dst, fmt)


def join_with_pauses(
    parts: Sequence[Path], pauses_s: Sequence[float], dst: Path, *, sample_rate: int = 24000
) -> None:
    """Write parts in order to dst as mono WAV, with pauses_s[i] of silence after part i."""
    # One pause per gap: pauses_s is one shorter than parts, so nothing trails the last part.
    if not parts:
        raise ValueError("join_with_pauses needs at least one part")
    if len(pauses_s) != len(parts) - 1:
        raise ValueError(f"{len(parts)} parts need {len(parts) - 1} pauses, got {len(pauses_s)}")
    if not all(math.isfinite(p) and p >= 0 for p in pauses_s):
        raise ValueError(f"pauses must be finite and non-negative, got {list(pauses_s)!r}")
    pieces = []
    for part, pause in zip(parts, [*pauses_s, 0.0], strict=True):
        # Every part is brought to one rate and to mono first: pydub would otherwise convert
        # with audioop, whose resampling is far cruder than the polyphase filter.
        pieces.append(_mono_segment(load(part, sample_rate), sample_rate))
        if pause > 0:
            pieces.append(_silence(pause, sample_rate))
    joined = pieces[0]
    for piece in pieces[1:]:
        joined += piece
    _export(joined, dst, "wav")


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


def change_tempo(src: Path, dst: Path, *, speed: float) -> None:
    """Write src to dst as 16-bit WAV played speed times faster, keeping the pitch."""
    chain = ",".join(atempo_chain(speed))
    _export(_segment(src), dst, "wav", parameters=["-af", chain, "-c:a", "pcm_s16le"])
