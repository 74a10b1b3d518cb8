"""The route table is the permission table: every route declares what it needs, and does it.

Each route of the app (pages and API) is called as nobody and as a person holding each role;
the answer must be what the table in playlists/accounts/roles.py says: nobody is sent to sign
in (pages) or gets 401 (API), a role without the action gets 403 with the reason, a role with
it is let through (GET answers 200 on the data seeded here). Changes need the session's CSRF
token and are refused from a foreign Origin; signing out, timeouts, disabling and throttling
really end access.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from playlists.accounts import service as accounts
from playlists.accounts.actor import bind
from playlists.accounts.models import SignInFailure, WebSession
from playlists.accounts.passwords import csrf_token
from playlists.accounts.roles import ALLOWED, Role
from playlists.alerts.models import AlertKind
from playlists.alerts.service import raise_alert
from playlists.audit.models import AuditEntry
from playlists.bulletins.models import Bulletin
from playlists.bulletins.schemas import BulletinCreate
from playlists.core.db import HOME_WARD, session_scope
from playlists.reports import service as report_service
from playlists.reports.periods import Kind, Period, WindowRule
from tests.people import PASSWORD, act_as, add_person
from tests.web.conftest import sign_in
from web.app import create_app
from web.auth import COOKIE, CSRF_HEADER, declarations
from web.context import StationContext
from web.routes import endpoints
from web.settings import Settings

# The framework's own pages: the API's documentation, public by design.
FRAMEWORK = {"/api/openapi.json", "/api/docs", "/docs/oauth2-redirect"}
ROLE_REFUSAL = "Bạn không có quyền"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The station as a ward runs it: four eyes on."""
    return settings.model_copy(update={"allow_self_approval": False})


@pytest.fixture
def app_client(ctx: StationContext) -> Iterator[TestClient]:
    with TestClient(create_app(ctx, run_scheduler=False)) as client:
        yield client


@pytest.fixture
def people(ctx: StationContext) -> dict[str, int]:
    """One person per role, and a bystander the admin's actions can act on."""
    with session_scope(ctx.sessions) as session:
        return {role.value: add_person(session, f"nguoi.{role.value}", role) for role in Role} | {
            "khach": add_person(session, "khach", Role.EDITOR)
        }


@pytest.fixture
def seeded(ctx: StationContext, people: dict[str, int]) -> dict[str, str]:
    """A zone, a slot, a pending bulletin with audio, an alert: what the routes' ids point at."""
    from tests.conftest import add_zone_and_slot

    with session_scope(ctx.sessions) as session:
        zone, _slot = add_zone_and_slot(session)
        act_as(session, Role.EDITOR)
        today = ctx.today()
        bulletin = ctx.newsroom(session).create(
            BulletinCreate(title="Thử quyền", text="Nội dung thử quyền.", topic=8,
                           first_day=today, last_day=today, zone_ids=[zone.id]),
            session=session,
        )  # fmt: skip
        alert = raise_alert(session, kind=AlertKind.OUTPUT, message="Thử", detail="test",
                            zone_name=zone.name, now=ctx.now())  # fmt: skip
        assert bulletin.rendering is not None
        act_as(session, Role.REPORTER)
        past = today - timedelta(days=10)
        closure, _files = report_service.close_period(
            session, Period(Kind.CUSTOM, first_day=past, last_day=past).window(WindowRule.DECREE),
            tz=ctx.settings.zone, now=ctx.now(), issuer=report_service.Issuer.from_settings(
                ctx.settings.reports), folder=ctx.settings.reports_dir,
        )  # fmt: skip
        return {
            "bulletin_id": str(bulletin.id), "zone_id": str(zone.id), "alert_id": str(alert.id),
            "sha256": bulletin.rendering.sha256, "day": today.isoformat(),
            "emergency_id": "1", "token_id": "1", "username": "khach", "written": "UBND",
            "name": "khong-co.wav", "closure_id": str(closure.id), "fmt": "csv", "format": "csv",
            "code": "8",
        }  # fmt: skip


