"""Bulletins, zones, slots and topics: the editorial workflow and its checks.

Functions take the session as a keyword argument and never open or commit their own: the
caller (a web request, a job, a command) owns the transaction, so a refusal saves nothing.
"""

from __future__ import annotations

import logging
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from audio.errors import AudioError
from audio.intelligibility import Transcriber, check_rendering
from audio.mastering import MasteringSpec
from audio.recording import master_recording
from audio.speech import Rendered, SpeechRenderer
from playlists.errors import InputError, NotFound, StateError
from playlists.models import Bulletin, BulletinStatus, Priority, Rendering, Slot, Topic, Zone
from playlists.schemas import BulletinCreate
from playlists.speech import VOICE_LABELS, store_rendering

log = logging.getLogger(__name__)

MAX_TITLE_CHARS = 200
MAX_PER_DAY = 20
SPEED_RANGE = (0.8, 1.3)


def list_zones(*, session: Session) -> list[Zone]:
    """Return every zone by name."""
    return list(session.scalars(select(Zone).order_by(Zone.name)))


def list_topics(*, session: Session) -> list[Topic]:
    """Return the plan's topics by code, "Khác" (0) last."""
    topics = list(session.scalars(select(Topic).order_by(Topic.code)))
    return sorted(topics, key=lambda t: (t.code == 0, t.code))


def zone_ids_by_names(*, session: Session, names: list[str]) -> list[int]:
    """Resolve zone names to ids, refusing unknown names."""
    zones = {zone.name.casefold(): zone.id for zone in list_zones(session=session)}
    unknown = [name for name in names if name.casefold() not in zones]
    if unknown:
        known = ", ".join(zone.name for zone in list_zones(session=session)) or "chưa có"
        raise InputError(
            {"zone_ids": f"Không có cụm loa: {', '.join(unknown)}. Các cụm loa hiện có: {known}."}
        )
    return [zones[name.casefold()] for name in names]


def longest_slot_s(*, session: Session) -> int | None:
    """Return the longest slot's duration, or None when no slot exists yet."""
    return session.scalar(select(func.max(Slot.duration_s)))


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
    if data.last_day < data.first_day:
        errors["last_day"] = "Ngày kết thúc phải bằng hoặc sau ngày bắt đầu."
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


def render_bulletin(
    bulletin: Bulletin, *, session: Session, renderer: SpeechRenderer, media_dir: Path
) -> Bulletin:
    """Give a text bulletin audio for its current text, voice and speed (cached, so cheap)."""
    if bulletin.recording_name is not None:
        return bulletin  # a human recording is its own audio
    try:
        rendered = renderer.render(bulletin.text, voice=bulletin.voice, speed=bulletin.speed)
    except AudioError as exc:
        log.warning("bulletin %s: rendering failed: %s", bulletin.id, exc.detail)
        raise StateError(
            f"Không tạo được âm thanh cho bản tin: {exc.user_message}", exc.detail
        ) from exc
    if rendered.fallback:
        log.warning(
            "bulletin %s rendered by fallback %s: %s",
            bulletin.id,
            rendered.engine,
            "; ".join(rendered.failures),
        )
    bulletin.rendering = store_rendering(session, rendered, media_dir=media_dir)
    session.flush()
    return bulletin


def why_never_airs(bulletin: Bulletin, *, session: Session, today: date) -> str | None:
    """Return why a bulletin could never air (in Vietnamese), or None if some slot can take it.

    Checked when it is submitted and approved, so staff learn it at once rather than from an
    empty plan: dates in the past, no slot on its zones in its dates, longer than every slot.
    """
    if bulletin.last_day < today:
        return f"Ngày kết thúc ({bulletin.last_day:%d/%m/%Y}) đã qua."
    zone_ids = {z.id for z in bulletin.zones}
    candidates = [
        slot
        for slot in session.scalars(
            select(Slot).options(selectinload(Slot.zones), selectinload(Slot.cancellations))
        )
        if zone_ids & {z.id for z in slot.zones}
    ]
    first = max(bulletin.first_day, today)
    days = [first + timedelta(days=n) for n in range((bulletin.last_day - first).days + 1)]
    airing = [slot for slot in candidates if any(slot.airs_on(day) for day in days[:400])]
    if not airing:
        return (
            "Không có khung giờ nào phát ở các cụm loa đã chọn trong thời gian "
            f"{bulletin.first_day:%d/%m/%Y} – {bulletin.last_day:%d/%m/%Y}."
        )
    longest = max(slot.content_s for slot in airing)
    if bulletin.rendering is not None and bulletin.rendering.duration_s > longest:
        return (
            f"Bản tin dài {_mmss(bulletin.rendering.duration_s)}, vượt thời lượng dành cho bản "
            f"tin của khung giờ dài nhất ({_mmss(longest)})."
        )
    return None


