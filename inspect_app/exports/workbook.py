"""The Excel workbook as pure rows (DESIGN §9): what goes in each sheet, no file format.

:func:`build` returns a :class:`Report`: the sheets in tab order (title and typed
columns) and :meth:`Report.rows`, one pass that yields ``(sheet key, Row)`` pairs.
:mod:`inspect_app.xlsx` turns that stream into a file; a view or a command sends it.

Sheets:

* ``summary`` — one row per inspection: unit, period, checklist, kind, status,
  score, maximum, percent (a fraction, for a ``0.00%`` format), band and rank;
* ``scores`` — one sheet per checklist version (more if it has more inspections than
  Excel has columns): one row per scored criterion, one column per inspection,
  with a heading row per section carrying its subtotal and a total row;
* ``findings`` — one row per criterion per inspection: answer in words, inputs,
  points, note and photo links;
* ``plan`` — the remediation plan of DOMAIN §5, one row per item, overdue ones flagged.

Streaming. Only the index summaries (small) are read up front: they decide the
order (competition ranking) and the columns of the score sheets. Then full
inspections are read one at a time, in that order; each one's findings and plan
rows are yielded at once and its points go into a preallocated criteria ×
inspections array (9 bytes a cell). What stays in memory grows by well under a
kilobyte per inspection (its summary and its column of points), never with its
answers, notes, items or checklist snapshot. The score sheets and the summary come
last in the stream (the writer fills sheets in any order but each sheet's rows in
order), so drafts can show their live score.

Blank versus not applicable in the score sheets: an unanswered criterion is an
empty cell, a criterion answered "not applicable" shows the translated "N/A"
marker (``KAD`` — *không áp dụng* — in Vietnamese), so neither reads as 0 points.
"""
from __future__ import annotations

import datetime as _dt
import math
from bisect import bisect_right
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable, Iterable, Iterator, NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
from babel.numbers import get_decimal_symbol, get_group_symbol
from flask_babel import force_locale
from flask_babel import gettext as _

from ..storage.checklist_files import ChecklistLibrary
from ..domain.access import Scope
from ..domain import criteria
from ..domain.checklist import Checklist, Criterion
from ..domain.criteria import Shown
from ..domain.models import INSPECTION_KINDS, Inspection, InspectionSummary, RemediationItem
from ..domain.periods import PeriodError, parse_period
from ..domain.remediation import is_overdue
from ..domain.text import fold, nfc
from ..i18n.formatting import HUGE, roman
from ..i18n.words import inputs_words, value_words
from ..services import Invalid, clock
from ..services.inspections import card_dict, checklist_of, visible
from ..storage import Store
from ..web.labels import (INSPECTION_KIND_LABELS, INSPECTION_STATUS_LABELS, ITEM_STATUS_LABELS,
                         LINE_STATUS_LABELS)

#: Column types the writer knows: how a number or date in that column is shown.
COLUMN_TYPES = ("text", "wrap", "integer", "points", "percent", "date", "link")
#: Excel's last column is XFD (16,384); a score sheet keeps 3 for code, text and maximum.
MAX_SCORE_COLUMNS = 16_384 - 3
#: How many of an item's progress notes the plan shows (the newest).
PROGRESS_NOTES_SHOWN = 3
#: Line types that appear in the score sheets (info lines score nothing).
SCORE_SHEET_TYPES = tuple(n for n in criteria.names() if criteria.get(n).role != "info")


@dataclass(frozen=True)
class Column:
    """A sheet column: its header and how its values are shown (see :data:`COLUMN_TYPES`)."""

    header: str
    type: str = "text"

    def __post_init__(self) -> None:
        if self.type not in COLUMN_TYPES:
            raise ValueError(f"column type {self.type!r} is not one of {', '.join(COLUMN_TYPES)}")


@dataclass(frozen=True)
class Sheet:
    """One worksheet: key (used in the row stream), title (the tab) and columns.

    ``freeze_columns`` columns stay visible when scrolling right (the header row
    always stays visible when scrolling down).
    """

    key: str
    title: str
    columns: tuple[Column, ...]
    freeze_columns: int = 0

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


class Row(NamedTuple):
    """A row of typed cells: ``str``, ``int``, ``float``, ``datetime.date`` or None (empty).

    ``style`` is ``""``, ``"strong"`` (section and total rows) or ``"alert"`` (overdue items).
    """

    cells: list[Any]
    style: str = ""


