"""Many wards on one PostgreSQL database: each ward's people see and change only their ward.

Two wards are made on a real PostgreSQL server, each with its people, a zone, a bulletin
waiting for approval and an as-run log. Ward A's people then try, through the pages, the
JSON API and the command line, to read and change ward B's things; every attempt finds
nothing or is refused, and ward B's rows are checked unchanged afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from playlists.accounts import service as accounts
from playlists.asrun import ledger
from playlists.asrun.models import AirLog, AirSource, AirStatus
from playlists.bulletins.models import Bulletin, BulletinStatus, Topic
from playlists.core.db import session_scope
from playlists.core.errors import InputError, StateError
from playlists.wards.service import add_ward
from scheduler.lock import StationBusy, StationLock
from tests.conftest import add_zone_and_slot
from tests.people import PASSWORD, act_as, add_person
from tests.web.conftest import sign_in
from tests.web.test_cli import run
from web.app import create_app
from web.context import StationContext

pytestmark = pytest.mark.databases("postgresql")

AT = datetime(2026, 12, 3, 22, 30, tzinfo=UTC)
SECRET_TITLE = "Tin nội bộ của phường B"


@dataclass
class City:
    ctx: StationContext  # the home ward's, as `loa serve` builds it
    a: StationContext
    b: StationContext
    b_bulletin: int
    a_token: str


def _fill(ward: StationContext, letter: str, title: str) -> int:
    """People (admin, editor, approver), a zone, a pending bulletin and an as-run row."""
    from playlists.accounts.roles import Role

    with session_scope(ward.sessions) as session:
        for role in (Role.ADMIN, Role.EDITOR, Role.APPROVER):
            add_person(session, f"{role.value}.{letter}", role)
        zone, _slot = add_zone_and_slot(session, zone=f"Chợ {letter.upper()}")
        act_as(session, Role.EDITOR)
        topic = session.scalars(select(Topic).where(Topic.code == 8)).one()
        bulletin = Bulletin(
            title=title, text="Nội dung chỉ phường này được đọc.", topic=topic,
            first_day=date(2026, 12, 1), last_day=date(2026, 12, 31), zones=[zone],
            status=BulletinStatus.PENDING, author=f"editor.{letter}",
        )  # fmt: skip
        if letter == "b":  # B's secret bulletin gets a number ward A has none of
            session.add(Bulletin(title="Tin đầu tiên của phường B", text="Tin.", topic=topic,
                                 first_day=date(2026, 12, 1), last_day=date(2026, 12, 1),
                                 zones=[zone], status=BulletinStatus.DRAFT))  # fmt: skip
            session.flush()
        session.add(bulletin)
        ledger.append(
            session, zone_id=zone.id, zone_name=zone.name, output="file", slot_name="Sáng",
            bulletin_title=title, status=AirStatus.PLAYED, source=AirSource.SCHEDULE,
            actual_start=AT, actual_end=AT + timedelta(seconds=40),
            # Ward A's play is of the plan's topic 8; ward B's of no topic.
            topic_name=topic.name if letter == "a" else "",
        )  # fmt: skip
        session.flush()
        return bulletin.id


@pytest.fixture
def city(ctx: StationContext) -> Iterator[City]:
    from playlists.accounts.roles import Role

    add_ward(ctx.root_engine, "phuong-a", "Phường A")
    add_ward(ctx.root_engine, "phuong-b", "Phường B")
    a, b = ctx.for_ward("phuong-a"), ctx.for_ward("phuong-b")
    _fill(a, "a", "Tin của phường A")
    b_bulletin = _fill(b, "b", SECRET_TITLE)
    with session_scope(a.sessions) as session:
        act_as(session, *Role)
        _token, a_token = accounts.make_token(
            session, "admin.a", days=1, max_days=1, label="thử", now=AT + timedelta(days=1)
        )
    yield City(ctx, a, b, b_bulletin, a_token)


def _b_untouched(city: City) -> None:
    with session_scope(city.b.sessions) as session:
        bulletin = session.get(Bulletin, city.b_bulletin)
        assert bulletin is not None and bulletin.status is BulletinStatus.PENDING
        assert bulletin.title == SECRET_TITLE
        assert {u.username for u in accounts.list_users(session)} == {
            "admin.b", "editor.b", "approver.b"
        }  # fmt: skip
        assert ledger.AIRLOG.verify(session.connection()).last_seq == 1


def test_a_wards_people_reach_nothing_of_another_ward_through_the_pages(city: City) -> None:
    with TestClient(create_app(city.ctx, run_scheduler=False)) as client:
        sign_in(client, "admin.a")
        for path in ("/ban-tin", "/nhat-ky", "/quan-tri/nguoi-dung", "/khung-gio", "/"):
            page = client.get(path)
            assert page.status_code == 200, path
            assert SECRET_TITLE not in page.text and "Chợ B" not in page.text, path
            assert "approver.b" not in page.text, path
        assert "Chợ A" in client.get("/khung-gio").text
        # B's bulletin by its id: ward A has no bulletin of that number.
        assert client.get(f"/ban-tin/{city.b_bulletin}").status_code == 404
        assert client.post(f"/ban-tin/{city.b_bulletin}/duyet").status_code in (403, 404)
        # Ward A's admin cannot reach ward B's people.
        for change in ("dat-lai-mat-khau", "khoa"):
            refused = client.post(f"/quan-tri/nguoi-dung/editor.b/{change}")
            assert "Không có người dùng &#39;editor.b&#39;" in refused.text, change
        # Nor choose to work for ward B.
        chosen = client.post("/phuong", data={"phuong": "phuong-b"})
        assert chosen.status_code == 404 and "Bạn không làm việc ở phường" in chosen.text
        assert SECRET_TITLE not in client.get("/ban-tin").text
    _b_untouched(city)
    with session_scope(city.b.sessions) as session:
        editor_b = accounts.get_user(session, "editor.b")
        assert not editor_b.disabled and not editor_b.must_change_password


def test_a_sign_in_at_the_citys_address_is_in_the_trail_of_the_ward_it_works_for(
    city: City,
) -> None:
    from playlists.audit.service import history

    with TestClient(create_app(city.ctx, run_scheduler=False)) as client:
        sign_in(client, "editor.a")  # on the home ward's page: the city's plain address
        assert "Tin của phường A" in client.get("/ban-tin").text  # working for ward A
    with session_scope(city.a.sessions) as session:
        (noted,) = [e for e in history(session, "user", "editor.a") if e.action == "sign_in"]
        assert noted.summary.startswith("editor.a đăng nhập (tại trang của ")
        assert noted.username == "editor.a"
    with session_scope(city.b.sessions) as session:  # nor in another ward's
        assert not [e for e in history(session, "user", "editor.a") if e.action == "sign_in"]


def test_a_wards_token_reaches_nothing_of_another_ward_through_the_api(city: City) -> None:
    with TestClient(create_app(city.ctx, run_scheduler=False)) as client:
        client.headers["Authorization"] = f"Bearer {city.a_token}"
        listed = client.get("/api/bulletins")
        assert listed.status_code == 200
        assert [b["title"] for b in listed.json()] == ["Tin của phường A"]
        assert client.get(f"/api/bulletins/{city.b_bulletin}").status_code == 404
        log = client.get("/api/airlog", params={"from": "2026-12-01", "to": "2026-12-31"}).json()
        assert SECRET_TITLE not in str(log) and "Tin của phường A" in str(log)
        assert client.post("/phuong", data={"phuong": "phuong-b"}).status_code in (403, 404, 409)
        approved = client.post(f"/api/bulletins/{city.b_bulletin}/approve")
        assert approved.status_code in (403, 404, 409)
    _b_untouched(city)


def test_a_wards_people_reach_nothing_of_another_ward_through_the_command_line(
    city: City,
) -> None:
    env = {"LOA_DATABASE_URL": city.ctx.settings.db_url}
    data = city.ctx.settings.data_dir
    listed = run(data, "--phuong", "phuong-a", "bulletin", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "Tin của phường A" in listed.stdout and SECRET_TITLE not in listed.stdout
    # Ward A's approver, naming ward B: they hold no role there.
    refused = run(data, "--phuong", "phuong-b", "bulletin", "approve", str(city.b_bulletin),
                  "--by", "approver.a", env=env)  # fmt: skip
    assert refused.returncode == 2 and "approver.a" in refused.stderr
    users = run(data, "--phuong", "phuong-a", "user", "list", env=env)
    assert "editor.b" not in users.stdout and "editor.a" in users.stdout
    reset = run(data, "--phuong", "phuong-a", "user", "passwd", "editor.b",
                "--by", "admin.a", env=env)  # fmt: skip
    assert reset.returncode == 2 and "Không có người dùng 'editor.b'" in reset.stderr
    # A city's database is not copied as one station (the other wards would be lost).
    copy = run(data, "db", "copy", "--to", f"sqlite:///{data / 'copy.db'}", env=env)
    assert copy.returncode == 2 and "nhiều phường" in copy.stderr
    taken = run(data, "ward", "add", "phuong", "--name", "Trùng mã chủ đề", env=env)
    assert taken.returncode == 2 and "LOA_STATION_CODE" in taken.stderr
    unknown = run(data, "--phuong", "phuong-z", "bulletin", "list", env=env)
    assert unknown.returncode == 2 and "Không có phường mã 'phuong-z'" in unknown.stderr
    _b_untouched(city)


def test_a_person_at_two_wards_switches_and_each_ward_keeps_its_own_chain_and_lock(
    city: City,
) -> None:
    from playlists.accounts.roles import Role

    with session_scope(city.b.sessions) as session:  # ward B takes on A's approver
        act_as(session, Role.ADMIN)
        accounts.set_roles(session, "approver.a", {Role.APPROVER}, now=AT)
    with session_scope(city.a.sessions) as session:  # still A's approver
        assert accounts.get_user(session, "approver.a").roles("phuong-a") == {Role.APPROVER}
    with TestClient(create_app(city.ctx, run_scheduler=False)) as client:
        sign_in(client, "approver.a", PASSWORD)
        assert SECRET_TITLE not in client.get("/ban-tin").text
        page = client.get("/phuong")
        assert "Phường A" in page.text and "Phường B" in page.text
        chosen = client.post("/phuong", data={"phuong": "phuong-b"}, follow_redirects=False)
        assert chosen.status_code == 303
        assert SECRET_TITLE in client.get("/ban-tin").text
        assert "Tin của phường A" not in client.get("/ban-tin").text
    # A ward's admin may not reset the password of someone who works at another ward too.
    with session_scope(city.a.sessions) as session:
        act_as(session, Role.ADMIN)
        with pytest.raises(StateError) as refused:
            accounts.reset_password(session, "approver.a", password=None, now=AT)
        assert "còn làm việc ở phường khác" in refused.value.message
    with session_scope(city.ctx.sessions) as session:  # the platform's admins may
        act_as(session, Role.ADMIN)
        assert accounts.reset_password(session, "approver.a", password=None, now=AT)
    with session_scope(city.b.sessions) as session:  # no role left: off ward B, still A's
        act_as(session, Role.ADMIN)
        user = accounts.set_roles(session, "approver.a", set(), now=AT)
        assert user.wards() == ["phuong-a"]
        with pytest.raises(InputError):  # B's own editor would be left with no ward at all
            accounts.set_roles(session, "editor.b", set(), now=AT)
    # Each ward's scheduler lock is its own: both held at once, a second one refused.
    locks = [StationLock(w.engine, w.settings.data_dir) for w in (city.a, city.b)]
    for lock in locks:
        lock.acquire()
    try:
        with pytest.raises(StationBusy):
            StationLock(city.a.engine, city.a.settings.data_dir).acquire()
    finally:
        for lock in locks:
            lock.release()


def test_each_wards_chain_has_its_own_append_lock(city: City) -> None:
    """Appending to a chain takes a lock until commit, so that two writers never read the
    same last row: per ward, since each ward's chain is its own. A ward appending while
    another ward's transaction holds its lock goes on; a second writer at the same ward waits
    (here: gives up, its lock timeout short)."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    def append(session: Session, title: str) -> None:
        ledger.append(
            session, zone_id=None, zone_name="Chợ", output="file", slot_name="Sáng",
            bulletin_title=title, status=AirStatus.PLAYED, source=AirSource.SCHEDULE,
            actual_start=AT, actual_end=AT + timedelta(seconds=40),
        )  # fmt: skip

    with session_scope(city.a.sessions) as holding:
        append(holding, "A giữ khóa")  # ward A's as-run lock, held until this block ends
        with session_scope(city.b.sessions) as other:
            other.execute(text("SET LOCAL lock_timeout = '10s'"))  # fails, not hangs
            append(other, "B không phải chờ")
        with pytest.raises(OperationalError), session_scope(city.a.sessions) as same:
            same.execute(text("SET LOCAL lock_timeout = '300ms'"))
            append(same, "A thứ hai phải chờ")
    for ward in (city.a, city.b):
        with session_scope(ward.sessions) as session:
            assert ledger.AIRLOG.verify(session.connection()).last_seq == 2


