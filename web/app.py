"""The FastAPI application: pages, the JSON API, and the scheduler running beside them."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from playlists.accounts.actor import Forbidden
from playlists.accounts.roles import ALLOWED, EVERYONE, Role
from playlists.core.errors import DomainError, InputError
from web import api, pages
from web.auth import (
    CHANGE_PASSWORD_PAGE,
    SIGN_IN_PAGE,
    MustChangePassword,
    NotSignedIn,
    route_action,
)
from web.context import StationContext
from web.limits import limit_bodies
from web.routes import endpoints

log = logging.getLogger(__name__)


def create_app(ctx: StationContext, *, run_scheduler: bool = True) -> FastAPI:
    """Build the web app around a station; the scheduler starts and stops with it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if run_scheduler:
            ctx.start()
        # In the background: pages answer meanwhile.
        threading.Thread(target=ctx.know_every_ward, name="wards", daemon=True).start()
        yield
        if run_scheduler:
            ctx.stop()

    app = FastAPI(
        title="Loa Phường",
        description="Đài truyền thanh phường: bản tin, lịch phát, nhật ký phát sóng.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.ctx = ctx
    app.openapi = lambda: _openapi_with_roles(app)  # type: ignore[method-assign]
    app.mount(
        "/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static"
    )
    app.include_router(pages.router)
    app.include_router(api.router)

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if _is_api(request):
            return JSONResponse(
                {"detail": exc.message}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        if isinstance(exc, MustChangePassword):
            return RedirectResponse(CHANGE_PASSWORD_PAGE, status_code=303)
        back = request.url.path if request.method == "GET" else ""
        target = f"{SIGN_IN_PAGE}?tiep={quote(back)}" if back and back != "/" else SIGN_IN_PAGE
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        log.warning("forbidden %s %r: %s", request.method, request.url.path, exc.detail)
        if _is_api(request):
            return JSONResponse({"detail": exc.message}, status_code=403)
        from web.pages.common import error_page

        return error_page(request, exc.message, 403)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        log.info("refused %s %s: %s", request.method, request.url.path, exc.detail)
        body: dict[str, object] = {"detail": exc.message}
        if isinstance(exc, InputError):
            body["errors"] = exc.errors
        return JSONResponse(body, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = {
            ".".join(str(p) for p in err["loc"] if p != "body"): _vietnamese(err)
            for err in exc.errors()
        }
        return JSONResponse(
            {"detail": "Dữ liệu gửi lên không hợp lệ.", "errors": errors}, status_code=422
        )

    limit_bodies(app, ctx.settings.limits)  # last added, so the outermost: before everything
    return app


def _openapi_with_roles(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI schema, saying for each operation which role it needs and how to sign in."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    schema.setdefault("components", {}).setdefault("securitySchemes", {})["ma_api"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "Mã API cá nhân (Tài khoản của tôi → Mã API, hoặc `loa user token`).",
    }
    for endpoint in endpoints(app.routes):
        if not endpoint.route.include_in_schema:
            continue
        action = route_action(endpoint.route)
        for method in endpoint.methods:
            operation = schema["paths"].get(endpoint.path, {}).get(method.lower())
            if operation is None or action is None:
                continue
            roles = " hoặc ".join(r.label for r in Role if r in ALLOWED[action])
            need = "Mọi người đã đăng nhập" if ALLOWED[action] == EVERYONE else roles
            operation["description"] = (
                f"**Vai trò cần:** {need}.\n\n" + operation.get("description", "")
            ).strip()
            operation["security"] = [{"ma_api": []}]
            operation["x-loa-action"] = action.value
    app.openapi_schema = schema
    return schema


def _is_api(request: Request) -> bool:
    return request.url.path == "/api" or request.url.path.startswith("/api/")


def _vietnamese(error: dict[str, object]) -> str:
    """Say a pydantic validation error in Vietnamese, keeping the English detail after it."""
    kind = str(error.get("type", ""))
    messages = {
        "missing": "Thiếu trường bắt buộc.",
        "date_from_datetime_parsing": "Ngày không hợp lệ (YYYY-MM-DD).",
        "date_parsing": "Ngày không hợp lệ (YYYY-MM-DD).",
        "int_parsing": "Phải là số nguyên.",
        "float_parsing": "Phải là số.",
        "enum": "Giá trị không nằm trong danh sách cho phép.",
        "json_invalid": "JSON không hợp lệ.",
        "greater_than_equal": "Phải từ {ge} trở lên.",
        "less_than_equal": "Không được lớn hơn {le}.",
        "too_long": "Nhiều quá: tối đa {max_length} mục.",
        "string_too_long": "Dài quá: tối đa {max_length} ký tự.",
        "int_from_float": "Phải là số nguyên.",
        "value_error": "{error}",
    }
    context = error.get("ctx")
    said = messages.get(kind, "Giá trị không hợp lệ.")
    try:
        said = said.format(**context) if isinstance(context, dict) else said
    except (KeyError, IndexError):
        said = "Giá trị không hợp lệ."
    if kind == "value_error":  # the validator's own words, already in Vietnamese
        return said
    return f"{said} ({error.get('msg')})"
