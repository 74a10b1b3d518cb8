"""Settings: defaults a ward uses, and wrong values stopped with a message a person can act on."""

from __future__ import annotations

from pathlib import Path

import pytest

from web.settings import Settings, SettingsError, load_settings


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("LOA_DATA_DIR", "LOA_DATABASE_URL", "LOA_TTS_ENGINES", "LOA_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.data_dir == Path("data") and (tmp_path / "data").is_dir()
    assert settings.db_url == f"sqlite:///{tmp_path / 'data' / 'loa.db'}"
    assert settings.zone.key == "Asia/Ho_Chi_Minh"
    assert settings.tts_engines == ("gtts", "offline")


def test_engine_order_reads_a_comma_list(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LOA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LOA_TTS_ENGINES", " Offline , gtts ")
    assert load_settings().tts_engines == ("offline", "gtts")


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("LOA_TIMEZONE", "Asia/Hanoi_City", "LOA_TIMEZONE"),
        ("LOA_TTS_ENGINES", "gtts,festival", "festival"),
        ("LOA_DATABASE_URL", "mysql://x", "LOA_DATABASE_URL"),
        ("LOA_OUTPUT", "radio", "LOA_OUTPUT"),
        ("LOA_LOUDNESS_TARGET_LUFS", "-80", "LOA_LOUDNESS_TARGET_LUFS"),
    ],
)
def test_wrong_settings_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str, words: str
) -> None:
    monkeypatch.setenv("LOA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as stopped:
        load_settings()
    assert words in str(stopped.value)
    assert "Cấu hình không hợp lệ" in str(stopped.value)


def test_a_missing_piper_voice_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        Settings(tts_engines=("piper",), piper_voice=tmp_path / "none.onnx")


def test_an_unwritable_data_folder_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("LOA_DATA_DIR", str(blocker / "data"))
    with pytest.raises(SettingsError, match="LOA_DATA_DIR"):
        load_settings()
