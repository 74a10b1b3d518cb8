"""Emergency announcements (tin khẩn cấp): requests, checked and stored, then picked up on air.

Whoever asks (the web app's operator, `loa emergency` on the station's machine) stores a row
with ready audio; the running station claims due rows within a fraction of a second, airs
them on the zones asked (every zone when none is named), and schedules the repeats.

Sending one and stopping its repeats are a person's changes, recorded in the audit trail
against the session's actor (`requested_by` may name someone else: who asked the operator).
What the station does on its own (claiming, counting airings, giving up) is not recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from audio.recording import master_recording, stored_paths
from audio.sound.mastering import MasteringSpec
from audio.speech import Rendered, SpeechRenderer
from playlists.accounts.actor import acting
from playlists.audit.service import record
from playlists.core import changes
from playlists.core.bounds import id_or_none
from playlists.core.changes import Change
from playlists.core.errors import InputError, NotFound, StateError
from playlists.core.newfiles import discard_unless_kept
from playlists.core.text import clean_text, one_line
from playlists.emergencies.models import Emergency, EmergencyStatus
from playlists.slots.models import Zone

MAX_TITLE = 200
MAX_NAME = 100
MAX_REPEAT = 20
MIN_EVERY_MIN = 0.1
MAX_EVERY_MIN = 24 * 60
MAX_DURATION_S = 10 * 60


@dataclass(frozen=True)
class EmergencyDraft:
    """An emergency as someone asks for it: text to speak, or a recording, and where and how often.

    `recording_name` is the recording's name as the person gave it (the upload's file name),
    used for the title when none is given.
    """

    requested_by: str
    text: str = ""
    recording: Path | None = None
    recording_name: str = ""
    title: str = ""
    zone_ids: list[int] = field(default_factory=list)  # empty: every zone
    repeat: int = 1
    every_min: float = 0.0

    @property
    def heading(self) -> str:
        """Return the title for the log: the one given, else the recording's name or the text."""
        if one_line(self.title).strip():
            return one_line(self.title).strip()[:MAX_TITLE]
        if self.recording is not None:
            return one_line(Path(self.recording_name).stem).strip() or "Tin khẩn cấp"
        return one_line(self.text).strip()[:60] or "Tin khẩn cấp"


def check_draft(draft: EmergencyDraft, *, max_text_chars: int) -> dict[str, str]:
    """Return what is wrong with a request, as Vietnamese messages by field (pure)."""
    errors: dict[str, str] = {}
    text = clean_text(draft.text).strip()
    if not one_line(draft.requested_by).strip():
        errors["requested_by"] = "Cần nhập tên người yêu cầu phát."
    if draft.recording is not None and text:
        errors["text"] = "Chỉ chọn một: nhập nội dung để máy đọc, hoặc tải tệp ghi âm."
    elif draft.recording is None and not text:
        errors["text"] = "Cần nội dung tin khẩn cấp hoặc một tệp ghi âm."
    elif len(draft.text) > max_text_chars:
        errors["text"] = "Nội dung tin khẩn cấp quá dài."
    if not 1 <= draft.repeat <= MAX_REPEAT:
        errors["repeat"] = f"Số lần phát phải từ 1 đến {MAX_REPEAT}."
    if draft.repeat > 1 and not MIN_EVERY_MIN <= draft.every_min <= MAX_EVERY_MIN:
        errors["every"] = "Khi phát nhiều lần, khoảng cách giữa hai lần phải từ 0,1 đến 1440 phút."
    return errors


def _zone_problems(session: Session, draft: EmergencyDraft) -> dict[str, str]:
    known = set(session.scalars(select(Zone.id)))
    if not known:
        return {"zones": "Đài chưa có cụm loa nào."}
    unknown = [z for z in draft.zone_ids if z not in known]
    if unknown:
        return {"zones": f"Không có cụm loa số {', '.join(map(str, unknown))}."}
    return {}


