"""``choice``: one of several options, each with its points."""
from __future__ import annotations

from ..messages import N_
from ..numbers import shown
from .base import Outcome, Shown, Word
from .fields import join, option_text, options_of

OPTION_SCHEMA = {
    "type": "object",
    "required": ["label", "points"],
    "additionalProperties": False,
    "properties": {
        "value": {
            "description": "What the answer stores; defaults to the label.",
            "type": ["string", "number", "boolean"],
        },
        "label": {"$ref": "#/$defs/requiredText"},
        "points": {"type": "number", "minimum": 0},
    },
}
OPTIONS_SCHEMA = {"type": "array", "minItems": 1, "items": OPTION_SCHEMA}


def options_description(criterion) -> list[dict]:
    """The options as the browser gets them (values as the form writes them)."""
    return [{"value": option_text(o.value), "label": o.label, "points": float(o.points)}
            for o in criterion.options]


def option_rules(criterion) -> tuple[tuple[Word, ...], ...]:
    """One line per option: its label → its points."""
    return tuple((o.label, " → ", Shown(o.points)) for o in criterion.options)


def unknown_option(criterion, value):
    known = ", ".join(shown(o.value) for o in criterion.options)  # as JSON writes them
    return N_("unknown option %(value)s (options: %(known)s)", value=shown(value), known=known)


class Choice:
    name = "choice"
    role = "scored"
    keys = ("options",)
    takes_inputs = False
    sign = ""

    def parse(self, p, raw, path, points):
        return {"options": options_of(p, raw.get("options"), join(path, "options"), points)}

    def value_problems(self, criterion, value):
        if isinstance(value, (list, dict)) or criterion.option(value) is None:
            return [unknown_option(criterion, value)]
        return []

    def is_answered(self, criterion, answer):
        return answer.get("value") is not None

    def score(self, criterion, answer):
        option = criterion.option(answer.get("value"))
        return Outcome(option.points, option.value)

    def canonical(self, criterion, value):
        option = criterion.option(value)
        return option.value if option else value

    def words(self, criterion, value, computed):
        option = criterion.option(value)
        return (option.label if option else str(value),)

    def rules(self, criterion):
        return option_rules(criterion)

    def describe(self, criterion):
        return {"value": "option", "options": options_description(criterion)}

    def schema(self):
        return {"properties": {"options": OPTIONS_SCHEMA}, "required": ["options"]}
