"""The Icecast output against a real icecast2 on loopback, heard by a real listener.

Time bounds here are hang guards with a wide margin, not speed measurements: an output that
notices a dead server only after minutes would leave a zone silent without anyone knowing.
"""

from __future__ import annotations

import os
import signal
import time
import urllib.parse
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from audio.sound.files import decode_pcm
from playlists.core.clock import SystemClock
from scheduler.outputs.base import BYTES_PER_SAMPLE, CHUNK_S, SAMPLE_RATE, OutputError
from scheduler.outputs.icecast import IcecastOutput
from tests.icecast_server import IcecastServer, Listener

CHUNK_BYTES = int(SAMPLE_RATE * CHUNK_S) * BYTES_PER_SAMPLE
HANG_GUARD_S = 5.0  # failures are seen in ~0.1 s on loopback; 5 s only rules out a hang


def tone_pcm(seconds: float, hz: float = 440.0, amplitude: float = 0.4) -> bytes:
    t = np.arange(int(SAMPLE_RATE * seconds)) / SAMPLE_RATE
    wave = amplitude * 32767 * np.sin(2 * np.pi * hz * t)
    return wave.astype("<i2").tobytes()


def silence_pcm(seconds: float) -> bytes:
    return bytes(int(SAMPLE_RATE * seconds) * BYTES_PER_SAMPLE)


def air(output: IcecastOutput, pcm: bytes, clock: SystemClock) -> None:
    """Feed PCM in real-time paced 100 ms chunks, checking the output like the player does."""
    start = clock.now()
    for index, offset in enumerate(range(0, len(pcm), CHUNK_BYTES)):
        clock.sleep_until(start + timedelta(seconds=index * CHUNK_S))
        output._write(pcm[offset : offset + CHUNK_BYTES])
        output._check()


def loud_seconds(samples: np.ndarray, threshold: float = 1000.0) -> float:
    """Seconds of 10 ms windows whose RMS is above `threshold` (a 0.4 tone is ~9000)."""
    window = SAMPLE_RATE // 100
    frames = samples[: len(samples) // window * window].astype(np.float64).reshape(-1, window)
    rms = np.sqrt((frames**2).mean(axis=1))
    return float((rms > threshold).sum()) / 100


def dominant_hz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64) * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / SAMPLE_RATE)[int(np.argmax(spectrum))])


def test_a_listener_hears_the_tone_streamed_in_real_time(
    icecast: IcecastServer, tmp_path: Path
) -> None:
    clock = SystemClock()
    output = IcecastOutput(icecast.url("{zone}.mp3"), clock, zone="Phường 1")
    output.open("Bản tin thử")
    try:
        # Listens until the source disconnects (close() below) or 20 s at most.
        listener = Listener(icecast.listen_url("phuong-1.mp3"), seconds=20).start()
        air(output, silence_pcm(0.5) + tone_pcm(3.0) + silence_pcm(0.5), clock)
        assert icecast.mounts() == ["phuong-1.mp3"]
    finally:
        output.close()
    mp3 = listener.wait()
    assert listener.content_type == "audio/mpeg"

    heard = tmp_path / "heard.mp3"
    heard.write_bytes(mp3)
    samples = np.frombuffer(decode_pcm(heard), dtype="<i2")
    loud = loud_seconds(samples)
    assert 2.5 <= loud <= 3.3, f"heard {loud:.2f} s of tone in {len(samples) / SAMPLE_RATE:.2f} s"
    assert abs(dominant_hz(samples) - 440) < 3


def test_a_server_that_is_down_fails_open_quickly_without_the_password(
    icecast: IcecastServer,
) -> None:
    icecast.stop()
    output = IcecastOutput(icecast.url("phuong-1.mp3"), SystemClock())
    began = time.monotonic()
    with pytest.raises(OutputError) as caught:
        output.open("Bản tin")
    assert time.monotonic() - began < HANG_GUARD_S
    message = str(caught.value)
    assert "Connection refused" in message
    assert f"127.0.0.1:{icecast.port}/phuong-1.mp3" in message
    assert icecast.source_password not in message
    output.close()  # harmless after a failed open


def test_a_wrong_password_is_refused_at_open_and_not_repeated(icecast: IcecastServer) -> None:
    url = icecast.url("phuong-1.mp3").replace(icecast.source_password, "wrong-Pa55word")
    output = IcecastOutput(url, SystemClock())
    with pytest.raises(OutputError, match="401 Unauthorized") as caught:
        output.open("Bản tin")
    assert "wrong-Pa55word" not in str(caught.value)


