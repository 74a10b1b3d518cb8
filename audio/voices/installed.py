"""Piper voices a station installs into its data folder (`loa voice add|list|remove`).

No natural Vietnamese voice ships in any package the station installs; a station obtains a
piper voice (a .onnx model and its .onnx.json) and adds it. Each voice gets a folder of its
own, `voices/<name>/`, holding the model, its config, `LICENSE.txt` (the licence text it
came with, which the station must honour) and `voice.json` (what was checked at install).
A voice is installed only once it has loaded and spoken the test sentence; a folder is put in
place by one rename, so a half-copied voice is never seen.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from audio.engines.piper_engine import PiperEngine, config_path_for
from audio.errors import AudioError, EngineError
from audio.sound.files import probe

# What a new voice must say before it is installed: a bulletin's kind of sentence.
TEST_SENTENCE = "Ủy ban nhân dân phường thông báo lịch tiếp công dân tuần này."
META = "voice.json"
LICENCE = "LICENSE.txt"
# Where piper's published voices keep their licence, next to the model.
LICENCE_FILES = ("MODEL_CARD", "LICENSE", "LICENSE.txt", "LICENSE.md", "README.md")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_MIN_TEST_S = 0.5


class VoiceError(AudioError):
    """A voice could not be installed or removed (the message says why, in Vietnamese)."""


@dataclass(frozen=True)
class InstalledVoice:
    """A voice the station added, as checked when it was installed."""

    name: str
    language: str  # piper's code, e.g. "vi_VN"
    sample_rate: int
    licence: str  # the first line of its licence text, for lists; the whole is LICENSE.txt
    test_seconds: float  # how long the test sentence took to say
    folder: Path

    @property
    def model(self) -> Path:
        return self.folder / f"{self.name}.onnx"

    @property
    def vietnamese(self) -> bool:
        return self.language.lower().startswith("vi")


def install(model: Path, voices_dir: Path, *, licence_file: Path | None = None) -> InstalledVoice:
    """Check a piper voice (loads, speaks the test sentence) and install it; return it.

    Raises VoiceError when the files are missing, the licence cannot be found, the voice is
    installed already, or it does not load or speak.
    """
    model = Path(model)
    name = model.name.removesuffix(".onnx")
    if not model.name.endswith(".onnx") or not _NAME.match(name):
        raise VoiceError(
            f"Tệp giọng đọc phải là tệp .onnx của piper, tên chỉ gồm chữ, số, '.', '_', '-': "
            f"{model.name}.",
            f"not a piper voice file name: {model.name!r}",
        )
    config = config_path_for(model)
    for needed in (model, config):
        if not needed.is_file():
            raise VoiceError(
                f"Không thấy tệp {needed.name} (cần cả tệp .onnx và tệp .onnx.json đi kèm).",
                f"missing {needed}",
            )
    licence_text = _licence(model, licence_file)
    target = voices_dir / name
    if target.exists():
        raise VoiceError(
            f"Đã có giọng {name}. Muốn thay, hãy gỡ trước: loa voice remove {name}",
            f"voice {name} already installed",
        )
    try:
        settings = json.loads(config.read_text(encoding="utf-8"))
        language = str(settings.get("language", {}).get("code", "")) or "?"
        sample_rate = int(settings.get("audio", {}).get("sample_rate", 0))
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        raise VoiceError(
            f"Tệp {config.name} không đọc được (không phải cấu hình giọng piper).",
            f"unreadable voice config {config}: {exc}",
        ) from exc
    voices_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=voices_dir))
    try:
        shutil.copyfile(model, staging / model.name)
        shutil.copyfile(config, staging / config.name)
        (staging / LICENCE).write_text(licence_text, encoding="utf-8")
        seconds = _speaks(staging / model.name)
        voice = InstalledVoice(
            name=name, language=language, sample_rate=sample_rate,
            licence=_first_line(licence_text), test_seconds=round(seconds, 2), folder=target,
        )  # fmt: skip
        meta = {k: v for k, v in asdict(voice).items() if k != "folder"}
        (staging / META).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return voice


def installed(voices_dir: Path) -> list[InstalledVoice]:
    """Return the voices installed, by name (a folder without its record is skipped)."""
    found = []
    for folder in sorted(voices_dir.glob("*/")) if voices_dir.is_dir() else []:
        if folder.name.startswith("."):
            continue  # a voice being installed
        try:
            meta = json.loads((folder / META).read_text(encoding="utf-8"))
            found.append(InstalledVoice(**meta, folder=folder))
        except (OSError, ValueError, TypeError):
            continue
    return found


def remove(voices_dir: Path, name: str) -> None:
    """Remove an installed voice (its renderings already made stay in the cache)."""
    folder = voices_dir / name
    if not _NAME.match(name) or not (folder / META).is_file():
        raise VoiceError(f"Không có giọng {name}. Xem danh sách: loa voice list",
                         f"no installed voice {name!r}")  # fmt: skip
    shutil.rmtree(folder)


def _licence(model: Path, given: Path | None) -> str:
    candidates = [given] if given is not None else [model.parent / n for n in LICENCE_FILES]
    for path in candidates:
        if path is not None and path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace").strip()
            if text:
                return text + "\n"
    raise VoiceError(
        "Cần văn bản giấy phép của giọng đọc (thường là tệp MODEL_CARD đi kèm giọng): đặt nó "
        "cạnh tệp .onnx hoặc chỉ ra bằng --licence TỆP. Đài phải tuân theo giấy phép đó.",
        f"no licence text next to {model} (looked for {', '.join(LICENCE_FILES)})",
    )


def _speaks(model: Path) -> float:
    engine = PiperEngine(voice_path=model)
    sample = model.parent / "test.wav"
    try:
        engine.synthesize(TEST_SENTENCE, voice=engine.default_voice(), speed=1.0, dst=sample)
        seconds = probe(sample).duration_s
    except (EngineError, AudioError) as exc:
        raise VoiceError(
            "Giọng đọc này không chạy được: không tải được hoặc không đọc được câu thử.",
            f"voice check failed: {exc.detail}",
        ) from exc
    finally:
        sample.unlink(missing_ok=True)
    if seconds < _MIN_TEST_S:
        raise VoiceError(
            "Giọng đọc này không đọc được câu thử (âm thanh quá ngắn).",
            f"test sentence gave {seconds:.2f} s of audio",
        )
    return seconds


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip().strip("#").strip():
            return line.strip().strip("#").strip()[:200]
    return ""
