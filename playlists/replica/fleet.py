"""The station's players as the server knows them: their reports, and when to worry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from annotated_types import MaxLen
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from playlists.accounts.actor import acting
from playlists.alerts.models import Alert, AlertKind
from playlists.alerts.service import MAX_NAME
from playlists.audit.service import history
from playlists.audit.service import record as record_change
from playlists.core.errors import NotFound, StateError
from playlists.core.text import one_line
from playlists.replica.models import Player

PlayerName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$")]


class PlayerStatus(BaseModel):
    """What a player says of itself in each heartbeat (and its last will says: gone)."""

    name: PlayerName
    online: bool = True
    horizon: date | None = None
    last_sync_at: datetime | None = None
    clock_offset_ms: float | None = None
    outputs: Annotated[list[Annotated[str, MaxLen(100)]], MaxLen(50)] = []
    pending_rows: Annotated[int, Field(ge=0)] = 0
    version: Annotated[str, MaxLen(32)] = ""


def record(session: Session, status: PlayerStatus, *, now: datetime) -> Player | None:
    """Store a player's report (a last will keeps what the player said before it).

    The broker keeps a player's last word and repeats it at each connect: a "gone" from a
    player taken off the list must not list it again. From one never listed (it ran while
    the server was away, then died) it is news, and lists it as silent.
    """
    player = session.get(Player, status.name)
    if player is None and not status.online and _retired(session, status.name):
        return None
    if player is None:
        player = Player(name=status.name, outputs=[], pending_rows=0, version="")
        session.add(player)
    player.online = status.online
    player.last_seen_at = now if status.online else player.last_seen_at
    if status.online:
        player.horizon = status.horizon
        player.last_sync_at = status.last_sync_at
        player.clock_offset_ms = status.clock_offset_ms
        player.outputs = list(status.outputs)
        player.pending_rows = status.pending_rows
        player.version = status.version
    session.flush()
    return player


RETIRED = "player_retired"  # the audit trail's word for a player taken off the list


def _retired(session: Session, name: str) -> bool:
    """Whether the last thing done to this (unlisted) player was to take it off the list."""
    trail = history(session, "player", name)
    return bool(trail) and trail[-1].action == RETIRED


def players(session: Session) -> list[Player]:
    """Return every player the station has heard of, by name."""
    return list(session.scalars(select(Player).order_by(Player.name)))


@dataclass(frozen=True)
class Worry:
    """Why a player needs a person's attention, in Vietnamese."""

    player: str
    message: str  # the same words while the problem lasts: one alert, not one a minute
    detail: str = ""


def worries(
    found: Sequence[Player], *, now: datetime, tz: ZoneInfo, silent_after: timedelta,
    sync_every: timedelta,
) -> list[Worry]:  # fmt: skip
    """Return what is wrong with each player: silent, or its plans end before its next sync.

    A player's plans end at the local midnight after its horizon; they must outlast the sync
    after next, so that one failed sync costs nothing. Pure: the caller passes the instant.
    """
    out: list[Worry] = []
    for player in found:
        seen = player.last_seen_at
        if is_silent(player, now=now, silent_after=silent_after):
            since = "never connected" if seen is None else f"last seen {seen.isoformat()}"
            out.append(Worry(player.name, f"Máy phát {player.name} mất liên lạc.", since))
            continue
        synced = player.last_sync_at
        if synced is not None and now - synced > 2 * sync_every + silent_after:
            # Heartbeats without syncs: a refused (expired) token, a server error.
            out.append(Worry(player.name, f"Máy phát {player.name} không đồng bộ được lịch phát "
                             "với máy chủ.", f"last sync {synced.isoformat()}"))  # fmt: skip
        if player.horizon is None:
            out.append(Worry(player.name, f"Máy phát {player.name} chưa có lịch phát nào."))
        elif plans_end(player.horizon, tz) < max(now, synced or now) + 2 * sync_every:
            said = (
                f"Máy phát {player.name} chỉ có lịch đến hết ngày {player.horizon:%d/%m/%Y}: "
                "lịch có thể hết trước khi máy phát kịp đồng bộ lại."
            )
            out.append(Worry(player.name, said))
    return out


def is_silent(player: Player, *, now: datetime, silent_after: timedelta) -> bool:
    """Whether a player is gone: it said so (its last will), or has not been heard for long."""
    seen = player.last_seen_at
    return not player.online or seen is None or now - seen > silent_after


def retire(session: Session, name: str, *, now: datetime, silent_after: timedelta) -> None:
    """Take a player off the station's list (a machine replaced, or gone for good): no more
    alerts about it, and the alert that it went silent is cleared. The session's actor's
    change, in the audit trail. A player still connected is refused: its next heartbeat
    would list it again (turn it off, or remove its broker account, first: its heartbeats
    go through the broker, not with its API token).
    """
    actor = acting(session)
    player = session.get(Player, name)
    if player is None:
        shown = one_line(name)[:64]
        raise NotFound(f"Không có máy phát '{shown}'.", f"no player {shown!r}")
    if not is_silent(player, now=now, silent_after=silent_after):
        raise StateError(
            f"Máy phát {name} đang kết nối: hãy tắt máy phát đó (hoặc xóa tài khoản của nó trên "
            "máy chủ tin nhắn MQTT) rồi mới gỡ khỏi danh sách.",
            f"player {name} is connected",
        )
    seen = player.last_seen_at
    session.delete(player)
    # The worries about it (every one of them starts so), not what it reported itself.
    for alert in session.scalars(
        select(Alert).where(
            Alert.cleared_at.is_(None),
            Alert.kind == AlertKind.PLAYER,
            # Escaped: "_" in a player's name is a LIKE wildcard (may_1 is not may-1).
            Alert.message.startswith(f"Máy phát {name} ", autoescape=True),
        )
    ):
        alert.cleared_at, alert.cleared_by = now, actor.display_name[:MAX_NAME]
    record_change(session, RETIRED, subject_kind="player", subject_id=name,
                  summary=f"Gỡ máy phát {name} khỏi danh sách",
                  before={"last_seen_at": seen.isoformat() if seen else None}, at=now)  # fmt: skip


def plans_end(horizon: date, tz: ZoneInfo) -> datetime:
    """Return the instant a player holding plans up to `horizon` runs out of them."""
    return datetime.combine(horizon + timedelta(days=1), time(0), tzinfo=tz)