@dataclass(frozen=True)
class Filters:
    """What to export. ``units`` empty means every unit the user may see; by default only
    finalized records, with ``include_drafts`` also those in progress."""

    period: str | None = None
    checklist: str | None = None
    units: tuple[str, ...] = ()
    kind: str | None = None
    include_drafts: bool = False

    def store_filters(self) -> dict[str, Any]:
        """Keyword filters for :func:`services.inspections.visible`."""
        out: dict[str, Any] = {"period": self.period, "checklist": self.checklist,
                               "kind": self.kind,
                               "status": None if self.include_drafts else "finalized"}
        if self.units:
            out["units"] = self.units
        return {k: v for k, v in out.items() if v is not None}


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
    codes = tuple(dict.fromkeys(u.strip() for u in units if u and u.strip()))
    unknown = [code for code in codes if store.get_unit(code) is None]
    if unknown:
        errors["units"] = f"unknown unit{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}"
    if kind and kind not in INSPECTION_KINDS:
        errors["kind"] = f"kind must be one of {', '.join(INSPECTION_KINDS)}"
    if errors:
        raise Invalid("; ".join(errors.values()), fields=errors)
    return Filters(period=period or None, checklist=checklist or None, units=codes,
                   kind=kind or None, include_drafts=include_drafts)


# ---------------------------------------------------------------- ranking


def ranked(summaries: list[InspectionSummary], unit_names: dict[str, str]
           ) -> list[tuple[InspectionSummary, int | None]]:
    """Summaries in export order, each with its rank (None for records in progress).

    Rank: competition ranking (1, 2, 2, 4) of the percent among finalized records
    of the same checklist, period and kind. Order: checklist title, period, kind,
    rank, then unit name with diacritics folded ("Đồng Văn" sorts with "Dong").
    """
    if not summaries:
        return []
    percents = [float(s.percent) if s.status == "finalized" and s.percent is not None
                and not math.isnan(float(s.percent)) else None for s in summaries]
    groups: dict[tuple[str, str, str], list[float]] = {}
    for s, percent in zip(summaries, percents):
        if percent is not None:
            groups.setdefault((s.checklist_id, s.period, s.kind), []).append(percent)
    for values in groups.values():
        values.sort()
    ranks: list[int | None] = []
    for s, percent in zip(summaries, percents):
        if percent is None:
            ranks.append(None)
            continue
        values = groups[(s.checklist_id, s.period, s.kind)]
        ranks.append(1 + len(values) - bisect_right(values, percent))  # 1 + how many are higher

    def order(position: int) -> tuple:
        s, rank = summaries[position], ranks[position]
        name = nfc(unit_names.get(s.unit, s.unit))
        return (fold(s.checklist_title), s.checklist_id, s.period, s.kind, rank is None,
                rank or 0, fold(name), name, s.created_at)

    return [(summaries[p], ranks[p]) for p in sorted(range(len(summaries)), key=order)]


# ---------------------------------------------------------------- labels and numbers


def _huge(value: Any) -> bool:
    """A number only old data can hold (far beyond the answer limits), or not finite."""
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return True
    return not number.is_finite() or abs(number) >= HUGE


def _scientific(value: Any) -> str:
    try:
        return f"{Decimal(str(value)):.3E}"
    except (ArithmeticError, ValueError):
        return str(value)


class _Numbers:
    """Numbers as text in the locale's style (61.475; 88,95%) for the inputs and
    answer columns. Uses Babel's symbols for the locale, but Python's own formatting:
    a Babel call costs ~20 µs, and a large export formats hundreds of thousands."""

    def __init__(self, locale: str):
        self.locale = locale
        self._swap = str.maketrans({",": get_group_symbol(locale),
                                    ".": get_decimal_symbol(locale)})

    def number(self, value: Any) -> str:
        """Grouped thousands and at most two decimals: 48.801; 1,5."""
        if isinstance(value, bool) or value is None:
            return ""
        if _huge(value):
            return _scientific(value).translate(self._swap)
        if isinstance(value, int):
            return f"{value:,}".translate(self._swap)
        exact = Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        text = f"{exact:,.2f}".rstrip("0").rstrip(".")
        return text.translate(self._swap)

    def percent(self, value: Any) -> str:
        """A percent value (88.95 means 88,95%) with two decimals, no space before %."""
        if _huge(value):
            return _scientific(value).translate(self._swap) + "%"
        exact = Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        return f"{exact:,.2f}".translate(self._swap) + "%"


