"""audio.intelligibility: word error rate, alignment, and the real viet-asr recognizer."""

from __future__ import annotations

import functools
import importlib.util
import sys
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audio.engines.espeak import EspeakEngine
from audio.errors import AudioError
from audio.intelligibility import (
    Op,
    VietAsrTranscriber,
    align,
    check_rendering,
    default_transcriber,
    most_misheard,
    normalize_words,
    summary,
    word_error_rate,
)
from audio.speech import Rendered, SpeechRenderer
from audio.text.normalize import normalize

CLEAR_TEXT = "Kính thưa bà con nhân dân, từ ngày 01/3 phường tổ chức tiêm vắc xin miễn phí."
MISSING_EXTRA = (
    "viet-asr is not installed: the intelligibility tests need the `check` extra "
    "(.venv/bin/pip install -e '.[check]')"
)

# A small vocabulary of near-homophones, so generated sentences share and confuse words.
WORDS = st.sampled_from(["ba", "bà", "bá", "con", "cơn", "phường", "xã", "một", "mốt", "hai"])
SENTENCES = st.lists(WORDS, max_size=10)


# --------------------------------------------------------------------------- normalizing


def test_words_are_lowercase_nfc_without_punctuation() -> None:
    text = unicodedata.normalize("NFD", "Kính thưa Bà con!  Phường-Xã, (UBND)…")
    assert normalize_words(text) == ["kính", "thưa", "bà", "con", "phường", "xã", "ubnd"]


def test_punctuation_between_words_separates_them() -> None:
    assert normalize_words("bà con,đây là") == ["bà", "con", "đây", "là"]


def test_digits_are_words() -> None:
    assert normalize_words("số 12, ngày 1/3") == ["số", "12", "ngày", "1", "3"]


@given(st.text(max_size=40))
def test_normalizing_is_idempotent(text: str) -> None:
    words = normalize_words(text)
    assert normalize_words(" ".join(words)) == words


# --------------------------------------------------------------------------- alignment


def test_identical_text_has_no_errors() -> None:
    assert word_error_rate("Xin chào bà con.", "xin chào, bà con") == 0.0


def test_substitution() -> None:
    alignment = align("xin chào bà con", "xin chao bà con")
    assert (alignment.substitutions, alignment.deletions, alignment.insertions) == (1, 0, 0)
    assert [s.op for s in alignment.steps] == [Op.EQUAL, Op.SUBSTITUTE, Op.EQUAL, Op.EQUAL]
    assert word_error_rate("xin chào bà con", "xin chao bà con") == 0.25


def test_deletion() -> None:
    alignment = align("xin chào bà con", "xin bà con")
    assert (alignment.substitutions, alignment.deletions, alignment.insertions) == (0, 1, 0)
    assert alignment.steps[1].ref == "chào" and alignment.steps[1].hyp is None


def test_a_misheard_tone_pairs_with_the_word_it_was_meant_to_be() -> None:
    # Deleting chào and hearing bà as chao costs as many edits; the tone confusion is likelier.
    steps = align("xin chào bà con", "xin chao con").steps
    assert [(s.op, s.ref, s.hyp) for s in steps] == [
        (Op.EQUAL, "xin", "xin"),
        (Op.SUBSTITUTE, "chào", "chao"),
        (Op.DELETE, "bà", None),
        (Op.EQUAL, "con", "con"),
    ]


def test_insertion() -> None:
    alignment = align("bà con", "bà con ơi")
    assert (alignment.substitutions, alignment.deletions, alignment.insertions) == (0, 0, 1)
    assert word_error_rate("bà con", "bà con ơi") == 0.5


def test_nothing_heard_is_every_word_lost() -> None:
    assert word_error_rate("một hai ba", "") == 1.0
    assert align("một hai ba", "").deletions == 3


def test_empty_reference() -> None:
    assert word_error_rate("", "") == 0.0
    # Nothing was said, so each word heard is an error (the rate is not a division by zero).
    assert word_error_rate("", "ơi ơi") == 2.0


def test_error_rate_can_exceed_one() -> None:
    assert word_error_rate("ba", "một hai ba bốn") == 3.0


def test_align_takes_word_lists_as_they_are() -> None:
    assert word_error_rate(["Bà"], ["bà"]) == 1.0


