"""Every change a person makes in the domain is in the audit trail, against the session's actor.

What the station does on its own (the as-run log, the alerts it raises, the emergencies it
claims and counts, the plans it rebuilds) is nobody's change: it needs no actor and records
nothing. A person's change in a session with no actor is refused before anything is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from audio.speech import Rendered
from playlists.accounts.actor import Actor
from playlists.accounts.roles import Role
from playlists.alerts.models import AlertKind
from playlists.alerts.service import clear_alert, raise_alert
from playlists.asrun import ledger
from playlists.asrun.models import AirSource, AirStatus
from playlists.audit import service as audit
from playlists.audit.models import AuditEntry
from playlists.core.db import session_scope
from playlists.core.errors import InputError, NotFound
from playlists.emergencies import service as emergencies
from playlists.emergencies.models import Emergency, EmergencyStatus
from playlists.emergencies.service import EmergencyDraft, request_emergency
from playlists.lexicon.models import LexiconEntry
from playlists.lexicon.service import reset_reading, set_reading
from playlists.planning.specs import PlanningRules
from playlists.planning.store import build_and_store, replan
from playlists.slots.models import Zone
from playlists.slots.service import (
    Caps,
    SlotInput,
    add_one_off,
    add_slot,
    add_zone,
    cancel_slot,
    record_manual_play,
)
from tests.conftest import add_zone_and_slot
from web.context import StationContext

pytestmark = pytest.mark.databases()

NOW = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội
TODAY = date(2026, 11, 26)
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CAPS = Caps()


def count(session: Session) -> int:
    return int(session.scalar(select(func.count(AuditEntry.id))) or 0)


def state(entry: AuditEntry, which: str) -> object:
    """An entry's `before` or `after`, read back from its JSON (None when there is none)."""
    text = getattr(entry, which)
    return json.loads(text) if text else None


def by(entry: AuditEntry, actor: Actor) -> bool:
    """Whether the entry names the actor as they were."""
    return (entry.username, entry.display_name, entry.origin) == (
        actor.username, actor.display_name, actor.origin.value,
    )  # fmt: skip


def audio(media_dir: Path) -> Rendered:
    """Ready audio for an emergency, as the offline voice would hand it over."""
    folder = media_dir / "emergency"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "chay.wav"
    path.write_bytes(b"RIFF")
    return Rendered(
        path=path, sha256="0" * 64, engine="test", voice="", speed=1.0, spoken_text="cháy",
        duration_s=4.0, loudness_lufs=-16.0, true_peak_db=-1.0, from_cache=False,
        fallback=False, failures=(),
    )  # fmt: skip


# --- what a person does is recorded ----------------------------------------------------------


def test_zones_slots_cancellations_and_manual_plays_are_recorded(
    session: Session, person: Actor
) -> None:
    zone = add_zone("Chợ", session=session, description="Loa ở cổng chợ")
    (added,) = audit.history(session, "zone", zone.id)
    assert added.action == "zone_added" and by(added, person)
    assert added.roles == ",".join(sorted(role.value for role in Role))
    assert added.summary == "Thêm cụm loa “Chợ”"
    assert state(added, "after") == {"name": "Chợ", "description": "Loa ở cổng chợ"}

    long = SlotInput(name="Sáng", zone_names=["Chợ"], days="1-7", start=time(5, 30), minutes=50)
    slot = add_slot(long, session=session, caps=CAPS).slot
    (slot_added,) = audit.history(session, "slot", slot.id)
    assert slot_added.action == "slot_added" and by(slot_added, person)
    assert slot_added.summary == "Thêm khung giờ “Sáng”: 05:30, 50 phút"
    after = state(slot_added, "after")
    assert isinstance(after, dict)
    assert (after["zones"], after["start"], after["minutes"]) == (["Chợ"], "05:30", 50)
    assert "vượt mức 45 phút" in slot_added.note, "the caps warning the person went past"

    extra = add_one_off("Ngày hội CCHC", zone_names=["Chợ"], day=date(2026, 12, 3),
                        start=time(8), minutes=20, session=session, caps=CAPS)  # fmt: skip
    (one_off,) = audit.history(session, "slot", extra.slot.id)
    assert one_off.action == "one_off_added" and "ngày 03/12/2026" in one_off.summary

    cancel_slot("Sáng", date(2026, 12, 2), session=session, today=TODAY, reason="Sửa loa")
    cancelled = audit.history(session, "slot", slot.id)[-1]
    assert cancelled.action == "slot_cancelled" and by(cancelled, person)
    assert cancelled.summary == "Hủy khung giờ “Sáng” ngày 02/12/2026"
    assert state(cancelled, "before") == {"day": "2026-12-02", "airs": True}
    assert state(cancelled, "after") == {"day": "2026-12-02", "airs": False, "reason": "Sửa loa"}

    assert record_manual_play("05:30", TODAY, session=session, now=NOW).id == slot.id
    played = audit.history(session, "slot", slot.id)[-1]
    assert played.action == "slot_played_by_hand" and by(played, person)
    assert played.summary == "Phát tay khung giờ “Sáng” theo lịch ngày 26/11/2026"
    assert played.at == NOW