def test_a_mount_already_taken_by_another_source_is_refused(icecast: IcecastServer) -> None:
    first = IcecastOutput(icecast.url("phuong-1.mp3"), SystemClock())
    first.open("Bản tin")
    try:
        with pytest.raises(OutputError, match="403 Forbidden"):
            IcecastOutput(icecast.url("phuong-1.mp3"), SystemClock()).open("Bản tin")
    finally:
        first.close()


def test_a_server_stopping_mid_stream_is_noticed_then_a_fresh_open_works(
    icecast: IcecastServer,
) -> None:
    clock = SystemClock()
    output = IcecastOutput(icecast.url("phuong-1.mp3"), clock)
    output.open("Bản tin")
    air(output, tone_pcm(1.0), clock)

    icecast.stop()
    began = time.monotonic()
    with pytest.raises(OutputError, match="Icecast closed the connection") as caught:
        air(output, tone_pcm(10.0), clock)
    assert time.monotonic() - began < HANG_GUARD_S
    assert icecast.source_password not in str(caught.value)
    output.close()  # the failure was reported once; close() does not raise it again

    # What the player's retry does: the server is back, the same output opens afresh.
    icecast.start()
    output.open("Bản tin")
    try:
        listener = Listener(icecast.listen_url("phuong-1.mp3"), seconds=20).start()
        air(output, tone_pcm(1.5), clock)
    finally:
        output.close()
    assert len(listener.wait()) > 4000  # 1.5 s at 64 kb/s is ~12 kB


def test_an_ffmpeg_that_stops_reading_fails_the_write_instead_of_hanging(
    icecast: IcecastServer,
) -> None:
    output = IcecastOutput(icecast.url("phuong-1.mp3"), SystemClock())
    output.open("Bản tin")
    assert output._proc is not None
    os.kill(output._proc.pid, signal.SIGSTOP)  # what a stuck encoder or connection looks like
    began = time.monotonic()
    with pytest.raises(OutputError, match="stalled"):
        for _ in range(1000):  # ~100 s of audio: far more than the pipe holds
            output._write(silence_pcm(0.1))
    assert time.monotonic() - began < HANG_GUARD_S
    with pytest.raises(OutputError, match="already failed"):
        output._check()
    began = time.monotonic()
    output.close()  # kills the stopped ffmpeg rather than waiting for it
    assert time.monotonic() - began < HANG_GUARD_S


def test_name_hides_the_password_and_zone_becomes_an_ascii_mount() -> None:
    url = "icecast://source:Bi-mat%40123@127.0.0.1:8000/{zone}.mp3"
    output = IcecastOutput(url, SystemClock(), zone="Khu phố 3")
    assert output.name == "icecast:127.0.0.1:8000/khu-pho-3.mp3"
    assert output.mount == "/khu-pho-3.mp3"
    assert "Bi-mat" not in output.name
    assert output.keepalive is True

    other = IcecastOutput(url, SystemClock(), zone="Tổ dân phố Đồng Tâm")
    assert other.name == "icecast:127.0.0.1:8000/to-dan-pho-dong-tam.mp3"


def test_a_percent_encoded_password_reaches_icecast_decoded() -> None:
    password = "p@ss:w0rd/x 100%"  # characters that would break the URL unencoded
    server = IcecastServer(source_password=password)
    try:
        server.start()
        secret = urllib.parse.quote(password, safe="")
        url = f"icecast://source:{secret}@127.0.0.1:{server.port}/{{zone}}.mp3"
        output = IcecastOutput(url, SystemClock(), zone="Khu phố 3")
        output.open("Bản tin")
        output.close()
    finally:
        server.cleanup()


def test_bad_urls_are_refused_when_the_output_is_made() -> None:
    clock = SystemClock()
    with pytest.raises(ValueError, match="no zone"):
        IcecastOutput("icecast://source:pw@127.0.0.1:8000/{zone}.mp3", clock)
    with pytest.raises(ValueError, match="must look like"):
        IcecastOutput("http://127.0.0.1:8000/phuong-1.mp3", clock)
    with pytest.raises(ValueError, match="must look like"):
        IcecastOutput("icecast://source:pw@127.0.0.1:8000/", clock)
