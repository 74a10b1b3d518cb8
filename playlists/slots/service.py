"""Add, find and cancel zones and slots: what the public service centre assigns, checked first.

Overlapping slots on one zone are refused: one set of loudspeakers cannot air two programmes.
The province's caps (sessions a day, minutes a session, relays included) warn or refuse, as
the station is configured. Each change is a person's (the session's actor), recorded in the
audit trail.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from playlists.accounts.actor import acting
from playlists.audit.service import record
from playlists.core import changes
from playlists.core.changes import Change
from playlists.core.errors import InputError, NotFound, StateError, range_problem
from playlists.core.settings import CapsSettings
from playlists.core.text import one_line
from playlists.slots.calendar import WEEKDAY_NAMES, parse_days
from playlists.slots.models import Slot, SlotCancellation, Zone


@dataclass(frozen=True)
class Caps:
    """The province's limits on airtime; `refuse` turns warnings into refusals."""

    sessions_per_day: int = 3
    minutes_per_session: int = 45
    refuse: bool = False


def caps_from(settings: CapsSettings) -> Caps:
    """Return the province's caps as the station is configured (LOA_CAP_*)."""
    return Caps(
        sessions_per_day=settings.cap_sessions_per_day,
        minutes_per_session=settings.cap_minutes_per_session,
        refuse=settings.cap_mode == "refuse",
    )


@dataclass(frozen=True)
class SlotInput:
    """A slot as staff enter it."""

    name: str
    zone_names: list[str]
    days: str  # "1-7", "1-5", "2,4,6"; ISO weekdays, 1 is thứ hai
    start: time
    minutes: int
    valid_from: date | None = None
    valid_to: date | None = None
    document: str = ""
    document_date: date | None = None
    head_s: int = 0
    relay_s: int = 0
    tail_s: int = 0
    one_off: bool = False


@dataclass
class SlotSaved:
    """The saved slot and what the province's caps say about it."""

    slot: Slot
    warnings: list[str] = field(default_factory=list)


def list_zones(*, session: Session) -> list[Zone]:
    """Return every zone by name."""
    return list(session.scalars(select(Zone).order_by(Zone.name)))


def zone_ids_by_names(*, session: Session, names: list[str]) -> list[int]:
    """Resolve zone names to ids, refusing unknown names."""
    zones = {zone.name.casefold(): zone.id for zone in list_zones(session=session)}
    unknown = [name for name in names if name.casefold() not in zones]
    if unknown:
        known = ", ".join(zone.name for zone in list_zones(session=session)) or "chưa có"
        raise InputError(
            {"zone_ids": f"Không có cụm loa: {', '.join(unknown)}. Các cụm loa hiện có: {known}."}
        )
    return [zones[name.casefold()] for name in names]


def has_zones(*, session: Session) -> bool:
    """Tell whether the station has any zone yet."""
    return session.scalar(select(Zone.id).limit(1)) is not None


def longest_slot_s(*, session: Session) -> int | None:
    """Return the longest slot's duration, or None when no slot exists yet."""
    return session.scalar(select(func.max(Slot.duration_s)))


def add_zone(name: str, *, session: Session, description: str = "") -> Zone:
    """Add a zone (cụm loa), refusing an empty or duplicate name."""
    acting(session)  # a person's change: known before anything is checked or written
    name = " ".join(one_line(name).split())
    if not name or len(name) > 100:
        raise InputError({"name": "Tên cụm loa cần từ 1 đến 100 ký tự."})
    if session.scalar(select(Zone).where(Zone.name == name)) is not None:
        raise InputError({"name": f"Đã có cụm loa “{name}”."})
    zone = Zone(name=name, description=one_line(description).strip())
    session.add(zone)
    session.flush()
    record(session, "zone_added", subject_kind="zone", subject_id=zone.id,
           summary=f"Thêm cụm loa “{zone.name}”",
           after={"name": zone.name, "description": zone.description})  # fmt: skip
    return zone


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _ranges_meet(a: Slot | SlotInput, b: Slot) -> bool:
    """Tell whether two slots' validity ranges share a day."""
    a_from = a.valid_from or date.min
    a_to = a.valid_to or date.max
    return a_from <= (b.valid_to or date.max) and (b.valid_from or date.min) <= a_to


def _clash(new: SlotInput, days: str, other: Slot) -> str | None:
    """Return the shared weekday if two slots overlap in time on a shared zone, else None."""
    shared = sorted(set(days) & set(other.days))
    if not shared or not _ranges_meet(new, other):
        return None
    start, end = _minutes(new.start), _minutes(new.start) + new.minutes
    o_start, o_end = _minutes(other.start), _minutes(other.start) + other.duration_s // 60
    if start < o_end and o_start < end:
        return WEEKDAY_NAMES[int(shared[0])]
    return None