def test_a_refused_change_records_nothing(session: Session, person: Actor) -> None:
    add_zone("Chợ", session=session)
    before = count(session)
    with pytest.raises(InputError):
        add_zone(" Chợ ", session=session)
    with pytest.raises(NotFound):
        cancel_slot("Chợ", TODAY, session=session, today=TODAY)  # a zone, not a slot
    assert count(session) == before


def test_a_plan_built_for_a_person_is_recorded_and_the_stations_own_builds_are_not(
    ctx: StationContext, session: Session, person: Actor
) -> None:
    add_zone_and_slot(session)
    day = TODAY + timedelta(days=1)
    build_and_store(session=session, day=day, tz=TZ, now=NOW, audited=True)
    (built,) = audit.history(session, "plan", day.isoformat())
    assert built.action == "plan_built" and by(built, person)
    assert built.summary == "Lập lịch phát ngày 27/11/2026"
    assert built.before == "" and state(built, "after") == {
        "built_at": "2026-11-26 01:00:00+00:00", "items": 0, "unplaced": 0,
    }  # fmt: skip
    later = NOW + timedelta(minutes=5)
    build_and_store(session=session, day=day, tz=TZ, now=later, audited=True)
    again = audit.history(session, "plan", day.isoformat())[-1]
    assert state(again, "before") == state(built, "after"), "the plan it replaced"
    session.commit()

    recorded = count(session)
    # The evening job, the start-up build and the rebuild after a change run in the station's
    # own sessions, with nobody bound: none of them is a person's action.
    with session_scope(ctx.sessions) as station:
        build_and_store(session=station, day=day, tz=TZ, now=later)
        assert replan(session=station, now=later, tz=TZ, rules=PlanningRules()) == [day]
    assert count(session) == recorded


def test_an_emergency_sent_and_stopped_is_recorded_and_airing_it_is_not(
    ctx: StationContext, session: Session, person: Actor
) -> None:
    zone, _ = add_zone_and_slot(session)
    draft = EmergencyDraft(
        requested_by="Anh Hùng, trực ban", text="Cháy ở chợ phường.", title="Cháy",
        zone_ids=[zone.id], repeat=3, every_min=1.0,
    )  # fmt: skip
    sent = request_emergency(
        session, draft=draft, rendered=audio(ctx.settings.media_dir),
        media_dir=ctx.settings.media_dir, max_text_chars=5000, now=NOW,
    )  # fmt: skip
    (entry,) = audit.history(session, "emergency", sent.id)
    assert entry.action == "emergency_sent" and by(entry, person)
    assert entry.summary == f"Phát tin khẩn cấp số {sent.id}: Cháy"
    after = state(entry, "after")
    assert isinstance(after, dict)
    # Who asked the operator is kept apart from who sent it (the entry's actor).
    assert after["requested_by"] == "Anh Hùng, trực ban"
    assert (after["repeat"], after["zone_ids"]) == (3, [zone.id])
    assert after["text"] == "Cháy ở chợ phường."
    emergency_id = sent.id
    session.commit()

    recorded = count(session)
    with session_scope(ctx.sessions) as station:  # the player's own writes: no actor
        (claimed,) = emergencies.claim_due(station, now=NOW)
        emergencies.mark_aired(station, claimed.id, started=NOW)
    assert count(session) == recorded

    session.expire_all()  # the player's session changed the row: read it afresh
    emergencies.cancel(session, emergency_id)
    stopped = audit.history(session, "emergency", emergency_id)[-1]
    assert stopped.action == "emergency_stopped" and by(stopped, person)
    assert state(stopped, "before") == {"status": "airing", "plays_done": 1}
    assert state(stopped, "after") == {"status": "cancelled", "plays_done": 1}
    emergencies.cancel(session, emergency_id)  # already stopped: nothing changes
    assert count(session) == recorded + 1


