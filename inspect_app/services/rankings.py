"""Rankings (DESIGN §11): one row per unit, its newest finalized record of a checklist,
period and kind (for assessments the ``final`` card), ranked by percent with the
competition rank of :mod:`inspect_app.domain.ranking`; the units seen without such a
record as ``not_inspected`` (by name, diacritics folded; not the units that group others:
a district is not ranked among its communes); a merged unit's records ranked under its
successor. The API
and the home page use this one function."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..domain.access import Scope
from ..domain.messages import N_
from ..domain.models import INSPECTION_KINDS
from ..domain.periods import PeriodError, parse_period, period_end
from ..domain.ranking import ranked_as, unit_ranks, usable_percent
from ..domain.scoring import card_points
from ..domain.text import fold, nfc
from ..domain.units import record_unit_name, successor_on
from ..storage import Store
from . import Invalid, clock
from .commands import quoted
from .inspections import visible, visible_units


@dataclass(frozen=True)
class RankingQuery:
    checklist: str
    period: str
    kind: str = "inspection"


def ranking_query(args: Mapping[str, Any]) -> RankingQuery:
    """``checklist``, ``period`` and ``kind`` of a request's query string; :class:`Invalid`
    naming the field that is missing or wrong."""
    checklist = str(args.get("checklist") or "").strip()
    period = str(args.get("period") or "").strip()
    kind = str(args.get("kind") or "inspection").strip()
    if not checklist:
        raise Invalid(N_("give the checklist: ?checklist=ID"), field="checklist")
    if not period:
        raise Invalid(N_("give the period: ?period=P"), field="period")
    if kind not in INSPECTION_KINDS:
        raise Invalid(N_("kind must be one of %(kinds)s", kinds=", ".join(INSPECTION_KINDS)),
                      field="kind", value=quoted(kind))
    try:  # as the start form reads it: "Quý I năm 2025" is 2025-Q1
        period = parse_period(period[:40]).code
    except PeriodError as exc:
        raise Invalid(exc.args[0], field="period") from None
    return RankingQuery(checklist=checklist[:100], period=period, kind=kind)


def ranking(store: Store, scope: Scope, query: RankingQuery, *,
            every_record: bool = False, units: Iterable[str] | None = None,
            library: Any = None, tz: str = clock.DEFAULT_TZ,
            points: bool = False) -> dict[str, Any]:
    """The ranking of DESIGN §11 within what ``scope`` may see. ``every_record``: every
    finalized record of the round is a row (the home page's table of the round), a unit's
    older ones and those without a score unranked at the end, instead of the newest one
    per unit only. ``units``:
    only these units (a group of the dashboards), ranked among themselves. ``tz``: the
    zone whose day names a renamed unit as it was on its record's day.

    Beyond §11's keys, each row names its record's ``checklist_version`` and ``versions``
    lists the versions of the rows (:func:`versions_of`): a round can hold records
    started before and after a new version was published.

    A unit merged into another by the end of the period is ranked under its successor
    (``domain/units.py``): its record is the successor's row (``unit``, ``unit_name`` today's),
    with ``recorded_unit`` and ``recorded_name`` (the name on the record's day) saying whose
    record it is; a row whose unit was renamed since carries ``recorded_name`` too. Units
    merged away by then are not listed as ``not_inspected``. ``library`` (the checklists):
    a checklist it does not know and no record names is :class:`Invalid` (a typo would read
    as a ranking where nobody was inspected), and the title is the checklist's own when no
    record is finalized yet."""
    stored = {u.code: u for u in store.list_units()}
    names = {code: u.name for code, u in stored.items()}
    unit_of = ranked_as(stored, query.period)
    found = visible(store, scope, checklist=query.checklist, period=query.period,
                    kind=query.kind, status="finalized", units=units)
    recorded = {s.id: s.unit for s in found}
    found = [s if (unit := unit_of(s)) == s.unit else replace(s, unit=unit) for s in found]
    # Each unit is ranked once, by its newest finalized record; with ``every_record`` its
    # older records are rows too, unranked (a unit inspected again took two places).
    ranked = list(zip(found, unit_ranks(found)))
    if not every_record:
        ranked = [(s, rank) for s, rank in ranked if rank is not None]
    rows, ranks = [s for s, _ in ranked], [rank for _, rank in ranked]
    ordered = sorted(zip(rows, ranks), key=lambda pair: (
        pair[1] is None, pair[1] or 0, fold(nfc(names.get(pair[0].unit, pair[0].unit))),
        pair[0].unit, pair[0].created_at))
    allowed = visible_units(scope, units=units)
    seen = set(names) if allowed is None else set(allowed) & set(names)
    ranked_units = {s.unit for s in rows if usable_percent(s.percent) is not None}
    end = period_end(query.period)
    groups = {u.parent for u in stored.values() if u.parent}
    not_inspected = sorted((c for c in seen if c not in ranked_units and c not in groups
                            and successor_on(c, stored, end) == c),
                           key=lambda c: (fold(nfc(names[c])), c))

    def row(s, rank) -> dict[str, Any]:
        out = {"unit": s.unit, "unit_name": names.get(s.unit, s.unit), "inspection": s.id,
               "total": s.total, "max": s.max, "percent": s.percent, "band": s.band,
               "rank": rank, "checklist_version": s.checklist_version}
        own = recorded.get(s.id, s.unit)
        then = record_unit_name(stored, replace(s, unit=own), tz)
        if own != s.unit:
            out["recorded_unit"] = own
        if own != s.unit or then != out["unit_name"]:
            out["recorded_name"] = then
        if points:
            out.update(points_of(cards.get(s.id), s.total))
        return out

    cards = {record["id"]: record.get("score") for record in
             store.iter_export_records([s.id for s, _rank in ordered])} if points else {}

    known = library.get(query.checklist) if library is not None else None
    if library is not None and known is None and not rows:
        raise Invalid(N_("unknown checklist %(checklist)s", checklist=quoted(query.checklist)),
                      field="checklist")
    return {"checklist": query.checklist, "period": query.period, "kind": query.kind,
            "title": rows[0].checklist_title if rows else (known.title if known else ""),
            "rows": [row(s, rank) for s, rank in ordered],
            "versions": versions_of(s for s, _rank in ordered),
            "not_inspected": not_inspected}


def points_of(card: Mapping[str, Any] | None, total: Any) -> dict[str, Any]:
    """A ranking row's ``bonus``, ``penalty`` and ``score`` from its record's score card:
    the score is the points its percent is of (criteria points + bonus − penalty,
    :func:`~inspect_app.domain.scoring.card_points`); without a card, its criteria points
    (``total``)."""
    card = card or {"total": total}
    return {"bonus": card.get("bonus") or None, "penalty": card.get("penalty") or None,
            "score": card_points(card)}


def versions_of(records: Iterable[Any]) -> list[str]:
    """The checklist versions the records were scored on, each once, the oldest record's
    first. More than one: the ranking compares each record's percent of its own
    version's maximum (as the dashboards and the comparison do), and says so."""
    first: dict[str, str] = {}
    for s in records:
        if s.checklist_version and (s.checklist_version not in first
                                    or s.created_at < first[s.checklist_version]):
            first[s.checklist_version] = s.created_at
    return sorted(first, key=lambda version: (first[version], version))
