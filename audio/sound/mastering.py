"""Broadcast mastering on PCM: trim, mono, EBU R128 loudness, true-peak limiting, fades, WAV.

Everything runs in-process on numpy arrays. The only subprocess is one ffmpeg decode through
pydub, and only when the source is not already a PCM WAV (audio.sound.files.load).

Loudness: one gain, from the integrated loudness (BS.1770-4, audio.sound.loudness) of the
trimmed, faded audio, then the result is measured again on the final 16-bit samples.

Peaks: a gain reduction alone can't reach the target on speech. espeak-ng peaks 19 dB over
its loudness, and -16 LUFS under a -1 dBTP ceiling leaves 15 dB, so a gain reduction would
leave it 4 dB quiet. Instead a look-ahead limiter lowers the gain only around the peaks. Its
gain is computed per ~2 ms frame (vectorised, no per-sample loop): every frame gets at least
the attenuation its peak needs, ramping in ahead of it and out after it, linear inside frames.
Limiting costs loudness, so the overall gain is fitted with the limiter in the loop: the
K-weighted energy of every frame is known from the first measurement, so the loudness after
any gain envelope is predicted without filtering again (audio.sound.loudness.gated_loudness).

True peak is 4x-oversampled, and computed only where it can matter. An interpolated value is
a weighted sum of 12 samples, so it can't exceed the largest of them by more than the sum of
|weights|: 1.92 (5.6 dB, audio.sound.loudness.overshoot_bound). When the loudest sample times
the gain is that far under the ceiling, no limiting is needed and nothing is interpolated; when
measuring, only frames within that margin of the ceiling (or of the loudest sample) are.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from audio.errors import AudioError, AudioInputError
from audio.sound import files, loudness, pcm
from audio.sound.pcm import Samples

logger = logging.getLogger(__name__)

# Anything quieter than this at the edges is room noise or digital silence, not speech.
SILENCE_THRESHOLD_DB = -50.0
# Shorter quiet stretches at the edges are part of the recording (as ffmpeg's silencedetect).
MIN_SILENCE_S = 0.1
# Kept around the detected sound so soft onsets and decays are not clipped.
EDGE_PAD_S = 0.08
# Long enough to avoid clicks on the loudspeakers, short enough not to eat a syllable.
FADE_S = 0.015
# Below this the audio is treated as silent: normalising it would just amplify noise.
SILENT_LUFS = loudness.ABSOLUTE_GATE_LUFS
# The limiter's gain moves in frames of about this length; they tile the 100 ms gating steps.
FRAME_S = 0.002
# Attenuation ramps in at most 1 dB per ms ahead of a peak (a 6 dB peak: 6 ms of look-ahead)
# and recovers at 0.1 dB per ms, close to the 5 ms attack and 60 ms release used on air.
ATTACK_DB_PER_S = 1000.0
RELEASE_DB_PER_S = 100.0
# Never limit more than this: heavier limiting would audibly distort speech.
MAX_LIMITING_DB = 6.0
# The result must be within this many LU of the target, or the gain is corrected.
LOUDNESS_TOLERANCE_LU = 0.2
MAX_CORRECTIONS = 2
# The limiter holds sample peaks this far under the ceiling, which covers most inter-sample
# overshoot; frames whose true peak still goes over are limited again, up to this many times.
INTER_SAMPLE_ALLOWANCE_DB = 0.3
MAX_PEAK_FIXES = 4
# Kept under the ceiling wherever a peak is placed on it, for 16-bit rounding.
ROUNDING_MARGIN_DB = 0.01

_SILENT_MESSAGE = "Âm thanh gần như không có tiếng."


@dataclass(frozen=True)
class MasteringSpec:
    """Target format and loudness of everything the station plays."""

    target_lufs: float = -16.0
    true_peak_db: float = -1.0
    # espeak-ng's native rate, so offline speech needs no resampling; horns don't reproduce
    # much above 8 kHz anyway.
    sample_rate: int = 22050
    # Optional chimes aired before and after every item, as file paths (strings, so the spec
    # stays JSON in the cache sidecar: changing a chime re-masters what uses it).
    intro: str = ""
    outro: str = ""
    chime_gap_s: float = 0.3


@dataclass(frozen=True)
class Mastered:
    """A mastered mono 16-bit WAV and measurements taken on the samples actually written."""

    path: Path
    sha256: str
    duration_s: float
    loudness_lufs: float
    true_peak_db: float


@dataclass(frozen=True)
class Final:
    """Mastered 16-bit samples and their measurements, before they are written."""

    samples: NDArray[np.int16]
    rate: int
    loudness_lufs: float
    true_peak_db: float

    @property
    def duration_s(self) -> float:
        """Return the exact duration: sample count over rate."""
        return len(self.samples) / self.rate


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def frame_size(rate: int) -> int:
    """Return the limiter's frame length: the divisor of a 100 ms step nearest to FRAME_S."""
    step = loudness.step_samples(rate)
    # At least the interpolator's reach, so a frame's true peak depends on its neighbours only.
    divisors = [d for d in range(6, step + 1) if step % d == 0] or [step]
    return min(divisors, key=lambda d: abs(d - rate * FRAME_S))


