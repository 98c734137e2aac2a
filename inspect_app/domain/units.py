"""Units that merge and rename: where a unit's history lives now, and its name on a day.

Pure functions over units by code. A merged unit keeps its code and its records; it only
points at the unit that carries its history (``Unit.merged_into``), so every question
"which records belong to this unit now" asks :func:`history_codes`, and "which unit is this
record's unit today" asks :func:`successor`.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from .dates import local_date
from .models import Unit
from .text import sort_key


def unit_order(unit: Unit) -> tuple[str, str, str]:
    """Where a unit comes in every list of units: by name with diacritics folded, then
    the exact name, then the code (two communes of one name always in the same order,
    whatever order the store returns them in: the list pages' order too)."""
    return (*sort_key(unit.name), unit.code)


def unit_choices(units: Iterable[Unit]) -> list[tuple[str, str]]:
    """``(code, label)`` of each unit for a drop-down, in the given order: the name, with
    the code after it, "Xã Tân Lập (TL1)", where another unit of the list has the same
    name (two communes of one name in two districts stay apart)."""
    units = list(units)
    seen: dict[str, int] = {}
    for unit in units:
        seen[unit.name] = seen.get(unit.name, 0) + 1
    return [(u.code, f"{u.name} ({u.code})" if seen[u.name] > 1 else u.name) for u in units]


def successor(code: str, units: Mapping[str, Unit]) -> str:
    """The unit that carries ``code``'s history today: ``code`` itself unless it was merged,
    else the end of the ``merged_into`` chain (a chain that loops stops where it would)."""
    seen = {code}
    current = code
    while True:
        unit = units.get(current)
        target = unit.merged_into if unit is not None else None
        if not target or target in seen:
            return current
        seen.add(target)
        current = target


def history_codes(code: str, units: Mapping[str, Unit]) -> set[str]:
    """``code`` and every unit whose history now lives in it (merged into it, directly or
    through units merged in turn): the codes whose records a page of ``code`` shows."""
    return {other for other in units if successor(other, units) == code} | {code}


def record_unit_name(units: Mapping[str, Unit], record: object, tz: str) -> str:
    """The name of a record's unit on the record's day (finalized, else started; local
    in ``tz``): a record made before a renaming keeps the old name, in lists, rankings
    and exports alike. Its code when the unit is not known."""
    code = getattr(record, "unit", "")
    unit = units.get(code)
    if unit is None:
        return code
    day = local_date(getattr(record, "finalized_at", None) or getattr(record, "created_at", None),
                     tz)
    return name_on(unit, day.isoformat() if day else None)


def name_on(unit: Unit, day: str | None) -> str:
    """The unit's name on ``day`` (an ISO date; None: today's name)."""
    if day:
        for former in unit.former_names:
            if day <= str(former.get("until") or ""):
                return str(former.get("name") or unit.name)
    return unit.name


def successor_on(code: str, units: Mapping[str, Unit], day: str) -> str:
    """The unit that carries ``code``'s history on ``day`` (an ISO date): the
    ``merged_into`` chain followed only through merges in effect by then (a merge without
    a date counts as always in effect)."""
    seen = {code}
    current = code
    while True:
        unit = units.get(current)
        target = unit.merged_into if unit is not None else None
        if not target or target in seen or (unit.merged_on or "") > day:
            return current
        seen.add(target)
        current = target


def carrier(code: str, merges: Mapping[str, str]) -> str:
    """The unit that carries ``code``'s history today, from the merges alone
    (``{code: merged_into}``, as ``Store.unit_merges`` gives): the end of the chain."""
    seen, current = {code}, code
    while current in merges and merges[current] not in seen:
        current = merges[current]
        seen.add(current)
    return current


def merged_into_any(codes: Iterable[str], merges: Mapping[str, str]) -> set[str]:
    """``codes`` and every unit whose history now lives in one of them, from the merges
    alone (``{code: merged_into}`` of the merged units, as ``Store.unit_merges`` gives)."""
    codes = set(codes)
    return codes | {code for code in merges if carrier(code, merges) in codes}


def stored_code(typed: str, codes: Iterable[str]) -> str:
    """The stored code a person meant by ``typed``: spaces trimmed and case ignored
    (" xa-tn " is XA-TN: one code is one unit, however it is typed); ``typed`` trimmed
    when no stored code matches. For many lookups in the same codes, ``Codes``."""
    typed = typed.strip()
    if typed in codes:
        return typed
    folded = typed.casefold()
    return next((code for code in codes if code.casefold() == folded), typed)


class Codes:
    """A set of codes that answers ``stored_code`` in constant time (a file of 20.000
    lines looks up each of its codes): the exact code first, else the first code added
    that matches ignoring case."""

    def __init__(self, codes: Iterable[str] = ()) -> None:
        self._exact: set[str] = set()
        self._folded: dict[str, str] = {}
        for code in codes:
            self.add(code)

    def add(self, code: str) -> None:
        self._exact.add(code)
        self._folded.setdefault(code.casefold(), code)

    def __contains__(self, code: object) -> bool:
        return code in self._exact

    def stored(self, typed: str) -> str:
        typed = typed.strip()
        if typed in self._exact:
            return typed
        return self._folded.get(typed.casefold(), typed)
