"""The JSON API under /api: the same operations as the pages, for scripts and other tools."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, UploadFile
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, ConfigDict, Field, computed_field

from audio.errors import AudioError, AudioInputError
from audio.intelligibility import default_transcriber
from playlists import emergencies, service
from playlists import slots as slot_service
from playlists.alerts import active_alerts, clear_alert
from playlists.errors import InputError, NotFound, StateError
from playlists.lexicon import readings, reset_reading, set_reading
from playlists.models import (
    AirSource,
    AirStatus,
    Alert,
    AlertKind,
    BulletinStatus,
    Emergency,
    EmergencyStatus,
)
from playlists.plans import plan_as_json, read_plan
from playlists.reports import AirLogFilter, airlog_csv, airlog_filename, query_airlog
from playlists.schemas import (
    AirLogRead,
    BulletinCreate,
    BulletinRead,
    Decision,
    ReadingRead,
    ReadingWrite,
    SlotRead,
    SpeakRequest,
    TopicRead,
    ZoneRead,
)
from web.deps import ContextDep, SessionDep
from web.forms import pin_refusal, receive_recording

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["api"])


def _read(bulletin: Any) -> BulletinRead:
    out = BulletinRead.model_validate(bulletin)
    if bulletin.rendering is not None:
        out.audio_url = f"/api/bulletins/{bulletin.id}/audio"
    return out


@router.get("/zones", response_model=list[ZoneRead], summary="Danh sách cụm loa")
def zones(session: SessionDep) -> Any:
    return service.list_zones(session=session)


@router.get("/topics", response_model=list[TopicRead], summary="Danh sách chủ đề")
def topics(session: SessionDep) -> Any:
    return service.list_topics(session=session)


@router.get("/slots", response_model=list[SlotRead], summary="Danh sách khung giờ")
def slots(session: SessionDep) -> Any:
    return slot_service.list_slots(session=session)


@router.get("/bulletins", response_model=list[BulletinRead], summary="Danh sách bản tin")
def bulletins(session: SessionDep, status: BulletinStatus | None = None) -> Any:
    return [_read(b) for b in service.list_bulletins(session=session, status=status)]


@router.post(
    "/bulletins", response_model=BulletinRead, status_code=201, summary="Tạo bản tin (văn bản)"
)
def create_bulletin(data: BulletinCreate, ctx: ContextDep, session: SessionDep) -> Any:
    return _read(ctx.create_bulletin(data, session=session))


@router.post(
    "/bulletins/recording",
    response_model=BulletinRead,
    status_code=201,
    summary="Tạo bản tin từ bản ghi âm",
    description=(
        "Gửi multipart: trường `data` là JSON của BulletinCreate, trường `file` là tệp ghi âm."
    ),
)
def create_bulletin_from_recording(
    ctx: ContextDep,
    session: SessionDep,
    data: Annotated[str, Form()],
    file: Annotated[UploadFile, File()],
) -> Any:
    try:
        parsed = BulletinCreate.model_validate(json.loads(data))
    except (ValueError, TypeError) as exc:
        raise InputError({"data": f"Trường data không phải JSON hợp lệ: {exc}"}) from exc
    recorded = receive_recording(ctx, file.file, file.filename or "ghi-am", session=session)
    bulletin = ctx.create_bulletin(
        parsed, session=session, recording=recorded, recording_name=file.filename
    )
    return _read(bulletin)


@router.get("/bulletins/{bulletin_id}", response_model=BulletinRead, summary="Một bản tin")
def bulletin(bulletin_id: int, session: SessionDep) -> Any:
    return _read(service.get_bulletin(bulletin_id, session=session))


@router.get("/bulletins/{bulletin_id}/audio", summary="Âm thanh của bản tin")
def bulletin_audio(bulletin_id: int, ctx: ContextDep, session: SessionDep) -> Any:
    found = service.get_bulletin(bulletin_id, session=session)
    if found.rendering is None:
        raise HTTPException(404, "Bản tin chưa có âm thanh.")
    return FileResponse(ctx.settings.media_dir / found.rendering.file)


@router.post("/bulletins/{bulletin_id}/submit", response_model=BulletinRead, summary="Gửi duyệt")
def submit(bulletin_id: int, ctx: ContextDep, session: SessionDep) -> Any:
    return _read(ctx.submit(bulletin_id, session=session))


@router.post("/bulletins/{bulletin_id}/approve", response_model=BulletinRead, summary="Duyệt")
def approve(bulletin_id: int, decision: Decision, ctx: ContextDep, session: SessionDep) -> Any:
    found = ctx.approve(bulletin_id, session=session, approver=decision.approver)
    session.commit()
    ctx.bulletins_changed()
    return _read(found)


@router.post("/bulletins/{bulletin_id}/return", response_model=BulletinRead, summary="Trả lại")
def return_to_editor(
    bulletin_id: int, decision: Decision, ctx: ContextDep, session: SessionDep
) -> Any:
    found = service.return_to_editor(
        bulletin_id,
        session=session,
        approver=decision.approver,
        reason=decision.reason,
        now=ctx.now(),
    )
    return _read(found)


@router.post(
    "/bulletins/{bulletin_id}/check",
    response_model=BulletinRead,
    summary="Kiểm tra độ rõ của bản đọc (máy nhận dạng nghe lại)",
)
def check(bulletin_id: int, ctx: ContextDep, session: SessionDep) -> Any:
    service.check_audio(
        bulletin_id,
        session=session,
        media_dir=ctx.settings.media_dir,
        transcriber=default_transcriber(),
        now=ctx.now(),
    )
    return _read(service.get_bulletin(bulletin_id, session=session))


@router.get("/plan/{day}", summary="Lịch phát của một ngày")
def plan(day: date, ctx: ContextDep, session: SessionDep) -> dict[str, Any]:
    view = read_plan(session=session, day=day, tz=ctx.settings.zone)
    return plan_as_json(view, ctx.settings.zone)


@router.post("/plan/{day}/build", summary="Lập lịch phát cho một ngày")
def build_plan(day: date, ctx: ContextDep) -> dict[str, Any]:
    ctx.station.build_plan(day)
    with ctx.sessions() as session:
        view = read_plan(session=session, day=day, tz=ctx.settings.zone)
        return plan_as_json(view, ctx.settings.zone)


def airlog_filter(
    first: Annotated[date, Query(alias="from")],
    last: Annotated[date, Query(alias="to")],
    zone_id: int | None = None,
    status: AirStatus | None = None,
    source: AirSource | None = None,
) -> AirLogFilter:
    """Read the as-run log filter shared by the JSON and CSV endpoints."""
    if last < first:
        raise InputError({"to": "Ngày kết thúc phải bằng hoặc sau ngày bắt đầu."})
    return AirLogFilter(first, last, zone_id, status, source)


AirLogFilterDep = Annotated[AirLogFilter, Depends(airlog_filter)]


@router.get("/airlog", response_model=list[AirLogRead], summary="Nhật ký phát sóng")
def airlog(ctx: ContextDep, session: SessionDep, filt: AirLogFilterDep) -> Any:
    return query_airlog(session=session, filt=filt, tz=ctx.settings.zone)


@router.get("/airlog.csv", summary="Nhật ký phát sóng (CSV cho Excel)")
def airlog_export(ctx: ContextDep, session: SessionDep, filt: AirLogFilterDep) -> Response:
    rows = query_airlog(session=session, filt=filt, tz=ctx.settings.zone)
    return Response(
        airlog_csv(rows, tz=ctx.settings.zone),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{airlog_filename(filt)}"'},
    )


@router.get("/lexicon", response_model=list[ReadingRead], summary="Từ điển chữ viết tắt")
def lexicon(session: SessionDep) -> Any:
    return [
        ReadingRead(written=r.written, spoken=r.spoken, builtin=r.builtin, source=r.source)
        for r in readings(session=session)
    ]


@router.put("/lexicon/{written}", response_model=ReadingRead, summary="Thêm hoặc sửa cách đọc")
def lexicon_set(written: str, body: ReadingWrite, ctx: ContextDep, session: SessionDep) -> Any:
    set_reading(written, body.spoken, session=session, by=body.by, now=ctx.now())
    session.commit()
    ctx.lexicon_changed()
    found = next(r for r in readings(session=session) if r.written == written.strip())
    return ReadingRead(
        written=found.written, spoken=found.spoken, builtin=found.builtin, source=found.source
    )


@router.delete("/lexicon/{written}", status_code=204, summary="Về cách đọc mặc định")
def lexicon_reset(written: str, ctx: ContextDep, session: SessionDep) -> Response:
    reset_reading(written, session=session)
    session.commit()
    ctx.lexicon_changed()
    return Response(status_code=204)


@router.post("/spoken-form", summary="Văn bản sẽ được đọc như thế nào")
def spoken_form(body: SpeakRequest, ctx: ContextDep) -> dict[str, str]:
    return {"spoken": ctx.renderer.spoken_form(body.text)}


# --- alerts and emergencies ---------------------------------------------------------------


class AlertRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    raised_at: datetime
    kind: AlertKind
    zone_name: str
    message: str
    detail: str
    cleared_at: datetime | None
    cleared_by: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def kind_label(self) -> str:
        return self.kind.label


class AlertClear(BaseModel):
    by: str = Field(default="", max_length=100, description="Người đã xử lý cảnh báo")


@router.get("/alerts", response_model=list[AlertRead], summary="Cảnh báo chưa xử lý")
def alerts(session: SessionDep) -> Any:
    return active_alerts(session, limit=200)


@router.post(
    "/alerts/{alert_id}/clear", response_model=AlertRead, summary="Đánh dấu cảnh báo đã xử lý"
)
def alert_clear(alert_id: int, body: AlertClear, ctx: ContextDep, session: SessionDep) -> Any:
    if not body.by.strip():
        raise InputError({"by": "Cần tên người đã xử lý cảnh báo."})
    if not clear_alert(session, alert_id, by=body.by.strip(), now=ctx.now()):
        raise NotFound(f"Không có cảnh báo số {alert_id}.")
    session.commit()
    return session.get(Alert, alert_id)


class EmergencyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    created_at: datetime
    requested_by: str
    title: str
    text: str
    duration_s: float
    zone_ids: list[int] = Field(description="Cụm loa; trống là mọi cụm loa")
    repeat: int
    every_min: float
    plays_done: int
    next_at: datetime | None
    status: EmergencyStatus
    reason: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status_label(self) -> str:
        return self.status.label


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


@router.get("/emergencies", response_model=list[EmergencyRead], summary="Các tin khẩn cấp gần đây")
def emergency_list(session: SessionDep, limit: Annotated[int, Query(ge=1, le=200)] = 20) -> Any:
    return emergencies.recent(session, limit=limit)


@router.post(
    "/emergencies",
    response_model=EmergencyRead,
    status_code=201,
    summary="Phát khẩn cấp (ngắt chương trình đang phát)",
    description=(
        "Cần mã PIN trực ban (LOA_OPERATOR_PIN) và tên người yêu cầu. Đài phát trong vài giây, "
        "ngắt chương trình đang phát trên các cụm loa đã chọn (trống: mọi cụm loa)."
    ),
)
def emergency_create(body: EmergencyCreate, ctx: ContextDep) -> Emergency:
    _check_pin(ctx, body.pin)
    if not body.requested_by.strip():
        raise InputError({"requested_by": "Cần tên người yêu cầu phát."})
    try:
        emergency = ctx.request_emergency(
            title=body.title.strip(), text=body.text, zone_ids=body.zone_ids,
            repeat=body.repeat, every_min=body.every_min,
            requested_by=body.requested_by.strip(),
        )  # fmt: skip
    except AudioInputError as exc:
        raise InputError({"text": exc.user_message}) from exc
    except AudioError as exc:
        log.error("emergency speech failed: %s", exc.detail)
        raise HTTPException(503, exc.user_message) from exc
    log.warning("emergency %s requested through the API by %s", emergency.id, body.requested_by)
    return emergency


@router.post(
    "/emergencies/{emergency_id}/cancel",
    response_model=EmergencyRead,
    summary="Dừng các lần phát còn lại của một tin khẩn cấp",
)
def emergency_cancel(
    emergency_id: int, body: OperatorPin, ctx: ContextDep, session: SessionDep
) -> Any:
    _check_pin(ctx, body.pin)
    found = session.get(Emergency, emergency_id)
    if found is None:
        raise NotFound(f"Không có tin khẩn cấp số {emergency_id}.")
    if not emergencies.cancel(session, emergency_id):
        raise StateError(f"Tin khẩn cấp số {emergency_id} không còn lần phát nào để dừng.")
    session.commit()
    return found
