"""`loa player`: run a player beside a ward's amplifiers, or air an emergency on it by hand.

The player keeps its own data folder (LOA_DATA_DIR on its machine: its database, the audio
it fetched, what it aired). Its server and token are settings, not arguments: a token on
the command line would show in every process list. docs/deployment.md.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from web.cli import common
from web.cli.common import app, fail, setup_logging

player_app = typer.Typer(
    help="Máy phát tại cụm loa: phát từ lịch và âm thanh lưu sẵn trong máy, kể cả khi mất mạng.",
    no_args_is_help=False,
    invoke_without_command=True,
)
app.add_typer(player_app, name="player")

TOKEN_ENV = "LOA_PLAYER_TOKEN"


def _token(token_file: Path | None) -> str:
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            fail(f"Không đọc được tệp mã API {token_file}: {exc.strerror}.")
    else:
        token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        fail(f"Cần mã API của máy phát: biến môi trường {TOKEN_ENV} hoặc --token-file TỆP.")
    return token


@player_app.callback()
def player(
    invoked: typer.Context,
    server: Annotated[
        str | None,
        typer.Option("--server", envvar="LOA_PLAYER_SERVER", help="Địa chỉ máy chủ, https://…"),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name", envvar="LOA_PLAYER_NAME", help="Tên máy phát (tên đăng nhập trên máy chủ)"
        ),
    ] = None,
    token_file: Annotated[
        Path | None,
        typer.Option("--token-file", help=f"Tệp chứa mã API (hoặc biến môi trường {TOKEN_ENV})"),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", help="Ghi nhật ký chi tiết")] = False,
) -> None:
    """Chạy máy phát: nhận lịch và âm thanh từ máy chủ, phát đúng giờ, gửi nhật ký phát sóng."""
    if invoked.invoked_subcommand is not None:
        return
    import signal
    import threading

    from playlists.core.db import shown_url
    from scheduler.edge.player import EdgePlayer, PlayerConfig
    from scheduler.lock import StationBusy

    setup_logging(verbose)
    if not server or not name:
        fail("Cần --server (địa chỉ máy chủ) và --name (tên máy phát).")
    if not server.startswith(("http://", "https://")):
        fail("--server phải bắt đầu bằng http:// hoặc https://.")
    settings = common.settings_or_exit()
    config = PlayerConfig(server=server, token=_token(token_file), name=name)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        edge = EdgePlayer(config, settings)
    except Exception as exc:  # a database that cannot open is a setting to fix, not a crash
        fail(f"Không mở được dữ liệu của máy phát ({shown_url(settings.db_url)}): {exc}")
    try:
        edge.start()
    except StationBusy as exc:
        fail(str(exc))
    typer.echo(f"Máy phát {name} đang chạy (máy chủ: {shown_url(server)}, "
               f"dữ liệu: {settings.data_dir}).")  # fmt: skip
    try:
        stop.wait()
    finally:
        edge.stop()


@player_app.command("emergency")
def player_emergency(
    text: Annotated[str, typer.Option("--text", help="Nội dung tin khẩn cấp")],
    zone: Annotated[
        list[str] | None,
        typer.Option("--zone", help="Cụm loa (tên hoặc số), nhắc lại được; bỏ trống: mọi cụm"),
    ] = None,
    repeat: Annotated[int, typer.Option("--repeat", help="Số lần phát")] = 1,
    every: Annotated[float, typer.Option("--every", help="Cách nhau bao nhiêu phút")] = 0.0,
    title: Annotated[str, typer.Option("--title", help="Tiêu đề trong nhật ký")] = "",
) -> None:
    """Phát tin khẩn cấp ngay trên máy phát này, kể cả khi không liên lạc được máy chủ.

    Dành cho người tại máy phát (tên đăng nhập máy được ghi lại); máy phát đang chạy phát
    ngay, nhật ký phát sóng gửi về máy chủ khi có mạng.
    """
    from audio.errors import AudioError
    from playlists.accounts.actor import Actor, Origin, bind
    from playlists.emergencies.service import EmergencyDraft
    from playlists.slots.service import zone_ids_by_names
    from web.context import at_this_machine

    setup_logging()
    with common.station() as ctx, ctx.unit_of_work() as session:
        person = at_this_machine()
        bind(session, Actor(None, person, person, frozenset(), Origin.CLI))
        draft = EmergencyDraft(
            requested_by=person, text=text, recording=None, recording_name="", title=title,
            zone_ids=zone_ids_by_names(session=session, names=zone) if zone else [],
            repeat=repeat, every_min=every,
        )  # fmt: skip
        try:
            request = ctx.send_emergency(session, draft)
        except AudioError as exc:
            fail(exc.user_message)
        request_id, duration_s = request.id, request.duration_s
    typer.echo(f"Tin khẩn cấp số {request_id} ({duration_s:.1f} giây) đã chuyển cho máy phát.")
