"""Server-rendered pages in Vietnamese for editors, approvers and operators, one module per area."""

from __future__ import annotations

from fastapi import APIRouter

from web.pages import (
    account,
    airlog,
    alerts,
    audit,
    bulletins,
    city,
    emergencies,
    home,
    lexicon,
    plan,
    players,
    reports,
    slots,
    users,
)

router = APIRouter(include_in_schema=False)
for area in (
    account,
    home,
    bulletins,
    plan,
    airlog,
    reports,
    slots,
    lexicon,
    alerts,
    players,
    emergencies,
    users,
    audit,
    city,
):
    router.include_router(area.router)
