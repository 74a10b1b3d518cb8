"""Running the station: `loa init`, `loa serve`, and `loa play` (a slot aired by hand)."""

from __future__ import annotations

import sys
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from web.cli.common import (
    app,
    ask_new_password,
    by_option,
    fail,
    open_station,
    parse_date,
    password_from_stdin,
    settings_or_exit,
    setup_logging,
)

if TYPE_CHECKING:
    from web.context import StationContext
    from web.settings import Settings


SWITCH_INTERVAL_S = 0.001


class OutputChoice(StrEnum):
    FILE = "file"
    DEVICE = "device"


def seed_demo_if_empty(ctx: StationContext) -> bool:
    """Create the demo station on an empty database, with today's and tomorrow's plans."""
    from playlists.demo import DEMO_ACCOUNTS, is_empty, seed_demo

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
    typer.echo(
        "Tài khoản mẫu, CHỈ ĐỂ DÙNG THỬ (mật khẩu công khai trong README; không dùng cho đài thật):"
    )
    width = max(len(a.username) for a in DEMO_ACCOUNTS)
    for account in DEMO_ACCOUNTS:
        typer.echo(
            f"  {account.username:<{width}}  mật khẩu {account.password:<16} {account.role.label}"
        )
    # The station's own builds, as each evening's: nobody asked for them, nothing to record.
    for day in (ctx.today(), ctx.today() + timedelta(days=1)):
        ctx.build_plan(day)
    return True


def first_admin(ctx: StationContext, username: str | None, name: str, password_stdin: bool) -> None:
    """Create the station's first admin, unless it has one: asked at a terminal, or as given."""
    from playlists.accounts import service as accounts
    from playlists.accounts.actor import Actor, Origin, bind
    from playlists.accounts.roles import Role
    from web.context import at_this_machine

    with ctx.unit_of_work() as session:
        admins = [
            u.username
            for u in accounts.list_users(session)
            if Role.ADMIN in u.roles(ctx.ward_code) and not u.disabled
        ]
    if admins:
        typer.echo(f"Đài đã có người quản trị ({', '.join(admins)}); không tạo thêm.")
        if username is not None:
            typer.echo(
                f'Thêm người dùng: loa user add TÊN --name "Họ tên" --role VAI_TRÒ --by {admins[0]}'
            )
        return
    password: str | None
    if username is None:
        if not sys.stdin.isatty():
            typer.echo(
                "Chưa có người quản trị. Chạy loa init ở cửa sổ dòng lệnh để tạo, hoặc: "
                'loa init --admin TÊN_ĐĂNG_NHẬP --name "Họ tên" --password-stdin'
            )
            return
        username, name, password = _ask_first_admin()
    else:
        if not name.strip():
            fail('Cần --name "Họ tên" của người quản trị đầu tiên.')
        password = password_from_stdin(username) if password_stdin else None
    # Nobody has an account yet: who creates the first one is whoever runs this command on the
    # station's machine, known only by their login there. The trail says exactly that.
    installer = Actor(
        None, at_this_machine(), "Người cài đặt trên máy của đài", frozenset(), Origin.CLI
    )
    with ctx.unit_of_work() as session:
        if accounts.any_admin(session):  # another `loa init` was quicker
            fail("Vừa có người khác tạo người quản trị; không tạo thêm.")
        bind(session, installer)
        user, one_time = accounts.add_user(
            session, username, display_name=name, roles={Role.ADMIN}, password=password,
            now=ctx.now(),
        )  # fmt: skip
        created = user.username
    typer.echo(f"Đã tạo người quản trị {created}.")
    if one_time:
        typer.echo(f"Mật khẩu dùng một lần: {one_time}")
        typer.echo("Lần đăng nhập đầu tiên phải đổi mật khẩu này.")


def _ask_first_admin() -> tuple[str, str, str]:
    """Ask at the terminal for the first admin's username, name and password (hidden, twice)."""
    from playlists.accounts.service import normal_username, username_problem

    typer.echo("Tạo người quản trị đầu tiên của đài.")
    for _ in range(3):
        username = normal_username(typer.prompt("Tên đăng nhập (ví dụ: lan.nguyen)"))
        problem = username_problem(username)
        if problem is None:
            break
        typer.echo(problem, err=True)
    else:
        fail("Chưa có tên đăng nhập hợp lệ sau ba lần thử; không có gì thay đổi.")
    name = ""
    while not name:
        name = " ".join(typer.prompt("Họ tên").split())
    return username, name, ask_new_password(username)


