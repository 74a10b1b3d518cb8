"""The audit trail from the command line: `loa audit list` and `loa audit verify`.

Both only read, so they need no user; who may read the trail on the pages is the pages' rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer

from web.cli import common
from web.cli.airlog import AnchorOption, verify_chain
from web.cli.common import app, parse_date

audit_app = typer.Typer(
    help="Nhật ký thao tác: ai đã làm gì, lúc nào, từ đâu.", no_args_is_help=True
)
app.add_typer(audit_app, name="audit")

HEADER = ("Thời gian", "Người dùng", "Vai trò", "Từ đâu", "Thao tác", "Nội dung")


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Return lines of aligned columns; the last column is left ragged (it is the long one)."""
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header) - 1)]
    return [
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]])
        for row in (header, *rows)
    ]


@audit_app.command("list")
def audit_list(
    first: Annotated[str | None, typer.Option("--from", help="Từ ngày YYYY-MM-DD")] = None,
    last: Annotated[str | None, typer.Option("--to", help="Đến ngày YYYY-MM-DD")] = None,
    user: Annotated[str | None, typer.Option("--user", help="Chỉ thao tác của người này")] = None,
) -> None:
    """Liệt kê các thao tác đã ghi, cũ trước mới sau (giờ theo múi giờ của đài)."""
    from playlists.audit.service import entries
    from web.formatting import local_time

    first_day = parse_date(first, "--from") if first is not None else None
    last_day = parse_date(last, "--to") if last is not None else None
    with common.station() as ctx, ctx.unit_of_work() as session:
        zone = ctx.settings.zone
        found = entries(
            session, tz=zone, start=first_day, end=last_day, username=user, names=("--from", "--to")
        )
        rows = [
            (
                local_time(entry.at, zone, "%d/%m/%Y %H:%M:%S"),
                entry.username,
                ", ".join(entry.role_list) or "-",
                entry.where or "-",
                entry.action,
                entry.summary,
            )
            for entry in found
        ]
    if not rows:
        typer.echo("Không có thao tác nào được ghi trong khoảng này.")
        return
    for line in table(HEADER, rows):
        typer.echo(line.rstrip())
    typer.echo(f"{len(rows)} thao tác.")


@audit_app.command("verify")
def audit_verify(anchor: AnchorOption = None) -> None:
    """Kiểm tra nhật ký thao tác không bị sửa, xóa hay chèn dòng (chuỗi mã băm)."""
    from playlists.audit.service import AUDIT

    verify_chain(AUDIT, anchor)
