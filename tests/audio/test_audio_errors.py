"""audio.errors: two messages per error, and they survive pickling."""

from __future__ import annotations

import pickle

from audio.errors import AudioError, AudioInputError, EngineError, SpeechUnavailable


def test_str_prefers_english_detail() -> None:
    err = AudioError("Lỗi.", "ffmpeg exited 1")
    assert err.user_message == "Lỗi."
    assert err.detail == "ffmpeg exited 1"
    assert str(err) == "ffmpeg exited 1"
    assert str(AudioError("Lỗi.")) == "Lỗi."


def test_hierarchy() -> None:
    for cls in (EngineError, SpeechUnavailable, AudioInputError):
        assert issubclass(cls, AudioError)


def test_pickle_round_trip() -> None:
    err = pickle.loads(pickle.dumps(EngineError("Không kết nối được.", "gtts: HTTP 429")))
    assert isinstance(err, EngineError)
    assert (err.user_message, err.detail) == ("Không kết nối được.", "gtts: HTTP 429")
