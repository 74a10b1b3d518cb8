"""Uploaded recordings: received in bounded chunks into a temporary file, then checked.

The body as a whole was counted on its way in (web/limits.py); here the recording itself is
held to LOA_MAX_UPLOAD_MB. The temporary file goes whatever happens, and the files mastering
makes go too unless the bulletin is saved (playlists/bulletins/rendering.master_upload).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.orm import Session

from audio.errors import AudioError
from audio.speech import Rendered
from playlists.bulletins.rendering import master_upload, mastering_spec, upload_suffix
from playlists.core.errors import InputError
from playlists.core.text import has_surrogates, one_line
from web.context import StationContext


@contextmanager
def spooled_upload(ctx: StationContext, stream: BinaryIO, filename: str) -> Iterator[Path]:
    """Copy an upload to a temporary file (refusing it past the size limit) for the block."""
    if has_surrogates(filename) or one_line(filename) != filename:
        raise InputError({"recording": "Tên tệp ghi âm có ký tự không hợp lệ; hãy đổi tên tệp."})
    limit = ctx.settings.max_upload_mb * 1024 * 1024
    with tempfile.NamedTemporaryFile(suffix=upload_suffix(filename)) as tmp:
        copied = 0
        while chunk := stream.read(1024 * 1024):
            copied += len(chunk)
            if copied > limit:
                raise InputError(
                    {"recording": f"Tệp ghi âm lớn quá {ctx.settings.max_upload_mb} MB."}
                )
            tmp.write(chunk)
        tmp.flush()
        if copied == 0:
            raise InputError({"recording": "Tệp ghi âm trống."})
        yield Path(tmp.name)


def receive_recording(
    ctx: StationContext, stream: BinaryIO, filename: str, *, session: Session
) -> Rendered:
    """Save an uploaded recording to a temporary file, then check and master it."""
    with spooled_upload(ctx, stream, filename) as path:
        try:
            return master_upload(
                path,
                filename,
                session=session,
                media_dir=ctx.settings.media_dir,
                uploads_dir=ctx.settings.uploads_dir,
                spec=mastering_spec(ctx.settings.speech),
            )
        except AudioError as exc:
            raise InputError({"recording": exc.user_message}) from exc
