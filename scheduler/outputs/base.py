"""What every output does: take mono PCM and air it in real time, measuring when it did."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime, timedelta

from scheduler.clock import Clock

SAMPLE_RATE = 44100
BYTES_PER_SAMPLE = 2  # s16le mono
CHUNK_S = 0.1


class OutputError(Exception):
    """An output could not take audio (device gone, disk full, encoder died)."""


class Output(ABC):
    """A destination for a programme: open once per programme, play each item, close.

    Writes are paced against the clock, chunk by chunk, so that what the output receives is
    real time: the measured start and end of each item are when it really went out.
    """

    name: str = "output"

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

    def play(self, pcm: bytes, *, title: str = "") -> tuple[datetime, datetime]:
        """Air PCM in real time; return the measured start and end."""
        chunk_bytes = int(self.sample_rate * CHUNK_S) * BYTES_PER_SAMPLE
        start = self.clock.now()
        for index, offset in enumerate(range(0, len(pcm), chunk_bytes)):
            self.clock.sleep_until(start + timedelta(seconds=index * CHUNK_S))
            self._write(pcm[offset : offset + chunk_bytes])
        duration = len(pcm) / (self.sample_rate * BYTES_PER_SAMPLE)
        self.clock.sleep_until(start + timedelta(seconds=duration))
        end = self.clock.now()
        # Confirm before reporting "played": a pipe accepts bytes even when the program behind
        # it could not open its device, and the log must say what really aired.
        self._check()
        self._after_item(title, start, end)
        return start, end
