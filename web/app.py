"""The FastAPI application: pages, the JSON API, and the scheduler running beside them."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from playlists.core.errors import DomainError, InputError
from web import api, pages
from web.context import StationContext

log = logging.getLogger(__name__)


def create_app(ctx: StationContext, *, run_scheduler: bool = True) -> FastAPI:
    """Build the web app around a station; the scheduler starts and stops with it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if run_scheduler:
            ctx.start()
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
    app.mount(
        "/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static"
    )
    app.include_router(pages.router)
    app.include_router(api.router)

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

    return app


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
    }
    return f"{messages.get(kind, 'Giá trị không hợp lệ.')} ({error.get('msg')})"