def prepare_audio(
    draft: EmergencyDraft, *, voice: SpeechRenderer, media_dir: Path, spec: MasteringSpec
) -> Rendered:
    """Make the request's audio: master the recording, or speak the text with `voice`.

    The voice should be the offline engine: an emergency must not wait on the internet (nor on
    gTTS's retries), and the offline voice answers in a fraction of a second.
    """
    if draft.recording is not None:
        return master_recording(
            draft.recording, media_dir / "emergency", spec, max_duration_s=MAX_DURATION_S
        )
    return voice.render(clean_text(draft.text))


def request_emergency(
    session: Session,
    *,
    draft: EmergencyDraft,
    rendered: Rendered,
    media_dir: Path,
    max_text_chars: int,
    now: datetime,
) -> Emergency:
    """Check and store an emergency request, due at once; the running station is woken."""
    acting(session)
    errors = check_draft(draft, max_text_chars=max_text_chars) | _zone_problems(session, draft)
    if rendered.duration_s > MAX_DURATION_S:
        errors["audio"] = "Tin khẩn cấp dài quá 10 phút; hãy rút gọn."
    if errors:
        raise InputError(errors)
    emergency = Emergency(
        requested_by=" ".join(one_line(draft.requested_by).split())[:MAX_NAME],
        title=draft.heading,
        text=clean_text(draft.text),
        audio_file=str(rendered.path.resolve().relative_to(media_dir.resolve())),
        audio_sha256=rendered.sha256,
        duration_s=rendered.duration_s,
        zone_ids=sorted(set(draft.zone_ids)),
        repeat=draft.repeat,
        every_min=draft.every_min if draft.repeat > 1 else 0.0,
        next_at=now,
        status=EmergencyStatus.PENDING,
        created_at=now,
    )
    session.add(emergency)
    session.flush()
    record(session, "emergency_sent", subject_kind="emergency", subject_id=emergency.id,
           summary=f"Phát tin khẩn cấp số {emergency.id}: {emergency.title}",
           after={
               "title": emergency.title, "text": emergency.text,
               "requested_by": emergency.requested_by, "zone_ids": emergency.zone_ids,
               "repeat": emergency.repeat, "every_min": emergency.every_min,
               "duration_s": round(emergency.duration_s, 1),
               "audio_sha256": emergency.audio_sha256,
           }, at=now)  # fmt: skip
    changes.note(session, Change.EMERGENCY)
    return emergency


def send(
    session: Session,
    *,
    draft: EmergencyDraft,
    voice: SpeechRenderer,
    media_dir: Path,
    spec: MasteringSpec,
    max_text_chars: int,
    now: datetime,
) -> Emergency:
    """Check a request, make its audio, and store it due at once (the station is woken)."""
    acting(session)  # who sends it is known before any audio is made
    errors = check_draft(draft, max_text_chars=max_text_chars) | _zone_problems(session, draft)
    if errors:  # before any audio is made for it
        raise InputError(errors)
    recording = draft.recording
    made = []
    if recording is not None:
        made = [p for p in stored_paths(recording, media_dir / "emergency") if not p.exists()]
    rendered = prepare_audio(draft, voice=voice, media_dir=media_dir, spec=spec)

    def stored(session: Session) -> bool:
        found = select(Emergency.id).where(Emergency.audio_sha256 == rendered.sha256)
        return session.scalar(found.limit(1)) is not None

    discard_unless_kept(session, made, kept=stored)
    return request_emergency(
        session,
        draft=draft,
        rendered=rendered,
        media_dir=media_dir,
        max_text_chars=max_text_chars,
        now=now,
    )


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


def next_due_at(session: Session) -> datetime | None:
    """When the next waiting request falls due (a repeat's next airing), if any."""
    return session.scalar(
        select(func.min(Emergency.next_at)).where(
            Emergency.status.in_([EmergencyStatus.PENDING, EmergencyStatus.AIRING])
        )
    )


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


