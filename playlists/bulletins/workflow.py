"""The editorial workflow: write a bulletin, submit it, approve it or return it, with checks.

Functions take the session as a keyword argument and never open or commit their own: the
caller (a web request, a job, a command) owns the transaction, so a refusal saves nothing.
`Newsroom` binds what the steps need besides the session (speech, media folder, limits,
clock), so the pages, the API and the command line call them the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from audio.speech import Rendered, SpeechRenderer
from playlists.accounts.actor import Forbidden, acting
from playlists.audit.service import record
from playlists.bulletins.approval import approval_digest
from playlists.bulletins.models import Bulletin, BulletinStatus, Priority, Topic
from playlists.bulletins.rendering import VOICE_LABELS, render_bulletin, store_rendering
from playlists.bulletins.schemas import BulletinCreate
from playlists.bulletins.voices import catalogue
from playlists.core import changes
from playlists.core.bounds import bulletin_days_problems, id_or_none
from playlists.core.changes import Change
from playlists.core.clock import Clock, local_day
from playlists.core.errors import InputError, NotFound, StateError, range_problem
from playlists.core.settings import LimitsSettings
from playlists.core.text import clean_text
from playlists.planning import reasons
from playlists.planning.store import bulletin_spec, slot_specs, zone_specs
from playlists.slots.models import Zone

log = logging.getLogger(__name__)

MAX_TITLE_CHARS = 200
MAX_PER_DAY = 20
SPEED_RANGE = (0.8, 1.3)


def list_topics(*, session: Session) -> list[Topic]:
    """Return the plan's topics by code, "Khác" (0) last."""
    topics = list(session.scalars(select(Topic).order_by(Topic.code)))
    return sorted(topics, key=lambda t: (t.code == 0, t.code))


def voice_codes(renderer: SpeechRenderer) -> list[str]:
    """The voices a bulletin may ask for: those the station's engines speak with."""
    return [choice.code for choice in catalogue(renderer)]


def check_bulletin(
    data: BulletinCreate,
    *,
    session: Session,
    max_text_chars: int,
    has_recording: bool,
    today: date | None = None,
    voices: Collection[str] | None = None,
) -> dict[str, str]:
    """Return every problem with a bulletin's fields, as Vietnamese messages by field.

    With `today`, its days must also lie within a few years from now (playlists/core/bounds).
    """
    errors: dict[str, str] = {}
    if today is not None:
        errors |= bulletin_days_problems(data.first_day, data.last_day, today)
    title = data.title.strip()
    if not title:
        errors["title"] = "Cần nhập tiêu đề bản tin."
    elif len(title) > MAX_TITLE_CHARS:
        errors["title"] = f"Tiêu đề dài quá {MAX_TITLE_CHARS} ký tự."
    text = data.text.strip()
    if not text and not has_recording:
        errors["text"] = "Cần nhập nội dung để đọc, hoặc tải lên một bản ghi âm."
    elif len(text) > max_text_chars:
        errors["text"] = (
            f"Nội dung dài {len(text)} ký tự, vượt giới hạn {max_text_chars} ký tự; "
            "hãy tách thành nhiều bản tin."
        )
    backwards = range_problem(data.first_day, data.last_day)
    if backwards:
        errors["last_day"] = backwards
    if not 1 <= data.per_day <= MAX_PER_DAY:
        errors["per_day"] = f"Số lượt phát mỗi ngày phải từ 1 đến {MAX_PER_DAY}."
    if not SPEED_RANGE[0] <= data.speed <= SPEED_RANGE[1]:
        errors["speed"] = "Tốc độ đọc phải từ 0,8 đến 1,3 lần."
    if (data.voice or "") not in (VOICE_LABELS if voices is None else {"", *voices}):
        errors["voice"] = "Giọng đọc không có trong danh sách."
    if session.scalar(select(Topic.id).where(Topic.code == data.topic)) is None:
        errors["topic"] = "Chủ đề không có trong danh sách."
    if not data.zone_ids:
        errors["zone_ids"] = "Cần chọn ít nhất một cụm loa."
    else:
        known = set(session.scalars(select(Zone.id).where(Zone.id.in_(data.zone_ids))))
        missing = sorted(set(data.zone_ids) - known)
        if missing:
            errors["zone_ids"] = f"Không có cụm loa mã {', '.join(map(str, missing))}."
    return errors


