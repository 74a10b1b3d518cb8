"""File helpers shared by the engines."""

from __future__ import annotations

import uuid
from pathlib import Path


def temp_sibling(dst: Path, suffix: str = ".part") -> Path:
    """Return a unique hidden path next to dst, so renaming it onto dst is atomic."""
    return dst.with_name(f".{dst.name}.{uuid.uuid4().hex}{suffix}")
