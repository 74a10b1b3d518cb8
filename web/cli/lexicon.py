"""The station's lexicon from the command line: `loa lexicon list|set|reset`.

Changing how the station reads is an approver's (`--by`): it changes what approved bulletins
sound like.
"""

from __future__ import annotations

from typing import Annotated

import typer

from web.cli import common
from web.cli.common import app, by_option

lexicon_app = typer.Typer(help="Từ điển chữ viết tắt: cách đọc của đài.", no_args_is_help=True)
app.add_typer(lexicon_app, name="lexicon")

REFRESH_NOTE = (
    "Đài đang chạy (loa serve) sẽ đọc lại các bản tin đang phát theo cách đọc mới "
    "trong vòng {minutes:g} phút, trước lượt phát kế tiếp."
)


@lexicon_app.command("list")
def lexicon_list() -> None:
    """In các chữ viết tắt và cách đọc."""
    from playlists.lexicon.service import readings

    with common.station() as ctx, ctx.unit_of_work() as session:
        for reading in readings(session=session):
            spoken = reading.spoken or "(đọc nguyên văn)"
            typer.echo(f"{reading.written}\t{spoken}\t{reading.source}")


@lexicon_app.command("set")
def lexicon_set(
    written: Annotated[str, typer.Argument(help="Chữ viết tắt, ví dụ UBND")],
    spoken: Annotated[str, typer.Argument(help='Cách đọc; để trống "" là đọc nguyên văn')],
    by: Annotated[str, by_option("Lãnh đạo duyệt")] = "",
) -> None:
    """Thêm hoặc sửa cách đọc một chữ viết tắt."""
    from playlists.accounts.roles import Action
    from playlists.lexicon.service import set_reading

    with common.station() as ctx:
        with ctx.unit_of_work() as session:
            common.acting_as(session, by, Action.CHANGE_LEXICON)
            set_reading(written, spoken, session=session, now=ctx.now())
        minutes = ctx.settings.refresh_every_min
    typer.echo(f"{written.strip()}: {' '.join(spoken.split()) or '(đọc nguyên văn)'}")
    typer.echo(REFRESH_NOTE.format(minutes=minutes))


@lexicon_app.command("reset")
def lexicon_reset(
    written: Annotated[str, typer.Argument(help="Chữ viết tắt")],
    by: Annotated[str, by_option("Lãnh đạo duyệt")] = "",
) -> None:
    """Bỏ cách đọc của đài, trở về cách đọc mặc định."""
    from playlists.accounts.roles import Action
    from playlists.lexicon.service import reset_reading

    with common.station() as ctx:
        with ctx.unit_of_work() as session:
            common.acting_as(session, by, Action.CHANGE_LEXICON)
            reset_reading(written, session=session, now=ctx.now())
        minutes = ctx.settings.refresh_every_min
    typer.echo(f"{written.strip()}: đã trở về cách đọc mặc định")
    typer.echo(REFRESH_NOTE.format(minutes=minutes))