def check_caps(
    *, session: Session, zones: list[Zone], days: str, minutes: int, caps: Caps,
    valid_from: date | None, valid_to: date | None, ignore_id: int | None = None,
) -> list[str]:  # fmt: skip
    """Say, in Vietnamese, how a slot would break the province's caps on each zone."""
    problems: list[str] = []
    if minutes > caps.minutes_per_session:
        problems.append(
            f"Buổi phát dài {minutes} phút, vượt mức {caps.minutes_per_session} phút "
            "mỗi buổi (kể cả tiếp âm)."
        )
    probe = SlotInput(name="", zone_names=[], days=days, start=time(0), minutes=minutes,
                      valid_from=valid_from, valid_to=valid_to)  # fmt: skip
    for zone in zones:
        per_day: dict[str, int] = defaultdict(int)
        for other in session.scalars(select(Slot).where(Slot.zones.contains(zone))):
            if other.id == ignore_id or not _ranges_meet(probe, other):
                continue
            for d in other.days:
                per_day[d] += 1
        for d in days:
            if per_day[d] + 1 > caps.sessions_per_day:
                problems.append(
                    f"Cụm loa {zone.name} sẽ có {per_day[d] + 1} buổi phát vào "
                    f"{WEEKDAY_NAMES[int(d)]}, vượt mức {caps.sessions_per_day} buổi mỗi ngày."
                )
                break
    return problems


def add_slot(data: SlotInput, *, session: Session, caps: Caps) -> SlotSaved:
    """Add a slot; refuse overlaps on a zone; warn or refuse what breaks the caps.

    The audit trail keeps the warnings the person went past, with the slot.
    """
    acting(session)
    errors: dict[str, str] = {}
    name = " ".join(one_line(data.name).split())
    if not name or len(name) > 100:
        errors["name"] = "Tên khung giờ cần từ 1 đến 100 ký tự."
    elif session.scalar(select(Slot).where(Slot.name == name)) is not None:
        errors["name"] = f"Đã có khung giờ “{name}”."
    days = parse_days(data.days)
    if not 1 <= data.minutes <= 24 * 60:
        errors["minutes"] = "Thời lượng khung giờ phải từ 1 phút đến 24 giờ."
    elif _minutes(data.start) + data.minutes > 24 * 60:
        errors["minutes"] = "Khung giờ không được kéo sang ngày hôm sau."
    if data.valid_from and data.valid_to:
        backwards = range_problem(
            data.valid_from,
            data.valid_to,
            first_name="ngày bắt đầu hiệu lực",
            last_name="Ngày hết hiệu lực",
        )
        if backwards:
            errors["valid_to"] = backwards
    fixed = data.head_s + data.relay_s + data.tail_s
    if min(data.head_s, data.relay_s, data.tail_s) < 0:
        errors["segments"] = "Thời lượng nhạc hiệu, tiếp âm, lời kết không được âm."
    elif fixed >= data.minutes * 60 > 0:
        errors["segments"] = (
            "Nhạc hiệu, tiếp âm và lời kết chiếm hết khung giờ, không còn chỗ cho bản tin."
        )
    zones: list[Zone] = []
    if not data.zone_names:
        errors["zones"] = "Cần chọn ít nhất một cụm loa."
    for zone_name in data.zone_names:
        zone = session.scalar(select(Zone).where(Zone.name == one_line(zone_name).strip()))
        if zone is None:
            errors["zones"] = f"Không có cụm loa “{zone_name}”."
        else:
            zones.append(zone)
    if errors:
        raise InputError(errors)
    for zone in zones:
        for other in session.scalars(select(Slot).where(Slot.zones.contains(zone))):
            weekday = _clash(data, days, other)
            if weekday:
                raise InputError(
                    {"start": f"Trùng giờ với khung “{other.name}” "
                              f"({other.start:%H:%M}, {other.duration_s // 60} phút) ở cụm loa "
                              f"{zone.name} vào {weekday}."}
                )  # fmt: skip
    warnings = check_caps(
        session=session, zones=zones, days=days, minutes=data.minutes, caps=caps,
        valid_from=data.valid_from, valid_to=data.valid_to,
    )  # fmt: skip
    if warnings and caps.refuse:
        raise InputError({"caps": " ".join(warnings)})
    slot = Slot(
        name=name, start=data.start, duration_s=data.minutes * 60, days=days,
        valid_from=data.valid_from, valid_to=data.valid_to,
        document=one_line(data.document).strip(), document_date=data.document_date,
        head_s=data.head_s, relay_s=data.relay_s, tail_s=data.tail_s, one_off=data.one_off,
        zones=zones,
    )  # fmt: skip
    session.add(slot)
    session.flush()
    if slot.one_off and slot.valid_from is not None:
        action = "one_off_added"
        summary = (
            f"Thêm buổi phát một lần “{slot.name}” ngày {slot.valid_from:%d/%m/%Y}, "
            f"{slot.start:%H:%M}, {data.minutes} phút"
        )
    else:
        action = "slot_added"
        summary = f"Thêm khung giờ “{slot.name}”: {slot.start:%H:%M}, {data.minutes} phút"
    record(session, action, subject_kind="slot", subject_id=slot.id, summary=summary,
           after=_slot_state(slot), note=" ".join(warnings))  # fmt: skip
    changes.note(session, Change.PLANS)
    return SlotSaved(slot=slot, warnings=warnings)


