"""CSV that Excel opens in Vietnamese, with no cell it would run as a formula.

Every export a person opens in a spreadsheet (the as-run log, the audit trail) is written here,
so the encoding and the protection against formulas are the same in all of them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import IO
from zoneinfo import ZoneInfo

# A cell beginning with one of these is read by Excel and LibreOffice as a formula: a bulletin
# titled "=HYPERLINK(…)" or a username typed as "@SUM(…)" at sign-in would run on the
# reporter's machine (CSV injection). OWASP's list; such a text is shown, not run.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Return a cell as Excel must read it: a text that would start a formula starts with '.

    Numbers are left alone: they are the writer's own values, and -5 is a number, not a formula.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def local_stamp(value: datetime | None, tz: ZoneInfo) -> str:
    """Format an instant in the station's time zone as Excel reads a date and time."""
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def write_excel_csv(
    out: IO[bytes], header: Sequence[str], rows: Iterable[Sequence[object]]
) -> None:
    """Write the header and the rows as CSV in UTF-8 with a BOM, every cell made safe.

    The BOM makes Excel read UTF-8 (Vietnamese marks) instead of the machine's code page;
    the header comes first so scripts read the file too. Rows are written as they come, so a
    long export never sits in memory.
    """
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    try:
        text.write("\ufeff")
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows([safe_cell(value) for value in row] for row in rows)
        text.flush()
    finally:
        text.detach()  # the caller's file stays open


def excel_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """Return the header and the rows as CSV for Excel (`write_excel_csv`), as bytes."""
    buffer = io.BytesIO()
    write_excel_csv(buffer, header, rows)
    return buffer.getvalue()
