"""PAR-index assessments (DESIGN §10): advancing stages, the appraisal rounds, the unit's
explanations, and the assessment's parts of the API form.

Every write is one operation of the §7 write protocol run by
:func:`.inspections.run_op` (op_id replay memory, ``base_rev`` per criterion per round),
as answers are; reaching ``final`` freezes the cards and creates the remediation items
through the same :func:`.inspections.closing` that finalizing uses.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from ..domain import assessment as stages
from ..domain import inspection as rules
from ..domain.access import Scope
from ..domain.checklist import Criterion
from ..domain.messages import N_, criterion_label, joined
from ..domain.models import Answer, Explanation, Inspection, PhotoRef
from ..domain.periods import PeriodError, parse_period
from ..domain.scoring import ScoreCard, score
from ..domain.text import TextProblem
from ..domain.units import Codes
from ..storage import Store
from . import Forbidden, Invalid, Missing, Unprocessable, audit, clock
from .commands import AdvanceOp, AppraisalOp, ExplanationOp
from .inspections import (
    Finalized,
    check_access,
    checklist_of,
    closing,
    live_card,
    load,
    officers,
    run_op,
)

log = logging.getLogger("inspect_app.services")


def _assessment(scope: Scope, inspection: Inspection) -> None:
    """:class:`Missing` for a record that is not an assessment the user may see."""
    if not scope.can_view(inspection) or inspection.kind != "assessment":
        raise Missing(N_("no such assessment"))


def _checked(scope: Scope, allowed) -> Any:
    """An access check for :func:`run_op`: the record must be an assessment the user may
    see (404), and ``allowed`` (403)."""
    def allowed_assessment(inspection: Inspection) -> bool:
        _assessment(scope, inspection)
        return allowed(inspection)
    return allowed_assessment


# ---------------------------------------------------------------- the rounds

def round_card(inspection: Inspection, round_name: str) -> ScoreCard | None:
    """The score card of one appraisal round (None before it started)."""
    answers = inspection.rounds.get(round_name)
    if answers is None:
        return None
    return score(checklist_of(inspection), {c: a.content() for c, a in answers.items()},
                 validated=True)


@dataclass(frozen=True)
class AppraisalResult:
    """A saved appraisal of one criterion: the round, the answer, its revision and the
    round's card after it."""

    round: str
    criterion: Criterion
    rev: int
    answer: Answer | None
    card: ScoreCard
    replayed: bool = False


def save_appraisal(store: Store, scope: Scope, inspection_id: str,
                   op: AppraisalOp) -> AppraisalResult:
    """The province's score of one criterion in the current round (``appraisal1`` or
    ``appraisal2``); ``explain`` only in round 1. Refused: not the province (403; 404 for
    who may not see it), another stage (409), a stale ``base_rev`` (409)."""
    content = op.content()
    try:
        content = rules.clean_answer_texts(content)
    except TextProblem as problem:
        raise Invalid(problem.message, field=problem.field, criterion=op.criterion) from None
    digest = rules.fingerprint("appraisal", op.criterion, content)
    by = scope.user.username

    def apply(inspection: Inspection, at: str):
        stages.require_stage(inspection, "appraisal1", "appraisal2")
        round_name = stages.current_round(inspection)
        if content.get("explain") and round_name != "appraisal1":
            raise stages.WrongStage(N_("a request to explain belongs to appraisal round 1"),
                                    stage=round_name)
        checklist = checklist_of(inspection)
        answers = inspection.rounds[round_name]
        answer = rules.put_answer(inspection, checklist, op.criterion, content, op.base_rev,
                                  by, at, answers=answers)
        stored = answers.get(op.criterion)
        return (AppraisalResult(round_name, checklist.criterion(op.criterion),
                                stored.rev if stored else 0, stored,
                                round_card(inspection, round_name)),
                ("r", f"{round_name} {op.criterion}", answer.rev))

    def rebuild(inspection: Inspection, memo) -> AppraisalResult:
        round_name, _, criterion_id = memo.target.partition(" ")
        checklist = checklist_of(inspection)
        return AppraisalResult(round_name, checklist.criterion(criterion_id), memo.rev,
                               inspection.rounds.get(round_name, {}).get(criterion_id),
                               round_card(inspection, round_name), replayed=True)

    return run_op(store, inspection_id, op.op_id, digest, apply, rebuild, scope,
                  _checked(scope, scope.is_province))