@dataclass
class _Labels:
    """Every translated text a report needs, resolved once in the report's language so
    that rows can be produced later, outside any forced locale."""

    sheet: dict[str, str]
    summary: tuple[Column, ...]
    findings: tuple[Column, ...]
    plan: tuple[Column, ...]
    score_code: str
    score_criterion: str
    score_max: str
    total: str
    na_mark: str
    not_applicable: str
    yes: str
    no: str
    overdue: str
    explanation: str
    scores_of: str
    version_of: str
    kinds: dict[str, str]
    statuses: dict[str, str]
    lines: dict[str, str]
    items: dict[str, str]


def _labels(locale: str) -> _Labels:
    with force_locale(locale):
        return _Labels(
            sheet={"summary": _("Summary"), "scores": _("Scores by criterion"),
                   "findings": _("Findings"), "plan": _("Remediation plan")},
            summary=(
                Column(_("No."), "integer"), Column(_("Unit code")), Column(_("Unit")),
                Column(_("Period")), Column(_("Checklist"), "wrap"), Column(_("Kind")),
                Column(_("Status")), Column(_("Score"), "points"), Column(_("Maximum"), "points"),
                Column(_("Percent"), "percent"), Column(_("Rating")), Column(_("Rank"), "integer"),
            ),
            findings=(
                Column(_("Unit")), Column(_("Period")), Column(_("Checklist")),
                Column(_("Code")), Column(_("Criterion"), "wrap"), Column(_("Result")),
                Column(_("Answer"), "wrap"), Column(_("Figures"), "wrap"),
                Column(_("Points"), "points"), Column(_("Maximum"), "points"),
                Column(_("Note"), "wrap"), Column(_("Photo"), "link"),
                Column(_("More photos"), "wrap"),
            ),
            plan=(
                Column(_("No."), "integer"), Column(_("Unit")), Column(_("Period")),
                Column(_("Related criterion")), Column(_("Shortcoming"), "wrap"),
                Column(_("Cause"), "wrap"), Column(_("Action"), "wrap"),
                Column(_("Owner"), "wrap"), Column(_("Co-operating"), "wrap"),
                Column(_("Deadline"), "date"), Column(_("Expected output"), "wrap"),
                Column(_("Status")), Column(_("Progress"), "wrap"), Column(_("Note"), "wrap"),
                Column(_("Overdue")),
            ),
            score_code=_("Code"), score_criterion=_("Criterion"), score_max=_("Maximum"),
            total=_("Total"), na_mark=_("N/A"), not_applicable=_("Not applicable"),
            yes=_("Yes"), no=_("No"), overdue=_("Overdue"),
            explanation=_("Explanation: %(text)s", text="\x00"),
            scores_of=_("Scores %(checklist)s", checklist="\x00"),
            version_of=_("version %(version)s", version="\x00"),
            kinds={k: str(v) for k, v in INSPECTION_KIND_LABELS.items()},
            statuses={k: str(v) for k, v in INSPECTION_STATUS_LABELS.items()},
            lines={k: str(v) for k, v in LINE_STATUS_LABELS.items()},
            items={k: str(v) for k, v in ITEM_STATUS_LABELS.items()},
        )


def _fill(template: str, value: str) -> str:
    # Templates were translated once with a NUL placeholder (see _labels).
    return template.replace("\x00", value)


# ---------------------------------------------------------------- score sheets


