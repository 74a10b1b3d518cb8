"""How clearly a rendering can be understood: an offline recognizer's word error rate.

The check transcribes a rendering with viet-asr (the optional `check` extra, whose model ships
inside its wheel, so nothing is downloaded) and compares the transcript with the spoken text.
The word alignment and the error rate are pure functions over plain strings.
"""

from __future__ import annotations

import logging
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from audio.errors import AudioError

logger = logging.getLogger(__name__)

# viet-asr's acoustic model is trained on 16 kHz audio; decoding to that rate here means the
# library never resamples.
VIET_ASR_SAMPLE_RATE = 16000
# The bare recognizer module: the "transcribe" preset adds a VAD module that upstream plans to
# download on demand, and the check must never touch the network.
VIET_ASR_MODULES = ("vietasr",)
# libvietasr logs to stderr: 0 debug ... 3 errors only. Its INFO lines would clutter `loa say`.
VIET_ASR_LOG_LEVEL = 3

_EMPTY_MESSAGE = "Văn bản trống, không có gì để kiểm tra."
_MISSING_MESSAGE = (
    "Chưa cài phần kiểm tra độ rõ lời đọc (viet-asr). "
    "Hãy cài gói mở rộng: pip install 'loa-phuong[check]'."
)
_FAILED_MESSAGE = "Không kiểm tra được độ rõ của bản đọc."


# --------------------------------------------------------------------------- alignment


class Op(Enum):
    """What happened to one word between what was said and what was heard."""

    EQUAL = "equal"
    SUBSTITUTE = "substitute"
    DELETE = "delete"
    INSERT = "insert"


@dataclass(frozen=True)
class AlignedWord:
    """One step of the alignment; ref is None for an insertion, hyp None for a deletion."""

    op: Op
    ref: str | None
    hyp: str | None


@dataclass(frozen=True)
class Alignment:
    """A minimal word-level edit script turning the reference into the hypothesis."""

    steps: tuple[AlignedWord, ...]

    def count(self, op: Op) -> int:
        """Return how many steps are op."""
        return sum(1 for step in self.steps if step.op is op)

    @property
    def hits(self) -> int:
        """Return the number of words heard as said."""
        return self.count(Op.EQUAL)

    @property
    def substitutions(self) -> int:
        """Return the number of words heard as another word."""
        return self.count(Op.SUBSTITUTE)

    @property
    def deletions(self) -> int:
        """Return the number of words not heard at all."""
        return self.count(Op.DELETE)

    @property
    def insertions(self) -> int:
        """Return the number of words heard that were never said."""
        return self.count(Op.INSERT)

    @property
    def errors(self) -> int:
        """Return the edit distance: substitutions + deletions + insertions."""
        return len(self.steps) - self.hits

    @property
    def reference_length(self) -> int:
        """Return the number of words said."""
        return len(self.steps) - self.insertions


def normalize_words(text: str) -> list[str]:
    """Return text's words, NFC and lowercase, with punctuation and symbols removed."""
    # Punctuation becomes a space, not nothing, so "bà con,đây" still splits into three words.
    lowered = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).lower())
    kept = (ch if unicodedata.category(ch)[0] in "LMN" else " " for ch in lowered)
    return "".join(kept).split()


def _as_words(text: str | Sequence[str]) -> list[str]:
    return normalize_words(text) if isinstance(text, str) else list(text)


