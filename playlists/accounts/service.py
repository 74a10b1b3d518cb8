"""Accounts: users and roles, signing in and out, sessions, API tokens; each change audited.

Functions take the session and `now`, and never commit. Changes made for a person record
who did them through the actor bound to the session (playlists/accounts/actor.py); signing
in binds the actor itself, since nobody is signed in yet.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.orm import Session, selectinload

from playlists.accounts.actor import Actor, Origin, acting, bind
from playlists.accounts.models import (
    CITY_SCOPE,
    ApiToken,
    SignInFailure,
    User,
    UserRole,
    WebSession,
    scope_of,
)
from playlists.accounts.passwords import (
    check_password,
    digest,
    hash_password,
    new_secret,
    one_time_password,
    password_problem,
)
from playlists.accounts.roles import CITY_ROLES, Role
from playlists.audit.service import record
from playlists.core.bounds import id_or_none
from playlists.core.db import HOME_WARD, ward_of
from playlists.core.errors import InputError, NotFound, StateError
from playlists.core.settings import AccountSettings
from playlists.core.text import one_line

log = logging.getLogger(__name__)

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,38}[a-z0-9]")
MAX_DISPLAY_NAME = 100
TOKEN_PREFIX = "loa_"
# A session's last use is written at most this often, not on every request.
SEEN_EVERY = timedelta(minutes=1)

WRONG = "Tên đăng nhập hoặc mật khẩu không đúng."


def throttled(minutes: int) -> str:
    return (
        f"Nhập sai mật khẩu quá nhiều lần. Hãy chờ {minutes} phút rồi thử lại, "
        "hoặc nhờ người quản trị đặt lại mật khẩu."
    )


# The kinds of failure counted: signing in, and confirming one's password while signed in
# (an emergency, a password change). Counted apart, so that guessing at the sign-in page
# cannot stop a signed-in operator from confirming an emergency.
SIGN_IN = "sign_in"
CONFIRM = "confirm"


# --- users and roles ---------------------------------------------------------------------


def normal_username(username: str) -> str:
    return username.strip().lower()


def username_problem(username: str) -> str | None:
    if not USERNAME.fullmatch(username):
        return (
            "Tên đăng nhập gồm 3–40 chữ cái không dấu, chữ số, dấu chấm, gạch dưới hoặc "
            "gạch ngang (ví dụ: lan.nguyen)."
        )
    return None


def find_user(session: Session, username: str) -> User | None:
    """The user of that name (any case), or None; a name no user could have is not looked up."""
    if not USERNAME.fullmatch(normal_username(username)):
        return None
    return session.scalar(
        select(User)
        .where(User.username == normal_username(username))
        .options(selectinload(User.role_rows))
    )


def get_user(session: Session, username: str) -> User:
    """The user of that name who holds a role at the session's ward (others are not found)."""
    user = find_user(session, username)
    if user is None or not user.roles(ward_of(session)):
        shown = one_line(username)[:60]
        raise NotFound(f"Không có người dùng '{shown}'.", f"no user {shown!r}")
    return user


def _own_user(session: Session, username: str) -> User:
    """A user whom this ward's admin may lock, unlock or give a new password.

    Those reach every ward where the person works: a ward's admin decides them for the
    people of that ward alone; the home ward's admins (the platform's) for anyone.
    """
    ward = ward_of(session)
    user = find_user(session, username) if ward == HOME_WARD else get_user(session, username)
    if user is None:
        shown = one_line(username)[:60]
        raise NotFound(f"Không có người dùng '{shown}'.", f"no user {shown!r}")
    held = {row.station for row in user.role_rows}
    if ward != HOME_WARD and (not held - {CITY_SCOPE} <= {ward} or CITY_SCOPE in held):
        raise StateError(
            f"Tài khoản {user.username} còn làm việc ở phường khác: chỉ đổi được vai trò của "
            "người này tại phường mình; khóa hoặc đặt lại mật khẩu do quản trị hệ thống làm.",
            "user works at another ward too",
        )
    return user


def _people_of(session: Session) -> Select[int]:
    """The ids of the people who hold a role at the session's ward (the home ward's admins
    also see the holders of the city's roles, which only they grant)."""
    ward = ward_of(session)
    places = (ward, CITY_SCOPE) if ward == HOME_WARD else (ward,)
    return select(UserRole.user_id).where(UserRole.station.in_(places))