def _slot_state(slot: Slot) -> dict[str, object]:
    """A slot as the audit trail records it."""
    return {
        "name": slot.name,
        "zones": sorted(zone.name for zone in slot.zones),
        "start": slot.start.strftime("%H:%M"),
        "minutes": slot.duration_s // 60,
        "days": slot.days,
        "valid_from": slot.valid_from.isoformat() if slot.valid_from else None,
        "valid_to": slot.valid_to.isoformat() if slot.valid_to else None,
        "document": slot.document,
        "document_date": slot.document_date.isoformat() if slot.document_date else None,
        "head_s": slot.head_s,
        "relay_s": slot.relay_s,
        "tail_s": slot.tail_s,
        "one_off": slot.one_off,
    }


def add_one_off(
    name: str, *, zone_names: list[str], day: date, start: time, minutes: int,
    session: Session, caps: Caps, document: str = "",
) -> SlotSaved:  # fmt: skip
    """Add a slot that airs on one date only (a campaign day, an extra session)."""
    data = SlotInput(
        name=name, zone_names=zone_names, days=str(day.isoweekday()), start=start,
        minutes=minutes, valid_from=day, valid_to=day, document=document, one_off=True,
    )  # fmt: skip
    return add_slot(data, session=session, caps=caps)


def find_slot(name_or_time: str, *, session: Session) -> Slot:
    """Find a slot by name (any case) or by its start written HH:MM."""
    wanted = one_line(name_or_time).strip()
    for slot in session.scalars(select(Slot).options(selectinload(Slot.zones))):
        if slot.name.casefold() == wanted.casefold() or slot.start.strftime("%H:%M") == wanted:
            return slot
    raise NotFound(f"Không có khung giờ “{wanted}”.", f"no slot {wanted!r}")


def cancel_slot(
    name_or_time: str, day: date, *, session: Session, today: date, reason: str = ""
) -> SlotCancellation:
    """Cancel a slot on one date; past dates are history and stay as they were."""
    acting(session)
    slot = find_slot(name_or_time, session=session)
    if day < today:
        raise StateError(
            f"Không hủy được khung giờ của ngày đã qua ({day:%d/%m/%Y}).", f"past day {day}"
        )
    if not slot.airs_on(day):
        raise InputError({"date": f"Khung giờ “{slot.name}” không phát vào ngày {day:%d/%m/%Y}."})
    cancellation = SlotCancellation(slot=slot, day=day, reason=one_line(reason).strip())
    session.add(cancellation)
    session.flush()
    on = day.isoformat()
    record(session, "slot_cancelled", subject_kind="slot", subject_id=slot.id,
           summary=f"Hủy khung giờ “{slot.name}” ngày {day:%d/%m/%Y}",
           before={"day": on, "airs": True},
           after={"day": on, "airs": False, "reason": cancellation.reason})  # fmt: skip
    changes.note(session, Change.PLANS)
    return cancellation


def record_manual_play(name_or_time: str, day: date, *, session: Session, now: datetime) -> Slot:
    """Find the slot a person asks to air by hand now (`loa play`), and record who asked.

    The airing itself is the station's: the as-run log keeps it with the source "phát tay".
    The request is recorded in a unit of work of its own, committed before the slot airs, so
    the audit trail keeps who asked even when the airing fails or is cut.
    """
    acting(session)
    slot = find_slot(name_or_time, session=session)
    record(session, "slot_played_by_hand", subject_kind="slot", subject_id=slot.id,
           summary=f"Phát tay khung giờ “{slot.name}” theo lịch ngày {day:%d/%m/%Y}",
           after={"day": day.isoformat()}, at=now)  # fmt: skip
    return slot


def list_slots(*, session: Session) -> list[Slot]:
    """Return every slot by start time, with zones and cancellations."""
    query = select(Slot).options(selectinload(Slot.zones), selectinload(Slot.cancellations))
    return list(session.scalars(query.order_by(Slot.start, Slot.name)))
