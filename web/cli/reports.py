"""The CCHC report from the command line: `loa report`, and closing, checking and listing.

loa report --period 2026-Q1                      the figures as JSON on stdout (for scripts)
loa report --period 2026-Q1 --format docx -o F   a file (an export: --by, audited)
loa report close --period 2026-Q1 --by USER      close the period: files and the register
loa report verify FILE                           is FILE a closed report of this station?
loa report closed                                the register of closed reports
loa report target 8 --plays 12 --by USER         a topic's monthly target
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from web.cli import common
from web.cli.common import app, by_option, fail, parse_date

if TYPE_CHECKING:
    from playlists.reports.periods import Window
    from web.context import StationContext

report_app = typer.Typer(
    help="Báo cáo kết quả tuyên truyền CCHC theo kỳ (tháng, quý, 6 tháng, 9 tháng, năm).",
    invoke_without_command=True,
)
app.add_typer(report_app, name="report")

PeriodOption = Annotated[
    str | None,
    typer.Option("--period", help="Kỳ: 2026-03, 2026-Q1, 2026-H1, 2026-9M, 2026"),
]
FromOption = Annotated[str | None, typer.Option("--from", help="Từ ngày YYYY-MM-DD (kỳ tự chọn)")]
ToOption = Annotated[str | None, typer.Option("--to", help="Đến ngày YYYY-MM-DD (kỳ tự chọn)")]
WindowsOption = Annotated[
    str | None,
    typer.Option(
        "--windows",
        help="Cách tính kỳ: decree (15 tháng trước đến 14, mặc định) hoặc calendar",
    ),
]
FORMATS = ("json", "xlsx", "docx", "csv")


def window_asked(
    ctx: StationContext, period: str | None, first: str | None, last: str | None,
    windows: str | None,
) -> Window:  # fmt: skip
    """Read the window from the options, or stop with a Vietnamese message."""
    from playlists.core.errors import InputError
    from playlists.reports.periods import custom_period, parse_period
    from web.reporting import period_rule

    rule_name = windows or ctx.settings.report_windows
    rule = period_rule(rule_name)
    if rule is None:
        fail(f"--windows “{rule_name}” không có; dùng decree hoặc calendar.")
    if period and (first or last):
        fail("Dùng --period, hoặc --from và --to, không dùng cả hai.")
    try:
        if period:
            return parse_period(period, field="--period").window(rule)
        if first and last:
            days: tuple[date, date] = (parse_date(first, "--from"), parse_date(last, "--to"))
            return custom_period(*days, names=("--from", "--to")).window(rule)
    except InputError as exc:
        fail(" ".join(exc.errors.values()))
    fail("Cần --period (ví dụ 2026-Q1), hoặc --from và --to.")


@report_app.callback()
def report(
    invoked: typer.Context,
    period: PeriodOption = None,
    first: FromOption = None,
    last: ToOption = None,
    windows: WindowsOption = None,
    fmt: Annotated[str, typer.Option("--format", help="json, xlsx, docx hoặc csv")] = "json",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Tệp ghi ra")] = None,
    by: Annotated[str, by_option("Cán bộ báo cáo, khi ghi tệp")] = "",
) -> None:
    """Lập báo cáo CCHC của một kỳ: số liệu JSON ra màn hình, hoặc tệp Word, Excel, CSV.

    Ghi ra tệp (-o) là xuất báo cáo: cần --by và được ghi vào nhật ký thao tác.
    """
    if invoked.invoked_subcommand is not None:
        return
    from playlists.accounts.roles import Action
    from playlists.reports import service
    from playlists.reports.view import report_json

    if fmt not in FORMATS:
        fail(f"--format “{fmt}” không có; dùng {', '.join(FORMATS)}.")
    if output is None and fmt != "json":
        fail(f"Tệp {fmt.upper()} cần -o TÊN_TỆP.")
    with common.station() as ctx, ctx.unit_of_work() as session:
        window = window_asked(ctx, period, first, last, windows)
        if output is not None:
            common.acting_as(session, by, Action.EXPORT_REPORT)
        issuer = service.Issuer.from_settings(ctx.settings.reports)
        built = service.build(
            session, window, tz=ctx.settings.zone, made_at=ctx.now(), issuer=issuer
        )
        if output is None:
            import json

            sys.stdout.write(json.dumps(report_json(built), ensure_ascii=False, indent=2) + "\n")
            return
        try:
            service.write_file(built, session, fmt, output)
        except OSError as exc:
            fail(f"Không ghi được {output}: {exc.strerror}")
        service.record_export(session, built.window, fmt, built.last_seq)
    typer.echo(f"Đã ghi báo cáo {built.period.name} vào {output}")


@report_app.command("close")
def report_close(
    period: PeriodOption = None,
    first: FromOption = None,
    last: ToOption = None,
    windows: WindowsOption = None,
    folder: Annotated[
        Path | None, typer.Option("-o", "--output", help="Thư mục ghi các tệp (mặc định: reports/)")
    ] = None,
    by: Annotated[str, by_option("Cán bộ báo cáo")] = "",
) -> None:
    """Chốt số liệu một kỳ: lập các tệp báo cáo, ghi mã băm của từng tệp vào sổ báo cáo đã chốt.

    Tệp của kỳ đã chốt lập lại được đúng từng byte, và `loa report verify` kiểm tra được.
    """
    from playlists.accounts.roles import Action
    from playlists.reports import service

    with common.station() as ctx, ctx.unit_of_work() as session:
        window = window_asked(ctx, period, first, last, windows)
        common.acting_as(session, by, Action.CLOSE_PERIOD)
        closure, paths = service.close_period(
            session, window, tz=ctx.settings.zone, now=ctx.now(),
            issuer=service.Issuer.from_settings(ctx.settings.reports),
            folder=folder or ctx.settings.reports_dir,
        )  # fmt: skip
        typer.echo(f"Đã chốt số liệu {window.period.name} "
                   f"({window.first_day:%d/%m/%Y}–{window.last_day:%d/%m/%Y}), "
                   f"đến dòng số {closure.last_seq} của nhật ký phát sóng.")  # fmt: skip
        for fmt, path in paths.items():
            typer.echo(f"  {fmt.upper():5} {path}  SHA-256 {closure.files[fmt]['sha256']}")


@report_app.command("verify")
def report_verify(file: Annotated[Path, typer.Argument(help="Tệp báo cáo cần kiểm tra")]) -> None:
    """Kiểm tra một tệp có đúng là báo cáo đã chốt của đài này, và nhật ký còn nguyên vẹn."""
    from playlists.reports import service

    if not file.is_file():
        fail(f"Không có tệp {file}.")
    with common.station() as ctx, ctx.unit_of_work() as session:
        check = service.verify_file(session, file)
        tz = ctx.settings.zone
        if check.closure is None:
            typer.echo(f"{file.name}: KHÔNG phải báo cáo đã chốt của đài này "
                       "(mã băm không có trong sổ báo cáo đã chốt).", err=True)  # fmt: skip
            raise typer.Exit(1)
        closure = check.closure
        typer.echo(
            f"{file.name}: là tệp {check.fmt.upper() if check.fmt else ''} của báo cáo đã chốt "
            f"số {closure.id}, kỳ {service.closure_window(closure).period.name} "
            f"({closure.first_day:%d/%m/%Y}–{closure.last_day:%d/%m/%Y}), chốt lúc "
            f"{closure.made_at.astimezone(tz):%H:%M ngày %d/%m/%Y} bởi {closure.closed_by}."
        )
        if not check.log_ok:
            where = f" (dòng số {check.first_bad_seq})" if check.first_bad_seq else ""
            typer.echo(f"Nhật ký phát sóng KHÔNG còn nguyên vẹn{where}: {check.log_message}.",
                       err=True)  # fmt: skip
            raise typer.Exit(1)
        typer.echo(f"Nhật ký phát sóng còn nguyên vẹn đến dòng số {closure.last_seq}.")


@report_app.command("closed")
def report_closed() -> None:
    """Sổ báo cáo đã chốt: kỳ, khoảng ngày, cách tính, dòng nhật ký, người chốt."""
    from playlists.reports import service

    with common.station() as ctx, ctx.unit_of_work() as session:
        register = service.closures(session)
        tz = ctx.settings.zone
        if not register:
            typer.echo("Chưa có kỳ báo cáo nào được chốt.")
            return
        for closure in register:
            typer.echo(
                f"{closure.id:>3}  {closure.period:<24} "
                f"{closure.first_day:%d/%m/%Y}–{closure.last_day:%d/%m/%Y}  {closure.rule:<8} "
                f"dòng {closure.last_seq:<7} {closure.made_at.astimezone(tz):%d/%m/%Y %H:%M}  "
                f"{closure.closed_by}"
            )


@report_app.command("target")
def report_target(
    code: Annotated[int, typer.Argument(help="Số thứ tự nội dung trong kế hoạch (1-9, 0: Khác)")],
    plays: Annotated[int | None, typer.Option("--plays", help="Lượt phát mỗi tháng")] = None,
    minutes: Annotated[float | None, typer.Option("--minutes", help="Số phút mỗi tháng")] = None,
    by: Annotated[str, by_option("Cán bộ báo cáo")] = "",
) -> None:
    """Đặt chỉ tiêu tuyên truyền mỗi tháng cho một nội dung (bỏ trống cả hai để xóa)."""
    from playlists.accounts.roles import Action
    from playlists.reports import service

    with common.station() as ctx, ctx.unit_of_work() as session:
        common.acting_as(session, by, Action.SET_REPORT_TARGETS)
        topic = service.set_target(session, code, plays=plays, minutes=minutes)
        typer.echo(f"Nội dung {topic.code}: {topic.target_plays_per_month or '—'} lượt, "
                   f"{topic.target_minutes_per_month or '—'} phút mỗi tháng.")  # fmt: skip
