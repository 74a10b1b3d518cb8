"""What every `loa` command shares: the app, refusals in Vietnamese, and opening the station.

Commands import what they use inside their own body: `loa --help` and `loa zone list` must
not pay for numpy, the speech engines, FastAPI or the scheduler (see tests/web/test_cli_fast.py).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, time
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from playlists.accounts.actor import Actor
    from playlists.accounts.roles import Action
    from web.context import StationContext
    from web.settings import Settings

app = typer.Typer(
    help="Loa Phường: phần mềm đài truyền thanh phường.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _every_command(
    ward: Annotated[
        str | None,
        typer.Option(
            "--phuong",
            metavar="MÃ_PHƯỜNG",
            help="Làm việc cho phường này (mặc định: LOA_WARD, hoặc phường gốc)",
        ),
    ] = None,
) -> None:
    """Loa Phường: phần mềm đài truyền thanh phường."""
    if ward is not None:
        # Read with every other setting (web/settings.py), by this command and what it starts.
        os.environ["LOA_WARD"] = ward


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a message for the person at the terminal and stop."""
    typer.echo(f"Lỗi: {message}", err=True)
    raise typer.Exit(code)


def settings_or_exit(**overrides: object) -> Settings:
    """Load settings, turning a wrong setting into a message a person can act on."""
    from web.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        fail(str(exc))
    return settings.model_copy(update=overrides) if overrides else settings


def open_station(settings: Settings) -> StationContext:
    """Open (and migrate) the station's database; nothing else is built until asked for."""
    from playlists.core.db import shown_url
    from playlists.core.errors import DomainError
    from web.context import StationContext

    try:
        return StationContext.create(settings)
    except DomainError as exc:  # LOA_WARD names no ward
        fail(exc.message)
    except Exception as exc:  # a database that cannot open is a setting to fix, not a crash
        fail(f"Không mở được cơ sở dữ liệu {shown_url(settings.db_url)}: {exc}")


@contextmanager
def station(settings: Settings | None = None) -> Iterator[StationContext]:
    """Open the station for one command; a refusal prints its reason and exits with status 2."""
    from playlists.core.errors import DomainError

    ctx = open_station(settings or settings_or_exit())
    try:
        yield ctx
    except DomainError as exc:
        fail(exc.message)
    finally:
        ctx.stop()


def parse_date(value: str, option: str) -> date:
    """Read YYYY-MM-DD, or stop with a Vietnamese message naming the option."""
    from playlists.core.bounds import day_problem

    try:
        day = date.fromisoformat(value)
    except ValueError:
        fail(f"{option} “{value}” không phải ngày hợp lệ (dạng YYYY-MM-DD, ví dụ 2026-11-27).")
    problem = day_problem(day, option)
    if problem:
        fail(problem)
    return day


def parse_time(value: str, option: str) -> time:
    """Read HH:MM, or stop with a Vietnamese message naming the option."""
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        fail(f"{option} “{value}” không phải giờ hợp lệ (dạng HH:MM, ví dụ 05:30).")


def by_option(role: str) -> typer.models.OptionInfo:
    """The `--by USERNAME` option of a command that changes something, naming the role it needs.

    Left empty, `acting_as` refuses in Vietnamese (typer's own "missing option" is English).
    """
    option: typer.models.OptionInfo = typer.Option(
        "--by",
        metavar="TÊN_ĐĂNG_NHẬP",
        help=f"Người chịu trách nhiệm cho thao tác này (bắt buộc; cần vai trò {role})",
    )
    return option


def ask_new_password(username: str) -> str:
    """Ask at the terminal for a new password, hidden, twice; re-ask until it will do."""
    from playlists.accounts.passwords import password_problem

    for _ in range(3):
        password: str = typer.prompt("Mật khẩu", hide_input=True)
        problem = password_problem(password, username)
        if problem:
            typer.echo(problem, err=True)
            continue
        if typer.prompt("Nhập lại mật khẩu", hide_input=True) != password:
            typer.echo("Hai lần nhập mật khẩu không khớp.", err=True)
            continue
        return password
    fail("Chưa đặt được mật khẩu sau ba lần thử; không có gì thay đổi.")


def password_from_stdin(username: str) -> str:
    """Read a new password from stdin, one line (at a terminal: asked twice, hidden).

    Passwords never come as arguments: every user of the machine sees those in the list of
    processes.
    """
    if sys.stdin.isatty():
        return ask_new_password(username)
    line = sys.stdin.readline()
    password = line.removesuffix("\n").removesuffix("\r")
    if not password:
        fail("--password-stdin: không đọc được mật khẩu (cần một dòng ở đầu vào chuẩn).")
    return password


# Loggers whose warnings are a speech engine's retries and fallbacks: the command says it
# in one Vietnamese line (`fallback_line`); --verbose shows these details.
SPEECH_LOGGERS = ("audio.", "playlists.bulletins.rendering")


class _SpeechDetails(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR or not record.name.startswith(SPEECH_LOGGERS)


def setup_logging(verbose: bool = False, *, quiet: bool = False) -> None:
    """Log to stderr, in English, with times. `quiet` commands (one answer, like `loa say`)
    log only warnings and leave a speech engine's failures to their one Vietnamese line
    (`fallback_line`), unless `verbose`; long-running ones (`loa serve`) log everything."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if quiet and not verbose:
        for handler in logging.getLogger().handlers:
            handler.addFilter(_SpeechDetails())


def verbose_option() -> Any:
    """The `--verbose` option of commands that may speak."""
    return typer.Option("--verbose", help="Ghi nhật ký chi tiết (cả lỗi của từng bộ đọc)")


def fallback_line(engine: str, reasons: Sequence[str]) -> str:
    """One Vietnamese line: the audio was made by a fallback voice, and why."""
    why = " ".join(reasons) or "Bộ đọc đứng trước không dùng được."
    return f"Lưu ý: đã đọc bằng giọng dự phòng {engine}. {why} Chi tiết: chạy lại với --verbose."


def acting_as(session: Session, by: str, action: Action) -> Actor:
    """Act in `session` as the known, enabled user `by`, whose roles must allow `action`.

    The command line runs on the station's machine as its operator, who names the person
    the change is for (`--by USERNAME`); the audit trail records that user and that the
    change came from the command line.
    """
    from playlists.accounts import service as accounts
    from playlists.accounts.actor import Origin, bind
    from playlists.core.db import ward_of

    if not by.strip():
        fail("Cần --by TÊN_ĐĂNG_NHẬP: người chịu trách nhiệm cho thao tác này.")
    user = accounts.find_user(session, by)
    if user is None:
        fail(f"Không có người dùng '{by}'. Xem danh sách: loa user list")
    if user.disabled:
        fail(f"Tài khoản '{user.username}' đang bị khóa.")
    actor = accounts.actor_for(user, Origin.CLI, ward_of(session))
    if not actor.may(action):
        from playlists.accounts.roles import refusal

        fail(f"{user.username}: {refusal(action)}")
    bind(session, actor)
    return actor
