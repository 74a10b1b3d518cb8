"""audio.sound.files (pydub): recognising, probing, decoding, writing; and the ffmpeg reference."""

from __future__ import annotations

import math
import wave
from pathlib import Path

import numpy as np
import pytest

from audio.errors import AudioError, AudioInputError
from audio.recording import is_accepted_format
from audio.sound import files, pcm
from tests.audio import ffmpeg_reference


def test_probe_describes_generated_wav(make_tone) -> None:
    path = make_tone(seconds=1.5, sample_rate=48000, channels=2)
    info = files.probe(path)
    assert info.codec == "pcm_s16le"
    assert info.channels == 2
    assert info.sample_rate == 48000
    assert info.duration_s == pytest.approx(1.5, abs=0.01)
    assert "wav" in info.format_name


def test_probe_rejects_text_file(tmp_path: Path) -> None:
    fake = tmp_path / "fake.mp3"
    fake.write_text("hello, this is not audio\n", encoding="utf-8")
    with pytest.raises(AudioInputError) as excinfo:
        files.probe(fake)
    assert excinfo.value.user_message == "Tệp không phải là âm thanh hợp lệ."
    assert excinfo.value.detail


def test_probe_rejects_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(AudioInputError):
        files.probe(tmp_path / "missing.wav")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(AudioInputError):
        files.probe(empty)


def test_measure_loudness_of_tone(make_tone) -> None:
    # A full-scale-ish sine has a well-known level: peak 20*log10(0.5) = -6 dB.
    loudness = ffmpeg_reference.measure_loudness(make_tone(amplitude=0.5, channels=1))
    assert loudness.true_peak_db == pytest.approx(-6.0, abs=0.3)
    assert -12 < loudness.integrated_lufs < -6


def test_measure_loudness_of_silence_is_minus_inf(make_silence) -> None:
    loudness = ffmpeg_reference.measure_loudness(make_silence("silence.wav", 1.0))
    assert loudness.integrated_lufs == -math.inf


def test_decode_pcm_returns_mono_s16le(make_tone) -> None:
    pcm = files.decode_pcm(make_tone(seconds=1.0, channels=2), sample_rate=8000)
    assert len(pcm) == pytest.approx(8000 * 2, abs=64)


def test_missing_tool_is_a_clear_audio_error(monkeypatch, make_tone) -> None:
    path = make_tone(seconds=0.5)
    monkeypatch.setattr(ffmpeg_reference, "FFMPEG", "ffmpeg-not-installed")
    with pytest.raises(AudioError) as excinfo:
        ffmpeg_reference.measure_loudness(path, timeout_s=5)
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
    loudness = ffmpeg_reference.parse_ebur128_summary(EBUR128_LOG)
    assert loudness == ffmpeg_reference.Loudness(integrated_lufs=-16.2, true_peak_db=-1.4)


def test_parse_ebur128_summary_gate_floor_means_silence() -> None:
    log = EBUR128_LOG.replace("-16.2 LUFS", "-70.0 LUFS").replace("-1.4 dBFS", "-inf dBFS")
    loudness = ffmpeg_reference.parse_ebur128_summary(log)
    assert loudness.integrated_lufs == -math.inf
    assert loudness.true_peak_db == -math.inf


def test_parse_ebur128_summary_missing() -> None:
    with pytest.raises(AudioError):
        ffmpeg_reference.parse_ebur128_summary("nothing useful")


def test_parse_silence_scan_closed_and_open_intervals() -> None:
    log = "\n".join(
        [
            "[silencedetect @ 0x1] silence_start: 0",
            "[silencedetect @ 0x1] silence_end: 1.00007 | silence_duration: 1.00007",
            "[silencedetect @ 0x1] silence_start: 2.99995",
            "[Parsed_astats_3 @ 0x2] Number of samples: 176400",
        ]
    )
    scan = ffmpeg_reference.parse_silence_scan(log, sample_rate=44100)
    assert scan.duration_s == pytest.approx(4.0)
    assert scan.silences == (
        ffmpeg_reference.Silence(0.0, 1.00007),
        ffmpeg_reference.Silence(2.99995, 4.0),
    )


def test_parse_probe_json() -> None:
    text = (
        '{"streams": [{"codec_type": "audio", "codec_name": "mp3", "sample_rate": "24000",'
        ' "channels": 1}], "format": {"format_name": "mp3", "duration": "2.5"}}'
    )
    info = files.parse_probe_json(text)
    assert info == files.ProbeInfo(2.5, "mp3", 1, 24000, "mp3")
    assert files.parse_probe_json('{"streams": [], "format": {}}') is None


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
    assert files.atempo_chain(speed) == expected


