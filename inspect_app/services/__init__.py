"""Use cases over a store: plain functions, no Flask request or session.

Each function takes the store (and the acting user where it matters) and typed
arguments (the commands of :mod:`.commands`), returns domain objects or result
dataclasses, and raises the refusals of :mod:`inspect_app.domain.errors`; the web
layer alone turns them into status codes and pages (``web/errors.py``).
"""
from ..domain.errors import (
                             Conflict,
                             Forbidden,
                             Invalid,
                             Missing,
                             Refused,
                             Throttled,
                             TooLarge,
                             Unauthenticated,
                             Unprocessable,
)

#: The base of every refusal a use case raises (the domain's own :class:`Refused`).
ServiceError = Refused

__all__ = ["Conflict", "Forbidden", "Invalid", "Missing", "Refused", "ServiceError", "Throttled",
           "TooLarge", "Unauthenticated", "Unprocessable"]
