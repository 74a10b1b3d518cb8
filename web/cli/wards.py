"""A city's wards from the command line: `loa ward add`, `loa ward list`, `loa ward import`.

Run on the city's server by whoever runs it (like `loa init`): a ward is made, not edited
by a ward's own staff. Wards other than the home ward need PostgreSQL (LOA_DATABASE_URL).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from web.cli import common
from web.cli.common import app, fail

ward_app = typer.Typer(help="Các phường trên cùng hệ thống (cần PostgreSQL).", no_args_is_help=True)
app.add_typer(ward_app, name="ward")

CODE_HELP = "Mã phường: chữ thường không dấu, chữ số, gạch ngang (ví dụ: phuc-xa)"


@ward_app.command("list")
def ward_list() -> None:
    """Liệt kê các phường: mã, tên, số người dùng."""
    from playlists.core.db import HOME_WARD
    from playlists.wards.service import people_count, wards

    with common.station() as ctx, ctx.unit_of_work(ctx.city_sessions) as session:
        rows = [
            (w.code, w.name or ctx.city_settings.ward_name, people_count(session, w.code))
            for w in wards(session)
        ]
    for code, name, people in rows:
        home = " (phường gốc)" if code == HOME_WARD else ""
        typer.echo(f"{code:<20} {name}{home} — {people} người dùng")


@ward_app.command("add")
def ward_add(
    code: Annotated[str, typer.Argument(help=CODE_HELP, metavar="MÃ")],
    name: Annotated[str, typer.Option("--name", help='Tên phường, ví dụ "Phường Phúc Xá"')],
) -> None:
    """Thêm một phường: lược đồ dữ liệu riêng, chưa có người dùng.

    Sau đó tạo người quản trị của phường: loa --phuong MÃ init --admin TÊN --name "Họ tên".
    """
    from playlists.wards.service import add_ward

    with common.station() as ctx:
        ward = add_ward(ctx.root_engine, code, name, reserved={ctx.settings.station_code})
    typer.echo(f"Đã thêm phường {ward.code} ({ward.name}).")
    typer.echo(f'Tạo người quản trị: loa --phuong {ward.code} init --admin TÊN --name "Họ tên"')


@ward_app.command("import")
def ward_import(
    code: Annotated[str, typer.Argument(help=CODE_HELP, metavar="MÃ")],
    name: Annotated[str, typer.Option("--name", help='Tên phường, ví dụ "Phường Phúc Xá"')],
    source_dir: Annotated[
        Path,
        typer.Option(
            "--from",
            help="Thư mục dữ liệu của đài cũ (LOA_DATA_DIR của nó: loa.db và media)",
            exists=True,
            file_okay=False,
        ),
    ],
    suffix: Annotated[
        str,
        typer.Option(
            "--suffix",
            help="Hậu tố thêm vào tên đăng nhập đã có trên hệ thống (ví dụ .phucxa)",
        ),
    ] = "",
    source_url: Annotated[
        str | None,
        typer.Option(
            "--from-url",
            help="URL cơ sở dữ liệu của đài cũ nếu không phải loa.db trong thư mục đó",
            envvar="LOA_MOVE_FROM",
        ),
    ] = None,
) -> None:
    """Chuyển một đài chạy riêng (cơ sở dữ liệu và âm thanh) thành một phường của hệ thống.

    Dừng đài cũ trước khi chuyển. Người dùng của đài cũ giữ tên đăng nhập, mật khẩu và vai
    trò; mã API vẫn dùng được. URL có mật khẩu nên đặt qua biến LOA_MOVE_FROM.
    """
    import shutil

    from playlists.core.db import make_engine, shown_url
    from playlists.wards.moving import move_into_ward
    from scheduler.lock import StationBusy, StationLock

    url = source_url or f"sqlite:///{(source_dir / 'loa.db').resolve()}"
    if source_url is None and not (source_dir / "loa.db").is_file():
        fail(f"Không thấy {source_dir / 'loa.db'}; nếu đài cũ dùng PostgreSQL, thêm --from-url.")
    shown = shown_url(url)
    with common.station() as ctx:
        source = make_engine(url)
        lock = StationLock(source, source_dir)
        try:
            lock.acquire()
        except StationBusy:
            fail("Đài cũ đang chạy (loa serve); hãy dừng nó trước khi chuyển.")
        try:
            typer.echo(f"Chuyển {shown} thành phường {code}:")
            report = move_into_ward(
                source, ctx.root_engine, code=code, name=name, suffix=suffix,
                reserved={ctx.settings.station_code},
                progress=lambda table, rows: typer.echo(f"  {table}: {rows} dòng"),
            )  # fmt: skip
        finally:
            lock.release()
            source.dispose()
        ward_dir = ctx.for_ward(code).settings.data_dir
        # Its audio, the originals of its recordings, and its closed reports' files.
        for folder in ("media", "uploads", "reports"):
            if (source_dir / folder).is_dir():
                shutil.copytree(source_dir / folder, ward_dir / folder, dirs_exist_ok=True)
    typer.echo(f"Đã chuyển {sum(report.rows.values())} dòng; tệp chép vào {ward_dir}.")
    typer.echo(f"Nhật ký phát sóng khớp bản gốc: dòng cuối số {report.last_seq}.")
    for old, new in report.renamed:
        typer.echo(f"Tên đăng nhập {old} đổi thành {new} (mật khẩu giữ nguyên).")
    typer.echo(f"Chạy đài của phường: LOA_WARD={code} (hoặc loa --phuong {code} …).")
