"""`loa voice add|list|remove`: a piper voice is checked (it loads and speaks), installed with
its licence into the data folder, used by the station's piper engine, and removed; each change
by an approver, in the audit trail. The voice is joe (English; the only piper voice on PyPI):
what is tested is the installing, not the language.
"""

from __future__ import annotations

import json
from pathlib import Path

from audio.engines.piper_engine import config_path_for
from tests.audio.test_audio_piper import joe_voice, piper_installed  # noqa: F401 (fixtures)
from tests.web.test_cli import demo, run  # noqa: F401 (fixture)


def bare_copy(joe: Path, folder: Path) -> Path:
    """The voice's model and config, linked into a folder with no licence beside them."""
    folder.mkdir()
    model = folder / joe.name
    model.symlink_to(joe)
    config_path_for(model).symlink_to(config_path_for(joe))
    return model


def test_a_voice_is_checked_installed_used_and_removed(
    demo: Path,  # noqa: F811
    joe_voice: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    name = joe_voice.name.removesuffix(".onnx")
    bare = bare_copy(joe_voice, tmp_path / "tai-ve")
    # No licence text found: refused, nothing installed.
    unlicensed = run(demo, "voice", "add", str(bare), "--by", "duyet")
    assert unlicensed.returncode == 2 and "giấy phép" in unlicensed.stderr
    assert not (demo / "voices" / name).exists()
    # Not an approver's hands: refused.
    editor = run(demo, "voice", "add", str(joe_voice), "--by", "bientap")
    assert editor.returncode == 2 and "Lãnh đạo duyệt" in editor.stderr
    # Its MODEL_CARD beside it is its licence.
    added = run(demo, "voice", "add", str(joe_voice), "--by", "duyet")
    assert added.returncode == 0, added.stderr
    assert f"Đã cài giọng {name}: tiếng en_US, 22050 Hz" in added.stdout
    assert "không phải tiếng Việt" in added.stderr
    folder = demo / "voices" / name
    record = json.loads((folder / "voice.json").read_text(encoding="utf-8"))
    assert record["language"] == "en_US" and record["test_seconds"] > 1
    assert "joe" in (folder / "LICENSE.txt").read_text(encoding="utf-8")
    assert run(demo, "voice", "list").stdout.startswith(f"{name}\ten_US\t22050 Hz\t")
    twice = run(demo, "voice", "add", str(joe_voice), "--by", "duyet")
    assert twice.returncode == 2 and "Đã có giọng" in twice.stderr
    # The station's piper speaks with it, LOA_PIPER_VOICE unset.
    out = tmp_path / "tin.wav"
    said = run(demo, "say", "Phường thông báo.", "-o", str(out), "--engine", "piper")
    assert said.returncode == 0 and "bộ đọc piper" in said.stdout, said.stderr
    removed = run(demo, "voice", "remove", name, "--by", "duyet")
    assert removed.returncode == 0 and not folder.exists()
    assert "Chưa cài giọng nào" in run(demo, "voice", "list").stdout
    unspoken = run(demo, "say", "Phường.", "-o", str(out), "--engine", "piper")
    assert unspoken.returncode == 2 and "chưa có giọng piper nào" in unspoken.stderr
    # A station told to speak with piper and no voice at all does not start.
    serving = run(demo, "serve", "--port", "1", env={"LOA_TTS_ENGINES": "piper,offline"})
    assert serving.returncode == 2 and "loa voice add" in serving.stderr
    trail = run(demo, "audit", "list").stdout
    assert "voice_added" in trail and "voice_removed" in trail


def test_a_voice_that_does_not_load_is_not_installed(
    demo: Path,  # noqa: F811
    piper_installed: None,  # noqa: F811
    tmp_path: Path,
) -> None:
    folder = tmp_path / "hong"
    folder.mkdir()
    model = folder / "vi_VN-hong-medium.onnx"
    model.write_bytes(b"not a model")
    config_path_for(model).write_text('{"audio": {"sample_rate": 22050}}', encoding="utf-8")
    (folder / "MODEL_CARD").write_text("Licence: CC BY 4.0", encoding="utf-8")
    refused = run(demo, "voice", "add", str(model), "--by", "duyet")
    assert refused.returncode == 2 and "không chạy được" in refused.stderr
    assert [p.name for p in (demo / "voices").iterdir()] == []  # no half-installed voice
    missing = run(demo, "voice", "remove", "vi_VN-hong-medium", "--by", "duyet")
    assert missing.returncode == 2 and "Không có giọng" in missing.stderr
