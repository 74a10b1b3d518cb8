"""The station's speech settings reach the renderer: chimes frame every rendering."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from playlists.bulletins.rendering import make_renderer
from web.context import StationContext


def test_station_chimes_frame_every_rendering(ctx: StationContext, tmp_path: Path) -> None:
    chime = tmp_path / "nhac-hieu.wav"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=880:duration=1",
         str(chime)],
        check=True,
    )  # fmt: skip
    plain = ctx.renderer.render("Xin chào bà con.")
    framed_settings = ctx.settings.model_copy(update={"intro_chime": chime})
    framed = make_renderer(framed_settings).render("Xin chào bà con.")
    assert framed.duration_s == pytest.approx(plain.duration_s + 1.3, abs=0.2)
    assert framed.sha256 != plain.sha256