def wards_of(session: Session, user: User) -> list[str]:
    """The wards a person may work for: where they hold a role; every ward for the city's."""
    if user.city_roles():
        from playlists.wards.models import Ward

        return sorted(session.scalars(select(Ward.code)))
    return user.wards()


CITY_ROLES_REFUSED = "Chỉ người quản trị của hệ thống (phường gốc) mới giao vai trò cấp thành phố."


def grantable_roles(session: Session) -> list[Role]:
    """The roles an admin of the session's ward may give: the city's at the home ward only."""
    here = ward_of(session) == HOME_WARD
    return [role for role in Role if here or role not in CITY_ROLES]


def _city_roles_kept(
    session: Session, before: frozenset[Role], roles: frozenset[Role]
) -> frozenset[Role]:
    """The roles to hold: anywhere but at the home ward, the city's stay as they are (a
    ward's form does not offer them), and giving one is refused."""
    if ward_of(session) == HOME_WARD:
        return roles
    if (roles - before) & CITY_ROLES:
        raise InputError({"roles": CITY_ROLES_REFUSED})
    return (roles - CITY_ROLES) | (before & CITY_ROLES)


def list_users(session: Session) -> list[User]:
    """The people who hold a role at the session's ward."""
    return list(
        session.scalars(
            select(User)
            .where(User.id.in_(_people_of(session)))
            .order_by(User.username)
            .options(selectinload(User.role_rows))
        )
    )


def actor_for(user: User, origin: Origin, ward: str, address: str = "") -> Actor:
    """The actor a signed-in user (or a command-line user) acts as at `ward`."""
    return Actor(user.id, user.username, user.display_name, user.roles(ward), origin, address)


def _admins(session: Session) -> Select[int]:
    """Count the enabled admins of the session's ward."""
    return (
        select(func.count())
        .select_from(UserRole)
        .join(User)
        .where(
            UserRole.role == Role.ADMIN,
            UserRole.station == ward_of(session),
            User.disabled.is_(False),
        )
    )


def any_admin(session: Session) -> bool:
    return (session.scalar(_admins(session)) or 0) > 0


def _roles_text(roles: Iterable[Role]) -> list[str]:
    return sorted(role.value for role in roles)


def add_user(
    session: Session,
    username: str,
    *,
    display_name: str,
    roles: Iterable[Role],
    password: str | None,
    now: datetime,
) -> tuple[User, str | None]:
    """Create a user; return it and the one-time password made when none was given."""
    username = normal_username(username)
    display_name = " ".join(one_line(display_name).split())
    roles = frozenset(roles)
    errors = {}
    if problem := username_problem(username):
        errors["username"] = problem
    elif find_user(session, username) is not None:
        # Names are the city's: the same person at two wards has one account.
        errors["username"] = f"Đã có người dùng '{username}'."
    if not display_name:
        errors["display_name"] = "Cần nhập họ tên."
    elif len(display_name) > MAX_DISPLAY_NAME:
        errors["display_name"] = f"Họ tên dài quá {MAX_DISPLAY_NAME} ký tự."
    if not roles:
        errors["roles"] = "Cần chọn ít nhất một vai trò."
    elif roles & CITY_ROLES and ward_of(session) != HOME_WARD:
        errors["roles"] = CITY_ROLES_REFUSED
    if password is not None and (problem := password_problem(password, username)):
        errors["password"] = problem
    if errors:
        raise InputError(errors)
    one_time = one_time_password() if password is None else None
    user = User(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password if password is not None else one_time or ""),
        must_change_password=password is None,
        created_at=now,
        password_changed_at=now,
    )
    user.role_rows = [
        UserRole(station=scope_of(role, ward_of(session)), role=role) for role in sorted(roles)
    ]
    session.add(user)
    session.flush()
    record(
        session,
        "user_added",
        subject_kind="user",
        subject_id=username,
        summary=f"Thêm người dùng {username} ({display_name})",
        after={"username": username, "display_name": display_name, "roles": _roles_text(roles)},
        at=now,
    )
    return user, one_time


