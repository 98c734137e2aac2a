"""Section forms built from a checklist through the registry of criterion types.

The answer fields of each criterion come from its type's builder (``web/criteria.py``);
the common parts (N/A, note, explanation, revision bookkeeping) are added here for every
criterion. The form class of a section is made once per checklist content hash with
``type()`` and cached. The template renders any field through one macro by its
``widget`` kind and hints, so a new criterion type needs a domain module
(``domain/criteria/``) and a builder, no template and no script of its own.

Field names are ``c<n>_<part>`` where ``n`` is the criterion's position in the
checklist (criterion ids such as "1.10" are not safe field names).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup
from wtforms import BooleanField, HiddenField, TextAreaField
from wtforms.validators import Optional

from ..domain import criteria as domain_criteria
from ..domain.checklist import Checklist, Criterion
from ..domain.messages import N_, Message
from ..domain.models import Answer, Inspection
from ..domain.numbers import NumberUnclear, json_number, read_number, within_limits
from ..domain.scoring import ScoreCard, number_problem
from .criteria import BUILDERS, MAX_STEP_BUTTONS, FieldProblem, Part, Reader, builder, step_values  # noqa: F401
from .forms import Form
from .i18n import current_locale, formatting, translate


def criterion_parts(c: Criterion, kind: str) -> list[Part]:
    """Every field of one criterion: the answer, then N/A, note and bookkeeping."""
    parts = list(builder(c).parts(c))
    if c.na_allowed:
        parts.append(Part("na", lambda: BooleanField(_l("Not applicable")), "checkbox"))
    # Notes and explanations have no length check here: the answer's own check refuses a
    # text beyond its limit with the field's name in the user's language (text.clean_text).
    parts.append(Part("note", lambda: TextAreaField(_l("Note"), validators=[Optional()]),
                      "textarea"))
    if kind in ("self_check", "assessment") and c.evidence_required:
        parts.append(Part("explanation", lambda: TextAreaField(
            _l("Explanation if there is no evidence"), validators=[Optional()]), "textarea"))
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
    preview: str | None = None  # what the card computes as one types: ratio | count | options


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
        config = client_config(c)
        layout.append(CriterionForm(c, key, parts, htmlsafe_json_dumps(config),
                                    config["preview"]))
    form_class = type(f"Section_{section_id}", (Form,), attrs)
    return SectionFormSpec(form_class, tuple(layout))


# ---------------------------------------------------------------- the page's fields

@dataclass(frozen=True)
class ChoiceView:
    """One choice of a radio or checkbox field, its label in the user's language."""

    value: str
    label: str | None


@dataclass(frozen=True)
class LabelView:
    """A field's label, in the user's language."""

    text: str


class FieldView:
    """What the field macro reads of a field, for a page that shows stored answers (the
    GET of a section): the same attributes as a WTForms field, its texts already in the
    user's language. A submitted section that comes back with problems keeps its WTForms
    form."""

    __slots__ = ("name", "id", "data", "choices", "label", "errors")

    def __init__(self, name: str, data: Any, choices: tuple, label: LabelView):
        self.name = self.id = name
        self.data, self.choices, self.label, self.errors = data, choices, label, ()


#: Per (checklist hash, section, kind, locale): each field's name → (default data, choices,
#: label), translated once. Bounded; cleared when full.
_FIELDS: dict[tuple[str, str, str, str], dict[str, tuple[Any, tuple, LabelView]]] = {}


def _static_fields(checklist: Checklist, section_id: str, kind: str, locale: str,
                   spec: SectionFormSpec) -> dict[str, tuple[Any, tuple, LabelView]]:
    key = (checklist.hash, section_id, kind, locale)
    fields = _FIELDS.get(key)
    if fields is None:
        if len(_FIELDS) > 256:
            _FIELDS.clear()
        form = spec.form_class(formdata=None, meta={"csrf": False})
        fields = {}
        for cf in spec.criteria:
            for part in cf.parts:
                f = form[f"{cf.key}_{part.name}"]
                choices = tuple(ChoiceView(str(c.value), None if c.label is None else str(c.label))
                                for c in (getattr(f, "choices", None) or ()))
                fields[f.name] = (f.data, choices, LabelView(str(f.label.text)))
        _FIELDS[key] = fields
    return fields


def display_fields(checklist: Checklist, section_id: str, kind: str, spec: SectionFormSpec,
                   values: dict[str, dict[str, Any]], locale: str) -> dict[str, FieldView]:
    """The fields of a section showing ``values`` (criterion key → part name → value), by
    field name, without building a form: what a GET of the section renders."""
    static = _static_fields(checklist, section_id, kind, locale, spec)
    out = {}
    for cf in spec.criteria:
        given = values.get(cf.key, {})
        for part in cf.parts:
            name = f"{cf.key}_{part.name}"
            default, choices, label = static[name]
            out[name] = FieldView(name, given.get(part.name, default), choices, label)
    return out


#: Where a stored-answers page's fresh op_id goes in a kept rendering of a criterion's
#: card: raw markup, which no escaped value can contain.
OP_ID_MARK = Markup("<!--op_id-->")

#: The card macro's output per everything it shows (see :func:`rendered_cards`).
#: Bounded; cleared when full.
_RENDERED: dict[tuple, str] = {}
_RENDERED_MAX = 1024  # about 4 KB each: 64 sections of 16 criteria


def _frozen(values: dict[str, Any]) -> tuple:
    return tuple((k, tuple(v) if isinstance(v, list) else v)
                 for k, v in sorted(values.items()) if k != "op_id")


