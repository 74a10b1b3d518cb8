"""Who am I, and my personal API tokens, in the JSON API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from playlists.accounts import service as accounts
from playlists.accounts.actor import Actor, Forbidden
from playlists.accounts.roles import Action, Role
from playlists.core.bounds import Id
from playlists.core.text import OneLine
from web.auth import needs
from web.deps import ContextDep, SessionDep

router = APIRouter()
Me = Annotated[Actor, needs(Action.OWN_ACCOUNT)]


class MeRead(BaseModel):
    username: str
    display_name: str
    roles: list[Role]


class TokenCreate(BaseModel):
    label: OneLine = Field(default="", max_length=100, description="Ghi chú để nhận ra mã")
    days: int = Field(
        default=90, ge=1, le=3650, description="Số ngày hiệu lực (tối đa LOA_API_TOKEN_DAYS)"
    )


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    prefix: str
    label: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenMade(TokenRead):
    token: str = Field(description="Mã API: chỉ hiện một lần, hãy lưu lại ngay")


@router.get("/me", summary="Tài khoản đang dùng")
def me(actor: Me) -> MeRead:
    return MeRead(
        username=actor.username, display_name=actor.display_name, roles=sorted(actor.roles)
    )


@router.get("/tokens", summary="Mã API của tôi")
def my_tokens(session: SessionDep, actor: Me) -> list[TokenRead]:
    user = accounts.get_user(session, actor.username)
    return [TokenRead.model_validate(t) for t in accounts.tokens_of(session, user)]


@router.post("/tokens", status_code=201, summary="Tạo mã API mới (hiện một lần)")
def make_token(
    request: Request, body: TokenCreate, ctx: ContextDep, session: SessionDep, actor: Me
) -> TokenMade:
    if not request.state.caller.csrf:
        # A token that could make tokens would outlive its own revocation.
        raise Forbidden(
            "Mã API không tạo được mã API mới: hãy tạo trên trang “Tài khoản của tôi”.",
            "token made with a token refused",
        )
    token, secret = accounts.make_token(
        session, actor.username, days=body.days, max_days=ctx.settings.api_token_days,
        label=body.label, now=ctx.now(),
    )  # fmt: skip
    return TokenMade.model_validate(
        TokenRead.model_validate(token).model_dump() | {"token": secret}
    )


@router.delete("/tokens/{token_id}", status_code=204, summary="Thu hồi một mã API")
def revoke_token(token_id: Id, ctx: ContextDep, session: SessionDep, actor: Me) -> Response:
    accounts.revoke_token(session, token_id, now=ctx.now())
    return Response(status_code=204)
