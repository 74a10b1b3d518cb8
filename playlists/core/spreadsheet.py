"""CSV that Excel opens in Vietnamese, with no cell it would run as a formula.

Every export a person opens in a spreadsheet (the as-run log, the audit trail) is written here,
so the encoding and the protection against formulas are the same in all of them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
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


def excel_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """Return the header and the rows as CSV in UTF-8 with a BOM, every cell made safe.

    The BOM makes Excel read UTF-8 (Vietnamese marks) instead of the machine's code page;
    the header comes first so scripts read the file too.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