def test_atempo_chain_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        files.atempo_chain(0)


def test_change_tempo_shortens_audio(make_tone, tmp_path: Path) -> None:
    dst = tmp_path / "fast.wav"
    files.change_tempo(make_tone(seconds=2.0), dst, speed=2.0)
    assert files.probe(dst).duration_s == pytest.approx(1.0, abs=0.05)


# --------------------------------------------------------------------------- recognising

HLS_PLAYLIST = (
    b"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n"
    b"#EXTINF:10.0,\nhttp://203.0.113.7/leak.ts\n#EXT-X-ENDLIST\n"
)
CONCAT_LIST = b"ffconcat version 1.0\nfile '/etc/passwd'\n"
# An empty ID3v2.4 tag: ffmpeg's format guessing skips it and probes what follows.
EMPTY_ID3 = b"ID3\x04\x00\x00\x00\x00\x00\x00"


@pytest.mark.parametrize(
    "head",
    [
        HLS_PLAYLIST,
        CONCAT_LIST,
        b"file 'one.mp3'\nfile 'two.mp3'\n",
        b'<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011">',
        b"v=0\r\no=- 0 0 IN IP4 203.0.113.7\r\nm=audio 5004 RTP/AVP 96\r\n",
        b"RIFF\x24\x00\x00\x00AVI LIST",
        b"RF64\xff\xff\xff\xffWAVEds64",
        b"hello, this is not audio\n",
        b"\xff\xff\xff\xff",
        b"",
    ],
)
def test_identify_refuses_anything_but_audio_containers(head: bytes) -> None:
    assert files.identify(head) is None


def test_identify_reads_codec_from_headers() -> None:
    # MPEG-1 layer III, 128 kb/s, 44.1 kHz; then the same sync with layer II.
    assert files.identify(b"\xff\xfb\x90\x64") == files.Container("mp3", "mp3")
    assert files.identify(b"\xff\xfd\x90\x64") == files.Container("mp3", "mp2")
    # ADTS, AAC LC at 44.1 kHz.
    assert files.identify(b"\xff\xf1\x50\x80") == files.Container("aac", "aac")
    ogg_page = b"OggS\x00\x02" + bytes(20) + b"\x01\x13" + b"OpusHead\x01"
    assert files.identify(ogg_page) == files.Container("ogg", "opus")
    assert files.identify(b"\x00\x00\x00\x1cftypM4A ") == files.Container("mp4")
    assert files.identify(b"\x1a\x45\xdf\xa3\x9f\x42\x86") == files.Container("matroska")