def test_the_city_reporter_sees_every_ward_side_by_side_and_ward_staff_do_not(
    city: City,
) -> None:
    from playlists.accounts.roles import Role

    with session_scope(city.ctx.sessions) as session:
        add_person(session, "baocao.tp", Role.CITY_REPORTER)
    # Only the home ward's admins grant the city's roles.
    with session_scope(city.a.sessions) as session:
        act_as(session, Role.ADMIN)
        with pytest.raises(InputError) as refused:
            accounts.set_roles(session, "editor.a", {Role.CITY_REPORTER}, now=AT)
        assert "phường gốc" in refused.value.errors["roles"]
        assert Role.CITY_REPORTER not in accounts.grantable_roles(session)
    with session_scope(city.ctx.sessions) as session:  # the home ward's admins give it
        act_as(session, Role.ADMIN)
        accounts.set_roles(session, "editor.a", {Role.CITY_REPORTER}, now=AT)
    with session_scope(city.a.sessions) as session:
        # Ward A's admin changes editor.a's roles at A; the city's role stays as it was.
        act_as(session, Role.ADMIN)
        user = accounts.set_roles(session, "editor.a", {Role.APPROVER}, now=AT)
        assert user.roles("phuong-a") == {Role.APPROVER, Role.CITY_REPORTER}
        assert user.roles("phuong-b") == {Role.CITY_REPORTER}
    period = {"tu": "2026-12-01", "den": "2026-12-31"}
    with TestClient(create_app(city.ctx, run_scheduler=False)) as client:
        sign_in(client, "admin.a")
        assert client.get("/thanh-pho", params=period).status_code == 403
        assert client.get("/api/city/summary").status_code == 403
        sign_in(client, "baocao.tp")
        page = client.get("/thanh-pho", params=period)
        assert page.status_code == 200
        assert "Phường A" in page.text and "Phường B" in page.text
        answer = client.get("/api/city/summary", params={"from": "2026-12-01", "to": "2026-12-31"})
        figures = {w["code"]: w for w in answer.json()["wards"]}
        assert figures["phuong-a"]["plays"] == figures["phuong-b"]["plays"] == 1
        assert figures["phuong-a"]["minutes"] == figures["phuong-b"]["minutes"] == 0.7
        # Ward A aired topic 8 of the plan; ward B left it uncovered (and every other).
        topic8 = next(t["name"] for t in answer.json()["topics"] if t["code"] == 8)
        assert topic8 not in figures["phuong-a"]["uncovered"]
        assert topic8 in figures["phuong-b"]["uncovered"]
        assert figures["phuong-a"]["by_topic"]["8"]["plays"] == 1
        # The city's reporter may choose any ward, and read its own report there.
        assert client.post("/phuong", data={"phuong": "phuong-b"}).status_code == 200
        assert SECRET_TITLE in client.get("/ban-tin").text
        assert client.post(f"/ban-tin/{city.b_bulletin}/duyet").status_code == 403
    cli = run(city.ctx.settings.data_dir, "city", "report", "--from", "2026-12-01",
              "--to", "2026-12-31", env={"LOA_DATABASE_URL": city.ctx.settings.db_url})  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    assert "Phường A (phuong-a): 1 lượt, 0.7 phút" in cli.stdout
    assert "Phường B (phuong-b): 1 lượt" in cli.stdout


