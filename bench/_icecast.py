"""A listener on an Icecast mount, in its own process, and when it heard each slot start.

The on-air benchmark (bench/onair.py) runs the station in its own process; a listener thread
there would compete with the player for the GIL, so the listener (tests/icecast_server.py's
`Listener`, as the tests use it) runs in a child process started with this file:

    python bench/_icecast.py URL SECONDS CONNECT_TIMEOUT_S OUT

It writes OUT.mp3 (every byte received) and OUT.json (for each chunk read from the socket,
its end offset in the stream and its arrival as wall-clock seconds, the station's clock).

`heard_starts` then finds, for each slot, the instant the listener received the MP3 frame that
carries the first sample of the slot's first item. The stream is decoded with ffmpeg; the
slot's first loud sample (after a stretch of silence) is found in it, and the item's own lead-in
(the samples before its first loud one, measured on the rendering with the same threshold) is
subtracted, so the fade-in of the speech does not count as lateness. Decoded samples map to
MP3 frames (1152 samples each, MPEG-1 Layer III), frames to byte offsets, byte offsets to
arrival times.
"""

from __future__ import annotations

import bisect
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy
import numpy.typing as npt

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # tests/icecast_server.py, the test suite's real icecast2

from tests.icecast_server import (  # noqa: E402  (re-exported for bench/onair.py)
    IcecastMissing,
    IcecastServer,
    Listener,
    find_icecast,
)

__all__ = [
    "Heard", "IcecastMissing", "IcecastServer", "ListenerProcess", "Recording", "SlotStart",
    "find_icecast", "heard_starts", "lead_in",
]  # fmt: skip

SAMPLE_RATE = 44100
SAMPLES_PER_FRAME = 1152  # MPEG-1 Layer III
# A sample is loud from 5 % of full scale: well above MP3 coding noise on silence, and reached
# within a few milliseconds of a spoken onset after mastering.
LOUD = int(0.05 * 32767)
# The first loud sample of a slot must follow this much silence (the gap between slots).
QUIET_BEFORE_S = 0.15
# How early (before the instant) and late (after it) a slot's first frame may arrive.
SEARCH_BEFORE_S = 0.25
SEARCH_AFTER_S = 1.0
_KBPS = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_RATES = (44100, 48000, 32000)


# ------------------------------------------------------------------ the child process


def record(url: str, seconds: float, connect_timeout_s: float, out: Path) -> None:
    """Listen to `url` for `seconds` and write OUT.mp3 and OUT.json (see the module doc)."""
    # Listener stamps chunks with time.monotonic(); map to the wall clock (which the station's
    # SystemClock reads) linearly between two readings, so a slewing clock is followed.
    wall0, mono0 = time.time(), time.monotonic()
    listener = Listener(url, seconds, connect_timeout_s=connect_timeout_s).start()
    data = listener.wait(timeout_s=seconds + connect_timeout_s + 10)
    wall1, mono1 = time.time(), time.monotonic()
    rate = (wall1 - wall0) / (mono1 - mono0)

    def wall(mono: float) -> float:
        return wall0 + (mono - mono0) * rate

    chunks, offset = [], 0
    for arrived, chunk in listener.chunks:
        offset += len(chunk)
        chunks.append((offset, wall(arrived)))
    connected = wall(listener.connected_at) if listener.connected_at is not None else None
    out.with_suffix(".mp3").write_bytes(data)
    out.with_suffix(".json").write_text(
        json.dumps({"connected_at": connected, "chunks": chunks}), encoding="utf-8"
    )