def rendered_cards(inspection: Inspection, checklist: Checklist, section_id: str,
                   spec: SectionFormSpec, fields: dict[str, FieldView],
                   values: dict[str, dict[str, Any]], card: ScoreCard,
                   status_labels: Mapping[str, str], evidence: Mapping[str, Any],
                   locale: str, editable: bool, macro: Callable[..., Any],
                   url_root: str = "") -> dict[str, Markup]:
    """Per criterion key, the HTML of its card on a page of stored answers (no conflicts,
    no problems): drawn by ``macro`` (``fill/_card.html``) once per shown content — the
    record, the fields' values (from :func:`display_fields`), the score line, the photos,
    the evidence mark, language, editability and ``url_root`` (the links' prefix) — and
    kept, so that a page re-renders only the cards whose answer changed; each gets its
    own fresh op_id."""
    out = {}
    for cf in spec.criteria:
        cid = cf.criterion.id
        shown = values.get(cf.key, {})
        line = card.line(cid)
        answer = inspection.answers.get(cid)
        photos = tuple(answer.photos) if answer and answer.photos else ()
        key = (url_root, checklist.hash, section_id, inspection.kind, inspection.id, locale,
               editable, cf.key, _frozen(shown), line.status, repr(line.points), repr(line.value),
               line.check, cid in evidence, photos)
        html = _RENDERED.get(key)
        if html is None:
            name = f"{cf.key}_op_id"
            marked = dict(fields)
            marked[name] = FieldView(name, OP_ID_MARK, (), fields[name].label)
            html = str(macro(cf, line, status_labels[line.status], answer, evidence, {}, {},
                             marked, editable, inspection, checklist.section(section_id)))
            if len(_RENDERED) >= _RENDERED_MAX:
                _RENDERED.clear()
            _RENDERED[key] = html
        out[cf.key] = Markup(html.replace(OP_ID_MARK, shown.get("op_id", "")))
    return out


# ---------------------------------------------------------------- answer ↔ form data

def form_values(c: Criterion, answer: Answer | None, locale: str | None = None) -> dict[str, Any]:
    """The field values that show a stored answer (keys are part names); numbers in
    boxes are written the user's way (3.200 in vi), radio values stay machine values."""
    locale = locale or current_locale()
    values: dict[str, Any] = {"base_rev": str(answer.rev if answer else 0)}
    if answer is None:
        return values
    values.update(builder(c).values(c, answer, locale))
    values["na"] = bool(answer.na)
    values["note"] = answer.note
    values["explanation"] = answer.explanation
    return values


def content_digest(content: dict[str, Any]) -> str:
    """A short digest of answer content, to tell whether a no-JS form changed it."""
    data = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


def unclear_message(error: NumberUnclear, locale: str) -> Message:
    """What to tell the person whose typed number could not be read (both readings),
    the example and the readings written as the page writes numbers (``locale``)."""
    example = formatting.typed(Decimal("1234.5"), locale)
    text = error.text
    readings = [formatting.exact(r, locale) for r in error.readings]
    if error.kind == "two_readings":
        return N_("“%(text)s” can be read two ways, %(first)s or %(second)s: type it again "
                  "the way this page writes numbers (%(example)s)", text=text,
                  first=readings[0], second=readings[1], example=example)
    if error.kind == "other_way":
        return N_("“%(text)s” is not written the way this page writes numbers (%(example)s): "
                  "did you mean %(reading)s?", text=text, reading=readings[0],
                  example=example)
    if error.kind == "not_whole":
        return N_("“%(text)s” is not a whole number: this box takes whole numbers", text=text)
    return N_("“%(text)s” is not a number", text=text)


def parse_number(text: str, decimal: bool, locale: str | None = None) -> int | float:
    """Read a number typed by the rules of ``locale``, the language its page wrote numbers
    in (default: the request's; see :func:`~inspect_app.web.i18n.written_locale`) —
    domain ``read_number`` with Babel's marks: in vi 3.200 = 3200, 3,5 = 3.5; in en the
    reverse.

    Raises :class:`FieldProblem` with a message in the user's language that says what was
    unclear, or that the number is out of the accepted range.
    """
    locale = locale or current_locale()
    marks = formatting.number_symbols(locale)
    if not str(text).strip():
        raise FieldProblem("empty")
    try:
        number = read_number(text, marks["decimal"], marks["group"], whole=not decimal)
    except NumberUnclear as error:
        raise FieldProblem(translate(unclear_message(error, locale))) from None
    if number < 0:
        return json_number(number)  # refused by the answer rules, with the input's name
    if not within_limits(number):
        problem = number_problem(number, N_("the number"))
        raise FieldProblem(translate(problem))
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


def _reader(locale: str | None) -> Reader:
    return Reader(lambda text, decimal: parse_number(text, decimal, locale), _machine_number)


def parse_content(c: Criterion, data: dict[str, Any],
                  locale: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """The answer content (DESIGN §4 form) of a criterion's submitted fields, and problems;
    numbers read the way ``locale`` writes them (the page's: ``written_locale``)."""
    problems: list[str] = []
    content = builder(c).read(c, data, _reader(locale), problems)
    if data.get("na"):  # not applicable: what else was ticked or typed does not count
        content, problems = {"na": True}, []
    for key in ("note", "explanation"):
        text = (data.get(key) or "").strip()
        if text:
            content[key] = text
    return content, problems


def client_config(c: Criterion) -> dict[str, Any]:
    """What fill.js needs to read a card and preview its points as the user types (the
    server's answer stays authoritative): the common facts, then the type's own
    description (``describe`` of its domain module: how its value is read, its options,
    inputs and bands, which preview applies)."""
    config = {"id": c.id, "type": c.type, "points": None if c.points is None else float(c.points),
              "na": c.na_allowed, "value": None, "inputs": [], "options": [], "preview": None}
    config.update(domain_criteria.get(c.type).describe(c))
    return config
