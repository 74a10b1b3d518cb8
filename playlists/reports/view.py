"""The report as stable JSON, for scripts (`loa report --format json`, `GET /api/reports`).

The keys the issue fixed (period, window, totals, by_topic, by_zone, by_month,
uncovered_topics, ledger) keep their names and meaning; later additions only add keys.
"""

from __future__ import annotations

import json
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from playlists.reports.charts import BarChart, bar_chart

if TYPE_CHECKING:
    from playlists.reports.service import Report


def report_json(report: Report) -> dict[str, Any]:
    """Return the report's figures as JSON-ready data (minutes to one decimal)."""
    summary, window = report.summary, report.window
    totals = summary.totals
    return {
        "period": report.period.code,
        "period_name": report.period.name,
        "window": {
            "first_day": window.first_day.isoformat(),
            "last_day": window.last_day.isoformat(),
            "rule": window.rule.value,
            "rule_basis": window.rule.info.basis,
        },
        "made_at": report.made_at.isoformat(),
        "generator": report.generator,
        "closed": report.closed,
        "totals": {
            "bulletins": len(totals.bulletins),
            "plays": totals.plays,
            "airtime_min": totals.airtime_min,
            "emergencies": summary.emergencies,
            "partial": summary.partial,
            "missed": summary.missed,
            "failed": summary.failed,
            "slots_planned": summary.slots.planned,
            "slots_aired": summary.slots.aired,
            "slots_complete": summary.slots.complete,
        },
        "by_topic": [
            {
                "topic": line.name,
                "code": line.code,
                "bulletins": len(line.tally.bulletins),
                "plays": line.tally.plays,
                "airtime_min": line.tally.airtime_min,
                "target_plays": line.target_plays,
                "target_minutes": line.target_minutes,
                "below_target": line.below_target,
            }
            for line in summary.topics
        ],
        "by_zone": [
            {"zone": zone, "plays": tally.plays, "airtime_min": tally.airtime_min}
            for zone, tally in summary.zones.items()
        ],
        "by_month": [
            {"month": month, "plays": tally.plays, "airtime_min": tally.airtime_min}
            for month, tally in summary.months.items()
        ],
        "by_source": [
            {"source": source.value, "plays": tally.plays, "airtime_min": tally.airtime_min}
            for source, tally in summary.sources.items()
        ],
        "not_aired": [
            {"status": reason.status.value, "reason": reason.reason, "plays": reason.plays}
            for reason in summary.reasons
        ],
        "uncovered_topics": summary.uncovered_topics,
        "below_target": [line.name for line in summary.below_target],
        "ledger": {"last_seq": report.last_seq, "last_hash": report.last_hash},
    }


def write_json(report: Report, session: Session, out: IO[bytes]) -> None:
    """Write the report's JSON, indented, in UTF-8 (Vietnamese as it is, not escaped)."""
    text = json.dumps(report_json(report), ensure_ascii=False, indent=2)
    out.write((text + "\n").encode("utf-8"))


def topic_label(code: int, name: str) -> str:
    """Name a topic as the report's tables and charts do: its item number, then its name."""
    return name if code == 0 else f"{code}. {name}"


def month_label(month: str) -> str:
    """Name a month key ("2026-03") as staff write it: "Tháng 3/2026"."""
    return f"Tháng {int(month[5:])}/{month[:4]}"


def charts(report: Report) -> list[BarChart]:
    """Return the report's charts: airtime by month, by topic and by zone (minutes)."""
    summary = report.summary
    return [
        bar_chart(
            "Thời lượng phát theo tháng",
            "phút",
            [(month_label(month), t.airtime_min) for month, t in summary.months.items()],
        ),
        bar_chart(
            "Thời lượng phát theo nội dung tuyên truyền",
            "phút",
            [(topic_label(ln.code, ln.name), ln.tally.airtime_min) for ln in summary.topics],
        ),
        bar_chart(
            "Thời lượng phát theo cụm loa",
            "phút",
            [(zone, tally.airtime_min) for zone, tally in summary.zones.items()],
        ),
    ]
