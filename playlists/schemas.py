"""Plain input and output shapes shared by the web forms, the JSON API and the command line."""

from __future__ import annotations

from datetime import date, datetime, time

from pydantic import BaseModel, ConfigDict, Field

from playlists.models import AirSource, AirStatus, BulletinStatus, Priority


class BulletinCreate(BaseModel):
    """What an editor fills in; checked by `service.check_bulletin` with Vietnamese messages."""

    title: str = ""
    text: str = ""
    topic: int = Field(default=0, description="Mã nội dung kế hoạch: 1-9, 0 là Khác")
    priority: Priority = Priority.NORMAL
    first_day: date
    last_day: date
    per_day: int = 1
    zone_ids: list[int] = Field(default_factory=list)
    voice: str | None = None
    speed: float = 1.0
    author: str = ""
    submit: bool = Field(default=True, description="Gửi duyệt ngay (false: lưu nháp)")


class Decision(BaseModel):
    """An approver's decision."""

    approver: str = ""
    reason: str = ""


class ZoneRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str


class TopicRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: int
    name: str


class SlotRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    start: time
    duration_s: int
    days: str
    valid_from: date | None
    valid_to: date | None
    document: str
    document_date: date | None
    head_s: int
    relay_s: int
    tail_s: int
    one_off: bool
    zones: list[ZoneRead]


class RenderingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    sha256: str
    engine: str
    voice: str
    speed: float
    duration_s: float
    loudness_lufs: float
    fallback: bool
    spoken_text: str
    check_wer: float | None = None
    check_heard: str | None = None
    check_misheard: list[list[str]] | None = None
    checked_at: datetime | None = None


class BulletinRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    title: str
    text: str
    recording_name: str | None
    topic: TopicRead
    priority: Priority
    first_day: date
    last_day: date
    per_day: int
    zones: list[ZoneRead]
    status: BulletinStatus
    author: str
    approver: str | None
    return_reason: str | None
    created_at: datetime
    rendering: RenderingRead | None
    audio_url: str | None = None


class AirLogRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    zone_name: str
    output: str
    slot_name: str
    bulletin_id: int | None
    bulletin_title: str
    rendering_sha256: str
    scheduled_start: datetime | None
    actual_start: datetime | None
    actual_end: datetime | None
    aired_s: float
    status: AirStatus
    source: AirSource
    reason: str


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
