"""ITU-R BS.1770-4 / EBU R128 measurement on numpy arrays: integrated loudness and true peak.

Signals are mono float arrays in [-1, 1) at any sample rate. Loudness is computed from
per-frame sums of the K-weighted signal's squares, so the mastering limiter can predict the
loudness of a gain envelope without filtering again (see `gated_loudness`).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import scipy.ndimage
import scipy.signal
from numpy.typing import NDArray

FloatArray = NDArray[np.float32] | NDArray[np.float64]

ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
# Gating blocks are 400 ms long and start every 100 ms (75 % overlap).
STEP_S = 0.1
STEPS_PER_BLOCK = 4
# BS.1770's constant, so that a 997 Hz sine at 0 dBFS reads -3.01 LUFS.
_LUFS_OFFSET = -0.691
# K-weighting works through 1.6 s at a time (about 0.3 MB of float64 at 22.05 kHz).
_CHUNK_STEPS = 16

OVERSAMPLING = 4
# 12 taps per phase, like the BS.1770-4 Annex 2 interpolator; Kaiser beta as resample_poly.
_TAPS_PER_PHASE = 12
_KAISER_BETA = 5.0
# Frames over which true-peak candidates are found; a frame is about 1.5 ms at 22.05 kHz.
_PEAK_FRAME = 32


def step_samples(rate: int) -> int:
    """Return the samples in one 100 ms gating step at this rate."""
    return max(1, round(rate * STEP_S))


@functools.lru_cache(maxsize=8)
def k_weighting(rate: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return (b, a) of the K-weighting filter (shelf then RLB high-pass) at this rate."""
    # libebur128's analog prototypes through a prewarped bilinear transform: at 48 kHz this
    # reproduces the coefficients tabulated in BS.1770-4, and it stays correct at other rates.
    k = math.tan(math.pi * 1681.974450955533 / rate)
    q = 0.7071752369554196
    vh = 10 ** (3.999843853973347 / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf_b = np.array([vh + vb * k / q + k * k, 2 * (k * k - vh), vh - vb * k / q + k * k]) / a0
    shelf_a = np.array([1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0])
    k = math.tan(math.pi * 38.13547087602444 / rate)
    q = 0.5003270373238773
    a0 = 1 + k / q + k * k
    highpass_b = np.array([1.0, -2.0, 1.0])
    highpass_a = np.array([1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0])
    # One 4th-order section filters faster than two biquads and float64 keeps it exact enough.
    return np.convolve(shelf_b, highpass_b), np.convolve(shelf_a, highpass_a)


def weighted_energy(samples: FloatArray, rate: int, frame: int) -> NDArray[np.float64]:
    """Return the sums of the K-weighted signal's squares over consecutive frames.

    Only whole frames are returned; frame must divide the 100 ms step so that frames add up
    to gating steps exactly.
    """
    if step_samples(rate) % frame:
        raise ValueError(f"frame {frame} does not divide the {step_samples(rate)}-sample step")
    b, a = k_weighting(rate)
    whole = len(samples) // frame * frame
    energy = np.empty(whole // frame, dtype=np.float64)
    state = np.zeros(len(a) - 1, dtype=np.float64)
    # Filtered in pieces with the state carried over (exactly the same result), so a long
    # recording never needs float64 copies of all of its samples at once.
    chunk = _CHUNK_STEPS * step_samples(rate)
    for start in range(0, whole, chunk):
        piece = samples[start : min(start + chunk, whole)].astype(np.float64)
        weighted, state = scipy.signal.lfilter(b, a, piece, zi=state)
        np.square(weighted, out=weighted)
        energy[start // frame : (start + len(piece)) // frame] = weighted.reshape(-1, frame).sum(
            axis=1
        )
    return energy


def gated_loudness(frame_energy: NDArray[np.float64], frame: int, rate: int) -> float:
    """Return integrated loudness (LUFS) from per-frame K-weighted energies; -inf if none pass."""
    per_step = step_samples(rate) // frame
    steps = len(frame_energy) // per_step
    if steps < STEPS_PER_BLOCK:
        # Shorter than one 400 ms block: BS.1770 has nothing to gate.
        return -math.inf
    step_energy = frame_energy[: steps * per_step].reshape(steps, per_step).sum(axis=1)
    blocks = sum(
        step_energy[offset : steps - STEPS_PER_BLOCK + 1 + offset]
        for offset in range(STEPS_PER_BLOCK)
    )
    power = np.asarray(blocks, dtype=np.float64) / (STEPS_PER_BLOCK * per_step * frame)
    power = power[power > _power(ABSOLUTE_GATE_LUFS)]
    if power.size == 0:
        return -math.inf
    relative = _lufs(float(power.mean())) + RELATIVE_GATE_LU
    power = power[power > _power(relative)]
    return _lufs(float(power.mean())) if power.size else -math.inf


def integrated_loudness(samples: FloatArray, rate: int) -> float:
    """Return the integrated loudness of a mono signal in LUFS, -inf when nothing passes."""
    frame = step_samples(rate)
    return gated_loudness(weighted_energy(samples, rate, frame), frame, rate)


def _power(lufs: float) -> float:
    return float(10 ** ((lufs - _LUFS_OFFSET) / 10))


def _lufs(power: float) -> float:
    return _LUFS_OFFSET + 10 * math.log10(power) if power > 0 else -math.inf


# --------------------------------------------------------------------------- true peak


@functools.lru_cache(maxsize=1)
def interpolator() -> NDArray[np.float64]:
    """Return the 4x interpolation filter; resample_poly(x, 4, 1, window=h / 4) applies it."""
    taps = OVERSAMPLING * _TAPS_PER_PHASE + 1
    design = scipy.signal.firwin(taps, 1 / OVERSAMPLING, window=("kaiser", _KAISER_BETA))
    # Scaled so the centre tap is exactly 1: original samples pass through unchanged.
    return np.asarray(design / design[taps // 2], dtype=np.float64)


@functools.lru_cache(maxsize=1)
def _phases() -> tuple[NDArray[np.float32], ...]:
    # Phase 0 falls on the samples themselves (the windowed sinc is zero at other multiples
    # of 4), so only phases 1-3 create new, inter-sample values.
    h = interpolator()
    return tuple(h[p::OVERSAMPLING].astype(np.float32) for p in range(1, OVERSAMPLING))


@functools.lru_cache(maxsize=1)
def overshoot_bound() -> float:
    """Return the most an interpolated value can exceed the largest sample near it (ratio).

    An interpolated value is a weighted sum of 12 neighbouring samples, so it is at most the
    sum of |weights| times their largest magnitude: 1.92, or 5.6 dB, for this filter.
    """
    return float(max(np.abs(phase.astype(np.float64)).sum() for phase in _phases()))


def frame_peaks(samples: FloatArray, frame: int) -> NDArray[np.float64]:
    """Return the largest |sample| of each frame (the last one may be partial)."""
    if len(samples) == 0:
        return np.zeros(0, dtype=np.float64)
    starts = np.arange(0, len(samples), frame)
    return np.maximum.reduceat(np.abs(samples), starts).astype(np.float64)


def true_peak_frames(
    samples: FloatArray,
    frame: int,
    floor: float = math.inf,
    *,
    only: NDArray[np.intp] | None = None,
) -> NDArray[np.float64]:
    """Return each frame's 4x-oversampled peak, exact wherever it can exceed floor.

    Frames whose neighbourhood is too quiet to overshoot floor (see `overshoot_bound`) keep
    their sample peak, a lower bound that is itself below floor; the others are interpolated.
    That is what makes measuring true peak cheap: speech has few frames near its peak. floor
    is lowered to the sample peak if above it, so the largest value returned is always exact.
    only restricts the interpolation to those frames, for re-checking a few after a change.
    """
    halo = _TAPS_PER_PHASE // 2
    if frame < halo:
        raise ValueError(f"frame {frame} is shorter than the interpolator's reach {halo}")
    peaks = frame_peaks(samples, frame)
    if peaks.size == 0:
        return peaks
    floor = min(floor, float(peaks.max()))
    # A frame's inter-sample values depend on samples up to `halo` away, so on its neighbours.
    reach = peaks.copy()
    np.maximum(reach[1:], peaks[:-1], out=reach[1:])
    np.maximum(reach[:-1], peaks[1:], out=reach[:-1])
    wanted = reach * overshoot_bound() > floor
    if only is not None:
        mask = np.zeros(len(peaks), dtype=bool)
        mask[only] = True
        wanted &= mask
    candidates = np.flatnonzero(wanted)
    if candidates.size == 0:
        return peaks
    # Each candidate frame with `halo` samples either side; zeros beyond the signal's ends.
    width = frame + 2 * halo
    index = (candidates * frame - halo)[:, None] + np.arange(width)
    flat = np.take(samples, index, mode="clip").astype(np.float32, copy=False)
    if candidates[0] == 0 or (candidates[-1] + 1) * frame + halo > len(samples):
        flat[(index < 0) | (index >= len(samples))] = 0.0
    flat = flat.ravel()
    loudest: NDArray[np.float32] | None = None
    for phase in _phases():
        # origin=-1 centres the 12 taps so that values[i] lies between flat[i] and flat[i+1].
        values = scipy.ndimage.correlate1d(flat, phase, origin=-1, mode="constant")
        np.abs(values, out=values)
        loudest = values if loudest is None else np.maximum(loudest, values, out=loudest)
    assert loudest is not None
    inter = loudest.reshape(len(candidates), width)[:, halo : halo + frame].max(axis=1)
    peaks[candidates] = np.maximum(peaks[candidates], inter)
    return peaks


def true_peak(samples: FloatArray) -> float:
    """Return the 4x-oversampled true peak of a signal as a linear amplitude."""
    if len(samples) == 0:
        return 0.0
    return float(true_peak_frames(samples, _PEAK_FRAME).max())


def to_db(amplitude: float) -> float:
    """Return an amplitude ratio in decibels (-inf for zero)."""
    return 20 * math.log10(amplitude) if amplitude > 0 else -math.inf
