"""`loa user …`, `loa init --admin` and `--by`, run as a person runs them: real processes.

What the commands did is checked through the accounts service itself: signing in
(`sign_in`), a token's owner (`token_user`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from playlists.accounts import service as accounts
from playlists.accounts.actor import Origin
from playlists.accounts.roles import CITY_ROLES, Role
from playlists.audit.service import entries
from playlists.bulletins.models import Bulletin
from playlists.core.clock import SystemClock
from playlists.core.db import HOME_WARD, make_engine, make_session_factory, session_scope
from playlists.core.settings import AccountSettings
from playlists.demo import DEMO_ACCOUNTS
from tests.web.test_cli import run
from web.cli.common import app

ADMIN_PASSWORD = "quan-tri-dai-phuong-7"


@contextmanager
def database(data: Path) -> Iterator[Session]:
    """A session on the station `loa` made in `data`, committed at the end."""
    engine = make_engine(f"sqlite:///{data / 'loa.db'}")
    try:
        with session_scope(make_session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


def sign_in(data: Path, username: str, password: str) -> accounts.SignIn:
    with database(data) as session:
        signed = accounts.sign_in(
            session, username, password, address="127.0.0.1", origin=Origin.WEB,
            settings=AccountSettings(), now=SystemClock().now(),
        )  # fmt: skip
        if signed.user is not None:  # read after the commit: roles and flags are loaded
            session.expunge(signed.user)
        return signed


def one_time_password(stdout: str) -> str:
    (line,) = [x for x in stdout.splitlines() if x.startswith("Mật khẩu dùng một lần: ")]
    return line.removeprefix("Mật khẩu dùng một lần: ").strip()


@pytest.fixture
def station(tmp_path: Path) -> Path:
    """A station whose first admin, quantri, was made by `loa init --admin`."""
    data = tmp_path / "data"
    done = run(data, "init", "--admin", "quantri", "--name", "Trần Quản Trị", "--password-stdin",
               stdin=ADMIN_PASSWORD + "\n")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Đã tạo người quản trị quantri." in done.stdout
    assert "Mật khẩu dùng một lần" not in done.stdout
    return data


def test_a_new_user_gets_a_one_time_password_to_change_at_first_sign_in(station: Path) -> None:
    added = run(station, "user", "add", "lan.nguyen", "--name", "Nguyễn Thị Lan",
                "--role", "editor", "--by", "quantri")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "Đã thêm người dùng lan.nguyen (Biên tập viên)." in added.stdout
    password = one_time_password(added.stdout)
    assert len(password) >= 10
    signed = sign_in(station, "lan.nguyen", password)
    assert signed.user is not None and signed.user.must_change_password
    listing = run(station, "user", "list").stdout
    assert "lan.nguyen" in listing and "Nguyễn Thị Lan" in listing
    assert "Chờ đổi mật khẩu" in listing
    assert password not in listing

    reset = run(station, "user", "passwd", "lan.nguyen", "--by", "quantri")
    assert reset.returncode == 0, reset.stderr
    new = one_time_password(reset.stdout)
    assert new != password
    assert sign_in(station, "lan.nguyen", password).user is None, "the old one no longer works"
    again = sign_in(station, "lan.nguyen", new)
    assert again.user is not None and again.user.must_change_password


def test_passwords_come_from_stdin_only(station: Path) -> None:
    admin = sign_in(station, "quantri", ADMIN_PASSWORD)
    assert admin.user is not None and not admin.user.must_change_password
    added = run(station, "user", "add", "minh", "--name", "Lê Minh", "--role", "operator",
                "--password-stdin", "--by", "quantri", stdin="loa-phuong-ben-nghe\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "Mật khẩu dùng một lần" not in added.stdout
    signed = sign_in(station, "minh", "loa-phuong-ben-nghe")
    assert signed.user is not None and not signed.user.must_change_password

    changed = run(station, "user", "passwd", "minh", "--password-stdin", "--by", "quantri",
                  stdin="mot-mat-khau-moi-9\r\n")  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    assert sign_in(station, "minh", "mot-mat-khau-moi-9").user is not None

    short = run(station, "user", "passwd", "minh", "--password-stdin", "--by", "quantri",
                stdin="ngan\n")  # fmt: skip
    assert short.returncode == 2 and "Mật khẩu cần ít nhất 10 ký tự" in short.stderr
    empty = run(station, "user", "passwd", "minh", "--password-stdin", "--by", "quantri")
    assert empty.returncode == 2 and "không đọc được mật khẩu" in empty.stderr
    assert sign_in(station, "minh", "mot-mat-khau-moi-9").user is not None, "nothing changed"


def test_no_command_takes_a_password_as_an_argument() -> None:
    """A password in argv shows in every user's process list: only flags may name one."""

    def commands(command: Any) -> Iterator[Any]:
        yield command
        for sub in getattr(command, "commands", {}).values():
            yield from commands(sub)

    checked = 0
    for command in commands(typer.main.get_command(app)):
        for param in command.params:
            if any(word in (param.name or "") for word in ("pass", "secret", "pin")):
                assert getattr(param, "is_flag", False), (command.name, param.name)
                checked += 1
    assert checked >= 3  # init, user add, user passwd: --password-stdin


