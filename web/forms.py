"""Read the forms (and the same fields from the command line) with Vietnamese errors.

Also checks the operator's PIN that guards the emergency button.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from enum import Enum
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from playlists.bulletins.models import Priority
from playlists.bulletins.workflow import priority_from_label
from playlists.core.bounds import MAX_ID, day_problem
from playlists.core.errors import InputError

E = TypeVar("E", bound=Enum)
M = TypeVar("M", bound=BaseModel)
# ASCII digits only: \d and int() also take "٣" or "²", which nobody types in a form on purpose.
_DMY = re.compile(r"^\s*([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})\s*$")
_ISO = re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$")
_WHOLE = re.compile(r"^[+-]?[0-9]{1,20}$")


def parse_day(value: str, field: str, errors: dict[str, str], label: str) -> date | None:
    """Read a date written YYYY-MM-DD or DD/MM/YYYY; note a Vietnamese error if it is neither."""
    value = value.strip()
    if not value:
        errors[field] = f"Cần nhập {label}."
        return None
    try:
        match = _DMY.match(value)
        if match:
            day, month, year = (int(part) for part in match.groups())
            found = date(year, month, day)
        elif _ISO.match(value):
            found = datetime.strptime(value, "%Y-%m-%d").date()
        else:
            raise ValueError(value)
    except ValueError:
        errors[field] = f"{label.capitalize()} “{value}” không hợp lệ (ví dụ 27/11/2026)."
        return None
    problem = day_problem(found, label)
    if problem:
        errors[field] = problem
        return None
    return found


def day_window(
    first: str, last: str, errors: dict[str, str], *, today: date, days: int
) -> tuple[date, date]:
    """Read a page's "từ"/"đến" days; each left empty (or wrong) falls back to the last
    `days` days up to today. What is wrong is noted in `errors` under "tu" and "den"."""
    start = parse_day(first, "tu", errors, "ngày bắt đầu") if first else None
    end = parse_day(last, "den", errors, "ngày kết thúc") if last else None
    return start or today - timedelta(days=days - 1), end or today


def parse_int(value: str, field: str, errors: dict[str, str], label: str) -> int | None:
    """Read a whole number written in digits 0-9; note a Vietnamese error if it is not one."""
    value = value.strip()
    if not _WHOLE.match(value):
        errors[field] = f"{label.capitalize()} phải là số nguyên, viết bằng chữ số 0-9."
        return None
    number = int(value)
    if abs(number) > MAX_ID:
        errors[field] = f"{label.capitalize()} lớn quá."
        return None
    return number


def parse_float(value: str, field: str, errors: dict[str, str], label: str) -> float | None:
    """Read a decimal number written with a point or a comma."""
    try:
        return float(value.strip().replace(",", "."))
    except ValueError:
        errors[field] = f"{label.capitalize()} phải là số."
        return None


def whole_number(value: str) -> int | None:
    """Read an optional whole number from an address ("2"), or None for anything else.

    Digits 0-9 only ("²" and "٣" are digits to Python), and no larger than an id can be.
    """
    if not (value.isascii() and value.isdigit()) or len(value) > 10:
        return None
    number = int(value)
    return number if number <= MAX_ID else None


def read_model(cls: type[M], errors: dict[str, str], **values: object) -> M | None:
    """Build a schema from a form's values, or None after noting each refused field.

    The form's own checks come first; this catches what only the schema bounds (an id past
    what the database holds, a zone number nobody has).
    """
    try:
        return cls.model_validate(values)
    except ValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "form"
            errors.setdefault(field, "Giá trị không hợp lệ.")
        return None


def enum_or_none(cls: type[E], value: str) -> E | None:
    """Return the member with this value, or None for an empty or unknown filter value."""
    try:
        return cls(value)
    except ValueError:
        return None


def parse_priority(value: str, errors: dict[str, str]) -> Priority:
    """Read a priority by code or Vietnamese name."""
    try:
        return priority_from_label(value)
    except InputError as exc:
        errors.update(exc.errors)
        return Priority.NORMAL
