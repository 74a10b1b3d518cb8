"""The bulletin pages (Bản tin): list, write, submit, approve or return, check, listen."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from audio.intelligibility import default_transcriber
from audio.speech import Rendered
from playlists.accounts.roles import Action
from playlists.audit.service import history
from playlists.bulletins import rendering as bulletin_audio
from playlists.bulletins import workflow
from playlists.bulletins.models import BulletinStatus, Priority
from playlists.bulletins.rendering import VOICE_LABELS
from playlists.bulletins.schemas import BulletinCreate
from playlists.bulletins.voices import SAMPLE_TEXT, by_region, catalogue
from playlists.core.errors import DomainError, InputError, NotFound
from playlists.slots.service import list_zones
from web.auth import needs
from web.context import StationContext
from web.deps import ContextDep, SessionDep
from web.formatting import decimal_vn
from web.forms import (
    enum_or_none,
    parse_day,
    parse_float,
    parse_int,
    parse_priority,
    read_model,
)
from web.pages.common import audio_url, back, render
from web.uploads import receive_recording

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)


class BulletinForm(BaseModel):
    """The "Soạn bản tin" form as typed: kept as strings, so a refused form shows them again."""

    title: str = ""
    text: str = ""
    topic: str = "0"
    priority: str = "normal"
    first_day: str = ""
    last_day: str = ""
    per_day: str = "1"
    speed: str = "1"
    voice: str = ""
    zone_ids: list[int] = []
    action: str = "submit"

    def read(self, errors: dict[str, str]) -> BulletinCreate | None:
        """Return the bulletin asked for, or None after noting each wrong field in `errors`."""
        first = parse_day(self.first_day, "first_day", errors, "ngày bắt đầu")
        last = parse_day(self.last_day, "last_day", errors, "ngày kết thúc")
        plays = parse_int(self.per_day, "per_day", errors, "số lượt phát mỗi ngày")
        topic = parse_int(self.topic, "topic", errors, "chủ đề")
        speed = parse_float(self.speed, "speed", errors, "tốc độ đọc")
        priority = parse_priority(self.priority, errors)
        if errors or first is None or last is None:
            return None
        return read_model(
            BulletinCreate, errors,
            title=self.title, text=self.text, topic=topic or 0, priority=priority,
            first_day=first, last_day=last, per_day=plays or 0, zone_ids=self.zone_ids,
            speed=speed or 1.0, voice=self.voice or None, submit=self.action != "draft",
        )  # fmt: skip


def _form(
    request: Request,
    ctx: StationContext,
    session: Session,
    values: BulletinForm,
    errors: dict[str, str],
    status_code: int = 200,
    *,
    editing: int | None = None,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "editing": editing,
        "form_action": f"/ban-tin/{editing}/sua" if editing else "/ban-tin/moi",
        "values": values,
        "errors": errors,
        "topics": workflow.list_topics(session=session),
        "zones": list_zones(session=session),
        "priorities": list(Priority),
        "voice_groups": by_region(catalogue(ctx.speech(session))),
    }
    return render(request, session, "bulletin_form.html", status_code, **context)


@router.get("/ban-tin", dependencies=[needs(Action.READ)], response_class=HTMLResponse)
def bulletin_list(request: Request, session: SessionDep, trang_thai: str = "") -> HTMLResponse:
    status = enum_or_none(BulletinStatus, trang_thai)
    bulletins = workflow.list_bulletins(session=session, status=status)
    return render(
        request, session, "bulletins.html", bulletins=bulletins, status=status,
        statuses=list(BulletinStatus),
    )  # fmt: skip


@router.get(
    "/ban-tin/moi", dependencies=[needs(Action.WRITE_BULLETIN)], response_class=HTMLResponse
)
def bulletin_new(request: Request, ctx: ContextDep, session: SessionDep) -> HTMLResponse:
    today = ctx.today()
    values = BulletinForm(
        first_day=today.isoformat(),
        last_day=(today + timedelta(days=7)).isoformat(),
        speed="1,0",
        topic="8",
        zone_ids=[z.id for z in list_zones(session=session)],
    )
    return _form(request, ctx, session, values, {})


@router.post(
    "/ban-tin/moi",
    dependencies=[needs(Action.WRITE_BULLETIN)],
    response_class=HTMLResponse,
    response_model=None,
)
def bulletin_create(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    form: Annotated[BulletinForm, Form()],
    recording: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse | RedirectResponse:
    errors: dict[str, str] = {}
    data = form.read(errors)
    recorded: Rendered | None = None
    if recording is not None and recording.filename:
        try:
            recorded = receive_recording(ctx, recording.file, recording.filename, session=session)
        except InputError as exc:
            errors.update(exc.errors)
    if errors or data is None:
        return _form(request, ctx, session, form, errors, 422)
    try:
        bulletin = ctx.newsroom(session).create(
            data,
            session=session,
            recording=recorded,
            recording_name=recording.filename if recorded and recording else None,
        )
    except DomainError as exc:
        session.rollback()
        problems = exc.errors if isinstance(exc, InputError) else {"text": exc.message}
        return _form(request, ctx, session, form, problems, 422)
    return RedirectResponse(f"/ban-tin/{bulletin.id}?moi=1", status_code=303)


@router.get(
    "/ban-tin/{bulletin_id}", dependencies=[needs(Action.READ)], response_class=HTMLResponse
)
def bulletin_detail(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    bulletin_id: int,
    loi: str = "",
    moi: str = "",
) -> HTMLResponse:
    try:
        bulletin = workflow.get_bulletin(bulletin_id, session=session)
    except NotFound as exc:
        return render(request, session, "error.html", 404, message=exc.message)
    return render(
        request, session, "bulletin.html", bulletin=bulletin,
        audio_url=audio_url(bulletin.rendering), error=loi,
        voices=VOICE_LABELS | {c.code: c.label for c in catalogue(ctx.speech(session))},
        created=bool(moi), history=history(session, "bulletin", bulletin.id),
    )  # fmt: skip


@router.get(
    "/ban-tin/{bulletin_id}/sua",
    dependencies=[needs(Action.WRITE_BULLETIN)],
    response_class=HTMLResponse,
)
def bulletin_edit_page(
    request: Request, ctx: ContextDep, session: SessionDep, bulletin_id: int
) -> HTMLResponse:
    try:
        bulletin = workflow.get_bulletin(bulletin_id, session=session)
    except NotFound as exc:
        return render(request, session, "error.html", 404, message=exc.message)
    values = BulletinForm(
        title=bulletin.title, text=bulletin.text, topic=str(bulletin.topic.code),
        priority=bulletin.priority.value, first_day=bulletin.first_day.isoformat(),
        last_day=bulletin.last_day.isoformat(), per_day=str(bulletin.per_day),
        speed=decimal_vn(bulletin.speed), voice=bulletin.voice or "",
        zone_ids=[z.id for z in bulletin.zones], action="draft",
    )  # fmt: skip
    return _form(request, ctx, session, values, {}, editing=bulletin.id)


@router.post(
    "/ban-tin/{bulletin_id}/sua",
    dependencies=[needs(Action.WRITE_BULLETIN)],
    response_class=HTMLResponse,
    response_model=None,
)
def bulletin_edit(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    bulletin_id: int,
    form: Annotated[BulletinForm, Form()],
) -> HTMLResponse | RedirectResponse:
    errors: dict[str, str] = {}
    data = form.read(errors)
    if errors or data is None:
        return _form(request, ctx, session, form, errors, 422, editing=bulletin_id)
    try:
        ctx.newsroom(session).edit(bulletin_id, data, session=session)
    except InputError as exc:
        session.rollback()
        return _form(request, ctx, session, form, exc.errors, 422, editing=bulletin_id)
    except DomainError as exc:
        session.rollback()
        return back(f"/ban-tin/{bulletin_id}", error=exc.message)
    return back(f"/ban-tin/{bulletin_id}")


def _decided(session: Session, bulletin_id: int, step: Any) -> Response:
    """Run an editorial step; back to the bulletin, with the refusal's reason if it failed."""
    try:
        step()
    except DomainError as exc:
        session.rollback()
        return back(f"/ban-tin/{bulletin_id}", error=exc.message)
    return back(f"/ban-tin/{bulletin_id}")


