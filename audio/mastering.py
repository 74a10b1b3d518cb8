"""Broadcast mastering: trim, mono, EBU R128 loudness, fades, MP3.

Loudness is normalised in two passes: measure the trimmed audio (EBU R128 integrated loudness
and true peak), then apply one linear gain. Only when that gain would push the true peak over
the ceiling does an oversampled limiter shave the peaks, and the gain is then re-measured and
corrected, because limiting lowers loudness a little. This stays accurate on short clips, where
ffmpeg's loudnorm in dynamic mode undershoots by a couple of LU.

The filter graphs are built by pure functions here; audio.ffmpeg runs them.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from audio import ffmpeg
from audio.errors import AudioError, AudioInputError

logger = logging.getLogger(__name__)

# Anything quieter than this at the edges is room noise or digital silence, not speech.
SILENCE_THRESHOLD_DB = -50.0
MIN_SILENCE_S = 0.1
# Kept around the detected sound so soft onsets and decays are not clipped.
EDGE_PAD_S = 0.08
# Long enough to avoid clicks on the loudspeakers, short enough not to eat a syllable.
FADE_S = 0.015
# MP3 encoding adds inter-sample overs; limiting below the target leaves room for them.
ENCODER_HEADROOM_DB = 0.5
# Limiting at 4x the sample rate catches most inter-sample peaks a true-peak meter sees.
LIMITER_OVERSAMPLING = 4
LIMITER_ATTACK_MS = 5.0
LIMITER_RELEASE_MS = 60.0
# Limiting, and even LAME at modest bitrates, lose some loudness; re-measure the encoded file
# and correct the gain until within this many LU.
LOUDNESS_TOLERANCE_LU = 0.25
MAX_CORRECTIONS = 2
# Rough share of extra gain that survives a limiter on speech, until measured.
LIMITED_GAIN_SLOPE = 0.55
# Never push more than this above the first estimate: heavy limiting would distort speech.
MAX_CORRECTION_DB = 6.0
# Below this the file is treated as silent: normalising it would just amplify noise.
SILENT_LUFS = -70.0

_SILENT_MESSAGE = "Âm thanh gần như không có tiếng."


@dataclass(frozen=True)
class MasteringSpec:
    """Target format and loudness of everything the station plays."""

    target_lufs: float = -16.0
    true_peak_db: float = -1.0
    sample_rate: int = 44100
    bitrate: str = "128k"
    # Optional chimes aired before and after every item, as file paths (strings, so the spec
    # stays JSON in the cache sidecar: changing a chime re-masters what uses it).
    intro: str = ""
    outro: str = ""
    chime_gap_s: float = 0.3


@dataclass(frozen=True)
class Mastered:
    """A mastered MP3 and measurements taken on the file actually written."""

    path: Path
    sha256: str
    duration_s: float
    loudness_lufs: float
    true_peak_db: float


@dataclass(frozen=True)
class GainPlan:
    """Gain to apply and whether peaks must be limited to stay under the ceiling."""

    gain_db: float
    limit: bool


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def trim_bounds(
    scan: ffmpeg.SilenceScan, *, pad_s: float = EDGE_PAD_S
) -> tuple[float, float] | None:
    """Return (start, end) seconds of the audible part, or None if it is all silence."""
    start, end = 0.0, scan.duration_s
    # Edge tolerance absorbs silencedetect's timestamp rounding.
    tolerance = 0.01
    silences = scan.silences
    if silences and silences[0].start_s <= tolerance:
        start = silences[0].end_s
    if silences and silences[-1].end_s >= scan.duration_s - tolerance:
        end = min(end, silences[-1].start_s)
    if end - start <= 0.0:
        return None
    return max(0.0, start - pad_s), min(scan.duration_s, end + pad_s)


def ceiling_db(spec: MasteringSpec) -> float:
    """Return the true-peak ceiling used while processing, below spec for encoder overs."""
    return spec.true_peak_db - ENCODER_HEADROOM_DB


def plan_gain(measured: ffmpeg.Loudness, spec: MasteringSpec) -> GainPlan | None:
    """Decide the gain for a measured signal; None if it is silent."""
    if not math.isfinite(measured.true_peak_db):
        return None
    ceiling = ceiling_db(spec)
    if math.isfinite(measured.integrated_lufs) and measured.integrated_lufs > SILENT_LUFS:
        gain = spec.target_lufs - measured.integrated_lufs
        return GainPlan(gain_db=gain, limit=measured.true_peak_db + gain > ceiling)
    # Shorter than one 400 ms gating block: R128 can't measure it, so match the peak instead.
    return GainPlan(gain_db=ceiling - measured.true_peak_db, limit=False)


def corrected_gain(
    plan: GainPlan,
    first_gain_db: float,
    measured: ffmpeg.Loudness,
    history: Sequence[tuple[float, float]],
    spec: MasteringSpec,
) -> GainPlan | None:
    """Return a corrected plan when the encoded result missed the target, else None.

    history holds (gain_db, resulting LUFS) of the attempts so far, latest last.
    """
    gain_now, result_now = history[-1]
    if not math.isfinite(result_now):
        return None
    error = spec.target_lufs - result_now
    if abs(error) <= LOUDNESS_TOLERANCE_LU:
        return None
    # Limiting eats part of any extra gain, so follow the observed slope (secant method).
    slope = LIMITED_GAIN_SLOPE if plan.limit else 1.0
    if len(history) >= 2:
        gain_before, result_before = history[-2]
        if abs(gain_now - gain_before) > 0.01 and math.isfinite(result_before):
            slope = (result_now - result_before) / (gain_now - gain_before)
    slope = min(1.0, max(0.3, slope))
    gain = min(gain_now + error / slope, first_gain_db + MAX_CORRECTION_DB)
    if abs(gain - gain_now) < 0.05:
        return None
    limit = plan.limit or measured.true_peak_db + gain > ceiling_db(spec)
    return GainPlan(gain_db=gain, limit=limit)


def base_chain(sample_rate: int) -> list[str]:
    """Return filters that downmix to mono at the target rate, in float to avoid clipping."""
    return ["aformat=sample_fmts=dbl:channel_layouts=mono", f"aresample={sample_rate}"]


def trim_chain(start_s: float, end_s: float) -> list[str]:
    """Return filters that keep only [start_s, end_s) and restart timestamps at zero."""
    return [f"atrim=start={start_s:.4f}:end={end_s:.4f}", "asetpts=PTS-STARTPTS"]


def gain_chain(plan: GainPlan, spec: MasteringSpec) -> list[str]:
    """Return filters applying the planned gain, with an oversampled limiter if needed."""
    chain = [f"volume={plan.gain_db:.3f}dB"]
    if plan.limit:
        # alimiter only accepts limits from -24 dBFS (0.0625) to 0 dBFS.
        limit = min(1.0, max(0.0625, 10 ** (ceiling_db(spec) / 20)))
        chain += [
            f"aresample={spec.sample_rate * LIMITER_OVERSAMPLING}",
            f"alimiter=limit={limit:.5f}:attack={LIMITER_ATTACK_MS:.1f}"
            f":release={LIMITER_RELEASE_MS:.1f}:level=false:latency=true",
            f"aresample={spec.sample_rate}",
        ]
    return chain


def fade_chain(duration_s: float) -> list[str]:
    """Return a short fade in and out for audio of the given duration."""
    fade = min(FADE_S, duration_s / 4)
    if fade <= 0:
        return []
    out_start = max(0.0, duration_s - fade)
    return [f"afade=t=in:st=0:d={fade:.4f}", f"afade=t=out:st={out_start:.4f}:d={fade:.4f}"]


def master(src: Path, dst: Path, spec: MasteringSpec) -> Mastered:
    """Trim, downmix, loudness-normalise and encode src to an MP3 at dst, atomically."""
    if spec.intro or spec.outro:
        return _master_with_chimes(src, dst, spec)
    info = ffmpeg.probe(src)
    timeout = ffmpeg.timeout_for(info.duration_s)
    pre = base_chain(spec.sample_rate)

    scan = ffmpeg.scan_silence(
        src,
        prefilter=pre,
        sample_rate=spec.sample_rate,
        threshold_db=SILENCE_THRESHOLD_DB,
        min_silence_s=MIN_SILENCE_S,
        timeout_s=timeout,
    )
    bounds = trim_bounds(scan)
    if bounds is None:
        raise AudioInputError(
            _SILENT_MESSAGE, f"{src.name}: nothing above {SILENCE_THRESHOLD_DB} dB"
        )
    start, end = bounds
    trimmed = [*pre, *trim_chain(start, end)]
    fades = fade_chain(end - start)

    measured = ffmpeg.measure_loudness(src, chain=trimmed, timeout_s=timeout)
    plan = plan_gain(measured, spec)
    if plan is None:
        raise AudioInputError(_SILENT_MESSAGE, f"{src.name}: true peak is {measured.true_peak_db}")
    first_gain = plan.gain_db

    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.{uuid.uuid4().hex}.tmp")
    history: list[tuple[float, float]] = []
    try:
        for attempt in range(MAX_CORRECTIONS + 1):
            ffmpeg.encode_mp3(
                src,
                tmp,
                chain=[*trimmed, *gain_chain(plan, spec), *fades],
                sample_rate=spec.sample_rate,
                bitrate=spec.bitrate,
                timeout_s=timeout,
            )
            loudness = ffmpeg.measure_loudness(tmp, timeout_s=timeout)
            history.append((plan.gain_db, loudness.integrated_lufs))
            retry = corrected_gain(plan, first_gain, measured, history, spec)
            if retry is None or attempt == MAX_CORRECTIONS:
                break
            logger.debug(
                "%s: %.2f LUFS after encoding, retrying with %.2f dB",
                src.name,
                loudness.integrated_lufs,
                retry.gain_db,
            )
            plan = retry
        result = ffmpeg.probe(tmp)
        digest = sha256_file(tmp)
        # Renaming within one directory is atomic, so readers never see a half-written file.
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)

    if loudness.true_peak_db > spec.true_peak_db:
        logger.warning(
            "%s: true peak %.2f dBTP is above the %.2f ceiling after encoding",
            dst.name,
            loudness.true_peak_db,
            spec.true_peak_db,
        )
    logger.debug(
        "mastered %s -> %s: gain %.2f dB%s, %.2f s, %.1f LUFS, %.1f dBTP",
        src.name,
        dst.name,
        plan.gain_db,
        " limited" if plan.limit else "",
        result.duration_s,
        loudness.integrated_lufs,
        loudness.true_peak_db,
    )
    return Mastered(
        path=dst,
        sha256=digest,
        duration_s=result.duration_s,
        loudness_lufs=loudness.integrated_lufs,
        true_peak_db=loudness.true_peak_db,
    )


def _master_with_chimes(src: Path, dst: Path, spec: MasteringSpec) -> Mastered:
    """Master src and the chimes alike, then join them: intro, item, outro."""
    bare = replace(spec, intro="", outro="")
    dst.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=dst.parent, prefix=".chimes-"))
    try:
        parts: list[Path] = []
        for role, chime in (("intro", spec.intro), ("item", ""), ("outro", spec.outro)):
            if role == "item":
                parts.append(master(src, work / "item.mp3", bare).path)
            elif chime:
                chime_path = Path(chime)
                if not chime_path.is_file():
                    raise AudioError(
                        f"Không tìm thấy tệp nhạc hiệu {chime_path.name}.",
                        f"{role} chime {chime_path} does not exist",
                    )
                parts.append(master(chime_path, work / f"{role}.mp3", bare).path)
        joined = work / "joined.wav"
        ffmpeg.join_with_pauses(
            parts,
            [spec.chime_gap_s] * (len(parts) - 1),
            joined,
            sample_rate=spec.sample_rate,
            timeout_s=ffmpeg.timeout_for(sum(ffmpeg.probe(p).duration_s for p in parts)),
        )
        tmp = work / "out.mp3"
        timeout = ffmpeg.timeout_for(ffmpeg.probe(joined).duration_s)
        # Joining and re-encoding shifts loudness a little; one more gain step brings the whole
        # back to the target, with the limiter if the chimes' peaks need it.
        plan = plan_gain(ffmpeg.measure_loudness(joined, timeout_s=timeout), bare)
        ffmpeg.encode_mp3(
            joined, tmp, chain=gain_chain(plan, bare) if plan else [],
            sample_rate=spec.sample_rate, bitrate=spec.bitrate, timeout_s=timeout,
        )  # fmt: skip
        loudness = ffmpeg.measure_loudness(tmp, timeout_s=timeout)
        result = ffmpeg.probe(tmp)
        digest = sha256_file(tmp)
        os.replace(tmp, dst)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Mastered(
        path=dst,
        sha256=digest,
        duration_s=result.duration_s,
        loudness_lufs=loudness.integrated_lufs,
        true_peak_db=loudness.true_peak_db,
    )
