"""Users from the command line: `loa user add|list|roles|passwd|disable|enable|token`.

Every change is an admin's (`--by`), recorded in the audit trail. Passwords are never
arguments (every user of the machine can read a process's arguments): `--password-stdin`
reads one line from stdin, and without it a one-time password is printed, to be changed at
the first sign-in. A new API token is printed once and never shown again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from web.cli import common
from web.cli.common import app, by_option, fail, password_from_stdin

if TYPE_CHECKING:
    from playlists.accounts.models import User
    from playlists.accounts.roles import Role

user_app = typer.Typer(help="Người dùng, vai trò và mã API.", no_args_is_help=True)
app.add_typer(user_app, name="user")

ADMIN = "Quản trị"
ROLE_HELP = "Vai trò, nhắc lại được: editor, approver, operator, reporter, admin, player"
PASSWORD_STDIN_HELP = "Đọc mật khẩu từ stdin, một dòng (không có: in mật khẩu dùng một lần)"


def parse_role_options(values: list[str] | None) -> frozenset[Role]:
    """Read `--role` values, or stop with a Vietnamese message naming the unknown one."""
    from playlists.accounts.roles import parse_roles

    if not values:
        fail("Cần ít nhất một --role: editor, approver, operator, reporter hoặc admin.")
    try:
        return parse_roles(values)
    except ValueError as exc:
        fail(str(exc))


def roles_text(roles: frozenset[Role]) -> str:
    """Roles in Vietnamese, in the order of the process (editor first, admin last)."""
    from playlists.accounts.roles import Role

    return ", ".join(role.label for role in Role if role in roles) or "-"


def say_one_time(username: str, one_time: str | None) -> None:
    if one_time:
        typer.echo(f"Mật khẩu dùng một lần: {one_time}")
        typer.echo(f"Hãy trao riêng cho {username}; lần đăng nhập đầu tiên phải đổi mật khẩu này.")


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Tên đăng nhập, ví dụ lan.nguyen")],
    name: Annotated[str, typer.Option("--name", help="Họ tên")] = "",
    role: Annotated[list[str] | None, typer.Option("--role", help=ROLE_HELP)] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help=PASSWORD_STDIN_HELP)
    ] = False,
    by: Annotated[str, by_option(ADMIN)] = "",
) -> None:
    """Thêm người dùng với vai trò; in mật khẩu dùng một lần nếu không đọc mật khẩu từ stdin."""
    from playlists.accounts import service as accounts
    from playlists.accounts.roles import Action

    roles = parse_role_options(role)
    with common.station() as ctx, ctx.unit_of_work() as session:
        common.acting_as(session, by, Action.MANAGE_USERS)
        password = password_from_stdin(username) if password_stdin else None
        user, one_time = accounts.add_user(
            session, username, display_name=name, roles=roles, password=password, now=ctx.now()
        )
        added = user.username
    typer.echo(f"Đã thêm người dùng {added} ({roles_text(roles)}).")
    say_one_time(added, one_time)


def _state(user: User) -> str:
    if user.disabled:
        return "Đã khóa"
    if user.must_change_password:
        return "Chờ đổi mật khẩu"
    return "Đang dùng"


@user_app.command("list")
def user_list() -> None:
    """Liệt kê người dùng: tên đăng nhập, họ tên, vai trò, trạng thái."""
    from playlists.accounts import service as accounts

    with common.station() as ctx, ctx.unit_of_work() as session:
        rows = [
            (u.username, u.display_name, roles_text(u.roles(ctx.ward_code)), _state(u))
            for u in accounts.list_users(session)
        ]
    if not rows:
        typer.echo("Chưa có người dùng nào. Tạo người quản trị đầu tiên: loa init")
        return
    header = ("Tên đăng nhập", "Họ tên", "Vai trò", "Trạng thái")
    for line in aligned((header, *rows)):
        typer.echo(line)


def aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    """Return rows as lines of columns padded to the widest cell (the last one left ragged)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]])
        for row in rows
    ]


