"""Moving a single-ward station's database into a ward of a city's.

A station that ran alone (SQLite or PostgreSQL, any release with migrations) becomes one ward
of the city's PostgreSQL database: its zones, slots, bulletins, plans, as-run log and audit
trail go into the ward's own schema with their ids; its people join the city's with new ids
(the city already has people) and keep their roles, now held at the ward; its API tokens keep
working (players and scripts need no new token); its sign-in sessions stay behind (people sign
in again at the city's address). Everything happens in one transaction, with both hash chains
verified against the source's before it commits, or nothing happens at all.

The audit trail keeps the user ids it was written with: it is evidence, and its hashes cover
them; it names each person by username too, which is what it shows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Table, insert, inspect, select

from playlists.accounts.models import ApiToken, SignInFailure, User, UserRole, WebSession
from playlists.accounts.service import username_problem
from playlists.copying import CopyReport, copy_rows, verify_chains
from playlists.core.db import ensure_migrated
from playlists.core.errors import StateError
from playlists.tables import METADATA
from playlists.wards.models import Ward
from playlists.wards.service import drop_new_ward, prepare_ward, ward_engine

# The city's tables: not copied as rows of the ward (people are merged, the rest stays).
CITY_TABLES = frozenset(
    model.__tablename__ for model in (User, UserRole, WebSession, ApiToken, SignInFailure, Ward)
)
# Columns of a ward's tables that name a person: their ids change on the way in.
PERSON_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "bulletins": ("author_id", "approver_id"),
    "report_closures": ("closed_by_id",),
}

Progress = Callable[[str, int], None]


@dataclass
class MoveReport(CopyReport):
    """A copy's report, and the people whose usernames had to change (old name, new)."""

    renamed: list[tuple[str, str]] = field(default_factory=list)


def move_into_ward(
    source: Engine,
    city: Engine,
    *,
    code: str,
    name: str,
    suffix: str = "",
    reserved: Collection[str] = (),
    progress: Progress | None = None,
) -> MoveReport:
    """Make ward `code` of the city at `city` from the station at `source`.

    The source is first brought to this release's schema (as any start of the station would).
    A username the city already has is refused, with nothing made, unless `suffix` is given:
    then that person's username gets the suffix (e.g. "quantri" becomes "quantri.phucxa").
    """
    ensure_migrated(source)
    ensure_migrated(city)
    users = METADATA.tables[User.__tablename__]
    with source.connect() as reading:
        names = list(reading.scalars(select(users.c.username)))
    with city.connect() as connection:
        taken = sorted(
            connection.scalars(select(users.c.username).where(users.c.username.in_(names)))
        )
    renames = _renames(city, taken, suffix)
    if taken and not renames:
        raise StateError(
            "Thành phố đã có người dùng trùng tên đăng nhập với đài này: "
            f"{', '.join(taken)}. Hãy chuyển lại với --suffix (ví dụ --suffix .{code}) để "
            "thêm hậu tố vào các tên này, hoặc đổi tên ở đài cũ.",
            f"usernames already in the city: {taken}",
        )
    ward = prepare_ward(city, code, name, reserved=reserved)
    try:
        with source.connect() as reading, ward_engine(city, ward).begin() as writing:
            # Listed with its rows: a city's server never serves it half filled.
            writing.execute(insert(Ward).values(
                code=ward.code, name=ward.name, schema_name=ward.schema_name,
            ))  # fmt: skip
            report = MoveReport(renamed=sorted(renames.items()))
            people = _move_people(reading, writing, ward.code, renames, report)
            _move_rows(reading, writing, people, report, progress)
            verify_chains(reading, writing, report)
    except BaseException:
        drop_new_ward(city, ward)
        raise
    return report


def _renames(city: Engine, taken: list[str], suffix: str) -> dict[str, str]:
    """New usernames for those the city already has; empty without a suffix."""
    if not (taken and suffix):
        return {}
    renames = {old: old + suffix.lower() for old in taken}
    users = METADATA.tables[User.__tablename__]
    with city.connect() as connection:
        clash = sorted(
            connection.scalars(
                select(users.c.username).where(users.c.username.in_(renames.values()))
            )
        )
    bad = [new for new in renames.values() if username_problem(new)]
    if clash or bad:
        raise StateError(
            f"Hậu tố {suffix!r} không dùng được: tên "
            f"{', '.join(clash or bad)} {'đã có' if clash else 'không hợp lệ'}.",
            f"suffix {suffix!r} gives taken or invalid usernames",
        )
    return renames


def _move_people(
    reading: Connection,
    writing: Connection,
    ward: str,
    renames: dict[str, str],
    report: CopyReport,
) -> dict[int, int]:
    """Add the source's people to the city's; return their new ids by their old."""
    users = METADATA.tables[User.__tablename__]
    people: dict[int, int] = {}
    for row in reading.execute(select(users).order_by(users.c.id)).mappings():
        values = {key: value for key, value in row.items() if key != "id"}
        values["username"] = renames.get(values["username"], values["username"])
        people[row["id"]] = writing.execute(
            insert(users).values(values).returning(users.c.id)
        ).scalar_one()
    report.rows[users.name] = len(people)
    for model, changes in ((UserRole, {"station": ward}), (ApiToken, {"ward": ward})):
        table = METADATA.tables[model.__tablename__]
        rows = [
            {
                **{k: v for k, v in row.items() if k != "id"},
                "user_id": people[row["user_id"]],
                **changes,
            }
            for row in reading.execute(select(table).order_by(table.c.id)).mappings()
        ]
        if rows:
            writing.execute(insert(table), rows)
        report.rows[table.name] = len(rows)
    return people


def _move_rows(
    reading: Connection,
    writing: Connection,
    people: dict[int, int],
    report: CopyReport,
    progress: Progress | None,
) -> None:
    """Copy every row of the ward's tables, with its id; persons' ids follow `people`."""
    present = set(inspect(reading).get_table_names())
    tables: list[Table] = [
        t for t in METADATA.sorted_tables if t.name not in CITY_TABLES and t.name in present
    ]
    copy_rows(
        reading, writing, tables, report, progress=progress,
        change=lambda table, row: _with_people(table, row, people),
    )  # fmt: skip


def _with_people(table: str, row: dict[str, Any], people: dict[int, int]) -> dict[str, Any]:
    for column in PERSON_COLUMNS.get(table, ()):
        if row.get(column) is not None:
            row[column] = people.get(row[column])  # one who is gone: no one
    return row
