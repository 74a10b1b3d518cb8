"""The demo station: what a newcomer sees on an empty database, so the station works at once."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from audio.speech import SpeechRenderer
from playlists.bulletins.models import Bulletin, Priority
from playlists.bulletins.schemas import BulletinCreate
from playlists.bulletins.workflow import approve, create_bulletin
from playlists.slots.models import Slot, Zone

log = logging.getLogger(__name__)

DEMO_ZONE = "Cụm loa trung tâm"
DEMO_SLOTS = [("Buổi sáng", time(5, 30)), ("Buổi chiều", time(17, 0))]

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
    """Tell whether the station has neither zones nor bulletins yet."""
    has_zone = session.scalar(select(Zone.id).limit(1)) is not None
    has_bulletin = session.scalar(select(Bulletin.id).limit(1)) is not None
    return not (has_zone or has_bulletin)


def seed_demo(
    *,
    session: Session,
    renderer: SpeechRenderer,
    media_dir: Path,
    today: date,
    now: datetime,
    max_text_chars: int,
) -> int:
    """Create the demo zone, slots and approved bulletins; return how many bulletins."""
    zone = Zone(name=DEMO_ZONE, description="Loa tại trụ sở UBND phường và các tuyến phố chính")
    session.add(zone)
    for name, start in DEMO_SLOTS:
        session.add(Slot(name=name, start=start, duration_s=30 * 60, days="1234567", zones=[zone]))
    session.flush()
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
            author="Biên tập viên (dữ liệu mẫu)",
        )
        bulletin = create_bulletin(
            data,
            session=session,
            renderer=renderer,
            media_dir=media_dir,
            max_text_chars=max_text_chars,
            now=now,
            today=today,
        )
        approve(
            bulletin.id,
            session=session,
            approver="Lãnh đạo (dữ liệu mẫu)",
            renderer=renderer,
            media_dir=media_dir,
            now=now,
            today=today,
        )
        log.info("demo bulletin %s rendered", bulletin.id)
    return len(DEMO_BULLETINS)
