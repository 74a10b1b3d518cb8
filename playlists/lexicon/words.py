"""Is a written form an ordinary Vietnamese word? (pure: no database, no settings)

The lexicon is for what the voice cannot read on its own: abbreviations (UBND), loanwords
(online), symbols (m²). An entry for an ordinary word re-voices every bulletin that uses it,
approved ones included, without touching their text: `không` read as `có` turns "không phải
đến trụ sở" into its opposite on air. So a written form made only of Vietnamese syllables is
refused (see `is_ordinary_word`).

A syllable is checked against Vietnamese phonotactics and spelling: an onset (b, ch, gh, ngh,
qu, …, or none), a rhyme from the language's inventory (an optional medial o/u, a vowel
nucleus, an optional coda), and at most one tone mark, on a vowel; the stop codas (-p, -t, -c,
-ch) take only the sắc or nặng tone. Spelling rules are kept too: k, gh and ngh come before
i, y, e, ê only; c, g and ng never do; q is always qu.
"""

from __future__ import annotations

import re
import unicodedata

# The five tone marks as combining characters (NFD): huyền, sắc, ngã, hỏi, nặng.
_TONES = {"\u0300": "huyền", "\u0301": "sắc", "\u0303": "ngã", "\u0309": "hỏi", "\u0323": "nặng"}
_STOP_TONES = {"sắc", "nặng"}
# A tone mark sits on a vowel: in NFD, on one of these letters (ế is e, then ^, then ´).
_VOWEL_BASES = "aeiouy"
_ALPHABET = frozenset("abcdđeghiklmnopqrstuvxy" + "ăâêôơư")
# Letters only Vietnamese writes: a token in capitals that has one is a word ("KHÔNG", "ĐI"),
# not an abbreviation.
_MARKED_LETTERS = frozenset("ăâêôơưđ")


def _table(words: str) -> frozenset[str]:
    """Read a table of rhymes written as lines of words."""
    return frozenset(words.split())


# Rhymes without a medial, one nucleus a line.
_PLAIN_RHYMES = _table(
    """
    a ac ach ai am an ang anh ao ap at au ay
    ăc ăm ăn ăng ăp ăt
    âc âm ân âng âp ât âu ây
    e ec em en eng eo ep et
    ê êch êm ên ênh êp êt êu
    i ich im in inh ip it iu
    ia iêc iêm iên iêng iêp iêt iêu
    y yêm yên yêng yêt yêu
    o oc oi om on ong op ot ooc oong
    ô ôc ôi ôm ôn ông ôp ôt
    ơ ơi ơm ơn ơp ơt
    u uc ui um un ung up ut
    ua uôc uôi uôm uôn uông uôt
    ư ưc ưi ưng ưt ưu
    ưa ươc ươi ươm ươn ương ươp ươt ươu
    """
)
# Rhymes with the medial o (before a, ă, e) or u (before â, ê, y, ơ).
_MEDIAL_O_RHYMES = _table(
    """
    oa oac oach oai oam oan oang oanh oao oap oat oay
    oăc oăm oăn oăng oăt
    oe oen oeo oet
    """
)
_MEDIAL_U_RHYMES = _table(
    """
    uân uâng uât uây
    uê uêch uênh
    uy uych uyên uyêt uynh uyt uyu uya
    uơ
    """
)
# After qu the u is the medial: "quân" is qu + ân, "quỳnh" qu + ynh (the rhyme uynh).
_QU_RHYMES = frozenset(
    {rhyme for rhyme in _PLAIN_RHYMES if rhyme[0] in "aăâeêiyơô"}
    | {rhyme[1:] for rhyme in _MEDIAL_U_RHYMES}
)
_RHYMES = _PLAIN_RHYMES | _MEDIAL_O_RHYMES | _MEDIAL_U_RHYMES

_ONSETS = (
    "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr",
    "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "r", "s", "t", "v", "x", "",
)  # fmt: skip
_FRONT = "ieêy"
# The rhymes written with y + iê stand alone ("yên") or follow qu ("quyên"), never another onset.
_Y_RHYMES = frozenset(r for r in _PLAIN_RHYMES if r.startswith("y") and r != "y")

