"""Request bodies counted as they arrive, and refused (413) the moment they pass the limit.

The outermost layer of the app (before authentication, before any route reads a byte): a
body announced larger than the limit (Content-Length) is refused before it is read, and a
body that turns out larger (chunked, or a lying Content-Length) is refused at the chunk that
passes it. Nothing is kept: the bytes are counted, not stored, so a 2 GiB upload or a 300 MB
JSON costs neither disk nor memory.

Two limits: an upload (multipart to a route that takes a file) may be as large as a recording
(LOA_MAX_UPLOAD_MB, plus the form's other fields); every other body is small (LOA_MAX_BODY_KB).
"""

from __future__ import annotations

import inspect
import json
import logging
import typing
from html import escape
from typing import Any

from fastapi import FastAPI, params
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from playlists.core.settings import LimitsSettings
from web.deps import COOKIE
from web.routes import served

log = logging.getLogger(__name__)

MB = 1024 * 1024


def limit_bodies(app: FastAPI, limits: LimitsSettings) -> None:
    """Make the body limit the app's outermost middleware (call it after every other one)."""
    app.add_middleware(BodyLimit, upload_mb=limits.max_upload_mb, body_kb=limits.max_body_kb)


def reads_a_file(endpoint: Any) -> bool:
    """Tell whether a route's function takes an uploaded file (a `File()` parameter)."""
    try:
        hints = typing.get_type_hints(endpoint, include_extras=True)
        defaults = [p.default for p in inspect.signature(endpoint).parameters.values()]
    except (TypeError, NameError, ValueError):
        return False
    marks = [meta for hint in hints.values() for meta in getattr(hint, "__metadata__", ())]
    return any(isinstance(mark, params.File) for mark in [*marks, *defaults])


def size_text(size: int) -> str:
    """Say a size the way staff read it: "50 MB", "1 MB", "512 KB"."""
    if size >= MB:
        return f"{size / MB:.0f} MB" if size % MB == 0 else f"{size / MB:.1f} MB".replace(".", ",")
    return f"{size // 1024} KB"


class BodyLimit:
    """Pure ASGI middleware: count each request's body bytes; answer 413 past the limit."""

    def __init__(self, app: ASGIApp, *, upload_mb: int, body_kb: int) -> None:
        self.app = app
        self.body_bytes = body_kb * 1024
        # The recording, and the form's other fields beside it.
        self.upload_bytes = upload_mb * MB + self.body_bytes
        self.upload_said = f"Tệp gửi lên lớn quá: tối đa {upload_mb} MB."
        self.body_said = f"Dữ liệu gửi lên lớn quá: tối đa {size_text(self.body_bytes)}."
        self._routes: list[Any] | None = None
        self._takes_files: dict[object, bool] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = self._is_upload(scope)
        limit, said = (
            (self.upload_bytes, self.upload_said) if upload else (self.body_bytes, self.body_said)
        )
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            log.info("refused %s %s: %s bytes announced", scope["method"], scope["path"], declared)
            await _refuse(scope, send, said)
            return

        received = 0
        refused = False
        started = False

        async def counted() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    log.info(
                        "refused %s %s: body past %s bytes", scope["method"], scope["path"], limit
                    )
                    if not started:
                        await _refuse(scope, send, said)
                    # The app sees the client gone: it stops reading and its answer is dropped.
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 was the answer
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not refused:
                raise
            # Whatever the app made of the missing body (a parse error, a disconnect) is moot.
            log.debug("after a refused body", exc_info=True)

    def _is_upload(self, scope: Scope) -> bool:
        """Tell whether a request is a multipart upload to a route that takes a file."""
        content_type = _header(scope, b"content-type") or ""
        if not content_type.lower().startswith("multipart/form-data"):
            return False
        # Only someone who may be signed in earns the upload's limit: the form is parsed
        # before the route's sign-in check, so nobody could otherwise spool 50 MB to disk.
        cookies = _header(scope, b"cookie") or ""
        if _header(scope, b"authorization") is None and f"{COOKIE}=" not in cookies:
            return False
        if self._routes is None:
            self._routes = list(served(getattr(scope.get("app"), "routes", [])))
        for route in self._routes:
            match, child = route.matches(scope)
            if match == Match.FULL:
                endpoint = child.get("endpoint")
                if endpoint not in self._takes_files:
                    self._takes_files[endpoint] = reads_a_file(endpoint)
                return self._takes_files[endpoint]
        return False


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    if value is None or not (value.strip().isascii() and value.strip().isdigit()):
        return None  # the server refuses a malformed one; the count still holds
    return int(value.strip())


async def _refuse(scope: Scope, send: Send, message: str) -> None:
    path: str = scope.get("path", "")
    if path == "/api" or path.startswith("/api/"):
        body = json.dumps({"detail": message}, ensure_ascii=False).encode()
        content_type = b"application/json"
    else:
        body = _PAGE.format(message=escape(message)).encode()
        content_type = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body is never read: the connection cannot carry another request.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


_PAGE = """<!doctype html>
<html lang="vi">
<head><meta charset="utf-8"><title>Quá lớn – Loa Phường</title></head>
<body>
<h1>Không nhận được</h1>
<p>{message}</p>
<p><a href="/">Về trang chủ</a></p>
</body>
</html>
"""
