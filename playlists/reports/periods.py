"""Reporting periods and the windows of days they cover (pure: no database, no clock).

A period is what staff ask for (`2026-03`, `2026-Q1`, `2026-H1`, `2026-9M`, `2026`, or two
days); a window is the local days it covers under a rule. The rules are data, `RULES`, each
with its legal basis, so a province that reports otherwise adds a row, not a branch.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date, timedelta

from playlists.core.errors import InputError, range_problem

# A custom window longer than this is refused: the report is for a year at most, with margin.
MAX_CUSTOM_DAYS = 800
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


class WindowRule(enum.StrEnum):
    """How a period's months become days."""

    DECREE = "decree"
    CALENDAR = "calendar"
    DAYS = "days"  # a custom window: the days chosen are the window, whatever the rule

    @property
    def info(self) -> RuleInfo:
        return RULES[self]


@dataclass(frozen=True)
class RuleInfo:
    """One window rule: a month M runs from `opens_day` of month M − `months_back`."""

    label: str
    basis: str
    opens_day: int
    months_back: int


RULES: dict[WindowRule, RuleInfo] = {
    WindowRule.DECREE: RuleInfo(
        label="Kỳ báo cáo theo quy định (từ ngày 15 tháng trước đến ngày 14)",
        basis=(
            "Nghị định 09/2019/NĐ-CP về chế độ báo cáo của cơ quan hành chính nhà nước, "
            "Điều 12; hướng dẫn của Bộ Nội vụ về báo cáo cải cách hành chính định kỳ"
        ),
        opens_day=15,
        months_back=1,
    ),
    WindowRule.CALENDAR: RuleInfo(
        label="Theo tháng dương lịch (từ ngày 1 đến cuối tháng)",
        basis="Quy định của địa phương hoặc của đài: kỳ báo cáo theo tháng, quý, năm dương lịch",
        opens_day=1,
        months_back=0,
    ),
    WindowRule.DAYS: RuleInfo(
        label="Khoảng ngày tự chọn",
        basis="người lập báo cáo chọn ngày bắt đầu và ngày kết thúc",
        opens_day=1,
        months_back=0,
    ),
}
# The rules a named period (a month, a quarter, …) can follow.
PERIOD_RULES = (WindowRule.DECREE, WindowRule.CALENDAR)


class Kind(enum.StrEnum):
    """The kinds of period a report covers."""

    MONTH = "month"
    QUARTER = "quarter"
    HALF = "half"
    NINE_MONTHS = "nine_months"
    YEAR = "year"
    CUSTOM = "custom"


@dataclass(frozen=True)
class Period:
    """A period as staff name it: a run of months of one year, or two days (custom)."""

    kind: Kind
    year: int = 0
    first_month: int = 1
    last_month: int = 12
    first_day: date | None = None  # custom only
    last_day: date | None = None

    @property
    def code(self) -> str:
        """Return the period as it is written in commands and addresses (`2026-Q1`)."""
        match self.kind:
            case Kind.MONTH:
                return f"{self.year}-{self.first_month:02d}"
            case Kind.QUARTER:
                return f"{self.year}-Q{self.last_month // 3}"
            case Kind.HALF:
                return f"{self.year}-H{self.last_month // 6}"
            case Kind.NINE_MONTHS:
                return f"{self.year}-9M"
            case Kind.YEAR:
                return f"{self.year}"
        assert self.first_day is not None and self.last_day is not None
        return f"{self.first_day.isoformat()}/{self.last_day.isoformat()}"

    @property
    def name(self) -> str:
        """Return the period in words, as a report's title says it (`quý I năm 2026`)."""
        match self.kind:
            case Kind.MONTH:
                return f"tháng {self.first_month} năm {self.year}"
            case Kind.QUARTER:
                return f"quý {ROMAN[self.last_month // 3]} năm {self.year}"
            case Kind.HALF:
                half = "đầu" if self.last_month == 6 else "cuối"
                return f"6 tháng {half} năm {self.year}"
            case Kind.NINE_MONTHS:
                return f"9 tháng năm {self.year}"
            case Kind.YEAR:
                return f"năm {self.year}"
        assert self.first_day is not None and self.last_day is not None
        return f"từ ngày {self.first_day:%d/%m/%Y} đến ngày {self.last_day:%d/%m/%Y}"

    def window(self, rule: WindowRule) -> Window:
        """Return the local days this period covers under `rule` (both ends inclusive)."""
        if self.kind is Kind.CUSTOM:
            assert self.first_day is not None and self.last_day is not None
            return Window(self, WindowRule.DAYS, self.first_day, self.last_day)
        info = rule.info
        first = _month_day(self.year, self.first_month - info.months_back, info.opens_day)
        after = _month_day(self.year, self.last_month + 1 - info.months_back, info.opens_day)
        return Window(self, rule, first, after - timedelta(days=1))


