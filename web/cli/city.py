"""The city from the command line: `loa city report` and `loa city emergency`."""

from __future__ import annotations

from typing import Annotated

import typer

from web.cli import common
from web.cli.common import app, by_option, fail, setup_logging
from web.cli.reports import FromOption, PeriodOption, ToOption, WindowsOption, window_asked

city_app = typer.Typer(help="Các phường của thành phố: số liệu tổng hợp, phát khẩn cấp.",
                       no_args_is_help=True)  # fmt: skip
app.add_typer(city_app, name="city")


@city_app.command("report")
def city_report(
    period: PeriodOption = None,
    first: FromOption = None,
    last: ToOption = None,
    windows: WindowsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="In số liệu dạng JSON")] = False,
) -> None:
    """Số liệu của mọi phường trong một kỳ: lượt phát, phút, nội dung chưa phát."""
    from web.city import summary_json

    with common.station() as ctx:
        window = window_asked(ctx, period, first, last, windows)
        summary = ctx.city_summary(window)
    if as_json:
        import json

        typer.echo(json.dumps(summary_json(summary), ensure_ascii=False, indent=2))
        return
    typer.echo(f"{window.period.name} ({window.first_day:%d/%m/%Y}–{window.last_day:%d/%m/%Y})")
    for line in summary.wards:
        typer.echo(f"{line.name} ({line.code}): {line.totals.plays} lượt, "
                   f"{line.totals.airtime_min} phút")  # fmt: skip
        if line.uncovered:
            typer.echo(f"  chưa phát: {'; '.join(line.uncovered)}")
    total = summary.totals
    typer.echo(f"Cả thành phố: {total.plays} lượt, {total.airtime_min} phút; "
               f"{len(summary.uncovering)} phường còn nội dung chưa phát.")  # fmt: skip


@city_app.command("emergency")
def city_emergency(
    text: Annotated[str, typer.Option("--text", help="Nội dung, máy đọc bằng giọng ngoại tuyến")],
    wards: Annotated[
        list[str] | None, typer.Option("--ward", help="Mã phường nhận tin (lặp lại được)")
    ] = None,
    all_wards: Annotated[bool, typer.Option("--all", help="Mọi phường")] = False,
    title: Annotated[str, typer.Option("--title", help="Tiêu đề trong nhật ký")] = "",
    by: Annotated[str, by_option("Điều hành khẩn cấp thành phố")] = "",
) -> None:
    """Phát khẩn cấp cho nhiều phường cùng lúc, trên mọi cụm loa của mỗi phường."""
    from audio.errors import AudioError
    from playlists.accounts.roles import Action
    from playlists.emergencies.service import EmergencyDraft, check_draft
    from web.city import send_to_wards

    setup_logging()
    if all_wards == bool(wards):
        fail("Chọn các phường bằng --ward MÃ (lặp lại được), hoặc --all cho mọi phường.")
    with common.station() as ctx:
        with ctx.unit_of_work() as session:
            actor = common.acting_as(session, by, Action.CITY_EMERGENCY)
        draft = EmergencyDraft(requested_by=actor.display_name, text=text, title=title)
        if errors := check_draft(draft, max_text_chars=ctx.settings.max_text_chars):
            fail(" ".join(errors.values()))
        codes = [code for code, _ in ctx.ward_names()] if all_wards else list(wards or [])
        codes = list(dict.fromkeys(codes))
        try:
            sent = send_to_wards(ctx, actor, draft, codes)
        except AudioError as exc:
            fail(exc.user_message)
    for s in sent:
        if s.emergency_id is not None:
            typer.echo(f"{s.name}: đã gửi, tin khẩn cấp số {s.emergency_id} của phường.")
        else:
            typer.echo(f"{s.name}: không gửi được — {s.refusal}", err=True)
    if any(s.emergency_id is None for s in sent):
        raise typer.Exit(1)
