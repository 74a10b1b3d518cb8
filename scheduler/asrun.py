"""Write the as-run log from the player's confirmations, never from the plan."""

from __future__ import annotations

from sqlalchemy.orm import Session

from playlists import ledger
from playlists.models import AirLog
from scheduler.playout import PlayResult


def record(result: PlayResult, *, session: Session) -> AirLog:
    """Append one as-run row for a play result."""
    program, item = result.program, result.item
    return ledger.append(
        session,
        zone_id=program.zone_id,
        zone_name=program.zone_name,
        output=result.output,
        slot_id=program.slot_id,
        slot_name=program.slot_name,
        bulletin_id=item.bulletin_id,
        bulletin_title=item.title,
        topic_name=item.topic_name,
        rendering_sha256=item.rendering_sha256,
        scheduled_start=item.scheduled_start,
        actual_start=result.actual_start,
        actual_end=result.actual_end,
        status=result.status,
        source=program.source,
        reason=result.reason,
    )
