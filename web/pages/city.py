"""The city's pages (Thành phố): every ward's figures side by side, and an emergency to many
wards at once. For the city's roles only: a ward's own staff see their ward's pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from audio.errors import AudioError
from playlists.accounts.actor import Actor
from playlists.accounts.roles import Action
from playlists.emergencies import service as emergencies
from playlists.emergencies.service import EmergencyDraft
from playlists.reports.charts import bar_chart
from playlists.reports.periods import PERIOD_RULES, WindowRule, offered
from playlists.reports.view import topic_label
from web.auth import needs, password_refusal
from web.city import send_to_wards
from web.deps import ContextDep, SessionDep
from web.pages.common import render
from web.pages.reports import ReportQuery

router = APIRouter(include_in_schema=False)
PAGE = "/thanh-pho"
EMERGENCY_PAGE = "/thanh-pho/khan-cap"


@router.get(PAGE, dependencies=[needs(Action.CITY_REPORT)], response_class=HTMLResponse)
def city_page(
    request: Request, ctx: ContextDep, session: SessionDep, asked: Annotated[ReportQuery, Query()]
) -> HTMLResponse:
    errors: dict[str, str] = {}
    window = asked.read(ctx, errors)
    summary = ctx.city_summary(window, web=True)
    charts = [
        bar_chart("Thời lượng phát theo phường", "phút",
                  [(line.name, line.totals.airtime_min) for line in summary.wards]),
        bar_chart("Thời lượng phát của cả thành phố theo nội dung", "phút",
                  [(topic_label(t.code, t.name), summary.topic_total(t.code).airtime_min)
                   for t in summary.topics]),
    ]  # fmt: skip
    return render(
        request, session, "city.html", summary=summary, window=window, charts=charts,
        errors=errors, choices=offered(ctx.today(), asked.rule(ctx)), rules=PERIOD_RULES,
        rule_chosen=asked.rule(ctx), asked=asked, topic_label=topic_label,
        days_rule=WindowRule.DAYS,
    )  # fmt: skip


class CityEmergencyForm(BaseModel):
    """The form as typed. The password is never shown back."""

    title: str = ""
    text: str = ""
    wards: list[str] = []
    all_wards: str = ""
    password: str = ""


def _emergency_page(
    request: Request, ctx: ContextDep, session: SessionDep, form: CityEmergencyForm,
    errors: dict[str, str], status: int = 200, sent: list[object] | None = None,
) -> HTMLResponse:  # fmt: skip
    return render(
        request, session, "city_emergency.html", status, wards=ctx.ward_names(),
        form=form.model_copy(update={"password": ""}), errors=errors, sent=sent or [],
    )  # fmt: skip


@router.get(EMERGENCY_PAGE, response_class=HTMLResponse)
def city_emergency_page(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    actor: Annotated[Actor, needs(Action.CITY_EMERGENCY)],
) -> HTMLResponse:
    return _emergency_page(request, ctx, session, CityEmergencyForm(), {})


@router.post(EMERGENCY_PAGE, response_class=HTMLResponse)
def city_emergency_send(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    actor: Annotated[Actor, needs(Action.CITY_EMERGENCY)],
    form: Annotated[CityEmergencyForm, Form()],
) -> HTMLResponse:
    # The operator's own password first; a wrong one is remembered (committed), as on the
    # ward's emergency page.
    if refusal := password_refusal(
        request, ctx, session, actor, form.password, even_with_token=True
    ):
        return _emergency_page(request, ctx, session, form, {"password": refusal}, 403)
    wards = [code for code, _ in ctx.ward_names()] if form.all_wards else form.wards
    wards = list(dict.fromkeys(wards))  # a ward ticked twice is told once
    draft = EmergencyDraft(requested_by=actor.display_name, text=form.text, title=form.title)
    errors = emergencies.check_draft(draft, max_text_chars=ctx.settings.max_text_chars)
    if not wards:
        errors["wards"] = "Cần chọn ít nhất một phường, hoặc mọi phường."
    if errors:
        return _emergency_page(request, ctx, session, form, errors, 422)
    try:
        sent = send_to_wards(ctx, actor, draft, wards)
    except AudioError as exc:
        return _emergency_page(request, ctx, session, form, {"text": exc.user_message}, 503)
    return _emergency_page(request, ctx, session, CityEmergencyForm(), {}, sent=list(sent))
