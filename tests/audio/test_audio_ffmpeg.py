"""audio.ffmpeg: probing, measuring, decoding, and the pure output parsers."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from audio import ffmpeg
from audio.errors import AudioError, AudioInputError


def test_probe_describes_generated_wav(make_tone) -> None:
    path = make_tone(seconds=1.5, sample_rate=48000, channels=2)
    info = ffmpeg.probe(path)
    assert info.codec == "pcm_s16le"
    assert info.channels == 2
    assert info.sample_rate == 48000
    assert info.duration_s == pytest.approx(1.5, abs=0.01)
    assert "wav" in info.format_name


def test_probe_rejects_text_file(tmp_path: Path) -> None:
    fake = tmp_path / "fake.mp3"
    fake.write_text("hello, this is not audio\n", encoding="utf-8")
    with pytest.raises(AudioInputError) as excinfo:
        ffmpeg.probe(fake)
    assert excinfo.value.user_message == "Tệp không phải là âm thanh hợp lệ."
    assert excinfo.value.detail


def test_probe_rejects_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(AudioInputError):
        ffmpeg.probe(tmp_path / "missing.wav")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(AudioInputError):
        ffmpeg.probe(empty)


def test_measure_loudness_of_tone(make_tone) -> None:
    # A full-scale-ish sine has a well-known level: peak 20*log10(0.5) = -6 dB.
    loudness = ffmpeg.measure_loudness(make_tone(amplitude=0.5, channels=1))
    assert loudness.true_peak_db == pytest.approx(-6.0, abs=0.3)
    assert -12 < loudness.integrated_lufs < -6


def test_measure_loudness_of_silence_is_minus_inf(make_silence) -> None:
    loudness = ffmpeg.measure_loudness(make_silence("silence.wav", 1.0))
    assert loudness.integrated_lufs == -math.inf


def test_decode_pcm_returns_mono_s16le(make_tone) -> None:
    pcm = ffmpeg.decode_pcm(make_tone(seconds=1.0, channels=2), sample_rate=8000)
    assert len(pcm) == pytest.approx(8000 * 2, abs=64)


def test_missing_tool_is_a_clear_audio_error(monkeypatch, make_tone) -> None:
    path = make_tone(seconds=0.5)
    monkeypatch.setattr(ffmpeg, "FFMPEG", "ffmpeg-not-installed")
    with pytest.raises(AudioError) as excinfo:
        ffmpeg.measure_loudness(path, timeout_s=5)
    assert "not found" in excinfo.value.detail


# --------------------------------------------------------------------------- pure parsers

EBUR128_LOG = """
[Parsed_ebur128_0 @ 0x55] Summary:

  Integrated loudness:
    I:         -16.2 LUFS
    Threshold: -26.3 LUFS

  Loudness range:
    LRA:         3.1 LU

  True peak:
    Peak:       -1.4 dBFS
"""


def test_parse_ebur128_summary() -> None:
    loudness = ffmpeg.parse_ebur128_summary(EBUR128_LOG)
    assert loudness == ffmpeg.Loudness(integrated_lufs=-16.2, true_peak_db=-1.4)


def test_parse_ebur128_summary_gate_floor_means_silence() -> None:
    log = EBUR128_LOG.replace("-16.2 LUFS", "-70.0 LUFS").replace("-1.4 dBFS", "-inf dBFS")
    loudness = ffmpeg.parse_ebur128_summary(log)
    assert loudness.integrated_lufs == -math.inf
    assert loudness.true_peak_db == -math.inf


def test_parse_ebur128_summary_missing() -> None:
    with pytest.raises(AudioError):
        ffmpeg.parse_ebur128_summary("nothing useful")


def test_parse_silence_scan_closed_and_open_intervals() -> None:
    log = "\n".join(
        [
            "[silencedetect @ 0x1] silence_start: 0",
            "[silencedetect @ 0x1] silence_end: 1.00007 | silence_duration: 1.00007",
            "[silencedetect @ 0x1] silence_start: 2.99995",
            "[Parsed_astats_3 @ 0x2] Number of samples: 176400",
        ]
    )
    scan = ffmpeg.parse_silence_scan(log, sample_rate=44100)
    assert scan.duration_s == pytest.approx(4.0)
    assert scan.silences == (
        ffmpeg.Silence(0.0, 1.00007),
        ffmpeg.Silence(2.99995, 4.0),
    )


def test_parse_probe_json() -> None:
    text = (
        '{"streams": [{"codec_type": "audio", "codec_name": "mp3", "sample_rate": "24000",'
        ' "channels": 1}], "format": {"format_name": "mp3", "duration": "2.5"}}'
    )
    info = ffmpeg.parse_probe_json(text)
    assert info == ffmpeg.ProbeInfo(2.5, "mp3", 1, 24000, "mp3")
    assert ffmpeg.parse_probe_json('{"streams": [], "format": {}}') is None


@pytest.mark.parametrize(
    ("speed", "expected"),
    [
        (1.25, ["atempo=1.250000"]),
        (0.8, ["atempo=0.800000"]),
        (3.0, ["atempo=2.0", "atempo=1.500000"]),
        (0.3, ["atempo=0.5", "atempo=0.600000"]),
    ],
)
def test_atempo_chain(speed: float, expected: list[str]) -> None:
    assert ffmpeg.atempo_chain(speed) == expected


def test_atempo_chain_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        ffmpeg.atempo_chain(0)


def test_change_tempo_shortens_audio(make_tone, tmp_path: Path) -> None:
    dst = tmp_path / "fast.wav"
    ffmpeg.change_tempo(make_tone(seconds=2.0), dst, speed=2.0)
    assert ffmpeg.probe(dst).duration_s == pytest.approx(1.0, abs=0.05)
