"""Vietnamese spoken forms of numbers, following northern (Hà Nội) conventions.

Conventions, as a listener of the ward's loudspeakers expects them:

* a final 1 after twenty and up is "mốt" (21 -> "hai mươi mốt"), but 11 is "mười một";
* a final 5 after ten and up is "lăm" (15 -> "mười lăm", 25 -> "hai mươi lăm");
* a final 4 after twenty and up is "tư" (24 -> "hai mươi tư"), but 14 is "mười bốn";
* a zero tens digit before a unit is "lẻ" (105 -> "một trăm lẻ năm");
* a zero hundreds digit inside a larger number is "không trăm" (2026 -> "hai nghìn không trăm
  hai mươi sáu");
* scales are "nghìn", "triệu", "tỷ"; above a thousand billion the scales repeat ("nghìn tỷ",
  "tỷ tỷ").
"""

import re

__all__ = [
    "DIGIT_WORDS",
    "read_decimal",
    "read_digits",
    "read_number",
    "read_ordinal",
    "read_roman",
]

DIGIT_WORDS: tuple[str, ...] = (
    "không",
    "một",
    "hai",
    "ba",
    "bốn",
    "năm",
    "sáu",
    "bảy",
    "tám",
    "chín",
)

_BILLION = 10**9
# (size, word) for the groups of three digits below a billion; "tỷ" is handled by recursion
# so that numbers of any size come out as "... nghìn tỷ", "... tỷ tỷ".
_SCALES: tuple[tuple[int, str], ...] = ((10**6, "triệu"), (10**3, "nghìn"), (1, ""))
_ASCII_DIGITS = frozenset("0123456789")
# Strict canonical Roman numerals 1..3999: no "IIII", "VX", "IC" and the like.
_ROMAN = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def _read_triple(n: int, inner: bool) -> str:
    """Read 1 <= n <= 999; `inner` marks a group that follows a higher nonzero group."""
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    words: list[str] = []
    # Inside a larger number the hundreds are always said, even when zero ("không trăm").
    if hundreds or inner:
        words += [DIGIT_WORDS[hundreds], "trăm"]
    if tens == 0:
        if ones:
            # "lẻ" only bridges a spoken hundreds place; a bare 5 is just "năm".
            words += ["lẻ", DIGIT_WORDS[ones]] if words else [DIGIT_WORDS[ones]]
    elif tens == 1:
        words.append("mười")
        if ones:
            words.append("lăm" if ones == 5 else DIGIT_WORDS[ones])
    else:
        words += [DIGIT_WORDS[tens], "mươi"]
        if ones:
            words.append({1: "mốt", 4: "tư", 5: "lăm"}.get(ones, DIGIT_WORDS[ones]))
    return " ".join(words)


def _read_positive(n: int, inner: bool) -> str:
    """Read n >= 1; `inner` as in `_read_triple`, for the part after "tỷ"."""
    if n >= _BILLION:
        high, low = divmod(n, _BILLION)
        text = _read_positive(high, inner) + " tỷ"
        return f"{text} {_read_positive(low, True)}" if low else text
    parts: list[str] = []
    for size, word in _SCALES:
        group, n = divmod(n, size)
        if group:
            parts.append(f"{_read_triple(group, inner)} {word}".rstrip())
            inner = True
    return " ".join(parts)


def read_number(n: int) -> str:
    """Return the Vietnamese reading of an integer, e.g. 105 -> "một trăm lẻ năm"."""
    if n < 0:
        return "âm " + read_number(-n)
    if n == 0:
        return DIGIT_WORDS[0]
    return _read_positive(n, False)


def read_ordinal(n: int) -> str:
    """Return the word after "thứ" for n: 1 -> "nhất", 4 -> "tư", otherwise the cardinal."""
    # "thứ nhất", "thứ tư" are fixed forms; "thứ một", "thứ bốn" are never said.
    return {1: "nhất", 4: "tư"}.get(n) or read_number(n)


def read_digits(s: str) -> str:
    """Read a string of ASCII digits one by one, e.g. "0912" -> "không chín một hai"."""
    if not set(s) <= _ASCII_DIGITS:
        raise ValueError(f"not a digit string: {s!r}")
    return " ".join(DIGIT_WORDS[int(c)] for c in s)


def read_decimal(int_part: str, frac_part: str) -> str:
    """Read a decimal written with a comma, e.g. ("98", "7") -> "chín mươi tám phẩy bảy"."""
    if not int_part or not frac_part:
        raise ValueError("both parts of a decimal must be non-empty")
    if not set(int_part + frac_part) <= _ASCII_DIGITS:
        raise ValueError(f"not a decimal: {int_part!r},{frac_part!r}")
    # The fraction is read as a number, but its leading zeros carry meaning (2,05 is not 2,5),
    # so each of them is said as "không".
    significant = frac_part.lstrip("0")
    words = [DIGIT_WORDS[0]] * (len(frac_part) - len(significant))
    if significant:
        words.append(read_number(int(significant)))
    return f"{read_number(int(int_part))} phẩy {' '.join(words)}"


def read_roman(s: str) -> int | None:
    """Return the value of a canonical upper-case Roman numeral (1..3999), else None."""
    if not s or not _ROMAN.fullmatch(s):
        return None
    values = [_ROMAN_VALUES[c] for c in s]
    # Subtractive pairs: a smaller value before a larger one counts negatively.
    return sum(-v if v < nxt else v for v, nxt in zip(values, [*values[1:], 0], strict=True))