def test_the_city_operators_emergency_airs_at_each_ward_chosen_and_each_log_records_it(
    city: City,
) -> None:
    from playlists.accounts.roles import Role
    from playlists.emergencies.models import Emergency

    with session_scope(city.ctx.sessions) as session:
        add_person(session, "dieuhanh.tp", Role.CITY_OPERATOR)
    # Each ward's station, as `LOA_WARD=… loa serve` runs it (here in this process).
    stations = [
        StationContext.create(city.ctx.city_settings.model_copy(update={"ward": code}))
        for code in ("phuong-a", "phuong-b")
    ]
    for station in stations:
        station.start()
    try:
        with TestClient(create_app(city.ctx, run_scheduler=False)) as client:
            sign_in(client, "admin.a")  # a ward's admin is not the city's operator
            body = {"text": "Thử báo động.", "all_wards": True, "password": PASSWORD}
            assert client.post("/api/city/emergencies", json=body).status_code == 403
            sign_in(client, "dieuhanh.tp")
            wrong = client.post("/api/city/emergencies", json=body | {"password": "sai"})
            assert wrong.status_code == 403
            sent = client.post("/api/city/emergencies", json=body)
            assert sent.status_code == 200, sent.text
            answers = {s["ward"]: s for s in sent.json()}
            assert answers["phuong-a"]["emergency_id"] == answers["phuong-b"]["emergency_id"] == 1
            # The home ward has no zone: it says so, and the others still went out.
            assert answers["local"]["emergency_id"] is None
            assert "chưa có cụm loa" in answers["local"]["refusal"]
        for station in stations:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                with session_scope(station.sessions) as session:
                    rows = session.scalars(
                        select(AirLog).where(AirLog.source == AirSource.EMERGENCY)
                    ).all()
                if rows:
                    break
                time.sleep(0.5)
            assert rows, f"no emergency aired at {station.ward_code}"
            with session_scope(station.sessions) as session:
                (emergency,) = session.scalars(select(Emergency)).all()
                assert emergency.requested_by == "Thử dieuhanh.tp"
                assert ledger.AIRLOG.verify(session).ok
    finally:
        for station in stations:
            station.stop()


