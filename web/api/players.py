"""What players at the loudspeakers fetch and send (`loa player`), and the players as staff see
them. A player signs in with an API token of a user holding the player role."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from playlists.accounts.actor import Actor
from playlists.accounts.roles import Action
from playlists.bulletins.models import Rendering
from playlists.core.bounds import Day
from playlists.core.errors import NotFound
from playlists.emergencies.models import Emergency
from playlists.replica import fleet, snapshot
from playlists.replica.uploads import AsRunBatch, PlayerAlerts, ingest, take_alerts
from scheduler.edge.messages import topic_for
from web.auth import needs
from web.deps import ContextDep, SessionDep

router = APIRouter()

Sha256 = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")]


@router.get("/player/snapshot", summary="Lịch phát các ngày tới cho máy phát")
def player_snapshot(
    ctx: ContextDep,
    session: SessionDep,
    _actor: Annotated[Actor, needs(Action.SYNC_PLAYER)],
    days: Annotated[int, Query(ge=1, le=snapshot.MAX_DAYS)] = 3,
    first: Annotated[Day | None, Query(alias="from")] = None,
) -> dict[str, Any]:
    """The zones, slots and plans of `days` days from today, with the audio they need."""
    now = ctx.now()
    taken = snapshot.take(session, first_day=first or ctx.today(), days=days, now=now)
    # The first level of the ward's broker topics: a player set to another hears nothing.
    code = topic_for(ctx.ward_code, ctx.settings)
    return taken | {"server_time": now.isoformat(), "station_code": code}


@router.get(
    "/player/audio/{sha256}",
    summary="Tệp âm thanh theo mã SHA-256",
    response_class=FileResponse,
    responses={200: {"description": "WAV", "content": {"audio/wav": {}}}},
)
def player_audio(
    ctx: ContextDep,
    session: SessionDep,
    sha256: Sha256,
    _actor: Annotated[Actor, needs(Action.SYNC_PLAYER)],
) -> FileResponse:
    """A rendering's or an emergency's mastered audio; the player checks its SHA-256."""
    file = session.scalar(select(Rendering.file).where(Rendering.sha256 == sha256).limit(1))
    if file is None:
        file = session.scalar(
            select(Emergency.audio_file).where(Emergency.audio_sha256 == sha256).limit(1)
        )
    media = ctx.settings.media_dir.resolve()
    path = (media / file).resolve() if file else None
    if path is None or not path.is_relative_to(media) or not path.is_file():
        raise NotFound("Không có tệp âm thanh này.", f"no audio {sha256}")
    return FileResponse(path, media_type="audio/wav")


class Received(BaseModel):
    """How many of the rows sent were new to the station's log."""

    received: int
    sent: int


@router.post("/player/asrun", summary="Máy phát gửi nhật ký phát sóng")
def player_asrun(
    ctx: ContextDep,
    session: SessionDep,
    body: AsRunBatch,
    actor: Annotated[Actor, needs(Action.SYNC_PLAYER)],
) -> Received:
    """Append the rows not received yet, in the order sent; sending again is harmless."""
    added = ingest(session, player=actor.username, rows=body.rows, now=ctx.now())
    return Received(received=added, sent=len(body.rows))


@router.post("/player/alerts", summary="Máy phát gửi cảnh báo của mình")
def player_alerts(
    session: SessionDep,
    body: PlayerAlerts,
    actor: Annotated[Actor, needs(Action.SYNC_PLAYER)],
) -> Received:
    """Raise the player's alerts here, each naming the player (one still showing, not twice)."""
    added = take_alerts(session, player=actor.username, alerts=body.alerts)
    return Received(received=added, sent=len(body.alerts))


class PlayerRead(BaseModel):
    """A player as the station last heard of it, and what is wrong with it."""

    name: str
    online: bool
    last_seen_at: datetime | None
    horizon: date | None
    last_sync_at: datetime | None
    clock_offset_ms: float | None
    outputs: list[str]
    pending_rows: int
    version: str
    worries: list[str]
    silent: bool = Field(description="Mất liên lạc: có thể gỡ khỏi danh sách")


@router.get("/players", dependencies=[needs(Action.READ)], summary="Các máy phát tại cụm loa")
def players_list(ctx: ContextDep, session: SessionDep) -> list[PlayerRead]:
    return player_rows(ctx, session)


@router.delete(
    "/players/{name}",
    dependencies=[needs(Action.MANAGE_SLOTS)],
    status_code=204,
    summary="Gỡ một máy phát không còn dùng khỏi danh sách",
    description="Chỉ gỡ được máy phát đã mất liên lạc; cảnh báo mất liên lạc của nó được xử lý.",
)
def player_retire(name: str, ctx: ContextDep, session: SessionDep) -> None:
    fleet.retire(session, name, now=ctx.now(), silent_after=ctx.settings.edge.silent_after)


def player_rows(ctx: ContextDep, session: SessionDep) -> list[PlayerRead]:
    """Every player with its worries (the page shows the same)."""
    found = fleet.players(session)
    settings = ctx.settings.edge
    now = ctx.now()
    worries = fleet.worries(
        found, now=now, tz=ctx.settings.zone, silent_after=settings.silent_after,
        sync_every=settings.sync_every,
    )  # fmt: skip
    said: dict[str, list[str]] = {}
    for worry in worries:
        said.setdefault(worry.player, []).append(worry.message)
    return [
        PlayerRead(
            name=p.name,
            online=p.online,
            last_seen_at=p.last_seen_at,
            horizon=p.horizon,
            last_sync_at=p.last_sync_at,
            clock_offset_ms=p.clock_offset_ms,
            outputs=list(p.outputs),
            pending_rows=p.pending_rows,
            version=p.version,
            worries=said.get(p.name, []),
            silent=fleet.is_silent(p, now=now, silent_after=settings.silent_after),
        )
        for p in found
    ]
