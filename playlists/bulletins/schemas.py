"""A bulletin's input and output shapes, shared by the web forms, the JSON API and the CLI."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from playlists.bulletins.models import BulletinStatus, Priority
from playlists.core.bounds import Code, Day, ZoneIds
from playlists.core.text import MultiLine, OneLine
from playlists.slots.schemas import ZoneRead


class BulletinCreate(BaseModel):
    """What an editor fills in; checked by `workflow.check_bulletin` with Vietnamese messages."""

    title: OneLine = ""
    text: MultiLine = ""
    topic: Code = Field(default=0, description="Mã nội dung kế hoạch: 1-9, 0 là Khác")
    priority: Priority = Priority.NORMAL
    first_day: Day
    last_day: Day
    per_day: int = 1
    zone_ids: ZoneIds = Field(default_factory=list)
    voice: OneLine | None = None
    speed: float = 1.0
    submit: bool = Field(default=True, description="Gửi duyệt ngay (false: lưu nháp)")


class Decision(BaseModel):
    """An approver's decision (who decides is the signed-in approver)."""

    reason: MultiLine = ""


class TopicRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: int
    name: str


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
