"""Who is asking, and may they: every route declares the action it performs.

A route takes `actor: Annotated[Actor, needs(Action.X)]` (or lists `needs(...)` in its
`dependencies`); public routes (the sign-in page) declare `PUBLIC`. tests/web/test_permissions
walks the route table and fails for a route that declares nothing, then calls every route as
each role and as nobody.

Pages sign in with a session cookie (a random id; the database keeps its hash). The JSON API
takes a personal token (`Authorization: Bearer loa_…`), or the page's cookie for the few calls
the pages make themselves. A request that changes something on a cookie must carry the
session's CSRF token (a form field or the X-CSRF-Token header), and any request that changes
something is refused when its Origin is another site's.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.responses import Response

from playlists.accounts import service as accounts
from playlists.accounts.actor import Actor, Forbidden, Origin, bind
from playlists.accounts.models import User
from playlists.accounts.passwords import csrf_token, same_secret
from playlists.accounts.roles import Action
from web.deps import COOKIE, ContextDep, SessionDep

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SIGN_IN_PAGE = "/dang-nhap"
CHANGE_PASSWORD_PAGE = "/tai-khoan/mat-khau"


class NotSignedIn(Exception):
    """Nobody (valid) is signed in: pages send the browser to sign in, the API answers 401."""

    def __init__(self, message: str = "Cần đăng nhập.") -> None:
        super().__init__(message)
        self.message = message


class CsrfRefused(Forbidden):
    """A change without the session's CSRF token, or from another site."""


@dataclass(frozen=True)
class Caller:
    """The signed-in user of a request, and how they came."""

    actor: Actor
    user: User
    csrf: str  # empty for API tokens: they carry no ambient authority to protect
    # The wards where the user holds a role (read while the session is open: an error page
    # renders after it has closed).
    wards: tuple[str, ...] = ()


def client_address(request: Request) -> str:
    """The client's address; a trusted proxy's X-Forwarded-For names the real one."""
    peer = request.client.host if request.client else ""
    trusted = request.app.state.ctx.settings.trusted_proxy
    if trusted and peer == trusted:
        forwarded = request.headers.get("x-forwarded-for", "").split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            return peer
    return peer


def is_https(request: Request) -> bool:
    """Whether the browser reached us over HTTPS (directly, or through a trusted proxy)."""
    settings = request.app.state.ctx.settings
    if settings.cookie_secure != "auto":
        return bool(settings.cookie_secure == "always")
    if request.url.scheme == "https":
        return True
    peer = request.client.host if request.client else ""
    return (
        bool(settings.trusted_proxy)
        and peer == settings.trusted_proxy
        and (request.headers.get("x-forwarded-proto", "") == "https")
    )


def set_session_cookie(request: Request, response: Response, secret: str) -> None:
    settings = request.app.state.ctx.settings
    response.set_cookie(
        COOKIE,
        secret,
        max_age=settings.session_max_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=is_https(request),
        path="/",
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="lax", secure=is_https(request)
    )


def _foreign_origin(request: Request) -> bool:
    """Whether an Origin (or, without one, a Referer) names a site other than this one."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin == "null"
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    forwarded = request.headers.get("x-forwarded-host")
    candidates = {own, f"https://{request.headers.get('host', '')}"}
    if forwarded and client_address(request) != (request.client.host if request.client else ""):
        candidates.add(f"https://{forwarded}")
    return not any(origin == c or origin.startswith(c + "/") for c in candidates)


def check_origin(request: Request) -> None:
    """Refuse a change that another site's page sent (a form or script on a foreign Origin)."""
    if request.method not in SAFE_METHODS and _foreign_origin(request):
        raise CsrfRefused(
            "Yêu cầu đến từ một trang web khác nên bị từ chối.", "foreign Origin refused"
        )


async def submitted_csrf(request: Request) -> str:
    """The CSRF token a change carried: its header, or its form's hidden field."""
    if request.method in SAFE_METHODS:
        return ""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    kind = request.headers.get("content-type", "")
    if kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


