"""The typed commands the use cases take, and the one parser of each from a request body.

The web layer reads JSON (or a form) and calls the parser of the command it means;
the parser refuses a body that is not of the command's form with :class:`Invalid`
naming the ``field`` (the messages of DESIGN §5, in the user's language at the edge).
Whether the command fits the record (the criterion's type, who may do it, revisions)
is the service's business, not the parser's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..domain import assessment as stages
from ..domain import inspection as rules
from ..domain import item_changes as changes
from ..domain.errors import Invalid
from ..domain.messages import N_
from ..domain.numbers import shown

OP_ID_RE = re.compile(r"[A-Za-z0-9_.:-]{8,100}")
ANSWER_BODY_KEYS = frozenset({"op_id", "base_rev", *rules.ANSWER_CONTENT_KEYS})
FINALIZE_BODY_KEYS = frozenset({"op_id", "allow_unanswered", "base_rev", "summary"})
APPRAISAL_BODY_KEYS = frozenset({"op_id", "base_rev", "value", "inputs", "na", "note", "explain"})
EXPLANATION_BODY_KEYS = frozenset({"op_id", "base_rev", "text"})
ADVANCE_BODY_KEYS = frozenset({"op_id", "stage"})
ITEM_BODY_KEYS = frozenset({"op_id", "base_rev", *changes.ITEM_FIELDS, *changes.CHANGE_KEYS})
REVIEW_BODY_KEYS = frozenset({"op_id", "base_rev", "decision", "comment"})
NEW_ITEM_KEYS = frozenset({"op_id", "criterion", "status", "reason", *changes.ITEM_FIELDS})
START_BODY_KEYS = frozenset({"unit", "checklist", "period", "kind", "team", "number", "place",
                             "another"})
#: A review decision → the status it sets.
DECISIONS = {"verify": "verified", "send_back": "in_progress"}


# ---------------------------------------------------------------- the commands

@dataclass(frozen=True)
class AnswerOp:
    """Replace the whole answer of one criterion (PUT …/answers/<criterion>, a form row).

    The answer's parts are as sent, with empty ones and ``na: false`` left out (None);
    whether they fit the criterion is checked against the record's checklist."""

    op_id: str
    criterion: str
    base_rev: int
    value: Any = None
    inputs: dict[str, Any] | None = None
    na: Any = None
    note: Any = None
    explanation: Any = None

    def content(self) -> dict[str, Any]:
        """The §4 answer (plus explanation) this op asks for: only the parts given."""
        return {key: getattr(self, key) for key in rules.ANSWER_CONTENT_KEYS
                if getattr(self, key) is not None}


@dataclass(frozen=True)
class AppraisalOp:
    """The appraisers' score of one criterion in the current round of an assessment
    (PUT …/appraisal/<criterion>); ``explain`` asks the unit to explain it (round 1)."""

    op_id: str
    criterion: str
    base_rev: int
    value: Any = None
    inputs: dict[str, Any] | None = None
    na: Any = None
    note: Any = None
    explain: bool = False

    def content(self) -> dict[str, Any]:
        """The §4 answer plus ``explain: true`` when asked: only the parts given."""
        out = {key: getattr(self, key) for key in ("value", "inputs", "na", "note")
               if getattr(self, key) is not None}
        if self.explain:
            out["explain"] = True
        return out


@dataclass(frozen=True)
class ExplanationOp:
    """The unit's explanation of one criterion it was asked to explain."""

    op_id: str
    criterion: str
    base_rev: int
    text: Any = ""


@dataclass(frozen=True)
class AdvanceOp:
    """Move an assessment to its next stage; ``stage``: the stage the page showed (a
    second press of a stale "close this round" is refused, not taken a stage further)."""

    op_id: str
    stage: str | None = None


@dataclass(frozen=True)
class FinalizeOp:
    """Freeze the score and create the remediation items."""

    op_id: str
    allow_unanswered: bool = False
    #: The record's revision when its summary was shown (the confirmation page): the
    #: finalize is refused if anything changed since. None: finalize what is there.
    base_rev: int | None = None
    #: The digest of the summary that was shown (``Closing.digest``, the confirmation
    #: page's): refused if finalizing now would freeze or create anything else. A re-save
    #: that changed nothing does not count, a plan entry made meanwhile does.
    summary: str | None = None


@dataclass(frozen=True)
class ItemChange:
    """A change of one remediation item (PATCH, a progress or edit form): the item fields
    and change keys it sets, cleaned (see ``domain/item_changes.clean_change``).
    ``base_rev`` None: an append-only change (a progress note, a photo)."""

    op_id: str
    item: str
    base_rev: int | None
    change: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ItemReview:
    """The inspecting side's decision on a done item: verify, or send back with a comment."""

    op_id: str
    item: str
    base_rev: int | None
    decision: str  # a key of DECISIONS
    comment: str = ""

    @property
    def status(self) -> str:
        return DECISIONS[self.decision]


