"""Read the forms (and the same fields from the command line) with Vietnamese errors.

Also checks the operator's PIN that guards the emergency button.
"""

from __future__ import annotations

import hmac
import re
from datetime import date, datetime
from enum import Enum
from typing import TypeVar

from playlists.bulletins.models import Priority
from playlists.bulletins.workflow import priority_from_label
from playlists.core.errors import InputError

E = TypeVar("E", bound=Enum)
_DMY = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


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
            return date(year, month, day)
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        errors[field] = f"{label.capitalize()} “{value}” không hợp lệ (ví dụ 27/11/2026)."
        return None


def parse_int(value: str, field: str, errors: dict[str, str], label: str) -> int | None:
    """Read a whole number; note a Vietnamese error if it is not one."""
    try:
        return int(value.strip())
    except ValueError:
        errors[field] = f"{label.capitalize()} phải là số nguyên."
        return None


def parse_float(value: str, field: str, errors: dict[str, str], label: str) -> float | None:
    """Read a decimal number written with a point or a comma."""
    try:
        return float(value.strip().replace(",", "."))
    except ValueError:
        errors[field] = f"{label.capitalize()} phải là số."
        return None


def whole_number(value: str) -> int | None:
    """Read an optional whole number from an address ("2"), or None for anything else."""
    return int(value) if value.isascii() and value.isdigit() else None


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


# The emergency button is guarded by the operator's PIN (LOA_OPERATOR_PIN) until there are logins.
PIN_OFF = (
    "Đài chưa đặt mã PIN trực ban (LOA_OPERATOR_PIN) nên không phát khẩn cấp được từ trang web. "
    'Trên máy của đài, dùng lệnh: loa emergency --text "..."'
)
PIN_MISSING = "Cần nhập mã PIN trực ban."
PIN_WRONG = "Mã PIN trực ban không đúng."


def pin_refusal(expected: str | None, given: str) -> str | None:
    """Return why a PIN is refused (in Vietnamese), or None when it is the station's PIN."""
    if not expected:
        return PIN_OFF
    if not given:
        return PIN_MISSING
    # Constant time, on bytes: compare_digest refuses str with characters outside ASCII.
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return PIN_WRONG
    return None