def as_person(client: TestClient, ctx: StationContext, user_id: int | None) -> None:
    """Give `client` a fresh session of `user_id` (nobody for None), without Argon2's cost."""
    client.cookies.clear()
    client.headers.pop(CSRF_HEADER, None)
    if user_id is None:
        return
    with session_scope(ctx.sessions) as session:
        user = session.get(accounts.User, user_id)
        assert user is not None
        secret = accounts.open_session(session, user, address="testclient", now=ctx.now())
    client.cookies.set(COOKIE, secret)
    client.headers[CSRF_HEADER] = csrf_token(secret)


def test_every_route_declares_what_it_needs(ctx: StationContext) -> None:
    app = create_app(ctx, run_scheduler=False)
    served = endpoints(app.routes)
    assert len(served) > 60, "the walk found the app's routes"
    undeclared = [f"{sorted(e.methods)} {e.path}" for e in served if not declarations(e.route)]
    assert undeclared == []
    others = {getattr(r, "path", "") for r in app.routes} - {e.path for e in served}
    assert {p for p in others if p and not p.startswith("/static")} <= FRAMEWORK
    public = sorted(e.path for e in served if declarations(e.route) == [None])
    assert public == ["/dang-nhap", "/dang-nhap"], "only signing in is public"


def test_each_role_gets_exactly_what_the_table_allows(
    ctx: StationContext, app_client: TestClient, people: dict[str, int], seeded: dict[str, str]
) -> None:
    served = [e for e in endpoints(app_client.app.routes) if declarations(e.route) != [None]]
    personas: dict[str, int | None] = {"nobody": None} | {r.value: people[r.value] for r in Role}
    checked = 0
    for endpoint in served:
        action = next(a for a in declarations(endpoint.route) if a is not None)
        path = re.sub(r"\{(\w+)\}", lambda m: seeded[m.group(1)], endpoint.path)
        if endpoint.path.startswith("/api/airlog"):
            path += f"?from={seeded['day']}&to={seeded['day']}"
        is_api = path.startswith("/api/")
        for method in sorted(endpoint.methods):
            for who, user_id in personas.items():
                as_person(app_client, ctx, user_id)
                kwargs = {"json": {}} if is_api and method in ("POST", "PUT") else {}
                answer = app_client.request(method, path, follow_redirects=False, **kwargs)
                where = f"{who} {method} {path} → {answer.status_code}"
                assert answer.status_code < 500, where
                if user_id is None:
                    if is_api:
                        assert answer.status_code == 401, where
                        assert answer.headers["www-authenticate"] == "Bearer"
                    else:
                        assert answer.status_code == 303, where
                        assert answer.headers["location"].startswith("/dang-nhap"), where
                elif Role(who) in ALLOWED[action]:
                    to_sign_in = answer.headers.get("location", "").startswith("/dang-nhap")
                    assert answer.status_code != 401, where
                    assert not to_sign_in or path == "/dang-xuat", where
                    assert ROLE_REFUSAL not in answer.text, where
                    if method == "GET" and "{name}" not in endpoint.path:  # no such copy
                        assert answer.status_code == 200, where
                else:
                    assert answer.status_code == 403, where
                    assert ROLE_REFUSAL in answer.text, where
                checked += 1
    assert checked > 6 * 70


def test_api_tokens_are_personal_shown_once_and_end_when_revoked_or_expired(
    ctx: StationContext, app_client: TestClient, people: dict[str, int]
) -> None:
    as_person(app_client, ctx, people["editor"])
    made = app_client.post("/api/tokens", json={"label": "máy thống kê", "days": 1})
    assert made.status_code == 201
    secret = made.json()["token"]
    assert secret.startswith("loa_")
    listed = app_client.get("/api/tokens").json()
    assert "token" not in listed[0] and listed[0]["prefix"] == secret[:10]

    app_client.cookies.clear()
    app_client.headers.pop(CSRF_HEADER)
    bearer = {"Authorization": f"Bearer {secret}"}
    me = app_client.get("/api/me", headers=bearer)
    assert me.json()["username"] == "nguoi.editor" and me.json()["roles"] == ["editor"]
    # A token carries no ambient authority: no CSRF token needed, and the role still rules.
    assert app_client.post("/api/plan/2026-12-05/build", headers=bearer).status_code == 403
    assert (
        app_client.get("/api/zones", headers={"Authorization": "Bearer loa_sai"}).status_code == 401
    )
    assert (
        app_client.get("/api/zones", headers={"Authorization": f"Basic {secret}"}).status_code
        == 401
    )

    with session_scope(ctx.sessions) as session:
        assert accounts.token_user(session, secret, now=ctx.now() + timedelta(days=2)) is None
    revoke = app_client.delete(f"/api/tokens/{made.json()['id']}", headers=bearer)
    assert revoke.status_code == 204
    assert app_client.get("/api/me", headers=bearer).status_code == 401, "revoked"
    with session_scope(ctx.sessions) as session:
        actions = list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))
    assert "token_made" in actions and "token_revoked" in actions