class ListenerProcess:
    """The child process that records a mount; `result()` waits for it and loads what it got."""

    def __init__(self, url: str, seconds: float, connect_timeout_s: float, out: Path) -> None:
        self.out = out
        self.seconds = seconds + connect_timeout_s
        self._proc = subprocess.Popen(
            [sys.executable, __file__, url, str(seconds), str(connect_timeout_s), str(out)],
            stdin=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def result(self) -> Recording:
        """Wait for the recording; raise RuntimeError with the child's words if it failed."""
        try:
            _, stderr = self._proc.communicate(timeout=self.seconds + 30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
            raise RuntimeError("the listener did not finish") from None
        if self._proc.returncode:
            last = stderr.decode(errors="replace").strip().splitlines()[-1:]
            raise RuntimeError(f"the listener failed: {' '.join(last) or self._proc.returncode}")
        meta = json.loads(self.out.with_suffix(".json").read_text(encoding="utf-8"))
        return Recording(
            data=self.out.with_suffix(".mp3").read_bytes(),
            connected_at=meta["connected_at"],
            ends=[int(end) for end, _ in meta["chunks"]],
            arrivals=[float(at) for _, at in meta["chunks"]],
        )

    def stop(self) -> None:
        """End the child at once (the benchmark is giving up)."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()


# ------------------------------------------------------------------ analysis


@dataclass(frozen=True)
class Recording:
    """What a listener received: the bytes, and when each chunk of them arrived."""

    data: bytes
    connected_at: float | None
    ends: list[int]  # end offset of each chunk in `data`
    arrivals: list[float]  # wall-clock arrival of each chunk

    def arrival(self, offset: int) -> float:
        """Return when the byte at `offset` arrived."""
        return self.arrivals[bisect.bisect_right(self.ends, offset)]


@dataclass(frozen=True)
class SlotStart:
    """A slot as the listener analysis needs it: its instant and its first item's lead-in."""

    instant: float  # wall-clock seconds
    lead_in: int  # samples of the first item before its first loud one


@dataclass(frozen=True)
class Heard:
    """When the listener received each slot's first sample, against the slot's instant."""

    errors: list[float]  # seconds, one per slot found
    not_found: int


def lead_in(pcm: bytes) -> int:
    """Return how many samples of s16le PCM come before the first loud one."""
    loud = numpy.flatnonzero(numpy.abs(_samples(pcm)) >= LOUD)
    if not len(loud):
        raise ValueError("the item has no loud sample")
    return int(loud[0])


def heard_starts(recording: Recording, slots: list[SlotStart]) -> Heard:
    """Find each slot's start in what the listener received (see the module doc)."""
    frames = _frames(recording.data)
    if len(frames) < 2:
        raise ValueError("the listener received no MP3 stream")
    first, end = frames[0][0], frames[-1][1]
    samples = _samples(_decode(recording.data[first:end]))
    dropped = len(frames) * SAMPLES_PER_FRAME - len(samples)  # frames the decoder skipped
    if dropped < 0 or dropped % SAMPLES_PER_FRAME:
        raise ValueError(f"{len(samples)} decoded samples do not match {len(frames)} frames")
    arrivals = numpy.array([recording.arrival(stop - 1) for _, stop in frames])
    loud = numpy.abs(samples) >= LOUD
    quiet = int(QUIET_BEFORE_S * SAMPLE_RATE)
    connected = recording.connected_at or 0.0
    errors: list[float] = []
    for slot in slots:
        if slot.instant - SEARCH_BEFORE_S < connected + 1.0:
            continue  # the listener was not there yet (or got this part in its first burst)
        found = _first_sample(slot, arrivals, loud, dropped, quiet)
        if found is not None:
            frame = (found + dropped) // SAMPLES_PER_FRAME
            errors.append(float(arrivals[frame]) - slot.instant)
    return Heard(errors, len(slots) - len(errors))


def _first_sample(
    slot: SlotStart,
    arrivals: npt.NDArray[numpy.float64],
    loud: npt.NDArray[numpy.bool_],
    dropped: int,
    quiet: int,
) -> int | None:
    """Return the decoded index of the slot's first item's first sample, or None."""
    window = numpy.flatnonzero(
        (arrivals >= slot.instant - SEARCH_BEFORE_S) & (arrivals <= slot.instant + SEARCH_AFTER_S)
    )
    if not len(window):
        return None
    begin = max(0, int(window[0]) * SAMPLES_PER_FRAME - dropped)
    stop = min(len(loud), (int(window[-1]) + 1) * SAMPLES_PER_FRAME - dropped)
    for index in numpy.flatnonzero(loud[begin:stop]) + begin:
        onset = int(index)
        if onset >= quiet and not loud[onset - quiet : onset].any():
            start = onset - slot.lead_in
            return start if start + dropped >= 0 else None
    return None


def _samples(pcm: bytes) -> npt.NDArray[numpy.int32]:
    return numpy.frombuffer(pcm, dtype="<i2").astype(numpy.int32)


def _decode(mp3: bytes) -> bytes:
    proc = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "mp3",
         "-i", "pipe:0", "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "s16le", "pipe:1"],
        input=mp3, capture_output=True, check=True,
    )  # fmt: skip
    return proc.stdout


def _frame_length(data: bytes, at: int) -> int:
    """Return the length of the MPEG-1 Layer III frame at `at`, or 0 if none starts there."""
    if at + 4 > len(data) or data[at] != 0xFF or data[at + 1] & 0xFE != 0xFA:
        return 0
    kbps_index, rate_index = data[at + 2] >> 4, (data[at + 2] >> 2) & 3
    if not 0 < kbps_index < len(_KBPS) or rate_index >= len(_RATES):
        return 0
    padding = (data[at + 2] >> 1) & 1
    return 144_000 * _KBPS[kbps_index] // _RATES[rate_index] + padding


def _frames(data: bytes) -> list[tuple[int, int]]:
    """Return (start, end) of the whole frames from the first one, up to the first break."""
    at = 0
    while at < len(data):  # a listener joins mid-frame: find two frames in a row
        length = _frame_length(data, at)
        if length and _frame_length(data, at + length):
            break
        at += 1
    frames = []
    while (length := _frame_length(data, at)) and at + length <= len(data):
        frames.append((at, at + length))
        at += length
    return frames


if __name__ == "__main__":
    record(sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), Path(sys.argv[4]))
