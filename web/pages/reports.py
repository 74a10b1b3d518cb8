"""The report page (Báo cáo): a period's figures and charts, its files, closing it; and the
register of closed reports (Sổ báo cáo đã chốt)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import BaseModel

from playlists.accounts.roles import Action
from playlists.core.bounds import Id
from playlists.core.errors import DomainError, InputError
from playlists.reports import service
from playlists.reports.periods import PERIOD_RULES, Window, WindowRule, offered, running
from playlists.reports.view import charts, month_label, topic_label
from web.auth import needs
from web.context import StationContext
from web.deps import ContextDep, SessionDep
from web.forms import parse_day
from web.pages.common import back, render
from web.reporting import asked_window, closed_file, issuer, period_rule, report_file

router = APIRouter(include_in_schema=False)
PAGE = "/bao-cao"
REGISTER = "/bao-cao/da-chot"
# Planned slots listed on the page: the gaps first; the workbook has every one.
SLOT_LINES_SHOWN = 200


class ReportQuery(BaseModel):
    """The page's choice as the address carries it: kỳ, or từ/đến, and cách tính."""

    ky: str = ""
    tu: str = ""
    den: str = ""
    cach_tinh: str = ""

    def read(self, ctx: StationContext, errors: dict[str, str]) -> Window:
        """Return the window asked for; what is wrong goes to `errors`, this quarter shown."""
        first = parse_day(self.tu, "tu", errors, "Từ ngày") if self.tu else None
        last = parse_day(self.den, "den", errors, "Đến ngày") if self.den else None
        # The form always sends its select; days typed in mean a window of one's own.
        period = "" if self.tu and self.den else self.ky[:32]
        try:
            return asked_window(ctx, period, first, last, self.cach_tinh[:16],
                                names=("ky", "tu", "den", "cach_tinh"))  # fmt: skip
        except InputError as exc:
            errors.update(exc.errors)
        return running(ctx.today(), self.rule(ctx))

    def rule(self, ctx: StationContext) -> WindowRule:
        """Return the rule chosen for named periods (the station's when none or a wrong one)."""
        return period_rule(self.cach_tinh) or WindowRule(ctx.settings.report_windows)

    def address(self, window: Window) -> str:
        """Return the query that asks for `window` again (the downloads' links)."""
        if window.rule is WindowRule.DAYS:
            return f"tu={window.first_day.isoformat()}&den={window.last_day.isoformat()}"
        return f"ky={window.period.code}&cach_tinh={window.rule.value}"


QueryDep = Annotated[ReportQuery, Query()]


@router.get(PAGE, dependencies=[needs(Action.READ)], response_class=HTMLResponse)
def report_page(
    request: Request, ctx: ContextDep, session: SessionDep, asked: QueryDep,
    loi: str = "", ok: str = "",
) -> HTMLResponse:  # fmt: skip
    errors: dict[str, str] = {}
    window = asked.read(ctx, errors)
    report = service.build(session, window, tz=ctx.settings.zone, made_at=ctx.now(),
                           issuer=issuer(ctx))  # fmt: skip
    slots = report.summary.slot_lines
    gaps = [line for line in slots if not line.complete]
    return render(
        request, session, "reports.html", report=report, summary=report.summary,
        window=window, charts=charts(report), errors=errors, error=loi, saved=ok,
        choices=offered(ctx.today(), asked.rule(ctx)), rules=PERIOD_RULES,
        rule_chosen=asked.rule(ctx), days_rule=WindowRule.DAYS,
        query=asked.address(window), gaps=gaps[:SLOT_LINES_SHOWN], gap_count=len(gaps),
        slot_count=len(slots), closure=service.closure_for(session, window),
        topic_label=topic_label, month_label=month_label, asked=asked,
    )  # fmt: skip


@router.get(PAGE + "/tep", dependencies=[needs(Action.EXPORT_REPORT)])
def report_download(
    ctx: ContextDep, session: SessionDep, asked: QueryDep, dinh_dang: str = "xlsx"
) -> Response:
    errors: dict[str, str] = {}
    window = asked.read(ctx, errors)
    if dinh_dang not in service.FORMATS:
        errors["dinh_dang"] = "Định dạng tệp phải là xlsx, docx hoặc csv."
    if errors:
        return Response(" ".join(errors.values()), status_code=400)
    report = service.build(session, window, tz=ctx.settings.zone, made_at=ctx.now(),
                           issuer=issuer(ctx))  # fmt: skip
    return report_file(ctx, session, report, dinh_dang)


@router.post(PAGE + "/chot", dependencies=[needs(Action.CLOSE_PERIOD)])
def report_close(
    ctx: ContextDep, session: SessionDep,
    ky: Annotated[str, Form()] = "", tu: Annotated[str, Form()] = "",
    den: Annotated[str, Form()] = "", cach_tinh: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    asked = ReportQuery(ky=ky, tu=tu, den=den, cach_tinh=cach_tinh)
    errors: dict[str, str] = {}
    window = asked.read(ctx, errors)
    if errors:
        return back(PAGE, error=" ".join(errors.values()))
    try:
        closure, _paths = service.close_period(
            session, window, tz=ctx.settings.zone, now=ctx.now(), issuer=issuer(ctx),
            folder=ctx.settings.reports_dir,
        )  # fmt: skip
    except DomainError as exc:
        session.rollback()
        return back(f"{PAGE}?{asked.address(window)}", error=exc.message)
    return back(REGISTER, ok=f"Đã chốt số liệu {window.period.name} (số {closure.id}).")


@router.get(REGISTER, dependencies=[needs(Action.READ)], response_class=HTMLResponse)
def register_page(
    request: Request, session: SessionDep, loi: str = "", ok: str = ""
) -> HTMLResponse:
    register = [(c, service.closure_window(c)) for c in service.closures(session)]
    return render(request, session, "reports_closed.html", register=register, error=loi,
                  saved=ok)  # fmt: skip


@router.get(REGISTER + "/{closure_id}/{fmt}", dependencies=[needs(Action.EXPORT_REPORT)])
def register_download(
    ctx: ContextDep, session: SessionDep, closure_id: Id, fmt: str
) -> FileResponse:
    return closed_file(ctx, session, service.get_closure(session, closure_id), fmt)
