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

from .checklist import Checklist
from .models import Answer, Event, Inspection, OpRecord
from .scoring import answer_problems

# Enough for hours of retries by a whole team; an op older than this is still safe:
# replayed, its base_rev either matches the current content (no-op) or conflicts.
MAX_REMEMBERED_OPS = 150


class WriteRefused(Exception):
    """Base of the refusals below; ``payload`` goes into the error response."""

    status = 409

    def __init__(self, message: str, **payload: Any):
        super().__init__(message)
        self.message = message
        self.payload = payload


class Locked(WriteRefused):
    """The record is finalized; it must be reopened before it can change."""


class OpReused(WriteRefused):
    """The same ``op_id`` was already used for different content."""


class Stale(WriteRefused):
    """``base_rev`` is older than the current revision and the content differs."""


class BadAnswer(WriteRefused):
    """The answer does not fit the criterion (HTTP 400)."""

    status = 400


def fingerprint(kind: str, target: str, content: dict[str, Any]) -> str:
    """A stable digest of what an operation asks for (its op_id and base_rev excluded)."""
    canonical = json.dumps([kind, target, content], sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def replayed(inspection: Inspection, op_id: str, digest: str) -> OpRecord | None:
    """The remembered result of ``op_id``, None if new; :class:`OpReused` if the content differs."""
    record = inspection.ops.get(op_id)
    if record is None:
        return None
    if record.fingerprint != digest:
        raise OpReused("this op_id was already used for a different change", op_id=op_id)
    return record


def remember(inspection: Inspection, op_id: str, digest: str, status: int,
             result: dict[str, Any], at: str) -> None:
    """Keep the result of ``op_id`` so that a retry gets it again (oldest forgotten first)."""
    inspection.ops[op_id] = OpRecord(fingerprint=digest, status=status, result=result, at=at)
    if len(inspection.ops) > MAX_REMEMBERED_OPS:
        for old in list(inspection.ops)[: len(inspection.ops) - MAX_REMEMBERED_OPS]:
            del inspection.ops[old]


def ensure_draft(inspection: Inspection) -> None:
    """Refuse any change to a finalized record."""
    if inspection.status != "draft":
        raise Locked("this record is finalized; reopen it to change it",
                     status=inspection.status)


ANSWER_CONTENT_KEYS = ("value", "inputs", "na", "note", "explanation")


def answer_content(answer: Answer | None) -> dict[str, Any]:
    """What a PUT compares: the §4 answer plus the self-check explanation."""
    if answer is None:
        return {}
    content = answer.content()
    if answer.explanation:
        content["explanation"] = answer.explanation
    return content


def clean_content(payload: dict[str, Any]) -> dict[str, Any]:
    """The answer content of a PUT body: empty and false fields dropped, text stripped."""
    content: dict[str, Any] = {}
    for key in ANSWER_CONTENT_KEYS:
        value = payload.get(key)
        if isinstance(value, str):
            value = value.strip()
        if key == "inputs" and isinstance(value, dict):
            value = {k: v for k, v in value.items() if v is not None and v != ""}
        if value in (None, "", {}, False) and not (key == "value" and value is False):
            continue
        content[key] = value
    return content


def put_answer(inspection: Inspection, checklist: Checklist, criterion_id: str,
               content: dict[str, Any], base_rev: int, by: str, at: str) -> Answer:
    """Replace the whole answer of one criterion under the revision rules.

    Returns the stored answer. Raises :class:`BadAnswer`, :class:`Locked` or
    :class:`Stale` (with the current answer in its payload).
    """
    ensure_draft(inspection)
    criterion = checklist.criterion(criterion_id)
    if criterion is None:
        raise BadAnswer(f"{criterion_id}: unknown criterion", criterion=criterion_id)
    problems = answer_problems(criterion, {k: v for k, v in content.items() if k != "explanation"})
    explanation = content.get("explanation")
    if explanation is not None and not isinstance(explanation, str):
        problems.append("explanation must be text")
    if problems:
        raise BadAnswer("; ".join(f"{criterion_id}: {p}" for p in problems),
                        criterion=criterion_id, problems=problems)
    if criterion.type == "choice" and content.get("value") is not None:
        content = {**content, "value": criterion.option(content["value"]).value}  # canonical form
    current = inspection.answers.get(criterion_id)
    current_rev = current.rev if current else 0
    if answer_content(current) == content:
        return current or Answer()  # the change is already there: nothing to do
    if base_rev != current_rev:
        raise Stale("changed by a team mate since you loaded it", criterion=criterion_id,
                    current=answer_dict(current, criterion_id))
    answer = Answer(
        rev=current_rev + 1, value=content.get("value"), inputs=content.get("inputs") or None,
        na=bool(content.get("na")), note=content.get("note", ""),
        explanation=content.get("explanation", ""),
        photos=list(current.photos) if current else [], by=by, at=at,
    )
    inspection.answers[criterion_id] = answer
    inspection.updated_at = at
    return answer


def answer_dict(answer: Answer | None, criterion_id: str) -> dict[str, Any]:
    """The API form of a stored answer (``rev`` 0 and nothing else when never answered)."""
    if answer is None:
        return {"criterion": criterion_id, "rev": 0}
    out = {"criterion": criterion_id, **answer_content(answer), "rev": answer.rev,
           "photos": list(answer.photos), "by": answer.by, "at": answer.at}
    return out


def evidence_needs(inspection: Inspection, checklist: Checklist) -> dict[str, bool]:
    """The criteria that need evidence (a note, a photo) or a written explanation in this
    record — ``evidence_required`` ones of a self-check — each with whether it has some
    (an N/A answer needs none). Cards and the review mark them from the start."""
    if inspection.kind != "self_check":
        return {}
    needs = {}
    for criterion in checklist.criteria:
        if not criterion.evidence_required:
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
