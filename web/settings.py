"""Every `LOA_*` setting of a station, read once by the composition root.

Each concern is its own class in the layer that uses it (playlists/core/settings.py,
scheduler/settings.py, and the web's own below); `Settings` is all of them together, and
hands each part its section (`settings.speech`, `settings.caps`, ...).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings

from playlists.core.settings import (
    SECTION,
    AccountSettings,
    CapsSettings,
    LimitsSettings,
    ReportSettings,
    SettingsError,
    SpeechSettings,
    StationSettings,
    read_settings,
    section,
)
from scheduler.settings import SchedulerSettings


class WebSettings(BaseSettings):
    """What only the web app uses."""

    model_config = SECTION

    # Cookies only over HTTPS: "auto" when the request came over HTTPS (or a TLS proxy in
    # front says so in X-Forwarded-Proto, which LOA_TRUSTED_PROXY must then name).
    cookie_secure: Literal["auto", "always", "never"] = "auto"
    # The address of a reverse proxy whose X-Forwarded-For/-Proto headers are believed.
    trusted_proxy: str = ""
    # Processes serving the pages and the API under `loa serve`, apart from the one that airs
    # (so no load on the pages can touch the air); 0 serves them inside that one process.
    web_workers: int = Field(default=2, ge=0, le=16)


class Settings(
    SchedulerSettings,
    SpeechSettings,
    LimitsSettings,
    CapsSettings,
    AccountSettings,
    ReportSettings,
    WebSettings,
):
    """Everything a station can configure, with the defaults a ward uses."""

    model_config = SECTION

    @property
    def station(self) -> StationSettings:
        """Return where the station keeps its data and its time zone."""
        return section(self, StationSettings)

    @property
    def speech(self) -> SpeechSettings:
        """Return how the station speaks."""
        return section(self, SpeechSettings)

    @property
    def limits(self) -> LimitsSettings:
        """Return the limits on what staff put in a bulletin."""
        return section(self, LimitsSettings)

    @property
    def accounts(self) -> AccountSettings:
        """Return how signing in works."""
        return section(self, AccountSettings)

    @property
    def reports(self) -> ReportSettings:
        """Return the report's windows, its issuer and its signer."""
        return section(self, ReportSettings)

    @property
    def caps(self) -> CapsSettings:
        """Return the province's caps on airtime."""
        return section(self, CapsSettings)


def load_settings() -> Settings:
    """Read settings from the environment and make the data folder, or raise SettingsError."""
    settings = read_settings(Settings)
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(
            f"Không tạo được thư mục dữ liệu LOA_DATA_DIR={settings.data_dir}: {exc.strerror}. "
            "Hãy chọn thư mục có quyền ghi."
        ) from exc
    return settings


__all__ = ["Settings", "SettingsError", "WebSettings", "load_settings"]
