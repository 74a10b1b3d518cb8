"""audio.mastering: the broadcast chain on generated tones, and its pure planning helpers."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import pytest

from audio import ffmpeg
from audio.errors import AudioError, AudioInputError
from audio.mastering import (
    GainPlan,
    MasteringSpec,
    corrected_gain,
    fade_chain,
    master,
    plan_gain,
    trim_bounds,
)

SPEC = MasteringSpec()
# The 0.3 dB grace on the true-peak ceiling covers meter differences after MP3 decoding.
PEAK_TOLERANCE_DB = 0.3


def _amplitude_for_lufs(lufs: float) -> float:
    # 440 Hz mono sine: amplitude 1.0 measures about -3.7 LUFS (K-weighting is ~flat there).
    return 10 ** ((lufs + 3.7) / 20)


def _assert_broadcast_ready(result, spec: MasteringSpec) -> None:
    info = ffmpeg.probe(result.path)
    assert info.codec == "mp3"
    assert info.channels == 1
    assert info.sample_rate == spec.sample_rate
    assert result.sha256 == hashlib.sha256(result.path.read_bytes()).hexdigest()
    loudness = ffmpeg.measure_loudness(result.path)
    assert loudness.integrated_lufs == pytest.approx(spec.target_lufs, abs=1.0)
    assert loudness.true_peak_db <= spec.true_peak_db + PEAK_TOLERANCE_DB
    assert result.loudness_lufs == pytest.approx(loudness.integrated_lufs, abs=0.05)
    assert result.true_peak_db == pytest.approx(loudness.true_peak_db, abs=0.05)
    assert result.duration_s == pytest.approx(info.duration_s, abs=0.001)


def test_quiet_tone_is_trimmed_and_brought_up(make_tone, tmp_path: Path) -> None:
    src = make_tone(
        "quiet.wav", seconds=2.0, amplitude=_amplitude_for_lufs(-35), lead_s=1.0, tail_s=1.0
    )
    source = ffmpeg.measure_loudness(src)
    assert source.integrated_lufs < -30  # the fixture really is quiet
    assert ffmpeg.probe(src).duration_s == pytest.approx(4.0, abs=0.01)

    dst = tmp_path / "out" / "quiet.mp3"
    result = master(src, dst, SPEC)

    assert result.path == dst
    # 2 s of tone plus at most the edge padding and the MP3 frame slack.
    assert 1.95 <= result.duration_s <= 2.4
    _assert_broadcast_ready(result, SPEC)
    assert not list(dst.parent.glob(".*.tmp")), "temporary file left behind"


def test_loud_tone_comes_down(make_tone, tmp_path: Path) -> None:
    src = make_tone("loud.wav", seconds=2.0, amplitude=0.98, channels=1, sample_rate=22050)
    assert ffmpeg.measure_loudness(src).integrated_lufs > -6
    result = master(src, tmp_path / "loud.mp3", SPEC)
    _assert_broadcast_ready(result, SPEC)


def test_other_spec_is_honoured(make_tone, tmp_path: Path) -> None:
    spec = MasteringSpec(target_lufs=-20.0, true_peak_db=-3.0, sample_rate=22050, bitrate="64k")
    result = master(make_tone(seconds=1.5), tmp_path / "other.mp3", spec)
    _assert_broadcast_ready(result, spec)


def test_overwrites_existing_destination(make_tone, tmp_path: Path) -> None:
    dst = tmp_path / "x.mp3"
    dst.write_bytes(b"old")
    result = master(make_tone(seconds=1.0), dst, SPEC)
    assert dst.read_bytes() != b"old"
    assert result.sha256 == hashlib.sha256(dst.read_bytes()).hexdigest()


def test_silence_is_refused(make_silence, tmp_path: Path) -> None:
    with pytest.raises(AudioInputError):
        master(make_silence("silence.wav", 2.0), tmp_path / "s.mp3", SPEC)
    assert not (tmp_path / "s.mp3").exists()


# --------------------------------------------------------------------------- pure helpers


def _scan(duration: float, *silences: tuple[float, float]) -> ffmpeg.SilenceScan:
    return ffmpeg.SilenceScan(duration, tuple(ffmpeg.Silence(a, b) for a, b in silences))


def test_trim_bounds_cuts_both_edges_with_padding() -> None:
    bounds = trim_bounds(_scan(4.0, (0.0, 1.0), (1.5, 1.8), (3.0, 4.0)), pad_s=0.1)
    assert bounds == pytest.approx((0.9, 3.1))


def test_trim_bounds_keeps_audio_without_edge_silence() -> None:
    assert trim_bounds(_scan(3.0, (1.0, 2.0)), pad_s=0.1) == (0.0, 3.0)


def test_trim_bounds_all_silent() -> None:
    assert trim_bounds(_scan(2.0, (0.0, 2.0))) is None
    assert trim_bounds(_scan(0.0)) is None


def test_plan_gain_linear_when_peaks_allow() -> None:
    plan = plan_gain(ffmpeg.Loudness(-35.0, -30.0), SPEC)
    assert plan == GainPlan(gain_db=19.0, limit=False)


def test_plan_gain_limits_when_peaks_would_clip() -> None:
    plan = plan_gain(ffmpeg.Loudness(-20.0, 0.0), SPEC)
    assert plan == GainPlan(gain_db=4.0, limit=True)


def test_plan_gain_short_clip_uses_peak_and_silence_is_none() -> None:
    plan = plan_gain(ffmpeg.Loudness(-math.inf, -10.0), SPEC)
    assert plan is not None
    assert not plan.limit
    assert plan.gain_db == pytest.approx(10.0 + SPEC.true_peak_db - 0.5)
    assert plan_gain(ffmpeg.Loudness(-math.inf, -math.inf), SPEC) is None


def test_corrected_gain_follows_measured_slope() -> None:
    measured = ffmpeg.Loudness(-20.0, 0.0)
    plan = GainPlan(5.0, True)
    # +1 dB of gain bought only +0.5 LU, so being 1.5 LU short takes +3 dB more.
    retry = corrected_gain(plan, 4.0, measured, [(4.0, -18.0), (5.0, -17.5)], SPEC)
    assert retry == GainPlan(pytest.approx(8.0), True)
    # The correction is capped so limiting never gets heavy enough to distort.
    capped = corrected_gain(plan, 4.0, measured, [(4.0, -30.0), (5.0, -29.5)], SPEC)
    assert capped == GainPlan(pytest.approx(10.0), True)
    assert corrected_gain(plan, 4.0, measured, [(5.0, -16.1)], SPEC) is None


def test_fade_chain_never_longer_than_a_quarter() -> None:
    assert fade_chain(0.04) == ["afade=t=in:st=0:d=0.0100", "afade=t=out:st=0.0300:d=0.0100"]
    assert fade_chain(0) == []


def test_chimes_frame_every_item_at_the_same_loudness(make_tone, tmp_path: Path) -> None:
    speech = make_tone("tin.wav", seconds=2.0, amplitude=0.05)
    intro = make_tone("nhac-hieu.wav", seconds=0.8, amplitude=0.6)
    outro = make_tone("ket.wav", seconds=0.5, amplitude=0.3)
    plain = master(speech, tmp_path / "plain.mp3", MasteringSpec())
    spec = MasteringSpec(intro=str(intro), outro=str(outro), chime_gap_s=0.3)
    framed = master(speech, tmp_path / "framed.mp3", spec)
    # intro 0.8 + gap 0.3 + item + gap 0.3 + outro 0.5, measured on the file written
    assert framed.duration_s == pytest.approx(plain.duration_s + 1.9, abs=0.15)
    assert framed.loudness_lufs == pytest.approx(-16.0, abs=1.0)
    assert ffmpeg.measure_loudness(framed.path).true_peak_db <= -1.0 + 0.3
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".chimes-")]


def test_a_missing_chime_is_a_clear_error(make_tone, tmp_path: Path) -> None:
    speech = make_tone("tin.wav", seconds=1.0)
    spec = MasteringSpec(intro=str(tmp_path / "khong-co.mp3"))
    with pytest.raises(AudioError) as failed:
        master(speech, tmp_path / "x.mp3", spec)
    assert "nhạc hiệu" in failed.value.user_message
    assert not (tmp_path / "x.mp3").exists()
