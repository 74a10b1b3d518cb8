"""The JSON API under /api: the same operations as the pages, for scripts and other tools.

Routes build their answers inside the request's unit of work (web/deps.py), which commits
before the response is sent.
"""

from __future__ import annotations

from fastapi import APIRouter

from web.api import airlog, alerts, bulletins, emergencies, lexicon, plan, slots

router = APIRouter(prefix="/api", tags=["api"])
for area in (slots, bulletins, plan, airlog, lexicon, alerts, emergencies):
    router.include_router(area.router)