def test_a_ward_reads_with_the_citys_lexicon_under_its_own(city: City) -> None:
    from playlists.audit.service import history
    from playlists.lexicon.models import LexiconEntry
    from playlists.lexicon.service import effective_lexicon

    with session_scope(city.ctx.sessions) as session:  # the home ward's rows: the city's
        session.add(LexiconEntry(written="TDP", spoken="tổ dân phố", updated_by="tp"))
        session.add(LexiconEntry(written="KP", spoken="khu phố", updated_by="tp"))
    with session_scope(city.a.sessions) as session:
        session.add(LexiconEntry(written="KP", spoken="khối phố", updated_by="a"))
    with session_scope(city.a.sessions) as session:
        a_reads = effective_lexicon(session=session)
    with session_scope(city.b.sessions) as session:
        b_reads = effective_lexicon(session=session)
    assert a_reads["TDP"] == b_reads["TDP"] == "tổ dân phố"
    assert (a_reads["KP"], b_reads["KP"]) == ("khối phố", "khu phố")
    with session_scope(city.ctx.sessions) as session:  # a ward's change stays the ward's
        assert effective_lexicon(session=session)["KP"] == "khu phố"
    # Ward A's page shows what it reads and where from: the city's readings included.
    with TestClient(create_app(city.ctx, run_scheduler=False)) as client:
        sign_in(client, "approver.a")
        listed = {r["written"]: r for r in client.get("/api/lexicon").json()}
        assert (listed["TDP"]["spoken"], listed["TDP"]["source"]) == ("tổ dân phố", "Thành phố")
        assert (listed["KP"]["spoken"], listed["KP"]["source"]) == ("khối phố", "Đài sửa")
        assert listed["KP"]["city"] == "khu phố"
        page = client.get("/tu-dien").text
        assert "(thành phố: khu phố)" in page and "Về cách đọc của thành phố" in page
        # Ward A drops its own reading: it reads the city's again, and its trail says so.
        back = client.delete("/api/lexicon/KP")
        assert back.status_code == 200, back.text
        assert (back.json()["spoken"], back.json()["source"]) == ("khu phố", "Thành phố")
    with session_scope(city.a.sessions) as session:
        assert effective_lexicon(session=session)["KP"] == "khu phố"
        trail = history(session, "lexicon", "KP")
        assert trail[-1].summary == "Đưa cách đọc “KP” về cách đọc của thành phố: “khu phố”"