def test_changes_need_the_session_csrf_token_and_refuse_foreign_origins(
    ctx: StationContext, app_client: TestClient, people: dict[str, int], seeded: dict[str, str]
) -> None:
    as_person(app_client, ctx, people["operator"])
    good = app_client.headers[CSRF_HEADER]
    form = {"name": "Cụm mới"}
    app_client.headers.pop(CSRF_HEADER)
    missing = app_client.post("/khung-gio/cum-loa", data=form, follow_redirects=False)
    assert missing.status_code == 403 and "tải lại trang" in missing.text
    wrong = app_client.post("/khung-gio/cum-loa", data=form | {"csrf_token": "0" * 64})
    assert wrong.status_code == 403
    # Another person's token does not fit this session.
    as_person(app_client, ctx, people["admin"])
    theirs = app_client.headers.pop(CSRF_HEADER)
    as_person(app_client, ctx, people["operator"])
    app_client.headers.pop(CSRF_HEADER)
    assert (
        app_client.post("/khung-gio/cum-loa", data=form | {"csrf_token": theirs}).status_code == 403
    )
    foreign = app_client.post(
        "/khung-gio/cum-loa", data=form | {"csrf_token": good},
        headers={"Origin": "http://evil.example"}, follow_redirects=False,
    )  # fmt: skip
    assert foreign.status_code == 403 and "trang web khác" in foreign.text
    with session_scope(ctx.sessions) as session:
        assert session.scalar(select(func.count()).select_from(accounts.User)) == len(Role) + 1
    # A stale session's token (the operator signed in again since) no longer works either.
    assert (
        app_client.post("/khung-gio/cum-loa", data=form | {"csrf_token": good}).status_code == 403
    )
    same_site = app_client.post(
        "/khung-gio/cum-loa",
        data=form | {"csrf_token": app_client.cookies and csrf_token(app_client.cookies[COOKIE])},
        headers={"Origin": "http://testserver"}, follow_redirects=False,
    )  # fmt: skip
    assert same_site.status_code == 303, same_site.text


