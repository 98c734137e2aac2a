"""The scoring engine (DESIGN.md §4, normative).

:func:`validate_answers` checks answers against a checklist and names the
criterion in every problem; :func:`score` turns valid answers into a
:class:`ScoreCard`. Points are computed exactly (fractions), rounded half-up to
two decimals per criterion, and every figure above a criterion is a sum of
those rounded points. Band comparisons use the exact, unrounded value.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Mapping

from .checklist import Checklist, Criterion, check_step
from .messages import Message, N_
from .numbers import (MAX_DECIMALS, MAX_DIGITS, MAX_NUMBER, decimals_of, digits_of, is_number,
                      json_number, round_half_up, shown, to_decimal, to_fraction, within_limits)

STATUSES = ("pass", "partial", "fail", "na", "unanswered", "info", "adjustment")
SHORTCOMING_STATUSES = ("partial", "fail")
ANSWER_FIELDS = ("value", "inputs", "na", "note")
# Bookkeeping that stored answers carry beside the answer itself; scoring ignores it.
METADATA_FIELDS = frozenset({
    "rev", "by", "at", "op_id", "base_rev", "photos", "explanation", "updated_at",
    "updated_by", "criterion", "line",
})


class AnswerError(ValueError):
    """Answers do not fit the checklist; ``problems`` lists ``criterion: reason`` lines."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass
