"""Wards: making one (its schema, migrated), listing them, and finding the one asked for.

A ward's code names it everywhere (LOA_WARD, `loa --phuong`, the roles its people hold); its
tables live in a PostgreSQL schema of its own, named from the code. The home ward is the
station as it was before there were several: its tables are in the default schema, and on
SQLite it is the only ward there can be.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from playlists.core.db import HOME_WARD, ensure_migrated, for_ward, quoted_name, session_scope
from playlists.core.db import make_session_factory as _sessions
from playlists.core.errors import InputError, NotFound, StateError
from playlists.core.text import one_line
from playlists.wards.models import Ward

CODE = re.compile(r"[a-z][a-z0-9-]{1,30}[a-z0-9]")
SCHEMA_PREFIX = "ward_"
MAX_NAME = 100


def code_problem(code: str) -> str | None:
    """Why a ward code cannot be used (Vietnamese), or None."""
    if not CODE.fullmatch(code):
        return (
            "Mã phường gồm 3–32 chữ cái thường không dấu, chữ số hoặc gạch ngang, bắt đầu "
            "bằng chữ cái (ví dụ: phuc-xa)."
        )
    return None


def schema_for(code: str) -> str:
    """The PostgreSQL schema of a ward's tables."""
    return SCHEMA_PREFIX + code.replace("-", "_")


def wards(session: Session) -> list[Ward]:
    """Every ward, the home ward first, then by code."""
    rows = session.scalars(select(Ward).order_by(Ward.code))
    return sorted(rows, key=lambda w: (w.code != HOME_WARD, w.code))


def find_ward(session: Session, code: str) -> Ward:
    """The ward of that code, or NotFound in Vietnamese."""
    ward = session.get(Ward, code) if CODE.fullmatch(code) or code == HOME_WARD else None
    if ward is None:
        shown = one_line(code)[:40]
        raise NotFound(f"Không có phường mã '{shown}'.", f"no ward {shown!r}")
    return ward


def ward_engine(engine: Engine, ward: Ward) -> Engine:
    """The engine working for `ward` (its schema first), sharing `engine`'s pool."""
    return for_ward(engine, ward.code, ward.schema_name or None)


def add_ward(engine: Engine, code: str, name: str, *, reserved: Collection[str] = ()) -> Ward:
    """Make a ward: its schema, migrated to the newest tables, then its row in the list.

    The schema is made and migrated in one transaction (PostgreSQL's DDL is transactional):
    a failure leaves nothing behind. Raises InputError or StateError, in Vietnamese.
    """
    ward = prepare_ward(engine, code, name, reserved=reserved)
    with session_scope(_sessions(engine)) as session:
        session.add(ward)
    return ward


def prepare_ward(engine: Engine, code: str, name: str, *, reserved: Collection[str] = ()) -> Ward:
    """Check a new ward and make its schema, migrated; return its row, not yet in the list.

    A ward in the list is served at once (its plans made by the city's server): one being
    filled (`loa ward import`) is listed in the transaction that fills it.
    """
    name = " ".join(one_line(name).split())
    errors = {}
    if problem := code_problem(code):
        errors["code"] = problem
    elif code in reserved:  # the home ward's topic code on the broker, say
        errors["code"] = f"Mã '{code}' đã dùng cho phường gốc (LOA_STATION_CODE); hãy chọn mã khác."
    if not name:
        errors["name"] = "Cần nhập tên phường."
    elif len(name) > MAX_NAME:
        errors["name"] = f"Tên phường dài quá {MAX_NAME} ký tự."
    if errors:
        raise InputError(errors)
    if engine.dialect.name != "postgresql":
        raise StateError(
            "Nhiều phường trên một hệ thống cần cơ sở dữ liệu PostgreSQL (LOA_DATABASE_URL); "
            "SQLite chỉ chứa một phường.",
            "wards need PostgreSQL",
        )
    sessions = _sessions(engine)
    with session_scope(sessions) as session:
        if session.get(Ward, code) is not None:
            raise StateError(f"Đã có phường mã '{code}'.", f"ward {code!r} exists")
    ward = Ward(code=code, name=name, schema_name=schema_for(code))
    ensure_migrated(ward_engine(engine, ward))
    return ward


def drop_new_ward(engine: Engine, ward: Ward) -> None:
    """Undo `add_ward` for a ward that never came into use (a move into it that failed)."""
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {quoted_name(ward.schema_name)} CASCADE")
        connection.execute(delete(Ward).where(Ward.code == ward.code))


def people_count(session: Session, code: str) -> int:
    """How many people hold a role at ward `code`."""
    from playlists.accounts.models import UserRole

    return (
        session.scalar(
            select(func.count(func.distinct(UserRole.user_id))).where(UserRole.station == code)
        )
        or 0
    )