@dataclass
class _ScoreBlock:
    """The criteria × inspections figures of one checklist version.

    Rows follow the first snapshot of that version that is read; a criterion that only
    a differently edited snapshot of the same version has is shown in Findings only.
    """

    columns: list[InspectionSummary]
    checklist: Checklist | None = None
    criteria: list[Criterion] = field(default_factory=list)
    row_of: dict[str, int] = field(default_factory=dict)
    section_of: dict[str, int] = field(default_factory=dict)
    column_of: dict[str, int] = field(default_factory=dict)
    points: Any = None  # float array, criteria × inspections; NaN = empty
    na: Any = None  # bool array, criteria × inspections: answered "not applicable"
    sections: Any = None  # float array, sections × inspections
    totals: Any = None  # float array, one per inspection

    def add(self, summary_id: str, checklist: Checklist, card: dict[str, Any]) -> None:
        """Record one inspection's points (allocating the arrays on the first one)."""
        if self.checklist is None:
            self.checklist = checklist
            self.criteria = [c for c in checklist.criteria if c.type in SCORE_SHEET_TYPES]
            self.row_of = {c.id: i for i, c in enumerate(self.criteria)}
            self.section_of = {s.id: i for i, s in enumerate(checklist.sections)}
            self.column_of = {s.id: j for j, s in enumerate(self.columns)}
            width = len(self.columns)
            self.points = np.full((len(self.criteria), width), np.nan)
            self.na = np.zeros((len(self.criteria), width), dtype=bool)
            self.sections = np.full((len(checklist.sections), width), np.nan)
            self.totals = np.full(width, np.nan)
        j = self.column_of[summary_id]
        for line in card.get("criteria", ()):
            i = self.row_of.get(line["id"])
            if i is None:
                continue
            if line["status"] == "na":
                self.na[i, j] = True
            elif line["status"] != "unanswered" and line["points"] is not None:
                self.points[i, j] = line["points"]
        for section in card.get("sections", ()):
            k = self.section_of.get(section["id"])
            if k is not None:
                self.sections[k, j] = section["points"]
        self.totals[j] = card.get("total", np.nan)

    def rows(self, first: int, last: int, labels: _Labels) -> Iterator[Row]:
        """Section heading rows with subtotals, criterion rows and the total row for
        inspection columns ``first`` to ``last`` (exclusive)."""
        if self.checklist is None:  # no record of this version could be read
            return
        for k, section in enumerate(self.checklist.sections):
            rows = [(self.row_of[c.id], c) for c in section.criteria if c.id in self.row_of]
            if not rows:
                continue
            scored = [c for _i, c in rows if c.scored]
            section_max = float(sum(c.points for c in scored)) if scored else None
            subtotals = _cells(self.sections[k, first:last]) if scored else [None] * (
                last - first)
            yield Row([roman(k + 1), section.title, section_max, *subtotals], "strong")
            for i, criterion in rows:
                values = self.points[i, first:last].tolist()
                marks = self.na[i, first:last].tolist()
                yield Row([criterion.id, criterion.text, float(criterion.points)] + [
                    labels.na_mark if na else (None if v != v else v)
                    for v, na in zip(values, marks)])
        yield Row([None, labels.total, float(self.checklist.max_points),
                   *_cells(self.totals[first:last])], "strong")


def _cells(values: Any) -> list[float | None]:
    """Array values as cells: NaN (no figure) becomes an empty cell."""
    return [None if v != v else v for v in values.tolist()]


# ---------------------------------------------------------------- the report


@dataclass
class Report:
    """The sheets of one export (in tab order) and a single-pass stream of their rows."""

    sheets: list[Sheet]
    _rows: Callable[[], Iterator[tuple[str, Row]]] = field(repr=False)

    def rows(self) -> Iterator[tuple[str, Row]]:
        """``(sheet key, row)`` pairs; each sheet's rows come in order, sheets interleave.
        Every call reads the store again."""
        return self._rows()

    def sheet(self, key: str) -> Sheet:
        """The sheet with this key."""
        return next(s for s in self.sheets if s.key == key)

    def table(self, key: str) -> tuple[list[str], list[list[Any]]]:
        """``(headers, rows)`` of one sheet (reads everything: for small exports and tests)."""
        return self.sheet(key).headers, [row.cells for k, row in self.rows() if k == key]


class _ScoreSheet(NamedTuple):
    """A score sheet: inspection columns ``first`` to ``last`` of one checklist version."""

    sheet: Sheet
    version: tuple[str, str]  # (checklist id, version)
    first: int
    last: int


def _score_sheets(order: list[tuple[InspectionSummary, int | None]],
                  unit_names: dict[str, str], labels: _Labels
                  ) -> tuple[list[_ScoreSheet], dict[tuple[str, str], list[InspectionSummary]]]:
    """The score sheets (one per checklist version, split where Excel runs out of
    columns) and the inspections, in export order, that are the columns of each version."""
    columns: dict[tuple[str, str], list[InspectionSummary]] = {}
    for summary, _rank in order:
        columns.setdefault((summary.checklist_id, summary.checklist_version), []).append(summary)
    ids = [checklist_id for checklist_id, _version in columns]
    sheets: list[_ScoreSheet] = []
    for (checklist_id, version), summaries in columns.items():
        if len(columns) == 1:
            title = labels.sheet["scores"]
        else:
            name = checklist_id if ids.count(checklist_id) == 1 else f"{checklist_id} {version}"
            title = _fill(labels.scores_of, name)
        starts = range(0, len(summaries), MAX_SCORE_COLUMNS)
        for n, first in enumerate(starts):
            last = min(first + MAX_SCORE_COLUMNS, len(summaries))
            sheet = Sheet(f"scores-{len(sheets) + 1}",
                          f"{title} ({n + 1})" if len(starts) > 1 else title,
                          _score_columns(labels, [_score_header(s, unit_names, labels)
                                                  for s in summaries[first:last]]),
                          freeze_columns=3)
            sheets.append(_ScoreSheet(sheet, (checklist_id, version), first, last))
    return sheets, columns


