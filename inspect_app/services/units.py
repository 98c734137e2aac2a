"""Units (communes, wards, departments): adding, CSV import, listing with folded search."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from ..domain.models import Unit
from ..domain.text import matches, nfc, sort_key
from ..storage import Store
from . import Invalid

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
MAX_NAME = 200
CSV_COLUMNS = ("code", "name", "parent")
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


def _check(code: str, name: str, parent: str | None, known: set[str]) -> list[str]:
    problems = []
    if not CODE_RE.match(code):
        problems.append(f"code {code!r} must be 1–40 characters: letters, digits, . _ -")
    if not name:
        problems.append("name is empty")
    elif "\n" in name or "\r" in name:
        problems.append("name has a line break")
    elif len(name) > MAX_NAME:
        problems.append(f"name is longer than {MAX_NAME} characters")
    if parent:
        if parent == code:
            problems.append("a unit cannot be its own parent")
        elif parent not in known:
            problems.append(f"parent {parent!r} is not a known unit code")
    return problems


def _cycle(code: str, parents: dict[str, str | None]) -> list[str] | None:
    """The chain ``code → parent → … → code`` if following parents from ``code`` comes
    back to it, else None."""
    chain, current = [code], parents.get(code)
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain + [code] if current == code else None


def _cycle_problem(chain: list[str]) -> str:
    return "parents make a cycle: " + " → ".join(chain)


def add_unit(store: Store, code: str, name: str, parent: str | None = None,
             address: str = "") -> Unit:
    """Add or rename one unit."""
    code, name, parent = code.strip(), nfc(name.strip()), (parent or "").strip() or None
    existing = store.list_units()
    known = {u.code for u in existing} | {code}
    problems = _check(code, name, parent, known)
    if not problems and parent:
        chain = _cycle(code, {**{u.code: u.parent for u in existing}, code: parent})
        if chain:
            problems.append(_cycle_problem(chain))
    if problems:
        raise Invalid("; ".join(problems), field="code")
    unit = Unit(code=code, name=name, parent=parent, address=nfc(address.strip()))
    store.save_units([unit])
    return unit


@dataclass
class ImportResult:
    units: list[Unit]
    errors: list[str]


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
        return ImportResult([], [f"line {reader.line_num}: {exc}"])
    if not rows:
        return ImportResult([], ["line 1: the file is empty"])
    header = [HEADER_ALIASES.get(h.strip().lower()) for h in rows[0][1]]
    if "code" not in header or "name" not in header:
        return ImportResult([], ["line 1: the header must name the columns code,name[,parent] "
                                 "(or mã,tên[,cấp trên])"])
    errors: list[tuple[int, str]] = []
    parsed: list[tuple[int, Unit]] = []
    seen: dict[str, int] = {}
    for number, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            errors.append((number, f"{len(row)} columns, the header has {len(header)}"))
            continue
        values = {key: (row[i].strip() if i < len(row) else "") for i, key in enumerate(header) if key}
        code = values.get("code", "")
        if code in seen:
            errors.append((number, f"code {code!r} repeats line {seen[code]}"))
            continue
        seen[code] = number
        parsed.append((number, Unit(code=code, name=values.get("name", ""),
                                    parent=values.get("parent") or None,
                                    address=values.get("address", ""))))
    parents = dict(existing) if isinstance(existing, dict) else dict.fromkeys(existing)
    known = set(parents) | set(seen)
    parents.update({unit.code: unit.parent for _, unit in parsed})
    for number, unit in parsed:
        problems = _check(unit.code, unit.name, unit.parent, known)
        if not problems and unit.parent and (chain := _cycle(unit.code, parents)):
            problems.append(_cycle_problem(chain))
        errors.extend((number, p) for p in problems)
    return ImportResult([u for _, u in parsed],
                        [f"line {n}: {p}" for n, p in sorted(errors, key=lambda e: e[0])])


def import_units(store: Store, text: str) -> list[Unit]:
    """Import a CSV file all or nothing: any problem rejects the whole file."""
    result = parse_units_csv(text, {u.code: u.parent for u in store.list_units()})
    if result.errors:
        raise Invalid("\n".join(result.errors), errors=result.errors)
    if not result.units:
        raise Invalid("line 2: no units in the file")
    store.save_units(result.units)
    return result.units


def list_units(store: Store, query: str = "", visible: set[str] | None = None) -> list[Unit]:
    """Units sorted by name with diacritics folded; ``query`` matches code or name folded."""
    units = [u for u in store.list_units() if visible is None or u.code in visible]
    if query:
        units = [u for u in units if matches(query, u.code, u.name)]
    return sorted(units, key=lambda u: sort_key(u.name))
