"""The JSON API under /api: the same operations as the pages, for scripts and other tools.

Routes build their answers inside the request's unit of work (web/deps.py), which commits
before the response is sent. Every refusal has one of two shapes, published here once for all
routes: `{"detail": …}`, and for input refused by field (422) `{"detail": …, "errors": {…}}`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from web.api import (
    account,
    airlog,
    alerts,
    bulletins,
    city,
    emergencies,
    lexicon,
    plan,
    players,
    reports,
    slots,
)


class Problem(BaseModel):
    """A refusal, said in Vietnamese for the person using the tool."""

    detail: str = Field(description="Lý do, bằng tiếng Việt")


class InputProblem(Problem):
    """Input refused: what is wrong with each field sent."""

    errors: dict[str, str] = Field(description="Lỗi của từng trường, theo tên trường")


def _problem(description: str, model: type[Problem] = Problem) -> dict[str, Any]:
    return {"model": model, "description": description}


ERRORS: dict[int | str, dict[str, Any]] = {
    400: _problem("Yêu cầu không hợp lệ"),
    401: _problem("Chưa đăng nhập: thiếu mã API, hoặc mã sai, hết hạn hay đã bị thu hồi"),
    403: _problem("Vai trò không cho phép thao tác này (lý do trong detail)"),
    404: _problem("Không tìm thấy"),
    409: _problem("Không làm được ở trạng thái hiện tại"),
    413: _problem("Dữ liệu gửi lên lớn quá"),
    422: _problem("Dữ liệu không hợp lệ, kèm lỗi của từng trường", InputProblem),
    503: _problem("Tạm thời không làm được (ví dụ: không tạo được giọng đọc)"),
}

router = APIRouter(prefix="/api", tags=["api"], responses=ERRORS)
for area in (
    account,
    slots,
    bulletins,
    plan,
    airlog,
    reports,
    lexicon,
    alerts,
    emergencies,
    players,
    city,
):
    router.include_router(area.router)
