"""The lexicon's readings as the JSON API shows and takes them."""

from __future__ import annotations

from pydantic import BaseModel, Field

from playlists.core.text import MultiLine, OneLine


class ReadingRead(BaseModel):
    """An abbreviation and how the station reads it."""

    written: str
    spoken: str
    builtin: str | None
    source: str
    city: str | None = Field(
        None, description="Cách đọc của thành phố mà phường thừa hưởng (trống: thành phố không sửa)"
    )


class RevoicedRead(BaseModel):
    """An approved or pending bulletin that a lexicon change makes the voice read differently."""

    id: int
    title: str
    status: str
    status_label: str
    spoken_before: str = Field(description="Máy đọc bản tin thế nào trước khi sửa từ điển")
    spoken_after: str = Field(description="và sau khi sửa")


class ReadingChanged(ReadingRead):
    """A reading after a change, and the bulletins the change re-voices (to listen to again)."""

    revoiced: list[RevoicedRead] = Field(
        default_factory=list,
        description="Bản tin đã duyệt hoặc chờ duyệt mà máy sẽ đọc khác đi; vẫn giữ nguyên duyệt",
    )


class ReadingWrite(BaseModel):
    """A new reading for an abbreviation (who changes it is the signed-in user)."""

    spoken: OneLine = Field(default="", description="Cách đọc; để trống là đọc nguyên văn")


class SpeakRequest(BaseModel):
    """Text to show in its spoken form."""

    text: MultiLine = Field(max_length=50_000)