def create_bulletin(
    data: BulletinCreate,
    *,
    session: Session,
    renderer: SpeechRenderer,
    media_dir: Path,
    max_text_chars: int,
    now: datetime,
    today: date,
    recording: Rendered | None = None,
    recording_name: str | None = None,
) -> Bulletin:
    """Save a new bulletin as a draft, or submitted for approval (which renders its audio)."""
    author = acting(session)
    errors = check_bulletin(
        data, session=session, max_text_chars=max_text_chars, has_recording=recording is not None,
        today=today, voices=voice_codes(renderer),
    )  # fmt: skip
    if errors:
        raise InputError(errors)
    bulletin = Bulletin(
        author=author.display_name,
        author_id=author.user_id,
        status=BulletinStatus.DRAFT,
        recording_name=recording_name,
    )
    _fill(bulletin, data, session=session)
    if recording is not None:
        bulletin.rendering = store_rendering(session, recording, media_dir=media_dir)
    session.add(bulletin)
    session.flush()
    _audit(session, bulletin, "bulletin_created", "Tạo bản tin", after=_content(bulletin), at=now)
    if data.submit:
        submit(
            bulletin.id, session=session, renderer=renderer, media_dir=media_dir, now=now,
            today=today,
        )  # fmt: skip
    log.info("bulletin %s created (%s)", bulletin.id, bulletin.status)
    return bulletin


def get_bulletin(bulletin_id: int, *, session: Session) -> Bulletin:
    """Return a bulletin or raise NotFound."""
    bulletin = session.get(Bulletin, bulletin_id) if id_or_none(bulletin_id) else None
    if bulletin is None:
        raise NotFound(f"Không có bản tin số {bulletin_id}.", f"no bulletin {bulletin_id}")
    return bulletin


def list_bulletins(*, session: Session, status: BulletinStatus | None = None) -> list[Bulletin]:
    """Return bulletins, newest first, optionally of one status."""
    query = select(Bulletin).options(
        selectinload(Bulletin.zones), selectinload(Bulletin.topic), selectinload(Bulletin.rendering)
    )
    if status is not None:
        query = query.where(Bulletin.status == status)
    return list(session.scalars(query.order_by(Bulletin.id.desc())))


def count_pending(*, session: Session) -> int:
    """Count the bulletins waiting for approval."""
    count = session.scalar(
        select(func.count(Bulletin.id)).where(Bulletin.status == BulletinStatus.PENDING)
    )
    return int(count or 0)


def why_never_airs(bulletin: Bulletin, *, session: Session, today: date) -> str | None:
    """Return why a bulletin could never air (in Vietnamese), or None if some slot can take it.

    Checked when it is submitted and approved, so staff learn it at once rather than from an
    empty plan. The planner's own rule decides (playlists/planning/reasons.py).
    """
    return reasons.why_never_airs(
        bulletin_spec(bulletin),
        slot_specs(session=session),
        zone_specs(session=session),
        today,
    )


def _ready_to_air(
    bulletin: Bulletin,
    *,
    session: Session,
    renderer: SpeechRenderer,
    media_dir: Path,
    today: date,
) -> None:
    """Give the bulletin its audio, and refuse it if it could never air."""
    render_bulletin(bulletin, session=session, renderer=renderer, media_dir=media_dir)
    reason = why_never_airs(bulletin, session=session, today=today)
    if reason is not None:
        raise StateError(f"Bản tin không thể phát: {reason}", f"bulletin never airs: {reason}")


def submit(
    bulletin_id: int,
    *,
    session: Session,
    renderer: SpeechRenderer,
    media_dir: Path,
    now: datetime,
    today: date,
) -> Bulletin:
    """Send a draft or returned bulletin for approval, rendering it so the approver can listen."""
    bulletin = get_bulletin(bulletin_id, session=session)
    if bulletin.status not in (BulletinStatus.DRAFT, BulletinStatus.RETURNED):
        raise StateError(
            f"Bản tin đang ở trạng thái “{bulletin.status.label}”, không gửi duyệt được.",
            f"cannot submit from {bulletin.status}",
        )
    _only_its_author(session, bulletin, "gửi duyệt")
    _ready_to_air(bulletin, session=session, renderer=renderer, media_dir=media_dir, today=today)
    bulletin.status = BulletinStatus.PENDING
    bulletin.submitted_at = now
    bulletin.return_reason = None
    _audit(session, bulletin, "bulletin_submitted", "Gửi duyệt bản tin", at=now)
    return bulletin