def set_roles(session: Session, username: str, roles: Iterable[Role], *, now: datetime) -> User:
    """Give a user exactly `roles` at this ward; their sessions here end (roles changed).

    The user may so far work at other wards only: a ward takes on someone of another ward by
    their username (their roles there stay as they are; nothing of theirs is shown here).
    No role at all takes a person who works elsewhere too off this ward.
    """
    user = find_user(session, username)
    if user is None:
        shown = one_line(username)[:60]
        raise NotFound(f"Không có người dùng '{shown}'.", f"no user {shown!r}")
    ward = ward_of(session)
    roles = frozenset(roles)
    elsewhere = {row.station for row in user.role_rows} - {ward}
    if not roles and not elsewhere:
        raise InputError({"roles": "Cần chọn ít nhất một vai trò (hoặc khóa tài khoản)."})
    before = user.roles(ward)
    roles = _city_roles_kept(session, before, roles)
    if before == roles:
        return user
    if Role.ADMIN in before and Role.ADMIN not in roles:
        _keep_an_admin(session, user)
    # Keep the rows of roles still held and add only the new ones: replacing them all would
    # insert a kept role's new row before its old one is deleted (the unique key refuses).
    kept = [r for r in user.role_rows if r.station not in (ward, CITY_SCOPE) or r.role in roles]
    added = [UserRole(station=scope_of(role, ward), role=role) for role in sorted(roles - before)]
    user.role_rows = kept + added
    end_sessions(session, user, why="roles", now=now, ward=ward)
    session.flush()
    record(
        session,
        "roles_changed",
        subject_kind="user",
        subject_id=user.username,
        summary=f"Đổi vai trò của {user.username}",
        before={"roles": _roles_text(before)},
        after={"roles": _roles_text(roles)},
        at=now,
    )
    return user


def _keep_an_admin(session: Session, leaving: User) -> None:
    others = session.scalar(_admins(session).where(User.id != leaving.id))
    if not others:
        raise StateError(
            "Đây là người quản trị cuối cùng: hãy giao vai trò Quản trị cho người khác trước.",
            "refused to remove the last admin",
        )


def set_disabled(session: Session, username: str, disabled: bool, *, now: datetime) -> User:
    """Disable a user (their sessions and tokens stop at once) or enable them again."""
    user = _own_user(session, username)
    if user.disabled == disabled:
        return user
    if disabled and Role.ADMIN in user.roles(ward_of(session)):
        _keep_an_admin(session, user)
    if disabled and user.id == acting(session).user_id:
        raise StateError("Không thể tự khóa tài khoản của chính mình.", "refused self-disable")
    user.disabled = disabled
    if disabled:
        end_sessions(session, user, why="disabled", now=now)
    record(
        session,
        "user_disabled" if disabled else "user_enabled",
        subject_kind="user",
        subject_id=user.username,
        summary=f"{'Khóa' if disabled else 'Mở khóa'} tài khoản {user.username}",
        before={"disabled": not disabled},
        after={"disabled": disabled},
        at=now,
    )
    return user


def reset_password(
    session: Session, username: str, *, password: str | None, now: datetime
) -> str | None:
    """Set a user's password (given, or a one-time one to change at sign-in); end sessions."""
    user = _own_user(session, username)
    if password is not None and (problem := password_problem(password, user.username)):
        raise InputError({"password": problem})
    one_time = one_time_password() if password is None else None
    user.password_hash = hash_password(password if password is not None else one_time or "")
    user.must_change_password = password is None
    user.password_changed_at = now
    end_sessions(session, user, why="password", now=now)
    # A reset answers a lost or leaked password: whatever was made with it goes too.
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    record(
        session,
        "password_reset",
        subject_kind="user",
        subject_id=user.username,
        summary=f"Đặt lại mật khẩu của {user.username}"
        + (" (mật khẩu dùng một lần)" if one_time else ""),
        at=now,
    )
    return one_time


def change_own_password(
    session: Session,
    user: User,
    *,
    current: str,
    new: str,
    address: str,
    settings: AccountSettings,
    now: datetime,
) -> None:
    """A user changes their own password; every session of theirs ends (sign in anew).

    A wrong current password counts like a wrong confirmation (`confirm_password`), so an
    unattended session cannot be used to guess it; the caller commits that even though this
    raises InputError.
    """
    errors = {}
    refusal = confirm_password(session, user, current, address=address, settings=settings, now=now)
    if refusal:
        errors["current"] = refusal
    elif problem := password_problem(new, user.username):
        errors["new"] = problem
    elif new == current:
        errors["new"] = "Mật khẩu mới phải khác mật khẩu hiện tại."
    if errors:
        raise InputError(errors)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.password_changed_at = now
    end_sessions(session, user, why="password", now=now)
    record(
        session,
        "password_changed",
        subject_kind="user",
        subject_id=user.username,
        summary=f"{user.username} đổi mật khẩu",
        at=now,
    )


