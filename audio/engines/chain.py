"""The fallback chain of speech engines, built from the station's settings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from audio.engines.base import SpeechEngine
from audio.engines.cloud import FptEngine, ViettelEngine
from audio.engines.espeak import EspeakEngine
from audio.engines.gtts_engine import GttsEngine

# piper_engine imports piper-tts only when a voice loads, so the base install can import it.
from audio.engines.piper_engine import PiperEngine, PiperVoices

_KNOWN = ("gtts", "fpt", "viettel", "offline", "piper")
# "espeak-ng" is what renderings record as engine name, so accept it in settings too.
_ALIASES = {"gtts": "gtts", "fpt": "fpt", "viettel": "viettel", "offline": "offline",
            "espeak-ng": "offline", "piper": "piper"}  # fmt: skip
_CLOUD = {"fpt": FptEngine, "viettel": ViettelEngine}


def build_engines(
    order: Sequence[str],
    *,
    gtts_timeout_s: float = 10.0,
    piper_voice: Path | None = None,
    piper_voices: Sequence[Path] = (),
    cloud: Mapping[str, tuple[str, str]] | None = None,
) -> list[SpeechEngine]:
    """Build the engine chain named by order, e.g. ["piper", "gtts", "offline"].

    piper speaks with `piper_voice` (LOA_PIPER_VOICE, its default) and the voices the station
    installed (`piper_voices`): a bulletin's voice picks one of them. `cloud` gives each
    cloud service named its station's key and address: {"fpt": (key, url)}.
    """
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
        elif name in _CLOUD:
            key, url = (cloud or {}).get(name, ("", ""))
            if not key:
                raise ValueError(f"speech engine {name!r} needs LOA_{name.upper()}_API_KEY")
            engines.append(_CLOUD[name](key=key, url=url))
        elif name == "piper":
            models = [piper_voice] if piper_voice is not None else []
            models += [m for m in piper_voices if m != piper_voice]
            if not models:
                raise ValueError(
                    "speech engine 'piper' needs a voice: install one with `loa voice add "
                    "FILE.onnx`, or set LOA_PIPER_VOICE to the path of a piper .onnx voice "
                    "(with its .onnx.json next to it)"
                )
            one = len(models) == 1
            engines.append(PiperEngine(voice_path=models[0]) if one else PiperVoices(models))
        else:
            engines.append(EspeakEngine())
    if not engines:
        raise ValueError("at least one speech engine is required, e.g. ['gtts', 'offline']")
    return engines
