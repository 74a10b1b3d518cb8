"""Domain errors that carry messages for people (Vietnamese) and for logs (English)."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every refusal the station explains to its users."""

    status_code = 400

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(detail or message)
        self.message = message
        self.detail = detail or message


class InputError(DomainError):
    """One or more fields are wrong; `errors` maps each field to its Vietnamese message."""

    status_code = 422

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(
            "Thông tin chưa hợp lệ: " + " ".join(errors.values()),
            "invalid input: " + ", ".join(sorted(errors)),
        )
        self.errors = errors


class NotFound(DomainError):
    """The thing asked for does not exist."""

    status_code = 404


class StateError(DomainError):
    """The action does not fit the thing's current state (e.g. approving a draft)."""

    status_code = 409