def confirm_password(
    session: Session,
    user: User,
    password: str,
    *,
    address: str,
    settings: AccountSettings,
    now: datetime,
) -> str | None:
    """Check a signed-in user's own password before a grave action (an emergency).

    Returns why it is refused (Vietnamese), or None. Failures count with failed sign-ins, so
    a session left open cannot be used to guess its owner's password.
    """
    since = max(now - timedelta(minutes=settings.sign_in_window_min), user.password_changed_at)
    if (
        _recent_failures(session, since=since, username=user.username, kind=CONFIRM)
        >= settings.sign_in_failures_per_account
    ):
        return throttled(settings.sign_in_window_min)
    if not password:
        return "Cần nhập mật khẩu của bạn để xác nhận."
    ok, _ = check_password(password, user.password_hash)
    if ok:
        return None
    session.add(SignInFailure(username=user.username, address=address[:64], at=now, kind=CONFIRM))
    record(session, "password_confirm_failed", subject_kind="user", subject_id=user.username,
           summary=f"{user.username} nhập sai mật khẩu xác nhận", at=now)  # fmt: skip
    return "Mật khẩu không đúng."


# --- signing in --------------------------------------------------------------------------


@dataclass(frozen=True)
class SignIn:
    """What a sign-in attempt gave: a user and their new session's secret id, or a refusal."""

    user: User | None
    secret: str = ""
    refusal: str = ""
    ward: str = ""  # the ward the new session works for


def _recent_failures(
    session: Session,
    *,
    since: datetime,
    username: str = "",
    address: str = "",
    kind: str = SIGN_IN,
) -> int:
    """Count failures of one kind since `since` for one typed name, or from one address."""
    query = (
        select(func.count())
        .select_from(SignInFailure)
        .where(SignInFailure.at >= since, SignInFailure.kind == kind)
    )
    if username:
        query = query.where(SignInFailure.username == username)
    else:
        query = query.where(SignInFailure.address == address)
    return session.scalar(query) or 0


def sign_in(
    session: Session,
    username: str,
    password: str,
    *,
    address: str,
    origin: Origin,
    settings: AccountSettings,
    now: datetime,
) -> SignIn:
    """Check a password and open a session; failures are counted and audited.

    Returns rather than raises, so that the caller commits the failure it must remember.
    The answer is the same whether the user exists or not.
    """
    # What was typed is kept (audited, counted) only as one printable line.
    typed = one_line(normal_username(username))[:100]
    since = now - timedelta(minutes=settings.sign_in_window_min)
    # Failures older than the window count for nothing: they go.
    session.execute(delete(SignInFailure).where(SignInFailure.at < since))
    user = find_user(session, typed)
    nobody = Actor(None, typed, "", frozenset(), origin, address)
    # A password set (or reset by an admin) since the failures wipes the account's slate.
    account_since = max(since, user.password_changed_at) if user else since
    if (
        _recent_failures(session, since=account_since, username=typed)
        >= settings.sign_in_failures_per_account
        or _recent_failures(session, since=since, address=address)
        >= settings.sign_in_failures_per_address
    ):
        # Not counted again, nor audited: a stream of throttled tries must neither keep the
        # account locked for ever nor flood the append-only trail. The log says it.
        log.warning("sign-in throttled for %r from %s", typed, address)
        return SignIn(None, refusal=throttled(settings.sign_in_window_min))
    ok, new_hash = check_password(password, user.password_hash if user else None)
    if user is None or not ok:
        return _failed(session, nobody, now, "wrong password or unknown user", WRONG)
    if user.disabled:
        return _failed(session, nobody, now, "account disabled", WRONG)
    if new_hash is not None:  # the hashing parameters changed since: keep the stronger hash
        user.password_hash = new_hash
    here = ward_of(session)
    # The browser works for the ward it signed in at, or else the first of the person's.
    mine = wards_of(session, user)
    ward = here if user.roles(here) or not mine else mine[0]
    secret = open_session(session, user, address=address, ward=ward, now=now)
    bind(session, actor_for(user, origin, here, address))
    record(session, "sign_in", subject_kind="user", subject_id=user.username,
           summary=f"{user.username} đăng nhập", at=now)  # fmt: skip
    return SignIn(user, secret, ward=ward)


