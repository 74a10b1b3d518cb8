"""Exceptions raised by the audio layer.

Every error carries two messages: a Vietnamese one that can be shown to ward staff as is,
and an English detail meant for logs and developers.
"""

from __future__ import annotations


class AudioError(Exception):
    """Base; carries a Vietnamese message for users and an English detail for logs."""

    def __init__(self, user_message: str, detail: str = "") -> None:
        # Both go into args so the exception survives pickling (e.g. across worker processes).
        super().__init__(user_message, detail)
        self.user_message = user_message
        self.detail = detail

    def __str__(self) -> str:
        return self.detail or self.user_message


class EngineError(AudioError):
    """One speech engine failed (network, timeout, rate limit, empty audio, missing binary)."""


class KeyRefused(EngineError):
    """A cloud speech service refused the station's key (wrong, expired, out of quota): not
    retried, and staff are told (the message names the service)."""


class SpeechUnavailable(AudioError):
    """Every engine in the chain failed."""


class AudioInputError(AudioError):
    """An uploaded file is not usable audio (not audio, empty, silent, too long...)."""