# ---------------------------------------------------------------- explanations

@dataclass(frozen=True)
class ExplanationResult:
    criterion: str
    rev: int
    explanation: Explanation | None
    replayed: bool = False


def save_explanation(store: Store, scope: Scope, inspection_id: str,
                     op: ExplanationOp) -> ExplanationResult:
    """The unit's explanation of a criterion round 1 asked about (stage ``explanation``).
    Refused: not the unit (403/404), another stage (409), no request to explain it (409)."""
    try:
        text = stages.clean_explanation_text(op.text)
    except TextProblem as problem:
        raise Invalid(problem.message, field="text", criterion=op.criterion) from None
    if not text:
        raise Invalid(N_("write the explanation"), field="text", criterion=op.criterion)
    digest = rules.fingerprint("explanation", op.criterion, {"text": text})
    by = scope.user.username

    def apply(inspection: Inspection, at: str):
        stages.ensure_before_deadline(inspection, "explain", clock.today())
        explanation = stages.put_explanation(inspection, checklist_of(inspection), op.criterion,
                                             text, op.base_rev, by, at)
        return (ExplanationResult(op.criterion, explanation.rev, explanation),
                ("e", op.criterion, explanation.rev))

    def rebuild(inspection: Inspection, memo) -> ExplanationResult:
        return ExplanationResult(memo.target, memo.rev, inspection.explanations.get(memo.target),
                                 replayed=True)

    return run_op(store, inspection_id, op.op_id, digest, apply, rebuild, scope,
                  _checked(scope, scope.is_assessed_unit))


def attach_to_explanation(store: Store, scope: Scope, inspection_id: str, criterion_id: str,
                          data: bytes, op_id: Any, *, max_side: int = 1600,
                          max_bytes: int = 8 * 1024 * 1024,
                          max_pixels: int | None = None) -> ExplanationResult:
    """A new evidence photo on the unit's explanation of a requested criterion, checked and
    stored as every photo is (``services/photos.py``); refused as explanations are."""
    from . import photos
    from .commands import op_id_of

    load_assessment(store, scope, inspection_id)
    op_id = op_id_of(op_id)
    digest = rules.fingerprint("explanation photo", criterion_id,
                               {"sha256": hashlib.sha256(data).hexdigest()})
    limits = {"max_side": max_side, "max_bytes": max_bytes}
    if max_pixels is not None:
        limits["max_pixels"] = max_pixels
    processed = photos.process(data, **limits)
    photo_id = photos.store_photo(store, processed)
    by = scope.user.username

    def apply(inspection: Inspection, at: str):
        stages.ensure_before_deadline(inspection, "explain", clock.today())
        explanation = stages.add_explanation_photo(inspection, checklist_of(inspection),
                                                   criterion_id, photo_id, by, at)
        inspection.photos[photo_id] = PhotoRef(
            id=photo_id, by=by, at=at, criterion=criterion_id, width=processed.width,
            height=processed.height, bytes=len(processed.full))
        return (ExplanationResult(criterion_id, explanation.rev, explanation),
                ("x", f"{criterion_id} {photo_id}", explanation.rev))

    def rebuild(inspection: Inspection, memo) -> ExplanationResult:
        criterion, _, first_id = memo.target.rpartition(" ")
        return ExplanationResult(criterion, memo.rev, inspection.explanations.get(criterion),
                                 replayed=True)

    try:
        result = run_op(store, inspection_id, op_id, digest, apply, rebuild, scope,
                        _checked(scope, scope.is_assessed_unit))
    except BaseException:
        store.delete_photo(photo_id)
        raise
    if result.replayed:
        store.delete_photo(photo_id)  # a retry: the first upload's photo is the stored one
    return result


# ---------------------------------------------------------------- advancing

