"""The admin's pages: users, their roles, disabling and password resets, everyone's tokens."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from playlists.accounts import service as accounts
from playlists.accounts.actor import Actor
from playlists.accounts.roles import Action, Role, parse_roles
from playlists.core.errors import DomainError, InputError
from web.auth import needs
from web.deps import ContextDep, SessionDep
from web.pages.common import back, render

router = APIRouter(include_in_schema=False)

PAGE = "/quan-tri/nguoi-dung"
Admin = Annotated[Actor, needs(Action.MANAGE_USERS)]


def _page(
    request: Request,
    session: SessionDep,
    *,
    ok: str = "",
    error: str = "",
    errors: dict[str, str] | None = None,
    one_time: tuple[str, str] | None = None,
    values: Mapping[str, object] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request, session, "users.html", status_code, users=accounts.list_users(session),
        tokens=accounts.tokens_of(session), roles=accounts.grantable_roles(session), ok=ok,
        error=error, errors=errors or {}, one_time=one_time, values=values or {},
    )  # fmt: skip


@router.get(PAGE, response_class=HTMLResponse)
def users_page(
    request: Request, session: SessionDep, actor: Admin, ok: str = "", loi: str = ""
) -> HTMLResponse:
    return _page(request, session, ok=ok, error=loi)


def _roles(values: list[str]) -> frozenset[Role]:
    try:
        return parse_roles(values)
    except ValueError as exc:
        raise InputError({"roles": str(exc)}) from None


@router.post(PAGE, response_class=HTMLResponse)
def add_user(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    actor: Admin,
    username: Annotated[str, Form(max_length=100)] = "",
    display_name: Annotated[str, Form(max_length=200)] = "",
    roles: Annotated[list[str] | None, Form()] = None,
) -> HTMLResponse:
    try:
        user, one_time = accounts.add_user(
            session, username, display_name=display_name, roles=_roles(roles or []),
            password=None, now=ctx.now(),
        )  # fmt: skip
    except InputError as exc:
        values = {"username": username, "display_name": display_name, "roles": roles or []}
        return _page(request, session, errors=exc.errors, values=values, status_code=422)
    return _page(
        request, session, ok=f"Đã thêm {user.username}.", one_time=(user.username, one_time or "")
    )


@router.post(PAGE + "/{username}/vai-tro")
def set_roles(
    ctx: ContextDep,
    session: SessionDep,
    actor: Admin,
    username: str,
    roles: Annotated[list[str] | None, Form()] = None,
) -> Response:
    try:
        accounts.set_roles(session, username, _roles(roles or []), now=ctx.now())
    except DomainError as exc:
        return back(PAGE, error=exc.message)
    return back(PAGE, ok=f"Đã đổi vai trò của {username}; người đó cần đăng nhập lại.")


@router.post(PAGE + "/{username}/khoa")
def set_disabled(
    ctx: ContextDep,
    session: SessionDep,
    actor: Admin,
    username: str,
    disabled: Annotated[str, Form(max_length=10)] = "1",
) -> Response:
    try:
        accounts.set_disabled(session, username, disabled == "1", now=ctx.now())
    except DomainError as exc:
        return back(PAGE, error=exc.message)
    return back(PAGE, ok=f"Đã {'khóa' if disabled == '1' else 'mở khóa'} tài khoản {username}.")


@router.post(PAGE + "/{username}/dat-lai-mat-khau", response_class=HTMLResponse)
def reset_password(
    request: Request, ctx: ContextDep, session: SessionDep, actor: Admin, username: str
) -> Response:
    try:
        one_time = accounts.reset_password(session, username, password=None, now=ctx.now())
    except DomainError as exc:
        return back(PAGE, error=exc.message)
    return _page(
        request, session, ok=f"Đã đặt lại mật khẩu của {username}.",
        one_time=(username, one_time or ""),
    )  # fmt: skip


@router.post("/quan-tri/ma-api/{token_id}/thu-hoi")
def revoke_token(ctx: ContextDep, session: SessionDep, actor: Admin, token_id: int) -> Response:
    try:
        accounts.revoke_token(session, token_id, now=ctx.now())
    except DomainError as exc:
        return back(PAGE, error=exc.message)
    return back(PAGE, ok="Đã thu hồi mã API.")
