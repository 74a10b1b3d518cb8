"""Emergencies from the command line: `loa emergency`, handed to the running station or aired."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from web.cli import common
from web.cli.common import app, fail, setup_logging

if TYPE_CHECKING:
    from playlists.emergencies.models import Emergency


@app.command()
def emergency(
    text: Annotated[str | None, typer.Option("--text", help="Nội dung tin khẩn cấp")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="Tệp ghi âm tin khẩn cấp", exists=False)
    ] = None,
    zone: Annotated[
        list[str] | None,
        typer.Option("--zone", help="Cụm loa (tên hoặc số), nhắc lại được; bỏ trống: mọi cụm"),
    ] = None,
    repeat: Annotated[int, typer.Option("--repeat", help="Số lần phát")] = 1,
    every: Annotated[float, typer.Option("--every", help="Cách nhau bao nhiêu phút")] = 0.0,
    title: Annotated[str, typer.Option("--title", help="Tiêu đề trong nhật ký")] = "",
    by: Annotated[
        str | None,
        typer.Option("--by", help="Người yêu cầu phát (mặc định: tài khoản đang đăng nhập máy)"),
    ] = None,
) -> None:
    """Phát tin khẩn cấp ngay, ngắt chương trình đang phát trên các cụm loa."""
    from audio.errors import AudioError
    from playlists.emergencies.models import EmergencyStatus
    from playlists.slots.service import zone_ids_by_names
    from scheduler.lock import StationBusy

    setup_logging()
    if (text is None) == (file is None):
        fail("Cần đúng một trong hai: --text (nội dung) hoặc --file (tệp ghi âm).")
    if file is not None and not file.is_file():
        fail(f"Không có tệp {file}.")
    with common.station() as ctx:
        with ctx.unit_of_work() as session:
            zone_ids = zone_ids_by_names(session=session, names=zone) if zone else []
        try:
            request = ctx.request_emergency(
                title=title, text=text or "", recording=file, zone_ids=zone_ids,
                repeat=repeat, every_min=every, requested_by=by,
            )  # fmt: skip
        except AudioError as exc:
            fail(exc.user_message)
        where = ", ".join(zone or []) or "mọi cụm loa"
        typer.echo(f"Tin khẩn cấp số {request.id} ({request.duration_s:.1f} giây) cho {where}.")

        def progress(state: Emergency) -> None:
            typer.echo(f"Đã phát {state.plays_done}/{state.repeat} lần ({state.status.label}).")

        try:
            done = ctx.station.air_emergency_alone(request.id, progress)
        except StationBusy:
            typer.echo("Đài đang chạy ở tiến trình khác: đã chuyển tin để đài phát ngay.")
            return
        if done is None or done.status != EmergencyStatus.DONE:
            fail("Tin khẩn cấp chưa phát được hết; xem nhật ký phát sóng và cảnh báo.", 1)