def _caller(
    request: Request, ctx: ContextDep, session: SessionDep, submitted: str
) -> Caller | None:
    """Find who is asking (token, then cookie); None when nobody valid is."""
    check_origin(request)
    now = ctx.now()
    address = client_address(request)
    authorization = request.headers.get("authorization", "")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        user = (
            accounts.token_user(session, token.strip(), now=now)
            if scheme.lower() == "bearer"
            else None
        )
        if user is None:
            raise NotSignedIn("Mã API không hợp lệ, đã hết hạn hoặc đã bị thu hồi.")
        actor = accounts.actor_for(user, Origin.API, ctx.ward_code, address)
        return Caller(actor, user, "", tuple(accounts.wards_of(session, user)))
    secret = request.cookies.get(COOKIE, "")
    found = accounts.session_user(session, secret, settings=ctx.settings.accounts, now=now)
    if found is None:
        return None
    user, _row = found
    csrf = csrf_token(secret)
    if request.method not in SAFE_METHODS and not same_secret(submitted, csrf):
        raise CsrfRefused(
            "Phiên làm việc của trang đã cũ hoặc không hợp lệ. Hãy tải lại trang rồi thử lại.",
            "missing or wrong CSRF token",
        )
    origin = Origin.API if request.url.path.startswith("/api/") else Origin.WEB
    actor = accounts.actor_for(user, origin, ctx.ward_code, address)
    return Caller(actor, user, csrf, tuple(accounts.wards_of(session, user)))


@cache
def needs(action: Action) -> Any:
    """The dependency a route declares: a signed-in caller whose roles allow `action`.

    Gives the route the `Actor`, bound to the request's session (the audit trail records
    it), and leaves the `Caller` on `request.state.caller` for the pages.
    """

    def dependency(
        request: Request,
        ctx: ContextDep,
        session: SessionDep,
        submitted: Annotated[str, Depends(submitted_csrf)],
    ) -> Actor:
        caller = _caller(request, ctx, session, submitted)
        if caller is None:
            raise NotSignedIn()
        request.state.caller = caller
        bind(session, caller.actor)
        # A player's account is a machine's: it signs in with its token only, and never uses
        # (nor could change) the one-time password it was created with.
        if caller.user.must_change_password and action not in (
            Action.OWN_ACCOUNT,
            Action.SYNC_PLAYER,
        ):
            raise MustChangePassword()
        caller.actor.require(action)
        return caller.actor

    dependency.loa_action = action  # type: ignore[attr-defined]
    dependency.__name__ = f"needs_{action.value}"
    return Depends(dependency)


class MustChangePassword(NotSignedIn):
    """Signed in with a one-time password: nothing else until it is changed."""

    def __init__(self) -> None:
        super().__init__("Hãy đổi mật khẩu dùng một lần trước khi làm việc khác.")


def password_refusal(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    actor: Actor,
    password: str,
    *,
    even_with_token: bool = False,
) -> str | None:
    """Why the signed-in person's own password, asked again before a grave action (an
    emergency), is refused; None when it is right, or when a personal API token made the
    call (itself the deliberate credential; pages ask even then). A wrong one is counted like
    a failed sign-in, so the caller commits it rather than raising."""
    caller: Caller = request.state.caller
    if not caller.csrf and not even_with_token:
        return None
    return accounts.confirm_password(
        session, caller.user, password,
        address=actor.address, settings=ctx.settings.accounts, now=ctx.now(),
    )  # fmt: skip


def public(request: Request) -> None:
    """What a public route declares (the sign-in page): nobody needs to be signed in."""
    check_origin(request)


public.loa_action = None  # type: ignore[attr-defined]
PUBLIC = Depends(public)


def _optional_caller(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    submitted: Annotated[str, Depends(submitted_csrf)],
) -> Caller | None:
    """For public pages that greet a signed-in user differently (the sign-in page)."""
    try:
        caller = _caller(request, ctx, session, submitted)
    except (NotSignedIn, Forbidden):
        return None
    if caller is not None:
        request.state.caller = caller
        bind(session, caller.actor)
    return caller


OPTIONAL_CALLER = Depends(_optional_caller)


def declarations(route: Any) -> list[Action | None]:
    """What a route declares it needs: actions (None for public), from its dependency tree."""
    found: list[Action | None] = []
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        if hasattr(dependant.call, "loa_action"):
            found.append(dependant.call.loa_action)
        stack.extend(dependant.dependencies)
    return found


def route_action(route: Any) -> Action | None:
    """The action a route performs (None for a public route or one declaring nothing)."""
    return next((a for a in declarations(route) if a is not None), None)
