"""What an approval covers: a bulletin airs only as it was approved (pure, no session)."""

from __future__ import annotations

import hashlib
import json

from playlists.bulletins.models import Bulletin, BulletinStatus


def approval_digest(bulletin: Bulletin) -> str:
    """What an approval is tied to: the exact text, the recording and the voice.

    The voice's reading of abbreviations (the lexicon) is not in it: a lexicon change that
    re-voices an approved bulletin keeps its approval for the same text, and is listed to the
    approver who makes it and recorded in the bulletin's history.
    """
    recording = bulletin.rendering.sha256 if bulletin.recording_name and bulletin.rendering else ""
    content = {
        "title": bulletin.title,
        "text": bulletin.text,
        "recording": recording,
        "voice": bulletin.voice or "",
        "speed": round(bulletin.speed, 3),
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def still_approved(bulletin: Bulletin) -> bool:
    """Whether a bulletin is approved and unchanged since (what may go on air)."""
    return bulletin.status == BulletinStatus.APPROVED and (
        bulletin.approved_digest is None  # approved before approvals were tied to content
        or bulletin.approved_digest == approval_digest(bulletin)
    )
