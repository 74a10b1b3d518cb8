"""Bulletins in the JSON API: write, submit, approve or return, check, listen."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import FileResponse

from audio.intelligibility import default_transcriber
from playlists.accounts.roles import Action
from playlists.audit.schemas import AuditRead
from playlists.audit.service import history
from playlists.bulletins import rendering as bulletin_rendering
from playlists.bulletins import workflow
from playlists.bulletins.models import Bulletin, BulletinStatus
from playlists.bulletins.schemas import BulletinCreate, BulletinRead, Decision, TopicRead
from playlists.core.bounds import Id
from playlists.core.errors import InputError, NotFound
from web.auth import needs
from web.deps import ContextDep, SessionDep
from web.uploads import receive_recording

router = APIRouter()


def _read(bulletin: Bulletin) -> BulletinRead:
    out = BulletinRead.model_validate(bulletin)
    if bulletin.rendering is not None:
        out.audio_url = f"/api/bulletins/{bulletin.id}/audio"
    return out


@router.get("/topics", dependencies=[needs(Action.READ)], summary="Danh sách chủ đề")
def topics(session: SessionDep) -> list[TopicRead]:
    return [TopicRead.model_validate(t) for t in workflow.list_topics(session=session)]


@router.get("/bulletins", dependencies=[needs(Action.READ)], summary="Danh sách bản tin")
def bulletins(session: SessionDep, status: BulletinStatus | None = None) -> list[BulletinRead]:
    return [_read(b) for b in workflow.list_bulletins(session=session, status=status)]


@router.post(
    "/bulletins",
    dependencies=[needs(Action.WRITE_BULLETIN)],
    status_code=201,
    summary="Tạo bản tin (văn bản)",
)
def create_bulletin(data: BulletinCreate, ctx: ContextDep, session: SessionDep) -> BulletinRead:
    return _read(ctx.newsroom(session).create(data, session=session))


@router.post(
    "/bulletins/recording",
    dependencies=[needs(Action.UPLOAD_RECORDING)],
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
) -> BulletinRead:
    try:
        parsed = BulletinCreate.model_validate(json.loads(data))
    except (ValueError, TypeError) as exc:
        raise InputError({"data": f"Trường data không phải JSON hợp lệ: {exc}"}) from exc
    recorded = receive_recording(ctx, file.file, file.filename or "ghi-am", session=session)
    bulletin = ctx.newsroom(session).create(
        parsed, session=session, recording=recorded, recording_name=file.filename
    )
    return _read(bulletin)


@router.put(
    "/bulletins/{bulletin_id}",
    dependencies=[needs(Action.WRITE_BULLETIN)],
    summary="Sửa bản tin (bản tin đã gửi duyệt hoặc đã duyệt trở về nháp)",
)
def edit_bulletin(
    bulletin_id: Id, data: BulletinCreate, ctx: ContextDep, session: SessionDep
) -> BulletinRead:
    return _read(ctx.newsroom(session).edit(bulletin_id, data, session=session))


@router.get(
    "/bulletins/{bulletin_id}/history",
    dependencies=[needs(Action.READ)],
    summary="Lịch sử thao tác trên một bản tin",
)
def bulletin_history(bulletin_id: Id, session: SessionDep) -> list[AuditRead]:
    workflow.get_bulletin(bulletin_id, session=session)
    return [AuditRead.model_validate(e) for e in history(session, "bulletin", bulletin_id)]


@router.get("/bulletins/{bulletin_id}", dependencies=[needs(Action.READ)], summary="Một bản tin")
def bulletin(bulletin_id: Id, session: SessionDep) -> BulletinRead:
    return _read(workflow.get_bulletin(bulletin_id, session=session))


@router.get(
    "/bulletins/{bulletin_id}/audio",
    dependencies=[needs(Action.READ)],
    summary="Âm thanh của bản tin",
    response_class=FileResponse,
    responses={
        200: {
            "description": "WAV (MP3 nếu làm từ trước)",
            "content": {"audio/wav": {}, "audio/mpeg": {}},
        }
    },
)
def bulletin_audio(bulletin_id: Id, ctx: ContextDep, session: SessionDep) -> FileResponse:
    found = workflow.get_bulletin(bulletin_id, session=session)
    if found.rendering is None:
        raise NotFound("Bản tin chưa có âm thanh.", f"bulletin {bulletin_id} has no audio")
    return FileResponse(ctx.settings.media_dir / found.rendering.file)


@router.post(
    "/bulletins/{bulletin_id}/submit",
    dependencies=[needs(Action.WRITE_BULLETIN)],
    summary="Gửi duyệt",
)
def submit(bulletin_id: Id, ctx: ContextDep, session: SessionDep) -> BulletinRead:
    return _read(ctx.newsroom(session).submit(bulletin_id, session=session))


@router.post(
    "/bulletins/{bulletin_id}/approve",
    dependencies=[needs(Action.APPROVE_BULLETIN)],
    summary="Duyệt",
)
def approve(bulletin_id: Id, ctx: ContextDep, session: SessionDep) -> BulletinRead:
    return _read(ctx.newsroom(session).approve(bulletin_id, session=session))


@router.post(
    "/bulletins/{bulletin_id}/return",
    dependencies=[needs(Action.APPROVE_BULLETIN)],
    summary="Trả lại",
)
def return_to_editor(
    bulletin_id: Id, decision: Decision, ctx: ContextDep, session: SessionDep
) -> BulletinRead:
    found = ctx.newsroom(session).send_back(bulletin_id, session=session, reason=decision.reason)
    return _read(found)


@router.post(
    "/bulletins/{bulletin_id}/check",
    dependencies=[needs(Action.CHECK_INTELLIGIBILITY)],
    summary="Kiểm tra độ rõ của bản đọc (máy nhận dạng nghe lại)",
)
def check(bulletin_id: Id, ctx: ContextDep, session: SessionDep) -> BulletinRead:
    bulletin_rendering.check_audio(
        bulletin_id,
        session=session,
        media_dir=ctx.settings.media_dir,
        transcriber=default_transcriber(),
        now=ctx.now(),
    )
    return _read(workflow.get_bulletin(bulletin_id, session=session))
