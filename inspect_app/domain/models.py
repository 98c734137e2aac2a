"""Domain records: units, users, inspections, answers and remediation items.

Plain dataclasses with ``to_dict``/``from_dict`` so that any store can keep
them as JSON documents. ``SCHEMA`` is the version written with every document;
stores upgrade older documents on read (see ``inspect_app/storage``).
"""
from __future__ import annotations

import copy
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from .replay import compact_ops

SCHEMA = 2  # 2: remembered ops kept compact (domain/replay.py), lean answers

ROLES = ("admin", "inspector", "unit", "viewer")
INSPECTION_KINDS = ("inspection", "self_check", "assessment")
#: The stages of an assessment (DESIGN §10), in the only order they move in.
ASSESSMENT_STAGES = ("self", "appraisal1", "explanation", "appraisal2", "final")
#: The appraisal rounds of an assessment, each a set of answers of its own.
APPRAISAL_ROUNDS = ("appraisal1", "appraisal2")
INSPECTION_STATUSES = ("draft", "finalized")
TEAM_ROLES = ("lead", "member", "secretary")
ITEM_STATUSES = ("open", "in_progress", "done", "verified", "cannot_do", "no_action")
ITEM_CLOSED_STATUSES = ("done", "verified", "no_action")


def plain(value: Any) -> Any:
    """A record as plain JSON-ready data, fast: unlike ``dataclasses.asdict`` nothing is
    deep-copied, and fields marked ``metadata={"json": True}`` (the checklist snapshot,
    frozen score cards, remembered results: already plain data that is never mutated in
    place) are passed through as they are. Callers serialize the result at once."""
    if hasattr(value, "__dataclass_fields__"):
        out = {}
        for name, spec in value.__dataclass_fields__.items():
            item = getattr(value, name)
            if spec.metadata.get("lean") and _is_default(item, spec):
                continue  # a default the reader fills in again: not stored
            out[name] = item if spec.metadata.get("json") else plain(item)
        return out
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


JSON = {"json": True}
#: Fields left out of the stored form while empty (``from_dict`` restores the default).
LEAN = {"lean": True}


def _is_default(item: Any, spec: Any) -> bool:
    default = spec.default_factory() if spec.default is MISSING else spec.default
    return item is None if default is None else (type(item) is type(default) and item == default)


def _from_dict(cls, data: dict[str, Any]):
    """Build ``cls`` from a dict, ignoring keys the class does not know."""
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class Unit:
    """An inspected unit (a commune, ward, department…); ``parent`` is a unit code."""

    code: str
    name: str
    parent: str | None = None
    address: str = ""
    #: A unit merged into another (as in the reorganisation of 2025): the code of the
    #: unit that carries its history from ``merged_on`` (an ISO date, Vietnam time) on.
    merged_into: str | None = field(default=None, metadata=LEAN)
    merged_on: str | None = field(default=None, metadata=LEAN)
    #: Earlier names, oldest first, each ``{"name": …, "until": "YYYY-MM-DD"}`` (the last
    #: day it was used); ``name`` is the current one.
    former_names: list[dict[str, str]] = field(default_factory=list, metadata=LEAN)

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Unit:
        return _from_dict(cls, data)


@dataclass
class AuditEntry:
    """One administrator's action in the audit log: who (``by``: a username, or ``cli``
    for the command line), what (``action``, e.g. ``user.edit``, on ``target``), when
    (``at``, ISO UTC) and the record's relevant fields before and after (plain JSON,
    never a secret: a token is named by its id and label, a password only as "set")."""

    id: str
    at: str
    by: str
    action: str
    target: str = ""
    before: dict[str, Any] | None = field(default=None, metadata=JSON)
    after: dict[str, Any] | None = field(default=None, metadata=JSON)

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuditEntry:
        return _from_dict(cls, data)


@dataclass
class ApiToken:
    """An API token, stored only as its SHA-256 hash."""

    hash: str
    created_at: str
    label: str = ""
    last_used_at: str | None = None