def test_sign_in_gives_a_new_session_and_sign_out_really_ends_it(
    ctx: StationContext, app_client: TestClient, people: dict[str, int]
) -> None:
    planted = "phien-do-ke-gian-dat-san"
    app_client.cookies.set(COOKIE, planted, domain="testserver.local")
    sign_in(app_client, "nguoi.editor")
    secret = app_client.cookies[COOKIE]
    assert secret != planted, "session fixation: the id is always new at sign-in"
    page = app_client.get("/ban-tin")
    assert page.status_code == 200 and "Thử nguoi.editor" in page.text
    cookie = next(h for h in app_client.cookies.jar if h.name == COOKIE)
    assert cookie.has_nonstandard_attr("HttpOnly")

    out = app_client.post("/dang-xuat", follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/dang-nhap"
    app_client.cookies.set(COOKIE, secret, domain="testserver.local")  # the old one, replayed
    again = app_client.get("/ban-tin", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/dang-nhap")
    with session_scope(ctx.sessions) as session:
        ended = session.scalars(select(WebSession.ended_why)).all()
    assert "signed out" in ended


def test_sessions_end_when_idle_too_long_too_old_or_the_user_is_disabled(
    ctx: StationContext, people: dict[str, int]
) -> None:
    rules = ctx.settings.accounts
    now = ctx.now()
    with session_scope(ctx.sessions) as session:
        user = session.get(accounts.User, people["editor"])
        assert user is not None
        fresh = accounts.open_session(session, user, address="a", now=now)
        idle = accounts.open_session(session, user, address="a", now=now)
    with session_scope(ctx.sessions) as session:
        later = now + timedelta(minutes=rules.session_idle_min - 1)
        assert accounts.session_user(session, fresh, settings=rules, now=later) is not None
        assert (
            accounts.session_user(
                session,
                idle,
                settings=rules,
                now=now + timedelta(minutes=rules.session_idle_min + 1),
            )
            is None
        )
    # Used every few minutes, a session still ends at the absolute limit.
    with session_scope(ctx.sessions) as session:
        moment = later
        while moment < now + timedelta(hours=rules.session_max_hours):
            moment += timedelta(minutes=rules.session_idle_min - 1)
            found = accounts.session_user(session, fresh, settings=rules, now=moment)
            if found is None:
                break
        assert moment >= now + timedelta(hours=rules.session_max_hours), "ended before its time"
        assert found is None, "still open past session_max_hours"
    with session_scope(ctx.sessions) as session:
        user = session.get(accounts.User, people["editor"])
        assert user is not None
        live = accounts.open_session(session, user, address="a", now=now)
        act_as(session, Role.ADMIN)
        accounts.set_disabled(session, "nguoi.editor", True, now=now)
    with session_scope(ctx.sessions) as session:
        assert accounts.session_user(session, live, settings=rules, now=now) is None


def test_guessing_is_throttled_per_account_across_many_addresses(
    ctx: StationContext, people: dict[str, int]
) -> None:
    rules = ctx.settings.accounts
    now = ctx.now()
    answers = []
    for attempt in range(rules.sign_in_failures_per_account + 2):
        with session_scope(ctx.sessions) as session:
            result = accounts.sign_in(
                session, "nguoi.approver", f"doan-sai-{attempt}", address=f"10.0.0.{attempt}",
                origin=accounts.Origin.WEB, settings=rules, now=now,
            )  # fmt: skip
            answers.append(result.refusal)
    assert answers[0] == accounts.WRONG
    assert answers[-1].startswith("Nhập sai mật khẩu quá nhiều lần"), "throttled across addresses"
    with session_scope(ctx.sessions) as session:
        locked = accounts.sign_in(
            session, "nguoi.approver", PASSWORD, address="10.0.9.9", origin=accounts.Origin.WEB,
            settings=rules, now=now,
        )  # fmt: skip
        assert locked.user is None, "the right password waits out the window too"
        failures = session.scalar(select(func.count()).select_from(SignInFailure))
        assert failures == rules.sign_in_failures_per_account, "throttled tries are not counted"
    with session_scope(ctx.sessions) as session:
        after = now + timedelta(minutes=rules.sign_in_window_min + 1)
        ok = accounts.sign_in(
            session, "nguoi.approver", PASSWORD, address="10.0.9.9", origin=accounts.Origin.WEB,
            settings=rules, now=after,
        )  # fmt: skip
        assert ok.user is not None
    # An unknown name is answered exactly like a wrong password.
    with session_scope(ctx.sessions) as session:
        unknown = accounts.sign_in(
            session, "khong.ai.ca", "bat-ky-mat-khau", address="10.0.9.8",
            origin=accounts.Origin.WEB, settings=rules, now=after,
        )  # fmt: skip
        assert unknown.refusal == accounts.WRONG


def test_four_eyes_an_approver_cannot_approve_their_own_bulletin(
    ctx: StationContext, app_client: TestClient, people: dict[str, int]
) -> None:
    from tests.conftest import add_zone_and_slot

    with session_scope(ctx.sessions) as session:
        add_zone_and_slot(session)
        both = add_person(session, "mot.minh", Role.EDITOR, Role.APPROVER)
    as_person(app_client, ctx, both)
    today = ctx.today().isoformat()
    created = app_client.post("/api/bulletins", json={
        "title": "Tự viết", "text": "Tự viết tự duyệt.", "topic": 8, "first_day": today,
        "last_day": today, "zone_ids": [1],
    })  # fmt: skip
    assert created.status_code == 201, created.text
    bulletin_id = created.json()["id"]
    own = app_client.post(f"/api/bulletins/{bulletin_id}/approve")
    assert own.status_code == 403 and "không tự duyệt được" in own.json()["detail"]
    as_person(app_client, ctx, people["approver"])
    other = app_client.post(f"/api/bulletins/{bulletin_id}/approve")
    assert other.status_code == 200 and other.json()["approver"] == "Thử nguoi.approver"
    # Editing the approved bulletin sends it back to draft, out of the plans.
    as_person(app_client, ctx, both)
    edited = app_client.put(f"/api/bulletins/{bulletin_id}", json={
        "title": "Tự viết", "text": "Nội dung đã sửa.", "topic": 8, "first_day": today,
        "last_day": today, "zone_ids": [1], "submit": False,
    })  # fmt: skip
    assert edited.status_code == 200 and edited.json()["status"] == "draft"
    history = app_client.get(f"/api/bulletins/{bulletin_id}/history").json()
    assert [h["action"] for h in history] == [
        "bulletin_created",
        "bulletin_submitted",
        "bulletin_approved",
        "bulletin_edited",
    ]
    assert history[2]["username"] == "nguoi.approver" and history[0]["username"] == "mot.minh"
    # Another editor may not edit it.
    as_person(app_client, ctx, people["editor"])
    theirs = app_client.put(f"/api/bulletins/{bulletin_id}", json={
        "title": "Chen ngang", "text": "x", "topic": 8, "first_day": today, "last_day": today,
        "zone_ids": [1],
    })  # fmt: skip
    assert theirs.status_code == 403 and "Chỉ người viết bản tin" in theirs.json()["detail"]
    with session_scope(ctx.sessions) as session:
        assert session.get(Bulletin, bulletin_id).title == "Tự viết"  # type: ignore[union-attr]


def test_a_one_person_ward_may_self_approve_and_the_trail_says_so(
    ctx: StationContext, people: dict[str, int]
) -> None:
    from tests.conftest import add_zone_and_slot

    ctx.settings = ctx.settings.model_copy(update={"allow_self_approval": True})
    with session_scope(ctx.sessions) as session:
        zone, _ = add_zone_and_slot(session)
        act_as(session, Role.EDITOR, Role.APPROVER)
        today = ctx.today()
        newsroom = ctx.newsroom(session)
        bulletin = newsroom.create(
            BulletinCreate(title="Một mình", text="Phường nhỏ.", topic=8, first_day=today,
                           last_day=today, zone_ids=[zone.id]), session=session,
        )  # fmt: skip
        session.flush()
        # The plain actor has no account, so bind one who is the author.
        from playlists.accounts.actor import bind

        user = session.get(accounts.User, people["approver"])
        assert user is not None
        bulletin.author_id = user.id
        bind(session, accounts.actor_for(user, accounts.Origin.WEB, HOME_WARD, "a"))
        newsroom.approve(bulletin.id, session=session)
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "bulletin_approved")
        ).one()
        assert "tự duyệt" in entry.note


