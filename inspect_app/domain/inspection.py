"""Inspection state rules and the write protocol of DESIGN §7, over plain records.

Every change a phone makes is an operation with a client-generated ``op_id``
and the ``base_rev`` it last saw:

* the same ``op_id`` with the same content → the remembered result, no second write;
* the same ``op_id`` with other content → conflict;
* a stale ``base_rev`` with content different from the current one → conflict
  carrying the current record; with the same content → accepted, nothing changes;
* otherwise the change applies and the revision goes up.

These functions mutate the :class:`Inspection` they are given; the store runs
them inside one atomic read-modify-write.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from . import criteria
from . import replay as memory
from .checklist import Checklist
from .errors import Conflict, Invalid
from .messages import N_, criterion_label, joined
from .models import Answer, Event, Inspection
from .scoring import answer_problems
from .text import clean_text, nfc_all


class Locked(Conflict):
    """The record is finalized; it must be reopened before it can change."""


class OpReused(Conflict):
    """The same ``op_id`` was already used for different content."""


class Stale(Conflict):
    """``base_rev`` is older than the current revision and the content differs
    (``details["current"]``: the current record)."""


class SurveyScored(Conflict):
    """A criterion of a survey section (``survey: true``) is scored only by importing the
    survey's figures: never answered, appraised or given evidence on a form."""


class BadAnswer(Invalid):
    """The answer does not fit the criterion."""


