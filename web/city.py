"""What the city's roles do across wards: the summary's JSON, and one emergency to many wards.

Each ward's emergency is sent in a unit of work of that ward's own (its schema, its audio, its
audit trail, its as-run log when it airs), as the city's operator: a ward that refuses (its
text too long for its settings, its voice failing) is reported, and the others still go out.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audio.speech import Rendered
from playlists.accounts.actor import Actor, bind
from playlists.core.db import HOME_WARD, session_scope
from playlists.core.errors import DomainError
from playlists.emergencies.service import EmergencyDraft
from playlists.reports.city import CitySummary
from playlists.reports.view import topic_label
from web.context import StationContext

log = logging.getLogger(__name__)

SENDING_AT_ONCE = 4


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
    """Send `draft` to each ward of `wards` (codes) on every zone there, as `actor`.

    The audio is made once, with the city's readings (the home ward's lexicon) and the
    offline voice, and the same file airs in every ward: a hundred wards are told in the time
    of one rendering and a hundred small transactions. Raises AudioError when the voice fails
    (nothing is sent then).
    """
    from playlists.bulletins.rendering import mastering_spec
    from playlists.emergencies.service import prepare_audio, request_emergency

    names = dict(ctx.ward_names())
    sent = [
        WardSent(code, code, refusal="Không có phường này.") for code in wards if code not in names
    ]
    city = ctx.for_ward(HOME_WARD)
    with session_scope(city.sessions) as session:
        rendered = prepare_audio(
            draft, voice=city.emergency_speech(session), media_dir=city.settings.media_dir,
            spec=mastering_spec(city.settings.speech),
        )  # fmt: skip

    def send_at(code: str) -> WardSent:
        ward = ctx.for_ward(code)
        try:
            here = _placed(rendered, city.settings.media_dir, ward.settings.media_dir)
            with ward.unit_of_work(ward.web_sessions) as session:
                bind(session, actor)  # its city role holds at every ward
                emergency = request_emergency(
                    session, draft=draft, rendered=here, media_dir=ward.settings.media_dir,
                    max_text_chars=ward.settings.max_text_chars, now=ward.now(),
                )  # fmt: skip
                return WardSent(code, names[code], emergency.id)
        except DomainError as exc:
            return WardSent(code, names[code], refusal=exc.message)
        except OSError as exc:
            log.error("city emergency: audio not placed at ward %s: %s", code, exc)
            return WardSent(code, names[code], refusal="Không chép được âm thanh sang phường.")

    # A few wards at a time: each is a short transaction of its own, mostly the database's
    # work, and the request holds one of the web pool's connections already.
    with ThreadPoolExecutor(max_workers=SENDING_AT_ONCE) as pool:
        sent += pool.map(send_at, [code for code in wards if code in names])
    log.warning(
        "city emergency by %s: sent to %s, refused at %s",
        actor.username,
        [s.ward for s in sent if s.emergency_id is not None],
        [s.ward for s in sent if s.emergency_id is None],
    )
    return sent


def _placed(rendered: Rendered, source: Path, target: Path) -> Rendered:
    """The rendering, as a file inside the ward's media folder (a hard link where it can)."""
    if source.resolve() == target.resolve():
        return rendered
    placed = target / rendered.path.resolve().relative_to(source.resolve())
    if not placed.exists():
        placed.parent.mkdir(parents=True, exist_ok=True)
        temporary = placed.with_suffix(".part")
        try:
            os.link(rendered.path, temporary)
        except OSError:  # another file system: a copy
            shutil.copyfile(rendered.path, temporary)
        os.replace(temporary, placed)
    return dataclasses.replace(rendered, path=placed)


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
