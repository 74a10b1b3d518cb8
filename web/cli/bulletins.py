"""Bulletins from the command line: `loa bulletin add|list|approve|return`.

Who writes and who approves are accounts (`--by`): the editor is the bulletin's author, and
an approver other than the author approves it (four eyes), unless the station lets one person
do both (LOA_ALLOW_SELF_APPROVAL).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from web.cli import common
from web.cli.common import (
    app,
    by_option,
    fail,
    fallback_line,
    parse_date,
    setup_logging,
    verbose_option,
)

if TYPE_CHECKING:
    from playlists.bulletins.models import Bulletin

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
    approve: Annotated[
        bool,
        typer.Option(
            "--approve",
            help="Tự duyệt luôn: chỉ khi đài cho phép (LOA_ALLOW_SELF_APPROVAL) và người viết "
            "cũng có vai trò Lãnh đạo duyệt",
        ),
    ] = False,
    by: Annotated[str, by_option("Biên tập viên; là người viết bản tin")] = "",
    verbose: Annotated[bool, verbose_option()] = False,
) -> None:
    """Thêm bản tin và gửi duyệt; in mã bản tin."""
    from playlists.accounts.roles import Action, refusal
    from playlists.bulletins.schemas import BulletinCreate
    from playlists.bulletins.workflow import priority_from_label
    from playlists.slots.service import list_zones, zone_ids_by_names

    setup_logging(verbose, quiet=True)
    try:
        text = text_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"Không đọc được tệp văn bản {text_file}: {exc}")
    first_day, last_day = parse_date(first, "--from"), parse_date(last, "--to")
    with common.station() as ctx, ctx.unit_of_work() as session:
        author = common.acting_as(session, by, Action.WRITE_BULLETIN)
        if approve and not ctx.settings.allow_self_approval:
            fail(
                "Đài không cho một người vừa viết vừa duyệt bản tin (LOA_ALLOW_SELF_APPROVAL), "
                "nên không dùng được --approve. Gửi duyệt rồi nhờ lãnh đạo duyệt: "
                "loa bulletin approve MÃ --by NGƯỜI_DUYỆT"
            )
        if approve and not author.may(Action.APPROVE_BULLETIN):
            fail(f"{author.username}: {refusal(Action.APPROVE_BULLETIN)}")
        zone_ids = (
            zone_ids_by_names(session=session, names=zone)
            if zone
            else [z.id for z in list_zones(session=session)]
        )
        data = BulletinCreate(
            title=title, text=text, topic=topic, priority=priority_from_label(priority),
            first_day=first_day, last_day=last_day, per_day=per_day, zone_ids=zone_ids,
        )  # fmt: skip
        newsroom = ctx.newsroom(session)
        bulletin = newsroom.create(data, session=session)
        if approve:  # the same person, as allowed: the trail notes a self-approval
            newsroom.approve(bulletin.id, session=session)
        bulletin_id, fell_back = bulletin.id, _fell_back(bulletin)
    if fell_back:
        typer.echo(fell_back, err=True)
    typer.echo(bulletin_id)


@bulletin_app.command("list")
def bulletin_list(
    status: Annotated[
        str | None,
        typer.Option(
            "--status", help="Chỉ bản tin ở trạng thái: draft, pending, approved, returned"
        ),
    ] = None,
) -> None:
    """Liệt kê bản tin, mới nhất trước: mã, trạng thái, ngày phát, tiêu đề, người viết."""
    from playlists.bulletins.models import BulletinStatus
    from playlists.bulletins.workflow import list_bulletins

    wanted = None
    if status is not None:
        try:
            wanted = BulletinStatus(status.strip().lower())
        except ValueError:
            known = ", ".join(s.value for s in BulletinStatus)
            fail(f"--status “{status}” không hợp lệ. Các trạng thái: {known}.")
    with common.station() as ctx, ctx.unit_of_work() as session:
        for b in list_bulletins(session=session, status=wanted):
            typer.echo(
                f"{b.id}\t{b.status.label}\t{b.first_day:%d/%m/%Y}–{b.last_day:%d/%m/%Y}\t"
                f"{b.title}\t{b.author or '-'}"
            )


@bulletin_app.command("approve")
def bulletin_approve(
    bulletin_id: Annotated[int, typer.Argument(help="Mã bản tin")],
    by: Annotated[str, by_option("Lãnh đạo duyệt")] = "",
    verbose: Annotated[bool, verbose_option()] = False,
) -> None:
    """Duyệt một bản tin đang chờ duyệt (âm thanh được làm ngay, lịch phát được lập lại)."""
    from playlists.accounts.roles import Action

    setup_logging(verbose, quiet=True)
    with common.station() as ctx, ctx.unit_of_work() as session:
        common.acting_as(session, by, Action.APPROVE_BULLETIN)
        bulletin = ctx.newsroom(session).approve(bulletin_id, session=session)
        title, fell_back = bulletin.title, _fell_back(bulletin)
    if fell_back:
        typer.echo(fell_back, err=True)
    typer.echo(f"Đã duyệt bản tin số {bulletin_id}: {title}")


def _fell_back(bulletin: Bulletin) -> str:
    """The line saying the bulletin's audio is the fallback voice's ("" when it is not)."""
    rendering = bulletin.rendering
    if rendering is None or not rendering.fallback:
        return ""
    why = "Giọng đọc trực tuyến không dùng được lúc làm âm thanh cho bản tin."
    return fallback_line(rendering.engine, [why])


@bulletin_app.command("return")
def bulletin_return(
    bulletin_id: Annotated[int, typer.Argument(help="Mã bản tin")],
    reason: Annotated[
        str, typer.Option("--reason", help="Lý do trả lại, để biên tập viên sửa")
    ] = "",
    by: Annotated[str, by_option("Lãnh đạo duyệt")] = "",
) -> None:
    """Trả lại một bản tin đang chờ duyệt cho người viết, kèm lý do."""
    from playlists.accounts.roles import Action

    with common.station() as ctx, ctx.unit_of_work() as session:
        common.acting_as(session, by, Action.APPROVE_BULLETIN)
        bulletin = ctx.newsroom(session).send_back(bulletin_id, session=session, reason=reason)
        title = bulletin.title
    typer.echo(f"Đã trả lại bản tin số {bulletin_id}: {title}")
