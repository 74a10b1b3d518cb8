"""The domain's settings, one small class per concern, each read from `LOA_*` variables.

Lower layers never read the environment themselves: the composition root (web/context.py)
reads every section once, at start-up, and hands each part only the section it needs. A wrong
value stops start-up with a message naming the variable (`read_settings`).
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal, TypeVar, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from playlists.core.db import shown_url

ENGINE_NAMES = ("gtts", "fpt", "viettel", "offline", "piper")
# Every section reads LOA_<FIELD>, ignores the variables of the other sections, and is frozen.
SECTION = SettingsConfigDict(env_prefix="LOA_", extra="ignore", frozen=True)


class SettingsError(Exception):
    """A setting is wrong; the message tells a person which variable to fix and how."""


class StationSettings(BaseSettings):
    """Where the station keeps its data, and the time zone its slots are written in."""

    model_config = SECTION

    data_dir: Path = Field(default=Path("data"), description="Thư mục dữ liệu của đài")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; mặc định SQLite trong thư mục dữ liệu"
    )
    timezone: str = "Asia/Ho_Chi_Minh"
    # The ward this process works for, by its code (`loa ward list`); empty: the home ward.
    ward: str = Field(default="", max_length=40)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Ho_Chi_Minh)") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must start with sqlite:// or postgresql://")
        return value

    @cached_property
    def zone(self) -> ZoneInfo:
        """Return the station's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def db_url(self) -> str:
        """Return the database URL, defaulting to a SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'loa.db').resolve()}"

    @property
    def media_dir(self) -> Path:
        """Return the folder of mastered audio (renderings and recordings)."""
        return self.data_dir / "media"

    @property
    def reports_dir(self) -> Path:
        """Return the folder where the files of closed reports are kept."""
        return self.data_dir / "reports"

    @property
    def uploads_dir(self) -> Path:
        """Return the folder where uploaded recordings are kept as received."""
        return self.data_dir / "uploads"

    @property
    def voices_dir(self) -> Path:
        """Return the folder of the piper voices the station installed (`loa voice add`)."""
        return self.data_dir / "voices"


class SpeechSettings(BaseSettings):
    """How the station speaks: engines in order, loudness, chimes, and re-rendering."""

    model_config = SECTION

    tts_engines: Annotated[tuple[str, ...], NoDecode] = ("gtts", "offline")
    gtts_timeout_s: float = Field(default=10.0, gt=0, le=120)
    piper_voice: Path | None = Field(default=None, description="Tệp giọng piper (.onnx)")
    # The voice a bulletin gets when it asks for none ("" : each engine's own).
    default_voice: str = Field(default="", max_length=64, description="Giọng đọc mặc định")
    # The station's own keys to the Vietnamese cloud voices: secrets, never shown or logged.
    fpt_api_key: SecretStr | None = Field(default=None, description="Khóa API của FPT.AI")
    fpt_url: str = Field(default="https://api.fpt.ai", pattern=r"^https?://")
    viettel_api_key: SecretStr | None = Field(default=None, description="Khóa API của Viettel AI")
    viettel_url: str = Field(default="https://viettelai.vn", pattern=r"^https?://")
    loudness_target_lufs: float = Field(default=-16.0, ge=-40, le=-5)
    true_peak_db: float = Field(default=-1.0, ge=-9, le=0)
    intro_chime: Path | None = Field(default=None, description="Nhạc hiệu trước mỗi bản tin")
    outro_chime: Path | None = Field(default=None, description="Nhạc hiệu sau mỗi bản tin")
    # How often running bulletins voiced offline, or read with an old lexicon, are re-rendered.
    refresh_every_min: float = Field(default=10.0, gt=0, le=1440)

    @field_validator("tts_engines", mode="before")
    @classmethod
    def _engine_list(cls, value: object) -> tuple[str, ...]:
        items = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[call-overload]
        names = tuple(str(item).strip().lower() for item in items if str(item).strip())
        if not names:
            raise ValueError("needs at least one engine: gtts, offline")
        unknown = [name for name in names if name not in ENGINE_NAMES]
        if unknown:
            raise ValueError(
                f"unknown engine(s) {', '.join(unknown)}; use {', '.join(ENGINE_NAMES)}"
            )
        return names

    @field_validator("intro_chime", "outro_chime")
    @classmethod
    def _chime_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"chime file {value} does not exist")
        return value

    @model_validator(mode="after")
    def _piper_has_a_voice(self) -> SpeechSettings:
        # piper with no LOA_PIPER_VOICE speaks with the voices installed by `loa voice add`
        # (the renderer says so when there is none).
        voice = self.piper_voice
        if "piper" in self.tts_engines and voice is not None and not voice.is_file():
            raise ValueError(f"LOA_PIPER_VOICE file {voice} does not exist")
        for engine, key in (("fpt", self.fpt_api_key), ("viettel", self.viettel_api_key)):
            if engine in self.tts_engines and not (key and key.get_secret_value().strip()):
                raise ValueError(f"{engine} is in LOA_TTS_ENGINES but LOA_{engine.upper()}_API_KEY "
                                 "is not set")  # fmt: skip
        return self


class LimitsSettings(BaseSettings):
    """How much staff may put in one bulletin."""

    model_config = SECTION

    max_text_chars: int = Field(default=5000, ge=100, le=50000)
    max_upload_mb: int = Field(default=50, ge=1, le=500)
    max_body_kb: int = Field(
        default=1024,
        ge=64,
        le=64 * 1024,
        description="Dung lượng tối đa của một yêu cầu gửi lên (trừ tệp ghi âm), tính bằng KB",
    )


class PlanningSettings(BaseSettings):
    """The station's planning rules."""

    model_config = SECTION

    # Least time between two plays of one bulletin on one zone (end of one to start of next).
    min_gap_min: float = Field(default=60.0, ge=0, le=24 * 60)


