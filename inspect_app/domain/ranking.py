"""Rankings (DESIGN §11): the competition rank of units by percent, the one rule the
API, the home page and the workbook's summary use."""
from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from .models import Unit
from .periods import period_end
from .units import successor_on


class Ranked(Protocol):
    """What a ranked record needs: its id, unit, percent and when it was finalized."""

    id: str
    unit: str
    percent: float | None
    finalized_at: str | None


def usable_percent(value: Any) -> float | None:
    """A percent a record can be ranked by (None: not a finite number)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def competition_ranks(percents: Sequence[float | None]) -> list[int | None]:
    """The competition rank of each percent, highest first: equal percents share a rank
    and the next rank skips (1, 2, 2, 4); None for a record without a percent."""
    values = sorted(p for p in percents if p is not None)
    return [None if p is None else 1 + len(values) - bisect_right(values, p) for p in percents]


def newest_per_unit(records: Iterable[Ranked],
                    unit_of: Callable[[Ranked], str] | None = None) -> list[Ranked]:
    """One record per unit (``unit_of(record)``, default its ``unit``): its newest
    finalized one (by ``finalized_at``; of two finalized in the same second, the greater
    id, so the choice never depends on the order the records were read in)."""
    best: dict[str, Ranked] = {}
    for record in records:
        unit = record.unit if unit_of is None else unit_of(record)
        kept = best.get(unit)
        if kept is None or _newness(record) > _newness(kept):
            best[unit] = record
    return list(best.values())


def _newness(record: Ranked) -> tuple[str, str]:
    return (record.finalized_at or "", str(record.id))


def ranked_records(records: Iterable[Ranked],
                   unit_of: Callable[[Ranked], str] | None = None) -> list[Ranked]:
    """The record each unit is ranked by (DESIGN §11): its newest with a percent
    (:func:`newest_per_unit`); ``unit_of`` as for :func:`unit_ranks`."""
    return newest_per_unit([r for r in records if usable_percent(r.percent) is not None],
                           unit_of)


def unit_ranks(records: Sequence[Ranked],
               unit_of: Callable[[Ranked], str] | None = None) -> list[int | None]:
    """The rank of each finalized record: each unit is ranked once, by its newest record
    with a percent (:func:`ranked_records`, :func:`competition_ranks`); its older
    records and those without a percent get None. ``unit_of``: the unit a record is
    ranked as (a merged unit's records under its successor, :func:`ranked_as`)."""
    newest = ranked_records(records, unit_of)
    rank_of = dict(zip(map(id, newest), competition_ranks([usable_percent(r.percent)
                                                           for r in newest])))
    return [rank_of.get(id(r)) for r in records]


def ranked_as(units: Mapping[str, Unit], period: str) -> Callable[[Ranked], str]:
    """The unit a record of ``period`` is ranked as (DESIGN §11): a unit merged into another
    by the end of the period is ranked under its successor (:func:`.units.successor_on`)."""
    day = period_end(period)
    return lambda record: successor_on(record.unit, units, day)
