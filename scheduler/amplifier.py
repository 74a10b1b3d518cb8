"""Amplifier power: the station's own commands switch the amplifiers on before a slot, off after.

A ward wires its amplifiers to whatever it has (a relay board, a smart plug, a GPIO pin), so
the commands are settings, run without a shell; `{zone}` is replaced by the zone's name.
"""

from __future__ import annotations

import logging
import shlex
import subprocess
from dataclasses import dataclass

log = logging.getLogger(__name__)

TIMEOUT_S = 15.0


@dataclass(frozen=True)
class SwitchResult:
    """What one power command did."""

    command: list[str]
    ok: bool
    detail: str


def switch(template: str, *, zone: str) -> SwitchResult:
    """Run one power command for a zone and say whether it worked."""
    command = [part.replace("{zone}", zone) for part in shlex.split(template)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return SwitchResult(command, False, str(exc))
    output = (done.stderr or done.stdout).strip()[-300:]
    if done.returncode != 0:
        return SwitchResult(command, False, f"exit status {done.returncode}: {output}")
    return SwitchResult(command, True, output)
