"""The station's offline natural voices: `loa voice add|list|remove` (piper voices).

A voice changes what bulletins sound like, so installing or removing one is an approver's
(`--by`), and the audit trail records it. docs/piper.md says where stations get a Vietnamese
voice and what its licence asks of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from web.cli import common
from web.cli.common import app, by_option, fail

if TYPE_CHECKING:
    from audio.voices.installed import InstalledVoice

voice_app = typer.Typer(
    help="Giọng đọc tự nhiên ngoại tuyến (piper) của đài: thêm, xem, gỡ.", no_args_is_help=True
)
app.add_typer(voice_app, name="voice")


@voice_app.command("add")
def voice_add(
    model: Annotated[Path, typer.Argument(help="Tệp giọng piper .onnx (tệp .onnx.json cạnh nó)")],
    licence: Annotated[
        Path | None,
        typer.Option("--licence", help="Tệp giấy phép của giọng (mặc định: MODEL_CARD cạnh nó)"),
    ] = None,
    by: Annotated[str, by_option("Lãnh đạo duyệt")] = "",
) -> None:
    """Kiểm tra một giọng piper (tải được, đọc được câu thử) rồi cài vào thư mục dữ liệu."""
    from audio.voices.installed import VoiceError, install
    from playlists.accounts.roles import Action
    from playlists.audit.service import record

    with common.station() as ctx:
        with ctx.unit_of_work() as session:
            common.acting_as(session, by, Action.CHANGE_LEXICON)
        typer.echo(f"Đang kiểm tra giọng {model.name} (tải và đọc câu thử)…", err=True)
        try:
            voice = install(model, ctx.settings.voices_dir, licence_file=licence)
        except VoiceError as exc:
            fail(exc.user_message)
        with ctx.unit_of_work() as session:
            common.acting_as(session, by, Action.CHANGE_LEXICON)
            record(session, "voice_added", subject_kind="voice", subject_id=voice.name,
                   summary=f"Cài giọng đọc {voice.name} ({voice.language})",
                   after={"language": voice.language, "sample_rate": voice.sample_rate,
                          "licence": voice.licence}, at=ctx.now())  # fmt: skip
        engines = ctx.settings.tts_engines
    typer.echo(f"Đã cài giọng {voice.name}: {_described(voice)}.")
    if not voice.vietnamese:
        typer.echo(f"Lưu ý: giọng này là tiếng {voice.language}, không phải tiếng Việt.", err=True)
    if "piper" not in engines:
        typer.echo(
            "Để đài dùng giọng này, thêm piper vào thứ tự bộ đọc, ví dụ "
            "LOA_TTS_ENGINES=piper,gtts,offline, rồi khởi động lại đài.",
            err=True,
        )


@voice_app.command("list")
def voice_list() -> None:
    """In các giọng đã cài: tên, ngôn ngữ, tần số lấy mẫu, giấy phép."""
    from audio.voices.installed import installed

    settings = common.settings_or_exit()
    voices = installed(settings.voices_dir)
    if not voices:
        typer.echo("Chưa cài giọng nào. Thêm: loa voice add TỆP.onnx --by NGƯỜI_DUYỆT")
    for voice in voices:
        typer.echo(f"{voice.name}\t{voice.language}\t{voice.sample_rate} Hz\t{voice.licence}")


@voice_app.command("remove")
def voice_remove(
    name: Annotated[str, typer.Argument(help="Tên giọng, như trong loa voice list")],
    by: Annotated[str, by_option("Lãnh đạo duyệt")] = "",
) -> None:
    """Gỡ một giọng đã cài (âm thanh đã làm bằng giọng này vẫn giữ trong kho)."""
    from audio.voices.installed import VoiceError, remove
    from playlists.accounts.roles import Action
    from playlists.audit.service import record

    with common.station() as ctx, ctx.unit_of_work() as session:
        common.acting_as(session, by, Action.CHANGE_LEXICON)
        try:
            remove(ctx.settings.voices_dir, name)
        except VoiceError as exc:
            fail(exc.user_message)
        record(session, "voice_removed", subject_kind="voice", subject_id=name,
               summary=f"Gỡ giọng đọc {name}", at=ctx.now())  # fmt: skip
    typer.echo(f"Đã gỡ giọng {name}.")


def _described(voice: InstalledVoice) -> str:
    return (
        f"tiếng {voice.language}, {voice.sample_rate} Hz, câu thử dài {voice.test_seconds:g} "
        f"giây; giấy phép: {voice.licence or '(xem LICENSE.txt)'}"
    )
