"""audio.sound.loudness: the numpy BS.1770 meter, checked against ffmpeg's ebur128 filter."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import scipy.signal

from audio.sound import files, loudness, pcm
from tests.audio import ffmpeg_reference

# Our meter and ffmpeg's must agree within this on every generated signal.
AGREEMENT_LU = 0.3


def _sine(freq: float, seconds: float, rate: int, amplitude: float, phase: float = 0.0):
    t = np.arange(round(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t + phase)).astype(np.float32)


def _noise(seconds: float, rate: int, amplitude: float, seed: int = 7):
    rng = np.random.default_rng(seed)
    # Brown-ish noise: speech-like spectrum, louder at low frequencies.
    white = rng.standard_normal(round(seconds * rate))
    shaped = scipy.signal.lfilter([1.0], [1.0, -0.95], white)
    return (shaped / np.max(np.abs(shaped)) * amplitude).astype(np.float32)


def _bursts(rate: int):
    # Loud and quiet passages and digital silence: exercises both gates.
    parts = [
        _sine(440, 2.0, rate, 0.3),
        np.zeros(rate, dtype=np.float32),
        _noise(1.5, rate, 0.05),
        _sine(3000, 1.0, rate, 0.01),
        np.zeros(2 * rate, dtype=np.float32),
        _noise(2.0, rate, 0.6, seed=3),
    ]
    return np.concatenate(parts)


SIGNALS = {
    "997 Hz sine": lambda rate: _sine(997, 3.0, rate, 0.5),
    "60 Hz hum (high-pass weighting)": lambda rate: _sine(60, 3.0, rate, 0.5),
    "6 kHz tone (shelf weighting)": lambda rate: _sine(6000, 3.0, rate, 0.2),
    "noise": lambda rate: _noise(4.0, rate, 0.8),
    "bursts and silence (gating)": _bursts,
}


def _write(path: Path, samples, rate: int) -> Path:
    out = np.clip(np.rint(samples * pcm.FULL_SCALE), -32768, 32767).astype(np.int16)
    pcm.write_wav(path, out, rate)
    return path


@pytest.mark.parametrize("rate", [22050, 48000])
@pytest.mark.parametrize("name", list(SIGNALS))
def test_integrated_loudness_agrees_with_ffmpeg(tmp_path: Path, name: str, rate: int) -> None:
    samples = SIGNALS[name](rate)
    path = _write(tmp_path / "signal.wav", samples, rate)
    expected = ffmpeg_reference.measure_loudness(path).integrated_lufs
    # Measured on what was written, as ffmpeg sees it.
    ours = loudness.integrated_loudness(files.load(path, rate), rate)
    assert ours == pytest.approx(expected, abs=AGREEMENT_LU)


def test_full_scale_997_hz_sine_reads_minus_3_lufs() -> None:
    # BS.1770-4: a 0 dBFS 997 Hz sine in one channel reads -3.01 LKFS.
    for rate in (22050, 44100, 48000):
        lufs = loudness.integrated_loudness(_sine(997, 2.0, rate, 1.0), rate)
        assert lufs == pytest.approx(-3.01, abs=0.05)


def test_k_weighting_matches_the_bs1770_table_at_48_khz() -> None:
    b, a = loudness.k_weighting(48000)
    shelf_b = [1.53512485958697, -2.69169618940638, 1.19839281085285]
    shelf_a = [1.0, -1.69065929318241, 0.73248077421585]
    highpass_b = [1.0, -2.0, 1.0]
    highpass_a = [1.0, -1.99004745483398, 0.99007225036621]
    assert b == pytest.approx(np.convolve(shelf_b, highpass_b), abs=1e-6)
    assert a == pytest.approx(np.convolve(shelf_a, highpass_a), abs=1e-6)


def test_silence_and_short_clips_have_no_loudness() -> None:
    assert loudness.integrated_loudness(np.zeros(22050 * 2, dtype=np.float32), 22050) == -math.inf
    # Shorter than one 400 ms gating block.
    assert loudness.integrated_loudness(_sine(440, 0.3, 22050, 0.5), 22050) == -math.inf


def test_true_peak_agrees_with_ffmpeg(tmp_path: Path) -> None:
    # A quarter-rate sine sampled 45 degrees off its crests: samples sit 3 dB under the peak.
    # Tapered in and out: an abrupt onset rings in any interpolator, ffmpeg's more than ours.
    rate = 22050
    samples = _sine(rate / 4, 2.0, rate, 0.5, phase=math.pi / 4)
    taper = np.hanning(2 * 2205).astype(np.float32)
    samples[:2205] *= taper[:2205]
    samples[-2205:] *= taper[2205:]
    path = _write(tmp_path / "isp.wav", samples, rate)
    expected = ffmpeg_reference.measure_loudness(path).true_peak_db
    ours = loudness.to_db(loudness.true_peak(files.load(path, rate)))
    sample_peak = loudness.to_db(float(np.max(np.abs(samples))))
    assert ours == pytest.approx(expected, abs=0.1)
    assert ours == pytest.approx(loudness.to_db(0.5), abs=0.05)
    assert ours - sample_peak == pytest.approx(3.01, abs=0.05)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pruned_true_peak_equals_full_oversampling(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rate = 22050
    # Speech-like: quiet most of the time, with a few loud bursts.
    samples = _noise(3.0, rate, 0.05, seed=seed)
    for start in rng.integers(0, len(samples) - 2000, size=5):
        samples[start : start + 2000] *= 15
    full = scipy.signal.resample_poly(samples, 4, 1, window=loudness.interpolator() / 4)
    assert loudness.true_peak(samples) == pytest.approx(float(np.max(np.abs(full))), rel=1e-5)


def test_frames_that_could_reach_the_floor_are_exact() -> None:
    rate = 22050
    samples = _noise(2.0, rate, 0.7)
    frame = 45
    floor = 0.3
    peaks = loudness.true_peak_frames(samples, frame, floor)
    full = scipy.signal.resample_poly(samples, 4, 1, window=loudness.interpolator() / 4)
    # Oversampled output m is sample m/4 (the filter is centred), so frame k spans 4*frame.
    padded = np.zeros(len(peaks) * frame * 4)
    padded[: len(full)] = np.abs(full)
    exact = padded.reshape(len(peaks), frame * 4).max(axis=1)
    near = exact > floor
    assert near.any()
    # Exact where it matters; elsewhere a lower bound that is itself under the floor.
    assert peaks[near] == pytest.approx(exact[near], rel=1e-4, abs=1e-6)
    assert np.all(peaks[~near] <= floor + 1e-9)
    assert loudness.overshoot_bound() == pytest.approx(1.916, abs=0.01)


def test_chunked_k_weighting_equals_one_pass() -> None:
    rate = 22050
    samples = _bursts(rate)  # 8.5 s: several 1.6 s chunks
    b, a = loudness.k_weighting(rate)
    weighted = scipy.signal.lfilter(b, a, samples.astype(np.float64))
    frame = 45
    whole = len(samples) // frame * frame
    expected = np.square(weighted[:whole]).reshape(-1, frame).sum(axis=1)
    assert loudness.weighted_energy(samples, rate, frame) == pytest.approx(expected, rel=1e-9)
