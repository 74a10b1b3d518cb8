"""Day plans in the JSON API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from playlists.accounts.roles import Action
from playlists.core.bounds import Day
from playlists.planning.store import build_and_store, rules_from
from playlists.planning.views import plan_as_json, read_plan
from web.auth import needs
from web.deps import ContextDep, SessionDep

router = APIRouter()


@router.get("/plan/{day}", dependencies=[needs(Action.READ)], summary="Lịch phát của một ngày")
def plan(day: Day, ctx: ContextDep, session: SessionDep) -> dict[str, Any]:
    view = read_plan(session=session, day=day, tz=ctx.settings.zone)
    return plan_as_json(view, ctx.settings.zone)


@router.post(
    "/plan/{day}/build",
    dependencies=[needs(Action.BUILD_PLAN)],
    summary="Lập lịch phát cho một ngày",
)
def build_plan(day: Day, ctx: ContextDep, session: SessionDep) -> dict[str, Any]:
    tz = ctx.settings.zone
    build_and_store(
        session=session, day=day, tz=tz, now=ctx.now(), rules=rules_from(ctx.settings.planning),
        audited=True,
    )  # fmt: skip
    return plan_as_json(read_plan(session=session, day=day, tz=tz), tz)