def blockers(inspection: Inspection) -> dict[str, list[str]]:
    """What stands in the way of the next stage: in ``self`` the unanswered criteria and
    those still needing evidence or an explanation; in a round its unanswered criteria."""
    stage = stages.stage_of(inspection)
    checklist = checklist_of(inspection)
    if stage == "self":
        card = live_card(inspection)
        return {"unanswered": [line.id for line in card.unanswered],
                "missing_evidence": rules.missing_evidence(inspection, checklist)}
    round_name = stages.current_round(inspection)
    if round_name is not None:
        card = round_card(inspection, round_name)
        return {"unanswered": [line.id for line in card.unanswered], "missing_evidence": []}
    return {"unanswered": [], "missing_evidence": []}


def advance(store: Store, scope: Scope, inspection_id: str, op: AdvanceOp, *,
            today: _dt.date | None = None) -> Finalized:
    """Move the assessment to its next stage (DESIGN §10). :class:`Unprocessable` listing
    what blocks it; reaching ``final`` freezes the self, round and final cards and creates
    the remediation items from the final card as finalizing does."""
    by = scope.user.username
    day = today or clock.today()
    record = load(store, scope, inspection_id)
    _assessment(scope, record)
    digest = rules.fingerprint("advance", inspection_id,
                               {} if op.stage is None else {"stage": op.stage})
    shown = op.stage or stages.stage_of(record)  # the stage the page showed
    merges = store.unit_merges()
    present = officers(store, record.unit)  # the unit's representatives of this day

    def allowed(inspection: Inspection) -> bool:
        _assessment(scope, inspection)
        return scope.can_advance(inspection, stages.stage_of(inspection))

    def apply(inspection: Inspection, at: str):
        rules.ensure_draft(inspection)
        if stages.stage_of(inspection) != shown:
            raise stages.WrongStage(N_("this assessment moved on meanwhile"),
                                    stage=inspection.stage)
        blocking = blockers(inspection)
        if blocking["unanswered"] or blocking["missing_evidence"]:
            checklist = checklist_of(inspection)
            named = [criterion_label(checklist.criterion(c))
                     for c in blocking["unanswered"] + blocking["missing_evidence"]]
            raise Unprocessable(
                N_("%(count)s criteria stand in the way: %(criteria)s",
                   count=len(named), criteria=joined(named, "; ")), **blocking)
        target = stages.next_stage(inspection)
        if target == "final":
            _finish(inspection, day=day, at=at, by=by, merges=merges)
            inspection.representatives = present
        else:
            stages.enter(inspection, target, by, at)
        return Finalized(inspection), ("s", target, inspection.rev)

    done = run_op(store, inspection_id, op.op_id, digest, apply,
                  lambda inspection, memo: Finalized(inspection, replayed=True),
                  scope, allowed)
    if not done.replayed:
        log.info("assessment=%s stage=%s by=%s", inspection_id, done.inspection.stage, by)
    return done


def _finish(inspection: Inspection, *, day: _dt.date, at: str, by: str,
            merges: dict[str, str]) -> None:
    """Reach ``final``: the cards frozen and the remediation items of the final card."""
    final = stages.final_round(inspection)
    plan = closing(inspection, allow_unanswered=True, day=day, at=at, by=by,
                   answers=inspection.rounds[final], merges=merges)
    inspection.cards = {"self": live_card(inspection).as_dict(),
                        "appraisal1": round_card(inspection, "appraisal1").as_dict(),
                        "appraisal2": (round_card(inspection, "appraisal2").as_dict()
                                       if "appraisal2" in inspection.rounds else None)}
    stages.enter(inspection, "final", by, at)
    plan.apply_items(inspection, at=at, by=by)
    inspection.status = "finalized"
    inspection.score = plan.card.as_dict()
    inspection.finalized_at, inspection.finalized_by = at, by
    rules.add_event(inspection, by, at, "finalized", percent=inspection.score["percent"],
                    round=final)


# ---------------------------------------------------------------- reading

def unit_side(scope: Scope | None, inspection: Inspection) -> bool:
    """Whether the reader sees the assessment as its unit does (no scope: yes)."""
    return scope is None or scope.role == "unit"


