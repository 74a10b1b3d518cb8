"""Emergencies from the command line: `loa emergency` (handed to the running station, or aired
here) and `loa emergency-stop`; both are an operator's (`--by`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from web.cli import common
from web.cli.common import app, by_option, fail, setup_logging

if TYPE_CHECKING:
    from playlists.emergencies.models import Emergency

OPERATOR = "Kỹ thuật viên vận hành"


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
    by: Annotated[str, by_option(f"{OPERATOR}; là người yêu cầu phát")] = "",
) -> None:
    """Phát tin khẩn cấp ngay, ngắt chương trình đang phát trên các cụm loa."""
    from audio.errors import AudioError
    from playlists.accounts.roles import Action
    from playlists.emergencies.models import EmergencyStatus
    from playlists.emergencies.service import EmergencyDraft
    from playlists.slots.service import zone_ids_by_names
    from scheduler.lock import StationBusy

    setup_logging()
    if (text is None) == (file is None):
        fail("Cần đúng một trong hai: --text (nội dung) hoặc --file (tệp ghi âm).")
    if file is not None and not file.is_file():
        fail(f"Không có tệp {file}.")
    with common.station() as ctx:
        with ctx.unit_of_work() as session:
            operator = common.acting_as(session, by, Action.SEND_EMERGENCY)
            draft = EmergencyDraft(
                requested_by=operator.display_name, text=text or "", recording=file,
                recording_name=file.name if file else "", title=title,
                zone_ids=zone_ids_by_names(session=session, names=zone) if zone else [],
                repeat=repeat, every_min=every,
            )  # fmt: skip
            try:
                request = ctx.send_emergency(session, draft)
            except AudioError as exc:
                fail(exc.user_message)
            request_id, duration_s = request.id, request.duration_s
        where = ", ".join(zone or []) or "mọi cụm loa"
        typer.echo(f"Tin khẩn cấp số {request_id} ({duration_s:.1f} giây) cho {where}.")

        if ctx.settings.air_at == "players":
            typer.echo("Tin sẽ được chuyển tới các máy phát ngay nếu đài đang chạy (loa serve), "
                       "nếu không thì khi đài khởi động.")  # fmt: skip
            return

        def progress(state: Emergency) -> None:
            typer.echo(f"Đã phát {state.plays_done}/{state.repeat} lần ({state.status.label}).")

        try:
            done = ctx.station.air_emergency_alone(request_id, progress)
        except StationBusy:
            typer.echo("Đài đang chạy ở tiến trình khác: đã chuyển tin để đài phát ngay.")
            typer.echo(f"Dừng các lần phát còn lại: loa emergency-stop {request_id} --by {by}")
            return
        if done is None or done.status != EmergencyStatus.DONE:
            fail("Tin khẩn cấp chưa phát được hết; xem nhật ký phát sóng và cảnh báo.", 1)


@app.command("emergency-stop")
def emergency_stop(
    emergency_id: Annotated[int, typer.Argument(help="Số của tin khẩn cấp")],
    by: Annotated[str, by_option(OPERATOR)] = "",
) -> None:
    """Dừng các lần phát còn lại của một tin khẩn cấp (lần đang phát, nếu có, phát nốt)."""
    from playlists.accounts.roles import Action
    from playlists.emergencies.service import cancel

    with common.station() as ctx, ctx.unit_of_work() as session:
        common.acting_as(session, by, Action.SEND_EMERGENCY)
        stopped = cancel(session, emergency_id)
        plays_done, repeat = stopped.plays_done, stopped.repeat
    typer.echo(
        f"Đã dừng tin khẩn cấp số {emergency_id}: đã phát {plays_done}/{repeat} lần, "
        "không phát thêm."
    )
