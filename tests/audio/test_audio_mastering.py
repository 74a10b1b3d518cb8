"""audio.sound.mastering: the broadcast chain on generated audio, measured by ffmpeg's meter."""

from __future__ import annotations

import hashlib
import math
import wave
from pathlib import Path

import numpy as np
import pytest

from audio.engines.espeak import EspeakEngine
from audio.errors import AudioError, AudioInputError
from audio.sound import files
from audio.sound.mastering import (
    Mastered,
    MasteringSpec,
    apply_envelope,
    apply_fades,
    frame_size,
    limiter_attenuation,
    master,
    trim_bounds,
)
from tests.audio import ffmpeg_reference

SPEC = MasteringSpec()
# ffmpeg meters true peak on its own 48 kHz resampling at 4x; ours is 4x at the station rate.
PEAK_TOLERANCE_DB = 0.3
SPEECH = (
    "Thông báo khẩn: bão số ba đang tiến vào đất liền. Đề nghị bà con neo đậu tàu thuyền, "
    "gia cố nhà cửa và không ra khơi cho đến khi có thông báo mới của ủy ban nhân dân phường."
)


def _amplitude_for_lufs(lufs: float) -> float:
    # 440 Hz mono sine: amplitude 1.0 measures about -3.7 LUFS (K-weighting is ~flat there).
    return 10 ** ((lufs + 3.7) / 20)


def _frames(path: Path) -> tuple[int, int, int, int]:
    with wave.open(str(path), "rb") as wav:
        return wav.getnchannels(), wav.getsampwidth(), wav.getframerate(), wav.getnframes()


