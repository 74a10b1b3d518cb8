"""Bulletins from the command line: `loa bulletin add`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from web.cli import common
from web.cli.common import app, fail, parse_date, setup_logging

bulletin_app = typer.Typer(help="Bản tin.", no_args_is_help=True)
app.add_typer(bulletin_app, name="bulletin")


@bulletin_app.command("add")
def bulletin_add(
    title: Annotated[str, typer.Option("--title", help="Tiêu đề")],
    text_file: Annotated[Path, typer.Option("--text-file", help="Tệp văn bản UTF-8")],
    first: Annotated[str, typer.Option("--from", help="Ngày bắt đầu YYYY-MM-DD")],
    last: Annotated[str, typer.Option("--to", help="Ngày kết thúc YYYY-MM-DD")],
    per_day: Annotated[int, typer.Option("--per-day", help="Số lượt phát mỗi ngày")],
    topic: Annotated[int, typer.Option("--topic", help="Mã chủ đề 1-9, 0 là Khác")] = 0,
    priority: Annotated[
        str, typer.Option("--priority", help="thông thường | ưu tiên | khẩn cấp")
    ] = "normal",
    zone: Annotated[
        list[str] | None, typer.Option("--zone", help="Cụm loa (mặc định: tất cả)")
    ] = None,
    approve: Annotated[bool, typer.Option("--approve", help="Duyệt luôn")] = False,
    author: Annotated[str, typer.Option("--author", help="Người soạn")] = "",
) -> None:
    """Thêm bản tin (gửi duyệt); in mã bản tin."""
    from playlists.bulletins.schemas import BulletinCreate
    from playlists.bulletins.workflow import priority_from_label
    from playlists.slots.service import list_zones, zone_ids_by_names

    setup_logging()
    try:
        text = text_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"Không đọc được tệp văn bản {text_file}: {exc}")
    first_day, last_day = parse_date(first, "--from"), parse_date(last, "--to")
    with common.station() as ctx, ctx.unit_of_work() as session:
        zone_ids = (
            zone_ids_by_names(session=session, names=zone)
            if zone
            else [z.id for z in list_zones(session=session)]
        )
        data = BulletinCreate(
            title=title, text=text, topic=topic, priority=priority_from_label(priority),
            first_day=first_day, last_day=last_day, per_day=per_day, zone_ids=zone_ids,
            author=author,
        )  # fmt: skip
        bulletin = ctx.newsroom(session).create(data, session=session)
        if approve:
            ctx.newsroom(session).approve(bulletin.id, session=session, approver=author)
        bulletin_id = bulletin.id
    typer.echo(bulletin_id)
