"""The city in the JSON API: every ward's figures side by side, one emergency to many wards."""

from __future__ import annotations

import logging
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from audio.errors import AudioError
from playlists.accounts.actor import Actor
from playlists.accounts.roles import Action
from playlists.core.errors import InputError
from playlists.core.text import MultiLine, OneLine
from playlists.emergencies import service as emergencies
from playlists.emergencies.service import EmergencyDraft
from web.auth import needs, password_refusal
from web.city import send_to_wards, summary_json
from web.deps import ContextDep, SessionDep
from web.reporting import asked_window

log = logging.getLogger(__name__)
router = APIRouter()


@router.get(
    "/city/summary",
    dependencies=[needs(Action.CITY_REPORT)],
    summary="Số liệu tổng hợp của các phường",
    description="Lượt phát và thời lượng của từng phường theo nội dung tuyên truyền trong kỳ; "
    "các nội dung của kế hoạch mà phường chưa phát lần nào.",
)
def city_summary(
    ctx: ContextDep,
    period: Annotated[str, Query(max_length=32, description="Kỳ, ví dụ 2026-Q4")] = "",
    first: Annotated[date | None, Query(alias="from")] = None,
    last: Annotated[date | None, Query(alias="to")] = None,
    windows: Annotated[str, Query(max_length=16, description="decree hoặc calendar")] = "",
) -> dict[str, Any]:
    window = asked_window(ctx, period, first, last, windows)
    return summary_json(ctx.city_summary(window, web=True))


class CityEmergency(BaseModel):
    title: OneLine = Field(default="", max_length=200, description="Tiêu đề trong nhật ký")
    text: MultiLine = Field(description="Nội dung, máy đọc bằng giọng ngoại tuyến")
    wards: list[OneLine] = Field(default_factory=list, description="Mã các phường")
    all_wards: bool = Field(default=False, description="Mọi phường")
    repeat: int = Field(default=1, description="Số lần phát")
    every_min: float = Field(default=0.0, description="Cách nhau bao nhiêu phút")
    password: str = Field(
        default="", max_length=1000,
        description="Mật khẩu của người gửi: bắt buộc khi gọi bằng phiên đăng nhập của trang web",
    )  # fmt: skip


class WardSentRead(BaseModel):
    ward: str = Field(description="Mã phường")
    name: str = Field(description="Tên phường")
    emergency_id: int | None = Field(description="Số tin khẩn cấp tại phường (trống: không gửi)")
    refusal: str = Field(description="Lý do phường không gửi được")


@router.post(
    "/city/emergencies",
    response_model=list[WardSentRead],
    summary="Phát khẩn cấp cho nhiều phường cùng lúc",
    description="Mỗi phường nhận tin trên mọi cụm loa của mình và ghi vào nhật ký của mình; "
    "phường nào từ chối thì trả lời kèm lý do, các phường khác vẫn phát.",
)
def city_emergency(
    request: Request,
    body: CityEmergency,
    ctx: ContextDep,
    session: SessionDep,
    actor: Annotated[Actor, needs(Action.CITY_EMERGENCY)],
) -> list[WardSentRead] | JSONResponse:
    if refusal := password_refusal(request, ctx, session, actor, body.password):
        return JSONResponse({"detail": refusal}, status_code=403)
    wards = [code for code, _ in ctx.ward_names()] if body.all_wards else list(body.wards)
    wards = list(dict.fromkeys(wards))  # a ward named twice is told once
    if not wards:
        raise InputError({"wards": "Cần chọn ít nhất một phường, hoặc mọi phường."})
    draft = EmergencyDraft(
        requested_by=actor.display_name, text=body.text, title=body.title,
        repeat=body.repeat, every_min=body.every_min,
    )  # fmt: skip
    errors = emergencies.check_draft(draft, max_text_chars=ctx.settings.max_text_chars)
    if errors:
        raise InputError(errors)
    try:
        sent = send_to_wards(ctx, actor, draft, wards)
    except AudioError as exc:
        log.error("city emergency speech failed: %s", exc.detail)
        raise HTTPException(503, exc.user_message) from exc
    return [
        WardSentRead(ward=s.ward, name=s.name, emergency_id=s.emergency_id, refusal=s.refusal)
        for s in sent
    ]