def _score_columns(labels: _Labels, headers: list[str]) -> tuple[Column, ...]:
    return (Column(labels.score_code), Column(labels.score_criterion, "wrap"),
            Column(labels.score_max, "points"), *(Column(h, "points") for h in headers))


def build(store: Store, scope: Scope, filters: Filters, *, locale: str = "vi",
          photo_url: Callable[[str, str], str] | None = None,
          today: _dt.date | None = None, timezone: str = clock.DEFAULT_TZ) -> Report:
    """The workbook of what ``scope`` may see among the records matching ``filters``.

    ``photo_url(inspection_id, photo_id)`` gives a photo's absolute address (no
    photo links without it); ``today`` (default: today in ``timezone``) decides
    which remediation items are overdue. Needs an app context (for translations);
    the rows need one too if ``photo_url`` does (``url_for``).
    """
    labels = _labels(locale)
    numbers = _Numbers(locale)
    unit_names = {u.code: u.name for u in store.list_units()}
    order = ranked(visible(store, scope, **filters.store_filters()), unit_names)
    day = today or clock.today(timezone)
    zone = ZoneInfo(timezone)
    score_sheets, score_columns = _score_sheets(order, unit_names, labels)
    sheets = [
        Sheet("summary", labels.sheet["summary"], labels.summary, freeze_columns=3),
        # with nothing to export, still one (empty) score sheet: the layout stays the same
        *([s.sheet for s in score_sheets] or [
            Sheet("scores-1", labels.sheet["scores"], _score_columns(labels, []), 3)]),
        Sheet("findings", labels.sheet["findings"], labels.findings, freeze_columns=1),
        Sheet("plan", labels.sheet["plan"], labels.plan, freeze_columns=2),
    ]

    def rows() -> Iterator[tuple[str, Row]]:
        blocks = {version: _ScoreBlock(columns) for version, columns in score_columns.items()}
        checklists: dict[str, Checklist] = {}  # by snapshot hash: parsed once per export
        live: dict[str, dict[str, Any]] = {}  # the current score of records in progress
        plan_number = 0
        for summary, _rank in order:
            inspection = store.get_inspection(summary.id)
            if inspection is None:
                continue
            snapshot_hash = inspection.checklist.get("hash", "")
            checklist = checklists.get(snapshot_hash)
            if checklist is None:
                checklist = checklists[snapshot_hash] = checklist_of(inspection)
            card = card_dict(inspection)
            if inspection.status != "finalized":
                live[inspection.id] = {k: card.get(k) for k in ("total", "max", "percent", "band")}
            blocks[(summary.checklist_id, summary.checklist_version)].add(
                summary.id, checklist, card)
            unit_name = unit_names.get(inspection.unit, inspection.unit)
            for row in _finding_rows(inspection, checklist, card, unit_name, labels, numbers,
                                     photo_url):
                yield "findings", row
            for item in inspection.items:
                plan_number += 1
                yield "plan", _plan_row(plan_number, inspection, item, unit_name, labels, day,
                                        zone)
        for score_sheet in score_sheets:
            for row in blocks[score_sheet.version].rows(score_sheet.first, score_sheet.last,
                                                        labels):
                yield score_sheet.sheet.key, row
        for number, (summary, rank) in enumerate(order, start=1):
            yield "summary", _summary_row(number, summary, rank, unit_names, labels,
                                          live.get(summary.id))

    return Report(sheets, rows)


def _score_header(summary: InspectionSummary, unit_names: dict[str, str],
                  labels: _Labels) -> str:
    header = f"{unit_names.get(summary.unit, summary.unit)}\n{summary.period}"
    if summary.kind != "inspection":
        header += f" · {labels.kinds.get(summary.kind, summary.kind)}"
    return header


