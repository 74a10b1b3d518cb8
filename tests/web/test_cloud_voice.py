"""A station subscribed to a cloud voice whose key is refused: the bulletin still gets audio
(the fallback voice), and the staff see one alert, in Vietnamese, naming the service; the key
itself is in no alert and no log line."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from playlists.alerts.models import Alert, AlertKind
from playlists.bulletins.models import Bulletin
from playlists.bulletins.rendering import make_renderer, render_bulletin
from tests.audio.test_audio_cloud import StandIn, clip, stand  # noqa: F401 (fixtures)
from web.context import StationContext
from web.settings import Settings

WRONG = "khoa-cu-da-het-han-987"


@pytest.fixture
def settings(settings: Settings, stand: StandIn) -> Settings:  # noqa: F811
    return settings.model_copy(
        update={
            "tts_engines": (stand.service, "offline"),
            f"{stand.service}_url": stand.url,
            f"{stand.service}_api_key": SecretStr(WRONG),
        }
    )


def test_a_refused_key_is_an_alert_and_the_bulletin_still_speaks(
    ctx: StationContext, session: Session, stand: StandIn,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    renderer = make_renderer(ctx.settings)
    for text in ("Lịch tiếp dân tuần này.", "Lịch tiếp dân tuần sau."):
        bulletin = Bulletin(title="Tiếp dân", text=text, first_day=date(2026, 12, 7),
                            last_day=date(2026, 12, 7), speed=1.0)  # fmt: skip
        with caplog.at_level(logging.DEBUG):
            render_bulletin(bulletin, session=session, renderer=renderer,
                            media_dir=ctx.settings.media_dir)  # fmt: skip
        assert bulletin.rendering is not None and bulletin.rendering.engine == "espeak-ng"
    (alert,) = session.scalars(select(Alert)).all()  # once, while it shows
    assert alert.kind == AlertKind.AUDIO and "từ chối khóa API" in alert.message
    assert ("FPT.AI" if stand.service == "fpt" else "Viettel AI") in alert.message
    assert len(stand.requests) == 2  # one per bulletin: a refused key is not asked again
    assert WRONG not in f"{alert.message} {alert.detail} {caplog.text}"