@user_app.command("roles")
def user_roles(
    username: Annotated[str, typer.Argument(help="Tên đăng nhập")],
    role: Annotated[list[str] | None, typer.Option("--role", help=ROLE_HELP)] = None,
    by: Annotated[str, by_option(ADMIN)] = "",
) -> None:
    """Đặt lại toàn bộ vai trò của một người (các phiên đăng nhập của họ kết thúc)."""
    from playlists.accounts import service as accounts
    from playlists.accounts.roles import Action

    roles = parse_role_options(role)
    with common.station() as ctx, ctx.unit_of_work() as session:
        common.acting_as(session, by, Action.MANAGE_USERS)
        user = accounts.set_roles(session, username, roles, now=ctx.now())
        changed = user.username
    typer.echo(f"{changed}: {roles_text(roles)}.")


@user_app.command("passwd")
def user_passwd(
    username: Annotated[str, typer.Argument(help="Tên đăng nhập")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help=PASSWORD_STDIN_HELP)
    ] = False,
    by: Annotated[str, by_option(ADMIN)] = "",
) -> None:
    """Đặt lại mật khẩu của một người (các phiên đăng nhập của họ kết thúc)."""
    from playlists.accounts import service as accounts
    from playlists.accounts.roles import Action

    with common.station() as ctx, ctx.unit_of_work() as session:
        common.acting_as(session, by, Action.MANAGE_USERS)
        changed = accounts.normal_username(username)
        password = password_from_stdin(changed) if password_stdin else None
        one_time = accounts.reset_password(session, changed, password=password, now=ctx.now())
    typer.echo(f"Đã đặt lại mật khẩu của {changed}.")
    say_one_time(changed, one_time)


def _set_disabled(username: str, by: str, *, disabled: bool) -> None:
    from playlists.accounts import service as accounts
    from playlists.accounts.roles import Action

    with common.station() as ctx, ctx.unit_of_work() as session:
        common.acting_as(session, by, Action.MANAGE_USERS)
        user = accounts.set_disabled(session, username, disabled, now=ctx.now())
        changed = user.username
    if disabled:
        typer.echo(f"Đã khóa tài khoản {changed}: phiên đăng nhập và mã API của họ thôi hiệu lực.")
    else:
        typer.echo(f"Đã mở khóa tài khoản {changed}.")


@user_app.command("disable")
def user_disable(
    username: Annotated[str, typer.Argument(help="Tên đăng nhập")],
    by: Annotated[str, by_option(ADMIN)] = "",
) -> None:
    """Khóa tài khoản: đăng xuất ngay, mã API thôi hiệu lực (lịch sử vẫn giữ)."""
    _set_disabled(username, by, disabled=True)


@user_app.command("enable")
def user_enable(
    username: Annotated[str, typer.Argument(help="Tên đăng nhập")],
    by: Annotated[str, by_option(ADMIN)] = "",
) -> None:
    """Mở khóa tài khoản đã khóa."""
    _set_disabled(username, by, disabled=False)


@user_app.command("token")
def user_token(
    username: Annotated[str, typer.Argument(help="Tên đăng nhập của người dùng mã")],
    days: Annotated[
        int | None, typer.Option("--days", help="Số ngày hiệu lực (mặc định: LOA_API_TOKEN_DAYS)")
    ] = None,
    label: Annotated[str, typer.Option("--label", help="Ghi chú: mã dùng cho việc gì")] = "",
    by: Annotated[str, by_option(ADMIN)] = "",
) -> None:
    """Tạo mã API cho một người; mã in ra một lần duy nhất (stdout), hãy lưu lại ngay."""
    from playlists.accounts import service as accounts
    from playlists.accounts.roles import Action

    with common.station() as ctx, ctx.unit_of_work() as session:
        common.acting_as(session, by, Action.MANAGE_USERS)
        token, secret = accounts.make_token(
            session, username, days=days if days is not None else ctx.settings.api_token_days,
            max_days=ctx.settings.api_token_days, label=label, now=ctx.now(),
        )  # fmt: skip
        expires = token.expires_at.astimezone(ctx.settings.zone)
        owner = token.user.username
    typer.echo(secret)
    typer.echo(
        f"Mã API của {owner}, hết hạn ngày {expires:%d/%m/%Y}. Mã chỉ hiện một lần này; "
        "hãy lưu lại ngay (gửi kèm trong tiêu đề Authorization: Bearer MÃ).",
        err=True,
    )