class Line:
    """The score-card line of one criterion."""

    id: str
    section: str
    type: str
    status: str
    points: Decimal | None
    max: Decimal | None
    value: Any = None
    #: "over_100": a ratio above 100 % on a criterion that does not declare ``may_exceed``,
    #: worth a second look (the figures may be swapped or mistyped). None otherwise.
    check: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (numbers as JSON numbers); ``check`` only when there is one."""
        value = self.value
        if isinstance(value, (Decimal, Fraction)):
            value = json_number(value if isinstance(value, Decimal) else to_decimal(value))
        out = {"id": self.id, "section": self.section, "type": self.type, "status": self.status,
               "points": json_number(self.points), "max": json_number(self.max), "value": value}
        if self.check:
            out["check"] = self.check
        return out


@dataclass
class SectionScore:
    """Points of one section (bonus and penalty lines left out)."""

    id: str
    title: str
    points: Decimal
    max: Decimal
    percent: Decimal

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"id": self.id, "title": self.title, "points": json_number(self.points),
                "max": json_number(self.max), "percent": json_number(self.percent)}


#: Lines that never need an answer: info lines record facts, bonus and penalty are optional.
OPTIONAL_TYPES = ("info", "bonus", "penalty")


@dataclass(frozen=True)
class Progress:
    """How many of the criteria that need an answer have one (in a section or overall)."""

    answered: int
    total: int
    unanswered: tuple[Line, ...]

    @property
    def complete(self) -> bool:
        return self.answered == self.total


@dataclass
class ScoreCard:
    """The result of scoring one set of answers against one checklist."""

    checklist: str
    version: str
    total: Decimal
    bonus: Decimal
    penalty: Decimal
    max: Decimal
    percent: Decimal
    band: str | None
    counts: dict[str, int]
    sections: list[SectionScore]
    criteria: list[Line]
    _index: dict[str, Line] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._index = {line.id: line for line in self.criteria}

    def line(self, criterion_id: str) -> Line | None:
        """The line of one criterion, or None."""
        return self._index.get(criterion_id)

    def section(self, section_id: str) -> SectionScore | None:
        """The figures of one section, or None."""
        return next((s for s in self.sections if s.id == section_id), None)

    @property
    def shortcomings(self) -> list[Line]:
        """Lines that call for a remediation item (partial and fail)."""
        return [line for line in self.criteria if line.status in SHORTCOMING_STATUSES]

    def progress(self, section: str | None = None) -> Progress:
        """Answered / to answer, over the whole card or one section: the one count that the
        review, the section tabs, the bottom bar, the overview and the API show, so that
        "answered 57/57" and "unanswered (0)" always agree. Info, bonus and penalty lines
        are optional and counted in neither."""
        lines = [line for line in self.criteria if line.type not in OPTIONAL_TYPES
                 and (section is None or line.section == section)]
        unanswered = tuple(line for line in lines if line.status == "unanswered")
        return Progress(len(lines) - len(unanswered), len(lines), unanswered)

    @property
    def to_check(self) -> list[Line]:
        """Lines whose figures deserve a second look (a ratio above 100 %)."""
        return [line for line in self.criteria if line.check]

    @property
    def unanswered(self) -> list[Line]:
        """Lines that need an answer and have none (bonus/penalty/info lines are optional)."""
        return list(self.progress().unanswered)

    def as_dict(self) -> dict[str, Any]:
        """The score card exactly as DESIGN §4 prints it (JSON-ready)."""
        return {
            "checklist": self.checklist, "version": self.version,
            "total": json_number(self.total), "bonus": json_number(self.bonus),
            "penalty": json_number(self.penalty), "max": json_number(self.max),
            "percent": json_number(self.percent), "band": self.band,
            "counts": dict(self.counts),
            "sections": [s.as_dict() for s in self.sections],
            "criteria": [line.as_dict() for line in self.criteria],
        }


# --------------------------------------------------------------------------- validation


def _is_given(value: Any) -> bool:
    return value is not None


def _is_iso_date(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        _dt.date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _given(value: Any) -> Any:
    """A value as a message shows it: numbers as numbers (formatted the user's way when
    short), anything else as written (``'có'``, ``True``)."""
    if is_number(value) and within_limits(value):
        return to_decimal(value)
    return shown(value)


def number_problem(value: Any, name: str, *, whole: bool = False, low: Decimal | None = None,
                   high: Decimal | None = None) -> Message | None:
    """Why ``value`` is not an acceptable number for ``name`` (None when it is).

    Every number in an answer is finite, not negative, at most 10^12 with at most six
    decimals (and 15 significant digits); ``whole`` refuses decimals; ``low``/``high``
    are a checklist's narrower bounds.
    """
    if not is_number(value):
        if isinstance(value, float):  # NaN, infinity: JSON writers send these for overflow
            return N_("%(name)s must be a finite number, got %(value)s", name=name,
                      value=shown(value))
        return N_("%(name)s must be a number, got %(value)s", name=name, value=shown(value))
    number = to_decimal(value)
    if number < 0:
        return N_("%(name)s must not be negative, got %(value)s", name=name, value=_given(value))
    if number > MAX_NUMBER:
        return N_("%(name)s is too large: %(value)s (at most %(max)s)", name=name,
                  value=shown(value), max=MAX_NUMBER)
    if decimals_of(number) > MAX_DECIMALS or digits_of(number) > MAX_DIGITS:
        return N_("%(name)s has too many digits: %(value)s (at most %(places)s decimals and "
                  "%(digits)s digits in all)", name=name, value=shown(value),
                  places=MAX_DECIMALS, digits=MAX_DIGITS)
    if whole and number != number.to_integral_value():
        return N_("%(name)s must be a whole number, got %(value)s", name=name,
                  value=_given(value))
    if low is not None and number < low:
        return N_("%(name)s must be at least %(min)s, got %(value)s", name=name, min=low,
                  value=_given(value))
    if high is not None and number > high:
        return N_("%(name)s must be at most %(max)s, got %(value)s", name=name, max=high,
                  value=_given(value))
    return None


def _input_name(spec: Any) -> Message:
    return N_("input “%(label)s”", label=spec.label)


def _input_problems(criterion: Criterion, inputs: Any) -> list[Message]:
    if inputs is None:
        return []
    if not isinstance(inputs, Mapping):
        return [N_("inputs must be an object {input_id: number}")]
    problems = []
    for key, value in inputs.items():
        spec = criterion.input(str(key))
        if spec is None:
            known = ", ".join(i.id for i in criterion.inputs) or "none"
            problems.append(N_("unknown input %(key)s (inputs: %(known)s)", key=repr(key),
                               known=known))
            continue
        if value is None:
            continue
        if spec.kind == "text":
            if not isinstance(value, str):
                problems.append(N_("%(name)s must be text", name=_input_name(spec)))
            continue
        if spec.kind == "date":
            if not _is_iso_date(value):
                problems.append(N_("%(name)s must be a date YYYY-MM-DD, got %(value)s",
                                   name=_input_name(spec), value=repr(value)))
            continue
        problem = number_problem(value, _input_name(spec), whole=not criterion.decimal,
                                 low=spec.min, high=spec.max)
        if problem:
            problems.append(problem)
    if not problems and criterion.at_most_denominator and isinstance(inputs, Mapping):
        problems.extend(_beyond_denominator(criterion, inputs))
    return problems


def _beyond_denominator(criterion: Criterion, inputs: Mapping[str, Any]) -> list[Message]:
    """A numerator that by definition cannot exceed the denominator (``at_most_denominator``)."""
    if not all(inputs.get(i) is not None for i in criterion.required_inputs):
        return []
    numerator = _sum_inputs(inputs, criterion.numerator)
    denominator = _sum_inputs(inputs, criterion.denominator)
    if numerator <= denominator:
        return []
    labels = {spec.id: spec.label for spec in criterion.inputs}
    return [N_("“%(numerator)s” (%(num)s) cannot be more than “%(denominator)s” (%(den)s)",
               numerator=" + ".join(labels[i] for i in criterion.numerator),
               denominator=" + ".join(labels[i] for i in criterion.denominator),
               num=to_decimal(numerator.numerator) / to_decimal(numerator.denominator),
               den=to_decimal(denominator.numerator) / to_decimal(denominator.denominator))]


def _value_problems(criterion: Criterion, value: Any) -> list[Message]:
    ctype = criterion.type
    if value is None:
        return []
    if ctype == "yesno":
        if not isinstance(value, bool):
            return [N_("value must be true or false, got %(value)s", value=shown(value))]
    elif ctype == "choice":
        if isinstance(value, (list, dict)) or criterion.option(value) is None:
            known = ", ".join(repr(o.value) for o in criterion.options)
            return [N_("unknown option %(value)s (options: %(known)s)", value=shown(value),
                       known=known)]
    elif ctype in ("score", "bonus", "penalty"):
        if not is_number(value) or not within_limits(value):
            problem = number_problem(value, N_("value"))
            if problem is not None:
                return [problem]
        number = to_fraction(value)
        if number < 0 or number > to_fraction(criterion.points):
            return [N_("value %(value)s is out of range 0..%(max)s", value=_given(value),
                       max=criterion.points)]
        if not check_step(number, criterion.step):
            return [N_("value %(value)s is not a multiple of the step %(step)s",
                       value=_given(value), step=criterion.step)]
    elif ctype in ("ratio", "count"):
        return [N_("a %(type)s criterion is answered with inputs, not a value", type=ctype)]
    elif ctype == "info":
        if isinstance(value, (list, dict)):
            return [N_("value must be text, a number or true/false")]
        if isinstance(value, (int, float)) and not isinstance(value, bool) \
                and not within_limits(abs(to_decimal(value))):
            return [number_problem(abs(to_decimal(value)) if is_number(value) else value,
                                   N_("value"))]
    return []


def answer_problems(criterion: Criterion, answer: Any) -> list[Message]:
    """Why ``answer`` does not fit ``criterion`` (empty when it does)."""
    if answer is None:
        return []
    if not isinstance(answer, Mapping):
        return [N_("an answer must be an object with value, inputs, na or note")]
    problems = []
    for key in answer:
        if key not in ANSWER_FIELDS and key not in METADATA_FIELDS:
            problems.append(N_("unknown field %(key)s (fields: %(fields)s)", key=repr(key),
                               fields=", ".join(ANSWER_FIELDS)))
    na = answer.get("na")
    if na is not None and not isinstance(na, bool):
        problems.append(N_("na must be true or false, got %(value)s", value=shown(na)))
    elif na:
        if not criterion.na_allowed:
            problems.append(N_("not applicable (na) is not allowed for this criterion"))
        if _is_given(answer.get("value")) or answer.get("inputs"):
            problems.append(N_("an answer cannot be both not applicable and have a value or "
                               "inputs"))
    note = answer.get("note")
    if note is not None and not isinstance(note, str):
        problems.append(N_("note must be text"))
    problems.extend(_value_problems(criterion, answer.get("value")))
    inputs = answer.get("inputs")
    if inputs and criterion.type not in ("ratio", "count", "info"):
        problems.append(N_("a %(type)s criterion takes no inputs", type=criterion.type))
    else:
        problems.extend(_input_problems(criterion, inputs))
    return problems


def validate_answers(checklist: Checklist, answers: Any) -> None:
    """Raise :class:`AnswerError` naming every criterion whose answer is invalid."""
    if not isinstance(answers, Mapping):
        raise AnswerError(["answers must be an object {criterion_id: answer}"])
    problems: list[str] = []
    for criterion_id, answer in answers.items():
        criterion = checklist.criterion(str(criterion_id))
        if criterion is None:
            problems.append(N_("%(criterion)s: unknown criterion (not in checklist %(checklist)s "
                               "%(version)s)", criterion=str(criterion_id),
                               checklist=checklist.id, version=checklist.version))
            continue
        problems.extend(N_("%(criterion)s: %(problem)s", criterion=str(criterion_id), problem=p)
                        for p in answer_problems(criterion, answer))
    if problems:
        raise AnswerError(problems)


def answers_from_document(document: Any) -> Mapping[str, Any]:
    """The ``answers`` object of a ``{"answers": {...}}`` document (the score command's input)."""
    if not isinstance(document, Mapping) or "answers" not in document:
        raise AnswerError(['the answers file must be a JSON object {"answers": {criterion: answer}}'])
    answers = document["answers"]
    if not isinstance(answers, Mapping):
        raise AnswerError(['"answers" must be an object {criterion: answer}'])
    return answers


# --------------------------------------------------------------------------- scoring


def _sum_inputs(inputs: Mapping[str, Any], ids: tuple[str, ...]) -> Fraction:
    return sum((to_fraction(inputs[i]) for i in ids), Fraction(0))


def _band_points(criterion: Criterion, value: Fraction) -> Fraction:
    for band in criterion.bands:
        if band.matches(value):
            return Fraction(band.points)
    return Fraction(0)


def ratio_percent(criterion: Criterion, inputs: Mapping[str, Any]) -> Fraction | None:
    """100 × Σnumerator / Σdenominator, exactly; None when the denominator is 0."""
    denominator = _sum_inputs(inputs, criterion.denominator)
    if denominator == 0:
        return None
    return 100 * _sum_inputs(inputs, criterion.numerator) / denominator


def has_required_inputs(criterion: Criterion, answer: Mapping[str, Any] | None) -> bool:
    """True when every input that the criterion's formula uses is given."""
    inputs = (answer or {}).get("inputs") or {}
    return all(inputs.get(i) is not None for i in criterion.required_inputs)


def is_answered(criterion: Criterion, answer: Mapping[str, Any] | None) -> bool:
    """True when the answer gives what the criterion needs (or says N/A)."""
    if not answer:
        return False
    if answer.get("na"):
        return True
    if criterion.type in ("ratio", "count"):
        return has_required_inputs(criterion, answer)
    if criterion.type == "info":
        return answer.get("value") is not None or any(
            v is not None for v in (answer.get("inputs") or {}).values())
    return answer.get("value") is not None


def score_line(criterion: Criterion, answer: Mapping[str, Any] | None) -> Line:
    """Score one criterion (the answer must already be valid)."""
    cmax = criterion.points
    base = dict(id=criterion.id, section=criterion.section, type=criterion.type)
    if criterion.type == "info":
        value = (answer or {}).get("value")
        return Line(**base, status="info", points=None, max=None, value=value)
    if answer and answer.get("na"):
        return Line(**base, status="na", points=None, max=cmax)
    if not is_answered(criterion, answer):
        points = None if criterion.adjustment else Decimal(0)
        return Line(**base, status="unanswered", points=points, max=cmax)
    assert answer is not None
    value: Any = answer.get("value")
    check = None
    exact: Fraction | Decimal  # Decimal where no division happens: exact, and faster
    if criterion.type == "yesno":
        exact = cmax if value else Decimal(0)
    elif criterion.type == "choice":
        option = criterion.option(value)
        exact = option.points  # type: ignore[union-attr]
        value = option.value  # type: ignore[union-attr]
    elif criterion.type in ("score", "bonus", "penalty"):
        value = to_decimal(value)
        # never more than the criterion's points, whatever old data holds (answers are
        # checked against the range when stored; this keeps totals sane regardless)
        exact = min(max(value, Decimal(0)), cmax)
    elif criterion.type == "ratio":
        percent = ratio_percent(criterion, answer["inputs"])
        if percent is None:
            if criterion.on_zero == "na":
                return Line(**base, status="na", points=None, max=cmax)
            exact = Fraction(cmax) if criterion.on_zero == "full" else Fraction(0)
            value = None
        else:
            if criterion.proportional:
                exact = min(Fraction(cmax), Fraction(cmax) * percent / 100)
            else:
                exact = _band_points(criterion, percent)
            value = round_half_up(percent)
            if percent > 100 and not criterion.may_exceed:
                check = "over_100"
    else:  # count
        total = _sum_inputs(answer["inputs"], criterion.count)
        exact = _band_points(criterion, total)
        value = to_decimal(total.numerator) / to_decimal(total.denominator)
    points = round_half_up(exact)
    if criterion.adjustment:
        return Line(**base, status="adjustment", points=points, max=cmax, value=value)
    status = "pass" if points == cmax else ("fail" if points == 0 else "partial")
    return Line(**base, status=status, points=points, max=cmax, value=value, check=check)


def _percent(points: Decimal, maximum: Decimal) -> Decimal:
    if maximum == 0:
        return Decimal("0.00")
    percent = round_half_up(100 * Fraction(points) / Fraction(maximum))
    return min(max(percent, Decimal("0.00")), Decimal("100.00"))


def score(checklist: Checklist, answers: Mapping[str, Any] | None, *,
          validated: bool = False) -> ScoreCard:
    """Validate ``answers`` and compute the score card (DESIGN §4).

    Raises :class:`AnswerError` when an answer does not fit the checklist.
    ``validated=True`` skips the validation for answers checked when they were
    stored against this same frozen checklist.
    """
    answers = answers or {}
    if not validated:
        validate_answers(checklist, answers)
    lines = [score_line(c, answers.get(c.id)) for c in checklist.criteria]
    counts = {status: 0 for status in STATUSES}
    for line in lines:
        counts[line.status] += 1

    def scored(line: Line) -> bool:
        return line.type not in ("info", "bonus", "penalty")

    total = sum((line.points for line in lines if scored(line) and line.points is not None),
                Decimal(0))
    maximum = sum((line.max for line in lines if scored(line) and line.status != "na"),
                  Decimal(0))
    bonus = sum((line.points for line in lines if line.type == "bonus" and line.points), Decimal(0))
    penalty = sum((line.points for line in lines if line.type == "penalty" and line.points),
                  Decimal(0))
    percent = _percent(total + bonus - penalty, maximum)

    sections = []
    for section in checklist.sections:
        own = [line for line in lines if line.section == section.id and scored(line)]
        spoints = sum((line.points for line in own if line.points is not None), Decimal(0))
        smax = sum((line.max for line in own if line.status != "na"), Decimal(0))
        sections.append(SectionScore(section.id, section.title, spoints, smax,
                                     _percent(spoints, smax)))
    return ScoreCard(
        checklist=checklist.id, version=checklist.version, total=total, bonus=bonus,
        penalty=penalty, max=maximum, percent=percent, band=checklist.band_for(percent),
        counts=counts, sections=sections, criteria=lines,
    )