def _summary_row(number: int, summary: InspectionSummary, rank: int | None,
                 unit_names: dict[str, str], labels: _Labels,
                 live: dict[str, Any] | None) -> Row:
    figures = live or {"total": summary.total, "max": summary.max, "percent": summary.percent,
                       "band": summary.band}
    percent = figures["percent"]
    checklist = summary.checklist_title or summary.checklist_id
    if summary.checklist_version:
        checklist += f" ({_fill(labels.version_of, summary.checklist_version)})"
    return Row([
        number, summary.unit, unit_names.get(summary.unit, summary.unit), summary.period,
        checklist, labels.kinds.get(summary.kind, summary.kind),
        labels.statuses.get(summary.status, summary.status),
        figures["total"], figures["max"],
        None if percent is None else float(Decimal(str(percent)) / 100),
        figures["band"], rank,
    ])


def _answer_words(criterion: Criterion, answer: Any, line: dict[str, Any] | None,
                  labels: _Labels, numbers: _Numbers) -> Any:
    """What was answered, as a reader would say it (``i18n.words``, the same words as the
    pages and documents): a lone number stays a number, for a numeric cell."""
    pieces = criteria.answer_words(criterion, answer, line)
    if len(pieces) == 1 and isinstance(pieces[0], Shown) and pieces[0].style in ("number", "sum") \
            and isinstance(pieces[0].value, (int, float, Decimal)) \
            and not isinstance(pieces[0].value, bool):
        value = pieces[0].value
        return float(value) if isinstance(value, Decimal) else value
    return value_words(criterion, answer, line, numbers.locale)


def _inputs_text(criterion: Criterion, inputs: dict[str, Any] | None,
                 numbers: _Numbers) -> str | None:
    """"Trước hạn: 6.062; Đúng hạn: 48.801" (``i18n.words``)."""
    return inputs_words(criterion, inputs, numbers.locale)


def _finding_rows(inspection: Inspection, checklist: Checklist, card: dict[str, Any],
                  unit_name: str, labels: _Labels, numbers: _Numbers,
                  photo_url: Callable[[str, str], str] | None) -> Iterator[Row]:
    lines = {line["id"]: line for line in card.get("criteria", ())}
    for criterion in checklist.criteria:
        line = lines.get(criterion.id)
        answer = inspection.answers.get(criterion.id)
        status = line["status"] if line else "unanswered"
        points = line["points"] if line and status not in ("na", "unanswered", "info") else None
        note = answer.note if answer else ""
        if answer and answer.explanation:
            note = "\n".join(filter(None, (note, _fill(labels.explanation, answer.explanation))))
        photos = [photo_url(inspection.id, p) for p in answer.photos] if (
            answer and photo_url) else []
        yield Row([
            unit_name, inspection.period, checklist.id, criterion.id, criterion.text,
            labels.lines.get(status, status),
            _answer_words(criterion, answer, line, labels, numbers),
            _inputs_text(criterion, answer.inputs if answer else None, numbers),
            points, None if criterion.points is None else float(criterion.points),
            note or None, photos[0] if photos else None, "\n".join(photos[1:]) or None,
        ])


def _plan_row(number: int, inspection: Inspection, item: RemediationItem, unit_name: str,
              labels: _Labels, today: _dt.date, zone: ZoneInfo) -> Row:
    overdue = is_overdue(item, today)
    progress = []
    for note in item.progress[-PROGRESS_NOTES_SHOWN:]:
        text = note.note or (labels.items.get(note.status, note.status) if note.status else "")
        if text:
            progress.append(f"{_local_dmy(note.at, zone)}: {text}")
    return Row([
        number, unit_name, inspection.period, item.criterion, item.finding, item.cause,
        item.action, item.owner, item.cooperating,
        _dt.date.fromisoformat(item.due) if item.due else None, item.output,
        labels.items.get(item.status, item.status), "\n".join(progress) or None,
        item.reason or None, labels.overdue if overdue else None,
    ], "alert" if overdue else "")


def _local_dmy(moment: str, zone: ZoneInfo) -> str:
    """An ISO moment (stored in UTC) as a local dd/mm/yyyy date."""
    try:
        parsed = _dt.datetime.fromisoformat(moment)
    except (TypeError, ValueError):
        return str(moment or "")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_dt.timezone.utc)
    return parsed.astimezone(zone).strftime("%d/%m/%Y")