def fingerprint(kind: str, target: str, content: dict[str, Any]) -> str:
    """A stable digest of what an operation asks for (its op_id and base_rev excluded)."""
    canonical = json.dumps([kind, target, content], sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"), default=str)
    # surrogatepass: a broken character in a key the validation refuses later is no crash
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def replayed(inspection: Inspection, op_id: str, digest: str) -> memory.Memo | None:
    """What ``op_id`` did, None if it is new; :class:`OpReused` if the content differs.
    Every op is remembered for the life of the record (see :mod:`.replay`)."""
    packed = inspection.ops.get(memory.op_key(op_id))
    if packed is None:
        return None
    memo = memory.unpack(packed)
    if memo.fingerprint != memory.short_fingerprint(digest):
        raise OpReused(N_("this op_id was already used for a different change"), op_id=op_id)
    return memo


def is_remembered(inspection: Inspection, op_id: str) -> bool:
    """Whether ``op_id`` was already applied to this record."""
    return memory.op_key(op_id) in inspection.ops


def remember(inspection: Inspection, op_id: str, digest: str, kind: str, target: str,
             rev: int) -> None:
    """Remember that ``op_id`` wrote ``target`` (a :data:`.replay.KINDS` letter and what
    it names) at revision ``rev``, so that a retry is answered and never applied again."""
    inspection.ops[memory.op_key(op_id)] = memory.pack(memory.Memo(
        memory.short_fingerprint(digest), kind, target, rev))


def ensure_draft(inspection: Inspection) -> None:
    """Refuse any change to a finalized record; a final assessment is never reopened, so
    its refusal does not tell to reopen it (:func:`reopenable`)."""
    if inspection.status != "draft":
        raise Locked(N_("this record is finalized; reopen it to change it")
                     if reopenable(inspection) else N_("this assessment is final"),
                     status=inspection.status)


def finalizable(inspection: Inspection) -> bool:
    """Whether the record can be finalized now (by whom is ``services.inspections.
    can_finalize``): a draft inspection or self-check; an assessment never, it moves on
    stage by stage (DESIGN §10). The review page, the confirmation and finalizing itself
    all ask this (see :func:`ensure_finalizable`)."""
    return inspection.status == "draft" and inspection.kind != "assessment"


def ensure_finalizable(inspection: Inspection) -> None:
    """Refuse finalizing a record :func:`finalizable` says no to, saying why."""
    if inspection.kind == "assessment":
        raise Conflict(N_("an assessment is not finalized: it moves on stage by stage "
                          "(advance) and is final after its appraisal"), stage=inspection.stage)
    ensure_draft(inspection)


def reopenable(inspection: Inspection) -> bool:
    """Whether the record can be reopened (by whom is :meth:`Scope.can_reopen`): a
    finalized inspection or self-check; a final assessment never (its result is
    official)."""
    return inspection.status == "finalized" and inspection.kind != "assessment"


def answers_open(inspection: Inspection) -> bool:
    """Whether the record's own answers may change now (see :func:`ensure_answers_open`)."""
    return inspection.status == "draft" and (
        inspection.kind != "assessment" or (inspection.stage or "self") == "self")


def ensure_answers_open(inspection: Inspection) -> None:
    """Refuse a change of the record's own answers (and their photos) once finalized,
    and for an assessment outside its self-score stage (DESIGN §10)."""
    ensure_draft(inspection)
    if inspection.kind == "assessment" and (inspection.stage or "self") != "self":
        from .assessment import WrongStage  # the assessment rules build on these

        raise WrongStage(N_("the self-assessment of this record is closed: the appraisal has "
                            "started"), stage=inspection.stage)


ANSWER_CONTENT_KEYS = ("value", "inputs", "na", "note", "explanation")

#: At most this many photos on one criterion's answer (each is printed in the minutes).
MAX_PHOTOS = 30


def ensure_room_for_photo(answer: Answer, criterion_id: str, label: str) -> None:
    """Refuse one more photo on an answer that holds ``MAX_PHOTOS`` (``label``: the
    criterion as people read it)."""
    if len(answer.photos) >= MAX_PHOTOS:
        raise BadAnswer(N_("%(criterion)s: at most %(max)s photos on one criterion; remove one "
                           "to add another", criterion=label, max=MAX_PHOTOS),
                        criterion=criterion_id)


def answer_content(answer: Answer | None) -> dict[str, Any]:
    """What a PUT compares: the §4 answer plus the self-check explanation."""
    if answer is None:
        return {}
    content = answer.content()
    if answer.explanation:
        content["explanation"] = answer.explanation
    if answer.explain:
        content["explain"] = True
    return content


def _is_empty(key: str, value: Any) -> bool:
    """Nothing given for ``key``: a 0, 0.0 or a ``false`` value is an answer, not nothing
    (``0 == False`` in Python, so compare by type, never with ``in (…, False)``)."""
    if value is None or (isinstance(value, (str, dict)) and not value):
        return True
    return value is False and key != "value"  # na: false means "applicable"


def _unsigned_zero(value: Any) -> Any:
    """-0.0 (a JSON client's minus zero) as 0: stored and shown as a zero, never "-0"."""
    return abs(value) if isinstance(value, float) and value == 0 else value


def clean_content(payload: dict[str, Any]) -> dict[str, Any]:
    """The answer content of a PUT body: every text in NFC (an option's value sent in NFD,
    as macOS and iOS keyboards write it, is that option, whatever the criterion's type),
    empty and false fields dropped, text stripped."""
    content: dict[str, Any] = {}
    for key in ANSWER_CONTENT_KEYS:
        value = nfc_all(payload.get(key))
        if isinstance(value, str):
            value = value.strip()
        if key == "inputs" and isinstance(value, dict):
            value = {k: _unsigned_zero(v) for k, v in value.items() if v is not None and v != ""}
        elif key == "value":
            value = _unsigned_zero(value)
        if _is_empty(key, value):
            continue
        content[key] = value
    return content


#: What each text of an answer is called in a message.
ANSWER_TEXT_LABELS = {"note": N_("Note"), "explanation": N_("Explanation"), "value": N_("Answer")}


def clean_answer_texts(content: dict[str, Any], criterion: Any = None) -> dict[str, Any]:
    """The texts of an answer's content through the one text cleaner (NFC, no control
    characters or broken surrogates, at most ``LONG_TEXT`` characters): note,
    explanation, a text value and text inputs. Raises :class:`~.text.TextProblem`; with
    the ``criterion`` its inputs are named by their labels."""
    out = dict(content)
    for key in ("value", "note", "explanation"):
        if isinstance(out.get(key), str) or (key != "value" and key in out):
            out[key] = clean_text(out[key], field=key, label=ANSWER_TEXT_LABELS[key])
    inputs = out.get("inputs")
    if isinstance(inputs, dict):
        cleaned = {}
        for input_id, value in inputs.items():
            if isinstance(value, str):
                spec = criterion.input(input_id) if criterion is not None else None
                value = clean_text(value, field=f"inputs.{input_id}",
                                   label=spec.label if spec is not None else input_id)
            cleaned[input_id] = value
        out["inputs"] = cleaned
    return out


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON says it: ``1`` and ``true``, ``0`` and ``false`` are other answers
    (Python's ``1 == True`` would take a correction for a retry)."""
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def put_answer(inspection: Inspection, checklist: Checklist, criterion_id: str,
               content: dict[str, Any], base_rev: int, by: str, at: str,
               answers: dict[str, Answer] | None = None) -> Answer:
    """Replace the whole answer of one criterion under the revision rules.

    ``answers``: the set of answers written (default: the record's own; an assessment's
    appraisal round passes its round's). Returns the stored answer. Raises
    :class:`BadAnswer`, :class:`Locked` or :class:`Stale` (with the current answer in
    its payload).
    """
    if answers is None:
        answers = inspection.answers
        ensure_answers_open(inspection)
    else:
        ensure_draft(inspection)
    criterion = checklist.criterion(criterion_id)
    if criterion is None:
        raise BadAnswer(N_("%(criterion)s: unknown criterion", criterion=criterion_id),
                        criterion=criterion_id)
    if criterion.survey:
        raise SurveyScored(N_("%(criterion)s: scored from the sociological survey (its points "
                              "are imported), not entered here",
                              criterion=criterion_label(criterion)), criterion=criterion_id)
    problems = answer_problems(criterion, {k: v for k, v in content.items()
                                           if k not in ("explanation", "explain")})
    explanation = content.get("explanation")
    if explanation is not None and not isinstance(explanation, str):
        problems.append(N_("explanation must be text"))
    if problems:
        raise BadAnswer(N_("%(criterion)s: %(problems)s", criterion=criterion_label(criterion),
                           problems=joined(problems)),
                        criterion=criterion_id, problems=problems)
    if content.get("value") is not None:  # canonical form: an option's own value, not its spelling
        content = {**content, "value": criteria.get(criterion.type).canonical(criterion,
                                                                            content["value"])}
    current = answers.get(criterion_id)
    current_rev = current.rev if current else 0
    if _same(answer_content(current), content):
        return current or Answer()  # the change is already there: nothing to do
    if base_rev != current_rev:
        raise Stale(N_("changed by a team mate since you loaded it"), criterion=criterion_id,
                    current=answer_dict(current, criterion_id))
    answer = Answer(
        rev=current_rev + 1, value=content.get("value"), inputs=content.get("inputs") or None,
        na=bool(content.get("na")), note=content.get("note", ""),
        explanation=content.get("explanation", ""), explain=bool(content.get("explain")),
        photos=list(current.photos) if current else [],
    )
    touch(inspection, answer, by, at)
    answers[criterion_id] = answer
    inspection.updated_at = at
    return answer


def touch(inspection: Inspection, answer: Answer, by: str, at: str) -> None:
    """Mark ``answer`` as written now by ``by``, in the record revision this write makes
    (the store raises ``Inspection.rev`` by one when the change returns)."""
    answer.by, answer.at = by, at
    answer.changed = inspection.rev + 1


def changed_since(inspection: Inspection, since: int) -> list[tuple[str, Answer]]:
    """The answers written after record revision ``since``, oldest write first."""
    found = [(cid, a) for cid, a in inspection.answers.items() if a.changed > since]
    return sorted(found, key=lambda pair: pair[1].changed)


def answer_dict(answer: Answer | None, criterion_id: str) -> dict[str, Any]:
    """The API form of a stored answer (``rev`` 0 and nothing else when never answered)."""
    if answer is None:
        return {"criterion": criterion_id, "rev": 0}
    out = {"criterion": criterion_id, **answer_content(answer), "rev": answer.rev,
           "photos": list(answer.photos), "by": answer.by, "at": answer.at}
    return out


def evidence_needs(inspection: Inspection, checklist: Checklist) -> dict[str, bool]:
    """The criteria that need evidence (a note, a photo) or a written explanation in this
    record — ``evidence_required`` ones of a self-check or an assessment's self-score — each with whether it has some
    (an N/A answer needs none). Cards and the review mark them from the start."""
    if inspection.kind not in ("self_check", "assessment"):
        return {}
    needs = {}
    for criterion in checklist.criteria:
        if not criterion.evidence_required or criterion.survey:
            continue
        answer = inspection.answers.get(criterion.id)
        needs[criterion.id] = bool(answer and (answer.na or answer.note or answer.photos
                                               or answer.explanation))
    return needs


def missing_evidence(inspection: Inspection, checklist: Checklist) -> list[str]:
    """Self-check criteria marked ``evidence_required`` with no note, photo or explanation."""
    return [cid for cid, given in evidence_needs(inspection, checklist).items() if not given]


def add_event(record: Any, by: str, at: str, action: str, **detail: Any) -> None:
    """Append a history line to an inspection or a remediation item."""
    record.history.append(Event(at=at, by=by, action=action, detail=detail))
