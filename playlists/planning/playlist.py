"""Export a day's plan as an M3U8 playlist that ffmpeg and media players read.

Masters are WAV, and ffmpeg's HLS reader cannot chain WAV segments, so each item is exported as
an MP3 copy (made once per rendering, kept beside the masters) and listed with its duration and
title in a VOD playlist.
"""

from __future__ import annotations

import math
from pathlib import Path

from audio.sound import files
from playlists.planning.views import PlanView


def export_copy(master: Path, export_dir: Path, sha256: str) -> Path:
    """Return the MP3 copy of a master for playlists, making it the first time."""
    copy = export_dir / f"{sha256}.mp3"
    if not copy.exists():
        export_dir.mkdir(parents=True, exist_ok=True)
        tmp = copy.with_name(f".{copy.name}.tmp.mp3")
        files.convert(master, tmp)
        tmp.replace(copy)
    return copy


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
            entries.append(f"# {slot_view.start:%H:%M} {slot_view.slot.name}")
            for item in slot_view.items:
                copy = export_copy(
                    media_dir / item.rendering.file, export_dir, item.rendering.sha256
                )
                longest = max(longest, item.duration_s)
                title = item.bulletin.title.replace(",", " ").replace("\n", " ")
                entries.append(f"#EXTINF:{item.duration_s:.3f},{title}")
                entries.append(f"{base_url}/{copy.name}" if base_url else str(copy.resolve()))
    lines.append(f"#EXT-X-TARGETDURATION:{math.ceil(longest)}")
    return "\n".join([*lines, *entries, "#EXT-X-ENDLIST", ""])
