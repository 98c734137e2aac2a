"""The contract of a criterion type, and what its hooks return.

A type is one object registered in :mod:`inspect_app.domain.criteria`; it owns its
format keys and their validation, answer checking, "is answered", the points of its
line, the words for its answer and the description the browser needs to preview it.
The registry refuses, at import, a type that lacks one of :data:`HOOKS` or a name
registered twice.

Standard library only.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Protocol

from ..messages import Message
from .fields import Problems

if TYPE_CHECKING:
    from ..checklist import Criterion

#: Where a type's points go: ``scored`` lines count towards the maximum, ``info`` lines
#: are recorded only, ``adjustment`` lines (bonus, penalty) are added or taken off outside it.
ROLES = ("scored", "info", "adjustment")

#: The methods every type defines (checked when it is registered).
HOOKS = ("parse", "value_problems", "is_answered", "score", "canonical", "words", "describe",
         "rules", "schema")

#: How a type's points read beside its text: added (bonus), taken off (penalty) or plain.
SIGNS = ("", "+", "−")


@dataclass(frozen=True)
class Outcome:
    """What a type's ``score`` hook says about one answered line.

    ``exact`` is the unrounded points (None when the line has none, then ``status`` says
    why: "na" for a ratio over nothing, "info" for a recorded fact); ``value`` is what the
    score card shows (a percent, a sum, the option chosen); ``check`` flags a line worth
    a second look ("over_100").
    """

    exact: Fraction | Decimal | None
    value: Any = None
    check: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class Shown:
    """A number (or date) in an answer's words, formatted by the reader's locale later:
    ``style`` is number, percent, sum (Σ 12) or date."""

    value: Any
    style: str = "number"


#: One piece of an answer's words: a translatable message, the user's own text (an
#: option's label, a typed value) or a number to format.
Word = Message | str | Shown


class CriterionType(Protocol):
    """What a criterion type module registers (one instance per type name)."""

    name: str
    role: str
    #: the format keys of the type beyond the common ones (DESIGN §3)
    keys: frozenset[str]
    #: answered with ``inputs`` (numbers, texts, dates) rather than only a ``value``
    takes_inputs: bool
    #: one of :data:`SIGNS`: how its points read ("+2" for a bonus, "−5" for a penalty)
    sign: str

    def parse(self, p: Problems, raw: Mapping[str, Any], path: str,
              points: Decimal | None) -> dict[str, Any]:
        """The :class:`Criterion` fields of its own keys, adding problems to ``p``."""

    def value_problems(self, criterion: Criterion, value: Any) -> list[Message]:
        """Why an answer's ``value`` (not None) does not fit the criterion."""

    def is_answered(self, criterion: Criterion, answer: Mapping[str, Any]) -> bool:
        """True when a (non-N/A) answer gives what the criterion needs."""

    def score(self, criterion: Criterion, answer: Mapping[str, Any]) -> Outcome:
        """The points of a valid, answered, non-N/A answer."""

    def canonical(self, criterion: Criterion, value: Any) -> Any:
        """The stored form of a valid ``value`` (an option's own value, not its spelling)."""

    def words(self, criterion: Criterion, value: Any, computed: Any) -> tuple[Word, ...]:
        """The answer's value in words (``computed`` is its score line's value)."""

    def describe(self, criterion: Criterion) -> dict[str, Any]:
        """JSON-ready facts the browser needs to read the form and preview the points."""

    def rules(self, criterion: Criterion) -> tuple[tuple[Word, ...], ...]:
        """How its points are given, one line of words each (the checklist page: "Đạt
        một phần → 1", "≥ 90% → 2", "0 to 2 in steps of 0,25")."""

    def schema(self) -> dict[str, Any]:
        """JSON Schema of its keys: ``properties`` (shared by name with other types),
        ``required`` and any further ``then`` rules (docs/checklist.schema.json)."""
