"""Emergencies in the JSON API: send one (it cuts into the air), list them, stop repeats."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from audio.errors import AudioError, AudioInputError
from playlists.accounts.actor import Actor
from playlists.accounts.roles import Action
from playlists.core.bounds import Id, ZoneIds
from playlists.core.errors import InputError
from playlists.core.text import MultiLine, OneLine
from playlists.emergencies import service as emergencies
from playlists.emergencies.schemas import EmergencyRead
from playlists.emergencies.service import EmergencyDraft
from web.auth import needs, password_refusal
from web.deps import ContextDep, SessionDep

log = logging.getLogger(__name__)
router = APIRouter()


class EmergencyCreate(BaseModel):
    title: OneLine = Field(default="", max_length=200, description="Tiêu đề trong nhật ký")
    text: MultiLine = Field(default="", description="Nội dung, máy đọc bằng giọng ngoại tuyến")
    zone_ids: ZoneIds = Field(default_factory=list, description="Trống: mọi cụm loa")
    repeat: int = Field(default=1, description="Số lần phát")
    every_min: float = Field(default=0.0, description="Cách nhau bao nhiêu phút")
    requested_by: OneLine = Field(
        default="", max_length=100, description="Người yêu cầu (trống: người gửi)"
    )
    password: str = Field(
        default="", max_length=1000,
        description="Mật khẩu của người gửi, để xác nhận: bắt buộc khi gọi bằng phiên đăng nhập "
        "của trang web (không cần với mã API)",
    )  # fmt: skip


@router.get("/emergencies", dependencies=[needs(Action.READ)], summary="Các tin khẩn cấp gần đây")
def emergency_list(
    session: SessionDep, limit: Annotated[int, Query(ge=1, le=200)] = 20
) -> list[EmergencyRead]:
    return [EmergencyRead.model_validate(e) for e in emergencies.recent(session, limit=limit)]


@router.post(
    "/emergencies",
    status_code=201,
    response_model=EmergencyRead,
    summary="Phát khẩn cấp (ngắt chương trình đang phát)",
    description=(
        "Đài phát trong vài giây, ngắt chương trình đang phát trên các cụm loa đã chọn "
        "(trống: mọi cụm loa). Gọi bằng phiên đăng nhập của trang web thì phải kèm mật khẩu."
    ),
)
def emergency_create(
    request: Request,
    body: EmergencyCreate,
    ctx: ContextDep,
    session: SessionDep,
    actor: Annotated[Actor, needs(Action.SEND_EMERGENCY)],
) -> EmergencyRead | JSONResponse:
    # A browser's session (someone at an unlocked screen) confirms as the page does.
    if refusal := password_refusal(request, ctx, session, actor, body.password):
        return JSONResponse({"detail": refusal}, status_code=403)
    draft = EmergencyDraft(
        requested_by=body.requested_by or actor.display_name, text=body.text, title=body.title,
        zone_ids=body.zone_ids, repeat=body.repeat, every_min=body.every_min,
    )  # fmt: skip
    try:
        emergency = ctx.send_emergency(session, draft)
    except AudioInputError as exc:
        raise InputError({"text": exc.user_message}) from exc
    except AudioError as exc:
        log.error("emergency speech failed: %s", exc.detail)
        raise HTTPException(503, exc.user_message) from exc
    log.warning("emergency %s requested through the API by %s", emergency.id, draft.requested_by)
    return EmergencyRead.model_validate(emergency)


@router.post(
    "/emergencies/{emergency_id}/cancel",
    dependencies=[needs(Action.SEND_EMERGENCY)],
    summary="Dừng các lần phát còn lại của một tin khẩn cấp",
)
def emergency_cancel(emergency_id: Id, ctx: ContextDep, session: SessionDep) -> EmergencyRead:
    return EmergencyRead.model_validate(emergencies.cancel(session, emergency_id))