@dataclass(frozen=True)
class NewItem:
    """An item added by hand: a free finding (``criterion`` None) or a criterion's."""

    op_id: str
    criterion: str | None
    change: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UserEdit:
    """An administrator's change of a user (the user page's form): everything but the
    username, the password and the tokens. ``unit`` only for the ``unit`` role."""

    full_name: str
    position: str
    role: str
    unit: str | None
    active: bool
    email: str = ""  # where reminders go ("" for none)
    #: ``accounts.user_version`` of the user as the form showed it: refused if the user
    #: was changed meanwhile (another administrator). None: no check.
    seen: str | None = None


@dataclass(frozen=True)
class StartRequest:
    """Start an inspection or a self-check. ``unit``, ``checklist``, ``period`` and
    ``kind`` are as sent: the service checks them against the store and the checklists
    (and names every wrong one in ``fields``)."""

    unit: Any
    checklist: Any
    period: Any
    kind: Any = "inspection"
    team: tuple[str, ...] = ()
    number: str = ""
    place: str = ""
    another: bool = False


# ---------------------------------------------------------------- parsing bodies

def quoted(value: Any) -> str:
    """A value the user sent, quoted for a message (at most 60 characters of it): a text
    in quotes ('XA-TN'), anything else as a JSON client wrote it (true, ["cchc-xa"])."""
    text = repr(value) if isinstance(value, str) else shown(value)
    return text if len(text) <= 60 else text[:59] + "…"


def json_object(body: Any, allowed: frozenset[str]) -> dict[str, Any]:
    """``body`` if it is a JSON object of known fields, else :class:`Invalid`."""
    if not isinstance(body, dict):
        raise Invalid(N_("the body must be a JSON object"), field="body")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise Invalid(N_("unknown field %(field)s", field=quoted(unknown[0])), field=unknown[0])
    return body


def op_id_of(op_id: Any) -> str:
    """The op_id of a write, or :class:`Invalid`."""
    if not isinstance(op_id, str) or not OP_ID_RE.fullmatch(op_id):
        raise Invalid(N_("op_id is required: a client-generated id (UUID) of 8–100 characters"),
                      field="op_id")
    return op_id


