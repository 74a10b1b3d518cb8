"""The admin's page of the audit trail (Nhật ký thao tác): filter, read, export to Excel."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from playlists.accounts.roles import Action
from playlists.audit import service as audit
from playlists.audit.export import audit_csv, audit_filename
from playlists.audit.models import AuditEntry
from playlists.core.errors import InputError
from playlists.core.text import one_line
from web.auth import needs
from web.context import StationContext
from web.deps import ContextDep, SessionDep
from web.forms import day_window, whole_number
from web.pages.common import render

router = APIRouter(include_in_schema=False)

PAGE = "/quan-tri/nhat-ky-thao-tac"
DEFAULT_DAYS = 30
PAGE_ROWS = 200


class AuditQuery(BaseModel):
    """The filter as the address carries it: từ, đến, người dùng, trang."""

    tu: str = ""
    den: str = ""
    nguoi: str = ""
    trang: str = "1"


def _entries(
    ctx: StationContext, session: SessionDep, query: AuditQuery, *, limit: int | None
) -> tuple[list[AuditEntry], dict[str, str], AuditQuery]:
    errors: dict[str, str] = {}
    first, last = day_window(query.tu, query.den, errors, today=ctx.today(), days=DEFAULT_DAYS)
    page = max(1, whole_number(query.trang) or 1)
    shown = query.model_copy(update={"tu": first.isoformat(), "den": last.isoformat()})
    try:
        rows = audit.entries(
            session, tz=ctx.settings.zone, start=first, end=last,
            username=one_line(query.nguoi).strip().lower() or None, limit=limit,
            offset=(page - 1) * (limit or 0), newest_first=True,
        )  # fmt: skip
    except InputError as exc:
        errors |= {"den": exc.errors.get("end", exc.message)}
        rows = []
    return rows, errors, shown


@router.get(PAGE, dependencies=[needs(Action.READ_AUDIT)], response_class=HTMLResponse)
def audit_page(
    request: Request, ctx: ContextDep, session: SessionDep, query: Annotated[AuditQuery, Query()]
) -> HTMLResponse:
    rows, errors, shown = _entries(ctx, session, query, limit=PAGE_ROWS + 1)
    page = max(1, whole_number(query.trang) or 1)
    return render(
        request, session, "audit.html", 422 if errors else 200, rows=rows[:PAGE_ROWS],
        more=len(rows) > PAGE_ROWS, page=page, query=shown, errors=errors,
    )  # fmt: skip


@router.get(PAGE + ".csv", dependencies=[needs(Action.READ_AUDIT)])
def audit_export(
    ctx: ContextDep, session: SessionDep, query: Annotated[AuditQuery, Query()]
) -> Response:
    rows, errors, shown = _entries(ctx, session, query, limit=None)
    if errors:
        return Response(" ".join(errors.values()), status_code=422, media_type="text/plain")
    name = audit_filename(date.fromisoformat(shown.tu), date.fromisoformat(shown.den))
    audit.record(
        session, "audit_exported", subject_kind="audit",
        summary=f"Xuất nhật ký thao tác {shown.tu} – {shown.den}",
        after={"from": shown.tu, "to": shown.den, "user": shown.nguoi, "rows": len(rows)},
    )  # fmt: skip
    return Response(
        audit_csv(list(reversed(rows)), tz=ctx.settings.zone),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
