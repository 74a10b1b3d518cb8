"""Text from people, made safe: one-line names, clean texts; and ASCII for machines.

`one_line` and `clean_text` are the one rule for control characters (and `OneLine`,
`MultiLine` the types the schemas take); `without_marks` and `slug` give the ASCII that file
names, stream mounts and headers need.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator


def without_marks(text: str) -> str:
    """Return Vietnamese without its marks ("Khu phố 3" → "Khu pho 3", "Đường" → "Duong")."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def slug(text: str) -> str:
    """Return an ASCII file-name-safe form of a Vietnamese name ("Khu phố 3" → "khu-pho-3")."""
    return re.sub(r"[^A-Za-z0-9]+", "-", without_marks(text)).strip("-").lower() or "x"


# Characters that are never part of a name or a text: C0 controls, DEL, C1 controls, and the
# bidirectional marks, embeddings, overrides and isolates that make text display in another
# order than it is stored (U+200E/F, U+202A–U+202E, U+2066–U+2069). Lone surrogates are not
# text at all (JSON's "\ud800", or bytes Python could not decode).
_BIDI = "\u200e\u200f\u202a-\u202e\u2066-\u2069"
_SURROGATES = "\ud800-\udfff"
# What ends a line somewhere: in M3U8, CSV, HTTP headers, logs, or Python's str.splitlines.
_LINE_BREAKS = re.compile("\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
_NOT_TEXT = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}{_SURROGATES}]")


def clean_text(value: str) -> str:
    """Return multi-line text without control characters: its line breaks become "\\n".

    A tab becomes a space; every other control character, bidirectional control and lone
    surrogate is dropped. For a bulletin's text, a reason, a spoken form.
    """
    value = _LINE_BREAKS.sub("\n", value).replace("\t", " ")
    return _NOT_TEXT.sub("", value)


def one_line(value: str) -> str:
    """Return a name or a title on one line: a line break or a tab becomes a space.

    The rule for everything a person names (titles, zone and slot names, who asked or
    approved): what comes out can never start a new line in an M3U8 playlist, a CSV row, a
    log line or a header, nor display in another order than it is stored.
    """
    return clean_text(value).replace("\n", " ")


def has_surrogates(value: str) -> bool:
    """Tell whether a string holds a lone surrogate (it cannot be written as UTF-8)."""
    return re.search(f"[{_SURROGATES}]", value) is not None


def _refuse_surrogates(value: str) -> str:
    if has_surrogates(value):
        # pydantic turns a ValueError into a 422 naming the field.
        raise ValueError("Có ký tự không hợp lệ (nửa cặp ký tự UTF-16 đứng riêng).")
    return value


# What the schemas take: a lone surrogate is refused (it is not text), controls are stripped.
OneLine = Annotated[str, AfterValidator(_refuse_surrogates), AfterValidator(one_line)]
MultiLine = Annotated[str, AfterValidator(_refuse_surrogates), AfterValidator(clean_text)]


def vn_decimal(value: float, places: int = 1) -> str:
    """Write a number as Vietnamese staff read it: a decimal comma, dots between thousands
    (1.234,5). Every page, chart and document writes numbers through here."""
    text = f"{value:,.{places}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")
