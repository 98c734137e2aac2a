"""Section forms built from a checklist through a registry of criterion types.

One builder per criterion type maps a criterion to WTForms fields (the answer
part); the common parts (N/A, note, explanation, revision bookkeeping) are added
for every criterion. The form class of a section is made once per checklist
content hash with ``type()`` and cached. Adding a criterion type means adding a
builder here and a scorer in the domain, nothing else: the template renders any
field through one macro by its ``widget`` kind.

Field names are ``c<n>_<part>`` where ``n`` is the criterion's position in the
checklist (criterion ids such as "1.10" are not safe field names).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from flask_babel import lazy_gettext as _l
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from ..domain.checklist import Checklist, Criterion
from ..domain.models import Answer
from .i18n import formatting
from ..domain.messages import Message, N_
from ..domain.numbers import NumberUnclear, is_number, json_number, read_number, within_limits
from ..domain.scoring import number_problem
from .i18n import current_locale, translate

MAX_STEP_BUTTONS = 21  # more score steps than this become a number box


def _box_length() -> Length:
    """One-line boxes take up to 500 characters, with a message in the user's language."""
    return Length(max=500, message=_l("At most %(max)s characters fit in this box", max=500))


@dataclass(frozen=True)
class Part:
    """One form field of a criterion: its name suffix, the field, and how to render it."""

    name: str
    field: Callable[[], Field]
    widget: str  # radio | number | text | date | textarea | checkbox | hidden


BUILDERS: dict[str, Callable[[Criterion], list[Part]]] = {}


def builder(*types: str):
    """Register the answer fields of one or more criterion types."""
    def register(func: Callable[[Criterion], list[Part]]):
        for kind in types:
            BUILDERS[kind] = func
        return func
    return register


def _fmt(number: Decimal) -> str:
    return format(number.normalize(), "f")


@builder("yesno")
def _yesno(c: Criterion) -> list[Part]:
    return [Part("value", lambda: RadioField(choices=[SelectChoice("true", _l("Yes")),
                                                      SelectChoice("false", _l("No"))],
                                             validators=[Optional()], validate_choice=False),
                 "radio")]


@builder("choice")
def _choice(c: Criterion) -> list[Part]:
    choices = [SelectChoice(str(o.value), o.label) for o in c.options]
    return [Part("value", lambda: RadioField(choices=choices, validators=[Optional()],
                                             validate_choice=False), "radio")]


def step_values(c: Criterion) -> list[Decimal] | None:
    """The allowed values of a score-like criterion, when few enough for buttons."""
    if c.step is None or c.points is None:
        return None
    count = int(c.points / c.step) + 1
    if count > MAX_STEP_BUTTONS:
        return None
    return [c.step * i for i in range(count)]


@builder("score", "bonus", "penalty")
def _score(c: Criterion) -> list[Part]:
    steps = step_values(c)
    if steps is not None:
        choices = [SelectChoice(_fmt(v)) for v in steps]
        return [Part("value", lambda: RadioField(choices=choices, validators=[Optional()],
                                                 validate_choice=False), "radio")]
    return [Part("value", lambda: StringField(validators=[Optional(), _box_length()]), "number")]


@builder("ratio", "count", "info")
def _inputs(c: Criterion) -> list[Part]:
    parts = []
    for spec in c.inputs:
        widget = {"number": "number", "text": "text", "date": "date"}[spec.kind]
        if c.actions and spec.id == c.actions.action:
            # one remediation action per line (checklist ``actions``): needs several lines
            parts.append(Part(f"in_{spec.id}", lambda spec=spec: TextAreaField(
                spec.label, validators=[Optional(), Length(max=4000)]), "textarea"))
            continue
        parts.append(Part(f"in_{spec.id}",
                          lambda spec=spec: StringField(spec.label, validators=[Optional(),
                                                                                _box_length()]),
                          widget))
    if c.type == "info" and not c.inputs:
        parts.append(Part("value", lambda: StringField(validators=[Optional(), _box_length()]),
                          "text"))
    return parts


