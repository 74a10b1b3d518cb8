"""The Icecast source password stays in the station's process: ffmpeg never holds it.

Every local user can read a process's arguments (/proc/PID/cmdline, `ps`): ffmpeg streams to
a connection the output opened and authenticated itself, so nothing it was given holds the
password, in any form. Checked on a real ffmpeg streaming to a real icecast2.
"""

from __future__ import annotations

import base64
import urllib.parse
from datetime import timedelta
from pathlib import Path

from playlists.core.clock import SystemClock
from scheduler.outputs.base import BYTES_PER_SAMPLE, CHUNK_S, SAMPLE_RATE
from scheduler.outputs.icecast import IcecastOutput
from tests.icecast_server import IcecastServer


def test_no_argument_of_the_streaming_ffmpeg_holds_the_password(icecast: IcecastServer) -> None:
    password = icecast.source_password
    output = IcecastOutput(icecast.url("{zone}.mp3"), SystemClock(), zone="Khu phố 3")
    # A title with a line break must not add a header of its own to the request either.
    output.open("Bản tin\r\nIce-Public: 1")
    try:
        assert output._proc is not None
        arguments = Path(f"/proc/{output._proc.pid}/cmdline").read_bytes().split(b"\0")
        assert any(b"ffmpeg" in argument for argument in arguments)
        forms = [
            password.encode(),
            urllib.parse.quote(password, safe="").encode(),
            base64.b64encode(f"source:{password}".encode()),
        ]
        for argument in arguments:
            assert not any(form in argument for form in forms), argument
        assert b"-password" not in arguments
        # It really is streaming: Icecast lists the mount once audio has come through.
        clock = SystemClock()
        start = clock.now()
        for index in range(50):  # 5 s of silence at most, paced like the player
            clock.sleep_until(start + timedelta(seconds=index * CHUNK_S))
            output._write(bytes(int(SAMPLE_RATE * CHUNK_S) * BYTES_PER_SAMPLE))
            if icecast.mounts():
                break
        assert icecast.mounts() == ["khu-pho-3.mp3"]
        assert icecast.status()["source"]["server_description"] == "Ban tin Ice-Public: 1"
    finally:
        output.close()