def _base_form(word: str) -> str:
    """Return word without tone marks or other diacritics (bà, bá, ba -> ba; đ -> d)."""
    decomposed = unicodedata.normalize("NFD", word.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def align(reference: str | Sequence[str], hypothesis: str | Sequence[str]) -> Alignment:
    """Align said and heard words (strings are normalised first) by word-level Levenshtein."""
    ref = _as_words(reference)
    hyp = _as_words(hypothesis)
    ref_base = [_base_form(word) for word in ref]
    hyp_base = [_base_form(word) for word in hyp]
    rows, cols = len(ref) + 1, len(hyp) + 1
    # Every edit costs `edit`; a substitution between words that differ beyond their tone marks
    # costs one more. The extra can never outweigh an edit, so the edit count stays minimal, but
    # among equally short alignments "chào heard as chao" wins over pairing chào with another
    # word: tone and diacritic confusions are what listeners (and recognizers) make.
    edit = rows + cols
    # cost[i][j]: turning ref[:i] into hyp[:j]. Bulletins are a few hundred words, so the full
    # table (needed for the backtrace) stays small.
    cost = [[0] * cols for _ in range(rows)]
    for i in range(rows):
        cost[i][0] = i * edit
    for j in range(cols):
        cost[0][j] = j * edit

    def substitution(i: int, j: int) -> int:
        if ref[i - 1] == hyp[j - 1]:
            return 0
        return edit + (ref_base[i - 1] != hyp_base[j - 1])

    for i in range(1, rows):
        above, row = cost[i - 1], cost[i]
        for j in range(1, cols):
            row[j] = min(above[j - 1] + substitution(i, j), above[j] + edit, row[j - 1] + edit)

    steps: list[AlignedWord] = []
    i, j = len(ref), len(hyp)
    while i > 0 or j > 0:
        # Prefer a match or substitution, then a deletion: a misheard word reads better as
        # "x heard as y" than as a deletion plus an insertion of equal cost.
        if i > 0 and j > 0 and cost[i][j] == cost[i - 1][j - 1] + substitution(i, j):
            op = Op.EQUAL if ref[i - 1] == hyp[j - 1] else Op.SUBSTITUTE
            steps.append(AlignedWord(op, ref[i - 1], hyp[j - 1]))
            i, j = i - 1, j - 1
        elif i > 0 and cost[i][j] == cost[i - 1][j] + edit:
            steps.append(AlignedWord(Op.DELETE, ref[i - 1], None))
            i -= 1
        else:
            steps.append(AlignedWord(Op.INSERT, None, hyp[j - 1]))
            j -= 1
    steps.reverse()
    return Alignment(tuple(steps))


def error_rate(alignment: Alignment) -> float:
    """Return (S + D + I) / N; with nothing said, each word heard counts as one error."""
    return alignment.errors / max(alignment.reference_length, 1)


def word_error_rate(reference: str | Sequence[str], hypothesis: str | Sequence[str]) -> float:
    """Return the word error rate of hypothesis against reference (0 is perfect; may exceed 1)."""
    return error_rate(align(reference, hypothesis))


def misheard_in(alignment: Alignment, n: int = 5) -> list[tuple[str, str]]:
    """Return up to n (said, heard) pairs for the words most often lost; heard "" = nothing."""
    if n <= 0:
        return []
    lost: dict[str, Counter[str]] = {}
    for step in alignment.steps:
        if step.op in (Op.SUBSTITUTE, Op.DELETE) and step.ref is not None:
            lost.setdefault(step.ref, Counter())[step.hyp or ""] += 1
    # Stable sort: among equally frequent words, the one said first comes first.
    ranked = sorted(lost.items(), key=lambda item: -sum(item[1].values()))
    return [(word, heard.most_common(1)[0][0]) for word, heard in ranked[:n]]


def most_misheard(
    reference: str | Sequence[str], hypothesis: str | Sequence[str], n: int = 5
) -> list[tuple[str, str]]:
    """Return the n reference words most often substituted or deleted, with what was heard."""
    return misheard_in(align(reference, hypothesis), n)


# --------------------------------------------------------------------------- recognizers


class Transcriber(Protocol):
    """Anything that can write down the words spoken in an audio file."""

    name: str

    def transcribe(self, path: Path) -> str:
        """Return the words heard in the audio file at path."""
        ...


def _import_vietasr() -> Any:
    try:
        import vietasr  # type: ignore[import-untyped]
    except ImportError as exc:
        raise AudioError(
            _MISSING_MESSAGE, f"viet-asr is not installed (pip install 'loa-phuong[check]'): {exc}"
        ) from exc
    except OSError as exc:
        # Installed, but its bundled native library would not load (wrong platform, libstdc++).
        raise AudioError(
            _FAILED_MESSAGE, f"viet-asr cannot load its native library: {exc}"
        ) from exc
    return vietasr


def _quiet_native_logs(vietasr: Any) -> None:
    # set_log_level is only exposed through the cffi handle; a future release may move it, and
    # noisy stderr is no reason to fail a check.
    try:
        vietasr.ffi.native.lib.vietasr_set_log_level(VIET_ASR_LOG_LEVEL)
    except Exception as exc:
        logger.debug("could not quiet viet-asr logging: %s", exc)


class VietAsrTranscriber:
    """Offline Vietnamese recognizer (viet-asr); the model is loaded once, on first use."""

    name = "viet-asr"

    def __init__(self, *, modules: Sequence[str] = VIET_ASR_MODULES) -> None:
        self.modules = tuple(modules)
        self.load_seconds: float | None = None
        self._pipeline: Any = None
        self._load_lock = threading.Lock()
        # libvietasr documents no thread safety and reports errors through a global
        # last_error, so one decode at a time.
        self._run_lock = threading.Lock()

    def load(self) -> None:
        """Load the model now (it takes about a second) instead of on the first transcription."""
        self._loaded()

    def _loaded(self) -> Any:
        with self._load_lock:
            if self._pipeline is None:
                vietasr = _import_vietasr()
                _quiet_native_logs(vietasr)
                started = time.perf_counter()
                try:
                    pipeline = vietasr.Pipeline.new()
                    for module in self.modules:
                        pipeline.add(module)
                    pipeline.build()
                except Exception as exc:
                    raise AudioError(
                        _FAILED_MESSAGE, f"viet-asr: cannot build {self.modules}: {exc}"
                    ) from exc
                self.load_seconds = time.perf_counter() - started
                logger.info("viet-asr model loaded in %.2f s", self.load_seconds)
                self._pipeline = pipeline
            return self._pipeline

    def transcribe(self, path: Path) -> str:
        """Return the words viet-asr hears in the audio file at path."""
        # Loading first: without the extra, say so before spending time decoding.
        pipeline = self._loaded()
        # Imported here so the alignment and scoring above stay cheap to import (no numpy,
        # scipy or pydub) for callers that only compare words.
        import numpy as np

        from audio.sound import files

        pcm = files.decode_pcm(path, sample_rate=VIET_ASR_SAMPLE_RATE)
        if not pcm:
            return ""

        samples = np.frombuffer(pcm, dtype="<i2")
        try:
            with self._run_lock:
                result = pipeline.transcribe(samples, sample_rate=float(VIET_ASR_SAMPLE_RATE))
        except Exception as exc:
            raise AudioError(_FAILED_MESSAGE, f"viet-asr failed on {path.name}: {exc}") from exc
        # Some failures come back as an "error" field rather than an exception.
        error = result.field("error")
        if error:
            raise AudioError(_FAILED_MESSAGE, f"viet-asr failed on {path.name}: {error}")
        return " ".join(str(result.text).split())


@cache
def default_transcriber() -> VietAsrTranscriber:
    """Return the process-wide recognizer, so the web app and the CLI load the model once."""
    return VietAsrTranscriber()


# --------------------------------------------------------------------------- the check


@dataclass(frozen=True)
class IntelligibilityReport:
    """How a recognizer heard a rendering, compared with the text it was meant to say."""

    wer: float
    hypothesis: str
    misheard: list[tuple[str, str]]
    reference_words: int
    substitutions: int
    deletions: int
    insertions: int
    transcriber: str
    transcribe_seconds: float


def check_rendering(
    path: Path, spoken_text: str, transcriber: Transcriber, *, top: int = 5
) -> IntelligibilityReport:
    """Transcribe the rendering at path and measure it against the text it speaks."""
    reference = normalize_words(spoken_text)
    if not reference:
        raise AudioError(_EMPTY_MESSAGE, "intelligibility check: spoken text has no words")
    started = time.perf_counter()
    hypothesis = transcriber.transcribe(path)
    elapsed = time.perf_counter() - started
    alignment = align(reference, hypothesis)
    return IntelligibilityReport(
        wer=error_rate(alignment),
        hypothesis=hypothesis,
        misheard=misheard_in(alignment, top),
        reference_words=alignment.reference_length,
        substitutions=alignment.substitutions,
        deletions=alignment.deletions,
        insertions=alignment.insertions,
        transcriber=transcriber.name,
        transcribe_seconds=elapsed,
    )


def summary(report: IntelligibilityReport) -> str:
    """Return a one-paragraph Vietnamese reading of report for staff (CLI and web)."""
    heard_right = report.reference_words - report.substitutions - report.deletions
    # Vietnamese writes decimals with a comma.
    wer = f"{report.wer:.2f}".replace(".", ",")
    text = (
        f"Máy nhận dạng giọng nói nghe đúng {heard_right}/{report.reference_words} từ "
        f"(tỷ lệ lỗi từ WER {wer}; càng thấp càng rõ)."
    )
    if report.misheard:
        pairs = ", ".join(
            f"«{said}» → {f'«{heard}»' if heard else '(không nghe thấy)'}"
            for said, heard in report.misheard
        )
        text += f" Từ hay bị nghe nhầm: {pairs}."
    return text
