"""Passwords and secrets: Argon2id hashes, random ids and tokens, and their stored digests."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

# pwdlib's Argon2id defaults (RFC 9106's second recommended option, 64 MiB, t=3). A change of
# parameters here is picked up at each user's next sign-in: their hash is redone then.
_HASHER = PasswordHash((Argon2Hasher(),))
# Verified against when the user does not exist, so that an unknown name takes as long.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))

MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 256


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def check_password(password: str, stored: str | None) -> tuple[bool, str | None]:
    """Return whether `password` matches `stored`, and a new hash when the parameters changed.

    With `stored` None (no such user) the same work is done and the answer is no.
    """
    if stored is None:
        _HASHER.verify(password, _DUMMY_HASH)
        return False, None
    try:
        return _HASHER.verify_and_update(password, stored)
    except Exception:  # a damaged hash in the database: nobody signs in with it
        return False, None


def password_problem(password: str, username: str) -> str | None:
    """Say in Vietnamese why a new password will not do; None when it will."""
    if len(password) < MIN_PASSWORD_CHARS:
        return f"Mật khẩu cần ít nhất {MIN_PASSWORD_CHARS} ký tự."
    if len(password) > MAX_PASSWORD_CHARS:
        return f"Mật khẩu dài quá {MAX_PASSWORD_CHARS} ký tự."
    if username and username.lower() in password.lower():
        return "Mật khẩu không được chứa tên đăng nhập."
    if len(set(password)) < 4:
        return "Mật khẩu quá đơn giản: hãy dùng nhiều ký tự khác nhau hơn."
    return None


def one_time_password() -> str:
    """A password for a new or reset account, to be changed at the first sign-in."""
    return secrets.token_urlsafe(9)  # 12 characters, 72 bits


def new_secret(prefix: str = "") -> str:
    """A random session id or API token (256 bits)."""
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """What the database keeps of a session id or a token: its SHA-256, hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def csrf_token(session_secret: str) -> str:
    """The session's CSRF token: derived from its secret id, so only its holder can know it."""
    return hmac.new(session_secret.encode(), b"loa csrf", hashlib.sha256).hexdigest()


def same_secret(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