@app.command()
def init(
    demo: Annotated[
        bool, typer.Option("--demo", help="Tạo đài mẫu (kèm tài khoản mẫu) nếu cơ sở dữ liệu trống")
    ] = False,
    admin: Annotated[
        str | None,
        typer.Option(
            "--admin",
            metavar="TÊN_ĐĂNG_NHẬP",
            help="Người quản trị đầu tiên, không hỏi (khi đài chưa có người quản trị)",
        ),
    ] = None,
    name: Annotated[str, typer.Option("--name", help="Họ tên người quản trị đầu tiên")] = "",
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Đọc mật khẩu người quản trị từ stdin, một dòng (không có: mật khẩu dùng một lần)",
        ),
    ] = False,
) -> None:
    """Tạo hoặc nâng cấp cơ sở dữ liệu; tạo người quản trị đầu tiên nếu chưa có."""
    from playlists.core.db import shown_url
    from web.cli.common import station

    setup_logging()
    if demo and admin is not None:
        fail("Chọn một: --demo (đài mẫu, tài khoản mẫu) hoặc --admin (người quản trị thật).")
    if admin is None and (name or password_stdin):
        fail("--name và --password-stdin chỉ dùng cùng --admin TÊN_ĐĂNG_NHẬP.")
    with station() as ctx:
        typer.echo(f"Cơ sở dữ liệu sẵn sàng: {shown_url(ctx.settings.db_url)}")
        if demo and not seed_demo_if_empty(ctx):
            typer.echo("Cơ sở dữ liệu đã có dữ liệu; không tạo đài mẫu.")
        first_admin(ctx, admin, name, password_stdin)


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
    settings = settings_or_exit()
    _piper_has_a_voice(settings)
    ctx = open_station(settings)
    try:
        # Before anything else: a second server must not even seed or plan the station.
        ctx.station.lock.acquire()
    except StationBusy as exc:
        ctx.stop()
        fail(str(exc))
    if demo:
        seed_demo_if_empty(ctx)
    _say_if_no_admin(ctx)
    typer.echo(f"Loa Phường đang chạy tại http://{host}:{port} (dữ liệu: {ctx.settings.data_dir})")
    if ctx.settings.web_workers == 0:
        _serve_in_one_process(ctx, host, port)
    else:
        _serve_with_workers(ctx, host, port)


def _piper_has_a_voice(settings: Settings) -> None:
    """Refuse to start a station whose engine order names piper with no voice to speak."""
    from audio.voices.installed import installed

    speech = settings.speech
    named = "piper" in speech.tts_engines and speech.piper_voice is None
    if named and not installed(settings.voices_dir):
        fail("LOA_TTS_ENGINES có piper nhưng đài chưa có giọng piper nào. Cài một giọng: "
             "loa voice add TỆP.onnx --by NGƯỜI_DUYỆT (hoặc đặt LOA_PIPER_VOICE).")  # fmt: skip


def _say_if_no_admin(ctx: StationContext) -> None:
    from playlists.accounts.service import any_admin

    with ctx.unit_of_work() as session:
        if any_admin(session):
            return
    typer.echo(
        "Đài chưa có người quản trị nên chưa ai đăng nhập được: hãy dừng đài và chạy loa init.",
        err=True,
    )


def _serve_in_one_process(ctx: StationContext, host: str, port: int) -> None:
    import uvicorn

    from web.app import create_app

    # proxy_headers off: only LOA_TRUSTED_PROXY is believed about the client (web/auth.py).
    uvicorn.run(create_app(ctx), host=host, port=port, log_level="info", proxy_headers=False)


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
    by: Annotated[str, by_option("Kỹ thuật viên vận hành")] = "",
) -> None:
    """Phát ngay một khung giờ theo lịch (nguồn: phát tay)."""
    from playlists.accounts.roles import Action
    from playlists.asrun.models import AirSource, AirStatus
    from playlists.core.errors import DomainError
    from playlists.planning.views import read_plan
    from playlists.slots.service import record_manual_play
    from scheduler.lock import StationBusy
    from web.cli.common import acting_as
    from web.cli.plan import store_plan

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
            acting_as(session, by, Action.PLAY_BY_HAND)
            # Who asked is recorded and committed before the slot airs, however the airing goes.
            found = record_manual_play(slot, target, session=session, now=ctx.now())
            slot_id, slot_name = found.id, found.name
            view = read_plan(session=session, day=target, tz=ctx.settings.zone)
            planned = any(s.items for z in view.zones for s in z.slots if s.slot.id == slot_id)
            if not planned and target >= ctx.today():  # the operator's command builds it
                store_plan(ctx, session, target)
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
