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


def range_problem(
    first: object,
    last: object,
    *,
    first_name: str = "ngày bắt đầu",
    last_name: str = "Ngày kết thúc",
) -> str | None:
    """Say, in Vietnamese, why a range that ends before it begins is wrong; None if it is not.

    Dates and times alike; the names are what the person typed them as (a form's labels, a
    command's options).
    """
    if last < first:  # type: ignore[operator]
        return f"{last_name} phải bằng hoặc sau {first_name}."
    return None