@dataclass
class User:
    """A person who logs in. ``unit`` is set for (and only for) the ``unit`` role."""

    username: str
    role: str
    password_hash: str = ""
    unit: str | None = None
    full_name: str = ""
    position: str = ""  # chức vụ, printed in minutes
    email: str = ""  # where reminders are sent (empty: none are)
    active: bool = True
    tokens: list[ApiToken] = field(default_factory=list)
    created_at: str = ""
    #: Set by an administrator's password reset: the user must choose a new password
    #: (with the one they were given) before any other page opens.
    must_change_password: bool = False
    #: Raised each time the account is disabled: part of every session's id, so that the
    #: sessions of before stay ended when the account is enabled again.
    session_epoch: int = 0

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> User:
        data = dict(data)
        data["tokens"] = [ApiToken(**t) for t in data.get("tokens") or []]
        return _from_dict(cls, data)


@dataclass
class Answer:
    """The answer to one criterion as stored: the §4 answer plus its revision and author."""

    rev: int = 0
    value: Any = field(default=None, metadata=LEAN)  # None only: 0 and False are kept
    inputs: dict[str, Any] | None = field(default=None, metadata=LEAN)
    na: bool = field(default=False, metadata=LEAN)
    note: str = field(default="", metadata=LEAN)
    photos: list[str] = field(default_factory=list, metadata=LEAN)
    explanation: str = field(default="", metadata=LEAN)  # self-checks: why evidence is missing
    explain: bool = field(default=False, metadata=LEAN)  # appraisal round 1: ask the unit to explain
    by: str = ""
    at: str = ""
    # The record revision (Inspection.rev) that wrote this version of the answer, so that
    # "what changed since revision N" is answered from the record alone (0: written before
    # it was kept, older than any revision a page can hold).
    changed: int = field(default=0, metadata=LEAN)

    def content(self) -> dict[str, Any]:
        """The §4 answer (what scoring reads), without bookkeeping."""
        out: dict[str, Any] = {}
        if self.value is not None:
            out["value"] = self.value
        if self.inputs:
            out["inputs"] = dict(self.inputs)
        if self.na:
            out["na"] = True
        if self.note:
            out["note"] = self.note
        return out

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answer:
        return _from_dict(cls, data)


@dataclass
class Explanation:
    """A unit's explanation (*giải trình*) of one criterion of an assessment."""

    text: str = ""
    by: str = ""
    at: str = ""
    rev: int = 0
    photos: list[str] = field(default_factory=list, metadata=LEAN)

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Explanation:
        return _from_dict(cls, data)


@dataclass
class TeamMember:
    """A member of an inspection team (or the people doing a self-check)."""

    username: str
    role: str = "member"  # lead | member | secretary
    name: str = ""
    position: str = ""


@dataclass
class Event:
    """One line of a record's history: who did what, when, and why."""

    at: str
    by: str
    action: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class ProgressNote:
    """A progress update on a remediation item, with evidence photos."""

    at: str
    by: str
    note: str = ""
    photos: list[str] = field(default_factory=list)
    status: str | None = None


@dataclass
class RemediationItem:
    """One action of a remediation plan (DESIGN §8, DOMAIN §5)."""

    id: str
    inspection: str
    unit: str
    criterion: str | None  # None for a free finding
    finding: str = ""
    cause: str = ""
    action: str = ""
    owner: str = ""
    cooperating: str = ""
    due: str | None = None  # ISO date
    output: str = ""
    status: str = "open"
    reason: str = ""  # why no action is needed, or why it cannot be done
    rev: int = 1
    progress: list[ProgressNote] = field(default_factory=list)
    history: list[Event] = field(default_factory=list)
    created_at: str = ""
    source: str = "finding"  # finding | free | self_check_action
    done_at: str | None = None  # when it last became done (cleared if sent back)
    verified_at: str | None = None
    verified_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RemediationItem:
        data = dict(data)
        data["progress"] = [ProgressNote(**p) for p in data.get("progress") or []]
        data["history"] = [Event(**e) for e in data.get("history") or []]
        return _from_dict(cls, data)


