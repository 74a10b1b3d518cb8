"""Speech from the command line: `loa say` (text to a mastered file) and `loa normalize`."""

from __future__ import annotations

import logging
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from web.cli import common
from web.cli.common import (
    app,
    fail,
    fallback_line,
    settings_or_exit,
    setup_logging,
    verbose_option,
)

if TYPE_CHECKING:
    from web.settings import Settings


class EngineChoice(StrEnum):
    AUTO = "auto"
    GTTS = "gtts"
    OFFLINE = "offline"
    PIPER = "piper"


def station_lexicon(settings: Settings) -> dict[str, str] | None:
    """Return the station's lexicon, or None (built-in) when the station has no database yet.

    Reading text aloud must not create a database as a side effect.
    """
    from playlists.lexicon.service import effective_lexicon

    if settings.database_url is None and not (settings.data_dir / "loa.db").exists():
        return None
    with common.station(settings) as ctx, ctx.unit_of_work() as session:
        return effective_lexicon(session=session)


@app.command()
def say(
    text: Annotated[str, typer.Argument(help="Văn bản cần đọc")],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Tệp âm thanh đầu ra (wav hoặc mp3)")
    ],
    engine: Annotated[EngineChoice, typer.Option(help="Bộ đọc")] = EngineChoice.AUTO,
    check: Annotated[
        bool, typer.Option("--check", help="Cho máy nhận dạng nghe lại và báo độ rõ (WER)")
    ] = False,
    verbose: Annotated[bool, verbose_option()] = False,
) -> None:
    """Chuẩn hóa, đọc và xử lý âm lượng một đoạn văn bản vào tệp."""
    from audio.errors import AudioError
    from audio.intelligibility import check_rendering, default_transcriber, summary
    from audio.sound import files
    from playlists.bulletins.rendering import OFFLINE_ENGINES, make_renderer

    setup_logging(verbose, quiet=True)
    settings = settings_or_exit()
    engines = settings.tts_engines if engine == EngineChoice.AUTO else (engine.value,)
    try:
        renderer = make_renderer(settings, engines, lexicon=station_lexicon(settings))
    except ValueError as exc:  # e.g. piper with no voice installed
        logging.getLogger(__name__).info("no renderer: %s", exc)
        if "piper" in engines:
            fail("Không dùng được bộ đọc piper: đài chưa có giọng piper nào. Cài một giọng: "
                 "loa voice add TỆP.onnx --by NGƯỜI_DUYỆT (hoặc đặt LOA_PIPER_VOICE).")  # fmt: skip
        fail(f"Không dùng được bộ đọc {engine.value}: {exc}")
    try:
        rendered = renderer.render(text)
    except AudioError as exc:
        fail(exc.user_message)
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        if output.suffix.lower() == rendered.path.suffix.lower():
            output.write_bytes(rendered.path.read_bytes())
        else:  # the station keeps WAV masters; give people the format they asked for
            files.convert(rendered.path, output)
    except (OSError, AudioError) as exc:
        fail(f"Không ghi được {output}: {exc}")
    if rendered.fallback:
        typer.echo(fallback_line(rendered.engine, rendered.reasons), err=True)
    note = " (giọng dự phòng ngoại tuyến)" if rendered.engine in OFFLINE_ENGINES else ""
    typer.echo(
        f"{output}: {rendered.duration_s:.1f} giây, {rendered.loudness_lufs:.1f} LUFS, "
        f"bộ đọc {rendered.engine}{note}"
    )
    if check:
        typer.echo("Đang cho máy nhận dạng nghe lại…", err=True)
        try:
            report = check_rendering(rendered.path, rendered.spoken_text, default_transcriber())
        except AudioError as exc:
            fail(exc.user_message)
        typer.echo(summary(report))
        typer.echo(f"Máy nghe được: {report.hypothesis}")


@app.command("normalize")
def normalize_command(
    text: Annotated[str | None, typer.Argument(help="Văn bản (bỏ trống khi dùng --lines)")] = None,
    lines: Annotated[bool, typer.Option("--lines", help="Đọc từng dòng từ stdin")] = False,
) -> None:
    """In cách đọc của văn bản (theo từ điển viết tắt của đài)."""
    from playlists.lexicon.service import station_normalizer

    speak = station_normalizer(station_lexicon(settings_or_exit()))
    if lines:
        for line in sys.stdin:
            sys.stdout.write(speak(line.rstrip("\n")) + "\n")
            sys.stdout.flush()
        return
    if text is None:
        fail("Cần văn bản, hoặc dùng --lines để đọc từ stdin.")
    typer.echo(speak(text))
