"""Vietnamese text for machines that only take ASCII: file names, stream mounts, headers."""

from __future__ import annotations

import re
import unicodedata


def without_marks(text: str) -> str:
    """Return Vietnamese without its marks ("Khu phố 3" → "Khu pho 3", "Đường" → "Duong")."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def slug(text: str) -> str:
    """Return an ASCII file-name-safe form of a Vietnamese name ("Khu phố 3" → "khu-pho-3")."""
    return re.sub(r"[^A-Za-z0-9]+", "-", without_marks(text)).strip("-").lower() or "x"
