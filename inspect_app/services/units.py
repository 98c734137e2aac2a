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
CSV_COLUMNS = ("code", "name", "parent")
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
    if parent:
        if parent == code:
            problems.append("a unit cannot be its own parent")
        elif parent not in known:
            problems.append(f"parent {parent!r} is not a known unit code")
    return problems


def add_unit(store: Store, code: str, name: str, parent: str | None = None,
             address: str = "") -> Unit:
    """Add or rename one unit."""
    code, name, parent = code.strip(), nfc(name.strip()), (parent or "").strip() or None
    known = {u.code for u in store.list_units()} | {code}
    problems = _check(code, name, parent, known)
    if problems:
        raise Invalid("; ".join(problems), field="code")
    unit = Unit(code=code, name=name, parent=parent, address=nfc(address.strip()))
    store.save_units([unit])
    return unit


@dataclass
class ImportResult:
    units: list[Unit]
    errors: list[str]


def parse_units_csv(text: str, existing: set[str]) -> ImportResult:
    """Read ``code,name[,parent][,address]`` rows; every problem is reported with its line.

    Parents may refer to existing units or to rows of the same file.
    """
    text = nfc(text.lstrip("\ufeff"))
    try:
        dialect = csv.Sniffer().sniff(text[:2048], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows = list(reader)
    if not rows:
        return ImportResult([], ["line 1: the file is empty"])
    header = [HEADER_ALIASES.get(h.strip().lower()) for h in rows[0]]
    if "code" not in header or "name" not in header:
        return ImportResult([], ["line 1: the header must name the columns code,name[,parent] "
                                 "(or mã,tên[,cấp trên])"])
    errors: list[str] = []
    parsed: list[tuple[int, Unit]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            errors.append(f"line {number}: {len(row)} columns, the header has {len(header)}")
            continue
        values = {key: (row[i].strip() if i < len(row) else "") for i, key in enumerate(header) if key}
        code = values.get("code", "")
        if code in seen:
            errors.append(f"line {number}: code {code!r} repeats line {seen[code]}")
            continue
        seen[code] = number
        parsed.append((number, Unit(code=code, name=values.get("name", ""),
                                    parent=values.get("parent") or None,
                                    address=values.get("address", ""))))
    known = existing | set(seen)
    for number, unit in parsed:
        errors.extend(f"line {number}: {p}" for p in _check(unit.code, unit.name, unit.parent, known))
    return ImportResult([u for _, u in parsed], errors)


def import_units(store: Store, text: str) -> list[Unit]:
    """Import a CSV file all or nothing: any problem rejects the whole file."""
    result = parse_units_csv(text, {u.code for u in store.list_units()})
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