@router.post("/ban-tin/{bulletin_id}/gui-duyet", dependencies=[needs(Action.WRITE_BULLETIN)])
def bulletin_submit(ctx: ContextDep, session: SessionDep, bulletin_id: int) -> Response:
    return _decided(
        session, bulletin_id, lambda: ctx.newsroom(session).submit(bulletin_id, session=session)
    )


@router.post("/ban-tin/{bulletin_id}/duyet", dependencies=[needs(Action.APPROVE_BULLETIN)])
def bulletin_approve(
    ctx: ContextDep,
    session: SessionDep,
    bulletin_id: int,
) -> Response:
    return _decided(
        session, bulletin_id, lambda: ctx.newsroom(session).approve(bulletin_id, session=session)
    )


@router.post("/ban-tin/{bulletin_id}/tra-lai", dependencies=[needs(Action.APPROVE_BULLETIN)])
def bulletin_return(
    ctx: ContextDep,
    session: SessionDep,
    bulletin_id: int,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    return _decided(
        session,
        bulletin_id,
        lambda: ctx.newsroom(session).send_back(bulletin_id, session=session, reason=reason),
    )


@router.post("/ban-tin/{bulletin_id}/kiem-tra", dependencies=[needs(Action.CHECK_INTELLIGIBILITY)])
def bulletin_check(ctx: ContextDep, session: SessionDep, bulletin_id: int) -> Response:
    def check() -> object:
        return bulletin_audio.check_audio(
            bulletin_id, session=session, media_dir=ctx.settings.media_dir,
            transcriber=default_transcriber(), now=ctx.now(),
        )  # fmt: skip

    return _decided(session, bulletin_id, check)


@router.get("/am-thanh/{sha256}", dependencies=[needs(Action.READ)])
def audio_file(ctx: ContextDep, session: SessionDep, sha256: str) -> Response:
    rendering = bulletin_audio.find_rendering(sha256, session=session)
    if rendering is None:
        return Response("Không có tệp âm thanh này.", status_code=404)
    # The media type follows the file (MP3 renderings from before, WAV masters now).
    return FileResponse(ctx.settings.media_dir / rendering.file)


@router.get("/giong-doc/mau", dependencies=[needs(Action.WRITE_BULLETIN)])
def voice_sample(ctx: ContextDep, session: SessionDep, giong: str = "") -> Response:
    """A short sample of one of the station's voices, for the form's "Nghe thử" (made once,
    then from the speech cache)."""
    renderer = ctx.speech(session)
    choices = {c.code: c for c in catalogue(renderer)}
    if giong not in choices:
        return Response("Không có giọng đọc này.", 404, media_type="text/plain; charset=utf-8")
    try:
        rendered = renderer.render(SAMPLE_TEXT, voice=giong or None)
    except DomainError as exc:
        return Response(exc.message, 503, media_type="text/plain; charset=utf-8")
    except Exception as exc:  # an AudioError: every engine failed
        log.warning("voice sample %s failed: %s", giong, exc)
        return Response("Chưa đọc được câu mẫu lúc này; hãy thử lại sau.", 503,
                        media_type="text/plain; charset=utf-8")  # fmt: skip
    if giong and rendered.voice != giong:  # its engine failed: another voice is no sample
        said = " ".join(rendered.reasons) or "bộ đọc của giọng này không trả lời."
        return Response(f"Giọng này đang không dùng được: {said}", 503,
                        media_type="text/plain; charset=utf-8")  # fmt: skip
    return FileResponse(rendered.path, media_type="audio/wav",
                        headers={"Cache-Control": "private, max-age=3600"})  # fmt: skip
