"""Running the station: `loa init`, `loa serve`, and `loa play` (a slot aired by hand)."""

from __future__ import annotations

import sys
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from web.cli.common import app, fail, open_station, parse_date, settings_or_exit, setup_logging

if TYPE_CHECKING:
    from web.context import StationContext


SWITCH_INTERVAL_S = 0.001


class OutputChoice(StrEnum):
    FILE = "file"
    DEVICE = "device"


def seed_demo_if_empty(ctx: StationContext) -> bool:
    """Create the demo station on an empty database, with today's and tomorrow's plans."""
    from playlists.demo import is_empty, seed_demo

    with ctx.unit_of_work() as session:
        if not is_empty(session=session):
            return False
        count = seed_demo(
            session=session,
            renderer=ctx.speech(session),
            media_dir=ctx.settings.media_dir,
            today=ctx.today(),
            now=ctx.now(),
            max_text_chars=ctx.settings.max_text_chars,
        )
    typer.echo(f"Đã tạo đài mẫu: 1 cụm loa, 2 khung giờ, {count} bản tin đã duyệt.")
    for day in (ctx.today(), ctx.today() + timedelta(days=1)):
        ctx.build_plan(day)
    return True


@app.command()
def init(
    demo: Annotated[
        bool, typer.Option("--demo", help="Tạo đài mẫu nếu cơ sở dữ liệu trống")
    ] = False,
) -> None:
    """Tạo hoặc nâng cấp cơ sở dữ liệu."""
    from playlists.core.db import shown_url
    from web.cli.common import station

    setup_logging()
    with station() as ctx:
        typer.echo(f"Cơ sở dữ liệu sẵn sàng: {shown_url(ctx.settings.db_url)}")
        if demo and not seed_demo_if_empty(ctx):
            typer.echo("Cơ sở dữ liệu đã có dữ liệu; không tạo đài mẫu.")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Địa chỉ lắng nghe")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Cổng")] = 8000,
    demo: Annotated[
        bool, typer.Option("--demo", help="Tạo đài mẫu nếu cơ sở dữ liệu trống")
    ] = False,
) -> None:
    """Chạy trang web và bộ lập lịch phát."""
    from scheduler.lock import StationBusy

    setup_logging()
    # The player shares the interpreter with the scheduler's jobs (and, with no web workers,
    # with the pages): when it wakes for its next chunk it must get Python's lock within a
    # millisecond, not after the 5 ms a busy thread may otherwise hold it.
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    ctx = open_station(settings_or_exit())
    try:
        # Before anything else: a second server must not even seed or plan the station.
        ctx.station.lock.acquire()
    except StationBusy as exc:
        ctx.stop()
        fail(str(exc))
    if demo:
        seed_demo_if_empty(ctx)
    typer.echo(f"Loa Phường đang chạy tại http://{host}:{port} (dữ liệu: {ctx.settings.data_dir})")
    if ctx.settings.web_workers == 0:
        _serve_in_one_process(ctx, host, port)
    else:
        _serve_with_workers(ctx, host, port)


def _serve_in_one_process(ctx: StationContext, host: str, port: int) -> None:
    import uvicorn

    from web.app import create_app

    uvicorn.run(create_app(ctx), host=host, port=port, log_level="info")


def _serve_with_workers(ctx: StationContext, host: str, port: int) -> None:
    import signal
    import threading

    from web.serving import WebWorkers

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        workers = WebWorkers(ctx, host=host, port=port, count=ctx.settings.web_workers)
    except OSError as exc:
        ctx.stop()
        fail(f"Không mở được cổng {host}:{port}: {exc.strerror}.")
    try:
        ctx.start()
        workers.start()
        stop.wait()
    finally:
        # The air first: cut and logged at once, whatever the pages are still doing.
        workers.ask_to_stop()
        ctx.stop()
        workers.stop()


@app.command()
def play(
    day: Annotated[str, typer.Option("--date", help="Ngày của lịch YYYY-MM-DD")],
    slot: Annotated[str, typer.Option("--slot", help="Tên khung giờ hoặc giờ bắt đầu HH:MM")],
    output: Annotated[
        OutputChoice | None, typer.Option("--output", help="file hoặc device")
    ] = None,
) -> None:
    """Phát ngay một khung giờ theo lịch (nguồn: phát tay)."""
    from playlists.asrun.models import AirSource, AirStatus
    from playlists.core.errors import DomainError
    from playlists.planning.views import read_plan
    from playlists.slots.service import find_slot
    from scheduler.lock import StationBusy

    setup_logging()
    target = parse_date(day, "--date")
    overrides = {"output": output.value} if output else {}
    ctx = open_station(settings_or_exit(**overrides))
    try:
        # The running station owns the outputs and the journal of what is on air.
        ctx.station.lock.acquire()
    except StationBusy:
        ctx.stop()
        fail("Đài đang chạy ở tiến trình khác (loa serve), đang giữ các đầu ra. "
             "Hãy dừng nó trước khi phát tay từ dòng lệnh.")  # fmt: skip
    try:
        with ctx.unit_of_work() as session:
            found = find_slot(slot, session=session)
            slot_id, slot_name = found.id, found.name
            view = read_plan(session=session, day=target, tz=ctx.settings.zone)
            planned = any(s.items for z in view.zones for s in z.slots if s.slot.id == slot_id)
        if not planned and target >= ctx.today():
            ctx.build_plan(target)
        results = ctx.station.air_slot(target, slot_id, AirSource.MANUAL, start=ctx.now())
    except DomainError as exc:
        fail(exc.message)
    finally:
        ctx.stop()
    if not results:
        fail(f"Khung giờ {slot_name} ngày {target:%d/%m/%Y} không có bản tin nào để phát.", 1)
    for result in results:
        aired = (
            (result.actual_end - result.actual_start).total_seconds()
            if result.actual_start and result.actual_end
            else 0.0
        )
        typer.echo(
            f"{result.program.zone_name}: #{result.item.bulletin_id} {result.item.title}: "
            f"{result.status.label} {aired:.1f} giây {result.reason}".rstrip()
        )
    if any(r.status != AirStatus.PLAYED for r in results):
        raise typer.Exit(1)
