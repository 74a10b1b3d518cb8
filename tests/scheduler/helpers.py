"""Helpers for tests that put a real station on air: bulletins, slots, waiting, the log."""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select

from playlists.accounts.roles import Role
from playlists.asrun.models import AirLog
from playlists.bulletins import workflow as service
from playlists.bulletins.schemas import BulletinCreate
from playlists.core.db import session_scope
from playlists.slots.models import Slot, Zone
from tests.people import act_as
from web.context import StationContext


def approved_bulletin(ctx: StationContext, zone_id: int, text: str, per_day: int = 1) -> int:
    with session_scope(ctx.sessions) as session:
        today = ctx.today()
        data = BulletinCreate(
            title=text[:30], text=text, topic=8, first_day=today - timedelta(days=1),
            last_day=today + timedelta(days=2), per_day=per_day, zone_ids=[zone_id],
        )  # fmt: skip
        kwargs = {"session": session, "renderer": ctx.renderer, "media_dir": ctx.settings.media_dir}
        act_as(session, Role.EDITOR)
        bulletin = service.create_bulletin(
            data,
            max_text_chars=5000,
            now=ctx.now(),
            today=today,
            **kwargs,  # type: ignore[arg-type]
        )
        act_as(session, Role.APPROVER, name="Chủ tịch")
        service.approve(
            bulletin.id,
            now=ctx.now(),
            today=today,
            **kwargs,  # type: ignore[arg-type]
        )
        return bulletin.id


def slot_in(
    ctx: StationContext, seconds: float, name: str = "Thử", length_s: int = 60
) -> tuple[int, int, datetime]:
    """Add a zone and a slot starting `seconds` from now (whole seconds, local time)."""
    start = (ctx.now() + timedelta(seconds=seconds)).replace(microsecond=0)
    local = start.astimezone(ctx.settings.zone)
    with session_scope(ctx.sessions) as session:
        zone = Zone(name=f"Cụm {name}")
        slot = Slot(name=name, start=local.time(), duration_s=length_s, zones=[zone])
        session.add_all([zone, slot])
        session.flush()
        return zone.id, slot.id, start


def wait_for(predicate: Callable[[], object], timeout: float = 60.0) -> None:
    deadline = _time.monotonic() + timeout
    while _time.monotonic() < deadline:
        if predicate():
            return
        _time.sleep(0.2)
    raise AssertionError("timed out waiting for the station")


def airlog(ctx: StationContext) -> list[AirLog]:
    with session_scope(ctx.sessions) as session:
        return list(session.scalars(select(AirLog).order_by(AirLog.id)))
