"""Text-to-speech engines and the factory that builds a fallback chain from settings."""

from __future__ import annotations

from collections.abc import Sequence

from audio.engines.base import SpeechEngine
from audio.engines.espeak import EspeakEngine
from audio.engines.gtts_engine import GttsEngine

__all__ = ["EspeakEngine", "GttsEngine", "SpeechEngine", "build_engines"]

_KNOWN = ("gtts", "offline")
# "espeak-ng" is what renderings record as engine name, so accept it in settings too.
_ALIASES = {"gtts": "gtts", "offline": "offline", "espeak-ng": "offline"}


def build_engines(order: Sequence[str], *, gtts_timeout_s: float = 10.0) -> list[SpeechEngine]:
    """Build the engine chain named by order, e.g. ["gtts", "offline"]."""
    if isinstance(order, str):
        raise ValueError(f"engine order must be a list of names, not the string {order!r}")
    engines: list[SpeechEngine] = []
    seen: set[str] = set()
    for raw in order:
        name = _ALIASES.get(str(raw).strip().lower())
        if name is None:
            raise ValueError(f"unknown speech engine {raw!r}: expected one of {', '.join(_KNOWN)}")
        if name in seen:
            raise ValueError(f"speech engine {raw!r} is listed twice in {list(order)!r}")
        seen.add(name)
        if name == "gtts":
            engines.append(GttsEngine(timeout_s=gtts_timeout_s))
        else:
            engines.append(EspeakEngine())
    if not engines:
        raise ValueError("at least one speech engine is required, e.g. ['gtts', 'offline']")
    return engines
