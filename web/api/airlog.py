"""The as-run log in the JSON API, and its CSV."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from playlists.asrun.export import airlog_csv, airlog_filename
from playlists.asrun.models import AirSource, AirStatus
from playlists.asrun.queries import AirLogFilter, query_airlog
from playlists.asrun.schemas import AirLogRead
from playlists.core.errors import InputError
from web.deps import ContextDep, SessionDep

router = APIRouter()


def airlog_filter(
    first: Annotated[date, Query(alias="from")],
    last: Annotated[date, Query(alias="to")],
    zone_id: int | None = None,
    status: AirStatus | None = None,
    source: AirSource | None = None,
) -> AirLogFilter:
    """Read the as-run log filter shared by the JSON and CSV endpoints."""
    try:
        return AirLogFilter(first, last, zone_id, status, source)
    except InputError as exc:  # the API names the field as the client sent it
        raise InputError({"to": exc.errors["last_day"]}) from exc


AirLogFilterDep = Annotated[AirLogFilter, Depends(airlog_filter)]


@router.get("/airlog", summary="Nhật ký phát sóng")
def airlog(ctx: ContextDep, session: SessionDep, filt: AirLogFilterDep) -> list[AirLogRead]:
    rows = query_airlog(session=session, filt=filt, tz=ctx.settings.zone)
    return [AirLogRead.model_validate(row) for row in rows]


@router.get("/airlog.csv", summary="Nhật ký phát sóng (CSV cho Excel)")
def airlog_export(ctx: ContextDep, session: SessionDep, filt: AirLogFilterDep) -> Response:
    rows = query_airlog(session=session, filt=filt, tz=ctx.settings.zone)
    return Response(
        airlog_csv(rows, tz=ctx.settings.zone),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{airlog_filename(filt)}"'},
    )
