"""The plan pages (Lịch phát): a day's plan per zone and slot, rebuilt on demand, exported."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from playlists.accounts.roles import Action
from playlists.core.errors import DomainError
from playlists.planning.playlist import exported_copy as playlist_copy
from playlists.planning.playlist import plan_m3u8
from playlists.planning.store import build_and_store, rules_from
from playlists.planning.views import read_plan
from web.auth import needs
from web.deps import ContextDep, SessionDep
from web.forms import parse_day
from web.pages.common import back, render

router = APIRouter(include_in_schema=False)


@router.get("/lich-phat", dependencies=[needs(Action.READ)], response_class=HTMLResponse)
def plan_page(
    request: Request, ctx: ContextDep, session: SessionDep, ngay: str = "", loi: str = ""
) -> HTMLResponse:
    errors: dict[str, str] = {}
    day = parse_day(ngay, "ngay", errors, "ngày") if ngay else ctx.today() + timedelta(days=1)
    if day is None:
        return render(request, session, "error.html", 400, message=errors["ngay"])
    plan = read_plan(session=session, day=day, tz=ctx.settings.zone)
    return render(
        request, session, "plan.html", plan=plan, day=day, prev_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1), error=loi,
    )  # fmt: skip


@router.get("/lich-phat/{day}/cum-{zone_id}.m3u8", dependencies=[needs(Action.READ)])
def plan_playlist(
    request: Request, ctx: ContextDep, session: SessionDep, day: str, zone_id: int
) -> Response:
    errors: dict[str, str] = {}
    target = parse_day(day, "ngay", errors, "ngày")
    if target is None:
        return Response(errors["ngay"], status_code=400)
    view = read_plan(session=session, day=target, tz=ctx.settings.zone)
    text = plan_m3u8(
        view, zone_id=zone_id, media_dir=ctx.settings.media_dir,
        export_dir=ctx.settings.media_dir / "export",
        base_url=str(request.base_url).rstrip("/") + "/am-thanh/ban-sao",
    )  # fmt: skip
    return Response(
        text,
        media_type="application/vnd.apple.mpegurl",
        headers={
            "Content-Disposition": f'attachment; filename="lich-phat_{target}_{zone_id}.m3u8"'
        },
    )


@router.get("/am-thanh/ban-sao/{name}", dependencies=[needs(Action.READ)])
def exported_copy(ctx: ContextDep, name: str) -> Response:
    path = playlist_copy(ctx.settings.media_dir / "export", name)
    if path is None:  # only a copy's own name: "%00" or "../x" are no file of ours
        return Response("Không có tệp này.", status_code=404)
    return FileResponse(path, media_type="audio/mpeg")


@router.post("/lich-phat/lap", dependencies=[needs(Action.BUILD_PLAN)])
def plan_build(
    request: Request, ctx: ContextDep, session: SessionDep, ngay: Annotated[str, Form()] = ""
) -> Response:
    errors: dict[str, str] = {}
    day = parse_day(ngay, "ngay", errors, "ngày")
    if day is None:
        return render(request, session, "error.html", 400, message=errors["ngay"])
    try:
        build_and_store(
            session=session, day=day, tz=ctx.settings.zone, now=ctx.now(),
            rules=rules_from(ctx.settings.planning), audited=True,
        )  # fmt: skip
    except DomainError as exc:
        session.rollback()
        return back(f"/lich-phat?ngay={day}", error=exc.message)
    return back(f"/lich-phat?ngay={day}")