def approve(
    bulletin_id: int,
    *,
    session: Session,
    renderer: SpeechRenderer,
    media_dir: Path,
    now: datetime,
    today: date,
    allow_self_approval: bool = False,
) -> Bulletin:
    """Approve a submitted bulletin; its audio is rendered now, never at air time.

    Four eyes: the approver is not its author, unless the station allows it (a one-person
    ward), and then the audit trail says so. The approval holds for exactly the text, the
    recording and the voice approved (`approval_digest`).
    """
    bulletin = get_bulletin(bulletin_id, session=session)
    if bulletin.status != BulletinStatus.PENDING:
        raise StateError(
            f"Chỉ duyệt được bản tin đang chờ duyệt; bản tin này đang “{bulletin.status.label}”.",
            f"cannot approve from {bulletin.status}",
        )
    approver = acting(session)
    own = bulletin.author_id is not None and bulletin.author_id == approver.user_id
    if own and not allow_self_approval:
        raise Forbidden(
            "Bạn là người viết bản tin này nên không tự duyệt được: cần một lãnh đạo khác duyệt.",
            f"four eyes: {approver.username} wrote bulletin {bulletin.id}",
        )
    _ready_to_air(bulletin, session=session, renderer=renderer, media_dir=media_dir, today=today)
    bulletin.status = BulletinStatus.APPROVED
    bulletin.approver, bulletin.approver_id = approver.display_name, approver.user_id
    bulletin.decided_at = now
    bulletin.approved_digest = approval_digest(bulletin)
    note = "tự duyệt bản tin của mình (đài cho phép một người vừa viết vừa duyệt)" if own else ""
    _audit(session, bulletin, "bulletin_approved", "Duyệt bản tin", at=now, note=note,
           after={"approved_digest": bulletin.approved_digest})  # fmt: skip
    changes.note(session, Change.PLANS)
    return bulletin


def return_to_editor(bulletin_id: int, *, session: Session, reason: str, now: datetime) -> Bulletin:
    """Send a submitted bulletin back to its editor with the reason."""
    bulletin = get_bulletin(bulletin_id, session=session)
    if bulletin.status != BulletinStatus.PENDING:
        raise StateError(
            f"Chỉ trả lại được bản tin đang chờ duyệt; bản tin này đang “{bulletin.status.label}”.",
            f"cannot return from {bulletin.status}",
        )
    reason = clean_text(reason)
    if not reason.strip():
        raise InputError({"reason": "Cần ghi lý do trả lại để biên tập viên sửa."})
    approver = acting(session)
    bulletin.status = BulletinStatus.RETURNED
    bulletin.approver, bulletin.approver_id = approver.display_name, approver.user_id
    bulletin.return_reason = reason.strip()
    bulletin.decided_at = now
    _audit(session, bulletin, "bulletin_returned", "Trả lại bản tin", at=now,
           note=bulletin.return_reason)  # fmt: skip
    return bulletin


def _content(bulletin: Bulletin) -> dict[str, object]:
    """A bulletin's editable content, as the audit trail records it before and after."""
    return {
        "title": bulletin.title,
        "text": bulletin.text,
        "topic": bulletin.topic.code if bulletin.topic else None,
        "priority": bulletin.priority.value,
        "first_day": bulletin.first_day.isoformat(),
        "last_day": bulletin.last_day.isoformat(),
        "per_day": bulletin.per_day,
        "zones": sorted(z.id for z in bulletin.zones),
        "voice": bulletin.voice or "",
        "speed": bulletin.speed,
        "recording": bulletin.recording_name or "",
    }


def _audit(
    session: Session,
    bulletin: Bulletin,
    action: str,
    verb: str,
    *,
    at: datetime,
    before: dict[str, object] | None = None,
    after: dict[str, object] | None = None,
    note: str = "",
) -> None:
    record(session, action, subject_kind="bulletin", subject_id=bulletin.id,
           summary=f"{verb} số {bulletin.id}: {bulletin.title}", before=before, after=after,
           note=note, at=at)  # fmt: skip


def _only_its_author(session: Session, bulletin: Bulletin, what: str) -> None:
    """An editor works on their own bulletins only (those from before accounts: anyone)."""
    actor = acting(session)
    if bulletin.author_id is not None and bulletin.author_id != actor.user_id:
        raise Forbidden(
            f"Chỉ người viết bản tin ({bulletin.author}) mới {what} được bản tin này.",
            f"{actor.username} is not the author of bulletin {bulletin.id}",
        )


def _fill(bulletin: Bulletin, data: BulletinCreate, *, session: Session) -> None:
    """Give a bulletin the content an editor typed (checked already by `check_bulletin`)."""
    bulletin.title, bulletin.text = data.title.strip(), data.text.strip()
    bulletin.topic = session.scalars(select(Topic).where(Topic.code == data.topic)).one()
    bulletin.priority, bulletin.per_day = data.priority, data.per_day
    bulletin.first_day, bulletin.last_day = data.first_day, data.last_day
    bulletin.zones = list(session.scalars(select(Zone).where(Zone.id.in_(data.zone_ids))))
    bulletin.voice, bulletin.speed = data.voice or None, data.speed


