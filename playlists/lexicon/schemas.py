"""The lexicon's readings as the JSON API shows and takes them."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ReadingRead(BaseModel):
    """An abbreviation and how the station reads it."""

    written: str
    spoken: str
    builtin: str | None
    source: str


class ReadingWrite(BaseModel):
    """A new reading for an abbreviation."""

    spoken: str = Field(default="", description="Cách đọc; để trống là đọc nguyên văn")
    by: str = ""


class SpeakRequest(BaseModel):
    """Text to show in its spoken form."""

    text: str = Field(max_length=50_000)