def criterion_parts(c: Criterion, kind: str) -> list[Part]:
    """Every field of one criterion: the answer, then N/A, note and bookkeeping."""
    parts = list(BUILDERS[c.type](c))
    if c.na_allowed:
        parts.append(Part("na", lambda: BooleanField(_l("Not applicable")), "checkbox"))
    parts.append(Part("note", lambda: TextAreaField(_l("Note"), validators=[Optional(),
                                                                            Length(max=4000)]),
                      "textarea"))
    if kind == "self_check" and c.evidence_required:
        parts.append(Part("explanation", lambda: TextAreaField(
            _l("Explanation if there is no evidence"), validators=[Optional(), Length(max=4000)]),
            "textarea"))
    for hidden in ("base_rev", "op_id", "orig"):
        parts.append(Part(hidden, lambda: HiddenField(), "hidden"))
    return parts


@dataclass(frozen=True)
class CriterionForm:
    """How one criterion sits in a section form."""

    criterion: Criterion
    key: str  # field-name prefix, e.g. "c12"
    parts: tuple[Part, ...]
    config_json: Markup  # client_config(), HTML-safe JSON for a data attribute


@dataclass(frozen=True)
class SectionFormSpec:
    """The form class of one section and the layout of its criteria."""

    form_class: type
    criteria: tuple[CriterionForm, ...]


_SPECS: dict[tuple[str, str, str], SectionFormSpec] = {}


def section_spec(checklist: Checklist, section_id: str, kind: str) -> SectionFormSpec:
    """The form spec of a section, built once per checklist content hash, section and kind."""
    key = (checklist.hash, section_id, kind)
    spec = _SPECS.get(key)
    if spec is None:
        if len(_SPECS) > 256:
            _SPECS.clear()
        spec = _SPECS[key] = _build_spec(checklist, section_id, kind)
    return spec


def _build_spec(checklist: Checklist, section_id: str, kind: str) -> SectionFormSpec:
    positions = {c.id: n for n, c in enumerate(checklist.criteria)}
    attrs: dict[str, Any] = {}
    layout = []
    for c in checklist.section(section_id).criteria:
        key = f"c{positions[c.id]}"
        parts = tuple(criterion_parts(c, kind))
        for part in parts:
            attrs[f"{key}_{part.name}"] = part.field()
        layout.append(CriterionForm(c, key, parts, htmlsafe_json_dumps(client_config(c))))
    form_class = type(f"Section_{section_id}", (FlaskForm,), attrs)
    return SectionFormSpec(form_class, tuple(layout))


# ---------------------------------------------------------------- answer ↔ form data

def form_values(c: Criterion, answer: Answer | None, locale: str | None = None) -> dict[str, Any]:
    """The field values that show a stored answer (keys are part names); numbers in
    boxes are written the user's way (3.200 in vi), radio values stay machine values."""
    locale = locale or current_locale()
    values: dict[str, Any] = {"base_rev": str(answer.rev if answer else 0)}
    if answer is None:
        return values
    if answer.value is not None:
        if c.type == "yesno":
            values["value"] = "true" if answer.value else "false"
        elif c.type in ("score", "bonus", "penalty") and is_number(answer.value):
            if step_values(c) is None:  # a number box
                values["value"] = formatting.typed(answer.value, locale)
            else:
                values["value"] = _fmt(Decimal(str(answer.value)))
        else:
            values["value"] = str(answer.value)
    for key, value in (answer.inputs or {}).items():
        values[f"in_{key}"] = (formatting.typed(value, locale) if is_number(value)
                               else str(value))
    values["na"] = bool(answer.na)
    values["note"] = answer.note
    values["explanation"] = answer.explanation
    return values


def content_digest(content: dict[str, Any]) -> str:
    """A short digest of answer content, to tell whether a no-JS form changed it."""
    data = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


class FieldProblem(ValueError):
    """A form value that cannot be read (e.g. letters in a number box)."""


