"""What every `loa` command shares: the app, refusals in Vietnamese, and opening the station.

Commands import what they use inside their own body: `loa --help` and `loa zone list` must
not pay for numpy, the speech engines, FastAPI or the scheduler (see tests/web/test_cli_fast.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, time
from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from web.context import StationContext
    from web.settings import Settings

app = typer.Typer(
    help="Loa Phường: phần mềm đài truyền thanh phường.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


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
    from web.context import StationContext

    try:
        return StationContext.create(settings)
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
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} “{value}” không phải ngày hợp lệ (dạng YYYY-MM-DD, ví dụ 2026-11-27).")


def parse_time(value: str, option: str) -> time:
    """Read HH:MM, or stop with a Vietnamese message naming the option."""
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        fail(f"{option} “{value}” không phải giờ hợp lệ (dạng HH:MM, ví dụ 05:30).")


def setup_logging(verbose: bool = False) -> None:
    """Log to stderr, in English, with times."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
