"""The station's lexicon in the JSON API, and how a text will be spoken."""

from __future__ import annotations

from fastapi import APIRouter

from playlists.accounts.roles import Action
from playlists.lexicon.schemas import (
    ReadingChanged,
    ReadingRead,
    ReadingWrite,
    RevoicedRead,
    SpeakRequest,
)
from playlists.lexicon.service import (
    LexiconChange,
    Reading,
    Revoiced,
    readings,
    reset_reading,
    set_reading,
)
from web.auth import needs
from web.deps import ContextDep, SessionDep

router = APIRouter()


def _read(reading: Reading) -> ReadingRead:
    return ReadingRead(
        written=reading.written, spoken=reading.spoken, builtin=reading.builtin,
        source=reading.source, city=reading.city,
    )  # fmt: skip


@router.get("/lexicon", dependencies=[needs(Action.READ)], summary="Từ điển chữ viết tắt")
def lexicon(session: SessionDep) -> list[ReadingRead]:
    return [_read(r) for r in readings(session=session)]


def _changed(session: SessionDep, change: LexiconChange) -> ReadingChanged:
    """The reading as the change left it (read as written once gone), and what it re-voices."""
    found = next((r for r in readings(session=session) if r.written == change.written), None)
    reading = found or Reading(change.written, "", None, False)
    revoiced = [_revoiced(item) for item in change.revoiced]
    return ReadingChanged(**_read(reading).model_dump(), revoiced=revoiced)


def _revoiced(item: Revoiced) -> RevoicedRead:
    return RevoicedRead(
        id=item.bulletin_id, title=item.title, status=item.status.value,
        status_label=item.status.label, spoken_before=item.before, spoken_after=item.after,
    )  # fmt: skip


REVOICED = (
    "Trả về cả các bản tin đã duyệt hoặc chờ duyệt mà máy sẽ đọc khác đi (`revoiced`): "
    "bản tin vẫn giữ nguyên duyệt vì chữ không đổi, người sửa từ điển cần nghe lại."
)


@router.put(
    "/lexicon/{written}",
    dependencies=[needs(Action.CHANGE_LEXICON)],
    summary="Thêm hoặc sửa cách đọc",
    description=REVOICED,
)
def lexicon_set(
    written: str, body: ReadingWrite, ctx: ContextDep, session: SessionDep
) -> ReadingChanged:
    return _changed(session, set_reading(written, body.spoken, session=session, now=ctx.now()))


@router.delete(
    "/lexicon/{written}",
    dependencies=[needs(Action.CHANGE_LEXICON)],
    summary="Về cách đọc mặc định (của thành phố, ở phường thuộc thành phố)",
    description=REVOICED,
)
def lexicon_reset(written: str, ctx: ContextDep, session: SessionDep) -> ReadingChanged:
    return _changed(session, reset_reading(written, session=session, now=ctx.now()))


@router.post(
    "/spoken-form", dependencies=[needs(Action.READ)], summary="Văn bản sẽ được đọc như thế nào"
)
def spoken_form(body: SpeakRequest, ctx: ContextDep, session: SessionDep) -> dict[str, str]:
    return {"spoken": ctx.speech(session).spoken_form(body.text)}
