"""The Excel export as a use case: check the filters, read what the user may see, and
feed plain records to :mod:`inspect_app.exports.workbook` (which knows no store).

The order and the score-sheet columns come from the index summaries (small); the
records themselves come one at a time through the store's lean read path
(:meth:`~inspect_app.storage.base.Store.iter_export_records`).
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable

from ..domain.access import Scope
from ..domain.models import INSPECTION_KINDS, InspectionSummary
from ..domain.periods import PeriodError, parse_period
from ..domain.units import record_unit_name
from ..exports import workbook
from ..exports.workbook import Filters, Report
from ..storage import Store
from ..storage.checklist_files import ChecklistLibrary
from . import Invalid, clock
from .inspections import visible_query, with_history
from .units import typed_codes

__all__ = ["Filters", "Invalid", "Report", "report", "validate_filters"]


def validate_filters(store: Store, library: ChecklistLibrary, *, period: str | None = None,
                     checklist: str | None = None, units: Iterable[str] = (),
                     kind: str | None = None, include_drafts: bool = False) -> Filters:
    """Check export filters and normalise them (``2025-q1`` → ``2025-Q1``).

    Raises :class:`~inspect_app.services.Invalid` naming every bad field: a period
    that is not one, a checklist neither loaded nor used by any stored record, an
    unknown unit, an unknown kind.
    """
    errors: dict[str, str] = {}
    if period:
        try:
            period = parse_period(period).code
        except PeriodError as exc:
            errors["period"] = str(exc)
    if checklist and library.get(checklist) is None and not store.list_inspections(
            checklist=checklist):
        known = ", ".join(c.id for c in library.all()) or "none"
        errors["checklist"] = f"unknown checklist {checklist!r} (known: {known})"
    codes = tuple(typed_codes(store, units))  # "tn" is TN
    unknown = [code for code in codes if store.get_unit(code) is None]
    if unknown:
        errors["units"] = f"unknown unit{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}"
    if kind and kind not in INSPECTION_KINDS:
        errors["kind"] = f"kind must be one of {', '.join(INSPECTION_KINDS)}"
    if errors:
        raise Invalid("; ".join(errors.values()), fields=errors)
    return Filters(period=period or None, checklist=checklist or None, units=codes,
                   kind=kind or None, include_drafts=include_drafts)


def _lean(summary: InspectionSummary, shared: dict[str, str]) -> InspectionSummary:
    """A summary without what the workbook never reads (its team, its items' cards; it
    keeps ``finalized_at``, which decides a unit's newest record for its rank), so
    that the export holds a few hundred bytes per record while it runs; repeated texts
    (checklist, period, kind, status, band) are shared."""
    intern = shared.setdefault
    return InspectionSummary(
        id=summary.id, unit=intern(summary.unit, summary.unit),
        checklist_id=intern(summary.checklist_id, summary.checklist_id),
        checklist_version=intern(summary.checklist_version, summary.checklist_version),
        checklist_title=intern(summary.checklist_title, summary.checklist_title),
        period=intern(summary.period, summary.period), kind=intern(summary.kind, summary.kind),
        status=intern(summary.status, summary.status), team=[], created_by="",
        created_at=summary.created_at, finalized_at=summary.finalized_at, total=summary.total, max=summary.max,
        percent=summary.percent, band=None if summary.band is None else intern(summary.band,
                                                                                summary.band))



def report(store: Store, scope: Scope, filters: Filters, *, locale: str = "vi",
           photo_url: Callable[[str, str], str] | None = None,
           today: _dt.date | None = None, timezone: str = clock.DEFAULT_TZ,
           all_criteria: bool = False, progress: Callable[[int, int], None] | None = None
           ) -> Report:
    """The workbook of what ``scope`` may see among the records matching ``filters``.

    ``photo_url(inspection_id, photo_id)`` gives a photo's absolute address (no photo
    links without it); ``today`` (default: today in ``timezone``) decides which
    remediation items are overdue; ``all_criteria``: every criterion in the findings
    sheet, not only those with something to say; ``progress(done, total)`` is called
    as records are read (``total`` records in all).
    """
    units = {u.code: u for u in store.list_units()}
    unit_names = {code: u.name for code, u in units.items()}
    shared: dict[str, str] = {}
    wanted = filters.store_filters()
    if wanted.get("units"):  # a unit's export holds its history (the units merged into it)
        wanted["units"] = with_history(store, wanted["units"])
    query = visible_query(scope, **wanted)
    among = None
    if wanted.get("units"):  # ranked among every unit the user may see, as on the rankings
        everyone = {k: v for k, v in wanted.items() if k != "units"} | {"status": "finalized"}
        among = [_lean(s, shared) for s in store.iter_summaries(visible_query(scope, **everyone))]
    order = workbook.ranked([_lean(s, shared) for s in store.iter_summaries(query)], unit_names,
                            units, among)
    total = len(order)
    # each record under its unit's name on its day, as the lists show it
    names = {s.id: record_unit_name(units, s, timezone) for s, _rank in order}
    return workbook.build(
        order, names, store.iter_export_records, locale=locale,
        today=today or clock.today(timezone), timezone=timezone, photo_url=photo_url,
        all_criteria=all_criteria, unit_side=scope.role == "unit",
        progress=None if progress is None else (lambda done: progress(done, total)))
