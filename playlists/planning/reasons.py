"""Why a bulletin did not get its plays, or could never air: every message, in Vietnamese, once.

The planner explains each shortfall with these words, and submission refuses a bulletin that
could never air with `why_never_airs`; pages, the API and the command line show them as they
are. Slots are named by their start ("17:00") and days as dd/mm, as staff write them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, time

from playlists.planning.specs import BulletinSpec, SlotSpec, ZoneSpec

NO_AUDIO = "Chưa có âm thanh: bản tin chưa được đọc thành giọng nói hoặc đọc bị lỗi."


def mmss(seconds: float) -> str:
    """Write a length as m:ss."""
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def duration_words(seconds: float) -> str:
    """Write a length in minutes when it is whole minutes, else in seconds."""
    if seconds % 60 == 0:
        return f"{int(seconds) // 60} phút"
    return f"{seconds:g} giây"


def slot_label(start: time) -> str:
    """Name a slot by its start, HH:MM."""
    return f"{start.hour:02d}:{start.minute:02d}"


def day_label(day: date) -> str:
    """Name a day as dd/mm."""
    return f"{day.day:02d}/{day.month:02d}"


# --- a day's plan fell short on a zone ----------------------------------------------------


def no_slot_on_zone(zone: str, day: str) -> str:
    return f"Không có khung giờ nào phát ở cụm loa {zone} ngày {day}."


def longer_than_zone_slots(duration_s: float, zone: str, longest_s: float, day: str) -> str:
    return (
        f"Bản tin dài {mmss(duration_s)}, vượt khung giờ dài nhất của cụm loa {zone} "
        f"({mmss(longest_s)} dành cho bản tin) ngày {day}."
    )


def placed(got: int, asked: int, zone: str) -> str:
    """Say how many of the plays a bulletin asked for it got on a zone."""
    return f"đã xếp {got}/{asked} lượt ở cụm loa {zone}"


def short_of_time_opening(slots: Sequence[str], day: str) -> str:
    """Begin the reason "these slots ran out of time" (the planner adds `placed` and a stop)."""
    return f"Thiếu thời lượng khung giờ {', '.join(slots)} ngày {day}: "


def short_of_time(slots: Sequence[str], day: str, got: int, asked: int, zone: str) -> str:
    return f"{short_of_time_opening(slots, day)}{placed(got, asked, zone)}."


def too_close(gap_s: float, day: str, got: int, asked: int, zone: str) -> str:
    return (
        f"Không đủ khoảng cách tối thiểu {duration_words(gap_s)} giữa hai lượt phát "
        f"ngày {day}: {placed(got, asked, zone)}."
    )


def slots_started(day: str, got: int, asked: int, zone: str) -> str:
    return f"Các khung giờ còn lại ngày {day} đã bắt đầu phát: {placed(got, asked, zone)}."


def too_few_slots(zone: str, slots: int, day: str, asked: int, got: int) -> str:
    return (
        f"Cụm loa {zone} chỉ có {slots} khung giờ ngày {day}, "
        f"bản tin cần {asked} lượt; đã xếp {got} lượt."
    )


# --- a bulletin could never air ----------------------------------------------------------


def why_never_airs(
    bulletin: BulletinSpec, slots: Iterable[SlotSpec], zones: Iterable[ZoneSpec], today: date
) -> str | None:
    """Return why a bulletin could never air (to refuse it at submission), or None.

    It never airs when its last day has passed, when no slot airs on any of its zones on any
    of its remaining days, or when it is longer than the time every such slot leaves for
    bulletins (fixed segments kept). Zones not in `zones` do not count.
    """
    if bulletin.last_day < today:
        return f"Ngày kết thúc ({bulletin.last_day:%d/%m/%Y}) đã qua."
    known = bulletin.zone_ids & {zone.id for zone in zones}
    first = max(bulletin.first_day, today)
    airing = [
        slot
        for slot in slots
        if not slot.zone_ids.isdisjoint(known) and slot.airs_between(first, bulletin.last_day)
    ]
    if not airing:
        return (
            "Không có khung giờ nào phát ở các cụm loa đã chọn trong thời gian "
            f"{bulletin.first_day:%d/%m/%Y} – {bulletin.last_day:%d/%m/%Y}."
        )
    longest = max(slot.items_s for slot in airing)
    if bulletin.rendering_id is not None and bulletin.duration_s > longest:
        return (
            f"Bản tin dài {mmss(bulletin.duration_s)}, vượt thời lượng dành cho bản tin của "
            f"khung giờ dài nhất ({mmss(longest)})."
        )
    return None