# Where a written form is cut into the tokens checked one by one: spaces, and the joiners an
# abbreviation may hold (TP.HCM, KT-XH).
_PARTS = re.compile(r"[\s.\-]+")


def _split_tone(token: str) -> tuple[str, str | None] | None:
    """Return the token in lower case without its tone mark, and the tone; None if not Vietnamese.

    None for a second tone mark, a tone mark not on a vowel, or a letter outside the
    Vietnamese alphabet (f, j, w, z, a digit, a symbol).
    """
    tone = None
    kept: list[str] = []
    for char in unicodedata.normalize("NFD", token.lower()):
        if char in _TONES:
            base = next((c for c in reversed(kept) if not unicodedata.combining(c)), "")
            if tone is not None or not base or base not in _VOWEL_BASES:
                return None
            tone = _TONES[char]
            continue
        kept.append(char)
    bare = unicodedata.normalize("NFC", "".join(kept))
    if not bare or any(char not in _ALPHABET for char in bare):
        return None
    return bare, tone


def _onset_fits(onset: str, rhyme: str) -> bool:
    """Tell whether Vietnamese spelling writes this onset before this rhyme."""
    if onset == "qu":
        return rhyme in _QU_RHYMES
    if rhyme not in _RHYMES:
        return False
    if rhyme in _Y_RHYMES:
        return onset == ""
    front = rhyme[0] in _FRONT
    if onset in ("k", "gh", "ngh"):
        return front and (onset == "k" or rhyme[0] != "y")
    if onset in ("c", "ng"):
        return not front
    if onset == "g":  # before i it is the onset gi ("gì", "giêng"): otherwise gh
        return rhyme[0] not in "eêy"
    if onset == "gi":  # "gia", "gieo", "giường"; before i it is written g + i ("gìn")
        return rhyme[0] not in "iy"
    return True


def is_syllable(token: str) -> bool:
    """Tell whether `token` is one well-formed Vietnamese syllable, in any case ("Hà", "QUỐC")."""
    split = _split_tone(token)
    if split is None:
        return False
    bare, tone = split
    for onset in _ONSETS:
        if not bare.startswith(onset):
            continue
        rhyme = bare[len(onset) :]
        if not rhyme or not _onset_fits(onset, rhyme):
            continue
        if rhyme.endswith(("p", "t", "c", "ch")) and tone not in _STOP_TONES:
            continue  # "cáp", "cạp", never "càp"
        return True
    return False


def is_abbreviation_shaped(token: str) -> bool:
    """Tell whether a token in capitals reads as an abbreviation rather than a word.

    Two or more letters in capitals with no Vietnamese mark (no tone, none of ă â ê ô ơ ư đ)
    are an abbreviation even when they happen to spell a syllable: "CA" is công an, "SIM" a
    card. A word in capitals keeps its marks, and abbreviations never carry a tone: "KHÔNG",
    "CÓ", "ĐI" in a headline are words.
    """
    letters = [char for char in token if char.isalpha()]
    if len(letters) < 2 or not all(char.isupper() for char in letters):
        return False
    split = _split_tone(token)
    if split is None:
        return True
    bare, tone = split
    return tone is None and not _MARKED_LETTERS.intersection(bare)


def is_ordinary_word(written: str) -> bool:
    """Tell whether `written` is only ordinary Vietnamese words ("không", "Hà Nội", "CÓ").

    Every token (cut at spaces, dots and hyphens) must be a well-formed syllable that is not
    shaped as an abbreviation; one abbreviation, loanword, digit or symbol among them makes
    the written form something the lexicon may read ("UBND", "online", "Wi-Fi", "m²").
    """
    tokens = [token for token in _PARTS.split(written.strip()) if token]
    return bool(tokens) and all(
        is_syllable(token) and not is_abbreviation_shaped(token) for token in tokens
    )
