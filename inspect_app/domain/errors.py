"""Refusals of the rules and the use cases: one hierarchy, no HTTP in it.

A refusal says *what kind* of no it is (the class) and *why* (``message``, an
:func:`~.messages.N_` message translated at the edge), with JSON-ready ``details``
for programs (``field``, ``criterion``, ``current``, ``existing``, …). Which status
code or page a kind of refusal becomes is decided in one place of the web layer
(``inspect_app/web/errors.py``).
"""
from __future__ import annotations

from typing import Any


class Refused(Exception):
    """A rule or a use case refused; ``str(error)`` is the (untranslated) message."""

    def __init__(self, message: Any, **details: Any):
        super().__init__(message)
        self.message = message
        self.details = details


class Invalid(Refused):
    """Bad input: not of the expected form, or not fitting what it names."""


class Unauthenticated(Refused):
    """The caller did not say who they are (or said it wrongly)."""


class Forbidden(Refused):
    """The user may see the record but not do this."""


class Missing(Refused):
    """No such record, or not one the user may see."""


class Conflict(Refused):
    """The record changed meanwhile, is locked, or the op_id was used for other content."""


class Unprocessable(Refused):
    """Well-formed but not possible now (unanswered criteria, missing evidence)."""


class TooLarge(Refused):
    """The input is larger than the server accepts."""


class Throttled(Refused):
    """Too many attempts."""