def test_a_one_time_password_must_be_changed_before_anything_else(
    ctx: StationContext, app_client: TestClient, people: dict[str, int]
) -> None:
    as_person(app_client, ctx, people["admin"])
    added = app_client.post(
        "/quan-tri/nguoi-dung",
        data={"username": "lan.nguyen", "display_name": "Nguyễn Thị Lan", "roles": ["editor"]},
    )
    assert added.status_code == 200
    one_time = re.search(r"<code>([^<]+)</code>", added.text.split('id="one-time"')[1])
    assert one_time is not None
    as_person(app_client, ctx, None)
    signed = app_client.post(
        "/dang-nhap", data={"username": "Lan.Nguyen ", "password": one_time.group(1)},
        follow_redirects=False,
    )  # fmt: skip
    assert signed.headers["location"] == "/tai-khoan/mat-khau"
    app_client.headers[CSRF_HEADER] = csrf_token(app_client.cookies[COOKIE])
    held = app_client.get("/ban-tin", follow_redirects=False)
    assert held.status_code == 303 and held.headers["location"] == "/tai-khoan/mat-khau"
    assert app_client.get("/api/bulletins").status_code == 401
    weak = app_client.post(
        "/tai-khoan/mat-khau",
        data={"current": one_time.group(1), "new": "ngan", "again": "ngan"},
    )
    assert weak.status_code == 422 and "ít nhất 10 ký tự" in weak.text
    changed = app_client.post(
        "/tai-khoan/mat-khau",
        data={"current": one_time.group(1), "new": "mat-khau-cua-lan", "again": "mat-khau-cua-lan"},
        follow_redirects=False,
    )  # fmt: skip
    assert changed.status_code == 303
    app_client.headers[CSRF_HEADER] = csrf_token(app_client.cookies[COOKIE])
    assert app_client.get("/ban-tin").status_code == 200, "a new session after the change"
    with session_scope(ctx.sessions) as session:
        user = accounts.find_user(session, "lan.nguyen")
        assert user is not None and not user.must_change_password
        assert user.password_hash.startswith("$argon2id$")
        assert one_time.group(1) not in user.password_hash