def test_a_password_option_is_refused(station: Path) -> None:
    done = run(station, "user", "add", "hoa", "--name", "Hoa", "--role", "editor",
               "--password", "mat-khau-lo-ra-ngoai", "--by", "quantri")  # fmt: skip
    assert done.returncode == 2
    with database(station) as session:
        assert accounts.find_user(session, "hoa") is None


def test_roles_are_listed_in_vietnamese_and_set_whole(station: Path) -> None:
    run(station, "user", "add", "hung", "--name", "Phạm Hùng", "--role", "operator",
        "--by", "quantri")  # fmt: skip
    changed = run(station, "user", "roles", "hung", "--role", "reporter", "--role", "approver",
                  "--by", "quantri")  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    assert "hung: Lãnh đạo duyệt, Cán bộ báo cáo." in changed.stdout
    (line,) = [x for x in run(station, "user", "list").stdout.splitlines() if "hung" in x]
    assert "Lãnh đạo duyệt, Cán bộ báo cáo" in line and "Kỹ thuật viên" not in line
    with database(station) as session:
        user = accounts.get_user(session, "hung")
        assert user.roles(HOME_WARD) == {Role.REPORTER, Role.APPROVER}

    unknown = run(station, "user", "roles", "hung", "--role", "sếp", "--by", "quantri")
    assert unknown.returncode == 2 and "Không có vai trò 'sếp'" in unknown.stderr
    none = run(station, "user", "roles", "hung", "--by", "quantri")
    assert none.returncode == 2 and "Cần ít nhất một --role" in none.stderr
    last = run(station, "user", "roles", "quantri", "--role", "editor", "--by", "quantri")
    assert last.returncode == 2 and "người quản trị cuối cùng" in last.stderr


def test_a_role_can_be_added_to_those_held(station: Path) -> None:
    run(station, "user", "add", "hung", "--name", "Phạm Hùng", "--role", "operator",
        "--by", "quantri")  # fmt: skip
    added = run(station, "user", "roles", "hung", "--role", "operator", "--role", "reporter",
                "--by", "quantri")  # fmt: skip
    assert added.returncode == 0, added.stderr


def test_a_disabled_user_cannot_sign_in_nor_act(station: Path) -> None:
    run(station, "user", "add", "mai", "--name", "Đỗ Mai", "--role", "operator",
        "--password-stdin", "--by", "quantri", stdin="loa-phuong-ben-nghe\n")  # fmt: skip
    disabled = run(station, "user", "disable", "mai", "--by", "quantri")
    assert disabled.returncode == 0, disabled.stderr
    (line,) = [x for x in run(station, "user", "list").stdout.splitlines() if "mai" in x]
    assert line.rstrip().endswith("Đã khóa")
    assert sign_in(station, "mai", "loa-phuong-ben-nghe").user is None
    acting = run(station, "zone", "add", "Chợ", "--by", "mai")
    assert acting.returncode == 2 and "Tài khoản 'mai' đang bị khóa" in acting.stderr
    myself = run(station, "user", "disable", "quantri", "--by", "quantri")
    assert myself.returncode == 2 and "người quản trị cuối cùng" in myself.stderr

    enabled = run(station, "user", "enable", "mai", "--by", "quantri")
    assert enabled.returncode == 0, enabled.stderr
    assert sign_in(station, "mai", "loa-phuong-ben-nghe").user is not None
    assert run(station, "zone", "add", "Chợ", "--by", "mai").returncode == 0


def test_a_token_is_printed_once_and_works(station: Path) -> None:
    run(station, "user", "add", "may.tram", "--name", "Máy trạm", "--role", "reporter",
        "--by", "quantri")  # fmt: skip
    made = run(station, "user", "token", "may.tram", "--days", "30", "--label", "xuất báo cáo",
               "--by", "quantri")  # fmt: skip
    assert made.returncode == 0, made.stderr
    (secret,) = made.stdout.split()  # stdout holds the token alone, for scripts
    assert secret.startswith("loa_") and "chỉ hiện một lần" in made.stderr
    with database(station) as session:
        owner = accounts.token_user(session, secret, now=SystemClock().now())
        assert owner is not None and owner.username == "may.tram"
    # Shown once: never stored, never listed, never in the audit trail.
    assert secret.encode() not in (station / "loa.db").read_bytes()
    assert secret not in run(station, "user", "list").stdout
    assert secret not in run(station, "audit", "list").stdout

    long = run(station, "user", "token", "may.tram", "--days", "5000", "--by", "quantri")
    assert long.returncode == 2 and "từ 1 đến 90" in long.stderr
    run(station, "user", "disable", "may.tram", "--by", "quantri")
    with database(station) as session:
        assert accounts.token_user(session, secret, now=SystemClock().now()) is None


