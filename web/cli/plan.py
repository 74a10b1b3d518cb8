"""Day plans from the command line: `loa plan build` and `loa plan export`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from web.cli import common
from web.cli.common import app, fail, parse_date

plan_app = typer.Typer(help="Lịch phát.", no_args_is_help=True)
app.add_typer(plan_app, name="plan")


@plan_app.command("build")
def plan_build(
    day: Annotated[str, typer.Option("--date", help="Ngày YYYY-MM-DD")],
    as_json: Annotated[bool, typer.Option("--json", help="In JSON")] = False,
) -> None:
    """Lập và in lịch phát của một ngày."""
    from playlists.planning.views import plan_as_json, read_plan

    target = parse_date(day, "--date")
    with common.station() as ctx:
        ctx.build_plan(target)
        with ctx.unit_of_work() as session:
            view = read_plan(session=session, day=target, tz=ctx.settings.zone)
            shape = plan_as_json(view, ctx.settings.zone)
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
