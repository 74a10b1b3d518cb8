"""Zones and slots from the command line: `loa zone …` and `loa slot …`.

Adding and cancelling need an operator (`--by`); listing needs nobody.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from web.cli import common
from web.cli.common import app, by_option, parse_date, parse_time, settings_or_exit

OPERATOR = "Kỹ thuật viên vận hành"

zone_app = typer.Typer(help="Cụm loa.", no_args_is_help=True)
slot_app = typer.Typer(help="Khung giờ phát sóng.", no_args_is_help=True)
app.add_typer(zone_app, name="zone")
app.add_typer(slot_app, name="slot")


@zone_app.command("add")
def zone_add(
    name: Annotated[str, typer.Argument(help="Tên cụm loa")],
    description: Annotated[str, typer.Option(help="Mô tả")] = "",
    by: Annotated[str, by_option(OPERATOR)] = "",
) -> None:
    """Thêm cụm loa."""
    from playlists.accounts.roles import Action
    from playlists.slots.service import add_zone

    with common.station() as ctx, ctx.unit_of_work() as session:
        common.acting_as(session, by, Action.MANAGE_SLOTS)
        zone = add_zone(name, session=session, description=description)
        typer.echo(f"Đã thêm cụm loa {zone.name} (mã {zone.id}).")


@zone_app.command("list")
def zone_list() -> None:
    """Liệt kê các cụm loa."""
    from playlists.slots.service import list_zones

    with common.station() as ctx, ctx.unit_of_work() as session:
        for zone in list_zones(session=session):
            typer.echo(f"{zone.id}\t{zone.name}\t{zone.description}")


@slot_app.command("add")
def slot_add(
    name: Annotated[str, typer.Option("--name", help="Tên khung giờ")],
    zone: Annotated[list[str], typer.Option("--zone", help="Cụm loa (lặp lại cho nhiều cụm)")],
    days: Annotated[str, typer.Option("--days", help="Ngày trong tuần: 1-7, 1-5, 2,4,6")],
    start: Annotated[str, typer.Option("--start", help="Giờ bắt đầu HH:MM")],
    minutes: Annotated[int, typer.Option("--minutes", help="Thời lượng (phút)")],
    first: Annotated[str | None, typer.Option("--from", help="Hiệu lực từ YYYY-MM-DD")] = None,
    last: Annotated[str | None, typer.Option("--to", help="Hiệu lực đến YYYY-MM-DD")] = None,
    document: Annotated[str, typer.Option(help="Số văn bản giao khung giờ")] = "",
    document_date: Annotated[str | None, typer.Option(help="Ngày văn bản YYYY-MM-DD")] = None,
    head: Annotated[int, typer.Option(help="Giây nhạc hiệu + giới thiệu đài")] = 0,
    relay: Annotated[int, typer.Option(help="Giây tiếp âm đài quốc gia")] = 0,
    tail: Annotated[int, typer.Option(help="Giây lời kết + nhạc hiệu")] = 0,
    by: Annotated[str, by_option(OPERATOR)] = "",
) -> None:
    """Thêm khung giờ phát sóng."""
    from playlists.accounts.roles import Action
    from playlists.slots.service import SlotInput, add_slot, caps_from

    data = SlotInput(
        name=name, zone_names=zone, days=days, start=parse_time(start, "--start"),
        minutes=minutes, valid_from=parse_date(first, "--from") if first else None,
        valid_to=parse_date(last, "--to") if last else None, document=document,
        document_date=parse_date(document_date, "--document-date") if document_date else None,
        head_s=head, relay_s=relay, tail_s=tail,
    )  # fmt: skip
    with common.station() as ctx, ctx.unit_of_work() as session:
        common.acting_as(session, by, Action.MANAGE_SLOTS)
        saved = add_slot(data, session=session, caps=caps_from(ctx.settings.caps))
        typer.echo(
            f"Đã thêm khung giờ {saved.slot.name}: {saved.slot.start:%H:%M}, "
            f"{minutes} phút, ngày {saved.slot.days}."
        )
        for warning in saved.warnings:
            typer.echo(f"Cảnh báo: {warning}", err=True)


@slot_app.command("cancel")
def slot_cancel(
    slot: Annotated[str, typer.Option("--slot", help="Tên khung giờ hoặc giờ HH:MM")],
    day: Annotated[str, typer.Option("--date", help="Ngày hủy YYYY-MM-DD")],
    reason: Annotated[str, typer.Option(help="Lý do")] = "",
    by: Annotated[str, by_option(OPERATOR)] = "",
) -> None:
    """Hủy một khung giờ vào một ngày."""
    from playlists.accounts.roles import Action
    from playlists.slots.service import cancel_slot

    target = parse_date(day, "--date")
    with common.station() as ctx, ctx.unit_of_work() as session:
        common.acting_as(session, by, Action.MANAGE_SLOTS)
        cancelled = cancel_slot(slot, target, session=session, today=ctx.today(), reason=reason)
        typer.echo(f"Đã hủy khung giờ {cancelled.slot.name} ngày {target:%d/%m/%Y}.")


@slot_app.command("list")
def slot_list() -> None:
    """Liệt kê khung giờ."""
    from playlists.slots.service import list_slots

    with common.station() as ctx, ctx.unit_of_work() as session:
        for s in list_slots(session=session):
            zones = ", ".join(z.name for z in s.zones)
            valid = f"{s.valid_from or '…'}→{s.valid_to or '…'}"
            cancelled = ", ".join(c.day.isoformat() for c in s.cancellations)
            typer.echo(
                f"{s.name}\t{s.start:%H:%M}\t{s.duration_s // 60} phút\tngày {s.days}\t"
                f"{valid}\t{zones}" + (f"\thủy: {cancelled}" if cancelled else "")
            )


@slot_app.command("holidays")
def slot_holidays(
    year: Annotated[int | None, typer.Option(help="Năm (mặc định: năm nay)")] = None,
) -> None:
    """Gợi ý các ngày lễ để hủy hoặc đổi khung giờ."""
    from playlists.slots.holidays import holiday_suggestions

    settings = settings_or_exit()
    wanted = year or datetime.now(settings.zone).year
    for day, name in holiday_suggestions(wanted):
        typer.echo(f"{day.isoformat()}\t{name}")
