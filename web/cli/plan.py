"""Day plans from the command line: `loa plan build` and `loa plan export`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from web.cli import common
from web.cli.common import app, by_option, fail, parse_date

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from web.context import StationContext

plan_app = typer.Typer(help="Lịch phát.", no_args_is_help=True)
app.add_typer(plan_app, name="plan")


def store_plan(ctx: StationContext, session: Session, day: date) -> None:
    """Build and store a day's plan in `session`, asked for by the actor bound to it."""
    from playlists.planning.store import build_and_store, rules_from

    build_and_store(
        session=session, day=day, tz=ctx.settings.zone, now=ctx.now(),
        rules=rules_from(ctx.settings.planning), audited=True,
    )  # fmt: skip


@plan_app.command("build")
def plan_build(
    day: Annotated[str, typer.Option("--date", help="Ngày YYYY-MM-DD")],
    as_json: Annotated[bool, typer.Option("--json", help="In JSON")] = False,
    by: Annotated[str, by_option("Kỹ thuật viên vận hành")] = "",
) -> None:
    """Lập và in lịch phát của một ngày."""
    from playlists.accounts.roles import Action
    from playlists.planning.views import plan_as_json, read_plan

    target = parse_date(day, "--date")
    with common.station() as ctx:
        with ctx.unit_of_work() as session:
            common.acting_as(session, by, Action.BUILD_PLAN)
            store_plan(ctx, session, target)
        with ctx.unit_of_work() as session:
            view = read_plan(session=session, day=target, tz=ctx.settings.zone)
            shape = plan_as_json(view, ctx.settings.zone)
    show_plan(shape, target, as_json=as_json)


@plan_app.command("show")
def plan_show(
    day: Annotated[str, typer.Option("--date", help="Ngày YYYY-MM-DD")],
    as_json: Annotated[bool, typer.Option("--json", help="In JSON")] = False,
) -> None:
    """In lịch phát đã lập của một ngày (không lập lại)."""
    from playlists.planning.views import plan_as_json, read_plan

    target = parse_date(day, "--date")
    with common.station() as ctx, ctx.unit_of_work() as session:
        view = read_plan(session=session, day=target, tz=ctx.settings.zone)
        shape = plan_as_json(view, ctx.settings.zone)
    if view.built_at is None and not as_json:
        typer.echo(f"Chưa lập lịch phát ngày {target:%d/%m/%Y} (loa plan build).", err=True)
    show_plan(shape, target, as_json=as_json)


def show_plan(shape: dict[str, Any], target: date, *, as_json: bool) -> None:
    """Print a plan's stable JSON shape, or the same for a person."""
    if as_json:
        typer.echo(json.dumps(shape, ensure_ascii=False, indent=2))
        return
    typer.echo(f"Lịch phát ngày {target:%d/%m/%Y}")
    for zone_plan in shape["zones"]:
        typer.echo(f"\n{zone_plan['zone']}")
        for slot in zone_plan["slots"]:
            used = sum(item["duration_s"] for item in slot["items"])
            typer.echo(
                f"  {slot['start']} {slot['slot']} "
                f"({used:.0f}/{slot['capacity_s']} giây, {len(slot['items'])} bản tin)"
            )
            for item in slot["items"]:
                typer.echo(
                    f"    {item['start']}  #{item['bulletin_id']} {item['title']} "
                    f"({item['duration_s']:.0f} giây)"
                )
    if shape["unplaced"]:
        typer.echo("\nChưa xếp được:")
        for entry in shape["unplaced"]:
            typer.echo(f"  #{entry['bulletin_id']} {entry['title']}: {entry['reason']}")


@plan_app.command("export")
def plan_export(
    day: Annotated[str, typer.Option("--date", help="Ngày YYYY-MM-DD")],
    zone: Annotated[str, typer.Option("--zone", help="Cụm loa")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Tệp .m3u8")],
) -> None:
    """Xuất lịch phát một ngày của một cụm loa ra danh sách M3U8 (ffmpeg, VLC đọc được)."""
    from audio.errors import AudioError
    from playlists.planning.playlist import plan_m3u8
    from playlists.planning.views import read_plan
    from playlists.slots.service import zone_ids_by_names

    target = parse_date(day, "--date")
    with common.station() as ctx, ctx.unit_of_work() as session:
        zone_id = zone_ids_by_names(session=session, names=[zone])[0]
        view = read_plan(session=session, day=target, tz=ctx.settings.zone)
        try:
            text = plan_m3u8(
                view, zone_id=zone_id, media_dir=ctx.settings.media_dir,
                export_dir=ctx.settings.media_dir / "export",
            )  # fmt: skip
        except AudioError as exc:
            fail(exc.user_message)
    output.write_text(text, encoding="utf-8")
    typer.echo(f"Đã xuất {text.count('#EXTINF')} bản tin vào {output}")
