"""A lexicon change re-voices in the background; changes made meanwhile are never lost."""

from __future__ import annotations

import threading

import pytest

from playlists.core.changes import Change
from web.context import StationContext


def test_changes_made_while_re_voicing_run_it_once_more_never_twice_at_once(
    ctx: StationContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    running, release = threading.Event(), threading.Event()
    passes: list[int] = []
    at_once: list[int] = []

    def slow_refresh() -> list[int]:
        at_once.append(1)
        assert len(at_once) == 1, "two re-voicings at once"
        passes.append(1)
        running.set()
        assert release.wait(30)
        at_once.pop()
        return []

    monkeypatch.setattr(ctx, "refresh_renderings", slow_refresh)
    assert not ctx.station.scheduler.running  # its jobs run in the asking thread
    first = threading.Thread(target=ctx.react, args=({Change.LEXICON},))
    first.start()
    assert running.wait(30)
    ctx.react({Change.LEXICON})  # both answer at once: the pass running takes them up
    ctx.react({Change.LEXICON})
    assert len(passes) == 1
    release.set()
    first.join(30)
    assert not first.is_alive()
    assert len(passes) == 2, "one more pass for the changes made during the first"
    ctx.react({Change.LEXICON})  # and a later change runs again
    assert len(passes) == 3
