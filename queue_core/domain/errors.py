"""Typed domain errors. The API maps each kind to one HTTP status, in one place."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a rule can raise; ``code`` is stable and snake_case."""

    default_code = "domain_error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code


class IllegalMove(DomainError):
    """The thing exists but its state forbids the action (HTTP 409)."""

    default_code = "illegal_move"


class NotFound(DomainError):
    """No such ticket, counter, service… (HTTP 404)."""

    default_code = "not_found"


class InvalidInput(DomainError):
    """The request is well-formed but makes no sense for this branch (HTTP 422)."""

    default_code = "invalid_input"


class Forbidden(DomainError):
    """The caller's role may not do this (HTTP 403)."""

    default_code = "forbidden"


class Unauthorized(DomainError):
    """No valid credentials (HTTP 401)."""

    default_code = "unauthorized"


class TooMany(DomainError):
    """Rate limit or lockout (HTTP 429); ``retry_after_s``: when trying again makes sense."""

    default_code = "too_many_requests"

    def __init__(
        self, message: str, code: str | None = None, retry_after_s: int | None = None
    ) -> None:
        super().__init__(message, code)
        self.retry_after_s = retry_after_s


class Unavailable(DomainError):
    """The store could not be reached or stayed locked (HTTP 503)."""

    default_code = "store_unavailable"