def scores(inspection: Inspection, scope: Scope | None) -> dict[str, Any]:
    """``{self, appraisal1, appraisal2, final}`` score cards (§4), a round's only where
    the reader may see it; frozen once final."""
    shown = stages.visible_rounds(inspection, unit_side(scope, inspection))
    if inspection.status == "finalized" and inspection.cards:
        frozen = inspection.cards
        return {"self": frozen.get("self"),
                **{r: frozen.get(r) if r in shown else None
                   for r in ("appraisal1", "appraisal2")},
                "final": inspection.score}
    out: dict[str, Any] = {"self": live_card(inspection).as_dict()}
    for round_name in ("appraisal1", "appraisal2"):
        card = round_card(inspection, round_name) if round_name in shown else None
        out[round_name] = card.as_dict() if card is not None else None
    out["final"] = None
    return out


def assessment_parts(inspection: Inspection, scope: Scope | None) -> dict[str, Any]:
    """What an assessment adds to the API form (DESIGN §10): ``stage``, ``rounds``,
    ``explanations``, ``scores``."""
    shown = stages.visible_rounds(inspection, unit_side(scope, inspection))
    rounds = {name: {"answers": {cid: rules.answer_dict(a, cid)
                                 for cid, a in inspection.rounds[name].items()}}
              for name in shown}
    return {"stage": stages.stage_of(inspection), "rounds": rounds,
            "explanations": {cid: stages.explanation_dict(e, cid)
                             for cid, e in inspection.explanations.items()},
            "requests": stages.requests(inspection) if "appraisal1" in shown else [],
            "scores": scores(inspection, scope)}


def load_assessment(store: Store, scope: Scope, inspection_id: str) -> Inspection:
    """An assessment the user may see; :class:`Missing` otherwise."""
    inspection = load(store, scope, inspection_id)
    _assessment(scope, inspection)
    return inspection


def appraiser_view(store: Store, scope: Scope, inspection_id: str) -> Inspection:
    """An assessment for its appraisal screen: the province only (403 for the unit)."""
    inspection = load_assessment(store, scope, inspection_id)
    check_access(scope, inspection, scope.is_province)
    return inspection


def explainer_view(store: Store, scope: Scope, inspection_id: str) -> Inspection:
    """An assessment for the unit's explanation screen: the unit only."""
    inspection = load_assessment(store, scope, inspection_id)
    if not scope.is_assessed_unit(inspection):
        raise Forbidden(N_("only the assessed unit explains its scores"))
    return inspection


__all__ = ["advance", "appraiser_view", "assessment_parts", "blockers",
           "explainer_view", "load_assessment", "round_card", "save_appraisal",
           "save_explanation", "scores"]


# ---------------------------------------------------------------- rounds over many units

@dataclass(frozen=True)
class OpenedRound:
    """The assessments a round opened, one per unit (unit code → record id)."""

    records: dict[str, str]
    self_due: str
    explain_due: str


