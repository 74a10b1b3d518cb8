"""The as-run log in the JSON API, and its CSV."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from playlists.accounts.roles import Action
from playlists.asrun.export import export_airlog
from playlists.asrun.models import AirSource, AirStatus
from playlists.asrun.queries import AirLogFilter, query_airlog
from playlists.asrun.schemas import AirLogRead
from playlists.core.bounds import Day, Id
from playlists.core.errors import InputError
from web.auth import needs
from web.deps import ContextDep, SessionDep

router = APIRouter()


def airlog_filter(
    first: Annotated[Day, Query(alias="from")],
    last: Annotated[Day, Query(alias="to")],
    zone_id: Id | None = None,
    status: AirStatus | None = None,
    source: AirSource | None = None,
) -> AirLogFilter:
    """Read the as-run log filter shared by the JSON and CSV endpoints."""
    try:
        return AirLogFilter(first, last, zone_id, status, source)
    except InputError as exc:  # the API names the field as the client sent it
        raise InputError({"to": exc.errors["last_day"]}) from exc


AirLogFilterDep = Annotated[AirLogFilter, Depends(airlog_filter)]


@router.get("/airlog", dependencies=[needs(Action.READ)], summary="Nhật ký phát sóng")
def airlog(ctx: ContextDep, session: SessionDep, filt: AirLogFilterDep) -> list[AirLogRead]:
    rows = query_airlog(session=session, filt=filt, tz=ctx.settings.zone)
    return [AirLogRead.model_validate(row) for row in rows]


@router.get(
    "/airlog.csv",
    dependencies=[needs(Action.EXPORT_REPORT)],
    summary="Nhật ký phát sóng (CSV cho Excel)",
    response_class=Response,
    responses={200: {"description": "CSV, UTF-8", "content": {"text/csv": {}}}},
)
def airlog_export(ctx: ContextDep, session: SessionDep, filt: AirLogFilterDep) -> Response:
    content, name, _rows = export_airlog(session, filt, tz=ctx.settings.zone)
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