def unclear_message(error: NumberUnclear, locale: str) -> Message:
    """What to tell the person whose typed number could not be read (both readings)."""
    example = formatting.typed(Decimal("1234.5"), locale)
    text = error.text
    if error.kind == "two_readings":
        return N_("“%(text)s” can be read two ways, %(first)s or %(second)s: type it again "
                  "the way this page writes numbers (%(example)s)", text=text,
                  first=error.readings[0], second=error.readings[1], example=example)
    if error.kind == "other_way":
        return N_("“%(text)s” is not written the way this page writes numbers (%(example)s): "
                  "did you mean %(reading)s?", text=text, reading=error.readings[0],
                  example=example)
    if error.kind == "not_whole":
        return N_("“%(text)s” is not a whole number: this box takes whole numbers", text=text)
    return N_("“%(text)s” is not a number", text=text)


def parse_number(text: str, decimal: bool, locale: str | None = None) -> int | float:
    """Read a number typed by the rules of the user's language (domain ``read_number``
    with Babel's marks): in vi 3.200 = 3200, 3,5 = 3.5; in en the reverse.

    Raises :class:`FieldProblem` with a translated message that says what was unclear,
    or that the number is out of the accepted range.
    """
    locale = locale or current_locale()
    marks = formatting.number_symbols(locale)
    if not str(text).strip():
        raise FieldProblem("empty")
    try:
        number = read_number(text, marks["decimal"], marks["group"], whole=not decimal)
    except NumberUnclear as error:
        raise FieldProblem(translate(unclear_message(error, locale), locale)) from None
    if number < 0:
        return json_number(number)  # refused by the answer rules, with the input's name
    if not within_limits(number):
        problem = number_problem(number, N_("the number"))
        raise FieldProblem(translate(problem, locale))
    return json_number(number)


def _machine_number(text: str) -> int | float:
    """The value of a radio button (written by us, "0.25"); anything else is refused."""
    try:
        number = Decimal(text)
    except ArithmeticError:
        number = None
    if number is None or not within_limits(number):
        raise FieldProblem(str(_l("“%(text)s” is not a number", text=text)))
    return json_number(number)


def parse_content(c: Criterion, data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The answer content (DESIGN §4 form) of a criterion's submitted fields, and problems."""
    content: dict[str, Any] = {}
    problems: list[str] = []
    raw_value = (data.get("value") or "").strip() if isinstance(data.get("value"), str) else data.get("value")
    if raw_value not in (None, ""):
        if c.type == "yesno":
            content["value"] = raw_value == "true"
        elif c.type == "choice":
            option = c.option(raw_value)
            content["value"] = option.value if option else raw_value
        elif c.type in ("score", "bonus", "penalty"):
            try:
                if step_values(c) is not None:  # a radio button: a machine value
                    content["value"] = _machine_number(raw_value)
                else:
                    content["value"] = parse_number(raw_value, True)
            except FieldProblem as problem:
                problems.append(str(problem))
        else:
            content["value"] = raw_value
    inputs: dict[str, Any] = {}
    for spec in c.inputs:
        raw = data.get(f"in_{spec.id}")
        if raw is None or str(raw).strip() == "":
            continue
        if spec.kind == "number":
            try:
                inputs[spec.id] = parse_number(str(raw), c.decimal)
            except FieldProblem as problem:
                problems.append(str(_l("%(label)s: %(problem)s", label=spec.label,
                                       problem=str(problem))))
        else:
            inputs[spec.id] = str(raw).strip()
    if inputs:
        content["inputs"] = inputs
    if data.get("na"):
        content["na"] = True
    for key in ("note", "explanation"):
        text = (data.get(key) or "").strip()
        if text:
            content[key] = text
    return content, problems


def client_config(c: Criterion) -> dict[str, Any]:
    """What fill.js needs to show the ratio and points as the user types (the server's
    answer stays authoritative)."""
    def num(value):
        return None if value is None else float(value)

    return {
        "id": c.id, "type": c.type, "points": num(c.points), "na": c.na_allowed,
        "numerator": list(c.numerator), "denominator": list(c.denominator), "count": list(c.count),
        "bands": [{"min": num(b.min), "max": num(b.max), "points": num(b.points)} for b in c.bands],
        "proportional": c.proportional, "on_zero": c.on_zero, "decimal": c.decimal,
        "options": [{"value": str(o.value), "label": o.label, "points": num(o.points)}
                    for o in c.options],
        "inputs": [{"id": i.id, "label": i.label, "kind": i.kind} for i in c.inputs],
    }
