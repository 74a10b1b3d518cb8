"""The as-run log page (Nhật ký phát sóng) and its CSV download, on one filter."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from playlists.accounts.roles import Action
from playlists.asrun.export import export_airlog
from playlists.asrun.models import AirStatus
from playlists.asrun.queries import AirLogFilter, query_airlog, summarize
from playlists.core.errors import InputError
from playlists.slots.service import list_zones
from web.auth import needs
from web.context import StationContext
from web.deps import ContextDep, SessionDep
from web.forms import day_window, enum_or_none, whole_number
from web.pages.common import render

router = APIRouter(include_in_schema=False)

DEFAULT_DAYS = 7
# Rows on one page: a week of a ward's log is a few hundred; the CSV has them all at once.
PAGE_ROWS = 100


class AirLogQuery(BaseModel):
    """The log page's filter as the address carries it: từ, đến, cụm loa, trạng thái."""

    tu: str = ""
    den: str = ""
    cum: str = ""
    trang_thai: str = ""
    trang: str = "1"  # the page of rows shown (anything but a number shows the first)

    def read(self, ctx: StationContext, errors: dict[str, str]) -> AirLogFilter:
        """Return the filter asked for; what is wrong is noted in `errors` and left out."""
        first, last = day_window(self.tu, self.den, errors, today=ctx.today(), days=DEFAULT_DAYS)
        zone_id = whole_number(self.cum)
        status = enum_or_none(AirStatus, self.trang_thai)
        try:
            return AirLogFilter(first_day=first, last_day=last, zone_id=zone_id, status=status)
        except InputError as exc:
            errors["den"] = exc.errors["last_day"]
            return AirLogFilter(first_day=first, last_day=first, zone_id=zone_id, status=status)


QueryDep = Annotated[AirLogQuery, Query()]


@router.get("/nhat-ky", dependencies=[needs(Action.READ)], response_class=HTMLResponse)
def airlog_page(
    request: Request, ctx: ContextDep, session: SessionDep, asked: QueryDep
) -> HTMLResponse:
    errors: dict[str, str] = {}
    filt = asked.read(ctx, errors)
    tz = ctx.settings.zone
    summary = summarize(session=session, filt=filt, tz=tz)
    pages = max(1, math.ceil(summary.rows / PAGE_ROWS))
    page = min(max(1, whole_number(asked.trang) or 1), pages)
    rows = query_airlog(
        session=session, filt=filt, tz=tz, limit=PAGE_ROWS, offset=(page - 1) * PAGE_ROWS
    )
    return render(
        request, session, "airlog.html", rows=rows, filt=filt, errors=errors, summary=summary,
        page=page, pages=pages, zones=list_zones(session=session), statuses=list(AirStatus),
    )  # fmt: skip


@router.get("/nhat-ky.csv", dependencies=[needs(Action.EXPORT_REPORT)])
def airlog_csv_download(ctx: ContextDep, session: SessionDep, asked: QueryDep) -> Response:
    errors: dict[str, str] = {}
    filt = asked.read(ctx, errors)
    if errors:
        return Response(" ".join(errors.values()), status_code=400)
    content, name, _rows = export_airlog(session, filt, tz=ctx.settings.zone)
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
