"""The lexicon page (Từ điển viết tắt): how abbreviations are read, changed by staff."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from playlists.core.errors import DomainError
from playlists.lexicon.service import readings, reset_reading, set_reading
from web.deps import ContextDep, SessionDep
from web.pages.common import back, render

router = APIRouter(include_in_schema=False)
PAGE = "/tu-dien"


class ReadingForm(BaseModel):
    """A reading to save, to reset to the built-in one, or to read literally."""

    written: str = ""
    spoken: str = ""
    by: str = ""
    action: str = "save"


@router.get(PAGE, response_class=HTMLResponse)
def lexicon_page(
    request: Request, session: SessionDep, loi: str = "", ok: str = ""
) -> HTMLResponse:
    return render(
        request, session, "lexicon.html", readings=readings(session=session), error=loi, saved=ok
    )


@router.post(PAGE)
def lexicon_save(
    ctx: ContextDep, session: SessionDep, form: Annotated[ReadingForm, Form()]
) -> Response:
    try:
        if form.action == "reset":
            reset_reading(form.written, session=session)
        else:
            spoken = "" if form.action == "literal" else form.spoken
            set_reading(form.written, spoken, session=session, by=form.by, now=ctx.now())
    except DomainError as exc:
        session.rollback()
        return back(PAGE, error=exc.message)
    written = form.written.strip()
    return back(PAGE, ok=written, anchor=f"#w-{quote(written)}")
