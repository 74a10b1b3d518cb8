"""The report's stable JSON (playlists/reports/view.py) as the API documents it."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class WindowRead(BaseModel):
    first_day: date
    last_day: date
    rule: str = Field(description="decree, calendar, hoặc days (khoảng ngày tự chọn)")
    rule_basis: str


class TotalsRead(BaseModel):
    bulletins: int
    plays: int
    airtime_min: float
    emergencies: int
    partial: int
    missed: int
    failed: int
    slots_planned: int
    slots_aired: int
    slots_complete: int


class TopicRead(BaseModel):
    topic: str
    code: int
    bulletins: int
    plays: int
    airtime_min: float
    target_plays: int | None
    target_minutes: float | None
    below_target: bool


class ZoneRead(BaseModel):
    zone: str
    plays: int
    airtime_min: float


class MonthRead(BaseModel):
    month: str = Field(description="YYYY-MM")
    plays: int
    airtime_min: float


class SourceRead(BaseModel):
    source: str = Field(description="schedule, manual, emergency")
    plays: int
    airtime_min: float


class NotAiredRead(BaseModel):
    status: str = Field(description="missed, failed")
    reason: str
    plays: int


class LedgerRead(BaseModel):
    last_seq: int
    last_hash: str


class ReportRead(BaseModel):
    """A period's figures, counted from the as-run log (docs/reports.md)."""

    period: str
    period_name: str
    window: WindowRead
    made_at: str
    generator: str
    closed: bool
    totals: TotalsRead
    by_topic: list[TopicRead]
    by_zone: list[ZoneRead]
    by_month: list[MonthRead]
    by_source: list[SourceRead]
    not_aired: list[NotAiredRead]
    uncovered_topics: list[str]
    below_target: list[str]
    ledger: LedgerRead