def test_clearing_an_alert_records_who_did_it_and_raising_one_records_nothing(
    ctx: StationContext, session: Session, person: Actor
) -> None:
    with session_scope(ctx.sessions) as station:
        alert_id = raise_alert(
            station, kind=AlertKind.OUTPUT, message="Cụm 1: mất kết nối Icecast.", now=NOW
        ).id
    assert count(session) == 0

    cleared = clear_alert(session, alert_id, now=NOW)
    assert cleared.cleared_by == "Người thử" == person.display_name
    (entry,) = audit.history(session, "alert", alert_id)
    assert entry.action == "alert_acknowledged" and by(entry, person)
    assert entry.summary == f"Xử lý cảnh báo số {alert_id}: Cụm 1: mất kết nối Icecast."
    assert state(entry, "after") == {
        "cleared_at": "2026-11-26 01:00:00+00:00", "cleared_by": "Người thử",
    }  # fmt: skip

    clear_alert(session, alert_id, now=NOW + timedelta(hours=1))
    assert count(session) == 1 and cleared.cleared_at == NOW, "cleared once, by the first"


def test_lexicon_changes_are_recorded_with_who_made_them(session: Session, person: Actor) -> None:
    set_reading("KDC", "khu dân cư", session=session, now=NOW)
    (added,) = audit.history(session, "lexicon", "KDC")
    assert added.action == "lexicon_set" and by(added, person)
    assert added.summary == "Thêm cách đọc “KDC”: “khu dân cư”"
    assert added.before == "" and state(added, "after") == {"spoken": "khu dân cư"}
    row = session.scalar(select(LexiconEntry).where(LexiconEntry.written == "KDC"))
    assert row is not None and row.updated_by == person.display_name

    set_reading("UBND", "ủy ban", session=session, now=NOW)
    set_reading("UBND", " ủy  ban ", session=session, now=NOW)  # the same reading: no change
    reset_reading("UBND", session=session, now=NOW)
    changed, reset = audit.history(session, "lexicon", "UBND")
    assert changed.summary == "Sửa cách đọc “UBND”: “ủy ban”"
    assert state(changed, "before") == {"spoken": "ủy ban nhân dân"}, "the built-in reading"
    assert reset.action == "lexicon_reset" and by(reset, person)
    assert reset.summary == "Đưa cách đọc “UBND” về mặc định: “ủy ban nhân dân”"
    assert state(reset, "before") == {"spoken": "ủy ban"}
    assert state(reset, "after") == {"spoken": "ủy ban nhân dân"}

    reset_reading("KDC", session=session, now=NOW)
    gone = audit.history(session, "lexicon", "KDC")[-1]
    assert gone.summary == "Xóa cách đọc “KDC”" and gone.after == ""


# --- what the station does on its own needs nobody -------------------------------------------


