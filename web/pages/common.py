"""What every page shares: the templates, rendering with the alert banner, redirects back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from playlists.accounts.roles import Action
from playlists.alerts.service import banner
from playlists.bulletins.models import Rendering
from playlists.bulletins.rendering import OFFLINE_ENGINES
from web import formatting
from web.context import StationContext


@dataclass(frozen=True)
class WardShown:
    code: str
    name: str


def _every_page(request: Request) -> dict[str, Any]:
    """What every template sees: who is signed in (their roles decide the menu), the CSRF
    token for its forms, and today's date for the footer."""
    caller = getattr(request.state, "caller", None)
    ctx: StationContext = getattr(request.state, "ctx", request.app.state.ctx)
    return {
        # The ward the page works for; the menu offers the others its person works at.
        "ward": WardShown(ctx.ward_code, ctx.settings.ward_name),
        "my_wards": caller.wards if caller else (),
        "caller": caller,
        # The actor, not the ORM user: an error page renders after the session has closed.
        "me": caller.actor if caller else None,
        "may": (lambda action: caller is not None and caller.actor.may(Action(action))),
        "csrf_token": caller.csrf if caller else "",
        "today": ctx.today(),
    }


templates = Jinja2Templates(
    directory=str(Path(__file__).parent.parent / "templates"), context_processors=[_every_page]
)
# Templates ship with the code and change only with it: no file check on every render.
templates.env.auto_reload = False
templates.env.filters["mmss"] = formatting.mmss
templates.env.filters["vn_date"] = formatting.vn_date
templates.env.filters["weekday"] = formatting.weekday_name
templates.env.filters["days_label"] = formatting.days_label
templates.env.filters["decimal"] = formatting.decimal_vn
# Jinja's own `capitalize` lowers the rest ("quý I" would become "Quý i").
templates.env.filters["sentence"] = lambda text: str(text)[:1].upper() + str(text)[1:]


def render(
    request: Request,
    session: Session,
    name: str,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render a page with the station's time zone at hand and the banner of active alerts.

    The banner is read on the request's own session: a page uses one connection, not two.
    """
    ctx: StationContext = request.app.state.ctx
    tz = ctx.settings.zone
    context["lt"] = lambda value, fmt="%H:%M:%S": formatting.local_time(value, tz, fmt)
    context["offline_engines"] = OFFLINE_ENGINES
    context["alert_banner"] = banner(session)
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def error_page(request: Request, message: str, status_code: int) -> HTMLResponse:
    """A page saying why something was refused, outside any unit of work (no banner)."""
    return templates.TemplateResponse(
        request, "error.html", {"message": message, "alert_banner": None}, status_code=status_code
    )


def back(path: str, *, ok: str = "", error: str = "", anchor: str = "") -> RedirectResponse:
    """Send the browser back to a page with a message (ok=…) or an error (loi=…) to show."""
    sep = "&" if "?" in path else "?"
    query = f"{sep}ok={quote(ok)}" if ok else f"{sep}loi={quote(error)}" if error else ""
    return RedirectResponse(f"{path}{query}{anchor}", status_code=303)


def audio_url(rendering: Rendering | None) -> str | None:
    """Return where the browser fetches a rendering."""
    return f"/am-thanh/{rendering.sha256}" if rendering else None
