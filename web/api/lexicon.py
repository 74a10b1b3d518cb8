"""The station's lexicon in the JSON API, and how a text will be spoken."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from playlists.core.errors import NotFound
from playlists.lexicon.schemas import ReadingRead, ReadingWrite, SpeakRequest
from playlists.lexicon.service import Reading, readings, reset_reading, set_reading
from web.deps import ContextDep, SessionDep

router = APIRouter()


def _read(reading: Reading) -> ReadingRead:
    return ReadingRead(
        written=reading.written, spoken=reading.spoken, builtin=reading.builtin,
        source=reading.source,
    )  # fmt: skip


@router.get("/lexicon", summary="Từ điển chữ viết tắt")
def lexicon(session: SessionDep) -> list[ReadingRead]:
    return [_read(r) for r in readings(session=session)]


@router.put("/lexicon/{written}", summary="Thêm hoặc sửa cách đọc")
def lexicon_set(
    written: str, body: ReadingWrite, ctx: ContextDep, session: SessionDep
) -> ReadingRead:
    row = set_reading(written, body.spoken, session=session, by=body.by, now=ctx.now())
    found = next((r for r in readings(session=session) if r.written == row.written), None)
    if found is None:  # pragma: no cover - the row was just written
        raise NotFound(f"Không có “{written}”.", f"lexicon entry {written!r} vanished")
    return _read(found)


@router.delete("/lexicon/{written}", status_code=204, summary="Về cách đọc mặc định")
def lexicon_reset(written: str, session: SessionDep) -> Response:
    reset_reading(written, session=session)
    return Response(status_code=204)


@router.post("/spoken-form", summary="Văn bản sẽ được đọc như thế nào")
def spoken_form(body: SpeakRequest, ctx: ContextDep, session: SessionDep) -> dict[str, str]:
    return {"spoken": ctx.speech(session).spoken_form(body.text)}
