"""Station settings: one pydantic-settings class read from `LOA_*` environment variables.

Lower layers never read the environment themselves: the command line and the web app build a
`Settings` once and pass plain values down, so tests can build stations side by side.
"""

from __future__ import annotations

from datetime import time
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENGINE_NAMES = ("gtts", "offline", "piper")


class SettingsError(Exception):
    """A setting is wrong; the message tells a person which variable to fix and how."""


class Settings(BaseSettings):
    """Everything a station can configure, with the defaults a ward uses."""

    model_config = SettingsConfigDict(env_prefix="LOA_", extra="ignore", frozen=True)

    data_dir: Path = Field(default=Path("data"), description="Thư mục dữ liệu của đài")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; mặc định SQLite trong thư mục dữ liệu"
    )
    timezone: str = "Asia/Ho_Chi_Minh"
    tts_engines: Annotated[tuple[str, ...], NoDecode] = ("gtts", "offline")
    gtts_timeout_s: float = Field(default=10.0, gt=0, le=120)
    piper_voice: Path | None = Field(default=None, description="Tệp giọng piper (.onnx)")
    output: Literal["auto", "file", "device"] = "auto"
    audio_device: str = "default"
    loudness_target_lufs: float = Field(default=-16.0, ge=-40, le=-5)
    true_peak_db: float = Field(default=-1.0, ge=-9, le=0)
    intro_chime: Path | None = Field(default=None, description="Nhạc hiệu trước mỗi bản tin")
    outro_chime: Path | None = Field(default=None, description="Nhạc hiệu sau mỗi bản tin")
    plan_build_time: time = time(20, 0)
    # A slot whose start was missed (the machine slept, the process started late) still airs
    # what fits before its end if this little time has passed; later, it is logged missed.
    misfire_grace_s: int = Field(default=120, ge=1, le=3600)
    # Each slot's programme is loaded and assembled into ready audio this long before air.
    prepare_lead_s: float = Field(default=180.0, ge=1, le=3600)
    # Besides the file or sound card output, stream every zone to Icecast: the URL's {zone}
    # becomes the zone's name, e.g. icecast://source:PASSWORD@127.0.0.1:8000/{zone}.mp3
    icecast_url: str | None = None
    icecast_bitrate_kbps: int = Field(default=64, ge=16, le=320)
    # A failed output (device gone, Icecast down) is reopened this many times per programme.
    output_retries: int = Field(default=3, ge=0, le=100)
    output_retry_s: float = Field(default=2.0, ge=0.1, le=300)
    # Amplifier power: commands run (no shell) before and after each slot; {zone} is replaced.
    amp_on_command: str | None = None
    amp_off_command: str | None = None
    amp_lead_s: float = Field(default=30.0, ge=0, le=3600)
    amp_hold_s: float = Field(default=30.0, ge=0, le=3600)
    # After an emergency interrupts a slot: "resume" airs the rest of it, "stop" ends it.
    emergency_then: Literal["resume", "stop"] = "resume"
    # The code an operator types to send an emergency from the web app; unset, the button
    # stays off and only `loa emergency` on the station's machine can send one.
    operator_pin: str | None = Field(default=None, min_length=4)
    refresh_every_min: float = Field(default=10.0, gt=0, le=1440)
    max_text_chars: int = Field(default=5000, ge=100, le=50000)
    max_upload_mb: int = Field(default=50, ge=1, le=500)
    # Least time between two plays of one bulletin on one zone (end of one to start of next).
    min_gap_min: float = Field(default=60.0, ge=0, le=24 * 60)
    # The province's caps on airtime (relays included); "warn" saves with a warning.
    cap_sessions_per_day: int = Field(default=3, ge=1, le=24)
    cap_minutes_per_session: int = Field(default=45, ge=1, le=24 * 60)
    cap_mode: Literal["warn", "refuse"] = "warn"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Ho_Chi_Minh)") from exc
        return value

    @field_validator("tts_engines", mode="before")
    @classmethod
    def _engine_list(cls, value: object) -> tuple[str, ...]:
        items = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[call-overload]
        names = tuple(str(item).strip().lower() for item in items if str(item).strip())
        if not names:
            raise ValueError("needs at least one engine: gtts, offline")
        unknown = [name for name in names if name not in ENGINE_NAMES]
        if unknown:
            raise ValueError(f"unknown engine(s) {', '.join(unknown)}; use gtts, offline, piper")
        return names

    @field_validator("intro_chime", "outro_chime")
    @classmethod
    def _chime_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"chime file {value} does not exist")
        return value

    @model_validator(mode="after")
    def _piper_has_a_voice(self) -> Settings:
        if "piper" in self.tts_engines:
            if self.piper_voice is None:
                raise ValueError("piper is in LOA_TTS_ENGINES but LOA_PIPER_VOICE is not set")
            if not self.piper_voice.is_file():
                raise ValueError(f"LOA_PIPER_VOICE file {self.piper_voice} does not exist")
        return self

    @field_validator("icecast_url")
    @classmethod
    def _icecast_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("icecast://"):
            raise ValueError("must look like icecast://source:PASSWORD@HOST:PORT/{zone}.mp3")
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
    def uploads_dir(self) -> Path:
        """Return the folder where uploaded recordings are kept as received."""
        return self.data_dir / "uploads"

    @property
    def onair_dir(self) -> Path:
        """Return the folder of the player's journals (what is on air now, for crash recovery)."""
        return self.data_dir / "onair"

    @property
    def aired_dir(self) -> Path:
        """Return the folder the file output writes what aired into."""
        return self.data_dir / "aired"


def load_settings() -> Settings:
    """Read settings from the environment, or raise SettingsError a person can act on."""
    try:
        settings = Settings()
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            if error["loc"]:
                name = "LOA_" + "_".join(str(part) for part in error["loc"]).upper()
                lines.append(f"  {name}: {error['msg']} (giá trị: {error.get('input')!r})")
            else:  # a rule across several settings names them in its message
                lines.append(f"  {error['msg']}")
        raise SettingsError(
            "Cấu hình không hợp lệ, hãy sửa biến môi trường rồi chạy lại:\n" + "\n".join(lines)
        ) from exc
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(
            f"Không tạo được thư mục dữ liệu LOA_DATA_DIR={settings.data_dir}: {exc.strerror}. "
            "Hãy chọn thư mục có quyền ghi."
        ) from exc
    return settings