def edit_bulletin(
    bulletin_id: int,
    data: BulletinCreate,
    *,
    session: Session,
    renderer: SpeechRenderer,
    media_dir: Path,
    max_text_chars: int,
    now: datetime,
    today: date,
) -> Bulletin:
    """Change a bulletin's content; an approved or pending one goes back to draft.

    Only its author edits it. Its recording, if any, stays; its speech is made again when it
    is submitted.
    """
    bulletin = get_bulletin(bulletin_id, session=session)
    _only_its_author(session, bulletin, "sửa")
    errors = check_bulletin(
        data, session=session, max_text_chars=max_text_chars,
        has_recording=bulletin.recording_name is not None, today=today,
        voices=voice_codes(renderer),
    )  # fmt: skip
    if errors:
        raise InputError(errors)
    before, was = _content(bulletin), bulletin.status
    _fill(bulletin, data, session=session)
    after = _content(bulletin)
    if after != before:
        if was in (BulletinStatus.APPROVED, BulletinStatus.PENDING):
            # Back to draft: no approval, no approver, nothing decided about this text yet.
            bulletin.status = BulletinStatus.DRAFT
            bulletin.approved_digest = bulletin.approver = bulletin.approver_id = None
            bulletin.submitted_at = bulletin.decided_at = None
            if was == BulletinStatus.APPROVED:
                changes.note(session, Change.PLANS)  # it leaves the plans it was in
        back = {
            BulletinStatus.APPROVED: "bản tin đã duyệt được đưa về nháp",
            BulletinStatus.PENDING: "bản tin chờ duyệt được đưa về nháp",
        }
        _audit(session, bulletin, "bulletin_edited", "Sửa bản tin", at=now, before=before,
               after=after, note=back.get(was, ""))  # fmt: skip
    if data.submit and bulletin.status in (BulletinStatus.DRAFT, BulletinStatus.RETURNED):
        submit(bulletin.id, session=session, renderer=renderer, media_dir=media_dir, now=now,
               today=today)  # fmt: skip
    return bulletin


def priority_from_label(value: str) -> Priority:
    """Accept a priority by code or by its Vietnamese name, with or without accents."""
    aliases = {
        "normal": Priority.NORMAL,
        "thông thường": Priority.NORMAL,
        "thong thuong": Priority.NORMAL,
        "priority": Priority.PRIORITY,
        "ưu tiên": Priority.PRIORITY,
        "uu tien": Priority.PRIORITY,
        "emergency": Priority.EMERGENCY,
        "khẩn cấp": Priority.EMERGENCY,
        "khan cap": Priority.EMERGENCY,
    }
    try:
        return aliases[value.strip().lower()]
    except KeyError:
        raise InputError(
            {"priority": f"Mức ưu tiên “{value}” không hợp lệ: thông thường, ưu tiên, khẩn cấp."}
        ) from None


@dataclass(frozen=True)
class Newsroom:
    """The editorial steps, with the station's speech, media folder, limits and clock bound."""

    renderer: SpeechRenderer
    media_dir: Path
    limits: LimitsSettings
    clock: Clock
    tz: ZoneInfo
    allow_self_approval: bool = False

    def create(
        self,
        data: BulletinCreate,
        *,
        session: Session,
        recording: Rendered | None = None,
        recording_name: str | None = None,
    ) -> Bulletin:
        """Save a new bulletin (submitting it renders its audio)."""
        now = self.clock.now()
        return create_bulletin(
            data,
            session=session,
            renderer=self.renderer,
            media_dir=self.media_dir,
            max_text_chars=self.limits.max_text_chars,
            now=now,
            today=local_day(now, self.tz),
            recording=recording,
            recording_name=recording_name,
        )

    def submit(self, bulletin_id: int, *, session: Session) -> Bulletin:
        """Send a bulletin for approval."""
        now = self.clock.now()
        return submit(
            bulletin_id,
            session=session,
            renderer=self.renderer,
            media_dir=self.media_dir,
            now=now,
            today=local_day(now, self.tz),
        )

    def edit(self, bulletin_id: int, data: BulletinCreate, *, session: Session) -> Bulletin:
        """Change a bulletin (back to draft if it was approved or pending)."""
        now = self.clock.now()
        return edit_bulletin(
            bulletin_id,
            data,
            session=session,
            renderer=self.renderer,
            media_dir=self.media_dir,
            max_text_chars=self.limits.max_text_chars,
            now=now,
            today=local_day(now, self.tz),
        )

    def approve(self, bulletin_id: int, *, session: Session) -> Bulletin:
        """Approve a submitted bulletin (as the session's actor)."""
        now = self.clock.now()
        return approve(
            bulletin_id,
            session=session,
            allow_self_approval=self.allow_self_approval,
            renderer=self.renderer,
            media_dir=self.media_dir,
            now=now,
            today=local_day(now, self.tz),
        )

    def send_back(self, bulletin_id: int, *, session: Session, reason: str) -> Bulletin:
        """Return a submitted bulletin to its editor with the reason."""
        return return_to_editor(bulletin_id, session=session, reason=reason, now=self.clock.now())
