"""Signing in and out, and one's own account: password and personal API tokens."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from playlists.accounts import service as accounts
from playlists.accounts.actor import Actor, Origin
from playlists.accounts.roles import Action
from playlists.core.errors import DomainError, InputError
from playlists.wards.service import wards
from web.auth import (
    OPTIONAL_CALLER,
    PUBLIC,
    SIGN_IN_PAGE,
    Caller,
    clear_session_cookie,
    client_address,
    needs,
    set_session_cookie,
)
from web.deps import COOKIE, ContextDep, SessionDep
from web.forms import whole_number
from web.pages.common import back, render

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

ACCOUNT_PAGE = "/tai-khoan"
WARDS_PAGE = "/phuong"


def _local_path(value: str) -> str:
    """Where to go after signing in: only a path on this site (never //host or a scheme)."""
    if value.startswith("/") and not value.startswith(("//", "/\\")) and "\n" not in value:
        return value
    return "/"


@router.get(SIGN_IN_PAGE, response_class=HTMLResponse, dependencies=[PUBLIC])
def sign_in_page(
    request: Request,
    session: SessionDep,
    caller: Annotated[Caller | None, OPTIONAL_CALLER],
    tiep: str = "",
) -> Response:
    if caller is not None:
        return RedirectResponse(_local_path(tiep), status_code=303)
    return render(request, session, "sign_in.html", next=_local_path(tiep), error="", username="")


@router.post(SIGN_IN_PAGE, response_class=HTMLResponse, dependencies=[PUBLIC])
def sign_in(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    username: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    tiep: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    now = ctx.now()
    # A session id the browser brought along is never kept: signing in always starts anew.
    if old := request.cookies.get(COOKIE):
        found = accounts.session_user(session, old, settings=ctx.settings.accounts, now=now)
        if found is not None:
            accounts.end_sessions_by_secret(session, old, why="new sign-in", now=now)
    result = accounts.sign_in(
        session, username, password, address=client_address(request), origin=Origin.WEB,
        settings=ctx.settings.accounts, now=now,
    )  # fmt: skip
    if result.user is None:
        return render(
            request, session, "sign_in.html", 401, next=_local_path(tiep), error=result.refusal,
            username=username,
        )  # fmt: skip
    if result.ward != ctx.ward_code:  # the session works for another of the person's wards
        # Committed first: both trails' appends take the same advisory lock (PostgreSQL).
        session.commit()
        try:
            ward = ctx.for_ward(result.ward)
            with ward.unit_of_work(ward.web_sessions) as there:
                accounts.note_sign_in(
                    there, result.user, made_at=ctx.settings.ward_name, origin=Origin.WEB,
                    address=client_address(request), now=now,
                )  # fmt: skip
        except Exception:  # the sign-in stands (it is in this ward's trail): said in the log
            log.exception("sign-in of %s not noted at ward %s", username, result.ward)
    target = "/tai-khoan/mat-khau" if result.user.must_change_password else _local_path(tiep)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, result.secret)
    return response


@router.post("/dang-xuat")
def sign_out(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    actor: Annotated[Actor, needs(Action.OWN_ACCOUNT)],
) -> Response:
    accounts.sign_out(session, request.cookies.get(COOKIE, ""), now=ctx.now())
    response = RedirectResponse(SIGN_IN_PAGE, status_code=303)
    clear_session_cookie(request, response)
    return response


@router.get(ACCOUNT_PAGE, response_class=HTMLResponse)
def account_page(
    request: Request,
    session: SessionDep,
    actor: Annotated[Actor, needs(Action.OWN_ACCOUNT)],
    ok: str = "",
    loi: str = "",
) -> HTMLResponse:
    return _account(request, session, actor, ok=ok, error=loi)


def _account(
    request: Request,
    session: SessionDep,
    actor: Actor,
    *,
    ok: str = "",
    error: str = "",
    new_token: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    user = accounts.get_user(session, actor.username)
    return render(
        request, session, "account.html", status_code, user=user,
        tokens=accounts.tokens_of(session, user), ok=ok, error=error, new_token=new_token,
        token_days=request.app.state.ctx.settings.api_token_days,
    )  # fmt: skip


@router.get("/tai-khoan/mat-khau", response_class=HTMLResponse)
def password_page(
    request: Request, session: SessionDep, actor: Annotated[Actor, needs(Action.OWN_ACCOUNT)]
) -> HTMLResponse:
    user = accounts.get_user(session, actor.username)
    return render(request, session, "password.html", user=user, errors={})


@router.post("/tai-khoan/mat-khau", response_class=HTMLResponse)
def change_password(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    actor: Annotated[Actor, needs(Action.OWN_ACCOUNT)],
    current: Annotated[str, Form(max_length=1000)] = "",
    new: Annotated[str, Form(max_length=1000)] = "",
    again: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    user = accounts.get_user(session, actor.username)
    now = ctx.now()
    try:
        if new != again:
            raise InputError({"again": "Hai lần nhập mật khẩu mới không giống nhau."})
        accounts.change_own_password(
            session, user, current=current, new=new, address=client_address(request),
            settings=ctx.settings.accounts, now=now,
        )  # fmt: skip
    except InputError as exc:
        return render(request, session, "password.html", 422, user=user, errors=exc.errors)
    # Every session of this user ended; this browser carries on in a new one.
    response = back(ACCOUNT_PAGE, ok="Đã đổi mật khẩu.")
    secret = accounts.open_session(session, user, address=client_address(request), now=now)
    set_session_cookie(request, response, secret)
    return response


@router.post("/tai-khoan/ma-api", response_class=HTMLResponse)
def make_token(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    actor: Annotated[Actor, needs(Action.OWN_ACCOUNT)],
    label: Annotated[str, Form(max_length=100)] = "",
    days: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    count = whole_number(days.strip())
    try:
        if count is None:
            raise InputError({"days": "Số ngày hiệu lực phải là một số nguyên dương."})
        _token, secret = accounts.make_token(
            session, actor.username, days=count, max_days=ctx.settings.api_token_days,
            label=label, now=ctx.now(),
        )  # fmt: skip
    except DomainError as exc:
        return _account(request, session, actor, error=exc.message, status_code=exc.status_code)
    return _account(request, session, actor, new_token=secret)


@router.post("/tai-khoan/ma-api/{token_id}/thu-hoi")
def revoke_token(
    ctx: ContextDep,
    session: SessionDep,
    actor: Annotated[Actor, needs(Action.OWN_ACCOUNT)],
    token_id: int,
) -> Response:
    try:
        accounts.revoke_token(session, token_id, now=ctx.now())
    except DomainError as exc:
        return back(ACCOUNT_PAGE, error=exc.message)
    return back(ACCOUNT_PAGE, ok="Đã thu hồi mã API.")


@router.get(WARDS_PAGE, response_class=HTMLResponse)
def wards_page(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    actor: Annotated[Actor, needs(Action.OWN_ACCOUNT)],
) -> HTMLResponse:
    return _wards(request, ctx, session)


def _wards(
    request: Request, ctx: ContextDep, session: SessionDep, error: str = "", status: int = 200
) -> HTMLResponse:
    caller: Caller = request.state.caller
    names = {w.code: w.name or ctx.city_settings.ward_name for w in wards(session)}
    choices = [(code, names.get(code, code)) for code in caller.wards]
    return render(request, session, "wards.html", status, choices=choices, error=error)


@router.post(WARDS_PAGE, response_class=HTMLResponse)
def choose_ward(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    actor: Annotated[Actor, needs(Action.OWN_ACCOUNT)],
    phuong: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    found = accounts.session_user(
        session, request.cookies.get(COOKIE, ""), settings=ctx.settings.accounts, now=ctx.now()
    )
    if found is None:  # an API token works for the ward it was made in, and no other
        return _wards(request, ctx, session, "Mã API chỉ làm việc cho phường đã tạo ra nó.", 409)
    try:
        accounts.choose_ward(session, found[1], phuong, now=ctx.now())
    except DomainError as exc:
        return _wards(request, ctx, session, exc.message, exc.status_code)
    return RedirectResponse("/", status_code=303)