def _mmss(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _refuse_if_never_airs(bulletin: Bulletin, *, session: Session, today: date) -> None:
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
    render_bulletin(bulletin, session=session, renderer=renderer, media_dir=media_dir)
    _refuse_if_never_airs(bulletin, session=session, today=today)
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
    render_bulletin(bulletin, session=session, renderer=renderer, media_dir=media_dir)
    _refuse_if_never_airs(bulletin, session=session, today=today)
    bulletin.status = BulletinStatus.APPROVED
    bulletin.approver = approver.strip() or "Lãnh đạo"
    bulletin.decided_at = now
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


def day_in_range(bulletin: Bulletin, day: date) -> bool:
    """Tell whether a bulletin runs on a date."""
    return bulletin.first_day <= day <= bulletin.last_day


def master_upload(
    src: Path,
    original_name: str,
    *,
    session: Session,
    media_dir: Path,
    uploads_dir: Path,
    spec: MasteringSpec,
) -> Rendered:
    """Check and master an uploaded recording; keep the original as received.

    The longest slot bounds the length: a recording that no slot can hold would never air.
    """
    longest = longest_slot_s(session=session)
    rendered = master_recording(src, media_dir / "recordings", spec, max_duration_s=longest)
    uploads_dir.mkdir(parents=True, exist_ok=True)
    suffix = Path(original_name).suffix.lower()[:8]
    kept = uploads_dir / f"{rendered.sha256[:16]}{suffix}"
    if not kept.exists():
        shutil.copyfile(src, kept)
    return rendered


OFFLINE_ENGINES = frozenset({"espeak-ng"})


def refresh_renderings(
    *, session: Session, renderer: SpeechRenderer, media_dir: Path, today: date
) -> list[int]:
    """Re-render running bulletins whose audio is stale or came from the offline fallback.

    Stale: the text, lexicon or speed changed since it was rendered. Offline: espeak-ng made it
    while gTTS was unreachable; once a better engine answers, the bulletin gets its voice before
    its next air time. Returns the ids of bulletins whose audio changed.
    """
    query = select(Bulletin).where(
        Bulletin.status == BulletinStatus.APPROVED,
        Bulletin.last_day >= today,
        Bulletin.recording_name.is_(None),
    )
    changed: list[int] = []
    for bulletin in session.scalars(query.order_by(Bulletin.first_day, Bulletin.id)):
        current = bulletin.rendering
        stale = (
            current is None
            or current.spoken_text != renderer.spoken_form(bulletin.text)
            or abs(current.speed - bulletin.speed) > 1e-6
        )
        offline = current is not None and current.engine in OFFLINE_ENGINES
        if not (stale or offline):
            continue
        try:
            rendered = renderer.render(bulletin.text, voice=bulletin.voice, speed=bulletin.speed)
        except AudioError as exc:
            log.warning("bulletin %s: re-render failed: %s", bulletin.id, exc.detail)
            continue
        if not stale and rendered.engine in OFFLINE_ENGINES:
            # The better engines are still unreachable: trying the rest now would only wait
            # for the same timeouts again.
            log.info("better speech engines still unreachable; will retry later")
            break
        if current is not None and rendered.sha256 == current.sha256:
            continue
        bulletin.rendering = store_rendering(session, rendered, media_dir=media_dir)
        changed.append(bulletin.id)
        log.info("bulletin %s re-rendered by %s", bulletin.id, rendered.engine)
    session.flush()
    return changed


def check_audio(
    bulletin_id: int,
    *,
    session: Session,
    media_dir: Path,
    transcriber: Transcriber,
    now: datetime,
) -> Rendering:
    """Let an offline recognizer listen to a bulletin's audio and keep how well it understood."""
    bulletin = get_bulletin(bulletin_id, session=session)
    rendering = bulletin.rendering
    if rendering is None:
        raise StateError("Bản tin chưa có âm thanh để kiểm tra.", "no rendering to check")
    if not rendering.spoken_text:
        raise StateError(
            "Bản ghi âm tải lên không có văn bản đọc để so sánh.", "recording has no spoken text"
        )
    try:
        report = check_rendering(media_dir / rendering.file, rendering.spoken_text, transcriber)
    except AudioError as exc:
        raise StateError(exc.user_message, exc.detail) from exc
    rendering.check_wer = report.wer
    rendering.check_heard = report.hypothesis
    rendering.check_misheard = [[said, heard] for said, heard in report.misheard]
    rendering.checked_at = now
    session.flush()
    log.info("bulletin %s checked: WER %.3f", bulletin_id, report.wer)
    return rendering