def test_the_stations_own_writes_need_no_actor_and_record_nothing(ctx: StationContext) -> None:
    with session_scope(ctx.sessions) as station:
        zone, _ = add_zone_and_slot(station)
        station.add_all(
            Emergency(title=title, audio_file="emergency/x.wav", audio_sha256="0" * 64,
                      duration_s=3.0, zone_ids=[zone.id], next_at=NOW, created_at=NOW,
                      status=EmergencyStatus.PENDING)
            for title in ("Một", "Hai")
        )  # fmt: skip
    with session_scope(ctx.sessions) as station:
        raise_alert(station, kind=AlertKind.MISSED, message="Lỡ giờ phát buổi sáng.", now=NOW)
        ledger.append(station, status=AirStatus.PLAYED, source=AirSource.EMERGENCY)
        first, second = emergencies.claim_due(station, now=NOW)
        emergencies.mark_aired(station, first.id, started=NOW)
        emergencies.mark_failed(station, second.id, "không phát được")
        emergencies.resume_interrupted(station, now=NOW + timedelta(hours=1))
        assert count(station) == 0


# --- a person's change with nobody bound is refused ------------------------------------------


Change = Callable[[Session, StationContext, dict[str, int]], object]

PEOPLES_CHANGES: dict[str, Change] = {
    "add_zone": lambda s, ctx, ids: add_zone("Trường học", session=s),
    "add_slot": lambda s, ctx, ids: add_slot(
        SlotInput(name="Trưa", zone_names=["Cụm 1"], days="1-7", start=time(11), minutes=30),
        session=s,
        caps=CAPS,
    ),
    "add_one_off": lambda s, ctx, ids: add_one_off(
        "Ngày hội",
        zone_names=["Cụm 1"],
        day=TODAY,
        start=time(9),
        minutes=20,
        session=s,
        caps=CAPS,
    ),
    "cancel_slot": lambda s, ctx, ids: cancel_slot("Sáng", TODAY, session=s, today=TODAY),
    "record_manual_play": lambda s, ctx, ids: record_manual_play("Sáng", TODAY, session=s, now=NOW),
    "build_and_store": lambda s, ctx, ids: build_and_store(
        session=s, day=TODAY, tz=TZ, now=NOW, audited=True
    ),
    "request_emergency": lambda s, ctx, ids: request_emergency(
        s,
        draft=EmergencyDraft(requested_by="Trực ban", text="Cháy."),
        rendered=audio(ctx.settings.media_dir),
        media_dir=ctx.settings.media_dir,
        max_text_chars=5000,
        now=NOW,
    ),
    "send_emergency": lambda s, ctx, ids: ctx.send_emergency(
        s, EmergencyDraft(requested_by="Trực ban", text="Cháy.")
    ),
    "cancel_emergency": lambda s, ctx, ids: emergencies.cancel(s, ids["emergency"]),
    "clear_alert": lambda s, ctx, ids: clear_alert(s, ids["alert"], now=NOW),
    "set_reading": lambda s, ctx, ids: set_reading("KDC", "khu dân cư", session=s, now=NOW),
    "reset_reading": lambda s, ctx, ids: reset_reading("HTX", session=s, now=NOW),
}


@pytest.mark.parametrize("name", sorted(PEOPLES_CHANGES))
def test_a_persons_change_in_a_session_with_nobody_bound_is_refused(
    ctx: StationContext, name: str
) -> None:
    with session_scope(ctx.sessions) as setup:  # rows as they are, with nobody's changes
        add_zone_and_slot(setup)
        emergency = Emergency(title="Bão", audio_file="emergency/x.wav", audio_sha256="0" * 64,
                              duration_s=3.0, next_at=NOW, created_at=NOW)  # fmt: skip
        setup.add_all([emergency, LexiconEntry(written="HTX", spoken="hợp tác xã nông nghiệp")])
        alert = raise_alert(setup, kind=AlertKind.OUTPUT, message="Mất loa.", now=NOW)
        setup.flush()
        ids = {"emergency": emergency.id, "alert": alert.id}

    with session_scope(ctx.sessions) as session:
        with pytest.raises(RuntimeError, match="no actor bound"):
            PEOPLES_CHANGES[name](session, ctx, ids)
        session.rollback()
        assert count(session) == 0
        assert session.scalar(select(func.count(Zone.id))) == 1
