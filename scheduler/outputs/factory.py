"""Which outputs a zone airs on, as the station is configured (LOA_OUTPUT, LOA_ICECAST_URL)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playlists.core.clock import Clock
from playlists.core.text import slug
from scheduler.outputs.base import Output
from scheduler.outputs.device import DeviceOutput, has_sound_card
from scheduler.outputs.filesink import FileSink
from scheduler.outputs.icecast import IcecastOutput
from scheduler.settings import SchedulerSettings

OutputFactory = Callable[[int | None, str], list[Output]]
"""Make a zone's outputs, given its id and name."""


def station_outputs(
    settings: SchedulerSettings,
    clock: Clock,
    *,
    on_aired: Callable[[Path], None] | None = None,
) -> OutputFactory:
    """Return the maker of each zone's outputs: the file or sound card, and Icecast when set.

    `on_aired` is handed each WAV the file output finishes (the station's archive).
    """

    def make(zone_id: int | None, zone_name: str) -> list[Output]:
        mode = settings.output
        if mode == "auto":
            mode = "device" if has_sound_card() else "file"
        outputs: list[Output] = []
        if mode == "device":
            device = settings.audio_device.replace("{zone}", slug(zone_name))
            outputs.append(DeviceOutput(device, clock))
        else:
            outputs.append(FileSink(settings.aired_dir, clock, on_closed=on_aired))
        if settings.icecast_url:
            outputs.append(
                IcecastOutput(
                    settings.icecast_url,
                    clock,
                    bitrate_kbps=settings.icecast_bitrate_kbps,
                    zone=zone_name,
                )
            )
        return outputs

    return make


def output_names(settings: SchedulerSettings) -> list[str]:
    """Name the outputs each zone airs on (a player's status shows them)."""
    mode = settings.output
    if mode == "auto":
        mode = "device" if has_sound_card() else "file"
    return [mode, *(["icecast"] if settings.icecast_url else [])]
