"""What every output does: take mono PCM and air it in real time, measuring when it did."""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from datetime import datetime

from playlists.core.clock import Clock

SAMPLE_RATE = 44100
BYTES_PER_SAMPLE = 2  # s16le mono
CHUNK_S = 0.1


def silence(seconds: float, sample_rate: int = SAMPLE_RATE) -> bytes:
    """Return `seconds` of digital silence as s16le mono PCM."""
    return bytes(int(seconds * sample_rate) * BYTES_PER_SAMPLE)


class OutputError(Exception):
    """An output could not take audio (device gone, disk full, encoder died)."""


class Output(ABC):
    """A destination for a programme: open once per programme, take paced PCM, close.

    The player (scheduler/playout.py) paces writes against the clock, chunk by chunk, so what
    an output receives is real time: the measured start and end of each item are when it
    really went out.
    """

    name: str = "output"
    # Outputs that must not go quiet (a stream that listeners pull, a sound card that clicks
    # when opened) are opened a little before a programme and fed silence until its start.
    keepalive: bool = False

    def __init__(self, clock: Clock, sample_rate: int = SAMPLE_RATE) -> None:
        self.clock = clock
        self.sample_rate = sample_rate

    @abstractmethod
    def open(self, label: str) -> None:
        """Begin a programme named `label`."""

    @abstractmethod
    def _write(self, chunk: bytes) -> None:
        """Hand one chunk of PCM to the destination."""

    def _check(self) -> None:  # noqa: B027
        """Raise OutputError if the destination is known to have failed; most cannot tell."""

    def _after_item(self, title: str, start: datetime, end: datetime) -> None:  # noqa: B027
        """Note one aired item (the file output keeps a timing sheet); most outputs need not."""

    @abstractmethod
    def close(self) -> None:
        """End the programme and release the destination."""

    def abort(self) -> None:
        """Drop the destination at once after a failure; never blocks, never raises."""
        with contextlib.suppress(OutputError, OSError):
            self.close()
