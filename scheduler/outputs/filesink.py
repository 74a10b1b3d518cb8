"""The file output: writes what aired as WAV, with a timing sheet, under the data folder.

It is the default where there is no sound card, and what the tests listen to.
"""

from __future__ import annotations

import json
import wave
from datetime import datetime
from pathlib import Path

from playlists.core.clock import Clock
from scheduler.outputs.base import BYTES_PER_SAMPLE, SAMPLE_RATE, Output, OutputError


class FileSink(Output):
    """Air into `<folder>/<label>.wav` and `<label>.timings.jsonl`."""

    name = "file"

    def __init__(self, folder: Path, clock: Clock, sample_rate: int = SAMPLE_RATE) -> None:
        super().__init__(clock, sample_rate)
        self.folder = folder
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
                raise OutputError(f"cannot finish {self.path}: {exc}") from exc
