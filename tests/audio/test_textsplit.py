"""audio.text.textsplit: cutting text for the online engine where a reader would pause."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audio.text.textsplit import Boundary, Chunk, split_chunks, split_for_tts

S, C, W, E = Boundary.SENTENCE, Boundary.CLAUSE, Boundary.WORD, Boundary.END


def kinds(text: str, max_chars: int = 100) -> list[tuple[str, Boundary]]:
    return [(chunk.text, chunk.boundary) for chunk in split_chunks(text, max_chars)]


def test_short_text_is_one_chunk() -> None:
    assert split_chunks("Xin chào bà con.") == [Chunk("Xin chào bà con.", E)]
    assert split_for_tts("Xin chào bà con.") == ["Xin chào bà con."]


def test_empty_and_blank_text_give_no_chunks() -> None:
    assert split_chunks("") == []
    assert split_chunks(" \n\t ") == []


def test_every_sentence_is_its_own_chunk() -> None:
    text = "Xin chào bà con. Hôm nay có mưa to! Bà con có nghe rõ không? Xin cảm ơn…"
    assert kinds(text) == [
        ("Xin chào bà con.", S),
        ("Hôm nay có mưa to!", S),
        ("Bà con có nghe rõ không?", S),
        ("Xin cảm ơn…", E),
    ]


def test_newlines_end_sentences_and_spacing_is_collapsed() -> None:
    assert kinds("Thông báo\n\nLịch   tiêm phòng\r\nTổ 5") == [
        ("Thông báo", S),
        ("Lịch tiêm phòng", S),
        ("Tổ 5", E),
    ]


def test_closing_quotes_and_brackets_stay_with_their_sentence() -> None:
    assert split_for_tts('Ông nói: "Xin chào." (Hết giờ.) Tiếp theo.') == [
        'Ông nói: "Xin chào."',
        "(Hết giờ.)",
        "Tiếp theo.",
    ]


def test_dots_inside_numbers_and_times_do_not_end_sentences() -> None:
    text = "Mức phạt từ 1.000.000 đồng, họp lúc 7.30 sáng."
    assert split_for_tts(text) == [text]


def test_long_sentence_is_cut_at_clauses_only_when_needed() -> None:
    sentence = (
        "Thưa bà con, ủy ban nhân dân phường thông báo lịch tiêm phòng dại cho chó mèo; "
        "bà con mang theo sổ tiêm: đợt một vào thứ bảy, đợt hai vào chủ nhật."
    )
    assert len(sentence) > 100
    assert kinds(sentence) == [
        ("Thưa bà con, ủy ban nhân dân phường thông báo lịch tiêm phòng dại cho chó mèo;", C),
        ("bà con mang theo sổ tiêm: đợt một vào thứ bảy, đợt hai vào chủ nhật.", E),
    ]
    # A sentence that fits keeps its commas inside one chunk.
    assert kinds("Thưa bà con, xin chào.") == [("Thưa bà con, xin chào.", E)]


def test_dashes_are_clause_boundaries_and_stay_with_the_chunk_before() -> None:
    text = "Đường Lê Lợi sẽ cấm xe cả ngày mai — bà con đi đường Trần Phú – hoặc đi đường vòng"
    assert kinds(text, 40) == [
        ("Đường Lê Lợi sẽ cấm xe cả ngày mai —", C),
        ("bà con đi đường Trần Phú –", C),
        ("hoặc đi đường vòng", E),
    ]


def test_overlong_clause_is_cut_before_a_conjunction_or_preposition() -> None:
    clause = (
        "ủy ban nhân dân phường tổ chức tiêm phòng dại miễn phí cho chó mèo "
        "tại nhà văn hóa tổ dân phố số năm trong hai ngày cuối tuần này"
    )
    assert kinds(clause, 60) == [
        ("ủy ban nhân dân phường tổ chức tiêm phòng dại miễn phí", W),
        ("cho chó mèo tại nhà văn hóa tổ dân phố số năm", W),
        ("trong hai ngày cuối tuần này", E),
    ]


def test_a_conjunction_near_the_start_does_not_leave_a_tiny_chunk() -> None:
    # "và" comes after 3 characters; cutting there would waste a request on "Ăn".
    text = "Ăn và " + " ".join(["uống"] * 12)
    chunks = split_for_tts(text, 40)
    assert chunks[0].startswith("Ăn và uống")
    assert all(len(chunk) <= 40 for chunk in chunks)


def test_capitalised_conjunction_counts_too() -> None:
    text = "một hai ba bốn năm sáu bảy tám chín mười Với mười một mười hai"
    assert split_for_tts(text, 50)[1].startswith("Với")


def test_lone_punctuation_never_makes_a_chunk() -> None:
    assert kinds("Xin chào ! ! Hết giờ .") == [("Xin chào ! !", S), ("Hết giờ .", E)]
    assert split_for_tts("Kết thúc\n...\nBắt đầu") == ["Kết thúc ...", "Bắt đầu"]


def test_lone_opening_marks_go_with_the_next_word() -> None:
    assert split_for_tts("Xin chào. ( Tổ 5 ) họp.") == ["Xin chào.", "( Tổ 5 ) họp."]
    assert split_for_tts("« Chú ý » hôm nay") == ["« Chú ý » hôm nay"]


def test_text_of_only_punctuation_is_one_chunk() -> None:
    assert kinds("... !") == [("... !", E)]


def test_a_word_longer_than_the_limit_stands_alone() -> None:
    long_word = "a" * 30
    assert split_for_tts(f"xin {long_word} chào", 10) == ["xin", long_word, "chào"]


def test_max_chars_must_be_positive() -> None:
    with pytest.raises(ValueError):
        split_chunks("Xin chào.", 0)


# --------------------------------------------------------------------------- properties

WORDS = st.sampled_from(
    ["xin", "chào", "bà", "con", "và", "của", "để", "Với", "trong", "phường", "1.000", "7.30"]
) | st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=12)
MARKS = st.sampled_from([".", ",", ";", ":", "!", "?", "…", "—", "–", "-", "(", ")", '"', "«"])
SPACES = st.sampled_from([" ", " ", " ", "  ", "\n", "\t", "", "\u00a0", "\r\n"])


@st.composite
def texts(draw: st.DrawFn) -> str:
    pieces = draw(st.lists(st.tuples(WORDS | MARKS, SPACES), max_size=60))
    return "".join(piece + space for piece, space in pieces)


def has_word(token: str) -> bool:
    return any(ch.isalnum() for ch in token)


def check_invariants(text: str, max_chars: int) -> None:
    chunks = split_chunks(text, max_chars)
    joined = " ".join(chunk.text for chunk in chunks)
    # Rejoining gives the text back, and no word was cut: the tokens are the same sequence.
    assert joined.split() == text.split()
    assert " ".join(joined.split()) == " ".join(text.split())
    for chunk in chunks:
        assert chunk.text == chunk.text.strip() != ""
        words = [token for token in chunk.text.split() if has_word(token)]
        assert len(chunk.text) <= max_chars or len(words) <= 1, chunk
        # Punctuation only ever stands alone when the whole text has nothing else.
        assert words or not any(has_word(token) for token in text.split())
    assert [chunk.boundary for chunk in chunks[-1:]] == ([E] if chunks else [])
    assert all(chunk.boundary is not E for chunk in chunks[:-1])
    assert split_for_tts(text, max_chars) == [chunk.text for chunk in chunks]


@given(texts(), st.integers(min_value=1, max_value=120))
def test_properties_on_sentence_like_text(text: str, max_chars: int) -> None:
    check_invariants(text, max_chars)


@given(st.text(max_size=300), st.integers(min_value=1, max_value=120))
def test_properties_on_any_text(text: str, max_chars: int) -> None:
    check_invariants(text, max_chars)


@given(texts())
def test_sentence_boundaries_follow_sentence_ends(text: str) -> None:
    for chunk in split_chunks(text, 100)[:-1]:
        if chunk.boundary is S:
            continue
        # A chunk that is not the end of a sentence never ends in a sentence mark.
        assert not chunk.text.rstrip("\"')»]}”’").endswith((".", "!", "?", "…")), chunk