@dataclass(frozen=True)
class Window:
    """The days one report covers, and the rule that made them."""

    period: Period
    rule: WindowRule
    first_day: date
    last_day: date

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def months_long(self) -> float:
        """Return how many months the window is worth, to scale monthly targets: a named
        period's months (a decree month of 28 days is still a month), a custom one's days."""
        if self.period.kind is Kind.CUSTOM:
            return self.days / (365.25 / 12)
        return self.period.last_month - self.period.first_month + 1

    def months(self) -> list[tuple[int, int]]:
        """Return every calendar month (year, month) the window touches, in order."""
        months = []
        year, month = self.first_day.year, self.first_day.month
        while (year, month) <= (self.last_day.year, self.last_day.month):
            months.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months

    def month_starts(self) -> list[date]:
        """Return the first day of every month the window touches after its first month."""
        return [date(year, month, 1) for year, month in self.months()[1:]]

    def contains(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


def _month_day(year: int, month: int, day: int) -> date:
    """Return `day` of a month counted from January of `year` (0 is the December before)."""
    shifted_year, index = divmod(year * 12 + month - 1, 12)
    return date(shifted_year, index + 1, day)


PERIOD_FORMS = "2026-03 (tháng), 2026-Q1 (quý), 2026-H1 (6 tháng), 2026-9M (9 tháng), 2026 (năm)"
_PATTERN = re.compile(
    r"(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|Q(?P<q>[1-4])|H(?P<h>[12])|(?P<nine>9M)))?"
)


def parse_period(text: str, *, field: str = "period") -> Period:
    """Read a period code; InputError (on `field`) says in Vietnamese what is accepted."""
    value = text.strip().upper()
    found = _PATTERN.fullmatch(value)
    if found is None or not 2000 <= int(found["year"]) <= 2100:
        problem = f"Kỳ báo cáo “{text[:40]}” không hợp lệ. Viết như: {PERIOD_FORMS}."
        raise InputError({field: problem})
    year = int(found["year"])
    if found["month"]:
        month = int(found["month"])
        if not 1 <= month <= 12:
            raise InputError({field: f"Tháng {month} không có. Viết như: {PERIOD_FORMS}."})
        return Period(Kind.MONTH, year, month, month)
    if found["q"]:
        quarter = int(found["q"])
        return Period(Kind.QUARTER, year, quarter * 3 - 2, quarter * 3)
    if found["h"]:
        half = int(found["h"])
        return Period(Kind.HALF, year, half * 6 - 5, half * 6)
    if found["nine"]:
        return Period(Kind.NINE_MONTHS, year, 1, 9)
    return Period(Kind.YEAR, year, 1, 12)


def custom_period(first: date, last: date, *, names: tuple[str, str] = ("from", "to")) -> Period:
    """Return the custom period of two days; InputError on `names[1]` when it is not a window."""
    problem = range_problem(first, last, first_name="ngày bắt đầu", last_name="Ngày kết thúc")
    if problem:
        raise InputError({names[1]: problem})
    if (last - first).days + 1 > MAX_CUSTOM_DAYS:
        raise InputError({names[1]: f"Một báo cáo phủ tối đa {MAX_CUSTOM_DAYS} ngày."})
    return Period(Kind.CUSTOM, first_day=first, last_day=last)


def offered(today: date, rule: WindowRule) -> list[Window]:
    """Return the periods a reporter is offered on `today`: of each kind, the one running and
    the one before it, most recent first within each kind."""
    years = (today.year - 1, today.year, today.year + 1)
    candidates = [
        *(Period(Kind.MONTH, y, m, m) for y in years for m in range(1, 13)),
        *(Period(Kind.QUARTER, y, q * 3 - 2, q * 3) for y in years for q in range(1, 5)),
        *(Period(Kind.HALF, y, h * 6 - 5, h * 6) for y in years for h in (1, 2)),
        *(Period(Kind.NINE_MONTHS, y, 1, 9) for y in years),
        *(Period(Kind.YEAR, y, 1, 12) for y in years),
    ]
    chosen: list[Window] = []
    for kind in (Kind.QUARTER, Kind.MONTH, Kind.HALF, Kind.NINE_MONTHS, Kind.YEAR):
        started = [
            window
            for window in (p.window(rule) for p in candidates if p.kind is kind)
            if window.first_day <= today
        ]
        started.sort(key=lambda w: w.first_day, reverse=True)
        chosen.extend(started[:2])
    return chosen


def running(today: date, rule: WindowRule, kind: Kind = Kind.QUARTER) -> Window:
    """Return the window of `kind` that holds `today` (the page's default: this quarter)."""
    return next(w for w in offered(today, rule) if w.period.kind is kind and w.contains(today))
