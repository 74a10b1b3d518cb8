"""The as-run log from the command line: `loa airlog export` and `loa airlog verify`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from web.cli import common
from web.cli.common import app, by_option, fail, parse_date

if TYPE_CHECKING:
    from playlists.core.chain import Chain

airlog_app = typer.Typer(help="Nhật ký phát sóng.", no_args_is_help=True)
app.add_typer(airlog_app, name="airlog")


@airlog_app.command("export")
def airlog_export(
    first: Annotated[str, typer.Option("--from", help="Từ ngày YYYY-MM-DD")],
    last: Annotated[str, typer.Option("--to", help="Đến ngày YYYY-MM-DD")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Tệp CSV")],
    by: Annotated[str, by_option("Cán bộ báo cáo")] = "",
) -> None:
    """Xuất nhật ký phát sóng ra CSV (UTF-8 có BOM, mở được bằng Excel).

    Việc xuất được ghi vào nhật ký thao tác.
    """
    from playlists.accounts.roles import Action
    from playlists.asrun.export import export_airlog
    from playlists.asrun.queries import AirLogFilter

    first_day, last_day = parse_date(first, "--from"), parse_date(last, "--to")
    with common.station() as ctx, ctx.unit_of_work() as session:
        common.acting_as(session, by, Action.EXPORT_REPORT)
        filt = AirLogFilter(first_day=first_day, last_day=last_day, names=("--from", "--to"))
        data, _name, rows = export_airlog(session, filt, tz=ctx.settings.zone)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(data)
    except OSError as exc:
        fail(f"Không ghi được {output}: {exc.strerror}")
    typer.echo(f"Đã xuất {rows} dòng vào {output}")


def parse_anchor(value: str) -> tuple[int, str]:
    """Read SỐ:MÃ_BĂM (a row's seq and its 64-hex hash), or stop with a Vietnamese message."""
    seq, _, digest = (part.strip().lower() for part in value.partition(":"))
    is_hash = len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)
    if not (seq.isascii() and seq.isdigit() and int(seq) > 0 and is_hash):
        fail(
            f"--anchor “{value}” phải có dạng SỐ:MÃ_BĂM (mã băm 64 ký tự 0-9, a-f), "
            "như dòng “Dòng cuối” mà lệnh này in ra."
        )
    return int(seq), digest


# The option both chained logs' `verify` take: the anchor a report recorded.
AnchorOption = Annotated[
    str | None,
    typer.Option(
        "--anchor",
        help="Dòng cuối ghi trong báo cáo quý, dạng SỐ:MÃ_BĂM: nhật ký phải còn đúng dòng đó",
    ),
]


def verify_chain(chain: Chain[Any], anchor: str | None) -> None:
    """Verify a chained log (the as-run log, the audit trail) and say what was found.

    An intact log prints its row count and its last row (the anchor to copy into a report) and
    returns; a broken one names its first bad row on stderr and exits with status 1. Only
    reads: no user is needed.
    """
    recorded = parse_anchor(anchor) if anchor is not None else None
    with common.station() as ctx, ctx.unit_of_work() as session:
        result = chain.verify(session, anchor=recorded)
        zone = ctx.settings.zone
    if result.ok:
        typer.echo(f"{chain.title} nguyên vẹn: {result.rows_checked} dòng.")
        if result.last_seq:
            typer.echo(f"Dòng cuối: số {result.last_seq}, mã băm {result.last_hash}")
        return
    where = f"dòng số {result.first_bad_seq}"
    if result.first_bad_id is not None:
        where += f" (id {result.first_bad_id})"
    if result.first_bad_at is not None:
        where += f", lúc {result.first_bad_at.astimezone(zone):%H:%M:%S ngày %d/%m/%Y}"
    typer.echo(f"{chain.title} KHÔNG nguyên vẹn. Lỗi đầu tiên ở {where}:", err=True)
    typer.echo(f"  {result.message}.", err=True)
    typer.echo(f"{result.rows_checked} dòng đầu còn nguyên vẹn.", err=True)
    raise typer.Exit(1)


@airlog_app.command("verify")
def airlog_verify(anchor: AnchorOption = None) -> None:
    """Kiểm tra nhật ký phát sóng không bị sửa, xóa hay chèn dòng (chuỗi mã băm)."""
    from playlists.asrun import ledger

    verify_chain(ledger.AIRLOG, anchor)
