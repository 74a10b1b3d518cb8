"""Export a day's plan as an M3U8 playlist that ffmpeg and media players read.

Masters are WAV, and ffmpeg's HLS reader cannot chain WAV segments, so each item is exported as
an MP3 copy (made once per rendering, kept beside the masters) and listed with its duration and
title in a VOD playlist.
"""

from __future__ import annotations

import math
import re
import urllib.parse
from pathlib import Path

from audio.sound import files
from playlists.core.text import one_line
from playlists.planning.views import PlanView

# What an exported copy is named: its rendering's SHA-256, then .mp3 (see export_copy).
_COPY_NAME = re.compile(r"^[0-9a-f]{64}\.mp3$")


def export_copy(master: Path, export_dir: Path, sha256: str) -> Path:
    """Return the MP3 copy of a master for playlists, making it the first time."""
    copy = export_dir / f"{sha256}.mp3"
    if not copy.exists():
        export_dir.mkdir(parents=True, exist_ok=True)
        tmp = copy.with_name(f".{copy.name}.tmp.mp3")
        files.convert(master, tmp)
        tmp.replace(copy)
    return copy


def exported_copy(export_dir: Path, name: str) -> Path | None:
    """Return the exported copy a playlist names, or None for any other name ("%00", "../x")."""
    if not _COPY_NAME.match(name):
        return None
    path = export_dir / name
    return path if path.is_file() else None


def _uri(text: str) -> str:
    """Return a playlist entry that stays one line and one URI: no space, no control, no "#".

    Percent-encodes what a URI may not hold raw; what it may ("/", ":", "?", "%"…) stays.
    """
    return urllib.parse.quote(text, safe="/:?&=@+$,;%~!*'()[]")


def _path(copy: Path) -> str:
    """Return a local copy's absolute path as an entry (ffmpeg reads it unencoded)."""
    path = str(copy.resolve())
    if one_line(path) != path:
        raise ValueError(f"the media folder's path cannot go in a playlist: {path!r}")
    return path


def plan_m3u8(
    view: PlanView, *, zone_id: int, media_dir: Path, export_dir: Path, base_url: str | None = None
) -> str:
    """Return one zone's day plan as an M3U8 VOD playlist, items in airing order.

    With `base_url` the items are URLs (for a download from the web app); without it they are
    absolute paths on the station's machine (for `loa plan export`).
    """
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-PLAYLIST-TYPE:VOD"]
    entries: list[str] = []
    longest = 1.0
    for zone_view in view.zones:
        if zone_view.zone.id != zone_id:
            continue
        for slot_view in zone_view.slots:
            entries.append(f"# {slot_view.start:%H:%M} {one_line(slot_view.slot.name)}")
            for item in slot_view.items:
                copy = export_copy(
                    media_dir / item.rendering.file, export_dir, item.rendering.sha256
                )
                longest = max(longest, item.duration_s)
                # One line whatever the title holds: a line break would start an entry of its
                # own (another address for ffmpeg to fetch).
                title = one_line(item.bulletin.title).replace(",", " ")
                entries.append(f"#EXTINF:{item.duration_s:.3f},{title}")
                entries.append(_uri(f"{base_url}/{copy.name}") if base_url else _path(copy))
    lines.append(f"#EXT-X-TARGETDURATION:{math.ceil(longest)}")
    return "\n".join([*lines, *entries, "#EXT-X-ENDLIST", ""])