def note_sign_in(
    session: Session, user: User, *, made_at: str, origin: Origin, address: str, now: datetime
) -> None:
    """Record, in the trail of the ward `session` works for, a sign-in made on another ward's
    page (the city's plain address, say) whose session works here: each ward's admins see
    their people's sign-ins in their own trail."""
    bind(session, actor_for(user, origin, ward_of(session), address))
    summary = f"{user.username} đăng nhập (tại trang của {made_at})"
    record(session, "sign_in", subject_kind="user", subject_id=user.username, summary=summary,
           at=now)  # fmt: skip


def open_session(
    session: Session, user: User, *, address: str, now: datetime, ward: str | None = None
) -> str:
    """Start a new session for `user` at `ward` (the session's own by default); return its
    secret id (for the cookie, never stored)."""
    secret = new_secret()
    session.add(WebSession(id_hash=digest(secret), user_id=user.id, created_at=now,
                           last_seen_at=now, address=address[:64],
                           ward=ward or ward_of(session)))  # fmt: skip
    return secret


def choose_ward(session: Session, row: WebSession, ward: str, *, now: datetime) -> None:
    """Make a signed-in browser work for another of its person's wards."""
    if ward not in wards_of(session, row.user):
        shown = one_line(ward)[:40]
        raise NotFound(f"Bạn không làm việc ở phường '{shown}'.", f"no role at ward {shown!r}")
    row.ward = ward
    who = row.user.username
    record(session, "ward_chosen", subject_kind="user", subject_id=who,
           summary=f"{who} chuyển sang làm việc cho phường {ward}", at=now)  # fmt: skip


def credential_ward(session: Session, *, cookie: str, bearer: str) -> str | None:
    """The ward a request's credential works for (a token's, else a session's), unchecked.

    Only picks the ward's schema for the request: who may do what there is checked as ever,
    with the roles held at that ward.
    """
    if bearer:
        return session.scalar(select(ApiToken.ward).where(ApiToken.token_hash == digest(bearer)))
    if cookie:
        return session.scalar(
            select(WebSession.ward).where(
                WebSession.id_hash == digest(cookie), WebSession.ended_at.is_(None)
            )
        )
    return None


def _failed(session: Session, nobody: Actor, now: datetime, why: str, message: str) -> SignIn:
    session.add(SignInFailure(username=nobody.username, address=nobody.address[:64], at=now))
    bind(session, nobody)
    record(session, "sign_in_failed", subject_kind="user", subject_id=nobody.username,
           summary=f"Đăng nhập không thành công: {nobody.username}", note=why, at=now)  # fmt: skip
    return SignIn(None, refusal=message)


def session_user(
    session: Session, secret: str, *, settings: AccountSettings, now: datetime
) -> tuple[User, WebSession] | None:
    """Return the user of a live session, ending it if it timed out; None when none."""
    if not secret:
        return None
    row = session.scalar(
        select(WebSession)
        .where(WebSession.id_hash == digest(secret), WebSession.ended_at.is_(None))
        .options(selectinload(WebSession.user).selectinload(User.role_rows))
    )
    if row is None or row.ward != ward_of(session):
        return None
    why = ""
    if row.user.disabled:
        why = "disabled"
    elif now - row.last_seen_at > timedelta(minutes=settings.session_idle_min):
        why = "idle"
    elif now - row.created_at > timedelta(hours=settings.session_max_hours):
        why = "expired"
    if why:
        row.ended_at, row.ended_why = now, why
        return None
    if now - row.last_seen_at >= SEEN_EVERY:
        row.last_seen_at = now
    return row.user, row


def sign_out(session: Session, secret: str, *, now: datetime) -> None:
    """End the session whose secret id the browser held."""
    row = session.scalar(
        select(WebSession).where(
            WebSession.id_hash == digest(secret), WebSession.ended_at.is_(None)
        )
    )
    if row is None:
        return
    row.ended_at, row.ended_why = now, "signed out"
    record(session, "sign_out", subject_kind="user", subject_id=acting(session).username,
           summary=f"{acting(session).username} đăng xuất", at=now)  # fmt: skip