def test_most_misheard_counts_substitutions_and_deletions() -> None:
    # ba is lost three times (heard twice as bà, once not at all); xã once.
    reference = "ba con ba xã phường ba"
    hypothesis = "bà con bà sã phường"
    assert most_misheard(reference, hypothesis) == [("ba", "bà"), ("xã", "sã")]
    assert most_misheard(reference, hypothesis, n=1) == [("ba", "bà")]
    assert most_misheard(reference, hypothesis, n=0) == []


def test_most_misheard_reports_a_deleted_word_as_heard_empty() -> None:
    assert most_misheard("xin chào bà con", "xin bà con") == [("chào", "")]


def test_most_misheard_ties_keep_the_order_said() -> None:
    assert most_misheard("một hai ba", "mốt hay bà") == [
        ("một", "mốt"),
        ("hai", "hay"),
        ("ba", "bà"),
    ]


def test_most_misheard_ignores_insertions() -> None:
    assert most_misheard("bà con", "à bà con ơi") == []


@functools.cache
def _distance(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """Textbook recursive edit distance, an independent oracle for align()."""
    if not a or not b:
        return len(a) + len(b)
    return min(
        _distance(a[1:], b[1:]) + (a[0] != b[0]),
        _distance(a[1:], b) + 1,
        _distance(a, b[1:]) + 1,
    )


@given(SENTENCES)
def test_a_sentence_against_itself_is_perfect(words: list[str]) -> None:
    assert word_error_rate(words, words) == 0.0
    assert most_misheard(words, words) == []


@given(SENTENCES, SENTENCES)
def test_alignment_accounts_for_every_word(ref: list[str], hyp: list[str]) -> None:
    alignment = align(ref, hyp)
    assert [s.ref for s in alignment.steps if s.ref is not None] == ref
    assert [s.hyp for s in alignment.steps if s.hyp is not None] == hyp
    assert alignment.hits + alignment.substitutions + alignment.deletions == len(ref)
    assert alignment.hits + alignment.substitutions + alignment.insertions == len(hyp)
    assert 0 <= alignment.substitutions + alignment.deletions <= len(ref)
    assert alignment.reference_length == len(ref)
    for step in alignment.steps:
        assert (step.op is Op.EQUAL) == (step.ref == step.hyp)


@given(SENTENCES, SENTENCES)
def test_alignment_is_minimal(ref: list[str], hyp: list[str]) -> None:
    alignment = align(ref, hyp)
    assert alignment.errors == _distance(tuple(ref), tuple(hyp))
    assert alignment.errors == align(hyp, ref).errors
    assert abs(len(ref) - len(hyp)) <= alignment.errors <= max(len(ref), len(hyp))


@given(SENTENCES, SENTENCES)
def test_word_error_rate_is_errors_over_words_said(ref: list[str], hyp: list[str]) -> None:
    wer = word_error_rate(ref, hyp)
    assert wer >= 0.0
    if ref:
        assert wer == align(ref, hyp).errors / len(ref)
        if len(hyp) <= len(ref):
            assert wer <= 1.0


@given(SENTENCES, SENTENCES, st.integers(min_value=0, max_value=6))
def test_misheard_words_were_said_and_lost(ref: list[str], hyp: list[str], n: int) -> None:
    misheard = most_misheard(ref, hyp, n)
    said = [word for word, _ in misheard]
    assert len(misheard) <= n
    assert len(set(said)) == len(said)
    assert set(said) <= set(ref)
    lost = [s.ref for s in align(ref, hyp).steps if s.op in (Op.SUBSTITUTE, Op.DELETE)]
    assert set(said) <= set(lost)
    for word, heard in misheard:
        assert heard != word
        assert heard == "" or heard in hyp


# --------------------------------------------------------------------------- the check


class FixedTranscriber:
    """Hears the same words whatever the file; for testing the report, not recognition."""

    name = "fixed"

    def __init__(self, text: str) -> None:
        self.text = text
        self.paths: list[Path] = []

    def transcribe(self, path: Path) -> str:
        self.paths.append(path)
        return self.text


def test_report_compares_what_was_heard_with_the_spoken_text(tmp_path: Path) -> None:
    heard = FixedTranscriber("kính thưa ba con nhân dân ơi")
    path = tmp_path / "speech.mp3"
    report = check_rendering(path, "Kính thưa bà con nhân dân!", heard)
    assert heard.paths == [path]
    assert report.hypothesis == "kính thưa ba con nhân dân ơi"
    assert report.reference_words == 6
    assert (report.substitutions, report.deletions, report.insertions) == (1, 0, 1)
    assert report.wer == pytest.approx(2 / 6)
    assert report.misheard == [("bà", "ba")]
    assert report.transcriber == "fixed"
    assert report.transcribe_seconds >= 0.0


def test_summary_reads_the_report_in_vietnamese(tmp_path: Path) -> None:
    report = check_rendering(
        tmp_path / "speech.mp3", "xin chào bà con", FixedTranscriber("xin chao con")
    )
    assert summary(report) == (
        "Máy nhận dạng giọng nói nghe đúng 2/4 từ (tỷ lệ lỗi từ WER 0,50; càng thấp càng rõ)."
        " Từ hay bị nghe nhầm: «chào» → «chao», «bà» → (không nghe thấy)."
    )
    perfect = check_rendering(tmp_path / "speech.mp3", "bà con", FixedTranscriber("bà con"))
    assert summary(perfect).endswith("nghe đúng 2/2 từ (tỷ lệ lỗi từ WER 0,00; càng thấp càng rõ).")


def test_report_refuses_an_empty_text(tmp_path: Path) -> None:
    with pytest.raises(AudioError) as info:
        check_rendering(tmp_path / "speech.mp3", " ... ", FixedTranscriber("ơi"))
    assert "trống" in info.value.user_message


def test_missing_extra_is_an_audio_error_naming_it(
    monkeypatch: pytest.MonkeyPatch, make_silence: Callable[[str, float], Path]
) -> None:
    # None in sys.modules makes `import vietasr` raise ImportError, as when it isn't installed.
    monkeypatch.setitem(sys.modules, "vietasr", None)
    with pytest.raises(AudioError) as info:
        VietAsrTranscriber().transcribe(make_silence("silence.wav", 0.5))
    assert "loa-phuong[check]" in info.value.user_message
    assert "viet-asr" in info.value.detail


def test_default_transcriber_is_shared() -> None:
    assert default_transcriber() is default_transcriber()


# --------------------------------------------------------------------------- the real model


@pytest.fixture(scope="module")
def viet_asr() -> VietAsrTranscriber:
    """Return the real recognizer, loaded once for this module (loading takes about a second)."""
    if importlib.util.find_spec("vietasr") is None:
        pytest.fail(MISSING_EXTRA, pytrace=False)
    transcriber = VietAsrTranscriber()
    transcriber.load()
    return transcriber


@pytest.fixture(scope="module")
def espeak_rendering(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """Return CLEAR_TEXT rendered by the station's offline pipeline (espeak-ng, mastered MP3)."""
    renderer = SpeechRenderer(
        tmp_path_factory.mktemp("cache"), [EspeakEngine()], normalizer=normalize
    )
    try:
        return renderer.render(CLEAR_TEXT)
    except AudioError as exc:
        pytest.skip(f"espeak-ng or ffmpeg unavailable: {exc}")


def test_viet_asr_hears_an_espeak_rendering(
    viet_asr: VietAsrTranscriber, espeak_rendering: Rendered
) -> None:
    # Two checks at once, as two web requests would: one shared model, the same answer.
    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(
            lambda _: check_rendering(
                espeak_rendering.path, espeak_rendering.spoken_text, viet_asr
            ),
            range(2),
        )
    assert first.hypothesis == second.hypothesis
    report = first
    spoken_words = normalize_words(espeak_rendering.spoken_text)
    assert report.hypothesis.strip()
    assert report.hypothesis == " ".join(report.hypothesis.split())
    assert 0.0 <= report.wer <= 1.5
    assert report.reference_words == len(spoken_words)
    assert report.substitutions + report.deletions <= len(spoken_words)
    assert report.wer == pytest.approx(
        (report.substitutions + report.deletions + report.insertions) / len(spoken_words)
    )
    assert {word for word, _ in report.misheard} <= set(spoken_words)
    assert report.transcriber == "viet-asr"
    assert viet_asr.load_seconds is not None


def test_viet_asr_hears_nothing_in_silence(
    viet_asr: VietAsrTranscriber, make_silence: Callable[[str, float], Path]
) -> None:
    report = check_rendering(make_silence("silence.wav", 2.0), "một hai ba", viet_asr)
    assert report.hypothesis == ""
    assert report.wer == 1.0
    assert report.deletions == 3
