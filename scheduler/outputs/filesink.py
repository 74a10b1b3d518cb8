"""The file output: writes what aired as WAV, with a timing sheet, under the data folder.

It is the default where there is no sound card, and what the tests listen to. Each finished
WAV is handed to `on_closed` (the station's archive compresses it, scheduler/archive.py).
"""

from __future__ import annotations

import json
import logging
import wave
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from playlists.core.clock import Clock
from scheduler.outputs.base import BYTES_PER_SAMPLE, SAMPLE_RATE, Output, OutputError

log = logging.getLogger(__name__)


class FileSink(Output):
    """Air into `<folder>/<label>.wav` and `<label>.timings.jsonl`."""

    name = "file"

    def __init__(
        self,
        folder: Path,
        clock: Clock,
        sample_rate: int = SAMPLE_RATE,
        *,
        on_closed: Callable[[Path], None] | None = None,
    ) -> None:
        super().__init__(clock, sample_rate)
        self.folder = folder
        # Told each WAV once it is complete; called on the air path, so it must not block.
        self.on_closed = on_closed
        self._wav: wave.Wave_write | None = None
        self.path: Path | None = None

    def open(self, label: str) -> None:
        try:
            self.path = self.folder / f"{label}.wav"
            self.path.parent.mkdir(parents=True, exist_ok=True)
            wav = wave.open(str(self.path), "wb")  # noqa: SIM115  (kept open for the programme)
        except OSError as exc:
            raise OutputError(f"cannot open {self.folder}/{label}.wav: {exc}") from exc
        wav.setnchannels(1)
        wav.setsampwidth(BYTES_PER_SAMPLE)
        wav.setframerate(self.sample_rate)
        self._wav = wav

    def _write(self, chunk: bytes) -> None:
        if self._wav is None:
            raise OutputError("file output written before open()")
        try:
            self._wav.writeframes(chunk)
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {exc}") from exc

    def _after_item(self, title: str, start: datetime, end: datetime) -> None:
        assert self.path is not None
        line = {"title": title, "start": start.isoformat(), "end": end.isoformat()}
        try:
            with self.path.with_suffix(".timings.jsonl").open("a", encoding="utf-8") as sheet:
                sheet.write(json.dumps(line, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise OutputError(f"cannot write the timing sheet of {self.path}: {exc}") from exc

    def close(self) -> None:
        if self._wav is not None:
            wav, self._wav = self._wav, None
            try:
                wav.close()  # writes the header's lengths: fails on a full disk
            except OSError as exc:
                # Not handed on: the next start finds it among the WAVs left behind.
                raise OutputError(f"cannot finish {self.path}: {exc}") from exc
            if self.on_closed is not None and self.path is not None:
                try:
                    self.on_closed(self.path)
                except Exception:  # the air path goes on whatever the archive does
                    log.exception("handing %s on after it aired", self.path)