def open_round(store: Store, library, scope: Scope, *, checklist: str, period: str,
               units: list[str] | None, self_due: _dt.date, explain_due: _dt.date,
               today: _dt.date | None = None, by: str | None = None) -> OpenedRound:
    """Open an assessment round: one assessment of ``checklist`` and ``period`` per unit
    (every unit by default) with the self-score and explanation deadlines (local dates).
    All or nothing: a deadline in the past, an explanation deadline before the
    self-score's, an unknown unit or a unit already assessed for that period refuses the
    whole round (:class:`Invalid` naming the field, :class:`Conflict` naming the units).
    ``by``: who the audit log names (default: the scope's user)."""
    from . import Conflict
    from .commands import StartRequest
    from .inspections import start, visible

    day = today or clock.today()
    errors: dict[str, Any] = dict(stages.deadline_problems(
        {"self": self_due, "explain": explain_due}, day))
    known = {u.code: u for u in store.list_units()}
    # every unit by default, but not those merged into another (their history lives there)
    wanted = (sorted(c for c, u in known.items() if not u.merged_into) if not units
              else list(dict.fromkeys(Codes(known).stored(u) for u in units)))  # "tn" is TN
    unknown = [u for u in wanted if u not in known]
    merged = [u for u in wanted if u in known and known[u].merged_into]
    if unknown:
        errors["unit"] = N_("unknown unit %(unit)s", unit=", ".join(unknown))
    elif merged:
        errors["unit"] = N_("these units were merged into others and get no new records: "
                            "%(units)s", units=", ".join(merged))
    if library.get(checklist) is None:
        errors["checklist"] = N_("unknown checklist %(checklist)s", checklist=checklist)
    try:  # "Năm 2025" is 2025: the round, its taken check and its audit entry say one code
        period = parse_period(period if isinstance(period, str) else "").code
    except PeriodError as exc:
        errors["period"] = exc.args[0] if exc.args else str(exc)
    if errors:
        raise Invalid(joined(list(errors.values())), fields=errors)
    taken = sorted({s.unit for s in visible(store, scope, checklist=checklist, period=period,
                                             kind="assessment") if s.unit in wanted})
    if taken:
        raise Conflict(N_("these units already have an assessment of %(period)s: %(units)s",
                          period=period, units=", ".join(taken)), units=taken)
    records: dict[str, str] = {}
    deadlines = {"self": self_due.isoformat(), "explain": explain_due.isoformat()}
    with store.atomic():
        for code in wanted:
            record = start(store, library, scope, StartRequest(
                unit=code, checklist=checklist, period=period, kind="assessment"), today=day)

            def set_deadlines(inspection: Inspection) -> None:
                inspection.deadlines = dict(deadlines)
            store.update_inspection(record.id, set_deadlines)
            records[code] = record.id
        audit.record(store, by or scope.user.username, "round.open", f"{checklist} {period}",
                     None, {"checklist": checklist, "period": period,
                            "units": audit.listed(list(records)),
                            "self_due": deadlines["self"], "explain_due": deadlines["explain"]})
    log.info("assessment round checklist=%s period=%s units=%d self_due=%s explain_due=%s",
             checklist, period, len(records), deadlines["self"], deadlines["explain"])
    return OpenedRound(records, deadlines["self"], deadlines["explain"])


def extend(store: Store, scope: Scope, inspection_id: str, *,
           self_due: _dt.date | None = None, explain_due: _dt.date | None = None,
           today: _dt.date | None = None, by: str | None = None) -> Inspection:
    """The province moves one unit's self-score and/or explanation deadline later, under
    the rules of :func:`open_round` (:func:`.assessment.deadline_problems`: not in the
    past, the explanations not due before the self-score),
    both at once or neither (:class:`Invalid` naming the fields); recorded in the history
    and in the audit log (``by``: who it names; default: the scope's user)."""
    from .inspections import run_change

    moved = {which: due for which, due in (("self", self_due), ("explain", explain_due))
             if due is not None}
    if not moved:
        raise Invalid(N_("a deadline is self or explain"), field="which")
    day = today or clock.today()
    load_assessment(store, scope, inspection_id)

    previous: dict[str, str | None] = {}

    def change(inspection: Inspection) -> Inspection:
        check_access(scope, inspection, scope.is_province)
        rules.ensure_draft(inspection)
        current = {which: _dt.date.fromisoformat(due)
                   for which, due in inspection.deadlines.items() if due}
        errors = stages.deadline_problems(current, day, moved)
        if errors:
            raise Invalid(joined(list(errors.values())), fields=errors)
        at = clock.now_iso()
        for which, due in moved.items():
            previous[which] = inspection.deadlines.get(which)
            rules.add_event(inspection, scope.user.username, at, "deadline",
                            which=which, due=due.isoformat(), previous=previous[which])
        inspection.deadlines = {**inspection.deadlines,
                                **{which: due.isoformat() for which, due in moved.items()}}
        return inspection

    with store.atomic():
        changed = run_change(store, inspection_id, change)
        audit.record(store, by or scope.user.username, "round.extend",
                     f"{changed.id} ({changed.unit})",
                     {f"{which}_due": previous[which] for which in moved},
                     {f"{which}_due": due.isoformat() for which, due in moved.items()})
    return changed


# ---------------------------------------------------------------- a round's progress

#: The stages from which a unit's self-score counts as submitted, round 1 as done.
SUBMITTED_STAGES = ("appraisal1", "explanation", "appraisal2", "final")
APPRAISED_STAGES = ("explanation", "appraisal2", "final")


