"""Use cases over a store: plain functions, no Flask request or session.

Each function takes the store (and the acting user where it matters) as
arguments and raises :class:`ServiceError` subclasses the web layer turns into
messages or HTTP status codes.
"""


class ServiceError(Exception):
    """A use case refused: ``str(error)`` is a message for the user."""

    status = 400

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details


class Invalid(ServiceError):
    """Bad input (HTTP 400)."""


class Forbidden(ServiceError):
    """The user may not do this (HTTP 403)."""

    status = 403


class Missing(ServiceError):
    """No such record, or not one the user may see (HTTP 404)."""

    status = 404


class Conflict(ServiceError):
    """The record changed or is locked (HTTP 409)."""

    status = 409


class Unprocessable(ServiceError):
    """Well-formed but cannot be done now, e.g. unanswered criteria (HTTP 422)."""

    status = 422


class Throttled(ServiceError):
    """Too many attempts (HTTP 429)."""

    status = 429
