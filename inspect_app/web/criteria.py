"""The form side of each criterion type: one builder per type (the domain side is
``inspect_app/domain/criteria/``).

A builder returns the WTForms field(s) of a criterion's answer as :class:`Part` s (the
widget kind and its hints tell the one macro of ``fill/_widgets.html`` how to draw it),
turns a stored answer into field values, and field values back into answer content.
The registry refuses a type without a builder at import, as the domain's does.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import Field, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from ..domain import criteria as domain_criteria
from ..domain.checklist import Criterion, option_text
from ..domain.models import Answer
from ..domain.numbers import is_number
from .i18n import formatting

MAX_STEP_BUTTONS = 21  # more score steps than this become a number box
#: The box "none of them applies" of a multi criterion (an answer of []).
NONE_OF_THEM = "__none__"


def box_length() -> Length:
    """One-line boxes take up to 500 characters, with a message in the user's language."""
    return Length(max=500, message=_l("At most %(max)s characters fit in this box", max=500))


@dataclass(frozen=True)
class Part:
    """One form field of a criterion: its name suffix, the field, and how to render it.

    ``widget`` is radio | checkboxes | number | text | date | textarea | checkbox | hidden;
    ``hints`` are what the macro needs beyond it: ``shown`` ("number" writes a choice's
    value as a number instead of its label), ``worded`` (the choices' labels are the
    checklist's words, marked with its language), ``inputmode``, ``number`` (decimal |
    whole) and ``label`` (of an input box).
    """

    name: str
    field: Callable[[], Field]
    widget: str
    hints: dict[str, Any] = field(default_factory=dict)


class FieldProblem(ValueError):
    """A form value that cannot be read (e.g. letters in a number box)."""


class Reader:
    """What a builder's ``read`` gets: number parsing in the user's language (given by
    ``web/fill_forms.py``, which owns the one number reader of the forms)."""

    def __init__(self, number: Callable[[str, bool], Any], machine: Callable[[str], Any]):
        self.number, self.machine = number, machine


def plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def step_values(c: Criterion) -> list[Decimal] | None:
    """The allowed values of a score-like criterion, when few enough for buttons."""
    if c.step is None or c.points is None:
        return None
    count = int(c.points / c.step) + 1
    if count > MAX_STEP_BUTTONS:
        return None
    return [c.step * i for i in range(count)]


def _text(value: Any) -> str:
    return (value or "").strip() if isinstance(value, str) else value


class YesNoBuilder:
    def parts(self, c):
        return [Part("value", lambda: RadioField(choices=[SelectChoice("true", _l("Yes")),
                                                          SelectChoice("false", _l("No"))],
                                                 validators=[Optional()], validate_choice=False),
                     "radio")]

    def values(self, c, answer, locale):
        return {} if answer.value is None else {"value": "true" if answer.value else "false"}

    def read(self, c, data, reader, problems):
        raw = _text(data.get("value"))
        return {} if raw in (None, "") else {"value": raw == "true"}


class ChoiceBuilder:
    def parts(self, c):
        choices = [SelectChoice(option_text(o.value), o.label) for o in c.options]
        return [Part("value", lambda: RadioField(choices=choices, validators=[Optional()],
                                                 validate_choice=False), "radio",
                     {"worded": True})]  # its labels are the checklist's words

    def values(self, c, answer, locale):
        return {} if answer.value is None else {"value": option_text(answer.value)}

    def read(self, c, data, reader, problems):
        raw = _text(data.get("value"))
        if raw in (None, ""):
            return {}
        option = c.option(raw)
        return {"value": option.value if option else raw}


class MultiBuilder:
    """Checkboxes, one per option, and "none of them" (an answer of ``[]``); nothing
    ticked is no answer."""

    def parts(self, c):
        choices = [SelectChoice(option_text(o.value), o.label) for o in c.options]
        choices.append(SelectChoice(NONE_OF_THEM, _l("None of them")))
        return [Part("value", lambda: SelectMultipleField(choices=choices, validate_choice=False,
                                                          validators=[Optional()]),
                     "checkboxes", {"none": NONE_OF_THEM})]

    def values(self, c, answer, locale):
        if answer.value is None:
            return {}
        values = [option_text(v) for v in answer.value] if isinstance(answer.value, list) else []
        return {"value": values or [NONE_OF_THEM]}

    def read(self, c, data, reader, problems):
        raw = data.get("value")
        if not raw:
            return {}
        raw = [raw] if isinstance(raw, str) else list(raw)
        chosen = [v for v in raw if v != NONE_OF_THEM]
        if chosen and NONE_OF_THEM in raw:
            problems.append(str(_l("Tick the options that apply, or “None of them”, not both")))
            return {}
        out = []
        for value in chosen:
            option = c.option(value)
            out.append(option.value if option else value)
        return {"value": out}


