"""Server-rendered pages in Vietnamese for editors, approvers and operators, one module per area."""

from __future__ import annotations

from fastapi import APIRouter

from web.pages import airlog, alerts, bulletins, emergencies, home, lexicon, plan, slots

router = APIRouter(include_in_schema=False)
for area in (home, bulletins, plan, airlog, slots, lexicon, alerts, emergencies):
    router.include_router(area.router)
