"""Inspections and self-checks: start, read, save answers, finalize, reopen.

Every write goes through ``store.update_inspection`` so that the write protocol
of DESIGN §7 (op_id replay, base_rev conflicts, finalized lock) is checked and
applied in one atomic read-modify-write.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

try:  # the same digest without it, only slower (storage/files.py makes it optional too)
    import orjson
except ImportError:  # pragma: no cover
    orjson = None

from ..domain import assessment as stages
from ..domain import inspection as rules
from ..domain.access import Scope
from ..domain.checklist import Checklist, Criterion, parse_checklist
from ..domain.messages import N_, Message, criterion_label, joined
from ..domain.models import (
    INSPECTION_KINDS,
    Answer,
    Inspection,
    InspectionSummary,
    RemediationItem,
    TeamMember,
    Unit,
    User,
)
from ..domain.periods import PeriodError, default_period, fits_cadence, parse_period, period_of
from ..domain.remediation import (
    Corrections,
    apply_corrections,
    corrected_items,
    generate_items,
)
from ..domain.scoring import ScoreCard, score
from ..domain.text import SHORT_TEXT, TextProblem, clean_text, sort_key
from ..domain.units import carrier, merged_into_any, unit_order
from ..i18n import formatting
from ..storage import NotFound, Store, new_id
from ..storage.base import InspectionQuery, Page
from ..storage.checklist_files import ChecklistLibrary
from . import Conflict, Forbidden, Invalid, Missing, Refused, Unprocessable, clock
from .accounts import normalize_username
from .commands import AnswerOp, AppraisalOp, ExplanationOp, FinalizeOp, StartRequest, quoted
from .units import UNITS_LOCK, typed_code

T = TypeVar("T")
R = TypeVar("R")
log = logging.getLogger("inspect_app.services")


# ---------------------------------------------------------------- checklists of records

_CHECKLISTS: dict[str, Checklist] = {}


def checklist_of(inspection: Inspection) -> Checklist:
    """The frozen checklist an inspection was started with, parsed once per content hash
    (the hash is computed from the content when the snapshot is taken)."""
    snapshot = inspection.checklist
    checklist = _CHECKLISTS.get(snapshot["hash"])
    if checklist is None:
        if len(_CHECKLISTS) > 64:
            _CHECKLISTS.clear()
        checklist = _CHECKLISTS[snapshot["hash"]] = parse_checklist(
            snapshot["data"], f"snapshot {snapshot['hash'][:12]}", frozen=True)
    return checklist


def snapshot_of(checklist: Checklist) -> dict[str, Any]:
    """What an inspection keeps of its checklist: enough to score it forever."""
    return {"id": checklist.id, "version": checklist.version, "hash": checklist.hash,
            "title": checklist.title, "data": checklist.data}


#: Score cards by (checklist content hash, digest of the answers' content): scoring is a
#: pure function of the two, and a page view scores a record that has not changed since
#: the last view (the section page, the overview). Bounded; cleared when full.
_CARDS: dict[tuple[str, bytes], ScoreCard] = {}
_CARDS_MAX = 512


def answers_digest(content: dict[str, dict[str, Any]]) -> bytes:
    """A digest of answers in the §4 form, equal exactly when the content is (numbers of
    other types than JSON's keep their type in it)."""
    try:
        data = orjson.dumps(content, option=orjson.OPT_SORT_KEYS, default=repr)
    except (AttributeError, TypeError):  # no orjson, or an integer beyond 64 bits
        data = json.dumps(content, sort_keys=True, default=repr).encode()
    return hashlib.blake2b(data, digest_size=16).digest()


def live_card(inspection: Inspection) -> ScoreCard:
    """The score card of the current answers (checked against this same frozen
    checklist when they were saved), scored once per content and kept (callers only
    read a card)."""
    checklist = checklist_of(inspection)
    content = inspection.answers_content()
    key = (checklist.hash, answers_digest(content))
    card = _CARDS.get(key)
    if card is None:
        if len(_CARDS) >= _CARDS_MAX:
            _CARDS.clear()
        card = _CARDS[key] = score(checklist, content, validated=True)
    return card


def card_dict(inspection: Inspection) -> dict[str, Any]:
    """The frozen score card once finalized, else the live one (JSON-ready)."""
    if inspection.status == "finalized" and inspection.score:
        return inspection.score
    return live_card(inspection).as_dict()


# ---------------------------------------------------------------- access

def scope_for(store: Store, user: User) -> Scope:
    """The acting user with, for inspectors, the units they inspect (looked up only
    when a rule needs them). A merged unit's records follow it into its successor (DESIGN
    §8, ``domain/units.py``): a unit user sees its unit's history, an inspector that of the
    units they inspect — and of the unit that carries a merged one's history and open
    items today, so the items they raised stay theirs to follow up."""
    if user.role == "unit" and user.unit:
        return Scope(user=user, unit_codes=lambda: with_history(store, {user.unit}))
    if user.role != "inspector":
        return Scope(user=user)
    return Scope(user=user, inspected_units=lambda: inspected_units(store, user.username))


def inspected_units(store: Store, username: str) -> set[str]:
    """The units an inspector inspects: those of their records, the units carrying a
    merged one's history now, and the history of each."""
    codes, merges = store.units_with_member(username), store.unit_merges()
    if not merges:
        return set(codes)
    return merged_into_any(set(codes) | {carrier(c, merges) for c in codes}, merges)


def _day(iso: str | None) -> str:
    """An ISO date as the province writes it (DD/MM/YYYY)."""
    try:
        return _dt.date.fromisoformat(iso or "").strftime("%d/%m/%Y")
    except ValueError:
        return iso or "?"


def _unit_name(store: Store, code: str) -> str:
    """A unit as a message names it: its name (its code when it is not stored)."""
    found = store.get_unit(code)
    return found.name if found is not None else code


def with_history(store: Store, codes: Iterable[str]) -> set[str]:
    """``codes`` and every unit merged into one of them (directly or in turn): the units
    whose records are their history now."""
    merges = store.unit_merges()
    return merged_into_any(codes, merges) if merges else set(codes)


#: Rows per page of every list page.
PAGE_SIZE = 50


def visible_units(scope: Scope, unit: str | None = None,
                  units: Iterable[str] | None = None) -> frozenset[str] | None:
    """The units whose records a list may show the user (None: every unit), narrowed
    to ``unit`` and ``units`` when given: the access rules, applied before paging."""
    wanted: frozenset[str] | None = None
    if unit is not None:
        wanted = frozenset([unit])
    if units is not None:
        wanted = frozenset(units) if wanted is None else wanted & frozenset(units)
    if scope.sees_all_units():
        allowed = None
    elif scope.role == "unit":
        allowed = scope.unit_codes
    elif scope.role == "inspector":
        allowed = scope.inspected_units
    else:
        allowed = frozenset()
    if allowed is None:
        return wanted
    return allowed if wanted is None else wanted & allowed


def visible_query(scope: Scope, *, unit: str | None = None, units: Iterable[str] | None = None,
                  **filters: Any) -> InspectionQuery:
    """The index query of what the user may see with ``filters`` (period, checklist, kind,
    status, member, has_items, order). A unit's users never see another unit's records
    nor inspections that are not finalized; inspectors see the units they inspect."""
    return InspectionQuery(units=visible_units(scope, unit, units),
                           hide_draft_inspections=scope.role == "unit", **filters)


def following_merges(store: Store, filters: dict[str, Any]) -> dict[str, Any]:
    """``filters`` with a ``unit`` widened to the units merged into it: a list of a unit's
    records lists its history too (the old communes' records under the new one)."""
    unit = filters.get("unit")
    if unit is None:
        return filters
    codes = with_history(store, {unit})
    if len(codes) == 1:
        return filters
    widened = {k: v for k, v in filters.items() if k != "unit"}
    units = filters.get("units")
    widened["units"] = codes if units is None else codes & set(units)
    return widened


def visible(store: Store, scope: Scope, *, history: bool = True,
            **filters: Any) -> list[InspectionSummary]:
    """Index entries the user may see, newest first (a unit's list: with its history unless
    ``history`` is false — the records of exactly that unit)."""
    if history:
        filters = following_merges(store, filters)
    return store.query_inspections(visible_query(scope, **filters)).rows


def page_number(value: Any) -> int:
    """The page asked for in a query string: a whole number from 1 (anything else: 1)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return 1
    return max(1, min(number, 10**6))


def visible_page(store: Store, scope: Scope, page: int = 1, per_page: int = PAGE_SIZE,
                 **filters: Any) -> Page[InspectionSummary]:
    """Page ``page`` (from 1; past the end: the last page) of what the user may see (a
    unit's list: with its history)."""
    query = visible_query(scope, **following_merges(store, filters))
    return clamped(lambda offset, limit: store.query_inspections(query, offset=offset,
                                                                  limit=limit), page, per_page)


def clamped(fetch: Callable[[int, int], Page[T]], page: int, per_page: int) -> Page[T]:
    """``fetch(offset, limit)`` of page ``page``; a page past the end gives the last one."""
    result = fetch((page - 1) * per_page, per_page)
    last = max(1, -(-result.total // per_page))
    if page > last:
        result = fetch((last - 1) * per_page, per_page)
    return result


def load(store: Store, scope: Scope, inspection_id: str) -> Inspection:
    """An inspection the user may see; :class:`Missing` otherwise."""
    inspection = store.get_inspection(inspection_id) if _plausible_id(inspection_id) else None
    if inspection is None or not scope.can_view(inspection):
        raise Missing(N_("no such inspection"))
    return inspection


def _plausible_id(value: str) -> bool:
    return bool(value) and value.isalnum() and len(value) <= 40


def editable(store: Store, scope: Scope, inspection_id: str,
             allowed: Callable[[Inspection], bool] | None = None) -> Inspection:
    """An inspection the user may change: :class:`Missing` if they may not see it,
    :class:`Forbidden` if they may only see it."""
    inspection = load(store, scope, inspection_id)
    if not (allowed or scope.can_edit)(inspection):
        raise Forbidden(N_("you may look at this record but not change it"))
    return inspection


def check_access(scope: Scope, inspection: Inspection,
                 allowed: Callable[[Inspection], bool]) -> None:
    """Inside a transaction: :class:`Missing` unless the user may see the record,
    :class:`Forbidden` unless ``allowed``."""
    if not scope.can_view(inspection):
        raise Missing(N_("no such inspection"))
    if not allowed(inspection):
        raise Forbidden(N_("you may look at this record but not change it"))


# ---------------------------------------------------------------- start

#: The kinds the start form offers (assessments are started through the API).
START_FORM_KINDS = ("inspection", "self_check")

def start(store: Store, library: ChecklistLibrary, scope: Scope, request: StartRequest, *,
          today: _dt.date | None = None) -> Inspection:
    """Start an inspection (inspectors) or a self-check (a unit's own users).

    The period must be of the checklist's cadence (a week for a weekly checklist).
    A draft of the same unit, checklist, period and kind that the user may edit is
    answered with :class:`Conflict` carrying its id (``existing``): a self-check is
    never started twice for one period; a second inspection only with ``another``.
    Every wrong field is named in the refusal's ``fields``.
    """
    unit, checklist, period, kind = request.unit, request.checklist, request.period, request.kind
    team, another = request.team, request.another
    errors: dict[str, str] = {}
    if kind not in INSPECTION_KINDS:
        errors["kind"] = N_("kind must be one of %(kinds)s", kinds=", ".join(INSPECTION_KINDS))
    unit = typed_code(store, unit) if isinstance(unit, str) else unit  # "nt" is NT
    unit_record = store.get_unit(unit) if isinstance(unit, str) and unit else None
    if unit is None or unit == "":
        errors["unit"] = N_("give the unit")
    elif unit_record is None:
        errors["unit"] = N_("unknown unit %(unit)s", unit=quoted(unit))
    elif unit_record.merged_into:
        errors["unit"] = N_("%(unit)s was merged into %(into)s on %(on)s and gets no new "
                            "records: start one of %(into)s", unit=unit_record.name,
                            into=_unit_name(store, unit_record.merged_into),
                            on=_day(unit_record.merged_on))
    loaded = library.get(checklist) if isinstance(checklist, str) else None
    if checklist is None or checklist == "":
        errors["checklist"] = N_("give the checklist")
    elif loaded is None:
        errors["checklist"] = N_("unknown checklist %(checklist)s", checklist=quoted(checklist))
    elif library.retired(loaded.id):
        errors["checklist"] = N_("checklist %(checklist)s is retired: new records cannot use it",
                                 checklist=quoted(checklist))
    elif kind in INSPECTION_KINDS and loaded.kind not in (kind, "any"):
        errors["checklist"] = N_("checklist %(checklist)s is for %(its)s, not %(kind)s",
                                 checklist=quoted(checklist), its=loaded.kind, kind=kind)
    try:
        if not isinstance(period, str):
            raise PeriodError(N_("%(value)s is not a period: send it as text, like \"2025\" "
                                 "or \"2025-Q1\"", value=json.dumps(period, ensure_ascii=False, default=str)))
        parsed = parse_period(period)
    except PeriodError as exc:
        errors["period"] = exc.args[0] if exc.args else str(exc)
    else:
        period = parsed.code
        if loaded is not None and not fits_cadence(parsed, loaded.period_kind):
            errors["period"] = cadence_message(loaded, today or clock.today())

    def one_line(field: str, label: str, value: str) -> str:
        try:
            return clean_text(value, field=field, label=label, limit=SHORT_TEXT, multiline=False)
        except TextProblem as problem:
            errors[field] = problem.message
            return ""

    number = one_line("number", N_("Document number"), request.number)
    place = one_line("place", N_("Place"), request.place)
    if errors:
        raise Invalid(joined(errors.values()), fields=errors)
    if not scope.can_start(kind, unit):
        if scope.role == "unit" and unit != scope.user.unit:
            raise Missing(N_("unknown unit"))  # another unit's user learns nothing about it
        raise Forbidden(N_("your role cannot start this"))
    user = scope.user
    members = [TeamMember(username=user.username, role="lead",
                          name=getattr(user, "full_name", ""), position=getattr(user, "position", ""))]
    for username in team or []:
        username = normalize_username(username) if isinstance(username, str) else username
        if username == user.username or any(m.username == username for m in members):
            continue
        mate = store.get_user(username)
        refusal = None
        if mate is None or not mate.active:
            refusal = N_("unknown user %(username)s", username=quoted(username))
        elif kind in ("inspection", "assessment") and mate.role not in ("inspector", "admin"):
            refusal = N_("%(username)s is not an inspector", username=username)
        elif kind == "self_check" and not (mate.role == "unit" and mate.unit == unit):
            refusal = N_("%(username)s is not a user of this unit", username=username)
        if refusal is not None:  # the field says why, as every field does; ``user``: who
            raise Invalid(refusal, fields={"team": refusal}, user=username)
        members.append(TeamMember(username=mate.username, role="member", name=mate.full_name,
                                  position=mate.position))
    # The check for an open draft and the new record's write, one start at a time, and
    # none during a write of units: two users starting the same self-check at one moment
    # would both find none, and a unit merged meanwhile would get a record.
    with store.exclusive(UNITS_LOCK):
        now_unit = store.get_unit(unit)
        if now_unit is not None and now_unit.merged_into:  # merged while this was checked
            merged = N_("%(unit)s was merged into %(into)s on %(on)s and gets no new records: "
                        "start one of %(into)s", unit=now_unit.name,
                        into=_unit_name(store, now_unit.merged_into), on=_day(now_unit.merged_on))
            raise Invalid(merged, fields={"unit": merged})
        drafts = open_drafts(store, scope, unit=unit, checklist=loaded.id, period=period,
                             kind=kind)
        if drafts and (kind == "self_check" or not another):
            raise Conflict(N_("A draft of this checklist for %(unit)s and %(period)s is "
                              "already open: continue it instead of starting another.",
                              unit=unit_record.name, period=period),
                           existing=drafts[0].id, another_allowed=kind != "self_check")
        now = clock.now_iso()
        inspection = Inspection(
            id=new_id(), unit=unit, checklist=snapshot_of(loaded), period=period, kind=kind,
            team=members, created_by=user.username, created_at=now, updated_at=now,
            number=number, place=place, stage="self" if kind == "assessment" else None,
        )
        rules.add_event(inspection, user.username, now, "started")
        store.add_inspection(inspection)
    log.info("started %s=%s unit=%s checklist=%s period=%s by=%s", kind, inspection.id, unit,
             loaded.id, period, user.username)
    return inspection


_CADENCE_MESSAGES = {
    "week": N_("“%(checklist)s” is filled every week: give the week (ISO week), like %(example)s."),
    "month": N_("“%(checklist)s” is filled every month: give the month, like %(example)s."),
    "quarter": N_("“%(checklist)s” is filled every quarter: give the quarter, like %(example)s."),
    "half": N_("“%(checklist)s” is filled every half year: give the half year, like %(example)s."),
    "year": N_("“%(checklist)s” is filled once a year: give the year, like %(example)s."),
}


def cadence_message(checklist: Checklist, day: _dt.date) -> Message:
    """Why a period of another kind is refused for ``checklist``, with the current one
    of its cadence as the example."""
    kind = checklist.period_kind or "year"
    template = _CADENCE_MESSAGES[kind]
    return N_(template.template, checklist=checklist.title, example=period_of(kind, day))


def open_drafts(store: Store, scope: Scope, *, unit: str, checklist: str, period: str,
                kind: str) -> list[InspectionSummary]:
    """The drafts of this unit, checklist, period and kind the user could continue (may
    edit), newest first: another team's inspection of the same unit is not one of them;
    a draft of a unit merged into this one is (its work is this unit's now)."""
    return [s for s in visible(store, scope, unit=unit, checklist=checklist, period=period,
                               kind=kind, status="draft", history=True) if scope.can_edit(s)]


@dataclass(frozen=True)
class PeriodChoice:
    """The period a start form proposes for one checklist: the current one of its cadence
    (``cadence`` None: any kind of period may be given)."""

    default: str
    cadence: str | None


@dataclass(frozen=True)
class StartOptions:
    """What the start form offers the user: the kinds they may start (``kind`` first
    chosen), the units, the usable checklists (those made for ``kind`` first, so that the
    first choice fits the proposed period), the period per checklist and the team mates."""

    kind: str
    kinds: tuple[str, ...]
    units: list[Unit]
    checklists: list[Checklist]
    periods: dict[str, PeriodChoice]
    mates: list[User]


def start_options(store: Store, library: ChecklistLibrary, scope: Scope, kind: str,
                  today: _dt.date) -> StartOptions:
    """The start form's choices for ``kind`` (a unit's users start self-checks of their
    unit, inspectors inspections; an administrator either, with every checklist)."""
    user = scope.user
    units = sorted((u for u in store.list_units() if not u.merged_into), key=unit_order)
    kinds: tuple[str, ...] = START_FORM_KINDS
    if user.role == "unit":
        units = [u for u in units if u.code == user.unit]
        kinds = ("self_check",)
    elif user.role == "inspector":
        kinds = ("inspection",)
    if kind not in kinds:
        kind = kinds[0]
    usable = [c for c in library.all() if c.kind in (kind, "any") or user.role == "admin"]
    usable.sort(key=lambda c: c.kind != kind)
    periods = {c.id: PeriodChoice(default_period(c.period_kind, kind, today), c.period_kind)
               for c in usable}
    mates = [u for u in store.list_users() if u.username != user.username and u.active and (
        u.role in ("inspector", "admin") if kind == "inspection"
        else (u.role == "unit" and u.unit == user.unit))]
    mates.sort(key=lambda u: (sort_key(u.display_name), u.username))
    return StartOptions(kind=kind, kinds=kinds, units=units, checklists=usable, periods=periods,
                        mates=mates)


# ---------------------------------------------------------------- joining a team

def join_target(store: Store, scope: Scope, inspection_id: str) -> tuple[Inspection, bool]:
    """The inspection a team mate's QR code opens (the caller checked the signed link),
    and whether the user is already on its team (an administrator counts as one).
    :class:`Missing` for anything but an inspection and an inspector or administrator;
    :class:`~inspect_app.domain.inspection.Locked` when it is finalized."""
    user = scope.user
    inspection = store.get_inspection(inspection_id) if _plausible_id(inspection_id) else None
    if user.role not in ("inspector", "admin") or inspection is None \
            or inspection.kind != "inspection":
        raise Missing(N_("no such inspection"))
    if scope.on_team(inspection) or user.role == "admin":
        return inspection, True
    if inspection.status != "draft":
        raise rules.Locked(N_("This inspection is finalized: nobody can join its team any more."),
                           status=inspection.status)
    return inspection, False


def join(store: Store, scope: Scope, inspection_id: str) -> Inspection:
    """Add the user to the inspection's team (nothing when already on it), in one
    read-modify-write that refuses a record finalized meanwhile."""
    join_target(store, scope, inspection_id)
    user = scope.user

    def add_member(record: Inspection) -> Inspection:
        rules.ensure_draft(record)
        if not any(m.username == user.username for m in record.team):
            record.team.append(TeamMember(username=user.username, role="member",
                                          name=user.full_name, position=user.position))
            rules.add_event(record, user.username, clock.now_iso(), "joined")
            log.info("joined inspection=%s by=%s", record.id, user.username)
        return record

    return run_change(store, inspection_id, add_member)


# ---------------------------------------------------------------- the write protocol

class _Replay(Exception):
    """Leaves a transaction without writing: the op was applied before."""

    def __init__(self, result: Any):
        self.result = result


#: What an applied write returns: its result and what the record remembers of it —
#: (target kind, target, rev), see ``domain/replay.py``.
Applied = tuple[R, tuple[str, str, int]]


def run_op(store: Store, inspection_id: str, op_id: str, digest: str,
           apply: Callable[[Inspection, str], Applied],
           rebuild: Callable[[Inspection, Any], R],
           scope: Scope | None = None,
           allowed: Callable[[Inspection], bool] | None = None) -> R:
    """Run one write operation with replay and conflict handling; returns its result.

    A retried ``op_id`` (however old) is answered by ``rebuild(record, memo)`` from the
    current record and writes nothing. With ``scope`` and ``allowed`` the access check
    runs inside the same transaction, so that the write reads its record once: whether
    the user may see the record first, then the replay, then whether they may do this
    now (a unit's submit retried after its response was lost is answered as it was, though
    the record has moved on to a stage only the province may end).
    """
    def change(inspection: Inspection):
        if scope is not None and allowed is not None and not scope.can_view(inspection):
            raise Missing(N_("no such inspection"))
        memo = rules.replayed(inspection, op_id, digest)
        if memo is not None:
            raise _Replay(rebuild(inspection, memo))
        if scope is not None and allowed is not None:
            check_access(scope, inspection, allowed)
        at = clock.now_iso()
        result, (kind, target, rev) = apply(inspection, at)
        rules.remember(inspection, op_id, digest, kind, target, rev)
        return result

    if not _plausible_id(inspection_id):
        raise Missing(N_("no such inspection"))
    try:
        return run_change(store, inspection_id, change)
    except _Replay as replay:
        return replay.result


def run_change(store: Store, inspection_id: str, change: Callable[[Inspection], R]) -> R:
    """``store.update_inspection``: a refusal raised by ``change`` leaves the record as it
    was; a record that vanished is :class:`Missing`."""
    try:
        return store.update_inspection(inspection_id, change)
    except NotFound:
        raise Missing(N_("no such inspection")) from None


# ---------------------------------------------------------------- answers

@dataclass(frozen=True)
class SaveResult:
    """A saved answer: the stored answer, the revision the op produced (a replay: the
    first one), and the live score card of the whole record after it."""

    criterion: Criterion
    rev: int
    answer: Answer | None
    card: ScoreCard
    replayed: bool = False


def save_answer(store: Store, scope: Scope, inspection_id: str, op: AnswerOp) -> SaveResult:
    """Replace one answer under the write protocol (DESIGN §5, §7). The card is scored
    once, after the change (the answer was validated by ``put_answer``)."""
    content = clean_answer(store, scope, inspection_id, op.criterion, op.content())
    digest = rules.fingerprint("answer", op.criterion, content)
    by = scope.user.username
    read: list[Inspection] = []  # the record as the write read it (a conflict names its team)

    def apply(inspection: Inspection, at: str):
        read[:] = [inspection]
        checklist = checklist_of(inspection)
        stages.ensure_before_deadline(inspection, "self", clock.today())
        answer = rules.put_answer(inspection, checklist, op.criterion, content, op.base_rev,
                                  by, at)
        card = score(checklist, inspection.answers_content(), validated=True)
        stored = inspection.answers.get(op.criterion)
        return (SaveResult(checklist.criterion(op.criterion), stored.rev if stored else 0,
                           stored, card),
                ("a", op.criterion, answer.rev))

    def rebuild(inspection: Inspection, memo) -> SaveResult:
        checklist = checklist_of(inspection)
        card = score(checklist, inspection.answers_content(), validated=True)
        return SaveResult(checklist.criterion(memo.target), memo.rev,
                          inspection.answers.get(memo.target), card, replayed=True)

    try:
        return run_op(store, inspection_id, op.op_id, digest, apply, rebuild, scope,
                      scope.can_edit)
    except Conflict as conflict:
        current = conflict.details.get("current")
        if isinstance(current, dict) and current.get("by"):
            # "changed by a team mate": the conflict box names them as /changes and the
            # rest of the page do, by their name on the record's team
            current["by_name"] = author_names(store, read[0] if read else None,
                                              [current["by"]])[current["by"]]
        raise


def author_names(store: Store, inspection: Inspection | None,
                 usernames: Iterable[str]) -> dict[str, str]:
    """The full name of each author of an answer: as on the record's team, else the
    account's full name, else the username (an account removed since)."""
    names: dict[str, str] = {}
    for username in set(usernames):
        member = inspection.member(username) if inspection is not None else None
        if member is not None and member.name:
            names[username] = member.name
            continue
        user = store.get_user(username) if username else None
        names[username] = (user.full_name if user is not None else "") or username
    return names


#: The largest revision ``since`` may name (far above any record's revision count).
MAX_REVISION = 10**12


def parse_since(value: Any) -> int:
    """The ``since`` of a changes request: a whole number from 0, written in digits;
    :class:`Invalid` otherwise."""
    text = value if isinstance(value, str) else ""
    if not (text.isascii() and text.isdigit()) or len(text) > 13 or int(text) > MAX_REVISION:
        raise Invalid(N_("since must be a record revision: a whole number from 0 (the rev "
                         "of the record you last saw)"), field="since")
    return int(text)


def changes_since(store: Store, scope: Scope, inspection_id: str, since: int,
                  section: str | None = None) -> dict[str, Any]:
    """What a team mate's phone needs to follow an open record: every answer written after
    record revision ``since`` (with its author's full name, the time and its score-card
    line), the record's current ``rev`` to ask from next time, its status, and, when
    something changed, the live ``totals`` (of ``section`` too, when it is one of the
    checklist's; a section it has not is :class:`Invalid`). Access as for reading the
    record (404 when it may not be seen)."""
    inspection = load(store, scope, inspection_id)
    wanted = None
    if section:
        wanted = checklist_of(inspection).section(section)
        if wanted is None:  # a typo would read as a section without figures
            raise Invalid(N_("the checklist has no section %(section)s",
                             section=quoted(section[:100])), field="section")
    out: dict[str, Any] = {"rev": inspection.rev, "status": inspection.status, "changes": []}
    changed = rules.changed_since(inspection, since) if since < inspection.rev else []
    if not changed:
        return out
    card = live_card(inspection)
    names = author_names(store, inspection, [a.by for _cid, a in changed])
    for criterion_id, answer in changed:
        line = card.line(criterion_id)
        out["changes"].append({
            "criterion": criterion_id, "rev": answer.rev, "changed": answer.changed,
            "answer": rules.answer_dict(answer, criterion_id),
            "by": answer.by, "by_name": names.get(answer.by, answer.by), "at": answer.at,
            "line": line.as_dict() if line is not None else None})
    out["totals"] = totals_of(card, wanted.id if wanted else None)
    return out


def clean_answer(store: Store, scope: Scope, inspection_id: str, criterion_id: str,
                 content: dict[str, Any]) -> dict[str, Any]:
    """The texts of an answer cleaned (``domain/text.clean_text``); a refusal names the
    criterion by number and text, and the input by its label."""
    try:
        return rules.clean_answer_texts(content)
    except TextProblem:
        pass  # said again below with the checklist's words (the record is read only now)
    criterion = checklist_of(load(store, scope, inspection_id)).criterion(criterion_id)
    try:
        return rules.clean_answer_texts(content, criterion)
    except TextProblem as problem:
        raise Invalid(N_("%(criterion)s: %(problem)s",
                         criterion=criterion_label(criterion) if criterion else criterion_id,
                         problem=problem.message),
                      field=problem.field, criterion=criterion_id) from None


@dataclass
class SectionResult:
    """What the no-JavaScript save of a section did, criterion by criterion: the ones
    saved, the ones a team mate changed meanwhile (their current answer, to compare),
    and the ones refused (the messages, naming the criterion's problems)."""

    saved: list[str] = field(default_factory=list)
    conflicts: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: dict[str, list[Any]] = field(default_factory=dict)


def totals_of(card: ScoreCard, section_id: str | None) -> dict[str, Any]:
    """The live totals a phone shows: total, max, percent, band, bonus, penalty, and
    ``answered``/``criteria`` — the criteria that need an answer (ScoreCard.progress) —
    overall and (with ``section_id``) in that section, with the section's figures."""
    progress = card.progress()
    out = {**{k: v for k, v in card.as_dict().items()
              if k in ("total", "max", "percent", "band", "bonus", "penalty")},
           "answered": progress.answered, "criteria": progress.total}
    if section_id is not None:
        section, section_progress = card.section(section_id), card.progress(section_id)
        out.update(section_answered=section_progress.answered,
                   section_criteria=section_progress.total,
                   section=section.as_dict() if section else None)
    return out


OpT = TypeVar("OpT", AnswerOp, AppraisalOp, ExplanationOp)


def from_a_page(apply: Callable[[OpT], T], op: OpT) -> T:
    """Apply an op a page made for one criterion (its op_id made when the page was shown).

    The page sent twice as it was is applied once. Sent again with other content (the
    browser's Back, a correction, Save) its op_id was spent by the first send: that is a
    new change, applied as a new op and still checked against the revision the page
    showed (:class:`~inspect_app.domain.inspection.Stale` when it changed since)."""
    return page_write(lambda op_id: apply(op if op_id == op.op_id
                                          else dataclasses.replace(op, op_id=op_id)), op.op_id)


def page_write(write: Callable[[str], T], op_id: str) -> T:
    """:func:`from_a_page` for a write given its op_id (a photo added or removed from a
    page): the page sent twice is applied once; shown again and used for another change,
    that change gets an op_id of its own."""
    try:
        return write(op_id)
    except rules.OpReused:
        return write(str(uuid.uuid4()))


def save_section(store: Store, scope: Scope, inspection_id: str,
                 ops: Iterable[AnswerOp]) -> SectionResult:
    """The no-JavaScript path (DESIGN §7): the changed answers of a section, each saved as
    its own protected op, so that a conflict is reported for its criterion and never
    overwrites a team mate's newer answer. A record that cannot take any answer (it was
    finalized meanwhile) stops the save with that :class:`Conflict`; a page sent again
    with other content is saved as :func:`from_a_page` says."""
    result = SectionResult()
    for op in ops:
        try:
            from_a_page(lambda op: save_answer(store, scope, inspection_id, op), op)
        except rules.Stale as stale:
            result.conflicts[op.criterion] = stale.details["current"]
        except (Conflict, Missing, Forbidden):
            raise
        except Refused as refused:
            result.problems[op.criterion] = list(refused.details.get("problems")
                                                 or [refused.message])
        else:
            result.saved.append(op.criterion)
    return result


# ---------------------------------------------------------------- finalize and reopen

def finalize_offered(scope: Scope, inspection: Inspection) -> bool:
    """Whether the pages offer this user to finalize the record now: it can be finalized
    (:func:`~inspect_app.domain.inspection.finalizable`) and they may."""
    return rules.finalizable(inspection) and can_finalize(scope, inspection)


def can_finalize(scope: Scope, inspection: Inspection) -> bool:
    """Who may finalize: the team lead or an admin; for a self-check any user of the unit (or of the unit it was merged into)
    (whether the record can be finalized is :func:`~inspect_app.domain.inspection.
    finalizable`)."""
    if scope.role == "admin":
        return True
    if inspection.kind == "self_check":
        return scope.role == "unit" and inspection.unit in scope.unit_codes
    return scope.is_lead(inspection)


def officers(store: Store, unit: str) -> list[dict[str, str]]:
    """The unit's active officers as the minutes name its representatives: name, position."""
    return [{"name": u.full_name or u.username, "position": u.position}
            for u in store.list_users() if u.role == "unit" and u.unit == unit and u.active]


def representatives(store: Store, inspection: Inspection) -> list[dict[str, str]]:
    """The unit's representatives a document of the record names: a finalized record's
    are those of its day (stored on finalizing); a draft's, and those of a record
    finalized before they were stored, the unit's officers of today."""
    if inspection.status == "finalized" and inspection.representatives is not None:
        return inspection.representatives
    return officers(store, inspection.unit)


@dataclass(frozen=True)
class Finalized:
    """A finalized record (with its frozen score and remediation items)."""

    inspection: Inspection
    replayed: bool = False


def finalize(store: Store, scope: Scope, inspection_id: str, op: FinalizeOp, *,
             today: _dt.date | None = None) -> Finalized:
    """Freeze the score card, lock the record and create remediation items.

    :class:`Unprocessable` with the unanswered criteria unless ``allow_unanswered``; for
    self-checks with the criteria that still need evidence or an explanation.
    """
    record = editable(store, scope, inspection_id, lambda i: can_finalize(scope, i))
    allow = op.allow_unanswered
    digest = rules.fingerprint("finalize", inspection_id, {"allow_unanswered": allow})
    by = scope.user.username
    day = today or clock.today()
    present = officers(store, record.unit)  # the unit's representatives of this day

    def apply(inspection: Inspection, at: str):
        rules.ensure_finalizable(inspection)
        merges = store.unit_merges()  # read under UNITS_LOCK: no merge moves items meanwhile
        if op.base_rev is not None and op.base_rev != inspection.rev:
            # a team mate saved something after the summary was shown: never freeze a
            # score or items that the one finalizing has not seen
            raise rules.Stale(N_("answers changed after this summary was shown: look at it "
                                 "again before finalizing"), current={"rev": inspection.rev})
        plan = closing(inspection, allow_unanswered=allow, day=day, at=at, by=by,
                       merges=merges)
        card, unanswered = plan.card, plan.unanswered
        if unanswered and not allow:
            raise Unprocessable(
                N_("%(count)s criteria are unanswered; answer them or finalize with "
                   "allow_unanswered", count=len(unanswered)), unanswered=unanswered)
        if plan.missing_evidence:
            checklist = checklist_of(inspection)
            raise Unprocessable(
                N_("these criteria need evidence (a note or a photo) or a written explanation: "
                   "%(criteria)s", criteria=joined(
                       [criterion_label(checklist.criterion(c)) for c in plan.missing_evidence],
                       "; ")),
                missing_evidence=plan.missing_evidence)
        if op.summary is not None and op.summary != plan.digest:
            # not what the confirmed summary said (a team mate's answer or plan entry)
            raise rules.Stale(N_("answers changed after this summary was shown: look at it "
                                 "again before finalizing"), current={"rev": inspection.rev})
        plan.apply_items(inspection, at=at, by=by)
        inspection.status = "finalized"
        inspection.score = card.as_dict()
        inspection.finalized_at, inspection.finalized_by = at, by
        inspection.representatives = present
        inspection.updated_at = at
        rules.add_event(inspection, by, at, "finalized", unanswered=unanswered,
                        percent=inspection.score["percent"],
                        **({"withdrawn": plan.withdrawn} if plan.withdrawn else {}))
        return Finalized(inspection), ("f", "", inspection.rev)

    # the new items go to the unit carrying the record's unit: no merge in between
    with store.exclusive(UNITS_LOCK):
        done = run_op(store, inspection_id, op.op_id, digest, apply,
                      lambda inspection, memo: Finalized(inspection, replayed=True))
    if not done.replayed:
        log.info("finalized %s=%s percent=%s items=%d by=%s", done.inspection.kind, inspection_id,
                 done.inspection.score["percent"], len(done.inspection.items), by)
    return done


@dataclass
class Closing:
    """What finalizing a draft now would do: the card it freezes, the remediation items it
    creates, and what still stands in its way (unanswered criteria, missing evidence)."""

    card: ScoreCard
    items: list[RemediationItem]
    unanswered: list[str]
    missing_evidence: list[str]
    allow_unanswered: bool
    #: Items of an earlier finalize that this one withdraws, restores or updates (their
    #: criterion or action line was corrected after a reopen, see
    #: ``domain/remediation.corrected_items``).
    corrections: Corrections = field(default_factory=Corrections)
    merges: dict[str, str] = field(default_factory=dict)  # Store.unit_merges, for restored items

    @property
    def digest(self) -> str:
        """A digest of what this summary says finalizing does (score, lines, items made,
        corrected, what stands in the way): the confirmation page's, checked again by the
        finalize it sends (``FinalizeOp.summary``)."""
        card = self.card.as_dict()
        return rules.fingerprint("summary", "", {
            "card": {k: card.get(k) for k in ("total", "max", "percent", "band")},
            "lines": [(c.get("id"), c.get("status"), c.get("points"))
                      for c in card.get("criteria", ())],
            "items": [(i.criterion, i.source, i.action, i.finding, i.owner, i.due, i.unit)
                      for i in self.items],
            "corrections": [self.corrections.withdraw, self.corrections.restore,
                            sorted(self.corrections.update.items())],
            "unanswered": self.unanswered, "missing": self.missing_evidence,
            "allow": self.allow_unanswered})

    @property
    def withdrawn(self) -> list[str]:
        return self.corrections.withdraw

    @property
    def restored(self) -> list[str]:
        return self.corrections.restore

    @property
    def blocked(self) -> bool:
        """True when finalizing would be refused (:class:`Unprocessable`)."""
        return bool(self.missing_evidence or (self.unanswered and not self.allow_unanswered))

    def apply_items(self, inspection: Inspection, *, at: str, by: str) -> None:
        """Put the plan into the record: corrections first, then the new items."""
        apply_corrections(inspection, self.corrections, at=at, by=by, merges=self.merges)
        inspection.items.extend(self.items)


def closing(inspection: Inspection, *, allow_unanswered: bool, day: _dt.date, at: str,
            by: str, answers: dict[str, Answer] | None = None,
            merges: dict[str, str] | None = None) -> Closing:
    """What finalizing ``inspection`` would do (the one computation that both the
    confirmation summary and :func:`finalize` use, and an assessment reaching ``final``
    with its final round's ``answers``). ``merges`` (``Store.unit_merges``): a unit merged
    meanwhile hands the new items to the unit it was merged into, as a merge does."""
    checklist = checklist_of(inspection)
    content = (inspection.answers_content() if answers is None
               else {cid: a.content() for cid, a in answers.items()})
    card = score(checklist, content, validated=True)
    items = generate_items(inspection, checklist, card, include_unanswered=allow_unanswered,
                           finalized_on=day, at=at, by=by, number_text=formatting.number,
                           answers=answers, unit=carrier(inspection.unit, merges or {}))
    corrections = corrected_items(inspection, card, include_unanswered=allow_unanswered,
                                  checklist=checklist, answers=answers,
                                  number_text=formatting.number)
    return Closing(card=card, items=items, unanswered=[line.id for line in card.unanswered],
                   missing_evidence=(rules.missing_evidence(inspection, checklist)
                                     if answers is None else []),
                   allow_unanswered=allow_unanswered, corrections=corrections,
                   merges=dict(merges or {}))


def finalize_preview(store: Store, scope: Scope, inspection_id: str, *, allow_unanswered: bool,
                     today: _dt.date | None = None) -> tuple[Inspection, Closing]:
    """The record and what finalizing it now would do, for the confirmation step; nothing
    is written. Refused as finalizing is (:func:`~inspect_app.domain.inspection.
    ensure_finalizable`: a finalized record, an assessment)."""
    inspection = editable(store, scope, inspection_id, lambda i: can_finalize(scope, i))
    rules.ensure_finalizable(inspection)
    return inspection, closing(inspection, allow_unanswered=allow_unanswered,
                               day=today or clock.today(), at=clock.now_iso(),
                               by=scope.user.username, merges=store.unit_merges())


def reopen(store: Store, scope: Scope, inspection_id: str, reason: str) -> Inspection:
    """Unlock a finalized record (admin or team lead), recording who, when and why."""
    editable(store, scope, inspection_id, scope.can_reopen)
    try:
        reason = clean_text(reason, field="reason", label=N_("Reason"))
    except TextProblem as problem:
        raise Invalid(problem.message, field="reason") from None
    if not reason:
        raise Invalid(N_("give the reason for reopening"), field="reason")

    def change(inspection: Inspection) -> Inspection:
        if inspection.status != "finalized":
            raise Conflict(N_("only a finalized record can be reopened"))
        if inspection.kind == "assessment":
            raise Conflict(N_("a final assessment cannot be reopened"))
        at = clock.now_iso()
        inspection.status = "draft"
        inspection.updated_at = at
        rules.add_event(inspection, scope.user.username, at, "reopened", reason=reason,
                        previous_percent=(inspection.score or {}).get("percent"))
        inspection.score = None
        inspection.finalized_at = inspection.finalized_by = None
        inspection.representatives = None  # the next finalizing takes that day's
        return inspection

    reopened = run_change(store, inspection_id, change)
    log.info("reopened inspection=%s by=%s", inspection_id, scope.user.username)
    return reopened


# ---------------------------------------------------------------- self-check versus inspection

def counterpart(store: Store, scope: Scope, inspection: Inspection) -> InspectionSummary | None:
    """For an inspection, the newest visible self-check of the same unit, checklist and
    period; for a self-check, the newest visible inspection — a finalized one before any
    draft (a second self-check just started is not what the unit scored, and the
    dashboards' gap panel compares the finalized ones too). None if there is none."""
    other_kind = "self_check" if inspection.kind == "inspection" else "inspection"
    matches = visible(store, scope, unit=inspection.unit, period=inspection.period,
                      checklist=inspection.checklist_id, kind=other_kind, history=False)
    done = [m for m in matches if m.status == "finalized"]
    return (done or matches)[0] if matches else None


def comparison(store: Store, scope: Scope, inspection_id: str):
    """(inspection, self-check, gaps) for an inspection or a self-check of it."""
    from ..domain.compare import compare

    record = load(store, scope, inspection_id)
    other = counterpart(store, scope, record)
    if other is None:
        raise Missing(N_("there is no self-check and inspection of the same unit, checklist "
                         "and period to compare"))
    other_record = load(store, scope, other.id)
    inspection, self_check = ((record, other_record) if record.kind == "inspection"
                              else (other_record, record))
    # Finalized answers cannot change, so the live card of a finalized record is its frozen one.
    gaps = compare(checklist_of(inspection), live_card(self_check), live_card(inspection))
    return inspection, self_check, gaps


# ---------------------------------------------------------------- API form

def inspection_dict(inspection: Inspection, *, include_items: bool = False,
                    scope: Scope | None = None) -> dict[str, Any]:
    """The API form of an inspection (DESIGN §5); an assessment's adds its stage, rounds,
    explanations and scores (DESIGN §10) as ``scope`` may see them (without a scope:
    as the unit sees them)."""
    out = {
        "id": inspection.id, "unit": inspection.unit,
        "checklist": {k: inspection.checklist.get(k) for k in ("id", "version", "hash", "title")},
        "period": inspection.period, "kind": inspection.kind, "status": inspection.status,
        "team": [{"username": m.username, "role": m.role} for m in inspection.team],
        "answers": {cid: rules.answer_dict(a, cid) for cid, a in inspection.answers.items()},
        "score": card_dict(inspection),
        "created_at": inspection.created_at, "created_by": inspection.created_by,
        "finalized_at": inspection.finalized_at, "finalized_by": inspection.finalized_by,
        "rev": inspection.rev,
    }
    if inspection.kind == "assessment":
        from .assessments import assessment_parts

        out.update(assessment_parts(inspection, scope))
    if include_items:
        out["remediation"] = [item_dict(i) for i in inspection.items]
    return out


def item_dict(item) -> dict[str, Any]:
    """The API form of a remediation item (DESIGN §8)."""
    from ..domain.remediation import as_dict

    return as_dict(item)
