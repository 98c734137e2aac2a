"""Criterion types as plugins: one module per type, one registry, checked at import.

Each type module defines one object with the hooks of :class:`.base.CriterionType`
(its format keys and their validation, answer checks, "is answered", scoring, the words
of an answer, the browser's description, its JSON Schema). :func:`register` refuses a
type that lacks a hook or a name registered twice, so a broken plugin fails when the
app starts, not when the first answer arrives. Adding a type means adding a module
here and registering it below; the web side adds one builder (``web/criteria.py``).

Standard library only.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..messages import N_, Message
from .base import HOOKS, ROLES, SIGNS, CriterionType, Outcome, Shown, Word
from .choice import Choice
from .count import Count
from .info import Info
from .multi import Multi
from .ratio import Ratio
from .score import BONUS, PENALTY, SCORE
from .yesno import YesNo

__all__ = ["HOOKS", "TYPES", "CriterionType", "PluginError", "Outcome", "Shown", "Word", "get", "register",
           "answer_words", "input_words", "names", "rules"]

TYPES: dict[str, CriterionType] = {}


class PluginError(TypeError):
    """A criterion type that cannot be registered (missing hook, duplicate name…)."""


def register(kind: Any) -> Any:
    """Add one criterion type to the registry (after checking its hooks)."""
    name = getattr(kind, "name", None)
    if not isinstance(name, str) or not name:
        raise PluginError(f"{kind!r} has no name")
    if name in TYPES:
        raise PluginError(f"criterion type {name!r} is registered twice")
    if getattr(kind, "role", None) not in ROLES:
        raise PluginError(f"criterion type {name!r}: role must be one of {', '.join(ROLES)}")
    if not isinstance(getattr(kind, "keys", None), tuple):
        raise PluginError(f"criterion type {name!r}: keys must be a tuple of key names")
    if getattr(kind, "sign", None) not in SIGNS:
        raise PluginError(f"criterion type {name!r}: sign must be one of {SIGNS!r}")
    if not isinstance(getattr(kind, "takes_inputs", None), bool):
        raise PluginError(f"criterion type {name!r}: takes_inputs must be true or false")
    missing = [hook for hook in HOOKS if not callable(getattr(kind, hook, None))]
    if missing:
        raise PluginError(f"criterion type {name!r} lacks the hook(s) {', '.join(missing)}")
    TYPES[name] = kind
    return kind


# The order here is the order the format's documentation and messages list them in.
for _kind in (YesNo(), Choice(), SCORE, Ratio(), Count(), Info(), BONUS, PENALTY, Multi()):
    register(_kind)


def get(name: str) -> CriterionType:
    """The registered type ``name`` (KeyError when there is none)."""
    return TYPES[name]


def names(role: str | None = None) -> tuple[str, ...]:
    """Type names in registry order, optionally only those of one role."""
    return tuple(n for n, k in TYPES.items() if role is None or k.role == role)


def _field(answer: Any, key: str) -> Any:
    if answer is None:
        return None
    if isinstance(answer, Mapping):
        return answer.get(key)
    return getattr(answer, key, None)


def _computed(line: Any) -> Any:
    return _field(line, "value") if line is not None else None


def answer_words(criterion: Any, answer: Any, line: Any = None) -> tuple[Word, ...]:
    """The value of a stored answer in words (an answer object or its dict form; ``line``
    its score-card line, object or dict, for the computed percent or sum): "Not
    applicable", "Yes", an option's label, the chosen options, a number, 88,95%.
    Empty when there is nothing to say. The inputs and the note are not included
    (:func:`input_words`)."""
    if answer is None:
        return ()
    if _field(answer, "na"):
        return (N_("Not applicable"),)
    kind = TYPES[criterion.type]
    value = _field(answer, "value")
    computed = _computed(line)
    if value is None and computed is None:
        return ()
    return kind.words(criterion, value, computed)


def input_words(criterion: Any, inputs: Any) -> tuple[tuple[str, Word], ...]:
    """(label, value) of each given input, in the checklist's order of inputs."""
    if not inputs or not criterion.inputs or not isinstance(inputs, Mapping):
        return ()
    out = []
    for spec in criterion.inputs:
        value = inputs.get(spec.id)
        if value is None or value == "":
            continue
        if spec.kind == "number":
            out.append((spec.label, Shown(value)))
        elif spec.kind == "date":
            out.append((spec.label, Shown(value, "date")))
        else:
            out.append((spec.label, str(value)))
    return tuple(out)


NO_ANSWER: Message = N_("(no answer)")


def rules(criterion: Any) -> tuple[tuple[Word, ...], ...]:
    """How the criterion's points are given, one line of words each (its type's rules)."""
    return TYPES[criterion.type].rules(criterion)
