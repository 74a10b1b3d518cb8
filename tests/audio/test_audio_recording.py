"""audio.recording: validating and mastering uploaded human recordings."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from audio.errors import AudioInputError
from audio.recording import (
    NOT_AUDIO_MESSAGE,
    SILENT_MESSAGE,
    clipped_fraction,
    format_duration_vi,
    is_accepted_format,
    master_recording,
    too_long_message,
)
from audio.sound import files
from audio.sound.mastering import MasteringSpec
from tests.audio import ffmpeg_reference

SPEC = MasteringSpec()


def test_wav_tone_is_accepted_and_mastered(make_tone, cache_dir: Path) -> None:
    src = make_tone("giong-noi.wav", seconds=2.0, amplitude=0.05, lead_s=0.5, tail_s=0.5)
    result = master_recording(src, cache_dir, SPEC, max_duration_s=600)
    assert result.engine == "recording"
    assert (result.voice, result.speed, result.spoken_text) == ("", 1.0, "")
    assert (result.from_cache, result.fallback, result.failures) == (False, False, ())
    assert result.path == cache_dir / f"{hashlib.sha256(src.read_bytes()).hexdigest()}.wav"
    assert result.sha256 == hashlib.sha256(result.path.read_bytes()).hexdigest()
    info = files.probe(result.path)
    assert (info.codec, info.channels, info.sample_rate) == ("pcm_s16le", 1, SPEC.sample_rate)
    # 2 s of tone and at most 80 ms kept either side of it.
    assert 1.99 <= result.duration_s <= 2.0 + 2 * 0.08 + 0.005
    assert result.duration_s == pytest.approx(info.duration_s, abs=1e-3)
    # Measured independently of what master_recording reported.
    measured = ffmpeg_reference.measure_loudness(result.path)
    assert measured.integrated_lufs == pytest.approx(SPEC.target_lufs, abs=1.0)
    assert measured.true_peak_db <= SPEC.true_peak_db + 0.3
    assert result.loudness_lufs == pytest.approx(measured.integrated_lufs, abs=0.3)

    again = master_recording(src, cache_dir, SPEC, max_duration_s=600)
    assert again.from_cache is True
    assert again.sha256 == result.sha256


@pytest.mark.parametrize(
    ("name", "codec"), [("a.m4a", "aac"), ("a.ogg", "libvorbis"), ("a.mp3", "libmp3lame")]
)
def test_other_containers_are_accepted(
    make_tone, transcode, cache_dir: Path, name: str, codec: str
) -> None:
    path = transcode(make_tone(seconds=1.0), name, codec)
    result = master_recording(path, cache_dir, SPEC)
    assert result.duration_s > 0.9
    assert ffmpeg_reference.measure_loudness(result.path).integrated_lufs == pytest.approx(
        SPEC.target_lufs, abs=1.0
    )


def test_text_file_renamed_mp3_is_refused(tmp_path: Path, cache_dir: Path) -> None:
    fake = tmp_path / "ghi-am.mp3"
    fake.write_text("Đây không phải là âm thanh.\n" * 20, encoding="utf-8")
    with pytest.raises(AudioInputError) as excinfo:
        master_recording(fake, cache_dir, SPEC)
    assert excinfo.value.user_message == NOT_AUDIO_MESSAGE
    assert list(cache_dir.iterdir()) == []


@pytest.mark.parametrize(
    "content",
    [
        b"#EXTM3U\n#EXTINF:10.0,\nhttp://203.0.113.7/leak.ts\n#EXT-X-ENDLIST\n",
        b"ffconcat version 1.0\nfile '/etc/passwd'\n",
    ],
)
def test_playlist_upload_is_refused_before_any_subprocess(
    tmp_path: Path, cache_dir: Path, subprocesses, content: bytes
) -> None:
    upload = tmp_path / "ghi-am.mp3"
    upload.write_bytes(content)
    subprocesses.forbid()
    with pytest.raises(AudioInputError) as excinfo:
        master_recording(upload, cache_dir, SPEC)
    assert excinfo.value.user_message == NOT_AUDIO_MESSAGE
    assert list(cache_dir.iterdir()) == []


def test_phone_recording_costs_one_probe_and_one_decode(
    make_tone, transcode, cache_dir: Path, subprocesses
) -> None:
    m4a = transcode(make_tone("goc.wav", seconds=2.0, amplitude=0.3), "dien-thoai.m4a", "aac")
    runs = subprocesses.record()
    result = master_recording(m4a, cache_dir, SPEC)
    # ffprobe named the codec, so decoding needs no second probe.
    assert runs == ["ffprobe", "ffmpeg"]
    assert result.duration_s == pytest.approx(2.0, abs=0.1)


def test_empty_file_is_refused(tmp_path: Path, cache_dir: Path) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(AudioInputError) as excinfo:
        master_recording(empty, cache_dir, SPEC)
    assert excinfo.value.user_message == NOT_AUDIO_MESSAGE


def test_silence_is_refused(make_silence, cache_dir: Path) -> None:
    with pytest.raises(AudioInputError) as excinfo:
        master_recording(make_silence("im-lang.wav", 3.0), cache_dir, SPEC)
    assert excinfo.value.user_message == SILENT_MESSAGE
    assert list(cache_dir.iterdir()) == []


def test_near_silence_is_refused(make_tone, cache_dir: Path) -> None:
    hum = make_tone("hum.wav", seconds=2.0, amplitude=0.0003)  # about -74 LUFS
    with pytest.raises(AudioInputError) as excinfo:
        master_recording(hum, cache_dir, SPEC)
    assert excinfo.value.user_message == SILENT_MESSAGE


def test_too_short_is_refused(make_tone, cache_dir: Path) -> None:
    with pytest.raises(AudioInputError) as excinfo:
        master_recording(make_tone(seconds=0.3), cache_dir, SPEC)
    assert "ngắn" in excinfo.value.user_message


def test_too_long_is_refused_with_limit_in_message(make_tone, cache_dir: Path) -> None:
    src = make_tone(seconds=3.0, channels=1, sample_rate=8000)
    with pytest.raises(AudioInputError) as excinfo:
        master_recording(src, cache_dir, SPEC, max_duration_s=2.0)
    message = excinfo.value.user_message
    assert "3 giây" in message
    assert "giới hạn 2 giây" in message
    assert list(cache_dir.iterdir()) == []


def test_duration_formatting() -> None:
    assert format_duration_vi(45) == "45 giây"
    assert format_duration_vi(600) == "10 phút"
    assert format_duration_vi(125.4) == "2 phút 5 giây"
    assert too_long_message(600.2, 600) == "Bản ghi dài 10 phút 1 giây, vượt quá giới hạn 10 phút."


def test_accepted_formats() -> None:
    assert is_accepted_format("mov,mp4,m4a,3gp,3g2,mj2")
    assert is_accepted_format("ogg")
    assert is_accepted_format("wav")
    assert not is_accepted_format("hls")
    assert not is_accepted_format("concat")
    assert not is_accepted_format("")


def test_clipped_recording_is_refused(make_tone, cache_dir: Path) -> None:
    loud = make_tone("vo-tieng.wav", seconds=2.0, amplitude=4.0)
    with pytest.raises(AudioInputError) as refused:
        master_recording(loud, cache_dir, MasteringSpec())
    assert "vỡ tiếng" in refused.value.user_message
    assert "full scale" in refused.value.detail
    assert list(cache_dir.iterdir()) == []


def test_clipping_is_told_from_a_loud_clean_file(make_tone) -> None:
    # Measured, as in master_recording, on the decoded mono PCM at the station rate.
    clean = files.load(make_tone("sach.wav", seconds=1.0, amplitude=0.9), SPEC.sample_rate)
    assert clipped_fraction(clean) == 0
    clipped = files.load(make_tone("vo.wav", seconds=1.0, amplitude=4.0), SPEC.sample_rate)
    assert clipped_fraction(clipped) > 0.1
