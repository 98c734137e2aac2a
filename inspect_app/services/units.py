"""Units (communes, wards, departments): adding, CSV import, listing with folded search,
merging (the reorganisation of 2025) and renaming with an effective date.

A merged unit keeps its code and its records and points at the unit that carries its
history (``Unit.merged_into`` from ``merged_on``, see ``domain/units.py``); its open
remediation items move to that unit. A rename keeps the old name for the days before it
(``Unit.former_names``), so old records keep showing the name they were made under.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as _dt
import functools
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from ..domain.dates import day_month_year
from ..domain.messages import N_, Message, joined
from ..domain.models import ITEM_CLOSED_STATUSES, Inspection, Unit
from ..domain.remediation import carry_open_item
from ..domain.text import (
    ID_TEXT,
    SHORT_TEXT,
    TextProblem,
    clean_text,
    csv_delimiter,
    fold,
    matches,
    nfc,
)
from ..domain.units import Codes, carrier, merged_into_any, stored_code, successor, unit_order
from ..storage import Store
from . import Invalid, audit, clock
from .commands import quoted

CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
MAX_NAME = 200
#: At most this many lines in a units file (a province has a few thousand units).
MAX_LINES = 20_000
#: Spreadsheets save CSV with commas, or with semicolons where the comma is the decimal
#: separator (a Vietnamese Excel); tab-separated text comes from copying cells.
# Accept Vietnamese headers too, as a province's spreadsheet would have them, typed with
# or without a Vietnamese keyboard: headers are compared folded ("cap tren" is "cấp trên").
HEADER_ALIASES = {
    "code": "code", "mã": "code", "mã đơn vị": "code",
    "name": "name", "tên": "name", "tên đơn vị": "name",
    "parent": "parent", "cấp trên": "parent", "đơn vị cấp trên": "parent", "mã cấp trên": "parent",
    "mã đơn vị cấp trên": "parent",
    "address": "address", "địa chỉ": "address",
    "merged_into": "merged_into", "sáp nhập vào": "merged_into", "hợp nhất vào": "merged_into",
    "merged_on": "merged_on", "ngày sáp nhập": "merged_on", "ngày hợp nhất": "merged_on",
}
_FOLDED_HEADERS = {fold(alias): key for alias, key in HEADER_ALIASES.items()}


def _header_key(cell: str) -> str | None:
    """The column a header cell names (None: none of them)."""
    return _FOLDED_HEADERS.get(fold(nfc(cell)))


def _check(code: str, name: str, parent: str | None, known: set[str]) -> list[Message]:
    problems = []
    if not CODE_RE.fullmatch(code):
        problems.append(N_("code %(code)r must be 1–40 characters: letters, digits, . _ -",
                           code=code))
    if not name:
        problems.append(N_("name is empty"))
    elif "\n" in name or "\r" in name:
        problems.append(N_("name has a line break"))
    elif len(name) > MAX_NAME:
        problems.append(N_("name is longer than %(limit)s characters", limit=MAX_NAME))
    if parent:
        if parent == code:
            problems.append(N_("a unit cannot be its own parent"))
        elif parent not in known:
            problems.append(N_("parent %(parent)r is not a known unit code", parent=parent))
    return problems


def _texts(code: str, name: str, parent: str | None, address: str) -> tuple[list[Message], tuple]:
    """The texts of a unit through the one cleaner, the name's spaces made one (a tab or
    a no-break space is a space; a line break in a name is left to :func:`_check`, which
    says so): (problems, (code, name, parent, address))."""
    problems: list[Message] = []
    cleaned = []
    for field, label, value, limit, multiline in (
            ("code", N_("Code"), code, ID_TEXT, False), ("name", N_("Name"), name, SHORT_TEXT, True),
            ("parent", N_("Parent"), parent, ID_TEXT, False),
            ("address", N_("Address"), address, SHORT_TEXT, False)):
        try:
            cleaned.append(clean_text(value, field=field, label=label, limit=max(limit, MAX_NAME),
                                      multiline=multiline, name=field == "name"))
        except TextProblem as problem:
            problems.append(problem.message)
            cleaned.append("")
    return problems, tuple(cleaned)


def _cycle(code: str, parents: dict[str, str | None]) -> list[str] | None:
    """The chain ``code → parent → … → code`` if following parents from ``code`` comes
    back to it, else None."""
    chain, current = [code], parents.get(code)
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain + [code] if current == code else None


def _cycle_problem(chain: list[str]) -> Message:
    return N_("parents make a cycle: %(chain)s", chain=" → ".join(chain))


def _unit_fields(unit: Unit) -> dict:
    fields = {"code": unit.code, "name": unit.name, "parent": unit.parent,
              "address": unit.address}
    if unit.merged_into:
        fields.update(merged_into=unit.merged_into, merged_on=unit.merged_on)
    return fields


#: The :meth:`Store.exclusive` key of every write of units and of every start of a
#: record: one at a time, each reading what the one before wrote (a renaming never undoes
#: a merge made meanwhile, a start never makes a record of a unit merged meanwhile).
UNITS_LOCK = "units"
T = TypeVar("T")


def _one_at_a_time(write: Callable[..., T]) -> Callable[..., T]:
    """Run a write of units (its reads included) holding :data:`UNITS_LOCK`."""
    @functools.wraps(write)
    def run(store: Store, *args: Any, **kwargs: Any) -> T:
        with store.exclusive(UNITS_LOCK):
            return write(store, *args, **kwargs)
    return run


@_one_at_a_time
def add_unit(store: Store, code: str, name: str, parent: str | None = None,
             address: str | None = None, *, by: str = audit.CLI, new: bool = False) -> Unit:
    """Add one unit, or correct a stored one (its address kept when ``address`` is None;
    a renaming with a date, which keeps the old name on earlier records, is
    :func:`rename_unit`). ``new``: only add (the web form's "Add a unit"): a code already
    taken is refused, naming its unit. ``by``: who the audit log names."""
    existing = store.list_units()
    if isinstance(code, str):  # " xa-tn " corrects (or, ``new``, is refused as) XA-TN
        code = stored_code(code, {u.code for u in existing})
    if new and isinstance(code, str) and (taken := store.get_unit(code)) is not None:
        raise Invalid(N_("the code %(code)s is already %(name)s's: give the new unit a code of "
                         "its own (a new name for %(name)s is “Rename” on its page, which keeps "
                         "the old name on its earlier records)", code=taken.code, name=taken.name),
                      field="code")
    keep_address = address is None
    problems, (code, name, parent, address) = _texts(code, name, parent, address or "")
    parent = stored_code(parent, {u.code for u in existing}) if parent else None
    known = {u.code for u in existing} | {code}
    problems = problems or _check(code, name, parent, known)
    if not problems and parent:
        chain = _cycle(code, {**{u.code: u.parent for u in existing}, code: parent})
        if chain:
            problems.append(_cycle_problem(chain))
    if problems:
        raise Invalid(joined(problems), field="code")
    old = next((u for u in existing if u.code == code), None)
    # a correction of a stored unit keeps its merge and its former names
    unit = (Unit(code=code, name=name, parent=parent, address=address) if old is None
            else replace(old, name=name, parent=parent,
                         address=old.address if keep_address else address))
    with store.atomic():
        store.save_units([unit])
        audit.record(store, by, "unit.add", code, None if old is None else _unit_fields(old),
                     _unit_fields(unit))
    return unit


# ---------------------------------------------------------------- dates of merges and renames

_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def parse_day(value: object, label: Message | None = None) -> str:
    """A day written DD/MM/YYYY (as the province writes it) or YYYY-MM-DD, as an ISO date;
    :class:`Invalid` otherwise."""
    text = str(value or "").strip()
    try:
        if (found := _DMY.fullmatch(text)):
            day, month, year = (int(g) for g in found.groups())
            return _dt.date(year, month, day).isoformat()
        if len(text) == 10:
            return _dt.date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    raise Invalid(N_("%(field)s must be a date DD/MM/YYYY (or YYYY-MM-DD), not %(value)s",
                     field=label or N_("Date"), value=quoted(text)), field="on")


def _day_before(iso: str) -> str:
    return (_dt.date.fromisoformat(iso) - _dt.timedelta(days=1)).isoformat()


def _day_after(iso: str) -> str:
    try:
        return (_dt.date.fromisoformat(iso) + _dt.timedelta(days=1)).isoformat()
    except ValueError:
        return iso


# ---------------------------------------------------------------- merging

@dataclass
class MergePlan:
    """What merging ``olds`` into ``into`` on ``on`` does: per old unit the records whose
    history moves (``records``) and the open remediation items that move (``open_items``)."""

    olds: list[str]
    into: str
    on: str
    records: dict[str, int] = dataclasses.field(default_factory=dict)
    open_items: dict[str, int] = dataclasses.field(default_factory=dict)

    @property
    def total_records(self) -> int:
        return sum(self.records.values())

    @property
    def total_open_items(self) -> int:
        return sum(self.open_items.values())


def _is_open(status: str) -> bool:
    return status not in ITEM_CLOSED_STATUSES


def _merge_problems(units: dict[str, Unit], olds: list[str], into: str) -> list[Message]:
    """Why ``olds`` cannot merge into ``into`` (empty: they can)."""
    problems: list[Message] = []
    if not into:
        return [N_("choose the unit to merge into")]
    if into not in units:
        problems.append(N_("there is no unit %(code)s", code=quoted(into)))
    if not olds:
        problems.append(N_("choose at least one unit to merge"))
    for code in olds:
        if code not in units:
            problems.append(N_("there is no unit %(code)s", code=quoted(code)))
        elif code == into:
            problems.append(N_("a unit cannot be merged into itself (%(code)s)", code=code))
        elif units[code].merged_into:
            problems.append(N_("%(code)s was already merged into %(into)s on %(on)s",
                               code=code, into=units[code].merged_into,
                               on=day_month_year(units[code].merged_on)))
    if problems:
        return problems
    # the chain from ``into`` must not come back to a unit being merged
    chain, current = [into], units[into].merged_into
    while current and current not in chain:
        chain.append(current)
        if current in olds:
            return [N_("merging makes a cycle: %(chain)s",
                       chain=" → ".join([current, *chain]))]
        current = units[current].merged_into if current in units else None
    if units[into].merged_into:
        problems.append(N_("%(code)s was itself merged into %(into)s: merge into %(end)s",
                           code=into, into=units[into].merged_into,
                           end=successor(into, units)))
    return problems


def typed_code(store: Store, typed: str) -> str:
    """The stored code a person meant by ``typed`` (a command's argument, a form's field,
    the API's "unit"): spaces trimmed and case ignored, " xa-tn " is XA-TN
    (:func:`~inspect_app.domain.units.stored_code`); ``typed`` trimmed when no unit has
    it. Every service taking a unit code from a person reads it here (many codes at once:
    :func:`typed_codes`)."""
    typed = typed.strip()
    if not typed or store.get_unit(typed) is not None:
        return typed
    return stored_code(typed, {u.code for u in store.list_units()})


def typed_codes(store: Store, typed: Iterable[str]) -> list[str]:
    """:func:`typed_code` of each of ``typed`` (empty ones left out, each code once, in
    the given order), the stored codes read once."""
    wanted = [t.strip() for t in typed if t and t.strip()]
    if not wanted:
        return []
    codes = Codes(u.code for u in store.list_units())
    return list(dict.fromkeys(codes.stored(t) for t in wanted))


def plan_merge(store: Store, olds: Iterable[str], into: str, on: object) -> MergePlan:
    """Check a merge and count what it would move; :class:`Invalid` (every problem, in the
    user's language at the edge) and nothing changed if it cannot be done."""
    units = {u.code: u for u in store.list_units()}
    codes = Codes(units)  # "dt" is DT, as everywhere a person types a code
    wanted = list(dict.fromkeys(codes.stored(str(c)) for c in olds if str(c).strip()))
    into = codes.stored(str(into or ""))
    problems = _merge_problems(units, wanted, into)
    try:
        day = parse_day(on, N_("Merge date"))
    except Invalid as exc:
        problems.append(exc.message)
    if problems:
        raise Invalid(joined(problems), field="into", errors=problems)
    plan = MergePlan(olds=wanted, into=into, on=day, records=dict.fromkeys(wanted, 0),
                     open_items=dict.fromkeys(wanted, 0))
    merges = store.unit_merges()  # a unit merged into an old one earlier: its records follow too
    up_to_old = {c: m for c, m in merges.items() if c not in wanted}  # chains end at an old unit
    for summary in store.list_inspections(units=merged_into_any(wanted, merges)):
        plan.records[carrier(summary.unit, up_to_old)] += 1
    for inspection in _with_open_items(store, wanted):
        for item in inspection.items:
            if item.unit in wanted and _is_open(item.status):
                plan.open_items[item.unit] += 1
    return plan


def _with_open_items(store: Store, codes: Iterable[str]) -> list[Inspection]:
    """The records with open items that ``codes`` carry: their own records, and those of
    units merged into them earlier (a merge handed those items on; a second merge moves
    them again)."""
    codes = set(codes)
    found = []
    for summary in store.list_inspections(units=merged_into_any(codes, store.unit_merges())):
        if not summary.items_open:
            continue
        inspection = store.get_inspection(summary.id)
        if inspection is not None and any(i.unit in codes and _is_open(i.status)
                                          for i in inspection.items):
            found.append(inspection)
    return found


def _move_open_items(store: Store, records: list[Inspection], olds: Iterable[str], into: str,
                     on: str, by: str) -> int:
    """Every open item of the old units in ``records`` (:func:`_with_open_items`, found
    before the merge is saved) now the new unit's to carry out (an event in its history
    says from where); closed items stay as they were. How many moved."""
    olds = set(olds)
    moved = 0
    at = clock.now_iso()
    for inspection in records:
        def change(record: Inspection) -> int:
            return sum(carry_open_item(item, {}, at=at, by=by, into=into, on=on)
                       for item in record.items if item.unit in olds)
        moved += store.update_inspection(inspection.id, change)
    return moved


@_one_at_a_time
def merge_units(store: Store, olds: Iterable[str], into: str, on: object,
                by: str = audit.CLI) -> MergePlan:
    """Merge ``olds`` into ``into`` from day ``on``: each old unit points at the new one,
    its open remediation items move to it; one :meth:`Store.atomic` block, an audit entry.
    :class:`Invalid` and nothing changed if the merge cannot be done (:func:`plan_merge`)."""
    with store.atomic():
        plan = plan_merge(store, olds, into, on)
        carrying = _with_open_items(store, plan.olds)  # before the merges change
        units = {u.code: u for u in store.list_units()}
        store.save_units([replace(units[code], merged_into=plan.into, merged_on=plan.on)
                          for code in plan.olds])
        _move_open_items(store, carrying, plan.olds, plan.into, plan.on, by)
        audit.record(store, by, "unit.merge", plan.into, None, {
            "units": audit.listed(plan.olds), "merged_into": plan.into, "merged_on": plan.on,
            "records": plan.total_records, "open_items": plan.total_open_items})
    return plan


# ---------------------------------------------------------------- renaming

@_one_at_a_time
def rename_unit(store: Store, code: str, new_name: str, on: object,
                by: str = audit.CLI) -> Unit:
    """Call ``code`` ``new_name`` from day ``on``: the old name is kept for the days before
    (``former_names``), so records made before keep it. :class:`Invalid`, nothing changed,
    for an unknown or merged unit, a bad name or date, or a date not after the last rename."""
    code = typed_code(store, str(code or ""))
    unit = store.get_unit(code)
    if unit is None:
        raise Invalid(N_("there is no unit %(code)s", code=quoted(code)), field="code")
    problems, (_, name, _, _) = _texts(code, new_name, None, "")
    problems = problems or [p for p in _check(code, name, None, set()) if p]
    try:
        day = parse_day(on, N_("Date of the new name"))
    except Invalid as exc:
        problems.append(exc.message)
        day = ""
    if not problems:
        if unit.merged_into:
            problems.append(N_("%(code)s was merged into %(into)s: it keeps its name",
                               code=code, into=unit.merged_into))
        elif name == unit.name:
            problems.append(N_("%(code)s is already called %(name)s", code=code, name=name))
        elif unit.former_names and _day_before(day) <= str(unit.former_names[-1].get("until")):
            # the last renaming took effect the day after the old name's last day
            problems.append(N_("the new name must take effect after the last renaming "
                               "(%(until)s)", until=day_month_year(_day_after(
                                   str(unit.former_names[-1].get("until"))))))
    if problems:
        raise Invalid(joined(problems), field="name", errors=problems)
    renamed = replace(unit, name=name, former_names=[
        *unit.former_names, {"name": unit.name, "until": _day_before(day)}])
    with store.atomic():
        store.save_units([renamed])
        audit.record(store, by, "unit.rename", code, {"name": unit.name},
                     {"name": name, "on": day})
    return renamed


@dataclass
class ImportResult:
    units: list[Unit]
    errors: list[Message]
    columns: frozenset[str] = frozenset()  # the columns the file has (code, name, parent…)


def _at_line(line: int, problem: str) -> Message:
    return N_("line %(line)s: %(problem)s", line=line, problem=problem)


def _named_columns(header: list[str]) -> int:
    """How many columns a units header names (0 unless it names code and name)."""
    keys = [_header_key(h) for h in header]
    return sum(1 for k in keys if k) if "code" in keys and "name" in keys else 0


def _merge_cells(values: dict[str, str], number: int, errors: list[tuple[int, Message]]
                 ) -> tuple[str | None, str | None]:
    """The optional ``merged_into`` and ``merged_on`` cells of a row (both or neither)."""
    into = nfc(str(values.get("merged_into") or "")).strip() or None
    on_text = str(values.get("merged_on") or "").strip()
    if into is None:
        if on_text:
            errors.append((number, N_("merged_on is given without merged_into")))
        return None, None
    if not on_text:
        errors.append((number, N_("merged_into %(code)r needs merged_on (DD/MM/YYYY)",
                                  code=into)))
        return into, None
    try:
        return into, parse_day(on_text, N_("merged_on"))
    except Invalid as exc:
        errors.append((number, exc.message))
        return into, None


def parse_units_csv(text: str, existing: set[str] | dict[str, str | None],
                    merged: dict[str, str | None] | None = None) -> ImportResult:
    """Read ``code,name[,parent][,address][,merged_into,merged_on]`` rows; every problem
    is reported with the line of the file where its row starts.

    ``existing`` holds the codes already stored (or a mapping code → parent, which also
    lets parent cycles through stored units be found). Parents may refer to existing
    units or to rows of the same file. ``merged``: the stored units' ``merged_into``
    (a stored merge cannot be pointed elsewhere, merges cannot make a cycle).
    """
    text = nfc(text.lstrip("\ufeff"))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=csv_delimiter(
        text.splitlines()[0] if text else "", _named_columns))
    rows: list[tuple[int, list[str]]] = []
    try:
        line = 1
        for row in reader:
            rows.append((line, row))
            line = reader.line_num + 1
            if len(rows) > MAX_LINES + 1:
                return ImportResult([], [_at_line(line - 1, N_("more than %(max)s lines",
                                                               max=MAX_LINES))])
    except csv.Error as exc:
        return ImportResult([], [_at_line(reader.line_num, str(exc))])
    if not rows:
        return ImportResult([], [_at_line(1, N_("the file is empty"))])
    header = [_header_key(h) for h in rows[0][1]]
    if "code" not in header or "name" not in header:
        return ImportResult([], [_at_line(1, N_(
            "the header must name the columns code,name[,parent] (or mã,tên[,cấp trên])"))])
    unknown = [cell.strip() for cell, key in zip(rows[0][1], header) if key is None and cell.strip()]
    if unknown:  # never a column dropped without a word
        return ImportResult([], [_at_line(1, N_(
            "the header names a column this import does not know: %(columns)s (known: mã, "
            "tên, cấp trên, địa chỉ, sáp nhập vào, ngày sáp nhập — or code, name, parent, "
            "address, merged_into, merged_on)", columns=", ".join(map(quoted, unknown))))])
    errors: list[tuple[int, Message]] = []
    parsed: list[tuple[int, Unit]] = []
    seen: dict[str, int] = {}
    codes = Codes(existing)  # the stored codes, then the file's
    for number, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            errors.append((number, N_("%(count)s columns, the header has %(header)s",
                                      count=len(row), header=len(header))))
            continue
        values = {key: (row[i] if i < len(row) else "") for i, key in enumerate(header) if key}
        problems, (code, name, parent, address) = _texts(
            values.get("code", ""), values.get("name", ""), values.get("parent"),
            values.get("address", ""))
        if problems:
            errors.extend((number, p) for p in problems)
            continue
        # a code typed in another case is the stored unit's (or an earlier row's)
        code = codes.stored(code)
        parent = codes.stored(parent) if parent else parent
        if code in seen:
            errors.append((number, N_("code %(code)r repeats line %(line)s", code=code,
                                      line=seen[code])))
            continue
        seen[code] = number
        codes.add(code)
        into, on = _merge_cells(values, number, errors)
        parsed.append((number, Unit(code=code, name=name, parent=parent or None,
                                    address=address, merged_into=into, merged_on=on)))
    # a parent or merged_into naming a later row of the file, in another case, is that row
    parsed = [(number, replace(unit, parent=unit.parent and codes.stored(unit.parent),
                               merged_into=unit.merged_into and codes.stored(unit.merged_into)))
              for number, unit in parsed]
    parents = dict(existing) if isinstance(existing, dict) else dict.fromkeys(existing)
    known = set(parents) | set(seen)
    parents.update({unit.code: unit.parent for _, unit in parsed})
    merges = dict(merged or {})
    merges.update({unit.code: unit.merged_into for _, unit in parsed if unit.merged_into})
    for number, unit in parsed:
        problems = _check(unit.code, unit.name, unit.parent, known)
        if not problems and unit.parent and (chain := _cycle(unit.code, parents)):
            problems.append(_cycle_problem(chain))
        if unit.merged_into:
            if unit.merged_into == unit.code:
                problems.append(N_("a unit cannot be merged into itself (%(code)s)",
                                   code=unit.code))
            elif unit.merged_into not in known:
                problems.append(N_("merged_into %(code)r is not a known unit code",
                                   code=unit.merged_into))
            elif (merged or {}).get(unit.code) not in (None, unit.merged_into):
                problems.append(N_("%(code)s was already merged into %(into)s: a file cannot "
                                   "merge it elsewhere", code=unit.code, into=merged[unit.code]))
            elif chain := _cycle(unit.code, merges):
                problems.append(N_("merging makes a cycle: %(chain)s", chain=" → ".join(chain)))
        errors.extend((number, p) for p in problems)
    return ImportResult([u for _, u in parsed],
                        [_at_line(n, p) for n, p in sorted(errors, key=lambda e: e[0])],
                        frozenset(h for h in header if h))


@_one_at_a_time
def import_units(store: Store, text: str, *, by: str = audit.CLI) -> list[Unit]:
    """Import a CSV file all or nothing: any problem rejects the whole file. The audit
    log names the codes added and those changed (renamed, moved, readdressed, merged)."""
    existing = {u.code: u for u in store.list_units()}
    result = parse_units_csv(text, {u.code: u.parent for u in existing.values()},
                             {u.code: u.merged_into for u in existing.values() if u.merged_into})
    if result.errors:
        raise Invalid(joined(result.errors, "\n"), errors=result.errors)
    if not result.units:
        raise Invalid(_at_line(2, N_("no units in the file")))
    units = []
    newly_merged: dict[tuple[str, str], list[str]] = {}
    # a row may merge into a unit merged itself (stored, or by the file): the items go to
    # the end of the chain, as `units merge` sends them
    chains = {**{u.code: u.merged_into for u in existing.values() if u.merged_into},
              **{u.code: u.merged_into for u in result.units if u.merged_into}}
    for unit in result.units:
        old = existing.get(unit.code)
        if old is not None:  # a row corrects a stored unit: its merge and former names stay
            # and so do the columns the file has not (a code,name list corrects names only)
            unit = replace(unit, former_names=old.former_names,
                           parent=unit.parent if "parent" in result.columns else old.parent,
                           address=unit.address if "address" in result.columns else old.address,
                           merged_into=unit.merged_into or old.merged_into,
                           merged_on=(unit.merged_on if unit.merged_into else old.merged_on))
            if unit.merged_into and not old.merged_into:
                newly_merged.setdefault((carrier(unit.merged_into, chains), unit.merged_on or ""),
                                        []).append(unit.code)
        units.append(unit)
    added = [u.code for u in units if u.code not in existing]
    changed = [u.code for u in units
               if u.code in existing and _unit_fields(existing[u.code]) != _unit_fields(u)]
    with store.atomic():
        carrying = {key: _with_open_items(store, olds) for key, olds in newly_merged.items()}
        store.save_units(units)
        for (into, on), olds in newly_merged.items():
            _move_open_items(store, carrying[(into, on)], olds, into, on, by)
        audit.record(store, by, "unit.import", "", None, {
            "count": len(units), "added": audit.listed(added),
            "changed": audit.listed(changed)})
    return units


def list_units(store: Store, query: str = "", visible: set[str] | None = None) -> list[Unit]:
    """Units sorted by name with diacritics folded; ``query`` matches code or name folded."""
    units = [u for u in store.list_units() if visible is None or u.code in visible]
    if query:
        units = [u for u in units if matches(query, u.code, u.name)]
    return sorted(units, key=unit_order)
