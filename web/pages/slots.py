"""The slots page (Khung giờ & cụm loa): zones, slots as assigned, cancellations, holidays."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from playlists.accounts.roles import Action
from playlists.core.errors import DomainError
from playlists.slots import service as slots
from playlists.slots.holidays import upcoming_holidays
from web.auth import needs
from web.deps import ContextDep, SessionDep
from web.forms import parse_day, parse_int
from web.pages.common import back, render

router = APIRouter(include_in_schema=False)
PAGE = "/khung-gio"


class ZoneForm(BaseModel):
    """A new zone (cụm loa)."""

    name: str = ""
    description: str = ""


class SlotForm(BaseModel):
    """A new slot, as the public service centre's document assigns it."""

    name: str = ""
    start: str = ""
    minutes: str = "30"
    days: list[str] = []
    zone_names: list[str] = []
    valid_from: str = ""
    valid_to: str = ""
    document: str = ""
    document_date: str = ""
    head_s: str = "0"
    relay_s: str = "0"
    tail_s: str = "0"

    def read(self, errors: dict[str, str]) -> slots.SlotInput | None:
        """Return the slot asked for, or None after noting each wrong field in `errors`."""
        length = parse_int(self.minutes, "minutes", errors, "thời lượng")
        head = parse_int(self.head_s, "head_s", errors, "nhạc hiệu")
        relay = parse_int(self.relay_s, "relay_s", errors, "tiếp âm")
        tail = parse_int(self.tail_s, "tail_s", errors, "lời kết")
        first = self._day(self.valid_from, "valid_from", "ngày hiệu lực", errors)
        last = self._day(self.valid_to, "valid_to", "ngày hết hiệu lực", errors)
        doc_day = self._day(self.document_date, "document_date", "ngày văn bản", errors)
        try:
            begin = time.fromisoformat(self.start)
        except ValueError:
            errors["start"] = f"Giờ bắt đầu “{self.start}” không hợp lệ (ví dụ 05:30)."
            return None
        if errors:
            return None
        return slots.SlotInput(
            name=self.name, zone_names=self.zone_names, days=",".join(self.days), start=begin,
            minutes=length or 0, valid_from=first, valid_to=last, document=self.document,
            document_date=doc_day, head_s=head or 0, relay_s=relay or 0, tail_s=tail or 0,
        )  # fmt: skip

    @staticmethod
    def _day(value: str, field: str, label: str, errors: dict[str, str]) -> date | None:
        return parse_day(value, field, errors, label) if value else None


class CancelForm(BaseModel):
    """A slot cancelled on one day, with the reason."""

    slot: str = ""
    day: str = ""
    reason: str = ""


@router.get(PAGE, dependencies=[needs(Action.READ)], response_class=HTMLResponse)
def slots_page(
    request: Request, ctx: ContextDep, session: SessionDep, loi: str = "", ok: str = ""
) -> HTMLResponse:
    return render(
        request, session, "slots.html", slots=slots.list_slots(session=session),
        zones=slots.list_zones(session=session), holidays=upcoming_holidays(ctx.today()),
        caps=slots.caps_from(ctx.settings.caps), error=loi, saved=ok,
    )  # fmt: skip


@router.post(f"{PAGE}/cum-loa", dependencies=[needs(Action.MANAGE_SLOTS)])
def zone_create(session: SessionDep, form: Annotated[ZoneForm, Form()]) -> Response:
    try:
        zone = slots.add_zone(form.name, session=session, description=form.description)
    except DomainError as exc:
        session.rollback()
        return back(PAGE, error=exc.message)
    return back(PAGE, ok=f"Đã thêm cụm loa {zone.name}.")


@router.post(f"{PAGE}/them", dependencies=[needs(Action.MANAGE_SLOTS)])
def slot_create(
    ctx: ContextDep, session: SessionDep, form: Annotated[SlotForm, Form()]
) -> Response:
    errors: dict[str, str] = {}
    data = form.read(errors)
    if data is None:
        return back(PAGE, error=" ".join(errors.values()))
    try:
        saved = slots.add_slot(data, session=session, caps=slots.caps_from(ctx.settings.caps))
    except DomainError as exc:
        session.rollback()
        return back(PAGE, error=exc.message)
    warnings = (f"Cảnh báo: {w}" for w in saved.warnings)
    return back(PAGE, ok=" ".join(["Đã thêm khung giờ.", *warnings]))


@router.post(f"{PAGE}/huy", dependencies=[needs(Action.MANAGE_SLOTS)])
def slot_cancel(
    ctx: ContextDep, session: SessionDep, form: Annotated[CancelForm, Form()]
) -> Response:
    errors: dict[str, str] = {}
    target = parse_day(form.day, "day", errors, "ngày hủy")
    if target is None:
        return back(PAGE, error=errors["day"])
    try:
        slots.cancel_slot(form.slot, target, session=session, today=ctx.today(), reason=form.reason)
    except DomainError as exc:
        session.rollback()
        return back(PAGE, error=exc.message)
    return back(PAGE, ok=f"Đã hủy khung giờ {form.slot} ngày {target:%d/%m/%Y}.")
