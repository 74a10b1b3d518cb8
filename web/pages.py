"""Server-rendered pages in Vietnamese for editors, approvers and operators."""

from __future__ import annotations

import logging
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from audio.errors import AudioError
from audio.intelligibility import default_transcriber
from audio.speech import Rendered
from playlists import emergencies, service
from playlists import slots as slot_service
from playlists.alerts import active_alerts, clear_alert
from playlists.db import session_scope
from playlists.errors import DomainError, InputError, NotFound
from playlists.exports import plan_m3u8
from playlists.lexicon import readings, reset_reading, set_reading
from playlists.models import (
    AirStatus,
    Alert,
    Bulletin,
    BulletinStatus,
    Emergency,
    EmergencyStatus,
    Priority,
    Rendering,
)
from playlists.plans import read_plan
from playlists.reports import AirLogFilter, airlog_csv, airlog_filename, query_airlog
from playlists.schemas import BulletinCreate
from playlists.speech import VOICE_LABELS
from web import formatting
from web.context import StationContext
from web.deps import ContextDep, SessionDep
from web.forms import (
    enum_or_none,
    parse_day,
    parse_float,
    parse_int,
    parse_priority,
    pin_refusal,
    receive_recording,
    spooled_upload,
)

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.filters["mmss"] = formatting.mmss
templates.env.filters["vn_date"] = formatting.vn_date
templates.env.filters["weekday"] = formatting.weekday_name
templates.env.filters["days_label"] = formatting.days_label
templates.env.filters["decimal"] = formatting.decimal_vn

OFFLINE_ENGINES = {"espeak-ng"}


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a template with the station's time zone at hand."""
    ctx = request.app.state.ctx
    tz = ctx.settings.zone
    context.setdefault("today", ctx.today())
    context["lt"] = lambda value, fmt="%H:%M:%S": formatting.local_time(value, tz, fmt)
    context["offline_engines"] = OFFLINE_ENGINES
    context["alert_banner"] = alert_banner(ctx)
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def alert_banner(ctx: StationContext) -> tuple[int, str] | None:
    """Count the active alerts and read the newest one's message, in one small query.

    The banner is on every page, so a failure here is logged and the page shows without it.
    """
    try:
        with session_scope(ctx.sessions) as session:
            row = session.execute(
                select(func.count().over(), Alert.message)
                .where(Alert.cleared_at.is_(None))
                .order_by(Alert.raised_at.desc(), Alert.id.desc())
                .limit(1)
            ).first()
    except SQLAlchemyError:
        log.exception("could not read the alerts for the banner")
        return None
    return (int(row[0]), str(row[1])) if row is not None else None


def audio_url(rendering: Rendering | None) -> str | None:
    """Return where the browser fetches a rendering."""
    return f"/am-thanh/{rendering.sha256}" if rendering else None


@router.get("/", response_class=HTMLResponse)
def home(request: Request, ctx: ContextDep, session: SessionDep) -> HTMLResponse:
    today = ctx.today()
    plan = read_plan(session=session, day=today, tz=ctx.settings.zone)
    pending = session.scalar(
        select(func.count(Bulletin.id)).where(Bulletin.status == BulletinStatus.PENDING)
    )
    recent = query_airlog(
        session=session,
        filt=AirLogFilter(first_day=today - timedelta(days=1), last_day=today),
        tz=ctx.settings.zone,
    )[-10:]
    failed = [row for row in recent if row.status in (AirStatus.FAILED, AirStatus.MISSED)]
    return render(request, "home.html", plan=plan, pending=pending, recent=recent, failed=failed)


@router.get("/ban-tin", response_class=HTMLResponse)
def bulletin_list(request: Request, session: SessionDep, trang_thai: str = "") -> HTMLResponse:
    status = enum_or_none(BulletinStatus, trang_thai)
    bulletins = service.list_bulletins(session=session, status=status)
    return render(
        request, "bulletins.html", bulletins=bulletins, status=status, statuses=list(BulletinStatus)
    )


