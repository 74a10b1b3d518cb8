"""Making a report, closing a period, and proving a file is a closed report of this station.

A report is a function of its window, its rule, the log position it counts up to, the moment
it states and the ward's names: `Report`. Closing stores all five (`ReportClosure`) with the
SHA-256 of every file made, so the same files can be made again, byte for byte, and a file
brought back years later can be checked against the register and the log.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from playlists.accounts.actor import acting
from playlists.asrun import ledger
from playlists.audit.service import record
from playlists.bulletins.models import Topic
from playlists.core.clock import local_midnight
from playlists.core.errors import InputError, NotFound, StateError
from playlists.core.settings import ReportSettings
from playlists.reports import figures
from playlists.reports.models import ReportClosure
from playlists.reports.periods import Kind, Period, Window, WindowRule, parse_period

FORMATS = ("xlsx", "docx", "csv")
# A period closes this long after its last local midnight: a slot airing across midnight is
# logged when it ends (and a spooled row when the database answers), and a closed report
# never counts a row written after it.
CLOSE_AFTER = timedelta(hours=2)
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def generator() -> str:
    """Name the software and version that made a report (stated in it, kept when closed)."""
    try:
        version = metadata.version("loa-phuong")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        version = "0+source"
    return f"Loa Phường {version}"


@dataclass(frozen=True)
class Issuer:
    """Who issues and signs the report, as its header and signature block print them."""

    ward_name: str
    ward_parent: str
    signer_title: tuple[str, ...]
    signer_name: str
    recipients: tuple[str, ...]

    @classmethod
    def from_settings(cls, settings: ReportSettings) -> Issuer:
        return cls(
            ward_name=settings.ward_name.strip(),
            ward_parent=settings.ward_parent.strip(),
            signer_title=tuple(settings.items(settings.report_signer_title)),
            signer_name=settings.report_signer_name.strip(),
            recipients=tuple(settings.items(settings.report_recipients)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "ward_name": self.ward_name,
            "ward_parent": self.ward_parent,
            "signer_title": list(self.signer_title),
            "signer_name": self.signer_name,
            "recipients": list(self.recipients),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Issuer:
        return cls(
            ward_name=data["ward_name"],
            ward_parent=data["ward_parent"],
            signer_title=tuple(data["signer_title"]),
            signer_name=data["signer_name"],
            recipients=tuple(data["recipients"]),
        )


@dataclass(frozen=True)
class Report:
    """Everything one report says: its figures and where they come from."""

    summary: figures.Summary
    made_at: datetime
    last_seq: int
    last_hash: str
    issuer: Issuer
    generator: str
    closed: bool = False  # made when closing a period, or again from the register

    @property
    def window(self) -> Window:
        return self.summary.scope.window

    @property
    def tz(self) -> ZoneInfo:
        return self.summary.scope.tz

    @property
    def period(self) -> Period:
        return self.window.period

    def stem(self) -> str:
        """Name the report's files after the period and window they cover."""
        window = self.window
        code = self.period.code.replace("/", "_")
        return f"bao-cao-cchc_{code}_{window.first_day.isoformat()}_{window.last_day.isoformat()}"


def build(
    session: Session,
    window: Window,
    *,
    tz: ZoneInfo,
    made_at: datetime,
    issuer: Issuer,
    upto_seq: int | None = None,
    topics: Sequence[figures.PlanTopic] | None = None,
) -> Report:
    """Count a report from the log: everything up to now, or up to `upto_seq` (closed), with
    the plan's topics as they are now or as a closed report kept them."""
    last_seq, last_hash = figures.ledger_position(session, upto_seq)
    scope = figures.Scope(window=window, tz=tz, upto_seq=last_seq)
    plan = figures.plan_topics(session) if topics is None else topics
    return Report(
        summary=figures.summarize(session, scope, plan),
        made_at=made_at,
        last_seq=last_seq,
        last_hash=last_hash,
        issuer=issuer,
        generator=generator(),
    )


Writer = Callable[[Report, Session, IO[bytes]], None]


