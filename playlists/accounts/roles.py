"""Roles, the actions they allow, and the one table between them (pure, no database).

Every entry point (a page, an API operation, a command) declares the `Action` it performs;
`allows` answers from `ALLOWED`, the permission table the ward's process defines
(../docs/permissions.md prints it). A user holds roles per station, so one person can later
hold roles in several wards.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable


class Role(enum.StrEnum):
    """A duty in the ward's broadcasting process."""

    EDITOR = "editor"
    APPROVER = "approver"
    OPERATOR = "operator"
    REPORTER = "reporter"
    ADMIN = "admin"
    # Not a person: a player at the loudspeakers, signing in with an API token of its own.
    PLAYER = "player"
    # The city's, held at every ward at once (playlists/accounts/models.py CITY_SCOPE).
    CITY_REPORTER = "city_reporter"
    CITY_OPERATOR = "city_operator"

    @property
    def label(self) -> str:
        return _ROLE_LABELS[self]


_ROLE_LABELS = {
    Role.EDITOR: "Biên tập viên",
    Role.APPROVER: "Lãnh đạo duyệt",
    Role.OPERATOR: "Kỹ thuật viên vận hành",
    Role.REPORTER: "Cán bộ báo cáo",
    Role.ADMIN: "Quản trị",
    Role.PLAYER: "Máy phát tại cụm loa",
    Role.CITY_REPORTER: "Cán bộ báo cáo thành phố",
    Role.CITY_OPERATOR: "Điều hành khẩn cấp thành phố",
}

# Roles held for the whole city: granted only by the home ward's admins (the platform's).
CITY_ROLES = frozenset({Role.CITY_REPORTER, Role.CITY_OPERATOR})


class Action(enum.StrEnum):
    """Something a person does in the product; its value names it in the audit trail."""

    # Anyone signed in.
    READ = "read"
    OWN_ACCOUNT = "own_account"  # sign out, change one's own password, one's own tokens
    # Editor.
    WRITE_BULLETIN = "write_bulletin"
    UPLOAD_RECORDING = "upload_recording"
    CHECK_INTELLIGIBILITY = "check_intelligibility"
    # Approver.
    APPROVE_BULLETIN = "approve_bulletin"
    CHANGE_LEXICON = "change_lexicon"
    # Operator.
    MANAGE_SLOTS = "manage_slots"
    BUILD_PLAN = "build_plan"
    PLAY_BY_HAND = "play_by_hand"
    SEND_EMERGENCY = "send_emergency"
    ACKNOWLEDGE_ALERT = "acknowledge_alert"
    # Reporter.
    EXPORT_REPORT = "export_report"
    CLOSE_PERIOD = "close_period"
    SET_REPORT_TARGETS = "set_report_targets"
    # Admin.
    MANAGE_USERS = "manage_users"
    READ_AUDIT = "read_audit"
    # Player.
    SYNC_PLAYER = "sync_player"
    # City.
    CITY_REPORT = "city_report"
    CITY_EMERGENCY = "city_emergency"

    @property
    def label(self) -> str:
        return _ACTION_LABELS[self]


_ACTION_LABELS = {
    Action.READ: "xem",
    Action.OWN_ACCOUNT: "quản lý tài khoản của mình",
    Action.WRITE_BULLETIN: "viết, sửa và gửi duyệt bản tin",
    Action.UPLOAD_RECORDING: "tải bản ghi âm lên",
    Action.CHECK_INTELLIGIBILITY: "kiểm tra độ rõ của âm thanh",
    Action.APPROVE_BULLETIN: "duyệt hoặc trả lại bản tin",
    Action.CHANGE_LEXICON: "sửa từ điển cách đọc",
    Action.MANAGE_SLOTS: "quản lý cụm loa, máy phát, khung giờ và lịch hủy",
    Action.BUILD_PLAN: "lập lịch phát",
    Action.PLAY_BY_HAND: "phát tay một khung giờ",
    Action.SEND_EMERGENCY: "phát hoặc dừng tin khẩn cấp",
    Action.ACKNOWLEDGE_ALERT: "xử lý cảnh báo",
    Action.EXPORT_REPORT: "xuất nhật ký và báo cáo",
    Action.CLOSE_PERIOD: "chốt kỳ báo cáo",
    Action.SET_REPORT_TARGETS: "đặt chỉ tiêu tuyên truyền theo nội dung",
    Action.MANAGE_USERS: "quản lý người dùng, vai trò và mã API",
    Action.READ_AUDIT: "xem nhật ký thao tác",
    Action.SYNC_PLAYER: "nhận lịch phát và âm thanh, gửi nhật ký phát sóng của máy phát",
    Action.CITY_REPORT: "xem số liệu tổng hợp của các phường",
    Action.CITY_EMERGENCY: "phát khẩn cấp cho nhiều phường cùng lúc",
}

# Every person: a player reads nothing of the pages, it only syncs.
EVERYONE = frozenset(Role) - {Role.PLAYER}

# The permission table. READ and OWN_ACCOUNT need only a signed-in user with any role.
ALLOWED: dict[Action, frozenset[Role]] = {
    Action.READ: EVERYONE,
    Action.OWN_ACCOUNT: EVERYONE,
    Action.WRITE_BULLETIN: frozenset({Role.EDITOR}),
    Action.UPLOAD_RECORDING: frozenset({Role.EDITOR}),
    Action.CHECK_INTELLIGIBILITY: frozenset({Role.EDITOR}),
    Action.APPROVE_BULLETIN: frozenset({Role.APPROVER}),
    Action.CHANGE_LEXICON: frozenset({Role.APPROVER}),
    Action.MANAGE_SLOTS: frozenset({Role.OPERATOR}),
    Action.BUILD_PLAN: frozenset({Role.OPERATOR}),
    Action.PLAY_BY_HAND: frozenset({Role.OPERATOR}),
    Action.SEND_EMERGENCY: frozenset({Role.OPERATOR, Role.CITY_OPERATOR}),
    Action.ACKNOWLEDGE_ALERT: frozenset({Role.OPERATOR}),
    Action.EXPORT_REPORT: frozenset({Role.REPORTER, Role.CITY_REPORTER}),
    Action.CLOSE_PERIOD: frozenset({Role.REPORTER}),
    Action.SET_REPORT_TARGETS: frozenset({Role.REPORTER}),
    Action.MANAGE_USERS: frozenset({Role.ADMIN}),
    Action.READ_AUDIT: frozenset({Role.ADMIN}),
    Action.SYNC_PLAYER: frozenset({Role.PLAYER}),
    Action.CITY_REPORT: frozenset({Role.CITY_REPORTER}),
    Action.CITY_EMERGENCY: frozenset({Role.CITY_OPERATOR}),
}


def allows(roles: Iterable[Role], action: Action) -> bool:
    """Whether a person holding `roles` may perform `action`."""
    return not ALLOWED[action].isdisjoint(roles)


def refusal(action: Action) -> str:
    """Say in Vietnamese why someone without the role cannot do `action`."""
    needed = " hoặc ".join(role.label for role in Role if role in ALLOWED[action])
    return f"Bạn không có quyền {action.label}: việc này cần vai trò {needed}."


def parse_roles(values: Iterable[str]) -> frozenset[Role]:
    """Read role codes (`editor`, ...); raise ValueError naming the unknown one."""
    roles = set()
    for value in values:
        try:
            roles.add(Role(value.strip().lower()))
        except ValueError:
            known = ", ".join(role.value for role in Role)
            raise ValueError(f"Không có vai trò '{value}'. Các vai trò: {known}.") from None
    return frozenset(roles)
