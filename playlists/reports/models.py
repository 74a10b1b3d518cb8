"""The register of closed reports (sổ chốt số liệu): what each closed report covered."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from playlists.core.db import Base, UTCDateTime


class ReportClosure(Base):
    """One closed report: its window and rule, the log position it counts up to, and the
    SHA-256 of each file it produced, so a file can be proven to be this report.

    `params` keeps what the documents were made with (the ward's names, signer, recipients)
    and `made_at` the moment they state: regenerating from this row gives the same bytes.
    """

    __tablename__ = "report_closures"
    __table_args__ = (UniqueConstraint("first_day", "last_day", "rule", name="uq_report_window"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(32))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    rule: Mapped[str] = mapped_column(String(16))
    last_seq: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
    generator: Mapped[str] = mapped_column(String(64))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_by: Mapped[str] = mapped_column(String(100), default="")
    closed_by_id: Mapped[int | None] = mapped_column(Integer, default=None)
    # {"xlsx": {"name": "...", "sha256": "...", "bytes": N}, "docx": ..., "csv": ...}
    files: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
