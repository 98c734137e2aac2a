"""PAR-index assessments (DESIGN §10): stages, appraisal rounds and explanations.

An assessment is an :class:`~.models.Inspection` of kind ``assessment``: its
``answers`` are the unit's self-score, ``rounds`` hold the province's appraisal
rounds (each a set of answers under the same §4 rules and §7 write protocol as the
self-score: :func:`~.inspection.put_answer` on the round's answers), ``explanations``
the unit's replies to the requests to explain. The stage moves forward only::

    self → appraisal1 → (explanation → appraisal2) → final

These functions mutate the record they are given; the services run them inside one
atomic read-modify-write, after the access checks.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import inspection as rules
from .checklist import Checklist
from .compare import deducts, higher_by
from .errors import Conflict
from .messages import N_, criterion_label
from .models import Answer, Explanation, Inspection
from .text import clean_text


class WrongStage(Conflict):
    """The assessment is not in the stage this write belongs to."""


#: What each stage is called in a message.
STAGE_LABELS = {
    "self": N_("self-assessment"),
    "appraisal1": N_("appraisal round 1"),
    "explanation": N_("explanation"),
    "appraisal2": N_("appraisal round 2"),
    "final": N_("final"),
}


#: The stages in the order an assessment goes through them.
STAGES = tuple(STAGE_LABELS)


def reached(inspection: Inspection, stage: str) -> bool:
    """Whether the assessment is at ``stage`` or past it."""
    return STAGES.index(stage_of(inspection)) >= STAGES.index(stage)


def stage_of(inspection: Inspection) -> str:
    """The stage of an assessment (``self`` for one that has none stored yet)."""
    return inspection.stage or "self"


def require_stage(inspection: Inspection, *stages: str) -> None:
    """:class:`WrongStage` unless the assessment is in one of ``stages``."""
    rules.ensure_draft(inspection)
    stage = stage_of(inspection)
    if stage not in stages:
        raise WrongStage(N_("this assessment is at the stage “%(stage)s”; this change "
                            "belongs to another stage", stage=STAGE_LABELS[stage]),
                         stage=stage)


class PastDeadline(WrongStage):
    """The deadline of this stage has passed (and was not extended)."""


#: What each deadline closes, in a message.
DEADLINE_LABELS = {"self": N_("The self-assessment"), "explain": N_("The explanations")}


def deadline_problems(deadlines: Mapping[str, _dt.date | None], today: _dt.date,
                      new: Mapping[str, _dt.date] | None = None) -> dict[str, str]:
    """What is wrong with an assessment's ``self`` and ``explain`` deadlines (local dates),
    by field (``self_due``, ``explain_due``); empty when nothing. ``new``: the deadlines
    being set now (default: all of ``deadlines``, as opening a round does); each must not
    be in the past (a deadline set too far by mistake may be brought back, not before
    today). The explanations are never due before the self-assessment (they would lock
    before the appraisal they answer starts)."""
    moved = dict(deadlines if new is None else new)
    problems: dict[str, str] = {}
    for which, due in moved.items():
        if due < today:
            problems[f"{which}_due"] = (
                N_("the self-assessment deadline %(date)s is in the past",
                   date=due.strftime("%d/%m/%Y")) if which == "self" else
                N_("the new deadline %(date)s is in the past", date=due.strftime("%d/%m/%Y")))
    after = {**deadlines, **moved}
    if (after.get("self") and after.get("explain") and after["explain"] < after["self"]
            and "explain_due" not in problems):
        problems["explain_due"] = N_("the explanation deadline %(date)s is before the "
                                     "self-assessment deadline",
                                     date=after["explain"].strftime("%d/%m/%Y"))
    return problems


def ensure_before_deadline(inspection: Inspection, which: str, today: _dt.date) -> None:
    """:class:`PastDeadline` when ``today`` (the local date) is after the ``which``
    deadline of the assessment (``self`` or ``explain``); no deadline: always open."""
    due = inspection.deadlines.get(which) if inspection.kind == "assessment" else None
    if due and today.isoformat() > due:
        raise PastDeadline(N_("%(what)s closed on %(date)s (the deadline); the province can "
                              "extend it", what=DEADLINE_LABELS[which],
                              date=_dt.date.fromisoformat(due).strftime("%d/%m/%Y")),
                           stage=stage_of(inspection), deadline=due)


def next_stage(inspection: Inspection) -> str:
    """The stage advancing leads to: after round 1, ``explanation`` when some criterion
    was asked to be explained, else ``final``."""
    stage = stage_of(inspection)
    if stage == "self":
        return "appraisal1"
    if stage == "appraisal1":
        asked = any(a.explain for a in inspection.rounds.get("appraisal1", {}).values())
        return "explanation" if asked else "final"
    if stage == "explanation":
        return "appraisal2"
    if stage == "appraisal2":
        return "final"
    raise WrongStage(N_("this assessment is final"), stage=stage)


def current_round(inspection: Inspection) -> str | None:
    """The appraisal round being written now (None outside the appraisal stages)."""
    stage = stage_of(inspection)
    return stage if stage in ("appraisal1", "appraisal2") else None


def final_round(inspection: Inspection) -> str:
    """The answers the final card is scored from: round 2 where it happened, else round 1."""
    return "appraisal2" if "appraisal2" in inspection.rounds else "appraisal1"


def scored_answers(kind: str | None, stage: str | None, answers: Mapping[str, Any],
                   rounds: Mapping[str, Any]) -> Mapping[str, Any]:
    """The answers a record's card is scored from, on plain data as well as records: a
    final assessment's final round (round 2 where it happened, else round 1: its points,
    the appraisers' notes); any other record's own answers."""
    if kind == "assessment" and stage == "final":
        return rounds.get("appraisal2" if "appraisal2" in rounds else "appraisal1") or {}
    return answers


def copied(answers: dict[str, Answer], by: str, at: str, *, keep_note: bool) -> dict[str, Answer]:
    """A new round starting as a copy of ``answers``: the same scoring content, each
    criterion at revision 1 of the new round (no request to explain; photos stay with the
    answers they document). The self-score's notes are the unit's and stay there. A copied
    score keeps who gave it and when (``by``/``at`` fill only an answer without them): the
    one who opens the round did not give it."""
    out = {}
    for criterion_id, answer in answers.items():
        out[criterion_id] = Answer(rev=1, value=answer.value,
                                   inputs=dict(answer.inputs) if answer.inputs else None,
                                   na=answer.na, note=answer.note if keep_note else "",
                                   by=answer.by or by, at=answer.at or at)
    return out


def enter(inspection: Inspection, stage: str, by: str, at: str) -> None:
    """Move the assessment to ``stage``, starting its round as a copy of the one before."""
    if stage == "appraisal1":
        inspection.rounds["appraisal1"] = copied(inspection.answers, by, at, keep_note=False)
    elif stage == "appraisal2":
        inspection.rounds["appraisal2"] = copied(inspection.rounds["appraisal1"], by, at,
                                                 keep_note=True)
    inspection.stage = stage
    inspection.updated_at = at
    rules.add_event(inspection, by, at, "stage", stage=stage)


def requests(inspection: Inspection) -> list[str]:
    """The criteria the unit was asked to explain (round 1's ``explain``), in the
    checklist's order as the round keeps it."""
    return [cid for cid, a in inspection.rounds.get("appraisal1", {}).items() if a.explain]


def ensure_explainable(inspection: Inspection, checklist: Checklist, criterion_id: str) -> None:
    """:class:`WrongStage` outside ``explanation``; :class:`Conflict` for a criterion the
    appraisers did not ask to be explained."""
    require_stage(inspection, "explanation")
    criterion = checklist.criterion(criterion_id)
    if criterion is None:
        raise rules.BadAnswer(N_("%(criterion)s: unknown criterion", criterion=criterion_id),
                              criterion=criterion_id)
    asked = inspection.rounds.get("appraisal1", {}).get(criterion_id)
    if asked is None or not asked.explain:
        raise Conflict(N_("%(criterion)s: the appraisers did not ask to explain this criterion",
                          criterion=criterion_label(criterion)), criterion=criterion_id)


def add_explanation_photo(inspection: Inspection, checklist: Checklist, criterion_id: str,
                          photo_id: str, by: str, at: str) -> Explanation:
    """Add an evidence photo to the unit's explanation of a requested criterion (append
    only: the explanation's revision goes up, its text stays)."""
    ensure_explainable(inspection, checklist, criterion_id)
    current = inspection.explanations.get(criterion_id) or Explanation(by=by)
    explanation = Explanation(text=current.text, by=current.by or by, at=at,
                              rev=current.rev + 1, photos=[*current.photos, photo_id])
    inspection.explanations[criterion_id] = explanation
    inspection.updated_at = at
    return explanation


def put_explanation(inspection: Inspection, checklist: Checklist, criterion_id: str, text: str,
                    base_rev: int, by: str, at: str) -> Explanation:
    """Replace the unit's explanation of one criterion under the revision rules (§7).
    :class:`WrongStage` outside ``explanation``; :class:`Conflict` for a criterion that
    was not asked to be explained; :class:`~.inspection.Stale` on a stale ``base_rev``."""
    ensure_explainable(inspection, checklist, criterion_id)
    current = inspection.explanations.get(criterion_id)
    current_rev = current.rev if current else 0
    if current is not None and current.text == text:
        return current
    if base_rev != current_rev:
        raise rules.Stale(N_("changed by a team mate since you loaded it"),
                          criterion=criterion_id,
                          current=explanation_dict(current, criterion_id))
    explanation = Explanation(text=text, by=by, at=at, rev=current_rev + 1,
                              photos=list(current.photos) if current else [])
    inspection.explanations[criterion_id] = explanation
    inspection.updated_at = at
    return explanation


def clean_explanation_text(value: Any) -> str:
    """The text of an explanation through the one text cleaner
    (:class:`~.text.TextProblem` when it cannot be taken)."""
    return clean_text(value if value is not None else "", field="text",
                      label=N_("Explanation"))


def explanation_dict(explanation: Explanation | None, criterion_id: str) -> dict[str, Any]:
    """The API form of an explanation (``rev`` 0 when none was given)."""
    if explanation is None:
        return {"criterion": criterion_id, "rev": 0}
    return {"criterion": criterion_id, "text": explanation.text, "by": explanation.by,
            "at": explanation.at, "rev": explanation.rev, "photos": list(explanation.photos)}


def visible_rounds(inspection: Inspection, unit_side: bool) -> tuple[str, ...]:
    """The rounds a reader may see: the province every round started; the unit round 1
    from ``explanation`` on and round 2 only once final — never a round in progress."""
    return shown_rounds(stage_of(inspection), inspection.rounds, unit_side)


def shown_rounds(stage: str, rounds: Any, unit_side: bool) -> tuple[str, ...]:
    """:func:`visible_rounds` on plain data: the ``stage`` and the names of the rounds
    started (``rounds``: any container of round names, as the stored record holds)."""
    started = tuple(r for r in ("appraisal1", "appraisal2") if r in rounds)
    if not unit_side:
        return started
    if stage == "final":
        return started
    if stage in ("explanation", "appraisal2"):
        return tuple(r for r in started if r == "appraisal1")
    return ()


# ---------------------------------------------------------------- the appraisal result

def _points(line: dict[str, Any] | None) -> Decimal | None:
    """A score card line's points (None: not scored, not applicable or unanswered)."""
    if not line or line.get("status") in ("na", "unanswered", "info") \
            or line.get("points") is None:
        return None
    return Decimal(str(line["points"]))


@dataclass(frozen=True)
class AppraisalLine:
    """One criterion of an appraisal result (*kết quả thẩm định*): the self-score, the
    rounds and the final points (None where a card is missing or the line scored
    nothing), the line statuses, whether round 1 asked to explain it and the unit's
    explanation. ``gap`` = self − final (or, before final, self − the last round; the
    other way round for a penalty)."""

    criterion: str
    text: str
    max: Decimal | None
    self_points: Decimal | None
    round1: Decimal | None
    round2: Decimal | None
    final: Decimal | None
    statuses: dict[str, str]
    asked: bool
    explanation: str
    last: Decimal | None  # the points the gap is taken against
    deducts: bool = False  # a penalty: points taken off (domain/compare.higher_by)

    @property
    def gap(self) -> Decimal | None:
        return higher_by(self.self_points, self.last, self.deducts)

    @property
    def overrated(self) -> bool:
        """The unit scored itself higher than the appraisers did."""
        return self.gap is not None and self.gap > 0


def appraisal_lines(checklist: Checklist, cards: dict[str, dict[str, Any] | None],
                    asked: set[str] | frozenset[str] = frozenset(),
                    explanations: dict[str, str] | None = None) -> list[AppraisalLine]:
    """One :class:`AppraisalLine` per scored criterion of ``checklist`` (checklist order)
    from the §4 score cards ``{"self", "appraisal1", "appraisal2", "final"}`` as dicts (a
    missing or None card: no points there), the criteria round 1 asked to explain and
    the explanations' texts. The same lines serve the workbook and the documents."""
    explanations = explanations or {}
    lines = {name: {line["id"]: line for line in (card or {}).get("criteria", ())}
             for name, card in cards.items()}
    last_name = next((n for n in ("final", "appraisal2", "appraisal1") if cards.get(n)), None)
    out = []
    for criterion in checklist.criteria:
        if criterion.points is None:  # info lines score nothing
            continue
        cid = criterion.id

        def of(name: str, cid: str = cid) -> Decimal | None:
            return _points(lines.get(name, {}).get(cid))

        out.append(AppraisalLine(
            criterion=cid, text=criterion.text, max=criterion.points,
            self_points=of("self"), round1=of("appraisal1"), round2=of("appraisal2"),
            final=of("final"),
            statuses={name: line[cid]["status"] for name, line in lines.items() if cid in line},
            asked=cid in asked, explanation=explanations.get(cid, ""),
            last=of(last_name) if last_name else None, deducts=deducts(criterion)))
    return out