def _form_context(
    session: SessionDep, values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "topics": service.list_topics(session=session),
        "zones": service.list_zones(session=session),
        "priorities": list(Priority),
        "voices": VOICE_LABELS,
    }


@router.get("/ban-tin/moi", response_class=HTMLResponse)
def bulletin_new(request: Request, ctx: ContextDep, session: SessionDep) -> HTMLResponse:
    today = ctx.today()
    values = {
        "first_day": today.isoformat(),
        "last_day": (today + timedelta(days=7)).isoformat(),
        "per_day": 1,
        "speed": "1,0",
        "topic": 8,
        "priority": Priority.NORMAL.value,
        "zone_ids": [z.id for z in service.list_zones(session=session)],
    }
    return render(request, "bulletin_form.html", **_form_context(session, values, {}))


@router.post("/ban-tin/moi", response_class=HTMLResponse, response_model=None)
def bulletin_create(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    title: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    topic: Annotated[str, Form()] = "0",
    priority: Annotated[str, Form()] = "normal",
    first_day: Annotated[str, Form()] = "",
    last_day: Annotated[str, Form()] = "",
    per_day: Annotated[str, Form()] = "1",
    speed: Annotated[str, Form()] = "1",
    voice: Annotated[str, Form()] = "",
    author: Annotated[str, Form()] = "",
    zone_ids: Annotated[list[int] | None, Form()] = None,
    action: Annotated[str, Form()] = "submit",
    recording: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse | RedirectResponse:
    values: dict[str, Any] = {
        "title": title, "text": text, "topic": topic, "priority": priority,
        "first_day": first_day, "last_day": last_day, "per_day": per_day, "speed": speed,
        "voice": voice, "author": author, "zone_ids": zone_ids or [],
    }  # fmt: skip
    errors: dict[str, str] = {}
    first = parse_day(first_day, "first_day", errors, "ngày bắt đầu")
    last = parse_day(last_day, "last_day", errors, "ngày kết thúc")
    plays = parse_int(per_day, "per_day", errors, "số lượt phát mỗi ngày")
    topic_code = parse_int(topic, "topic", errors, "chủ đề")
    rate = parse_float(speed, "speed", errors, "tốc độ đọc")
    level = parse_priority(priority, errors)
    recorded: Rendered | None = None
    if recording is not None and recording.filename:
        try:
            recorded = receive_recording(ctx, recording.file, recording.filename, session=session)
        except InputError as exc:
            errors.update(exc.errors)
    if errors or first is None or last is None:
        return render(request, "bulletin_form.html", 422, **_form_context(session, values, errors))
    data = BulletinCreate(
        title=title, text=text, topic=topic_code or 0, priority=level, first_day=first,
        last_day=last, per_day=plays or 0, zone_ids=zone_ids or [], speed=rate or 1.0,
        voice=voice or None, author=author, submit=action != "draft",
    )  # fmt: skip
    try:
        bulletin = ctx.create_bulletin(
            data,
            session=session,
            recording=recorded,
            recording_name=recording.filename if recorded and recording else None,
        )
    except InputError as exc:
        session.rollback()
        return render(
            request, "bulletin_form.html", 422, **_form_context(session, values, exc.errors)
        )
    except DomainError as exc:
        session.rollback()
        errors = {"text": exc.message}
        return render(request, "bulletin_form.html", 422, **_form_context(session, values, errors))
    return RedirectResponse(f"/ban-tin/{bulletin.id}?moi=1", status_code=303)


@router.get("/ban-tin/{bulletin_id}", response_class=HTMLResponse)
def bulletin_detail(
    request: Request, session: SessionDep, bulletin_id: int, loi: str = "", moi: str = ""
) -> HTMLResponse:
    try:
        bulletin = service.get_bulletin(bulletin_id, session=session)
    except NotFound as exc:
        return render(request, "error.html", 404, message=exc.message)
    return render(
        request,
        "bulletin.html",
        bulletin=bulletin,
        audio_url=audio_url(bulletin.rendering),
        voices=VOICE_LABELS,
        error=loi,
        created=bool(moi),
    )


def _decide(request: Request, bulletin_id: int, action: Any, *, replan: bool = True) -> Response:
    try:
        action()
    except DomainError as exc:
        return RedirectResponse(f"/ban-tin/{bulletin_id}?loi={quote(exc.message)}", status_code=303)
    if replan:
        request.app.state.ctx.bulletins_changed()
    return RedirectResponse(f"/ban-tin/{bulletin_id}", status_code=303)


@router.post("/ban-tin/{bulletin_id}/gui-duyet")
def bulletin_submit(
    request: Request, ctx: ContextDep, session: SessionDep, bulletin_id: int
) -> Response:
    def act() -> None:
        ctx.submit(bulletin_id, session=session)
        session.commit()

    return _decide(request, bulletin_id, act)


@router.post("/ban-tin/{bulletin_id}/duyet")
def bulletin_approve(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    bulletin_id: int,
    approver: Annotated[str, Form()] = "",
) -> Response:
    def act() -> None:
        ctx.approve(bulletin_id, session=session, approver=approver)
        session.commit()

    return _decide(request, bulletin_id, act)


@router.post("/ban-tin/{bulletin_id}/tra-lai")
def bulletin_return(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    bulletin_id: int,
    approver: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    def act() -> None:
        service.return_to_editor(
            bulletin_id, session=session, approver=approver, reason=reason, now=ctx.now()
        )
        session.commit()

    return _decide(request, bulletin_id, act)


@router.post("/ban-tin/{bulletin_id}/kiem-tra")
def bulletin_check(
    request: Request, ctx: ContextDep, session: SessionDep, bulletin_id: int
) -> Response:
    def act() -> None:
        service.check_audio(
            bulletin_id, session=session, media_dir=ctx.settings.media_dir,
            transcriber=default_transcriber(), now=ctx.now(),
        )  # fmt: skip
        session.commit()

    return _decide(request, bulletin_id, act, replan=False)


@router.get("/am-thanh/{sha256}")
def audio_file(ctx: ContextDep, session: SessionDep, sha256: str) -> Response:
    rendering = session.scalar(select(Rendering).where(Rendering.sha256 == sha256))
    if rendering is None:
        return Response("Không có tệp âm thanh này.", status_code=404)
    # The media type follows the file (MP3 renderings from before, WAV masters now).
    return FileResponse(ctx.settings.media_dir / rendering.file)


@router.get("/lich-phat", response_class=HTMLResponse)
def plan_page(
    request: Request, ctx: ContextDep, session: SessionDep, ngay: str = "", loi: str = ""
) -> HTMLResponse:
    errors: dict[str, str] = {}
    day = parse_day(ngay, "ngay", errors, "ngày") if ngay else ctx.today() + timedelta(days=1)
    if day is None:
        return render(request, "error.html", 400, message=errors["ngay"])
    plan = read_plan(session=session, day=day, tz=ctx.settings.zone)
    return render(
        request,
        "plan.html",
        plan=plan,
        day=day,
        prev_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
        error=loi,
    )


@router.get("/lich-phat/{day}/cum-{zone_id}.m3u8")
def plan_playlist(
    request: Request, ctx: ContextDep, session: SessionDep, day: str, zone_id: int
) -> Response:
    errors: dict[str, str] = {}
    target = parse_day(day, "ngay", errors, "ngày")
    if target is None:
        return Response(errors["ngay"], status_code=400)
    view = read_plan(session=session, day=target, tz=ctx.settings.zone)
    text = plan_m3u8(
        view, zone_id=zone_id, media_dir=ctx.settings.media_dir,
        export_dir=ctx.settings.media_dir / "export",
        base_url=str(request.base_url).rstrip("/") + "/am-thanh/ban-sao",
    )  # fmt: skip
    return Response(
        text,
        media_type="application/vnd.apple.mpegurl",
        headers={
            "Content-Disposition": f'attachment; filename="lich-phat_{target}_{zone_id}.m3u8"'
        },
    )


@router.get("/am-thanh/ban-sao/{name}")
def exported_copy(ctx: ContextDep, name: str) -> Response:
    folder = (ctx.settings.media_dir / "export").resolve()
    path = (folder / name).resolve()
    if path.parent != folder or not path.is_file():
        return Response("Không có tệp này.", status_code=404)
    return FileResponse(path, media_type="audio/mpeg")


@router.post("/lich-phat/lap")
def plan_build(request: Request, ctx: ContextDep, ngay: Annotated[str, Form()] = "") -> Response:
    errors: dict[str, str] = {}
    day = parse_day(ngay, "ngay", errors, "ngày")
    if day is None:
        return render(request, "error.html", 400, message=errors["ngay"])
    try:
        ctx.station.build_plan(day)
    except DomainError as exc:
        return RedirectResponse(f"/lich-phat?ngay={day}&loi={quote(exc.message)}", status_code=303)
    return RedirectResponse(f"/lich-phat?ngay={day}", status_code=303)


def _airlog_filter(
    ctx: ContextDep, tu: str, den: str, cum: str, trang_thai: str, errors: dict[str, str]
) -> AirLogFilter:
    today = ctx.today()
    first = parse_day(tu, "tu", errors, "ngày bắt đầu") if tu else today - timedelta(days=6)
    last = parse_day(den, "den", errors, "ngày kết thúc") if den else today
    first, last = first or today, last or today
    if last < first:
        errors["den"] = "Ngày kết thúc phải bằng hoặc sau ngày bắt đầu."
        last = first
    zone_id = int(cum) if cum.isdigit() else None
    status = enum_or_none(AirStatus, trang_thai)
    return AirLogFilter(first_day=first, last_day=last, zone_id=zone_id, status=status)


@router.get("/nhat-ky", response_class=HTMLResponse)
def airlog_page(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    tu: str = "",
    den: str = "",
    cum: str = "",
    trang_thai: str = "",
) -> HTMLResponse:
    errors: dict[str, str] = {}
    filt = _airlog_filter(ctx, tu, den, cum, trang_thai, errors)
    rows = query_airlog(session=session, filt=filt, tz=ctx.settings.zone)
    total_s = sum(row.aired_s for row in rows)
    return render(
        request,
        "airlog.html",
        rows=rows,
        filt=filt,
        errors=errors,
        total_s=total_s,
        zones=service.list_zones(session=session),
        statuses=list(AirStatus),
        query=request.url.query,
    )


@router.get("/nhat-ky.csv")
def airlog_csv_download(
    ctx: ContextDep,
    session: SessionDep,
    tu: str = "",
    den: str = "",
    cum: str = "",
    trang_thai: str = "",
) -> Response:
    errors: dict[str, str] = {}
    filt = _airlog_filter(ctx, tu, den, cum, trang_thai, errors)
    if errors:
        return Response(" ".join(errors.values()), status_code=400)
    rows = query_airlog(session=session, filt=filt, tz=ctx.settings.zone)
    return Response(
        airlog_csv(rows, tz=ctx.settings.zone),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{airlog_filename(filt)}"'},
    )


@router.get("/khung-gio", response_class=HTMLResponse)
def slots_page(
    request: Request, ctx: ContextDep, session: SessionDep, loi: str = "", ok: str = ""
) -> HTMLResponse:
    return render(
        request,
        "slots.html",
        slots=slot_service.list_slots(session=session),
        zones=service.list_zones(session=session),
        holidays=slot_service.upcoming_holidays(ctx.today()),
        caps=slot_service.caps_from(ctx.settings),
        error=loi,
        saved=ok,
    )


def _slots_back(message: str = "", error: str = "") -> RedirectResponse:
    query = f"?ok={quote(message)}" if message else f"?loi={quote(error)}"
    return RedirectResponse(f"/khung-gio{query}", status_code=303)


@router.post("/khung-gio/cum-loa")
def zone_create(
    session: SessionDep,
    name: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> Response:
    try:
        zone = slot_service.add_zone(name, session=session, description=description)
    except DomainError as exc:
        session.rollback()
        return _slots_back(error=exc.message)
    return _slots_back(f"Đã thêm cụm loa {zone.name}.")


@router.post("/khung-gio/them")
def slot_create(
    ctx: ContextDep,
    session: SessionDep,
    name: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
    minutes: Annotated[str, Form()] = "30",
    days: Annotated[list[str] | None, Form()] = None,
    zone_names: Annotated[list[str] | None, Form()] = None,
    valid_from: Annotated[str, Form()] = "",
    valid_to: Annotated[str, Form()] = "",
    document: Annotated[str, Form()] = "",
    document_date: Annotated[str, Form()] = "",
    head_s: Annotated[str, Form()] = "0",
    relay_s: Annotated[str, Form()] = "0",
    tail_s: Annotated[str, Form()] = "0",
) -> Response:
    errors: dict[str, str] = {}
    length = parse_int(minutes, "minutes", errors, "thời lượng")
    head = parse_int(head_s, "head_s", errors, "nhạc hiệu")
    relay = parse_int(relay_s, "relay_s", errors, "tiếp âm")
    tail = parse_int(tail_s, "tail_s", errors, "lời kết")
    first = parse_day(valid_from, "valid_from", errors, "ngày hiệu lực") if valid_from else None
    last = parse_day(valid_to, "valid_to", errors, "ngày hết hiệu lực") if valid_to else None
    doc_day = (
        parse_day(document_date, "document_date", errors, "ngày văn bản") if document_date else None
    )
    try:
        begin = time.fromisoformat(start)
    except ValueError:
        errors["start"] = f"Giờ bắt đầu “{start}” không hợp lệ (ví dụ 05:30)."
    if errors:
        return _slots_back(error=" ".join(errors.values()))
    data = slot_service.SlotInput(
        name=name, zone_names=zone_names or [], days=",".join(days or []), start=begin,
        minutes=length or 0, valid_from=first, valid_to=last, document=document,
        document_date=doc_day, head_s=head or 0, relay_s=relay or 0, tail_s=tail or 0,
    )  # fmt: skip
    try:
        saved = slot_service.add_slot(
            data, session=session, caps=slot_service.caps_from(ctx.settings)
        )
        session.commit()
    except DomainError as exc:
        session.rollback()
        return _slots_back(error=exc.message)
    ctx.bulletins_changed()
    note = " ".join(["Đã thêm khung giờ.", *(f"Cảnh báo: {w}" for w in saved.warnings)])
    return _slots_back(note)


@router.post("/khung-gio/huy")
def slot_cancel(
    ctx: ContextDep,
    session: SessionDep,
    slot: Annotated[str, Form()] = "",
    day: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    errors: dict[str, str] = {}
    target = parse_day(day, "day", errors, "ngày hủy")
    if target is None:
        return _slots_back(error=errors["day"])
    try:
        slot_service.cancel_slot(slot, target, session=session, today=ctx.today(), reason=reason)
        session.commit()
    except DomainError as exc:
        session.rollback()
        return _slots_back(error=exc.message)
    ctx.bulletins_changed()
    return _slots_back(f"Đã hủy khung giờ {slot} ngày {target:%d/%m/%Y}.")


@router.get("/tu-dien", response_class=HTMLResponse)
def lexicon_page(
    request: Request, session: SessionDep, loi: str = "", ok: str = ""
) -> HTMLResponse:
    return render(request, "lexicon.html", readings=readings(session=session), error=loi, saved=ok)


@router.post("/tu-dien")
def lexicon_save(
    ctx: ContextDep,
    session: SessionDep,
    written: Annotated[str, Form()] = "",
    spoken: Annotated[str, Form()] = "",
    by: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "save",
) -> Response:
    try:
        if action == "reset":
            reset_reading(written, session=session)
        else:
            set_reading(
                written, "" if action == "literal" else spoken, session=session, by=by,
                now=ctx.now(),
            )  # fmt: skip
        session.commit()
    except DomainError as exc:
        session.rollback()
        return RedirectResponse(f"/tu-dien?loi={quote(exc.message)}", status_code=303)
    ctx.lexicon_changed()
    return RedirectResponse(f"/tu-dien?ok={quote(written.strip())}#w-{quote(written.strip())}",
                            status_code=303)  # fmt: skip


# --- alerts (cảnh báo) --------------------------------------------------------------------


@router.get("/canh-bao", response_class=HTMLResponse)
def alerts_page(request: Request, session: SessionDep, loi: str = "", ok: str = "") -> HTMLResponse:
    cleared = session.scalars(
        select(Alert)
        .where(Alert.cleared_at.is_not(None))
        .order_by(Alert.cleared_at.desc(), Alert.id.desc())
        .limit(30)
    )
    return render(
        request,
        "alerts.html",
        active=active_alerts(session, limit=200),
        cleared=list(cleared),
        error=loi,
        saved=ok,
    )


@router.post("/canh-bao/{alert_id}/xong")
def alert_clear(
    ctx: ContextDep, session: SessionDep, alert_id: int, by: Annotated[str, Form()] = ""
) -> Response:
    name = by.strip()
    if not name:
        message = "Cần nhập tên người đã xử lý cảnh báo."
        return RedirectResponse(f"/canh-bao?loi={quote(message)}", status_code=303)
    if not clear_alert(session, alert_id, by=name[:100], now=ctx.now()):
        message = f"Không có cảnh báo số {alert_id}."
        return RedirectResponse(f"/canh-bao?loi={quote(message)}", status_code=303)
    session.commit()
    message = f"Đã ghi nhận cảnh báo số {alert_id} đã được xử lý ({name})."
    return RedirectResponse(f"/canh-bao?ok={quote(message)}", status_code=303)


# --- emergencies (phát khẩn cấp) ----------------------------------------------------------

STOPPABLE = (EmergencyStatus.PENDING, EmergencyStatus.AIRING)


def _emergency_context(
    ctx: StationContext, session: SessionDep, values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    zones = service.list_zones(session=session)
    return {
        "values": values,
        "errors": errors,
        "zones": zones,
        "zone_names": {z.id: z.name for z in zones},
        "recent": emergencies.recent(session, limit=20),
        "stoppable": STOPPABLE,
        "pin_set": bool(ctx.settings.operator_pin),
        "max_repeat": emergencies.MAX_REPEAT,
        "min_every": emergencies.MIN_EVERY_MIN,
        "max_every": emergencies.MAX_EVERY_MIN,
    }


@router.get("/khan-cap", response_class=HTMLResponse)
def emergency_page(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    gui: str = "",
    ok: str = "",
    loi: str = "",
) -> HTMLResponse:
    values: dict[str, Any] = {"repeat": "1", "every_min": "5", "zone_ids": []}
    sent = f"Đã gửi tin khẩn cấp số {gui}: đài phát trong vài giây." if gui.isdigit() else ""
    return render(
        request,
        "emergency.html",
        **_emergency_context(ctx, session, values, {}),
        sent=sent,
        saved=ok,
        error=loi,
    )


@router.post("/khan-cap", response_class=HTMLResponse, response_model=None)
def emergency_send(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    title: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    zone_ids: Annotated[list[int] | None, Form()] = None,
    repeat: Annotated[str, Form()] = "1",
    every_min: Annotated[str, Form()] = "",
    requested_by: Annotated[str, Form()] = "",
    pin: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
    recording: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse | RedirectResponse:
    # The PIN and the confirmation are never sent back: they are typed again on purpose.
    values: dict[str, Any] = {
        "title": title, "text": text, "zone_ids": zone_ids or [], "repeat": repeat,
        "every_min": every_min, "requested_by": requested_by,
    }  # fmt: skip
    errors: dict[str, str] = {}
    refusal = pin_refusal(ctx.settings.operator_pin, pin.strip())
    if refusal:
        errors["pin"] = refusal
    if not requested_by.strip():
        errors["requested_by"] = "Cần nhập tên người yêu cầu phát."
    upload = recording if recording is not None and recording.filename else None
    if upload is not None and text.strip():
        errors["text"] = "Chỉ chọn một: nhập nội dung để máy đọc, hoặc tải tệp ghi âm."
    elif upload is None and not text.strip():
        errors["text"] = "Cần nội dung tin khẩn cấp hoặc một tệp ghi âm."
    times = parse_int(repeat, "repeat", errors, "số lần phát")
    every = 0.0
    if times is not None and times > 1:
        every = parse_float(every_min, "every", errors, "khoảng cách giữa hai lần phát") or 0.0
    if confirm != "1":
        errors["confirm"] = "Cần đánh dấu ô xác nhận phát khẩn cấp."

    def refuse(status: int) -> HTMLResponse:
        context = _emergency_context(ctx, session, values, errors)
        return render(request, "emergency.html", status, **context)

    if errors or times is None:
        return refuse(403 if "pin" in errors else 422)
    by, zones = requested_by.strip(), zone_ids or []

    def send(title: str, text: str = "", recording: Path | None = None) -> Emergency:
        return ctx.request_emergency(
            title=title, text=text, recording=recording, zone_ids=zones, repeat=times or 1,
            every_min=every, requested_by=by,
        )  # fmt: skip

    try:
        if upload is not None:
            name = upload.filename or "ghi-am"
            with spooled_upload(ctx, upload.file, name) as path:
                emergency = send(title.strip() or Path(name).stem, recording=path)
        else:
            emergency = send(title.strip(), text)
    except InputError as exc:
        errors = exc.errors
        return refuse(422)
    except AudioError as exc:
        log.warning("emergency audio refused: %s", exc.detail)
        errors = {"recording" if upload is not None else "text": exc.user_message}
        return refuse(422)
    log.warning("emergency %s requested from the web by %s", emergency.id, by)
    return RedirectResponse(f"/khan-cap?gui={emergency.id}", status_code=303)


@router.post("/khan-cap/{emergency_id}/huy")
def emergency_stop(
    ctx: ContextDep,
    session: SessionDep,
    emergency_id: int,
    pin: Annotated[str, Form()] = "",
) -> Response:
    refusal = pin_refusal(ctx.settings.operator_pin, pin.strip())
    if refusal:
        message = f"{refusal} Chưa dừng tin khẩn cấp số {emergency_id}."
        return RedirectResponse(f"/khan-cap?loi={quote(message)}", status_code=303)
    if not emergencies.cancel(session, emergency_id):
        message = f"Tin khẩn cấp số {emergency_id} không còn lần phát nào để dừng."
        return RedirectResponse(f"/khan-cap?loi={quote(message)}", status_code=303)
    session.commit()
    log.warning("emergency %s stopped from the web", emergency_id)
    message = (
        f"Đã dừng các lần phát còn lại của tin khẩn cấp số {emergency_id} "
        "(lần đang phát, nếu có, vẫn phát hết)."
    )
    return RedirectResponse(f"/khan-cap?ok={quote(message)}", status_code=303)
