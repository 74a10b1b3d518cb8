"""The emergency page (Phát khẩn cấp): send an announcement that cuts into the air, or stop it."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from audio.errors import AudioError
from playlists.accounts.actor import Actor
from playlists.accounts.roles import Action
from playlists.core.errors import DomainError, InputError
from playlists.emergencies import service as emergencies
from playlists.emergencies.service import EmergencyDraft
from playlists.slots.service import list_zones
from web.auth import needs, password_refusal
from web.context import StationContext
from web.deps import ContextDep, SessionDep
from web.forms import parse_float, parse_int, whole_number
from web.pages.common import back, render
from web.uploads import spooled_upload

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
PAGE = "/khan-cap"


class EmergencyForm(BaseModel):
    """The emergency form as typed. The password and the confirmation are never shown back."""

    title: str = ""
    text: str = ""
    zone_ids: list[int] = []
    repeat: str = "1"
    every_min: str = ""
    requested_by: str = ""
    password: str = ""
    confirm: str = ""

    def read(self, errors: dict[str, str], recording_name: str | None, by: str) -> EmergencyDraft:
        """Return the request as asked, noting what is wrong with the form in `errors`."""
        times = parse_int(self.repeat, "repeat", errors, "số lần phát")
        every: float | None = 0.0
        if times is not None and times > 1:
            every = parse_float(self.every_min, "every", errors, "khoảng cách giữa hai lần phát")
        if self.confirm != "1":
            errors["confirm"] = "Cần đánh dấu ô xác nhận phát khẩn cấp."
        return EmergencyDraft(
            requested_by=self.requested_by or by,
            text=self.text,
            # The upload's own name until it is saved: what the checks need to know is that
            # there is one.
            recording=Path(recording_name) if recording_name else None,
            recording_name=recording_name or "",
            title=self.title,
            zone_ids=self.zone_ids,
            repeat=times or 1,
            every_min=every or 0.0,
        )

    def shown_back(self) -> EmergencyForm:
        """Return the form without what must be typed again on purpose."""
        return self.model_copy(update={"password": "", "confirm": ""})


def _page(
    request: Request,
    ctx: StationContext,
    session: Session,
    values: EmergencyForm,
    errors: dict[str, str],
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    zones = list_zones(session=session)
    return render(
        request, session, "emergency.html", status_code, values=values, errors=errors,
        zones=zones, zone_names={z.id: z.name for z in zones},
        recent=emergencies.recent(session, limit=20),
        max_repeat=emergencies.MAX_REPEAT, min_every=emergencies.MIN_EVERY_MIN,
        max_every=emergencies.MAX_EVERY_MIN, **extra,
    )  # fmt: skip


@router.get(PAGE, dependencies=[needs(Action.READ)], response_class=HTMLResponse)
def emergency_page(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    gui: str = "",
    ok: str = "",
    loi: str = "",
) -> HTMLResponse:
    values = EmergencyForm(repeat="1", every_min="5")
    sent = f"Đã gửi tin khẩn cấp số {gui}: đài phát trong vài giây." if whole_number(gui) else ""
    return _page(request, ctx, session, values, {}, sent=sent, saved=ok, error=loi)


@router.post(PAGE, response_class=HTMLResponse, response_model=None)
def emergency_send(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    actor: Annotated[Actor, needs(Action.SEND_EMERGENCY)],
    form: Annotated[EmergencyForm, Form()],
    recording: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse | RedirectResponse:
    upload = recording if recording is not None and recording.filename else None
    # The operator's own password first: a wrong one is remembered (it counts like a failed
    # sign-in), so it is committed, not rolled back with the rest.
    if refusal := password_refusal(
        request, ctx, session, actor, form.password, even_with_token=True
    ):
        return _page(request, ctx, session, form.shown_back(), {"password": refusal}, 403)
    errors: dict[str, str] = {}
    draft = form.read(errors, upload.filename if upload else None, actor.display_name)
    errors |= emergencies.check_draft(draft, max_text_chars=ctx.settings.max_text_chars)

    def refuse(status: int) -> HTMLResponse:
        session.rollback()
        return _page(request, ctx, session, form.shown_back(), errors, status)

    if errors:
        return refuse(422)
    try:
        if upload is not None:
            with spooled_upload(ctx, upload.file, draft.recording_name) as path:
                emergency = ctx.send_emergency(session, dataclasses.replace(draft, recording=path))
        else:
            emergency = ctx.send_emergency(session, draft)
    except InputError as exc:
        errors = exc.errors
        return refuse(422)
    except AudioError as exc:
        log.warning("emergency audio refused: %s", exc.detail)
        errors = {"recording" if upload is not None else "text": exc.user_message}
        return refuse(422)
    log.warning("emergency %s requested from the web by %s", emergency.id, actor.username)
    return RedirectResponse(f"{PAGE}?gui={emergency.id}", status_code=303)


@router.post(PAGE + "/{emergency_id}/huy", dependencies=[needs(Action.SEND_EMERGENCY)])
def emergency_stop(
    ctx: ContextDep,
    session: SessionDep,
    emergency_id: int,
) -> Response:
    try:
        emergencies.cancel(session, emergency_id)
    except DomainError as exc:
        session.rollback()
        return back(PAGE, error=exc.message)
    log.warning("emergency %s stopped from the web", emergency_id)
    return back(
        PAGE,
        ok=f"Đã dừng các lần phát còn lại của tin khẩn cấp số {emergency_id} "
        "(lần đang phát, nếu có, vẫn phát hết).",
    )