class AccountSettings(BaseSettings):
    """Signing in: how long a session lasts, how guessing is slowed, who may approve."""

    model_config = SECTION

    # A session unused this long ends; and every session ends this long after sign-in.
    session_idle_min: int = Field(default=60, ge=5, le=24 * 60)
    session_max_hours: int = Field(default=12, ge=1, le=24 * 30)
    # Failed sign-ins allowed within the window before more are refused: per account (from
    # any address, since on a LAN every client has a private address) and per address.
    sign_in_window_min: int = Field(default=15, ge=1, le=24 * 60)
    sign_in_failures_per_account: int = Field(default=5, ge=1, le=1000)
    sign_in_failures_per_address: int = Field(default=20, ge=1, le=10000)
    api_token_days: int = Field(default=90, ge=1, le=3650)
    # A one-person ward may let an approver approve their own bulletin; the audit trail says
    # so every time.
    allow_self_approval: bool = False


class CapsSettings(BaseSettings):
    """The province's caps on airtime (relays included); "warn" saves with a warning."""

    model_config = SECTION

    cap_sessions_per_day: int = Field(default=3, ge=1, le=24)
    cap_minutes_per_session: int = Field(default=45, ge=1, le=24 * 60)
    cap_mode: Literal["warn", "refuse"] = "warn"


class ReportSettings(BaseSettings):
    """The CCHC report: its windows, and who issues and signs it.

    Names are written as the ward writes them; the report's header sets them in capitals.
    Lists (signer's title lines, recipients) are separated by "|".
    """

    model_config = SECTION

    report_windows: Literal["decree", "calendar"] = "decree"
    ward_name: str = Field(default="Phường Mẫu", min_length=1, max_length=100)
    ward_parent: str = Field(default="Thành phố Hà Nội", min_length=1, max_length=100)
    report_signer_title: str = Field(default="TM. ỦY BAN NHÂN DÂN|CHỦ TỊCH", max_length=200)
    report_signer_name: str = Field(default="", max_length=100)
    report_recipients: str = Field(
        default="UBND Thành phố (để báo cáo)|Thường trực Đảng ủy, HĐND phường|"
        "Chủ tịch, các Phó Chủ tịch UBND phường|Lưu: VT, VHXH",
        max_length=2000,
    )

    @staticmethod
    def items(value: str) -> list[str]:
        return [part.strip() for part in value.split("|") if part.strip()]


Section = TypeVar("Section", bound=BaseSettings)


def section(settings: BaseSettings, cls: type[Section]) -> Section:
    """Return the part of a composite settings object that one concern needs, as `cls`.

    The values were validated when the composite was read; they are copied, not checked again.
    """
    values = {name: getattr(settings, name) for name in cls.model_fields}
    return cast(Section, cls.model_construct(**values))


def read_settings(cls: type[Section]) -> Section:
    """Read a settings class from the environment, or raise SettingsError a person can act on."""
    try:
        return cls()
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            if error["loc"]:
                name = "LOA_" + "_".join(str(part) for part in error["loc"]).upper()
                shown = shown_value(name, error.get("input"))
                lines.append(f"  {name}: {_without(error['msg'], error.get('input'))} {shown}")
            else:  # a rule across several settings names them in its message
                lines.append(f"  {error['msg']}")
        raise SettingsError(
            "Cấu hình không hợp lệ, hãy sửa biến môi trường rồi chạy lại:\n" + "\n".join(lines)
        ) from exc


# A setting whose name says it holds a secret: its value is never printed.
_SECRET_NAME = re.compile(r"PASSWORD|PASSWD|PIN|SECRET|TOKEN|KEY", re.IGNORECASE)


def shown_value(name: str, value: object) -> str:
    """Return how a wrong setting's value is shown: "(giá trị: …)", with its secrets hidden.

    A setting named for a secret (…PASSWORD, …PIN, …SECRET, …TOKEN, …KEY) shows no value
    at all; a URL (a database's, an Icecast server's) shows its password as ***.
    """
    if _SECRET_NAME.search(name):
        return "(giá trị bí mật, không in ra)"
    if isinstance(value, str):
        value = shown_url(value)
    return f"(giá trị: {value!r})"


def _without(message: str, value: object) -> str:
    """Return a validator's message with any URL it quotes shown without its password."""
    if isinstance(value, str) and value and value in message:
        return message.replace(value, shown_url(value))
    return message