def _is_revision(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def answer_op(criterion: str, body: Any) -> AnswerOp:
    """``{op_id, base_rev, value?, inputs?, na?, note?, explanation?}`` → :class:`AnswerOp`."""
    body = json_object(body, ANSWER_BODY_KEYS)
    op_id = op_id_of(body.get("op_id"))
    base_rev = body.get("base_rev")
    if not _is_revision(base_rev):
        raise Invalid(N_("base_rev is required: the revision you last saw (0 if never answered)"),
                      field="base_rev")
    return AnswerOp(op_id=op_id, criterion=criterion, base_rev=base_rev,
                    **rules.clean_content(body))


def _base_rev(body: dict[str, Any]) -> int:
    base_rev = body.get("base_rev")
    if not _is_revision(base_rev):
        raise Invalid(N_("base_rev is required: the revision you last saw (0 if never answered)"),
                      field="base_rev")
    return base_rev


def appraisal_op(criterion: str, body: Any) -> AppraisalOp:
    """``{op_id, base_rev, value?, inputs?, na?, note?, explain?}`` → :class:`AppraisalOp`."""
    body = json_object(body, APPRAISAL_BODY_KEYS)
    op_id = op_id_of(body.get("op_id"))
    base_rev = _base_rev(body)
    explain = body.get("explain", False)
    if not isinstance(explain, bool):
        raise Invalid(N_("explain must be true or false"), field="explain")
    content = rules.clean_content({k: v for k, v in body.items() if k != "explain"})
    return AppraisalOp(op_id=op_id, criterion=criterion, base_rev=base_rev, explain=explain,
                       **content)


def explanation_op(criterion: str, body: Any) -> ExplanationOp:
    """``{op_id, base_rev, text}`` → :class:`ExplanationOp`."""
    body = json_object(body, EXPLANATION_BODY_KEYS)
    op_id = op_id_of(body.get("op_id"))
    base_rev = _base_rev(body)
    text = body.get("text")
    if not isinstance(text, str):
        raise Invalid(N_("text is required: the explanation"), field="text")
    return ExplanationOp(op_id=op_id, criterion=criterion, base_rev=base_rev, text=text)


def advance_op(body: Any) -> AdvanceOp:
    """``{op_id, stage?}`` → :class:`AdvanceOp`."""
    body = json_object(body, ADVANCE_BODY_KEYS)
    stage = body.get("stage")
    if stage is not None and (not isinstance(stage, str) or stage not in stages.STAGE_LABELS):
        raise Invalid(N_("stage must be one of %(stages)s", stages=", ".join(stages.STAGE_LABELS)),
                      field="stage")
    return AdvanceOp(op_id=op_id_of(body.get("op_id")), stage=stage)


def finalize_op(body: Any) -> FinalizeOp:
    """``{op_id, allow_unanswered?, base_rev?, summary?}`` → :class:`FinalizeOp`."""
    body = json_object(body, FINALIZE_BODY_KEYS)
    op_id = op_id_of(body.get("op_id"))
    allow = body.get("allow_unanswered", False)
    if not isinstance(allow, bool):
        raise Invalid(N_("allow_unanswered must be true or false"), field="allow_unanswered")
    base_rev = body.get("base_rev")
    if base_rev is not None and not _is_revision(base_rev):
        raise Invalid(N_("base_rev must be the record revision you last saw"), field="base_rev")
    summary = body.get("summary")
    if summary is not None and not (isinstance(summary, str) and len(summary) <= 128):
        raise Invalid(N_("summary must be the digest of the summary you were shown"),
                      field="summary")
    return FinalizeOp(op_id=op_id, allow_unanswered=allow, base_rev=base_rev, summary=summary)


def _item_base_rev(body: dict[str, Any]) -> int | None:
    base_rev = body.get("base_rev")
    if base_rev is not None and not _is_revision(base_rev):
        raise Invalid(N_("base_rev must be the item revision you last saw"), field="base_rev")
    return base_rev


def item_change(item: str, body: Any) -> ItemChange:
    """``{op_id, base_rev?, status?, progress_note?, reason?, comment?, finding?, …}`` →
    :class:`ItemChange` (texts cleaned, dates checked; ``BadChange`` names the field)."""
    body = json_object(body, ITEM_BODY_KEYS)
    op_id = op_id_of(body.get("op_id"))
    base_rev = _item_base_rev(body)
    return ItemChange(op_id=op_id, item=item, base_rev=base_rev,
                      change=changes.clean_change(body))


def item_review(item: str, body: Any) -> ItemReview:
    """``{op_id, base_rev, decision: verify | send_back, comment?}`` → :class:`ItemReview`."""
    body = json_object(body, REVIEW_BODY_KEYS)
    op_id = op_id_of(body.get("op_id"))
    decision = body.get("decision")
    if not isinstance(decision, str) or decision not in DECISIONS:
        raise Invalid(N_("decision must be verify or send_back"), field="decision")
    base_rev = _item_base_rev(body)
    comment = changes.clean_change({"comment": body.get("comment") or ""}).get("comment", "")
    return ItemReview(op_id=op_id, item=item, base_rev=base_rev, decision=decision,
                      comment=comment)


def new_item(body: Any) -> NewItem:
    """``{op_id, criterion?, finding, cause?, …, status?, reason?}`` → :class:`NewItem`."""
    body = json_object(body, NEW_ITEM_KEYS)
    op_id = op_id_of(body.get("op_id"))
    criterion = body.get("criterion") or None
    if criterion is not None and not isinstance(criterion, str):
        raise Invalid(N_("unknown criterion %(criterion)s", criterion=quoted(criterion)),
                      field="criterion")
    change = changes.clean_change({k: v for k, v in body.items() if k not in ("op_id", "criterion")})
    return NewItem(op_id=op_id, criterion=criterion, change=change)


def start_request(body: Any) -> StartRequest:
    """``{unit, checklist, period, kind, team?, number?, place?, another?}`` →
    :class:`StartRequest`."""
    body = json_object(body, START_BODY_KEYS)
    team = body.get("team") or []
    if not isinstance(team, list) or not all(isinstance(t, str) for t in team):
        raise Invalid(N_("team must be a list of usernames"), field="team")
    another = body.get("another", False)
    if not isinstance(another, bool):
        raise Invalid(N_("another must be true or false"), field="another")
    texts = {key: body.get(key) if body.get(key) is not None else ""
             for key in ("number", "place")}
    for key, value in texts.items():
        if not isinstance(value, str):  # never the Python form of a list on the minutes
            raise Invalid(N_("%(field)s must be text", field=key), field=key,
                          fields={key: N_("%(field)s must be text", field=key)})
    return StartRequest(unit=body.get("unit"), checklist=body.get("checklist"),
                        period=body.get("period"), kind=body.get("kind", "inspection"),
                        team=tuple(team), number=texts["number"], place=texts["place"],
                        another=another)
