"""The station's database from the command line: `loa db copy --to URL` (e.g. to PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from web.cli import common
from web.cli.common import app, fail

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from playlists.copying import CopyReport

db_app = typer.Typer(help="Cơ sở dữ liệu của đài.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("copy")
def db_copy(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="URL cơ sở dữ liệu đích (trống), ví dụ postgresql://loa@127.0.0.1/loa",
            envvar="LOA_COPY_TO",
        ),
    ],
) -> None:
    """Chép toàn bộ dữ liệu của đài sang một cơ sở dữ liệu khác (trống), ví dụ PostgreSQL.

    Dừng `loa serve` trước khi chép. URL có mật khẩu nên đặt qua biến LOA_COPY_TO để mật khẩu
    không hiện trong danh sách tiến trình.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from playlists.copying import copy_station
    from playlists.core.db import shown_url
    from scheduler.lock import StationBusy, StationLock

    if not to.startswith(("sqlite", "postgresql")):
        fail("--to phải là URL sqlite:///… hoặc postgresql://…")
    shown = shown_url(to)
    try:
        same = make_url(to)
    except ArgumentError as exc:
        fail(f"--to không phải URL cơ sở dữ liệu hợp lệ: {exc}")
    with common.station() as ctx:
        if same == make_url(ctx.settings.db_url):
            fail("Cơ sở dữ liệu đích trùng với cơ sở dữ liệu đang dùng.")
        if len(ctx.ward_names()) > 1:
            # It copies the home ward's tables, not the other wards' schemas.
            fail(
                "Cơ sở dữ liệu này có nhiều phường; loa db copy chỉ chép một đài chạy riêng. "
                "Hãy sao lưu cả cơ sở dữ liệu bằng pg_dump."
            )
        # Nothing may write while the rows are copied: the station must not be running.
        lock = StationLock(ctx.engine, ctx.settings.data_dir)
        try:
            lock.acquire()
        except StationBusy:
            fail("Đài đang chạy (loa serve); hãy dừng nó trước khi chép cơ sở dữ liệu.")
        try:
            report = _copy(ctx.engine, to, shown, copy_station)
        finally:
            lock.release()
    total = sum(report.rows.values())
    typer.echo(f"Đã chép {total} dòng sang {shown}.")
    typer.echo(f"Nhật ký phát sóng khớp bản gốc: dòng cuối số {report.last_seq}.")
    typer.echo(f"Để dùng cơ sở dữ liệu mới, đặt LOA_DATABASE_URL={shown} rồi chạy lại loa serve.")


def _said(table: str, rows: int) -> None:
    typer.echo(f"  {table}: {rows} dòng")


def _copy(source: Engine, to: str, shown: str, copy: Callable[..., CopyReport]) -> CopyReport:
    """Copy the station; any failure but a refusal is said in Vietnamese, the password hidden."""
    from playlists.core.db import make_engine
    from playlists.core.errors import DomainError

    try:
        target = make_engine(to)
    except Exception as exc:
        fail(f"Không mở được {shown}: {type(exc).__name__}.")
    try:
        report: CopyReport = copy(
            source, target, progress=lambda t, n: typer.echo(f"  {t}: {n} dòng")
        )
        return report
    except DomainError:
        raise
    except Exception as exc:
        fail(f"Không chép được sang {shown}: {type(exc).__name__}: {exc}")
    finally:
        target.dispose()
