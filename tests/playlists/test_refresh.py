"""Running bulletins get fresh audio: after a lexicon change, and off the offline voice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from audio.engines.espeak import EspeakEngine
from audio.errors import EngineError
from audio.speech import SpeechRenderer
from playlists.bulletins import rendering as bulletin_audio
from playlists.bulletins import workflow as service
from playlists.bulletins.schemas import BulletinCreate
from playlists.lexicon.service import set_reading, station_normalizer
from tests.conftest import add_zone_and_slot

# Bulletins are written and approved, and the lexicon changed, by someone (`person`).
pytestmark = [pytest.mark.databases(), pytest.mark.usefixtures("person")]

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
TODAY = NOW.date()


class BetterEngine:
    """A stand-in for gTTS that can be switched on and off: it speaks through espeak-ng's
    southern voice so its audio is real and different from the offline rendering."""

    name = "better"

    def __init__(self) -> None:
        self.reachable = False
        self.calls = 0
        self._voice = EspeakEngine()

    def default_voice(self) -> str:
        return "vi-vn-x-south"

    def synthesize(self, text: str, *, voice: str, speed: float, dst: Path) -> None:
        self.calls += 1
        if not self.reachable:
            raise EngineError("Không kết nối được.", "better: unreachable")
        self._voice.synthesize(text, voice="vi-vn-x-south", speed=speed, dst=dst)


def approved(session: Session, renderer: SpeechRenderer, media: Path, text: str) -> int:
    zone, _ = add_zone_and_slot(session, zone=f"Cụm {text}", slot=f"Khung {text}")
    data = BulletinCreate(
        title=text, text=text, topic=8, first_day=TODAY, last_day=TODAY + timedelta(days=3),
        zone_ids=[zone.id],
    )  # fmt: skip
    bulletin = service.create_bulletin(
        data,
        session=session,
        renderer=renderer,
        media_dir=media,
        max_text_chars=5000,
        now=NOW,
        today=TODAY,
    )
    service.approve(
        bulletin.id,
        session=session,
        renderer=renderer,
        media_dir=media,
        now=NOW,
        today=TODAY,
    )
    return bulletin.id


def test_offline_renderings_move_to_the_better_engine_once_it_answers(
    session: Session, tmp_path: Path
) -> None:
    better = BetterEngine()
    renderer = SpeechRenderer(tmp_path / "tts", [better, EspeakEngine()])
    first = approved(session, renderer, tmp_path, "Thông báo một.")
    second = approved(session, renderer, tmp_path, "Thông báo hai.")
    assert service.get_bulletin(first, session=session).rendering.engine == "espeak-ng"  # type: ignore[union-attr]

    calls = better.calls
    assert (
        bulletin_audio.refresh_renderings(
            session=session, renderer=renderer, media_dir=tmp_path, today=TODAY
        )
        == []
    )
    assert better.calls == calls + 1, "one try per round while the better engine is down"

    better.reachable = True
    changed = bulletin_audio.refresh_renderings(
        session=session, renderer=renderer, media_dir=tmp_path, today=TODAY
    )
    assert changed == [first, second]
    for bulletin_id in changed:
        rendering = service.get_bulletin(bulletin_id, session=session).rendering
        assert rendering is not None and rendering.engine == "better"
    assert (
        bulletin_audio.refresh_renderings(
            session=session, renderer=renderer, media_dir=tmp_path, today=TODAY
        )
        == []
    )


def test_a_lexicon_change_re_renders_running_bulletins(session: Session, tmp_path: Path) -> None:
    renderer = SpeechRenderer(
        tmp_path / "tts", [EspeakEngine()], normalizer=station_normalizer(None)
    )
    bulletin_id = approved(session, renderer, tmp_path, "Họp tại KDC số 2.")
    before = service.get_bulletin(bulletin_id, session=session).rendering
    assert before is not None and "KDC" in before.spoken_text

    set_reading("KDC", "khu dân cư", session=session, now=NOW)
    renderer.normalizer = station_normalizer({"KDC": "khu dân cư"})
    assert bulletin_audio.refresh_renderings(
        session=session, renderer=renderer, media_dir=tmp_path, today=TODAY
    ) == [bulletin_id]
    after = service.get_bulletin(bulletin_id, session=session).rendering
    assert after is not None and "khu dân cư" in after.spoken_text
    assert after.sha256 != before.sha256


def test_finished_bulletins_are_left_alone(session: Session, tmp_path: Path) -> None:
    renderer = SpeechRenderer(tmp_path / "tts", [EspeakEngine()])
    approved(session, renderer, tmp_path, "Đã hết hạn.")
    renderer.normalizer = lambda text: text.upper()
    later = TODAY + timedelta(days=10)
    assert (
        bulletin_audio.refresh_renderings(
            session=session, renderer=renderer, media_dir=tmp_path, today=later
        )
        == []
    )