@pytest.mark.parametrize(
    ("by", "message"),
    [
        ([], "Cần --by TÊN_ĐĂNG_NHẬP"),
        (["--by", " "], "Cần --by TÊN_ĐĂNG_NHẬP"),
        (["--by", "ai.do"], "Không có người dùng 'ai.do'"),
        (["--by", "khoa"], "Tài khoản 'khoa' đang bị khóa"),
        (["--by", "bientap"], "bientap: Bạn không có quyền quản lý người dùng"),
    ],
)
def test_by_must_name_a_known_enabled_user_with_the_role(
    station: Path, by: list[str], message: str
) -> None:
    for username, role in (("khoa", "admin"), ("bientap", "editor")):
        run(station, "user", "add", username, "--name", username, "--role", role,
            "--by", "quantri")  # fmt: skip
    run(station, "user", "disable", "khoa", "--by", "quantri")
    done = run(station, "user", "add", "hoa", "--name", "Hoa", "--role", "editor", *by)
    assert done.returncode == 2
    assert message in done.stderr and done.stderr.startswith("Lỗi: ")
    with database(station) as session:
        assert accounts.find_user(session, "hoa") is None, "nothing saved"


def test_init_makes_the_first_admin_once(station: Path) -> None:
    again = run(station, "init", "--admin", "nguoi.khac", "--name", "Người khác",
                "--password-stdin", stdin="mat-khau-nguoi-khac\n")  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "Đài đã có người quản trị (quantri); không tạo thêm." in again.stdout
    plain = run(station, "init")
    assert plain.returncode == 0 and "đã có người quản trị" in plain.stdout
    with database(station) as session:
        assert [u.username for u in accounts.list_users(session)] == ["quantri"]
        # Nobody had an account: the trail names the login at the station's machine.
        (entry,) = entries(session, subject_kind="user")
        assert (entry.action, entry.subject_id) == ("user_added", "quantri")
        assert entry.origin == "cli" and entry.user_id is None and entry.username


def test_init_admin_needs_a_name_and_a_good_password(tmp_path: Path) -> None:
    data = tmp_path / "data"
    nameless = run(data, "init", "--admin", "quantri")
    assert nameless.returncode == 2 and "Cần --name" in nameless.stderr
    weak = run(data, "init", "--admin", "quantri", "--name", "Quản trị", "--password-stdin",
               stdin="quantri-123\n")  # fmt: skip
    assert weak.returncode == 2 and "không được chứa tên đăng nhập" in weak.stderr
    both = run(data, "init", "--demo", "--admin", "quantri", "--name", "Quản trị")
    assert both.returncode == 2 and "Chọn một" in both.stderr
    quiet = run(data, "init")
    assert quiet.returncode == 0 and "Chưa có người quản trị" in quiet.stdout
    one_time = run(data, "init", "--admin", "quantri", "--name", "Quản trị")
    assert one_time.returncode == 0, one_time.stderr
    signed = sign_in(data, "quantri", one_time_password(one_time.stdout))
    assert signed.user is not None and signed.user.must_change_password


def test_the_demo_has_one_account_per_role_and_they_wrote_its_bulletins(tmp_path: Path) -> None:
    data = tmp_path / "data"
    done = run(data, "init", "--demo")
    assert done.returncode == 0, done.stderr
    assert "CHỈ ĐỂ DÙNG THỬ" in done.stdout
    # A ward's people: not players, nor the city's (a demo is one ward).
    assert {a.role for a in DEMO_ACCOUNTS} == set(Role) - {Role.PLAYER} - CITY_ROLES
    ids = {}
    printed = done.stdout.splitlines()
    for account in DEMO_ACCOUNTS:
        assert any(account.username in x and account.password in x for x in printed)
        signed = sign_in(data, account.username, account.password)
        assert signed.user is not None, account.username
        assert signed.user.roles(HOME_WARD) == {account.role}
        assert "(mẫu)" in signed.user.display_name
        ids[account.role] = signed.user.id
    with database(data) as session:
        bulletins = list(session.scalars(select(Bulletin)))
        assert len(bulletins) == 4
        for bulletin in bulletins:
            assert bulletin.author_id == ids[Role.EDITOR]
            assert bulletin.approver_id == ids[Role.APPROVER]
    listing = run(data, "audit", "list").stdout
    assert "bientap" in listing and "duyet" in listing and "Đài tự động" in listing
    assert run(data, "audit", "verify").returncode == 0


def test_the_readme_lists_the_demo_accounts_as_they_are() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text("utf-8")
    for account in DEMO_ACCOUNTS:
        assert f"| `{account.username}` | `{account.password}` | {account.role.label} (" in readme
    assert "demo accounts, for trying the station out only" in readme
