"""The editorial workflow: write a bulletin, submit it, approve it or return it, with checks.

Functions take the session as a keyword argument and never open or commit their own: the
caller (a web request, a job, a command) owns the transaction, so a refusal saves nothing.
`Newsroom` binds what the steps need besides the session (speech, media folder, limits,
clock), so the pages, the API and the command line call them the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from audio.speech import Rendered, SpeechRenderer
from playlists.bulletins.models import Bulletin, BulletinStatus, Priority, Topic
from playlists.bulletins.rendering import VOICE_LABELS, render_bulletin, store_rendering
from playlists.bulletins.schemas import BulletinCreate
from playlists.core import changes
from playlists.core.changes import Change
from playlists.core.clock import Clock, local_day
from playlists.core.errors import InputError, NotFound, StateError, range_problem
from playlists.core.settings import LimitsSettings
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


def check_bulletin(
    data: BulletinCreate, *, session: Session, max_text_chars: int, has_recording: bool
) -> dict[str, str]:
    """Return every problem with a bulletin's fields, as Vietnamese messages by field."""
    errors: dict[str, str] = {}
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
    if (data.voice or "") not in VOICE_LABELS:
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
    errors = check_bulletin(
        data, session=session, max_text_chars=max_text_chars, has_recording=recording is not None
    )
    if errors:
        raise InputError(errors)
    topic = session.scalars(select(Topic).where(Topic.code == data.topic)).one()
    zones = list(session.scalars(select(Zone).where(Zone.id.in_(data.zone_ids))))
    bulletin = Bulletin(
        title=data.title.strip(),
        text=data.text.strip(),
        topic=topic,
        priority=data.priority,
        first_day=data.first_day,
        last_day=data.last_day,
        per_day=data.per_day,
        zones=zones,
        voice=data.voice or None,
        speed=data.speed,
        author=data.author.strip(),
        status=BulletinStatus.DRAFT,
        recording_name=recording_name,
    )
    if recording is not None:
        bulletin.rendering = store_rendering(session, recording, media_dir=media_dir)
    session.add(bulletin)
    session.flush()
    if data.submit:
        submit(
            bulletin.id, session=session, renderer=renderer, media_dir=media_dir, now=now,
            today=today,
        )  # fmt: skip
    log.info("bulletin %s created (%s)", bulletin.id, bulletin.status)
    return bulletin


def get_bulletin(bulletin_id: int, *, session: Session) -> Bulletin:
    """Return a bulletin or raise NotFound."""
    bulletin = session.get(Bulletin, bulletin_id)
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
    _ready_to_air(bulletin, session=session, renderer=renderer, media_dir=media_dir, today=today)
    bulletin.status = BulletinStatus.PENDING
    bulletin.submitted_at = now
    bulletin.return_reason = None
    return bulletin


def approve(
    bulletin_id: int,
    *,
    session: Session,
    approver: str,
    renderer: SpeechRenderer,
    media_dir: Path,
    now: datetime,
    today: date,
) -> Bulletin:
    """Approve a submitted bulletin; its audio is rendered now, never at air time."""
    bulletin = get_bulletin(bulletin_id, session=session)
    if bulletin.status != BulletinStatus.PENDING:
        raise StateError(
            f"Chỉ duyệt được bản tin đang chờ duyệt; bản tin này đang “{bulletin.status.label}”.",
            f"cannot approve from {bulletin.status}",
        )
    _ready_to_air(bulletin, session=session, renderer=renderer, media_dir=media_dir, today=today)
    bulletin.status = BulletinStatus.APPROVED
    bulletin.approver = approver.strip() or "Lãnh đạo"
    bulletin.decided_at = now
    changes.note(session, Change.PLANS)
    return bulletin


def return_to_editor(
    bulletin_id: int, *, session: Session, approver: str, reason: str, now: datetime
) -> Bulletin:
    """Send a submitted bulletin back to its editor with the reason."""
    bulletin = get_bulletin(bulletin_id, session=session)
    if bulletin.status != BulletinStatus.PENDING:
        raise StateError(
            f"Chỉ trả lại được bản tin đang chờ duyệt; bản tin này đang “{bulletin.status.label}”.",
            f"cannot return from {bulletin.status}",
        )
    if not reason.strip():
        raise InputError({"reason": "Cần ghi lý do trả lại để biên tập viên sửa."})
    bulletin.status = BulletinStatus.RETURNED
    bulletin.approver = approver.strip() or "Lãnh đạo"
    bulletin.return_reason = reason.strip()
    bulletin.decided_at = now
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

    def approve(self, bulletin_id: int, *, session: Session, approver: str) -> Bulletin:
        """Approve a submitted bulletin."""
        now = self.clock.now()
        return approve(
            bulletin_id,
            session=session,
            approver=approver,
            renderer=self.renderer,
            media_dir=self.media_dir,
            now=now,
            today=local_day(now, self.tz),
        )

    def send_back(
        self, bulletin_id: int, *, session: Session, approver: str, reason: str
    ) -> Bulletin:
        """Return a submitted bulletin to its editor with the reason."""
        return return_to_editor(
            bulletin_id, session=session, approver=approver, reason=reason, now=self.clock.now()
        )
