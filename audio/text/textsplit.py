"""Split text for online speech engines at sentence, then clause, then phrase boundaries.

Google's TTS endpoint takes at most 100 characters a request. Cutting wherever the limit
falls makes the voice stop mid-phrase; these functions cut where a reader would pause and say
what kind of pause it is, so the joiner can leave a longer gap after a sentence than after a
clause. Text is only ever cut at whitespace: words and numbers like "1.000" stay whole, and
a chunk never consists of punctuation alone while there is a word to attach it to.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum

__all__ = ["Boundary", "Chunk", "split_chunks", "split_for_tts"]

# Google Translate's TTS endpoint refuses longer texts (gTTS's GOOGLE_TTS_MAX_CHARS).
DEFAULT_MAX_CHARS = 100


class Boundary(Enum):
    """What follows a chunk: how strong a pause the text asks for there."""

    SENTENCE = "sentence"
    CLAUSE = "clause"
    WORD = "word"
    END = "end"


@dataclass(frozen=True)
class Chunk:
    """One piece of text to speak and the kind of boundary that follows it."""

    text: str
    boundary: Boundary


_SENTENCE_END = (".", "!", "?", "…")
_CLAUSE_END = (",", ";", ":", "—", "–", "-")
# Stripped before looking at the final punctuation: 'nhé."' still ends a sentence.
_CLOSERS = "\"'”’»)]}"
# A lone opening mark belongs to the word after it, every other lone mark to the word before.
_OPENERS = frozenset("([{«“‘")
# The characters str.splitlines() breaks on; the rest of \s is ordinary spacing.
_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
_TOKEN = re.compile(r"\S+")

# Words that open a phrase (conjunctions, prepositions, subordinators): when a clause has to be
# cut between words, cutting just before one of these keeps each phrase in one breath.
PHRASE_STARTERS = frozenset(
    unicodedata.normalize("NFC", word)
    for word in (
        "và",
        "hoặc",
        "hay",
        "nhưng",
        "song",
        "mà",
        "còn",
        "của",
        "để",
        "nhằm",
        "với",
        "cùng",
        "tại",
        "trong",
        "ngoài",
        "trên",
        "dưới",
        "từ",
        "đến",
        "tới",
        "khi",
        "lúc",
        "vào",
        "nếu",
        "thì",
        "theo",
        "cho",
        "vì",
        "do",
        "bởi",
        "nên",
        "rằng",
        "về",
        "sau",
        "trước",
        "qua",
        "đối",
        "kể",
        "gồm",
        "đồng",
    )
)


def split_for_tts(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> list[str]:
    """Return text cut into chunks of at most max_chars characters at natural pauses."""
    return [chunk.text for chunk in split_chunks(text, max_chars)]


def split_chunks(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    """Return text cut like split_for_tts, each chunk with the boundary that follows it."""
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, got {max_chars!r}")
    units, gaps = _units(text)
    chunks: list[Chunk] = []
    start = 0
    for end in range(1, len(units) + 1):
        if end == len(units) or gaps[end - 1] is Boundary.SENTENCE:
            chunks.extend(_split_sentence(units[start:end], gaps[start : end - 1], max_chars))
            start = end
    if chunks:
        chunks[-1] = Chunk(chunks[-1].text, Boundary.END)
    return chunks


def _has_word(token: str) -> bool:
    return any(ch.isalnum() for ch in token)


def _units(text: str) -> tuple[list[str], list[Boundary]]:
    """Group whitespace tokens into units (a word with its lone punctuation) and gap kinds.

    gaps[i] is the boundary between units[i] and units[i + 1].
    """
    tokens: list[str] = []
    newline_before: list[bool] = []
    last_end = 0
    for match in _TOKEN.finditer(text):
        tokens.append(match.group())
        newline_before.append(any(ch in _LINE_BREAKS for ch in text[last_end : match.start()]))
        last_end = match.end()

    units: list[list[str]] = []
    breaks: list[bool] = []  # breaks[i]: a line break between units[i] and units[i + 1]
    pending: list[str] = []  # lone opening marks waiting for their word
    # A line break seen since the last word, even one hidden inside glued punctuation.
    line_break = False
    for token, newline in zip(tokens, newline_before, strict=True):
        line_break = line_break or newline
        if _has_word(token):
            if units:
                breaks.append(line_break)
            units.append([*pending, token])
            pending, line_break = [], False
        elif pending or not units or set(token) <= _OPENERS:
            pending.append(token)
        else:
            units[-1].append(token)
    if pending:
        # Marks with no word after them stay with the last word, or stand alone if there is none.
        if units:
            units[-1].extend(pending)
        else:
            units.append(pending)

    texts = [" ".join(unit) for unit in units]
    gaps = [_gap_kind(texts[i], breaks[i]) for i in range(len(texts) - 1)]
    return texts, gaps


def _gap_kind(unit: str, line_break: bool) -> Boundary:
    if line_break:
        return Boundary.SENTENCE
    tail = unit.rstrip(_CLOSERS)
    if tail.endswith(_SENTENCE_END):
        return Boundary.SENTENCE
    if tail.endswith(_CLAUSE_END):
        return Boundary.CLAUSE
    return Boundary.WORD


def _starts_phrase(unit: str) -> bool:
    word = next(token for token in unit.split() if _has_word(token))
    start = next(i for i, ch in enumerate(word) if ch.isalnum())
    return unicodedata.normalize("NFC", word[start:]).lower() in PHRASE_STARTERS


def _split_sentence(units: list[str], gaps: list[Boundary], max_chars: int) -> list[Chunk]:
    """Cut one sentence's units into chunks, preferring clause gaps, then phrase starts."""
    chunks: list[Chunk] = []
    start = 0
    while start < len(units):
        # Take as many units as fit; a single unit longer than max_chars goes out on its own.
        end = start + 1
        length = len(units[start])
        while end < len(units) and length + 1 + len(units[end]) <= max_chars:
            length += 1 + len(units[end])
            end += 1
        if end == len(units):
            chunks.append(Chunk(" ".join(units[start:]), Boundary.SENTENCE))
            break
        # Any cut before units[k], start < k <= end, keeps the chunk within max_chars.
        cut, kind = end, Boundary.WORD
        clause_cuts = [k for k in range(start + 1, end + 1) if gaps[k - 1] is Boundary.CLAUSE]
        if clause_cuts:
            cut, kind = clause_cuts[-1], Boundary.CLAUSE
        else:
            # Cutting before a phrase starter is only worth it if the chunk is not left tiny.
            phrase_cuts = [
                k
                for k in range(start + 1, end + 1)
                if _starts_phrase(units[k]) and len(" ".join(units[start:k])) >= max_chars // 2
            ]
            if phrase_cuts:
                cut = phrase_cuts[-1]
        chunks.append(Chunk(" ".join(units[start:cut]), kind))
        start = cut
    return chunks