def test_guessing_at_sign_in_neither_blocks_a_signed_in_confirmation_nor_outlives_a_reset(
    ctx: StationContext, people: dict[str, int]
) -> None:
    rules = ctx.settings.accounts
    now = ctx.now()
    for attempt in range(rules.sign_in_failures_per_account):
        with session_scope(ctx.sessions) as session:
            accounts.sign_in(
                session, "nguoi.operator", f"doan-{attempt}", address="10.1.1.1",
                origin=accounts.Origin.WEB, settings=rules, now=now,
            )  # fmt: skip
    with session_scope(ctx.sessions) as session:
        user = session.get(accounts.User, people["operator"])
        assert user is not None
        confirmed = accounts.confirm_password(
            session, user, PASSWORD, address="10.9.9.9", settings=rules, now=now
        )
        assert confirmed is None, "an operator signed in can still confirm an emergency"
    with session_scope(ctx.sessions) as session:
        act_as(session, Role.ADMIN)
        accounts.reset_password(session, "nguoi.operator", password="mat-khau-moi-cua-ca",
                                now=now + timedelta(seconds=1))  # fmt: skip
    with session_scope(ctx.sessions) as session:
        again = accounts.sign_in(
            session, "nguoi.operator", "mat-khau-moi-cua-ca", address="10.1.1.1",
            origin=accounts.Origin.WEB, settings=rules, now=now + timedelta(seconds=2),
        )  # fmt: skip
        assert again.user is not None, "the admin's reset lifts the account's lock"


def test_tokens_cannot_make_tokens_nor_survive_a_reset_nor_come_from_a_one_time_password(
    ctx: StationContext, app_client: TestClient, people: dict[str, int]
) -> None:
    as_person(app_client, ctx, people["reporter"])
    secret = app_client.post("/api/tokens", json={"days": 1}).json()["token"]
    too_long = app_client.post("/api/tokens", json={"days": ctx.settings.api_token_days + 1})
    assert too_long.status_code == 422
    app_client.cookies.clear()
    app_client.headers.pop(CSRF_HEADER)
    bearer = {"Authorization": f"Bearer {secret}"}
    copied = app_client.post("/api/tokens", json={"days": 1}, headers=bearer)
    assert copied.status_code == 403 and "không tạo được mã API mới" in copied.json()["detail"]
    with session_scope(ctx.sessions) as session:
        act_as(session, Role.ADMIN)
        accounts.reset_password(session, "nguoi.reporter", password=None, now=ctx.now())
    assert app_client.get("/api/me", headers=bearer).status_code == 401, "revoked by the reset"
    with session_scope(ctx.sessions) as session:
        user = accounts.get_user(session, "nguoi.reporter")  # signed in with the one-time one
        bind(session, accounts.actor_for(user, accounts.Origin.WEB, HOME_WARD, "a"))
        with pytest.raises(accounts.StateError) as refused:
            accounts.make_token(
                session, "nguoi.reporter", days=1, max_days=90, label="", now=ctx.now()
            )
        assert "mật khẩu dùng một lần" in refused.value.message


def test_nobody_signed_in_gets_only_the_small_body_limit_even_for_an_upload(
    app_client: TestClient,
) -> None:
    big = b"\0" * (2 * 1024 * 1024)
    answer = app_client.post(
        "/ban-tin/moi", files={"recording": ("a.wav", big, "audio/wav")}, follow_redirects=False
    )
    assert answer.status_code == 413
