"""Units (communes, wards, departments): adding, CSV import, listing with folded search."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from ..domain.messages import N_, Message, joined
from ..domain.models import Unit
from ..domain.text import ID_TEXT, SHORT_TEXT, TextProblem, clean_text, matches, nfc, sort_key
from ..storage import Store
from . import Invalid, audit

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
MAX_NAME = 200
#: Spreadsheets save CSV with commas, or with semicolons where the comma is the decimal
#: separator (a Vietnamese Excel); tab-separated text comes from copying cells.
DELIMITERS = (",", ";", "\t")
# Accept Vietnamese headers too, as a province's spreadsheet would have them.
HEADER_ALIASES = {
    "code": "code", "mã": "code", "ma": "code", "mã đơn vị": "code",
    "name": "name", "tên": "name", "ten": "name", "tên đơn vị": "name",
    "parent": "parent", "cấp trên": "parent", "đơn vị cấp trên": "parent", "mã cấp trên": "parent",
    "address": "address", "địa chỉ": "address",
}


def _check(code: str, name: str, parent: str | None, known: set[str]) -> list[Message]:
    problems = []
    if not CODE_RE.match(code):
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
    """The texts of a unit through the one cleaner (a line break in a name is left to
    :func:`_check`, which says so): (problems, (code, name, parent, address))."""
    problems: list[Message] = []
    cleaned = []
    for field, label, value, limit, multiline in (
            ("code", N_("Code"), code, ID_TEXT, False), ("name", N_("Name"), name, SHORT_TEXT, True),
            ("parent", N_("Parent"), parent, ID_TEXT, False),
            ("address", N_("Address"), address, SHORT_TEXT, False)):
        try:
            cleaned.append(clean_text(value, field=field, label=label, limit=max(limit, MAX_NAME),
                                      multiline=multiline))
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
    return {"code": unit.code, "name": unit.name, "parent": unit.parent,
            "address": unit.address}


def add_unit(store: Store, code: str, name: str, parent: str | None = None,
             address: str = "", *, by: str = audit.CLI) -> Unit:
    """Add or rename one unit (``by``: who the audit log names)."""
    problems, (code, name, parent, address) = _texts(code, name, parent, address)
    parent = parent or None
    existing = store.list_units()
    known = {u.code for u in existing} | {code}
    problems = problems or _check(code, name, parent, known)
    if not problems and parent:
        chain = _cycle(code, {**{u.code: u.parent for u in existing}, code: parent})
        if chain:
            problems.append(_cycle_problem(chain))
    if problems:
        raise Invalid(joined(problems), field="code")
    unit = Unit(code=code, name=name, parent=parent, address=address)
    old = next((u for u in existing if u.code == code), None)
    with store.atomic():
        store.save_units([unit])
        audit.record(store, by, "unit.add", code, None if old is None else _unit_fields(old),
                     _unit_fields(unit))
    return unit


@dataclass
class ImportResult:
    units: list[Unit]
    errors: list[Message]


def _at_line(line: int, problem: str) -> Message:
    return N_("line %(line)s: %(problem)s", line=line, problem=problem)


def _delimiter(text: str) -> str:
    """The delimiter that makes the first line a header naming at least code and name
    (the one that names most columns wins); a comma if none does."""
    first = text.splitlines()[0] if text else ""
    best = (0, ",")
    for delimiter in DELIMITERS:
        header = next(csv.reader([first], delimiter=delimiter), [])
        keys = [HEADER_ALIASES.get(h.strip().lower()) for h in header]
        named = sum(1 for k in keys if k)
        if "code" in keys and "name" in keys and named > best[0]:
            best = (named, delimiter)
    return best[1]


def parse_units_csv(text: str, existing: set[str] | dict[str, str | None]) -> ImportResult:
    """Read ``code,name[,parent][,address]`` rows; every problem is reported with the
    line of the file where its row starts.

    ``existing`` holds the codes already stored (or a mapping code → parent, which also
    lets parent cycles through stored units be found). Parents may refer to existing
    units or to rows of the same file.
    """
    text = nfc(text.lstrip("\ufeff"))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows: list[tuple[int, list[str]]] = []
    try:
        line = 1
        for row in reader:
            rows.append((line, row))
            line = reader.line_num + 1
    except csv.Error as exc:
        return ImportResult([], [_at_line(reader.line_num, str(exc))])
    if not rows:
        return ImportResult([], [_at_line(1, N_("the file is empty"))])
    header = [HEADER_ALIASES.get(h.strip().lower()) for h in rows[0][1]]
    if "code" not in header or "name" not in header:
        return ImportResult([], [_at_line(1, N_(
            "the header must name the columns code,name[,parent] (or mã,tên[,cấp trên])"))])
    errors: list[tuple[int, Message]] = []
    parsed: list[tuple[int, Unit]] = []
    seen: dict[str, int] = {}
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
        if code in seen:
            errors.append((number, N_("code %(code)r repeats line %(line)s", code=code,
                                      line=seen[code])))
            continue
        seen[code] = number
        parsed.append((number, Unit(code=code, name=name, parent=parent or None,
                                    address=address)))
    parents = dict(existing) if isinstance(existing, dict) else dict.fromkeys(existing)
    known = set(parents) | set(seen)
    parents.update({unit.code: unit.parent for _, unit in parsed})
    for number, unit in parsed:
        problems = _check(unit.code, unit.name, unit.parent, known)
        if not problems and unit.parent and (chain := _cycle(unit.code, parents)):
            problems.append(_cycle_problem(chain))
        errors.extend((number, p) for p in problems)
    return ImportResult([u for _, u in parsed],
                        [_at_line(n, p) for n, p in sorted(errors, key=lambda e: e[0])])


def import_units(store: Store, text: str, *, by: str = audit.CLI) -> list[Unit]:
    """Import a CSV file all or nothing: any problem rejects the whole file. The audit
    log names the codes added and those changed (renamed, moved, readdressed)."""
    existing = {u.code: u for u in store.list_units()}
    result = parse_units_csv(text, {u.code: u.parent for u in existing.values()})
    if result.errors:
        raise Invalid(joined(result.errors, "\n"), errors=result.errors)
    if not result.units:
        raise Invalid(_at_line(2, N_("no units in the file")))
    added = [u.code for u in result.units if u.code not in existing]
    changed = [u.code for u in result.units
               if u.code in existing and _unit_fields(existing[u.code]) != _unit_fields(u)]
    with store.atomic():
        store.save_units(result.units)
        audit.record(store, by, "unit.import", "", None, {
            "count": len(result.units), "added": audit.listed(added),
            "changed": audit.listed(changed)})
    return result.units


def list_units(store: Store, query: str = "", visible: set[str] | None = None) -> list[Unit]:
    """Units sorted by name with diacritics folded; ``query`` matches code or name folded."""
    units = [u for u in store.list_units() if visible is None or u.code in visible]
    if query:
        units = [u for u in units if matches(query, u.code, u.name)]
    return sorted(units, key=lambda u: sort_key(u.name))