class SteppedBuilder:
    """score, bonus, penalty: a button per step when few enough, else a number box."""

    def parts(self, c):
        steps = step_values(c)
        if steps is not None:
            choices = [SelectChoice(plain(v)) for v in steps]
            return [Part("value", lambda: RadioField(choices=choices, validators=[Optional()],
                                                     validate_choice=False),
                         "radio", {"shown": "number"})]
        return [Part("value", lambda: StringField(validators=[Optional(), box_length()]),
                     "number", {"inputmode": "decimal", "number": "decimal"})]

    def values(self, c, answer, locale):
        if answer.value is None:
            return {}
        if not is_number(answer.value):
            return {"value": str(answer.value)}
        if step_values(c) is None:  # a number box
            return {"value": formatting.typed(answer.value, locale)}
        return {"value": plain(Decimal(str(answer.value)))}

    def read(self, c, data, reader, problems):
        raw = _text(data.get("value"))
        if raw in (None, ""):
            return {}
        try:
            if step_values(c) is not None:  # a radio button: a machine value
                return {"value": reader.machine(raw)}
            return {"value": reader.number(raw, True)}
        except FieldProblem as problem:
            problems.append(str(problem))
            return {}


class InputsBuilder:
    """ratio, count, info: a box per input (a text area for an info's actions); an info
    without inputs has one text box for its value."""

    def parts(self, c):
        parts = []
        for spec in c.inputs:
            if c.actions and spec.id == c.actions.action:
                # one remediation action per line (checklist ``actions``): needs several lines
                parts.append(Part(f"in_{spec.id}", lambda spec=spec: TextAreaField(
                    spec.label, validators=[Optional(), Length(
                        max=4000, message=_l("At most %(max)s characters fit in this box",
                                             max=4000))]), "textarea"))
                continue
            hints: dict[str, Any] = {"label": spec.label}
            if spec.kind == "number":
                hints.update(inputmode="decimal" if c.decimal else "numeric",
                             number="decimal" if c.decimal else "whole")
            parts.append(Part(f"in_{spec.id}", lambda spec=spec: StringField(
                spec.label, validators=[Optional(), box_length()]), spec.kind, hints))
        if domain_criteria.get(c.type).role == "info" and not c.inputs:
            parts.append(Part("value", lambda: StringField(validators=[Optional(),
                                                                       box_length()]), "text"))
        return parts

    def values(self, c, answer, locale):
        values = {} if answer.value is None else {"value": str(answer.value)}
        for key, value in (answer.inputs or {}).items():
            values[f"in_{key}"] = (formatting.typed(value, locale) if is_number(value)
                                   else str(value))
        return values

    def read(self, c, data, reader, problems):
        content: dict[str, Any] = {}
        raw = _text(data.get("value"))
        if raw not in (None, ""):
            content["value"] = raw
        inputs: dict[str, Any] = {}
        for spec in c.inputs:
            raw = data.get(f"in_{spec.id}")
            if raw is None or str(raw).strip() == "":
                continue
            if spec.kind == "number":
                try:
                    inputs[spec.id] = reader.number(str(raw), c.decimal)
                except FieldProblem as problem:
                    problems.append(str(_l("%(label)s: %(problem)s", label=spec.label,
                                           problem=str(problem))))
            else:
                inputs[spec.id] = str(raw).strip()
        if inputs:
            content["inputs"] = inputs
        return content


BUILDERS: dict[str, Any] = {
    "yesno": YesNoBuilder(), "choice": ChoiceBuilder(), "multi": MultiBuilder(),
    "score": SteppedBuilder(), "bonus": SteppedBuilder(), "penalty": SteppedBuilder(),
    "ratio": InputsBuilder(), "count": InputsBuilder(), "info": InputsBuilder(),
}

_missing = set(domain_criteria.TYPES) ^ set(BUILDERS)
if _missing:  # every domain type has exactly one builder
    raise TypeError(f"criterion types without a form builder (or builders without a type): "
                    f"{', '.join(sorted(_missing))}")
for _name, _builder in BUILDERS.items():
    for _hook in ("parts", "values", "read"):
        if not callable(getattr(_builder, _hook, None)):
            raise TypeError(f"the form builder of {_name!r} lacks {_hook}")


def builder(c: Criterion):
    """The form builder of a criterion's type."""
    return BUILDERS[c.type]


def answer_values(c: Criterion, answer: Answer, locale: str) -> dict[str, Any]:
    """The answer fields' values of a stored answer."""
    return builder(c).values(c, answer, locale)
