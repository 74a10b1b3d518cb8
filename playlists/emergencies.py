"""Emergency announcements (tin khẩn cấp): requests, checked and stored, then picked up on air.

Whoever asks (the web app's operator, `loa emergency` on the station's machine) stores a row
with ready audio; the running station claims due rows within a fraction of a second, airs
them on the zones asked (every zone when none is named), and schedules the repeats.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from audio.speech import Rendered
from playlists.errors import InputError
from playlists.models import Emergency, EmergencyStatus, Zone

MAX_REPEAT = 20
MIN_EVERY_MIN = 0.1
MAX_EVERY_MIN = 24 * 60
MAX_DURATION_S = 10 * 60


def request_emergency(
    session: Session,
    *,
    rendered: Rendered,
    media_dir: Path,
    title: str,
    text: str,
    zone_ids: list[int],
    repeat: int,
    every_min: float,
    requested_by: str,
    now: datetime,
) -> Emergency:
    """Check and store an emergency request, due at once."""
    errors: dict[str, str] = {}
    if not 1 <= repeat <= MAX_REPEAT:
        errors["repeat"] = f"Số lần phát phải từ 1 đến {MAX_REPEAT}."
    if repeat > 1 and not MIN_EVERY_MIN <= every_min <= MAX_EVERY_MIN:
        errors["every"] = "Khi phát nhiều lần, khoảng cách giữa hai lần phải từ 0,1 đến 1440 phút."
    if rendered.duration_s > MAX_DURATION_S:
        errors["audio"] = "Tin khẩn cấp dài quá 10 phút; hãy rút gọn."
    known = set(session.scalars(select(Zone.id)))
    if not known:
        errors["zones"] = "Đài chưa có cụm loa nào."
    unknown = [z for z in zone_ids if z not in known]
    if unknown:
        errors["zones"] = f"Không có cụm loa số {', '.join(map(str, unknown))}."
    if not title.strip():
        errors["title"] = "Cần tiêu đề cho tin khẩn cấp."
    if errors:
        raise InputError(errors)
    emergency = Emergency(
        requested_by=requested_by.strip()[:100],
        title=title.strip()[:200],
        text=text,
        audio_file=str(rendered.path.resolve().relative_to(media_dir.resolve())),
        audio_sha256=rendered.sha256,
        duration_s=rendered.duration_s,
        zone_ids=sorted(set(zone_ids)),
        repeat=repeat,
        every_min=every_min if repeat > 1 else 0.0,
        next_at=now,
        status=EmergencyStatus.PENDING,
        created_at=now,
    )
    session.add(emergency)
    session.flush()
    return emergency


def claim_due(session: Session, *, now: datetime) -> list[Emergency]:
    """Take the emergencies due now; a row is claimed by exactly one caller."""
    due = list(
        session.scalars(
            select(Emergency)
            .where(
                Emergency.status.in_([EmergencyStatus.PENDING, EmergencyStatus.AIRING]),
                Emergency.next_at <= now,
            )
            .order_by(Emergency.next_at, Emergency.id)
        )
    )
    claimed = []
    for emergency in due:
        taken = session.execute(
            update(Emergency)
            .where(Emergency.id == emergency.id, Emergency.next_at == emergency.next_at)
            .values(next_at=None, status=EmergencyStatus.AIRING)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            session.refresh(emergency)
            claimed.append(emergency)
    return claimed


def mark_aired(session: Session, emergency_id: int, *, started: datetime) -> Emergency | None:
    """Count one airing and schedule the next repeat, or mark the request done."""
    emergency = session.get(Emergency, emergency_id)
    if emergency is None:
        return None
    emergency.plays_done += 1
    if emergency.plays_done >= emergency.repeat or emergency.status == EmergencyStatus.CANCELLED:
        if emergency.status != EmergencyStatus.CANCELLED:
            emergency.status = EmergencyStatus.DONE
        emergency.next_at = None
    else:
        emergency.next_at = started + timedelta(minutes=emergency.every_min)
    return emergency


# An emergency cut by a crash or a shutdown airs again at the next start if it is this recent;
# an older one would no longer be news, and airing it late could mislead.
RESUME_WITHIN = timedelta(minutes=15)


def resume_interrupted(session: Session, *, now: datetime) -> list[Emergency]:
    """At start-up: re-air recent emergencies a stop interrupted; give up on older ones."""
    stuck = list(
        session.scalars(
            select(Emergency).where(
                Emergency.status == EmergencyStatus.AIRING, Emergency.next_at.is_(None)
            )
        )
    )
    for emergency in stuck:
        # When this airing was due: the request, or the repeat after the last one that aired.
        due = emergency.created_at + timedelta(minutes=emergency.every_min * emergency.plays_done)
        if now - due <= RESUME_WITHIN:
            emergency.next_at = now
        else:
            emergency.status = EmergencyStatus.FAILED
            emergency.reason = "Phần mềm dừng trước khi phát xong; quá lâu để phát lại."
    return stuck


def mark_failed(session: Session, emergency_id: int, reason: str) -> None:
    """Record why an emergency could not air at all."""
    emergency = session.get(Emergency, emergency_id)
    if emergency is not None:
        emergency.status, emergency.reason, emergency.next_at = EmergencyStatus.FAILED, reason, None


def cancel(session: Session, emergency_id: int) -> bool:
    """Stop the remaining repeats of an emergency; return False if there is none to stop."""
    emergency = session.get(Emergency, emergency_id)
    if emergency is None or emergency.status in (EmergencyStatus.DONE, EmergencyStatus.FAILED):
        return False
    emergency.status, emergency.next_at = EmergencyStatus.CANCELLED, None
    return True


def recent(session: Session, *, limit: int = 20) -> list[Emergency]:
    """Return the latest emergency requests, newest first."""
    return list(session.scalars(select(Emergency).order_by(Emergency.id.desc()).limit(limit)))