def end_sessions_by_secret(session: Session, secret: str, *, why: str, now: datetime) -> None:
    """End the one session whose secret id is `secret` (a browser signing in anew)."""
    session.execute(
        update(WebSession)
        .where(WebSession.id_hash == digest(secret), WebSession.ended_at.is_(None))
        .values(ended_at=now, ended_why=why)
    )


def end_sessions(
    session: Session, user: User, *, why: str, now: datetime, ward: str | None = None
) -> None:
    """End every open session of `user` (password changed, disabled), or those working for
    one ward (roles changed there)."""
    query = update(WebSession).where(WebSession.user_id == user.id, WebSession.ended_at.is_(None))
    if ward is not None:
        query = query.where(WebSession.ward == ward)
    session.execute(query.values(ended_at=now, ended_why=why))


# --- API tokens --------------------------------------------------------------------------


def make_token(
    session: Session, username: str, *, days: int, max_days: int, label: str, now: datetime
) -> tuple[ApiToken, str]:
    """Make a personal API token for `username`; return it and its secret (shown once).

    `max_days` is the station's LOA_API_TOKEN_DAYS: no token outlives it.
    """
    user = get_user(session, username)
    if user.disabled:
        raise StateError(f"Tài khoản {user.username} đang bị khóa.", "token for disabled user")
    if user.must_change_password and acting(session).user_id == user.id:
        # Whoever holds a one-time password (perhaps not its owner) makes nothing lasting
        # with it; an admin may still give a token to an account for a machine.
        raise StateError(
            f"Tài khoản {user.username} còn dùng mật khẩu dùng một lần: đổi mật khẩu trước đã.",
            "token refused before the one-time password is changed",
        )
    if not 1 <= days <= max_days:
        raise InputError({"days": f"Số ngày hiệu lực phải từ 1 đến {max_days}."})
    secret = new_secret(TOKEN_PREFIX)
    token = ApiToken(
        token_hash=digest(secret), prefix=secret[: len(TOKEN_PREFIX) + 6], user_id=user.id,
        label=" ".join(one_line(label).split())[:100], created_at=now,
        expires_at=now + timedelta(days=days), ward=ward_of(session),
    )  # fmt: skip
    session.add(token)
    session.flush()
    record(session, "token_made", subject_kind="user", subject_id=user.username,
           summary=f"Tạo mã API {token.prefix}… cho {user.username}, hết hạn sau {days} ngày",
           after={"token": token.id, "label": token.label, "expires_at": token.expires_at},
           at=now)  # fmt: skip
    return token, secret


def tokens_of(session: Session, user: User | None = None) -> list[ApiToken]:
    """Tokens working for the session's ward, newest first: one user's, or everybody's."""
    query = (
        select(ApiToken)
        .where(ApiToken.ward == ward_of(session))
        .options(selectinload(ApiToken.user))
        .order_by(ApiToken.id.desc())
    )
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return list(session.scalars(query))


def revoke_token(session: Session, token_id: int, *, now: datetime) -> ApiToken:
    """Revoke a token: the actor's own, or anybody's for an admin."""
    token = session.get(ApiToken, token_id) if id_or_none(token_id) else None
    actor = acting(session)
    if (
        token is None
        or token.ward != ward_of(session)
        or (token.user_id != actor.user_id and Role.ADMIN not in actor.roles)
    ):
        raise NotFound(f"Không có mã API số {token_id}.", f"no token {token_id} for actor")
    if token.revoked_at is None:
        token.revoked_at = now
        record(session, "token_revoked", subject_kind="user", subject_id=token.user.username,
               summary=f"Thu hồi mã API {token.prefix}… của {token.user.username}",
               before={"token": token.id}, at=now)  # fmt: skip
    return token


def token_user(session: Session, secret: str, *, now: datetime) -> User | None:
    """Return the enabled user of a live token, or None."""
    token = session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == digest(secret))
        .options(selectinload(ApiToken.user).selectinload(User.role_rows))
    )
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    if token.ward != ward_of(session):  # it works for another ward only
        return None
    if token.user.disabled:
        return None
    if token.last_used_at is None or now - token.last_used_at >= SEEN_EVERY:
        token.last_used_at = now
    return token.user