@dataclass
class PhotoRef:
    """A stored photo and what it documents."""

    id: str
    by: str
    at: str
    criterion: str | None = None
    item: str | None = None
    width: int = 0
    height: int = 0
    bytes: int = 0


@dataclass
class Inspection:
    """An inspection or self-check of one unit against a frozen checklist snapshot."""

    id: str
    unit: str
    checklist: dict[str, Any] = field(metadata=JSON)  # {id, version, hash, title, data}: frozen
    period: str
    kind: str  # inspection | self_check
    status: str = "draft"
    team: list[TeamMember] = field(default_factory=list)
    answers: dict[str, Answer] = field(default_factory=dict)
    photos: dict[str, PhotoRef] = field(default_factory=dict)
    items: list[RemediationItem] = field(default_factory=list)
    score: dict[str, Any] | None = field(default=None, metadata=JSON)  # frozen once finalized
    created_by: str = ""
    created_at: str = ""
    updated_at: str = ""
    finalized_at: str | None = None
    finalized_by: str | None = None
    # The unit's representatives on the day it was finalized, as the minutes print them:
    # [{"name": …, "position": …}]; None (not stored) on a draft and on a record
    # finalized before they were kept, whose documents name the unit's officers of today.
    representatives: list[dict[str, str]] | None = field(
        default=None, metadata={"lean": True, "json": True})
    history: list[Event] = field(default_factory=list)
    # Every op_id applied, for the life of the record: {op key: "fingerprint target rev"}
    # (see domain/replay.py); plain strings, passed through as they are.
    ops: dict[str, str] = field(default_factory=dict, metadata=JSON)
    number: str = ""  # document number printed on the minutes, e.g. "12/BB-SNV"
    place: str = ""
    rev: int = 1  # record revision, bumped on every write
    # Assessments only (DESIGN §10): the stage, the appraisal rounds' answers
    # ({round: {criterion: Answer}}), the unit's explanations, and the cards frozen on
    # reaching ``final`` ({"self": card, "appraisal1": card, "appraisal2": card|None}).
    stage: str | None = field(default=None, metadata=LEAN)
    rounds: dict[str, dict[str, Answer]] = field(default_factory=dict, metadata=LEAN)
    explanations: dict[str, Explanation] = field(default_factory=dict, metadata=LEAN)
    cards: dict[str, Any] = field(default_factory=dict, metadata={"lean": True, "json": True})
    # An assessment round's deadlines, ISO dates in Vietnam time: {"self": …, "explain": …}.
    deadlines: dict[str, str] = field(default_factory=dict, metadata={"lean": True, "json": True})

    @property
    def checklist_id(self) -> str:
        return self.checklist.get("id", "")

    def member(self, username: str) -> TeamMember | None:
        return next((m for m in self.team if m.username == username), None)

    def item(self, item_id: str) -> RemediationItem | None:
        return next((i for i in self.items if i.id == item_id), None)

    @property
    def finalized_once(self) -> bool:
        """Finalized at least once (a reopened record was): its items are a plan."""
        return any(event.action == "finalized" for event in self.history)

    def answers_content(self) -> dict[str, dict[str, Any]]:
        """Answers in the §4 form that :func:`scoring.score` reads."""
        return {cid: a.content() for cid, a in self.answers.items()}

    def copy(self) -> Inspection:
        return copy.deepcopy(self)

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Inspection:
        data = dict(data)
        data["team"] = [TeamMember(**m) for m in data.get("team") or []]
        data["answers"] = {k: Answer.from_dict(v) for k, v in (data.get("answers") or {}).items()}
        data["photos"] = {k: PhotoRef(**v) for k, v in (data.get("photos") or {}).items()}
        data["items"] = [RemediationItem.from_dict(i) for i in data.get("items") or []]
        data["history"] = [Event(**e) for e in data.get("history") or []]
        data["ops"] = compact_ops(data.get("ops"))
        if data.get("rounds"):
            data["rounds"] = {name: {k: Answer.from_dict(v) for k, v in (answers or {}).items()}
                              for name, answers in data["rounds"].items()}
        if data.get("explanations"):
            data["explanations"] = {k: Explanation.from_dict(v)
                                    for k, v in data["explanations"].items()}
        return _from_dict(cls, data)


