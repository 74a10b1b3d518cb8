"""The demo station: what a newcomer sees on an empty database, so the station works at once.

It has one demo account per role, with fixed passwords printed by `loa serve --demo` and
listed in the README: they are for trying the station out, never for a real one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from audio.speech import SpeechRenderer
from playlists.accounts import service as accounts
from playlists.accounts.actor import Origin, bind, station_actor
from playlists.accounts.models import User
from playlists.accounts.roles import Role
from playlists.bulletins.models import Bulletin, Priority
from playlists.bulletins.schemas import BulletinCreate
from playlists.bulletins.workflow import approve, create_bulletin
from playlists.core.db import ward_of
from playlists.slots.models import Zone
from playlists.slots.service import Caps, SlotInput, add_slot, add_zone

log = logging.getLogger(__name__)

DEMO_ZONE = "Cụm loa trung tâm"
DEMO_SLOTS = [("Buổi sáng", time(5, 30)), ("Buổi chiều", time(17, 0))]


@dataclass(frozen=True)
class DemoAccount:
    """A demo user: public, fixed password; only for trying the station out."""

    username: str
    display_name: str
    role: Role
    password: str


# One per role. The passwords are published (README, start-up): never keep them on a real
# station. They pass the password rules (playlists/accounts/passwords.py).
DEMO_ACCOUNTS = (
    DemoAccount("bientap", "Biên tập viên (mẫu)", Role.EDITOR, "soan-tin-mau-1"),
    DemoAccount("duyet", "Lãnh đạo duyệt (mẫu)", Role.APPROVER, "lanh-dao-mau-2"),
    DemoAccount("vanhanh", "Kỹ thuật viên vận hành (mẫu)", Role.OPERATOR, "phat-song-mau-3"),
    DemoAccount("baocao", "Cán bộ báo cáo (mẫu)", Role.REPORTER, "so-lieu-mau-4"),
    DemoAccount("quantri", "Quản trị (mẫu)", Role.ADMIN, "he-thong-mau-5"),
)

# Written for the demo: short, typical of a ward's CCHC bulletins, with the numbers, dates,
# hotlines and abbreviations that the normalizer has to read aloud.
DEMO_BULLETINS: list[tuple[str, int, Priority, int, str]] = [
    (
        "Nộp hồ sơ khai sinh trực tuyến",
        8,
        Priority.NORMAL,
        2,
        "Kính thưa bà con! Từ ngày 01/12/2026, bà con có thể đăng ký khai sinh cho con "
        "trên Cổng DVC quốc gia, không phải đến trụ sở UBND phường. Cần hỗ trợ, xin gọi "
        "số 0243.8251.234 trong giờ hành chính, từ 7h30 đến 17h00.",
    ),
    (
        "Kết quả khảo sát sự hài lòng",
        4,
        Priority.NORMAL,
        1,
        "Năm 2025, 92,5% người dân được hỏi hài lòng với việc giải quyết TTHC tại "
        "bộ phận một cửa của phường. UBND phường cảm ơn 830 người dân đã tham gia khảo sát.",
    ),
    (
        "Đường dây nóng góp ý cán bộ",
        5,
        Priority.PRIORITY,
        2,
        "Bà con thấy cán bộ, công chức gây phiền hà khi làm thủ tục, xin gọi đường dây "
        "nóng 0987 654 321. Mọi ý kiến được trả lời trong 3 ngày làm việc.",
    ),
    (
        "Áp dụng ISO 9001:2015 tại phường",
        9,
        Priority.NORMAL,
        1,
        "Phường đang áp dụng Hệ thống quản lý chất lượng TCVN ISO 9001:2015 cho 96 thủ tục "
        "hành chính, giúp hồ sơ của bà con được giải quyết đúng hạn và công khai.",
    ),
]


def is_empty(*, session: Session) -> bool:
    """Tell whether the station has no zone, no bulletin and no user yet.

    A station with its own users gets no demo: its demo accounts' passwords are public.
    """
    return all(
        session.scalar(select(column).limit(1)) is None
        for column in (Zone.id, Bulletin.id, User.id)
    )


def seed_demo(
    *,
    session: Session,
    renderer: SpeechRenderer,
    media_dir: Path,
    today: date,
    now: datetime,
    max_text_chars: int,
) -> int:
    """Create the demo accounts, zone, slots and approved bulletins; return how many bulletins.

    The audit trail tells it as it happened. The station itself (`station_actor`) creates the
    accounts, the zone and the slots: no person did, and the demo admin cannot have created
    itself. Each bulletin is written by the demo editor and approved by the demo approver, as
    a real one would be (four eyes). The station's actor is left bound to `session`.
    """
    bind(session, station_actor())
    users = {}
    for account in DEMO_ACCOUNTS:
        user, _ = accounts.add_user(
            session, account.username, display_name=account.display_name,
            roles={account.role}, password=account.password, now=now,
        )  # fmt: skip
        users[account.role] = user
    zone = add_zone(
        DEMO_ZONE, session=session, description="Loa tại trụ sở UBND phường và các tuyến phố chính"
    )
    for name, start in DEMO_SLOTS:
        add_slot(
            SlotInput(name=name, zone_names=[zone.name], days="1-7", start=start, minutes=30),
            session=session,
            caps=Caps(),
        )
    editor = accounts.actor_for(users[Role.EDITOR], Origin.CLI, ward_of(session))
    approver = accounts.actor_for(users[Role.APPROVER], Origin.CLI, ward_of(session))
    for title, topic, priority, per_day, text in DEMO_BULLETINS:
        data = BulletinCreate(
            title=title,
            text=text,
            topic=topic,
            priority=priority,
            first_day=today,
            last_day=today + timedelta(days=30),
            per_day=per_day,
            zone_ids=[zone.id],
        )
        bind(session, editor)
        bulletin = create_bulletin(
            data,
            session=session,
            renderer=renderer,
            media_dir=media_dir,
            max_text_chars=max_text_chars,
            now=now,
            today=today,
        )
        bind(session, approver)
        approve(
            bulletin.id,
            session=session,
            renderer=renderer,
            media_dir=media_dir,
            now=now,
            today=today,
        )
        log.info("demo bulletin %s rendered", bulletin.id)
    bind(session, station_actor())
    return len(DEMO_BULLETINS)
