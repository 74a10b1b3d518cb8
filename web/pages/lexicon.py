"""The lexicon page (Từ điển viết tắt): how abbreviations are read, changed by approvers.

After a change, the page lists the approved and pending bulletins it re-voices, so that the
approver who made it listens to them again (their approval stands: their text is unchanged).
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from playlists.accounts.roles import Action
from playlists.bulletins.models import Bulletin
from playlists.core.bounds import id_or_none
from playlists.core.errors import DomainError
from playlists.lexicon.service import readings, reset_reading, set_reading
from web.auth import needs
from web.deps import ContextDep, SessionDep
from web.pages.common import back, render

router = APIRouter(include_in_schema=False)
PAGE = "/tu-dien"


class ReadingForm(BaseModel):
    """A reading to save, to reset to the built-in one, or to read literally."""

    written: str = ""
    spoken: str = ""
    action: str = "save"


# The re-voiced bulletins travel to the page after the change as ids in its address; more than
# this many is a lexicon change to look at on the bulletins' own list.
MAX_LISTED = 100
DIGITS = re.compile(r"[0-9]{1,10}")


@router.get(PAGE, dependencies=[needs(Action.READ)], response_class=HTMLResponse)
def lexicon_page(
    request: Request, session: SessionDep, loi: str = "", ok: str = "", doclai: str = ""
) -> HTMLResponse:
    numbers = [int(part) for part in doclai.split(",")[:MAX_LISTED] if DIGITS.fullmatch(part)]
    ids = [number for number in numbers if id_or_none(number)]
    revoiced = [found for i in ids if (found := session.get(Bulletin, i)) is not None]
    return render(
        request, session, "lexicon.html", readings=readings(session=session), error=loi,
        saved=ok, revoiced=revoiced,
    )  # fmt: skip


@router.post(PAGE, dependencies=[needs(Action.CHANGE_LEXICON)])
def lexicon_save(
    ctx: ContextDep, session: SessionDep, form: Annotated[ReadingForm, Form()]
) -> Response:
    try:
        if form.action == "reset":
            change = reset_reading(form.written, session=session, now=ctx.now())
        else:
            spoken = "" if form.action == "literal" else form.spoken
            change = set_reading(form.written, spoken, session=session, now=ctx.now())
    except DomainError as exc:
        session.rollback()
        return back(PAGE, error=exc.message)
    path = PAGE
    if change.revoiced:
        path += "?doclai=" + ",".join(str(item.bulletin_id) for item in change.revoiced)
        return back(path, ok=change.written, anchor="#revoiced")
    return back(path, ok=change.written, anchor=f"#w-{quote(change.written)}")