def _assert_broadcast_ready(result: Mastered, spec: MasteringSpec) -> None:
    info = files.probe(result.path)
    assert (info.codec, info.channels, info.sample_rate) == ("pcm_s16le", 1, spec.sample_rate)
    channels, width, rate, frames = _frames(result.path)
    assert (channels, width, rate) == (1, 2, spec.sample_rate)
    # The duration is the sample count over the rate, exactly.
    assert result.duration_s == frames / rate
    assert result.duration_s == pytest.approx(info.duration_s, abs=1e-3)
    assert result.sha256 == hashlib.sha256(result.path.read_bytes()).hexdigest()
    # Measured independently by ffmpeg's EBU R128 meter on the file written.
    loudness = ffmpeg_reference.measure_loudness(result.path)
    assert loudness.integrated_lufs == pytest.approx(spec.target_lufs, abs=1.0)
    assert loudness.true_peak_db <= spec.true_peak_db + PEAK_TOLERANCE_DB
    assert result.loudness_lufs == pytest.approx(loudness.integrated_lufs, abs=0.3)
    assert result.true_peak_db == pytest.approx(loudness.true_peak_db, abs=PEAK_TOLERANCE_DB)
    assert result.true_peak_db <= spec.true_peak_db


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a real espeak-ng bulletin: speech peaks 19 dB over its loudness, so it limits."""
    path = tmp_path_factory.mktemp("speech") / "ban-tin.wav"
    EspeakEngine().synthesize(SPEECH, voice="vi", speed=1.0, dst=path)
    return path


def test_espeak_speech_is_limited_to_the_ceiling_at_the_target(
    speech_wav: Path, tmp_path: Path
) -> None:
    source = ffmpeg_reference.measure_loudness(speech_wav)
    # The fixture really needs the limiter: at -16 LUFS its peaks would be over -1 dBTP.
    assert source.true_peak_db - source.integrated_lufs > 15 + 0.5
    result = master(speech_wav, tmp_path / "ban-tin.wav", SPEC)
    _assert_broadcast_ready(result, SPEC)
    assert result.loudness_lufs == pytest.approx(SPEC.target_lufs, abs=0.25)
    assert _frames(speech_wav)[3] / 22050 - result.duration_s < 1.0  # trimmed, not cut


def test_quiet_tone_is_trimmed_and_brought_up(make_tone, tmp_path: Path) -> None:
    src = make_tone(
        "quiet.wav", seconds=2.0, amplitude=_amplitude_for_lufs(-35), lead_s=1.0, tail_s=1.0
    )
    source = ffmpeg_reference.measure_loudness(src)
    assert source.integrated_lufs < -30  # the fixture really is quiet
    assert files.probe(src).duration_s == pytest.approx(4.0, abs=0.01)

    dst = tmp_path / "out" / "quiet.wav"
    result = master(src, dst, SPEC)

    assert result.path == dst
    # 2 s of tone plus at most the 80 ms kept at each edge.
    assert 1.99 <= result.duration_s <= 2.0 + 2 * 0.08 + 0.005
    _assert_broadcast_ready(result, SPEC)
    assert not list(dst.parent.glob(".*.tmp")), "temporary file left behind"


def test_loud_tone_comes_down(make_tone, tmp_path: Path) -> None:
    src = make_tone("loud.wav", seconds=2.0, amplitude=0.98, channels=1, sample_rate=22050)
    assert ffmpeg_reference.measure_loudness(src).integrated_lufs > -6
    result = master(src, tmp_path / "loud.wav", SPEC)
    _assert_broadcast_ready(result, SPEC)
    assert result.duration_s == pytest.approx(2.0, abs=1e-3)


def test_other_spec_is_honoured(make_tone, tmp_path: Path) -> None:
    spec = MasteringSpec(target_lufs=-20.0, true_peak_db=-3.0, sample_rate=16000)
    result = master(make_tone(seconds=1.5), tmp_path / "other.wav", spec)
    _assert_broadcast_ready(result, spec)


def test_mp3_input_is_decoded_once(
    speech_mp3: Path, tmp_path: Path, monkeypatch, subprocesses
) -> None:
    runs = subprocesses.record()
    result = master(speech_mp3, tmp_path / "gtts.wav", SPEC)
    assert runs == ["ffmpeg"]
    monkeypatch.undo()
    _assert_broadcast_ready(result, SPEC)


def test_pcm_wav_input_needs_no_subprocess(make_tone, tmp_path: Path, subprocesses) -> None:
    src = make_tone(seconds=1.0)
    subprocesses.forbid()
    master(src, tmp_path / "tone.wav", SPEC)


def test_short_clip_is_peak_matched(make_tone, tmp_path: Path) -> None:
    # Shorter than one 400 ms gating block: no integrated loudness, so match the peak.
    result = master(make_tone(seconds=0.3, amplitude=0.1), tmp_path / "short.wav", SPEC)
    assert result.loudness_lufs == -math.inf
    assert result.true_peak_db == pytest.approx(SPEC.true_peak_db, abs=0.05)
    assert ffmpeg_reference.measure_loudness(result.path).true_peak_db <= SPEC.true_peak_db + 0.3


def test_overwrites_existing_destination(make_tone, tmp_path: Path) -> None:
    dst = tmp_path / "x.wav"
    dst.write_bytes(b"old")
    result = master(make_tone(seconds=1.0), dst, SPEC)
    assert dst.read_bytes() != b"old"
    assert result.sha256 == hashlib.sha256(dst.read_bytes()).hexdigest()


def test_silence_is_refused(make_silence, tmp_path: Path) -> None:
    with pytest.raises(AudioInputError) as refused:
        master(make_silence("silence.wav", 2.0), tmp_path / "s.wav", SPEC)
    assert refused.value.user_message == "Âm thanh gần như không có tiếng."
    assert not (tmp_path / "s.wav").exists()


def test_not_audio_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "speech"
    fake.write_text("Đây không phải là âm thanh.\n" * 50, encoding="utf-8")
    with pytest.raises(AudioInputError):
        master(fake, tmp_path / "x.wav", SPEC)
    with pytest.raises(AudioInputError):
        master(tmp_path / "missing.wav", tmp_path / "x.wav", SPEC)
    assert not (tmp_path / "x.wav").exists()


def test_chimes_frame_every_item_at_the_same_loudness(make_tone, tmp_path: Path) -> None:
    speech = make_tone("tin.wav", seconds=2.0, amplitude=0.05)
    intro = make_tone("nhac-hieu.wav", seconds=0.8, amplitude=0.6)
    outro = make_tone("ket.wav", seconds=0.5, amplitude=0.3)
    plain = master(speech, tmp_path / "plain.wav", MasteringSpec())
    spec = MasteringSpec(intro=str(intro), outro=str(outro), chime_gap_s=0.3)
    framed = master(speech, tmp_path / "framed.wav", spec)
    # intro 0.8 + gap 0.3 + item + gap 0.3 + outro 0.5, counted in samples
    assert framed.duration_s == pytest.approx(plain.duration_s + 1.9, abs=0.005)
    _assert_broadcast_ready(framed, spec)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_missing_chime_is_a_clear_error(make_tone, tmp_path: Path) -> None:
    speech = make_tone("tin.wav", seconds=1.0)
    spec = MasteringSpec(intro=str(tmp_path / "khong-co.mp3"))
    with pytest.raises(AudioError) as failed:
        master(speech, tmp_path / "x.wav", spec)
    assert "nhạc hiệu" in failed.value.user_message
    assert not (tmp_path / "x.wav").exists()


# --------------------------------------------------------------------------- pure helpers

RATE = 22050


def _signal(*parts: tuple[float, float]) -> np.ndarray:
    """Concatenate (seconds, amplitude) stretches of a 440 Hz tone (amplitude 0: silence)."""
    pieces = []
    for seconds, amplitude in parts:
        t = np.arange(round(seconds * RATE)) / RATE
        pieces.append(amplitude * np.sin(2 * np.pi * 440 * t + 0.5))
    return np.concatenate(pieces).astype(np.float32)


def test_trim_bounds_cuts_both_edges_with_padding() -> None:
    samples = _signal((1.0, 0.0), (0.5, 0.5), (0.3, 0.0), (1.2, 0.5), (1.0, 0.0))
    start, end = trim_bounds(samples, RATE, pad_s=0.1) or (0, 0)
    assert start / RATE == pytest.approx(0.9, abs=0.002)
    assert end / RATE == pytest.approx(3.1, abs=0.002)


def test_trim_bounds_keeps_short_edge_silence_and_clean_edges() -> None:
    # Under MIN_SILENCE_S (0.1 s) of quiet at an edge is part of the sound, as before.
    samples = _signal((0.05, 0.0), (1.0, 0.5), (0.05, 0.0))
    assert trim_bounds(samples, RATE) == (0, len(samples))
    assert trim_bounds(_signal((1.0, 0.5)), RATE) == (0, RATE)


def test_trim_bounds_all_silent() -> None:
    assert trim_bounds(_signal((2.0, 0.0)), RATE) is None
    assert trim_bounds(_signal((2.0, 0.001)), RATE) is None  # -60 dB hum is silence
    assert trim_bounds(np.zeros(0, dtype=np.float32), RATE) is None


def test_fades_start_and_end_at_zero_and_never_exceed_a_quarter() -> None:
    faded = apply_fades(np.ones(RATE, dtype=np.float32), RATE)
    length = round(0.015 * RATE)
    assert faded[0] == 0.0 and faded[-1] == 0.0
    assert np.all(np.diff(faded[:length]) > 0)
    assert np.all(faded[length:-length] == 1.0)
    short = apply_fades(np.ones(40, dtype=np.float32), RATE)
    assert np.count_nonzero(short < 1.0) == 20


def test_limiter_gives_every_frame_what_it_requires() -> None:
    rng = np.random.default_rng(5)
    required = np.where(rng.random(400) < 0.05, rng.random(400) * 6, 0.0)
    attack, release = 1.5, 0.2
    boundary = limiter_attenuation(required, attack, release)
    assert len(boundary) == len(required) + 1
    # Both ends of every frame get at least what the frame needs...
    assert np.all(boundary[:-1] >= required - 1e-12)
    assert np.all(boundary[1:] >= required - 1e-12)
    # ...the gain moves no faster than the attack and release allow...
    steps = np.diff(boundary)
    assert np.all(steps <= attack + 1e-9)
    assert np.all(steps >= -release - 1e-9)
    # ...and frames far from any peak are untouched.
    assert limiter_attenuation(np.zeros(10), attack, release).tolist() == [0.0] * 11


def test_envelope_ramps_linearly_between_boundaries() -> None:
    framed = np.ones((3, 4), dtype=np.float32)
    gains = np.array([1.0, 0.5, 0.5, 1.0])
    shaped = apply_envelope(framed, gains).ravel()
    assert shaped.tolist() == pytest.approx(
        [1.0, 0.875, 0.75, 0.625, 0.5, 0.5, 0.5, 0.5, 0.5, 0.625, 0.75, 0.875]
    )
    assert apply_envelope(framed, gains, np.array([2])).ravel().tolist() == pytest.approx(
        [0.5, 0.625, 0.75, 0.875]
    )


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 24000, 44100, 48000])
def test_frames_tile_the_gating_step(rate: int) -> None:
    frame = frame_size(rate)
    assert round(rate * 0.1) % frame == 0
    assert 6 <= frame <= rate * 0.004
