"""Read the forms (and the same fields from the command line) with Vietnamese errors.

Also checks the operator's PIN that guards the emergency button.
"""

from __future__ import annotations

import hmac
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import BinaryIO, TypeVar

from sqlalchemy.orm import Session

from audio.errors import AudioError
from audio.speech import Rendered
from playlists.errors import InputError
from playlists.models import Priority
from playlists.service import master_upload, priority_from_label
from playlists.speech import mastering_spec
from web.context import StationContext

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


@contextmanager
def spooled_upload(ctx: StationContext, stream: BinaryIO, filename: str) -> Iterator[Path]:
    """Copy an upload to a temporary file (refusing it past the size limit) for the block."""
    limit = ctx.settings.max_upload_mb * 1024 * 1024
    suffix = Path(filename).suffix.lower()[:8]
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        copied = 0
        while chunk := stream.read(1024 * 1024):
            copied += len(chunk)
            if copied > limit:
                raise InputError(
                    {"recording": f"Tệp ghi âm lớn quá {ctx.settings.max_upload_mb} MB."}
                )
            tmp.write(chunk)
        tmp.flush()
        if copied == 0:
            raise InputError({"recording": "Tệp ghi âm trống."})
        yield Path(tmp.name)


def receive_recording(
    ctx: StationContext, stream: BinaryIO, filename: str, *, session: Session
) -> Rendered:
    """Save an uploaded recording to a temporary file, then check and master it."""
    with spooled_upload(ctx, stream, filename) as path:
        try:
            return master_upload(
                path,
                filename,
                session=session,
                media_dir=ctx.settings.media_dir,
                uploads_dir=ctx.settings.uploads_dir,
                spec=mastering_spec(ctx.settings),
            )
        except AudioError as exc:
            raise InputError({"recording": exc.user_message}) from exc


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
