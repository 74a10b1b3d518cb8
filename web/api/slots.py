"""Zones and slots in the JSON API."""

from __future__ import annotations

from fastapi import APIRouter

from playlists.accounts.roles import Action
from playlists.slots import service as slot_service
from playlists.slots.schemas import SlotRead, ZoneRead
from web.auth import needs
from web.deps import SessionDep

router = APIRouter()


@router.get("/zones", dependencies=[needs(Action.READ)], summary="Danh sách cụm loa")
def zones(session: SessionDep) -> list[ZoneRead]:
    return [ZoneRead.model_validate(z) for z in slot_service.list_zones(session=session)]


@router.get("/slots", dependencies=[needs(Action.READ)], summary="Danh sách khung giờ")
def slots(session: SessionDep) -> list[SlotRead]:
    return [SlotRead.model_validate(s) for s in slot_service.list_slots(session=session)]