@dataclass
class ItemSummary:
    """What lists of remediation items across records show of an item (its card), kept
    in the index so that those lists never open an inspection file."""

    id: str
    inspection: str
    unit: str
    criterion: str | None = None
    finding: str = ""
    action: str = ""
    owner: str = ""
    due: str | None = None
    status: str = "open"
    rev: int = 1
    notes: int = 0  # how many progress notes
    done_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ItemSummary:
        return _from_dict(cls, data)


def done_moment(item: RemediationItem) -> str | None:
    """When the item last became done: ``done_at``, or for items stored before that field
    existed, the newest history line that set the status to done."""
    if item.done_at:
        return item.done_at
    for event in reversed(item.history):
        for change in event.detail.get("changes", ()):
            if change.get("field") == "status" and change.get("new") == "done":
                return event.at
    return None


def summarize_item(item: RemediationItem) -> ItemSummary:
    """The index entry of a remediation item. Its ``done_at`` is :func:`done_moment` for a
    done or verified item: one stored before that field existed is counted done when its
    history says (the dashboards, as criterion 1.5 counts it)."""
    return ItemSummary(id=item.id, inspection=item.inspection, unit=item.unit,
                       criterion=item.criterion, finding=item.finding, action=item.action,
                       owner=item.owner, due=item.due, status=item.status, rev=item.rev,
                       notes=len(item.progress),
                       done_at=done_moment(item) if item.status in ("done", "verified")
                       else item.done_at)


@dataclass
class InspectionSummary:
    """What lists and the index need of an inspection, without its answers."""

    id: str
    unit: str
    checklist_id: str
    checklist_version: str
    checklist_title: str
    period: str
    kind: str
    status: str
    team: list[str]
    created_by: str
    created_at: str
    finalized_at: str | None = None
    total: float | None = None
    max: float | None = None
    percent: float | None = None
    band: str | None = None
    items_total: int = 0
    items_open: int = 0  # not yet closed (done/verified/no_action)
    items_verified: int = 0
    next_due: str | None = None  # earliest due date among open items
    items: list[ItemSummary] = field(default_factory=list)  # the cards of its items
    stage: str | None = field(default=None, metadata=LEAN)  # assessments: the stage (§10)
    #: finalized at least once (reopened since, maybe): its items are the unit's plan
    finalized_once: bool = field(default=False, metadata=LEAN)

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InspectionSummary:
        if data.get("items"):
            data = {**data, "items": [ItemSummary.from_dict(i) for i in data["items"]]}
        return _from_dict(cls, data)


def summarize(inspection: Inspection) -> InspectionSummary:
    """The index entry of an inspection. It changes only on create, finalize, reopen,
    team and remediation changes, never on an answer, so autosaves leave the index alone."""
    score = inspection.score or {}
    open_items = [i for i in inspection.items if i.status not in ITEM_CLOSED_STATUSES]
    dues = sorted(i.due for i in open_items if i.due)
    return InspectionSummary(
        id=inspection.id, unit=inspection.unit, checklist_id=inspection.checklist_id,
        checklist_version=inspection.checklist.get("version", ""),
        checklist_title=inspection.checklist.get("title", ""),
        period=inspection.period, kind=inspection.kind, status=inspection.status,
        team=[m.username for m in inspection.team], created_by=inspection.created_by,
        created_at=inspection.created_at, finalized_at=inspection.finalized_at,
        total=score.get("total"), max=score.get("max"), percent=score.get("percent"),
        band=score.get("band"), items_total=len(inspection.items), items_open=len(open_items),
        items_verified=sum(1 for i in inspection.items if i.status == "verified"),
        next_due=dues[0] if dues else None,
        items=[summarize_item(i) for i in inspection.items],
        stage=inspection.stage, finalized_once=inspection.finalized_once,
    )
