"""Emergencies in the JSON API: send one (it cuts into the air), list them, stop repeats."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from audio.errors import AudioError, AudioInputError
from playlists.core.errors import InputError
from playlists.emergencies import service as emergencies
from playlists.emergencies.schemas import EmergencyRead
from playlists.emergencies.service import EmergencyDraft
from web.deps import ContextDep, SessionDep
from web.forms import pin_refusal

log = logging.getLogger(__name__)
router = APIRouter()


class EmergencyCreate(BaseModel):
    title: str = Field(default="", max_length=200, description="Tiêu đề trong nhật ký")
    text: str = Field(default="", description="Nội dung, máy đọc bằng giọng ngoại tuyến")
    zone_ids: list[int] = Field(default_factory=list, description="Trống: mọi cụm loa")
    repeat: int = Field(default=1, description="Số lần phát")
    every_min: float = Field(default=0.0, description="Cách nhau bao nhiêu phút")
    requested_by: str = Field(default="", max_length=100, description="Người yêu cầu")
    pin: str = Field(default="", description="Mã PIN trực ban (LOA_OPERATOR_PIN)")


class OperatorPin(BaseModel):
    pin: str = Field(default="", description="Mã PIN trực ban (LOA_OPERATOR_PIN)")


def _check_pin(ctx: ContextDep, pin: str) -> None:
    refusal = pin_refusal(ctx.settings.operator_pin, pin.strip())
    if refusal:
        raise HTTPException(403, refusal)


@router.get("/emergencies", summary="Các tin khẩn cấp gần đây")
def emergency_list(
    session: SessionDep, limit: Annotated[int, Query(ge=1, le=200)] = 20
) -> list[EmergencyRead]:
    return [EmergencyRead.model_validate(e) for e in emergencies.recent(session, limit=limit)]


@router.post(
    "/emergencies",
    status_code=201,
    summary="Phát khẩn cấp (ngắt chương trình đang phát)",
    description=(
        "Cần mã PIN trực ban (LOA_OPERATOR_PIN) và tên người yêu cầu. Đài phát trong vài giây, "
        "ngắt chương trình đang phát trên các cụm loa đã chọn (trống: mọi cụm loa)."
    ),
)
def emergency_create(body: EmergencyCreate, ctx: ContextDep, session: SessionDep) -> EmergencyRead:
    _check_pin(ctx, body.pin)
    draft = EmergencyDraft(
        requested_by=body.requested_by, text=body.text, title=body.title,
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
    summary="Dừng các lần phát còn lại của một tin khẩn cấp",
)
def emergency_cancel(
    emergency_id: int, body: OperatorPin, ctx: ContextDep, session: SessionDep
) -> EmergencyRead:
    _check_pin(ctx, body.pin)
    return EmergencyRead.model_validate(emergencies.cancel(session, emergency_id))
