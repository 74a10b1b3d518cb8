"""What the city's roles do across wards: the summary's JSON, and one emergency to many wards.

Each ward's emergency is sent in a unit of work of that ward's own (its schema, its audio, its
audit trail, its as-run log when it airs), as the city's operator: a ward that refuses (its
text too long for its settings, its voice failing) is reported, and the others still go out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from audio.errors import AudioError
from playlists.accounts.actor import Actor, bind
from playlists.core.errors import DomainError
from playlists.emergencies.service import EmergencyDraft
from playlists.reports.city import CitySummary
from playlists.reports.view import topic_label
from web.context import StationContext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WardSent:
    """What became of the emergency at one ward: its id there, or why it was refused."""

    ward: str
    name: str
    emergency_id: int | None = None
    refusal: str = ""


def send_to_wards(
    ctx: StationContext, actor: Actor, draft: EmergencyDraft, wards: list[str]
) -> list[WardSent]:
    """Send `draft` to each ward of `wards` (codes) on every zone there, as `actor`."""
    names = dict(ctx.ward_names())
    unknown = [code for code in wards if code not in names]
    sent = [WardSent(code, code, refusal="Không có phường này.") for code in unknown]
    for code in (code for code in wards if code in names):
        ward = ctx.for_ward(code)
        try:
            with ward.unit_of_work(ward.web_sessions) as session:
                bind(session, actor)  # its city role holds at every ward
                emergency = ward.send_emergency(session, draft)
                sent.append(WardSent(code, names[code], emergency.id))
        except DomainError as exc:
            sent.append(WardSent(code, names[code], refusal=exc.message))
        except AudioError as exc:
            log.error("city emergency: speech failed at ward %s: %s", code, exc.detail)
            sent.append(WardSent(code, names[code], refusal=exc.user_message))
    log.warning(
        "city emergency by %s: sent to %s, refused at %s",
        actor.username,
        [s.ward for s in sent if s.emergency_id is not None],
        [s.ward for s in sent if s.emergency_id is None],
    )
    return sent


def summary_json(summary: CitySummary) -> dict[str, Any]:
    """The city's summary for the API and `loa city report`: figures only, no HTML."""
    window = summary.window
    return {
        "period": window.period.code,
        "first_day": window.first_day.isoformat(),
        "last_day": window.last_day.isoformat(),
        "topics": [{"code": t.code, "name": t.name} for t in summary.topics],
        "totals": {"plays": summary.totals.plays, "minutes": summary.totals.airtime_min},
        "wards": [
            {
                "code": line.code,
                "name": line.name,
                "plays": line.totals.plays,
                "minutes": line.totals.airtime_min,
                "emergencies": line.emergencies,
                "missed": line.missed,
                "by_topic": {
                    str(code): {"plays": tally.plays, "minutes": tally.airtime_min}
                    for code, tally in line.topics.items()
                },
                "uncovered": line.uncovered,
            }
            for line in summary.wards
        ],
    }


def topic_heading(summary: CitySummary) -> list[str]:
    """The column heads of the topics, as the ward's report names them."""
    return [topic_label(t.code, t.name) for t in summary.topics]
