"""audio.text.numbers: Vietnamese readings of numbers, digits, decimals and Roman numerals."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audio.text.numbers import (
    DIGIT_WORDS,
    read_decimal,
    read_digits,
    read_number,
    read_ordinal,
    read_roman,
)

NUMBER_WORDS = {*DIGIT_WORDS, "mười", "mươi", "trăm", "lẻ", "mốt", "tư", "lăm"}
SCALE_WORDS = {"nghìn", "triệu", "tỷ"}
WORD_VALUES = {word: value for value, word in enumerate(DIGIT_WORDS)}


def parse_reading(text: str) -> int:
    """Turn a reading back into its value: an independent oracle for read_number."""
    total = 0  # everything up to the last "tỷ", already multiplied out
    group = 0  # millions and thousands since the last "tỷ"
    small = 0  # the current group of three digits
    pending: int | None = None  # a digit word waiting for "trăm"/"mươi" or the end
    for word in text.split():
        if word in WORD_VALUES:
            assert pending is None, f"two digit words in a row in {text!r}"
            pending = WORD_VALUES[word]
            continue
        if word == "trăm":
            assert pending is not None
            small, pending = small + pending * 100, None
        elif word == "mươi":
            assert pending is not None and pending >= 2
            small, pending = small + pending * 10, None
        elif word == "mười":
            small += 10
        elif word in {"mốt", "tư", "lăm"}:
            small += {"mốt": 1, "tư": 4, "lăm": 5}[word]
        elif word == "lẻ":
            assert small % 100 == 0 and pending is None
        else:
            small += pending or 0
            pending = None
            if word == "nghìn":
                group, small = group + small * 1000, 0
            elif word == "triệu":
                group, small = group + small * 1_000_000, 0
            elif word == "tỷ":
                total, group, small = (total + group + small) * 10**9, 0, 0
            else:
                raise AssertionError(f"unexpected word {word!r} in {text!r}")
    return total + group + small + (pending or 0)


@pytest.mark.parametrize(
    ("n", "reading"),
    [
        (0, "không"),
        (3, "ba"),
        (10, "mười"),
        (11, "mười một"),
        (14, "mười bốn"),
        (15, "mười lăm"),
        (20, "hai mươi"),
        (31, "ba mươi mốt"),
        (44, "bốn mươi tư"),
        (55, "năm mươi lăm"),
        (101, "một trăm lẻ một"),
        (104, "một trăm lẻ bốn"),
        (115, "một trăm mười lăm"),
        (300, "ba trăm"),
        (1_000, "một nghìn"),
        (1_009, "một nghìn không trăm lẻ chín"),
        (1_080, "một nghìn không trăm tám mươi"),
        (2_026, "hai nghìn không trăm hai mươi sáu"),
        (1_975, "một nghìn chín trăm bảy mươi lăm"),
        (31_000, "ba mươi mốt nghìn"),
        (250_000, "hai trăm năm mươi nghìn"),
        (1_000_007, "một triệu không trăm lẻ bảy"),
        (2_500_000, "hai triệu năm trăm nghìn"),
        (4_000_000_000, "bốn tỷ"),
        (1_000_000_000_000, "một nghìn tỷ"),
        (10**18, "một tỷ tỷ"),
    ],
)
def test_read_number_examples(n: int, reading: str) -> None:
    assert read_number(n) == reading


def test_read_number_negative_is_am() -> None:
    assert read_number(-25) == "âm hai mươi lăm"


@pytest.mark.parametrize(
    ("n", "word"), [(1, "nhất"), (2, "hai"), (4, "tư"), (7, "bảy"), (14, "mười bốn")]
)
def test_read_ordinal(n: int, word: str) -> None:
    assert read_ordinal(n) == word


def test_read_digits_reads_each_digit() -> None:
    assert read_digits("0912") == "không chín một hai"
    assert read_digits("") == ""


@pytest.mark.parametrize("bad", ["12a", "1 2", "+84", "١٢"])
def test_read_digits_rejects_non_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        read_digits(bad)


@pytest.mark.parametrize(
    ("int_part", "frac_part", "reading"),
    [
        ("98", "7", "chín mươi tám phẩy bảy"),
        ("2", "5", "hai phẩy năm"),
        ("2", "05", "hai phẩy không năm"),
        ("0", "25", "không phẩy hai mươi lăm"),
        ("3", "0", "ba phẩy không"),
        ("1250", "75", "một nghìn hai trăm năm mươi phẩy bảy mươi lăm"),
    ],
)
def test_read_decimal_examples(int_part: str, frac_part: str, reading: str) -> None:
    assert read_decimal(int_part, frac_part) == reading


@pytest.mark.parametrize(("int_part", "frac_part"), [("", "5"), ("2", ""), ("2", "x")])
def test_read_decimal_rejects_bad_parts(int_part: str, frac_part: str) -> None:
    with pytest.raises(ValueError):
        read_decimal(int_part, frac_part)


@pytest.mark.parametrize(
    ("roman", "value"),
    [("I", 1), ("IV", 4), ("IX", 9), ("XIV", 14), ("XL", 40), ("XCIX", 99), ("MMMCMXCIX", 3999)],
)
def test_read_roman_values(roman: str, value: int) -> None:
    assert read_roman(roman) == value


@pytest.mark.parametrize("bad", ["", "IIII", "VX", "IC", "XM", "MMMM", "iv", "IIV", "ABC", "V I"])
def test_read_roman_rejects_non_canonical(bad: str) -> None:
    assert read_roman(bad) is None


def to_roman(n: int) -> str:
    """Write n in canonical Roman numerals, for the round-trip property."""
    out = []
    for value, letters in [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ]:
        count, n = divmod(n, value)
        out.append(letters * count)
    return "".join(out)


# --- properties ----------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=10**12))
def test_read_number_uses_only_number_words_and_round_trips(n: int) -> None:
    reading = read_number(n)
    assert set(reading.split()) <= NUMBER_WORDS | SCALE_WORDS
    assert reading == " ".join(reading.split())
    assert parse_reading(reading) == n


@given(st.integers(min_value=0, max_value=10**30))
def test_read_number_round_trips_for_huge_numbers(n: int) -> None:
    assert parse_reading(read_number(n)) == n


@given(st.integers(min_value=-(10**12), max_value=-1))
def test_negative_numbers_read_with_am(n: int) -> None:
    assert read_number(n) == "âm " + read_number(-n)


@given(st.integers(min_value=0, max_value=10**9))
def test_final_one_is_mot_after_twenty(n: int) -> None:
    tens, ones = divmod(n % 100, 10)
    if ones != 1 or n < 10:
        return
    # "mốt" after twenty and up, "mười một" after ten, "lẻ một" after a zero tens digit.
    expected = "mốt" if tens >= 2 else "một"
    assert read_number(n).split()[-1] == expected


@given(st.integers(min_value=0, max_value=10**9))
def test_final_five_is_lam_after_ten(n: int) -> None:
    tens, ones = divmod(n % 100, 10)
    if ones != 5:
        return
    expected = "lăm" if tens >= 1 else "năm"
    assert read_number(n).split()[-1] == expected


@given(st.integers(min_value=0, max_value=10**9))
def test_final_four_is_tu_after_twenty(n: int) -> None:
    tens, ones = divmod(n % 100, 10)
    if ones != 4:
        return
    expected = "tư" if tens >= 2 else "bốn"
    assert read_number(n).split()[-1] == expected


@given(st.integers(min_value=1, max_value=10**9))
def test_zero_tens_digit_reads_le(n: int) -> None:
    words = read_number(n).split()
    # "lẻ" bridges a spoken hundreds place and a lone unit: 105, 2 005, but never 5 or 150.
    expected = n >= 100 and 0 < n % 100 < 10
    assert (len(words) >= 2 and words[-2] == "lẻ") == expected


@given(st.integers(min_value=1, max_value=999), st.integers(min_value=1, max_value=99))
def test_zero_hundreds_inside_a_number_reads_khong_tram(thousands: int, tail: int) -> None:
    assert read_number(thousands * 1000 + tail).startswith(
        read_number(thousands) + " nghìn không trăm"
    )


@given(st.text(alphabet="0123456789", max_size=40))
def test_read_digits_round_trips(digits: str) -> None:
    words = read_digits(digits).split()
    assert "".join(str(WORD_VALUES[w]) for w in words) == digits


@given(
    st.text(alphabet="0123456789", min_size=1, max_size=12),
    st.text(alphabet="0123456789", min_size=1, max_size=12),
)
def test_read_decimal_reads_both_parts(int_part: str, frac_part: str) -> None:
    whole, fraction = read_decimal(int_part, frac_part).split(" phẩy ")
    assert whole == read_number(int(int_part))
    zeros = len(frac_part) - len(frac_part.lstrip("0"))
    assert fraction.split()[:zeros] == ["không"] * zeros
    if frac_part.strip("0"):
        assert parse_reading(" ".join(fraction.split()[zeros:])) == int(frac_part)


@given(st.integers(min_value=1, max_value=3999))
def test_read_roman_round_trips(n: int) -> None:
    assert read_roman(to_roman(n)) == n


@given(st.text(alphabet="IVXLCDM", max_size=12))
def test_read_roman_accepts_only_canonical_spellings(s: str) -> None:
    value = read_roman(s)
    assert value is None or to_roman(value) == s
