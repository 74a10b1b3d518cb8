"""The interface every text-to-speech engine implements."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable


@runtime_checkable
class SpeechEngine(Protocol):
    """A text-to-speech backend that renders one text to one audio file."""

    #: Recorded with each rendering, e.g. "gtts" or "espeak-ng".
    name: str
    # An engine may also list its voices as `voices: tuple[str, ...]`; the renderer then gives
    # it the voice a bulletin asks for when it has it (see audio.speech.voice_for).

    def default_voice(self) -> str:
        """Return the voice used when the caller does not choose one."""
        ...

    def synthesize(self, text: str, *, voice: str, speed: float, dst: Path) -> None:
        """Write text as speech to dst or raise EngineError.

        dst must hold a container audio.sound.files accepts (WAV, MP3, Ogg...), and
        implementations must never leave an empty or partial file there.
        """
        ...