def trim_bounds(
    samples: Samples,
    rate: int,
    *,
    threshold_db: float = SILENCE_THRESHOLD_DB,
    min_silence_s: float = MIN_SILENCE_S,
    pad_s: float = EDGE_PAD_S,
) -> tuple[int, int] | None:
    """Return [start, end) sample indices of the audible part, or None if it is all silence."""
    threshold = 10 ** (threshold_db / 20)
    first = _first_loud(samples, threshold)
    if first is None:
        return None
    count = len(samples)
    end = count - (_first_loud(samples[::-1], threshold) or 0)
    min_silence, pad = round(min_silence_s * rate), round(pad_s * rate)
    start = max(0, first - pad) if first >= min_silence else 0
    stop = min(count, end + pad) if count - end >= min_silence else count
    return start, stop


def _first_loud(samples: Samples, threshold: float, chunk: int = 8192) -> int | None:
    """Return the index of the first sample at or above threshold in magnitude, or None."""
    # Speech starts within a few chunks of either edge: no need to scan the middle.
    for start in range(0, len(samples), chunk):
        loud = np.abs(samples[start : start + chunk]) >= threshold
        if loud.any():
            return start + int(np.argmax(loud))
    return None


def apply_fades(samples: Samples, rate: int) -> Samples:
    """Fade the first and last FADE_S in and out linearly (never more than a quarter each)."""
    length = min(round(FADE_S * rate), len(samples) // 4)
    if length <= 0:
        return samples
    ramp = np.arange(length, dtype=np.float32) / np.float32(length)
    samples[:length] *= ramp
    samples[len(samples) - length :] *= ramp[::-1]
    return samples


def prepare(samples: Samples, rate: int, name: str) -> Samples:
    """Trim silence off the edges and fade them; raise AudioInputError if nothing is audible."""
    bounds = trim_bounds(samples, rate)
    if bounds is None:
        raise AudioInputError(_SILENT_MESSAGE, f"{name}: nothing above {SILENCE_THRESHOLD_DB} dB")
    start, end = bounds
    return apply_fades(samples[start:end].copy(), rate)


# --------------------------------------------------------------------------- limiter


def limiter_attenuation(
    required_db: NDArray[np.float64], attack_db: float, release_db: float
) -> NDArray[np.float64]:
    """Return attenuation (dB) at each frame boundary, given each frame's required attenuation.

    Attenuation rises at most attack_db per frame before a frame that needs it and falls at
    most release_db per frame after it. Both neighbours of a boundary get at least its value,
    so linear ramps between boundaries give every frame at least what it requires.
    """
    index = np.arange(len(required_db), dtype=np.float64)
    # The largest of required[j] - slope * distance(j, k): a running max after a shift.
    released = np.maximum.accumulate(required_db + release_db * index) - release_db * index
    reversed_attack = (required_db - attack_db * index)[::-1]
    attacked = np.maximum.accumulate(reversed_attack)[::-1] + attack_db * index
    per_frame = np.maximum(released, attacked)
    boundary = np.empty(len(per_frame) + 1, dtype=np.float64)
    boundary[0], boundary[-1] = per_frame[0], per_frame[-1]
    np.maximum(per_frame[:-1], per_frame[1:], out=boundary[1:-1])
    return np.maximum(boundary, 0.0)


def frames_of(samples: Samples, frame: int) -> NDArray[np.float32]:
    """Return samples zero-padded to whole frames, shaped (frames, frame)."""
    frames = -(-len(samples) // frame)
    padded = np.zeros(frames * frame, dtype=np.float32)
    padded[: len(samples)] = samples
    return padded.reshape(frames, frame)


def apply_envelope(
    framed: NDArray[np.float32], gains: NDArray[np.float64], rows: NDArray[np.intp] | None = None
) -> NDArray[np.float32]:
    """Return framed samples times gains given at frame boundaries, linear in between.

    rows limits the work to some frames (the result then has just those rows).
    """
    first, second = gains[:-1], gains[1:]
    if rows is not None:
        framed, first, second = framed[rows], first[rows], second[rows]
    ramp = np.arange(framed.shape[1], dtype=np.float32) / np.float32(framed.shape[1])
    envelope = np.multiply((second - first).astype(np.float32)[:, None], ramp)
    envelope += first.astype(np.float32)[:, None]
    envelope *= framed
    result: NDArray[np.float32] = envelope
    return result


def round_to_pcm(scaled: NDArray[np.float32]) -> tuple[NDArray[np.int16], Samples]:
    """Round samples already scaled to 16-bit units; return them and their float values.

    Works in place on scaled, which becomes the float (1.0 = full scale) copy of the result.
    """
    np.rint(scaled, out=scaled)
    np.clip(scaled, -pcm.FULL_SCALE, pcm.FULL_SCALE - 1, out=scaled)
    out = scaled.astype(np.int16).ravel()
    scaled *= np.float32(1 / pcm.FULL_SCALE)
    return out, scaled.ravel()


@dataclass
class _Limiter:
    """Predicts loudness and builds gain envelopes for one signal, frame by frame."""

    energy: NDArray[np.float64]  # K-weighted energy of each whole frame
    peaks_db: NDArray[np.float64]  # each frame's peak relative to the limiter's aim, in dB
    frame: int
    rate: int

    def gains(
        self, gain_db: float, extra_db: NDArray[np.float64] | None = None
    ) -> NDArray[np.float64]:
        """Return the linear gain at every frame boundary for an overall gain."""
        required = np.maximum(self.peaks_db + gain_db, 0.0)
        if extra_db is not None:
            required += extra_db
        frame_s = self.frame / self.rate
        attenuation = limiter_attenuation(
            required, ATTACK_DB_PER_S * frame_s, RELEASE_DB_PER_S * frame_s
        )
        gains: NDArray[np.float64] = 10 ** ((gain_db - attenuation) / 20)
        return gains

    def predict(self, gains: NDArray[np.float64]) -> float:
        """Return the predicted integrated loudness after applying boundary gains."""
        first, second = gains[: len(self.energy)], gains[1 : len(self.energy) + 1]
        # Mean square of a linear ramp from first to second.
        mean_square = (first * first + first * second + second * second) / 3
        return loudness.gated_loudness(self.energy * mean_square, self.frame, self.rate)

    def fit(self, target_lufs: float, low_db: float, high_db: float) -> float:
        """Return the overall gain (dB) whose predicted loudness is target, within [low, high]."""
        return _solve(lambda g: self.predict(self.gains(g)) - target_lufs, low_db, high_db)


def _solve(error: Callable[[float], float], low: float, high: float) -> float:
    """Return x in [low, high] where the increasing function error crosses zero (Illinois)."""
    f_low, f_high = error(low), error(high)
    if f_low >= 0:
        return low
    if f_high <= 0:
        return high
    side = 0
    x = low
    for _ in range(30):
        x = high - f_high * (high - low) / (f_high - f_low)
        f_x = error(x)
        if abs(f_x) < 0.02:
            break
        if f_x > 0:
            high, f_high = x, f_x
            if side == 1:
                f_low /= 2
            side = 1
        else:
            low, f_low = x, f_x
            if side == -1:
                f_high /= 2
            side = -1
    return x


# --------------------------------------------------------------------------- normalising


def normalise(samples: Samples, spec: MasteringSpec, name: str) -> Final:
    """Bring prepared samples to the target loudness under the true-peak ceiling, and measure."""
    rate = spec.sample_rate
    frame = frame_size(rate)
    ceiling = 10 ** (spec.true_peak_db / 20)
    energy = loudness.weighted_energy(samples, rate, frame)
    measured = loudness.gated_loudness(energy, frame, rate)
    if not math.isfinite(measured):
        # Shorter than one 400 ms gating block (or under the -70 LUFS gate): R128 can't
        # measure it, so match the peak instead.
        peak = loudness.true_peak(samples)
        if peak <= 0:
            raise AudioInputError(_SILENT_MESSAGE, f"{name}: no signal at all")
        # A hair under the ceiling, so rounding to 16 bits can't tip it over.
        gain = ceiling / peak * 10 ** (-ROUNDING_MARGIN_DB / 20)
        return _measure(*round_to_pcm(samples * np.float32(gain * pcm.FULL_SCALE)), spec)

    first_db = spec.target_lufs - measured
    peaks = loudness.frame_peaks(samples, frame)
    # An interpolated value never exceeds the samples around it by more than the overshoot
    # bound (5.6 dB), so below this no true peak can reach the ceiling: no limiter needed.
    gain = 10 ** (first_db / 20)
    if peaks.max() * gain * loudness.overshoot_bound() <= ceiling:
        return _measure(*round_to_pcm(samples * np.float32(gain * pcm.FULL_SCALE)), spec)

    # Fitted on sample peaks a little under the ceiling; the few frames whose inter-sample
    # peaks still go over are limited again after the true peaks are measured.
    aim_db = spec.true_peak_db - INTER_SAMPLE_ALLOWANCE_DB
    with np.errstate(divide="ignore"):
        peaks_db = 20 * np.log10(peaks) - aim_db
    limiter = _Limiter(energy, peaks_db, frame, rate)
    framed = frames_of(samples, frame)
    low_db, high_db = first_db, first_db + MAX_LIMITING_DB
    gain_db = limiter.fit(spec.target_lufs, low_db, high_db)
    for attempt in range(MAX_CORRECTIONS + 1):
        final, predicted = _limit(framed, len(samples), limiter, gain_db, spec, name)
        miss = final.loudness_lufs - spec.target_lufs
        if abs(miss) <= LOUDNESS_TOLERANCE_LU or attempt == MAX_CORRECTIONS:
            break
        # The prediction ignores how a moving gain reshapes the spectrum: aim off by its error.
        logger.debug("%s: %.2f LUFS, predicted %.2f", name, final.loudness_lufs, predicted)
        goal = spec.target_lufs - (final.loudness_lufs - predicted)
        gain_db = limiter.fit(goal, low_db, high_db)
    if abs(miss) > LOUDNESS_TOLERANCE_LU:
        logger.warning(
            "%s: %.2f LUFS after limiting, %+.2f LU off", name, final.loudness_lufs, miss
        )
    return final


def _limit(
    framed: NDArray[np.float32],
    count: int,
    limiter: _Limiter,
    gain_db: float,
    spec: MasteringSpec,
    name: str,
) -> tuple[Final, float]:
    """Apply gain through the limiter, keep true peaks under the ceiling, and measure.

    Returns the result and the loudness the limiter predicted for it.
    """
    frame = limiter.frame
    ceiling = 10 ** (spec.true_peak_db / 20)
    gains = limiter.gains(gain_db)
    out, signal = round_to_pcm(apply_envelope(framed, gains * pcm.FULL_SCALE))
    peaks = loudness.true_peak_frames(signal, frame, ceiling)
    extra = np.zeros(len(gains) - 1, dtype=np.float64)
    for _ in range(MAX_PEAK_FIXES):
        over = np.flatnonzero(peaks > ceiling)
        if over.size == 0:
            break
        logger.debug("%s: %d frames over the ceiling; limiting them again", name, over.size)
        # A hair more than the excess, so they land under the ceiling, not on it.
        extra[over] += 20 * np.log10(peaks[over] / ceiling) + ROUNDING_MARGIN_DB
        changed = limiter.gains(gain_db, extra)
        rows = np.flatnonzero((changed[:-1] != gains[:-1]) | (changed[1:] != gains[1:]))
        gains = changed
        redone, redone_signal = round_to_pcm(apply_envelope(framed, gains * pcm.FULL_SCALE, rows))
        out.reshape(-1, frame)[rows] = redone.reshape(-1, frame)
        signal.reshape(-1, frame)[rows] = redone_signal.reshape(-1, frame)
        # Inter-sample values near a changed frame depend on it too.
        near = np.unique(np.clip(np.concatenate([rows - 1, rows, rows + 1]), 0, len(peaks) - 1))
        peaks[near] = loudness.true_peak_frames(signal, frame, ceiling, only=near)[near]
    predicted = limiter.predict(gains)
    if peaks.max() > ceiling:
        # Still over after the fixes (pathological input): one scalar step cannot fail.
        scale = ceiling / peaks.max() * 10 ** (-ROUNDING_MARGIN_DB / 20) * pcm.FULL_SCALE
        out, signal = round_to_pcm(signal * np.float32(scale))
        peaks = loudness.true_peak_frames(signal, frame)
    return _measure(out[:count], signal[:count], spec, peaks=peaks), predicted


def _measure(
    out: NDArray[np.int16],
    signal: Samples,
    spec: MasteringSpec,
    *,
    peaks: NDArray[np.float64] | None = None,
) -> Final:
    """Measure the final samples (signal is out as float): loudness and, unless given, peak."""
    rate = spec.sample_rate
    if peaks is None:
        peaks = loudness.true_peak_frames(signal, frame_size(rate))
    step = loudness.step_samples(rate)
    lufs = loudness.gated_loudness(loudness.weighted_energy(signal, rate, step), step, rate)
    return Final(
        samples=out,
        rate=rate,
        loudness_lufs=lufs,
        true_peak_db=loudness.to_db(float(peaks.max()) if len(peaks) else 0.0),
    )


# --------------------------------------------------------------------------- files


def master_samples(samples: Samples, dst: Path, spec: MasteringSpec, *, name: str) -> Mastered:
    """Master mono samples at spec.sample_rate (with the spec's chimes) into a WAV at dst."""
    if spec.intro or spec.outro:
        final = _with_chimes(samples, spec, name)
    else:
        final = normalise(prepare(samples, spec.sample_rate, name), spec, name)
    digest = pcm.write_wav(dst, final.samples, final.rate)
    logger.debug(
        "mastered %s -> %s: %.2f s, %.1f LUFS, %.1f dBTP",
        name,
        dst.name,
        final.duration_s,
        final.loudness_lufs,
        final.true_peak_db,
    )
    return Mastered(
        path=dst,
        sha256=digest,
        duration_s=final.duration_s,
        loudness_lufs=final.loudness_lufs,
        true_peak_db=final.true_peak_db,
    )


def master(src: Path, dst: Path, spec: MasteringSpec) -> Mastered:
    """Trim, downmix, loudness-normalise and write src as a mono 16-bit WAV at dst, atomically."""
    return master_samples(files.load(src, spec.sample_rate), dst, spec, name=src.name)


def _with_chimes(samples: Samples, spec: MasteringSpec, name: str) -> Final:
    """Master the item and the chimes alike, join them with gaps, and normalise the whole."""
    bare = replace(spec, intro="", outro="")
    rate = spec.sample_rate
    parts: list[NDArray[np.int16]] = []
    for role, chime in (("intro", spec.intro), ("item", ""), ("outro", spec.outro)):
        if role == "item":
            audio, label = samples, name
        elif chime:
            chime_path = Path(chime)
            if not chime_path.is_file():
                raise AudioError(
                    f"Không tìm thấy tệp nhạc hiệu {chime_path.name}.",
                    f"{role} chime {chime_path} does not exist",
                )
            audio, label = files.load_own(chime_path, rate), chime_path.name
        else:
            continue
        parts.append(normalise(prepare(audio, rate, label), bare, label).samples)
    gap = np.zeros(round(spec.chime_gap_s * rate), dtype=np.int16)
    joined = np.concatenate([piece for part in parts for piece in (gap, part)][1:])
    # Joining shifts the integrated loudness a little; one more gain step brings the whole back
    # to the target, with the limiter if the chimes' peaks need it.
    return normalise(pcm.from_int16(joined), bare, name)
