"""The scoring engine (DESIGN.md §4, normative).

:func:`validate_answers` checks answers against a checklist and names the
criterion in every problem; :func:`score` turns valid answers into a
:class:`ScoreCard`. Points are computed exactly (fractions), rounded half-up to
two decimals per criterion, and every figure above a criterion is a sum of
those rounded points. Band comparisons use the exact, unrounded value.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from . import criteria
from .checklist import Checklist, Criterion
from .criteria.answers import has_required_inputs, input_problems, number_problem  # noqa: F401
from .criteria.ratio import ratio_percent  # noqa: F401
from .messages import N_, Message
from .numbers import is_number, json_number, round_half_up, shown, to_decimal
from .text import nfc_all

STATUSES = ("pass", "partial", "fail", "na", "unanswered", "info", "adjustment")
#: The status of a line of a survey section (``survey: true``): its points are imported per
#: unit from the sociological survey, never self-scored; counted once imported (before,
#: like ``na``: neither points nor maximum). ``counts`` has it only for checklists with
#: a survey section, so every other card stays as DESIGN §4 prints it.
SURVEY = "survey"
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
OPTIONAL_TYPES = criteria.names("info") + criteria.names("adjustment")


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
                 and line.status != SURVEY and (section is None or line.section == section)]
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


def adjusted_points(total: Decimal, bonus: Decimal, penalty: Decimal) -> Decimal:
    """The points a percent is computed from: criteria points plus bonus minus penalty
    (DESIGN §4). The one place that adds them up: the score card's percent, and the
    "Score" every table shows beside it (the export's summary, the dashboards)."""
    return total + bonus - penalty


def card_points(card: Mapping[str, Any] | None) -> int | float | None:
    """:func:`adjusted_points` of a stored score card (a §4 dict: ``total``, ``bonus``,
    ``penalty``), exactly from the figures' decimal spelling; None without a total."""
    if not card or not is_number(card.get("total")):
        return None
    return json_number(adjusted_points(
        to_decimal(card["total"]),
        to_decimal(card["bonus"]) if is_number(card.get("bonus")) else Decimal(0),
        to_decimal(card["penalty"]) if is_number(card.get("penalty")) else Decimal(0)))


# --------------------------------------------------------------------------- validation


def _is_given(value: Any) -> bool:
    return value is not None


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
    kind = criteria.get(criterion.type)
    if answer.get("value") is not None:
        problems.extend(kind.value_problems(criterion, answer.get("value")))
    inputs = answer.get("inputs")
    if inputs and not kind.takes_inputs:
        problems.append(N_("a %(type)s criterion takes no inputs", type=criterion.type))
    else:
        problems.extend(input_problems(criterion, inputs))
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
    return nfc_all(answers)  # as every answer that comes in: an NFD option is that option


# --------------------------------------------------------------------------- scoring


def is_answered(criterion: Criterion, answer: Mapping[str, Any] | None) -> bool:
    """True when the answer gives what the criterion needs (or says N/A)."""
    if not answer:
        return False
    if answer.get("na"):
        return True
    return criteria.get(criterion.type).is_answered(criterion, answer)


def score_line(criterion: Criterion, answer: Mapping[str, Any] | None) -> Line:
    """Score one criterion (the answer must already be valid): the type gives the exact
    points, here they are rounded and given a status."""
    kind = criteria.get(criterion.type)
    cmax = criterion.points
    base = dict(id=criterion.id, section=criterion.section, type=criterion.type)
    if kind.role == "info":
        value = (answer or {}).get("value")
        return Line(**base, status="info", points=None, max=None, value=value)
    if criterion.survey:  # imported from the survey: status survey, counted once there
        value = (answer or {}).get("value")
        if value is None:
            return Line(**base, status=SURVEY, points=None, max=cmax)
        return Line(**base, status=SURVEY, points=round_half_up(kind.score(criterion, answer).exact),
                    max=cmax, value=value)
    if answer and answer.get("na"):
        return Line(**base, status="na", points=None, max=cmax)
    if not is_answered(criterion, answer):
        points = None if kind.role == "adjustment" else Decimal(0)
        return Line(**base, status="unanswered", points=points, max=cmax)
    assert answer is not None
    outcome = kind.score(criterion, answer)
    if outcome.exact is None:
        return Line(**base, status=outcome.status or "na", points=None, max=cmax,
                    value=outcome.value)
    points = round_half_up(outcome.exact)
    if kind.role == "adjustment":
        return Line(**base, status="adjustment", points=points, max=cmax, value=outcome.value)
    status = "pass" if points == cmax else ("fail" if points == 0 else "partial")
    return Line(**base, status=status, points=points, max=cmax, value=outcome.value,
                check=outcome.check)


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
    if checklist.survey_sections:
        counts[SURVEY] = 0
    for line in lines:
        counts[line.status] += 1

    def scored(line: Line) -> bool:
        return criteria.get(line.type).role == "scored"

    def counted(line: Line) -> bool:  # in the maximum: not N/A, not a survey still to come
        return line.status != "na" and not (line.status == SURVEY and line.points is None)

    total = sum((line.points for line in lines if scored(line) and line.points is not None),
                Decimal(0))
    maximum = sum((line.max for line in lines if scored(line) and counted(line)), Decimal(0))
    bonus = sum((line.points for line in lines if line.type == "bonus" and line.points), Decimal(0))
    penalty = sum((line.points for line in lines if line.type == "penalty" and line.points),
                  Decimal(0))  # the two adjustment types: DESIGN §4 names them
    percent = _percent(adjusted_points(total, bonus, penalty), maximum)

    sections = []
    for section in checklist.sections:
        own = [line for line in lines if line.section == section.id and scored(line)]
        spoints = sum((line.points for line in own if line.points is not None), Decimal(0))
        smax = sum((line.max for line in own if counted(line)), Decimal(0))
        sections.append(SectionScore(section.id, section.title, spoints, smax,
                                     _percent(spoints, smax)))
    return ScoreCard(
        checklist=checklist.id, version=checklist.version, total=total, bonus=bonus,
        penalty=penalty, max=maximum, percent=percent, band=checklist.band_for(percent),
        counts=counts, sections=sections, criteria=lines,
    )