def round_checklists(library) -> list:
    """The checklists a round can be opened for (assessments allowed, not retired)."""
    return [c for c in library.all() if c.kind in ("assessment", "any")
            and not library.retired(c.id)]


@dataclass(frozen=True)
class UnitProgress:
    """One unit's line of a round's progress: its assessment, stage, the deadline of that
    stage (None when it has none) and whether it passed, and what is still missing:
    ``unanswered`` and ``missing_evidence`` (self-score, or the round being appraised),
    ``unexplained`` (requests without an explanation)."""

    unit: str
    unit_name: str
    inspection: str
    stage: str
    due: str | None
    past_due: bool
    unanswered: int
    missing_evidence: int
    unexplained: int
    percent: Any = None
    band: str | None = None


@dataclass(frozen=True)
class RoundProgress:
    """A round (one checklist and period) across units: how many submitted, appraised,
    wait for explanations, are final; a line per unit in name order."""

    checklist: str
    checklist_title: str
    period: str
    rows: list[UnitProgress]
    self_due: str | None
    explain_due: str | None

    def count(self, stages_: tuple[str, ...]) -> int:
        return sum(1 for r in self.rows if r.stage in stages_)

    @property
    def counts(self) -> dict[str, int]:
        return {"units": len(self.rows), "submitted": self.count(SUBMITTED_STAGES),
                "appraised": self.count(APPRAISED_STAGES),
                "explaining": self.count(("explanation",)), "final": self.count(("final",))}


def rounds(store: Store, scope: Scope) -> list[RoundProgress]:
    """Every round the user may see (assessments grouped by checklist and period), the
    newest period first; each with its progress."""
    from .inspections import visible

    keys = sorted({(s.checklist_id, s.period) for s in visible(store, scope, kind="assessment")},
                  key=lambda k: (k[1], k[0]), reverse=True)
    return [round_progress(store, scope, checklist, period) for checklist, period in keys]


def round_progress(store: Store, scope: Scope, checklist: str, period: str,
                   today: _dt.date | None = None) -> RoundProgress:
    """The progress of the round of ``checklist`` and ``period`` over the units whose
    assessments the user may see (the province side; :class:`Missing` when the user sees
    none); each unit's newest assessment."""
    from ..domain.text import sort_key
    from .inspections import visible

    if scope.role == "unit":
        raise Forbidden(N_("the progress of a round is for the province"))
    day = today or clock.today()
    newest: dict[str, Any] = {}
    for summary in visible(store, scope, checklist=checklist, period=period, kind="assessment"):
        if summary.unit not in newest or summary.created_at > newest[summary.unit].created_at:
            newest[summary.unit] = summary
    if not newest:
        raise Missing(N_("no such assessment round"))
    names = {u.code: u.name for u in store.list_units()}
    rows, title = [], checklist
    dues: dict[str, set[str]] = {"self": set(), "explain": set()}
    for code, summary in newest.items():
        record = store.get_inspection(summary.id)
        if record is None:
            continue
        title = summary.checklist_title or title
        stage = stages.stage_of(record)
        for which in dues:
            if record.deadlines.get(which):
                dues[which].add(record.deadlines[which])
        which = {"self": "self", "explanation": "explain"}.get(stage)
        due = record.deadlines.get(which) if which else None
        blocking = blockers(record) if record.status == "draft" else {}
        unexplained = sum(1 for cid in stages.requests(record)
                          if not (record.explanations.get(cid)
                                  and record.explanations[cid].text)) \
            if stage == "explanation" else 0
        final = record.score if stage == "final" else None
        rows.append(UnitProgress(
            unit=code, unit_name=names.get(code, code), inspection=record.id, stage=stage,
            due=due, past_due=bool(due and day.isoformat() > due),
            unanswered=len(blocking.get("unanswered", ())),
            missing_evidence=len(blocking.get("missing_evidence", ())),
            unexplained=unexplained,
            percent=final.get("percent") if final else None,
            band=final.get("band") if final else None))
    rows.sort(key=lambda r: (sort_key(r.unit_name), r.unit))

    def common(which: str) -> str | None:
        return next(iter(dues[which])) if len(dues[which]) == 1 else None

    return RoundProgress(checklist, title, period, rows, common("self"), common("explain"))
