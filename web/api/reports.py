"""The CCHC report in the JSON API: figures, files by format, the register, closing, targets."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from playlists.accounts.roles import Action
from playlists.core.bounds import Day, Id
from playlists.reports import service
from playlists.reports.models import ReportClosure
from playlists.reports.periods import PERIOD_FORMS, Window
from playlists.reports.schemas import ReportRead
from playlists.reports.view import report_json
from web.auth import needs
from web.deps import ContextDep, SessionDep
from web.reporting import asked_window, closed_file, issuer, report_file

router = APIRouter()

FileFormat = Literal["xlsx", "docx", "csv"]


def window_query(
    ctx: ContextDep,
    period: Annotated[str, Query(max_length=32, description=PERIOD_FORMS)] = "",
    first: Annotated[Day | None, Query(alias="from", description="Kỳ tự chọn: từ ngày")] = None,
    last: Annotated[Day | None, Query(alias="to", description="Kỳ tự chọn: đến ngày")] = None,
    windows: Annotated[Literal["decree", "calendar"] | None, Query()] = None,
) -> Window:
    """Read the window asked for; nothing asked gives the running quarter."""
    return asked_window(ctx, period, first, last, windows or "")


WindowDep = Annotated[Window, Depends(window_query)]


@router.get(
    "/reports", dependencies=[needs(Action.READ)], summary="Số liệu báo cáo CCHC của một kỳ"
)
def report_figures(ctx: ContextDep, session: SessionDep, window: WindowDep) -> ReportRead:
    report = service.build(session, window, tz=ctx.settings.zone, made_at=ctx.now(),
                           issuer=issuer(ctx))  # fmt: skip
    return ReportRead.model_validate(report_json(report))


FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Tệp báo cáo",
        "content": {media: {} for media in service.MEDIA_TYPES.values()},
    }
}


@router.get(
    "/reports/file",
    dependencies=[needs(Action.EXPORT_REPORT)],
    summary="Tệp báo cáo CCHC (xlsx, docx, csv)",
    response_class=FileResponse,
    responses=FILE_RESPONSES,
)
def report_download(
    ctx: ContextDep, session: SessionDep, window: WindowDep, format: FileFormat = "xlsx"
) -> FileResponse:
    report = service.build(session, window, tz=ctx.settings.zone, made_at=ctx.now(),
                           issuer=issuer(ctx))  # fmt: skip
    return report_file(ctx, session, report, format)


class ClosureRead(BaseModel):
    """One closed report of the register."""

    id: int
    period: str
    first_day: date
    last_day: date
    rule: str
    last_seq: int
    last_hash: str
    generator: str
    made_at: datetime
    closed_by: str
    files: dict[str, dict[str, Any]]

    @classmethod
    def of(cls, closure: ReportClosure) -> ClosureRead:
        return cls.model_validate(closure, from_attributes=True)


class CloseRequest(BaseModel):
    """Which period to close: a code, or two days, and the rule (default: the station's)."""

    period: str = Field(default="", max_length=32)
    first: Day | None = Field(default=None, alias="from")
    last: Day | None = Field(default=None, alias="to")
    windows: Literal["decree", "calendar"] | None = None


@router.get("/reports/closed", dependencies=[needs(Action.READ)], summary="Sổ báo cáo đã chốt")
def closed_register(session: SessionDep) -> list[ClosureRead]:
    return [ClosureRead.of(closure) for closure in service.closures(session)]


@router.post(
    "/reports/closed",
    dependencies=[needs(Action.CLOSE_PERIOD)],
    summary="Chốt số liệu một kỳ báo cáo",
    status_code=201,
)
def close(ctx: ContextDep, session: SessionDep, asked: CloseRequest) -> ClosureRead:
    window = asked_window(ctx, asked.period, asked.first, asked.last, asked.windows or "")
    closure, _paths = service.close_period(
        session, window, tz=ctx.settings.zone, now=ctx.now(), issuer=issuer(ctx),
        folder=ctx.settings.reports_dir,
    )  # fmt: skip
    return ClosureRead.of(closure)


@router.get(
    "/reports/closed/{closure_id}/{format}",
    dependencies=[needs(Action.EXPORT_REPORT)],
    summary="Tệp của một báo cáo đã chốt, đúng như khi chốt",
    response_class=FileResponse,
    responses=FILE_RESPONSES,
)
def closed_download(
    ctx: ContextDep, session: SessionDep, closure_id: Id, format: FileFormat
) -> FileResponse:
    return closed_file(ctx, session, service.get_closure(session, closure_id), format)


class TargetWrite(BaseModel):
    """A topic's monthly target; null clears it."""

    plays: int | None = Field(default=None, ge=0, le=10000)
    minutes: float | None = Field(default=None, ge=0, le=100000)


@router.put(
    "/reports/targets/{code}",
    dependencies=[needs(Action.SET_REPORT_TARGETS)],
    summary="Chỉ tiêu tuyên truyền mỗi tháng của một nội dung",
)
def set_target(
    session: SessionDep, code: Annotated[int, Path(ge=0, le=9)], target: TargetWrite
) -> dict[str, Any]:
    topic = service.set_target(session, code, plays=target.plays, minutes=target.minutes)
    return {"code": topic.code, "plays": topic.target_plays_per_month,
            "minutes": topic.target_minutes_per_month}  # fmt: skip