def cancel(session: Session, emergency_id: int) -> Emergency:
    """Stop the remaining repeats of an emergency (the airing under way, if any, finishes).

    Stopping one already stopped changes nothing and records nothing.
    """
    acting(session)
    emergency = session.get(Emergency, emergency_id) if id_or_none(emergency_id) else None
    if emergency is None:
        raise NotFound(f"Không có tin khẩn cấp số {emergency_id}.", f"no emergency {emergency_id}")
    if emergency.status == EmergencyStatus.CANCELLED:
        return emergency
    if not emergency.status.stoppable:
        raise StateError(
            f"Tin khẩn cấp số {emergency_id} không còn lần phát nào để dừng.",
            f"emergency {emergency_id} is {emergency.status}",
        )
    before = {"status": emergency.status.value, "plays_done": emergency.plays_done}
    emergency.status, emergency.next_at = EmergencyStatus.CANCELLED, None
    after = {"status": emergency.status.value, "plays_done": emergency.plays_done}
    record(session, "emergency_stopped", subject_kind="emergency", subject_id=emergency.id,
           summary=f"Dừng tin khẩn cấp số {emergency.id}: {emergency.title}", before=before,
           after=after)  # fmt: skip
    changes.note(session, Change.EMERGENCY)
    return emergency


def recent(session: Session, *, limit: int = 20) -> list[Emergency]:
    """Return the latest emergency requests, newest first."""
    return list(session.scalars(select(Emergency).order_by(Emergency.id.desc()).limit(limit)))


# Said of a request the server handed to its players (docs/deployment.md): the players air it
# and log each airing; the server's row shows it sent, and stoppable while repeats remain.
HANDED_OVER = "Đã gửi tới các máy phát; nhật ký phát sóng ghi từng lần phát."


def handed_over(session: Session, emergency: Emergency, *, now: datetime) -> None:
    """Record that a claimed request went to the players (it stays AIRING until its end)."""
    emergency.reason = HANDED_OVER
    emergency.next_at = None


# Said of a handed-over request once its stop went to the players: what is left is to send.
STOP_SENT = "Đã dừng; lệnh dừng đã gửi tới các máy phát."


def stops_to_send(session: Session) -> list[Emergency]:
    """Return the handed-over requests stopped since, whose stop the players have not been
    sent: kept here, not in the relay's memory, so a server restarted in between sends it."""
    query = select(Emergency).where(
        Emergency.status == EmergencyStatus.CANCELLED, Emergency.reason == HANDED_OVER
    )
    return list(session.scalars(query.order_by(Emergency.id)))


def stop_sent(emergency: Emergency) -> None:
    """Record that the players were sent the stop of a handed-over request."""
    emergency.reason = STOP_SENT


def end_handed_over(session: Session, *, now: datetime) -> list[Emergency]:
    """Mark DONE the handed-over requests whose last repeat has surely ended at the players."""
    done = []
    for emergency in session.scalars(
        select(Emergency).where(
            Emergency.status == EmergencyStatus.AIRING, Emergency.reason == HANDED_OVER
        )
    ):
        last = emergency.created_at + timedelta(
            minutes=emergency.every_min * (emergency.repeat - 1),
            seconds=emergency.duration_s + RESUME_WITHIN.total_seconds(),
        )
        if now >= last:
            emergency.status = EmergencyStatus.DONE
            done.append(emergency)
    return done


def take_handed(
    session: Session,
    *,
    title: str,
    text: str,
    requested_by: str,
    audio_file: str,
    sha256: str,
    duration_s: float,
    zone_ids: list[int],
    repeat: int,
    every_min: float,
    now: datetime,
) -> Emergency:
    """Store, on a player, an emergency its server handed over: due at once."""
    emergency = Emergency(
        requested_by=requested_by[:MAX_NAME], title=title, text=text, audio_file=audio_file,
        audio_sha256=sha256, duration_s=duration_s, zone_ids=sorted(set(zone_ids)),
        repeat=repeat, every_min=every_min if repeat > 1 else 0.0, next_at=now,
        status=EmergencyStatus.PENDING, created_at=now,
    )  # fmt: skip
    session.add(emergency)
    session.flush()
    return emergency


def stop_handed(session: Session, emergency_id: int) -> None:
    """On a player: end the repeats of an emergency its server stopped."""
    emergency = session.get(Emergency, emergency_id)
    if emergency is not None and emergency.status.stoppable:
        emergency.status, emergency.next_at = EmergencyStatus.CANCELLED, None