@pytest.mark.parametrize(
    ("after_tag", "expected"),
    [
        (b"\xff\xfb\x90\x64", files.Container("mp3", "mp3")),
        (b"\0\0\0\xff\xfb\x90\x64", files.Container("mp3", "mp3")),
        (b"\xff\xf1\x50\x80", files.Container("aac", "aac")),
        (b"fLaC\0\0\0\x22", files.Container("flac", "flac")),
        (EMPTY_ID3 + b"\xff\xfb\x90\x64", files.Container("mp3", "mp3")),
        (b"OggS\x00\x02" + bytes(22), None),
        (HLS_PLAYLIST, None),
        (EMPTY_ID3 * 4 + b"\xff\xfb\x90\x64", None),
    ],
)
def test_sniff_looks_past_id3_tags(
    tmp_path: Path, after_tag: bytes, expected: files.Container | None
) -> None:
    path = tmp_path / "tagged.mp3"
    # An ID3v2.3 tag holding 12 bytes of padding (its size is written synchsafe).
    path.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x0c" + bytes(12) + after_tag + bytes(64))
    if expected is None:
        with pytest.raises(AudioInputError, match="after an ID3 tag"):
            files.sniff(path)
    else:
        assert files.sniff(path) == expected


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("playlist.mp3", HLS_PLAYLIST),
        ("concat.mp3", CONCAT_LIST),
        ("tagged-playlist.mp3", EMPTY_ID3 + HLS_PLAYLIST),
        ("playlist.m3u8", HLS_PLAYLIST),
    ],
)
def test_playlists_are_refused_before_ffmpeg_runs(
    tmp_path: Path, subprocesses, name: str, content: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    subprocesses.forbid()
    for read in (
        files.probe,
        lambda p: files.load(p, 22050),
        files.decode_pcm,
        lambda p: files.convert(p, tmp_path / "copy.mp3"),
        lambda p: files.change_tempo(p, tmp_path / "fast.wav", speed=1.5),
        lambda p: files.join_with_pauses([p], [], tmp_path / "joined.wav"),
    ):
        with pytest.raises(AudioInputError) as excinfo:
            read(path)
        assert excinfo.value.user_message == "Tệp không phải là âm thanh hợp lệ."
        assert "refused before ffmpeg" in excinfo.value.detail
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


# A 440 Hz tone at amplitude 0.5 on every channel: RMS 0.354 once downmixed.
SINE = "0.5*sin(2*PI*440*t)"
STEREO_TONE = f"aevalsrc={SINE}|{SINE}:s=48000:d=1"
# More than two channels make ffmpeg write WAVE_FORMAT_EXTENSIBLE, which pydub reads wrong.
THREE_CHANNEL_TONE = f"aevalsrc={SINE}|{SINE}|{SINE}:s=48000:d=1"
# (file name, encoder arguments, container, codec named by the first bytes, subprocesses a
# decode takes). PCM WAV is read in-process; mp4 and Matroska hide the codec, so ffprobe runs.
CONTAINERS = [
    ("pcm16.wav", ["-c:a", "pcm_s16le"], "wav", "pcm_s16le", []),
    ("pcm24.wav", ["-c:a", "pcm_s24le"], "wav", "pcm_s24le", []),
    ("float.wav", ["-c:a", "pcm_f32le"], "wav", "pcm_f32le", []),
    ("extensible.wav", ["-c:a", "pcm_f32le"], "wav", "pcm_f32le", []),
    ("adpcm.wav", ["-c:a", "adpcm_ms"], "wav", "adpcm_ms", ["ffmpeg"]),
    ("tagged.mp3", ["-c:a", "libmp3lame"], "mp3", "mp3", ["ffmpeg"]),
    ("bare.mp3", ["-c:a", "libmp3lame", "-id3v2_version", "0"], "mp3", "mp3", ["ffmpeg"]),
    ("layer2.mp2", ["-c:a", "mp2"], "mp3", "mp2", ["ffmpeg"]),
    ("vorbis.ogg", ["-c:a", "libvorbis"], "ogg", "vorbis", ["ffmpeg"]),
    ("opus.ogg", ["-c:a", "libopus"], "ogg", "opus", ["ffmpeg"]),
    ("voice.opus", ["-c:a", "libopus"], "ogg", "opus", ["ffmpeg"]),
    ("flac.ogg", ["-c:a", "flac"], "ogg", "flac", ["ffmpeg"]),
    ("lossless.flac", ["-c:a", "flac"], "flac", "flac", ["ffmpeg"]),
    ("adts.aac", ["-c:a", "aac"], "aac", "aac", ["ffmpeg"]),
    ("phone.m4a", ["-c:a", "aac"], "mp4", None, ["ffprobe", "ffmpeg"]),
    ("camera.mov", ["-c:a", "aac"], "mp4", None, ["ffprobe", "ffmpeg"]),
    ("browser.webm", ["-c:a", "libopus"], "matroska", None, ["ffprobe", "ffmpeg"]),
    ("audio.mka", ["-c:a", "libvorbis"], "matroska", None, ["ffprobe", "ffmpeg"]),
]


@pytest.mark.parametrize(
    ("name", "encoding", "container", "codec", "decoders"),
    CONTAINERS,
    ids=[row[0] for row in CONTAINERS],
)
def test_each_accepted_container_is_recognised_and_decoded(
    make_with_ffmpeg,
    subprocesses,
    name: str,
    encoding: list[str],
    container: str,
    codec: str | None,
    decoders: list[str],
) -> None:
    tone = THREE_CHANNEL_TONE if name == "extensible.wav" else STEREO_TONE
    path = make_with_ffmpeg(name, "-f", "lavfi", "-i", tone, *encoding)
    assert files.sniff(path) == files.Container(container, codec)
    if name == "extensible.wav":
        assert path.read_bytes()[20:22] == b"\xfe\xff"

    runs = subprocesses.record()
    samples = files.load(path, 22050)
    assert runs == decoders
    # Encoders pad a little (AAC, Vorbis); a wrong decode would be the wrong length or noise.
    assert len(samples) == pytest.approx(22050, abs=0.06 * 22050)
    middle = samples[len(samples) // 4 : len(samples) * 3 // 4]
    assert float(np.sqrt(np.mean(middle**2))) == pytest.approx(0.5 / math.sqrt(2), rel=0.05)

    # What the first bytes say agrees with what ffprobe finds, and uploads accept it.
    info = files.probe(path)
    assert codec is None or info.codec == codec
    assert is_accepted_format(info.format_name)


def test_bare_mp3_really_starts_with_a_frame(make_with_ffmpeg) -> None:
    tone = "sine=f=440:d=0.5"
    bare = make_with_ffmpeg("bare.mp3", "-f", "lavfi", "-i", tone, "-id3v2_version", "0")
    tagged = make_with_ffmpeg("tagged.mp3", "-f", "lavfi", "-i", tone)
    assert bare.read_bytes()[:2] == b"\xff\xfb"
    assert tagged.read_bytes()[:3] == b"ID3"


def test_upload_named_like_raw_pcm_is_still_decoded(speech_mp3: Path, tmp_path: Path) -> None:
    # pydub reads any *.pcm or *.raw file name as headerless PCM unless it gets no name.
    upload = tmp_path / "ghi-am.pcm"
    upload.write_bytes(speech_mp3.read_bytes())
    assert files.decode_pcm(upload, sample_rate=24000) == files.decode_pcm(
        speech_mp3, sample_rate=24000
    )


def test_video_without_audio_is_refused(make_with_ffmpeg) -> None:
    video = make_with_ffmpeg(
        "clip.mp4", "-f", "lavfi", "-i", "color=c=black:s=16x16:d=0.5", "-c:v", "mpeg4"
    )
    with pytest.raises(AudioInputError) as excinfo:
        files.probe(video)
    assert "no audio stream" in excinfo.value.detail
    with pytest.raises(AudioInputError):
        files.load(video, 22050)


def test_truncated_mp3_is_not_audio(speech_mp3: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(speech_mp3.read_bytes()[:4] + bytes(64))
    with pytest.raises(AudioInputError) as excinfo:
        files.load(broken, 22050)
    assert excinfo.value.user_message == "Tệp không phải là âm thanh hợp lệ."


# --------------------------------------------------------------------------- decoding


def test_decode_pcm_passes_16_bit_mono_through_bit_exact(make_tone) -> None:
    wav = make_tone(seconds=0.5, sample_rate=22050, channels=1)
    with wave.open(str(wav), "rb") as reader:
        frames = reader.readframes(reader.getnframes())
    assert files.decode_pcm(wav, sample_rate=22050) == frames


def test_decode_pcm_resamples_and_downmixes(make_tone) -> None:
    stereo = make_tone(seconds=1.0, sample_rate=48000, channels=2)
    raw = files.decode_pcm(stereo, sample_rate=44100)
    samples = np.frombuffer(raw, dtype="<i2")
    assert len(samples) == 44100
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    assert np.fft.rfftfreq(len(samples), 1 / 44100)[int(np.argmax(spectrum))] == pytest.approx(
        440, abs=1
    )


def test_missing_ffmpeg_is_a_clear_audio_error(
    monkeypatch, speech_mp3: Path, make_tone, tmp_path: Path
) -> None:
    monkeypatch.setattr(files, "FFMPEG", "ffmpeg-not-installed")
    with pytest.raises(AudioError) as excinfo:
        files.load(speech_mp3, 22050)
    assert "ffmpeg-not-installed not found" in excinfo.value.detail
    assert excinfo.value.user_message == "Máy chưa cài đặt ffmpeg nên không xử lý được âm thanh."
    with pytest.raises(AudioError) as excinfo:
        files.convert(make_tone(seconds=0.5), tmp_path / "copy.mp3")
    assert "not found" in excinfo.value.detail
    assert not (tmp_path / "copy.mp3").exists()


# --------------------------------------------------------------------------- writing


def test_join_keeps_exact_lengths_and_digital_silence(make_tone, tmp_path: Path) -> None:
    rate = 22050
    parts = [
        make_tone("one.wav", seconds=0.5, sample_rate=48000, channels=2),
        make_tone("two.wav", seconds=0.25, sample_rate=16000, channels=1),
        make_tone("three.wav", seconds=0.3, sample_rate=22050, channels=1),
    ]
    pauses = [0.3, 0.18]
    dst = tmp_path / "joined.wav"
    files.join_with_pauses(parts, pauses, dst, sample_rate=rate)

    with wave.open(str(dst), "rb") as joined:
        assert (joined.getnchannels(), joined.getsampwidth(), joined.getframerate()) == (1, 2, rate)
        out = np.frombuffer(joined.readframes(joined.getnframes()), dtype="<i2")
    pieces = [pcm.to_int16(files.load(part, rate)) for part in parts]
    gaps = [round(pause * rate) for pause in pauses]
    assert gaps == [6615, 3969]
    assert len(out) == sum(map(len, pieces)) + sum(gaps)
    # Each part lands sample for sample where it belongs, with digital silence between.
    start = 0
    for index, piece in enumerate(pieces):
        assert np.array_equal(out[start : start + len(piece)], piece)
        start += len(piece)
        if index < len(gaps):
            assert not out[start : start + gaps[index]].any()
            start += gaps[index]


def test_join_of_mp3_chunks_is_as_long_as_they_decode(speech_mp3: Path, tmp_path: Path) -> None:
    dst = tmp_path / "joined.wav"
    files.join_with_pauses([speech_mp3, speech_mp3], [0.35], dst, sample_rate=24000)
    chunk = len(files.decode_pcm(speech_mp3, sample_rate=24000)) // 2
    assert len(files.decode_pcm(dst, sample_rate=24000)) // 2 == 2 * chunk + 8400


@pytest.mark.parametrize(
    ("name", "codec"),
    [
        ("copy.mp3", "mp3"),
        ("copy.ogg", "vorbis"),
        ("copy.opus", "opus"),
        ("copy.flac", "flac"),
        ("copy.m4a", "aac"),
        ("copy.wav", "pcm_s16le"),
    ],
)
def test_convert_writes_the_format_the_extension_names(
    make_tone, tmp_path: Path, name: str, codec: str
) -> None:
    master = make_tone("master.wav", seconds=1.0, sample_rate=22050, channels=1)
    out = tmp_path / "out"
    out.mkdir()
    files.convert(master, out / name)
    info = files.probe(out / name)
    assert info.codec == codec
    assert info.duration_s == pytest.approx(1.0, abs=0.1)
    assert [p.name for p in out.iterdir()] == [name], "temporary file left behind"


def test_convert_refuses_an_unknown_extension(make_tone, tmp_path: Path) -> None:
    with pytest.raises(AudioError) as excinfo:
        files.convert(make_tone(seconds=0.5), tmp_path / "copy.xyz")
    assert excinfo.value.user_message == "Không xuất được âm thanh ra định dạng .xyz."
    assert not (tmp_path / "copy.xyz").exists()


def test_change_tempo_keeps_the_pitch(make_tone, tmp_path: Path) -> None:
    dst = tmp_path / "fast.wav"
    files.change_tempo(make_tone(seconds=2.0, channels=1), dst, speed=1.5)
    samples = files.load(dst, 48000)
    assert len(samples) / 48000 == pytest.approx(2.0 / 1.5, abs=0.05)
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    peak_hz = np.fft.rfftfreq(len(samples), 1 / 48000)[int(np.argmax(spectrum))]
    assert peak_hz == pytest.approx(440, abs=2)


def test_a_manifest_behind_an_mp4_signature_never_makes_ffprobe_follow_it(
    tmp_path: Path,
) -> None:
    """ffprobe is told the container: a DASH manifest dressed as MP4 is just not MP4.

    A guessing ffprobe would read it as DASH and wait for ever for a live stream's segments.
    """
    secret = tmp_path / "secret.m4a"
    secret.write_bytes(b"")
    crafted = tmp_path / "upload.m4a"
    crafted.write_text(
        '<!--ftypjp2 --><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="dynamic" '
        'profiles="urn:mpeg:dash:profile:isoff-live:2011" minimumUpdatePeriod="PT1S" '
        'availabilityStartTime="2099-01-01T00:00:00Z" minBufferTime="PT1S"><Period start="PT0S">'
        '<AdaptationSet mimeType="audio/mp4"><SegmentTemplate media="seg$Number$.m4s" '
        f'initialization="{secret}" duration="1" startNumber="1"/>'
        '<Representation id="a" bandwidth="1000" codecs="mp4a.40.2"/></AdaptationSet>'
        "</Period></MPD>"
    )
    assert files.sniff(crafted).format == "mp4", "its first bytes do look like MP4"
    with pytest.raises(AudioInputError) as refused:
        files.probe(crafted)
    assert "as mp4" in refused.value.detail
    with pytest.raises(AudioInputError):
        files.load(crafted, 16000)


def test_the_stations_own_chimes_may_be_in_any_format_ffmpeg_reads(make_with_ffmpeg) -> None:
    aiff = make_with_ffmpeg("chime.aiff", "-f", "lavfi", "-i", "sine=frequency=880:duration=1")
    with pytest.raises(AudioInputError):
        files.load(aiff, 22050)  # an upload in AIFF is refused ...
    samples = files.load_own(aiff, 22050)  # ... the station's own chime is not
    assert len(samples) == pytest.approx(22050, abs=50)
