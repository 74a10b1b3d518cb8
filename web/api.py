"""The JSON API under /api: the same operations as the pages, for scripts and other tools."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, UploadFile
from fastapi.responses import FileResponse, Response

from audio.intelligibility import default_transcriber
from playlists import service
from playlists import slots as slot_service
from playlists.errors import InputError
from playlists.lexicon import readings, reset_reading, set_reading
from playlists.models import AirSource, AirStatus, BulletinStatus
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
from web.forms import receive_recording

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