def writer(fmt: str) -> Writer:
    """Return the function that writes a report in `fmt` (imported on use: they are heavy)."""
    if fmt == "xlsx":
        from playlists.reports.xlsx import write_xlsx

        return write_xlsx
    if fmt == "docx":
        from playlists.reports.docx import write_docx

        return write_docx
    if fmt == "csv":
        from playlists.reports.detail import write_csv

        return write_csv
    if fmt == "json":
        from playlists.reports.view import write_json

        return write_json
    raise ValueError(f"unknown report format {fmt!r}")


def write_file(report: Report, session: Session, fmt: str, path: Path) -> str:
    """Write the report in `fmt` to `path` (whole or not at all); return its SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "w+b") as out:
            writer(fmt)(report, session, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return sha256_of(path)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_name(report: Report, fmt: str) -> str:
    return f"{report.stem()}.{fmt}"


def record_export(session: Session, window: Window, fmt: str, last_seq: int) -> None:
    """Note in the audit trail who took which report out of the station."""
    record(
        session,
        "report_exported",
        subject_kind="report",
        subject_id=window.period.code,
        summary=f"Xuất báo cáo CCHC {window.period.name} ({fmt.upper()})",
        after={
            "period": window.period.code,
            "first_day": window.first_day.isoformat(),
            "last_day": window.last_day.isoformat(),
            "rule": window.rule.value,
            "format": fmt,
            "last_seq": last_seq,
        },
    )


# Closing a period ------------------------------------------------------------------------


def closure_for(session: Session, window: Window) -> ReportClosure | None:
    """Return the closed report of exactly this window and rule, if there is one."""
    return session.scalars(
        select(ReportClosure).where(
            ReportClosure.first_day == window.first_day,
            ReportClosure.last_day == window.last_day,
            ReportClosure.rule == window.rule.value,
        )
    ).first()


def closures(session: Session) -> list[ReportClosure]:
    """Return the register of closed reports, newest window first."""
    return list(
        session.scalars(
            select(ReportClosure).order_by(
                ReportClosure.last_day.desc(), ReportClosure.first_day.desc(), ReportClosure.id
            )
        )
    )


def get_closure(session: Session, closure_id: int) -> ReportClosure:
    closure = session.get(ReportClosure, closure_id)
    if closure is None:
        raise NotFound(f"Không có báo cáo đã chốt số {closure_id}.")
    return closure


def close_period(
    session: Session,
    window: Window,
    *,
    tz: ZoneInfo,
    now: datetime,
    issuer: Issuer,
    folder: Path,
) -> tuple[ReportClosure, dict[str, Path]]:
    """Close a period ("chốt số liệu"): make its files, record their hashes and what they cover.

    Refused (StateError) while the window has not ended, or when it is already closed. The
    files are written to `folder`; the register keeps everything needed to make them again.
    """
    opens = local_midnight(window.last_day + timedelta(days=1), tz) + CLOSE_AFTER
    if now < opens:
        raise StateError(
            f"Chưa chốt được: kỳ báo cáo đến hết ngày {window.last_day:%d/%m/%Y}; chốt được từ "
            f"{opens.astimezone(tz):%H:%M ngày %d/%m/%Y}, khi các buổi phát qua nửa đêm đã "
            "được ghi đủ vào nhật ký."
        )
    if closure_for(session, window) is not None:
        raise StateError(
            f"Kỳ {window.period.name} ({window.first_day:%d/%m/%Y}–{window.last_day:%d/%m/%Y}) "
            "đã được chốt; xem sổ báo cáo đã chốt."
        )
    report = dataclasses.replace(
        build(session, window, tz=tz, made_at=now, issuer=issuer), closed=True
    )
    actor = acting(session)
    closure = ReportClosure(
        period=window.period.code,
        first_day=window.first_day,
        last_day=window.last_day,
        rule=window.rule.value,
        last_seq=report.last_seq,
        last_hash=report.last_hash,
        generator=report.generator,
        made_at=now,
        closed_by=actor.display_name or actor.username,
        closed_by_id=actor.user_id,
        files={},
        params={
            "issuer": issuer.to_json(),
            "tz": tz.key,
            "topics": [topic.to_json() for topic in report.summary.plan_topics],
        },
    )
    session.add(closure)
    try:
        # The window is claimed before any file is written: of two reporters closing it at
        # once, the second is refused here and never overwrites the first one's files.
        session.flush()
    except IntegrityError as exc:
        raise StateError(f"Kỳ {window.period.name} vừa được chốt.") from exc
    paths = {fmt: folder / file_name(report, fmt) for fmt in FORMATS}
    files = {}
    for fmt, path in paths.items():
        digest = write_file(report, session, fmt, path)
        files[fmt] = {"name": path.name, "sha256": digest, "bytes": path.stat().st_size}
    closure.files = files
    record(
        session,
        "period_closed",
        subject_kind="report",
        subject_id=str(closure.id),
        summary=f"Chốt số liệu báo cáo CCHC {window.period.name}",
        after={
            "period": closure.period,
            "first_day": window.first_day.isoformat(),
            "last_day": window.last_day.isoformat(),
            "rule": closure.rule,
            "last_seq": closure.last_seq,
            "last_hash": closure.last_hash,
            "files": {fmt: data["sha256"] for fmt, data in files.items()},
        },
    )
    return closure, paths


def closed_report(session: Session, closure: ReportClosure) -> Report:
    """Return a closed report as it was closed: same window, log position, moment and names."""
    window = closure_window(closure)
    report = build(
        session,
        window,
        tz=ZoneInfo(closure.params["tz"]),
        made_at=closure.made_at,
        issuer=Issuer.from_json(closure.params["issuer"]),
        upto_seq=closure.last_seq,
        topics=[figures.PlanTopic(**topic) for topic in closure.params["topics"]],
    )
    return dataclasses.replace(report, generator=closure.generator, closed=True)


def closure_window(closure: ReportClosure) -> Window:
    """Return the window a closure covers, with its period as it was named."""
    rule = WindowRule(closure.rule)
    try:
        period = parse_period(closure.period)
    except InputError:  # a custom window ("2026-01-05/2026-02-10"): the days are the period
        period = Period(Kind.CUSTOM, first_day=closure.first_day, last_day=closure.last_day)
    return Window(period, rule, closure.first_day, closure.last_day)


@dataclass(frozen=True)
class FileCheck:
    """What `verify_file` found about a file."""

    closure: ReportClosure | None
    fmt: str | None
    log_ok: bool
    log_message: str
    first_bad_seq: int | None = None

    @property
    def ok(self) -> bool:
        return self.closure is not None and self.log_ok


def verify_file(session: Session, path: Path) -> FileCheck:
    """Say whether a file is a closed report of this station, and whether the log it was
    counted from is still whole up to the position it recorded."""
    digest = sha256_of(path)
    for closure in closures(session):
        for fmt, data in closure.files.items():
            if data.get("sha256") == digest:
                anchor = (closure.last_seq, closure.last_hash) if closure.last_seq else None
                result = ledger.verify(session, anchor=anchor)
                return FileCheck(closure, fmt, result.ok, result.message, result.first_bad_seq)
    return FileCheck(None, None, False, "")


# Targets ------------------------------------------------------------------------------------


def set_target(session: Session, code: int, *, plays: int | None, minutes: float | None) -> Topic:
    """Set a topic's monthly airtime target (None clears it); the change is audited."""
    topic = session.scalars(select(Topic).where(Topic.code == code)).first()
    if topic is None:
        raise NotFound(f"Không có nội dung số {code} trong kế hoạch (0 đến 9).")
    problems = {}
    if plays is not None and not 0 <= plays <= 10000:
        problems["plays"] = "Chỉ tiêu lượt phát mỗi tháng phải từ 0 đến 10000."
    if minutes is not None and not 0 <= minutes <= 100000:
        problems["minutes"] = "Chỉ tiêu thời lượng mỗi tháng phải từ 0 đến 100000 phút."
    if problems:
        raise InputError(problems)
    before = {"plays": topic.target_plays_per_month, "minutes": topic.target_minutes_per_month}
    topic.target_plays_per_month = plays or None
    topic.target_minutes_per_month = minutes or None
    record(
        session,
        "report_target_set",
        subject_kind="topic",
        subject_id=code,
        summary=f"Đặt chỉ tiêu tuyên truyền mỗi tháng cho nội dung {code}",
        before=before,
        after={"plays": topic.target_plays_per_month, "minutes": topic.target_minutes_per_month},
    )
    return topic
