"""The Excel workbook as pure rows (DESIGN §9): what goes in each sheet, no file format.

:func:`build` returns a :class:`Report`: the sheets in tab order (title and typed
columns) and :meth:`Report.rows`, one pass that yields ``(sheet key, Row)`` pairs.
:mod:`inspect_app.xlsx` turns that stream into a file; a view or a command sends it.

Sheets:

* ``summary`` — one row per inspection: unit, period, checklist, kind, status,
  criteria points, bonus, penalty, score (criteria points + bonus − penalty: the figure
  the percent is computed from), maximum, percent (a fraction, for a ``0.00%`` format),
  band and rank (inspections only: self-checks are listed, never ranked);
* ``scores`` — one sheet per checklist version (more if it has more inspections than
  Excel has columns): one row per scored criterion, one column per inspection,
  with a heading row per section carrying its subtotal and a total row;
* ``findings`` — one row per criterion per inspection: answer in words, inputs,
  points, note and photo links;
* ``plan`` — the remediation plan of DOMAIN §5, one row per item, overdue ones flagged;
* ``appraisal`` — only when the export holds PAR-index assessments (DESIGN §10): one row
  per scored criterion per assessment: the self-score, appraisal round 1, the unit's
  explanation, round 2, the final points and the gap (self − final; before final, self
  − the last round), the overrated rows flagged. The rounds are those the reader may see
  (a unit never sees a round in progress). An assessment's summary row, score column
  and rank use its final card (assessments are ranked among assessments).

Which findings rows. By default the findings sheet holds only the rows with something
to say: shortcomings (not or partly met, or with a remediation item), "not
applicable", bonus/penalty lines that moved the score, and any criterion with a note,
a photo or an explanation; a met
criterion without any of those adds nothing a reader of the score sheet does not
see already. ``all_criteria=True`` gives the complete table, one row per criterion
per inspection (for analysts).

Streaming. The caller passes the export order (the ranked index summaries, small)
and a function that yields the records in that order as plain data (see
:meth:`~inspect_app.storage.base.Store.iter_export_records`): each record's findings
and plan rows are yielded at once and its points go into a criteria × inspections
block of flat arrays (9 bytes a cell). What stays in memory grows by well under a
kilobyte per inspection (its summary and its column of points), never with its
answers, notes, items or checklist snapshot. The score sheets and the summary come
last in the stream (the writer fills sheets in any order but each sheet's rows in
order), so drafts can show their live score.

Blank versus not applicable in the score sheets: an unanswered criterion is an
empty cell, a criterion answered "not applicable" shows the translated "N/A"
marker (``KAD`` — *không áp dụng* — in Vietnamese), so neither reads as 0 points.

No Flask here (nor anything of the web layer or the services): texts are translated
with :func:`inspect_app.i18n.gettext` for the locale given, photo addresses come from
the ``photo_url`` function the caller passes.
"""
from __future__ import annotations

import datetime as _dt
import math
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from babel.numbers import get_decimal_symbol, get_group_symbol

from ..domain import criteria
from ..domain.assessment import STAGE_LABELS, appraisal_lines, scored_answers, shown_rounds
from ..domain.checklist import Checklist, Criterion, parse_checklist
from ..domain.criteria import Shown
from ..domain.dates import local_date
from ..domain.models import InspectionSummary, Unit
from ..domain.ranking import ranked_as, unit_ranks
from ..domain.remediation import is_overdue, is_withdrawn
from ..domain.scoring import card_points, score
from ..domain.text import fold, nfc
from ..i18n import gettext, translate
from ..i18n.formatting import HUGE, roman
from ..i18n.words import inputs_words, value_words
from .labels import (
    INSPECTION_KIND_LABELS,
    INSPECTION_STATUS_LABELS,
    ITEM_STATUS_LABELS,
    LINE_STATUS_LABELS,
)

#: Column types the writer knows: how a number or date in that column is shown.
COLUMN_TYPES = ("text", "wrap", "integer", "points", "percent", "date", "link")
#: Excel's last column is XFD (16,384); a score sheet keeps 3 for code, text and maximum.
MAX_SCORE_COLUMNS = 16_384 - 3
#: How many of an item's progress notes the plan shows (the newest).
PROGRESS_NOTES_SHOWN = 3
#: Line types that appear in the score sheets (info lines score nothing).
SCORE_SHEET_TYPES = tuple(n for n in criteria.names() if criteria.get(n).role != "info")
#: Kinds whose summary rows carry a rank (each ranked among its own kind).
RANKED_KINDS = ("inspection", "assessment")


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


# ---------------------------------------------------------------- ranking


def ranked(summaries: list[InspectionSummary], unit_names: dict[str, str],
           units: Mapping[str, Unit] | None = None,
           among: Iterable[InspectionSummary] | None = None
           ) -> list[tuple[InspectionSummary, int | None]]:
    """Summaries in export order, each with its rank (None for records in progress).

    Rank: competition ranking (1, 2, 2, 4) of the percent among the units of the same
    checklist, period and kind, each by its newest finalized record (DESIGN §11, as the
    rankings page): a unit inspected again is ranked once, its older records are listed
    unranked; a unit merged into another by the end of the period is ranked under its
    successor (``units``: every unit, for their merges). ``among``: the records the
    ranks are counted among when ``summaries`` are only some units' (an export of one
    commune gives its rank in the province, not 1); default: ``summaries``. Order:
    checklist title, period, kind, rank, then unit name with diacritics folded ("Đồng
    Văn" sorts with "Dong").
    """
    if not summaries:
        return []
    groups: dict[tuple[str, str, str], list[InspectionSummary]] = {}
    for s in summaries if among is None else among:
        if s.status == "finalized":  # records in progress are listed, never ranked
            groups.setdefault((s.checklist_id, s.period, s.kind), []).append(s)
    rank_of: dict[str, int | None] = {}
    for (_checklist, period, _kind), group in groups.items():
        unit_of = ranked_as(units or {}, period)
        rank_of.update((s.id, rank) for s, rank in zip(group, unit_ranks(group, unit_of)))
    ranks = [rank_of.get(s.id) if s.status == "finalized" else None for s in summaries]

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
    appraisal: tuple[Column, ...]
    not_explained: str
    from_survey: str
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
    stages: dict[str, str]
    statuses: dict[str, str]
    lines: dict[str, str]
    items: dict[str, str]


def _labels(locale: str) -> _Labels:
    def _(message: str, /, **params: Any) -> str:  # ``_``: ``make messages`` finds the ids
        translated = gettext(message, locale)  # its own ``text`` parameter would clash
        return translated % params if params else translated

    return _Labels(
        sheet={"summary": _("Summary"), "scores": _("Scores by criterion"),
               "findings": _("Findings"), "plan": _("Remediation plan"),
               "appraisal": _("Appraisal")},
        summary=(
            Column(_("No."), "integer"), Column(_("Unit code")), Column(_("Unit")),
            Column(_("Period")), Column(_("Checklist"), "wrap"), Column(_("Kind")),
            Column(_("Status")), Column(_("Criteria points"), "points"),
            Column(_("Bonus"), "points"), Column(_("Penalty"), "points"),
            Column(_("Score"), "points"), Column(_("Maximum"), "points"),
            Column(_("Percent"), "percent"), Column(_("Rating")), Column(_("Rank"), "integer"),
        ),
        findings=(
            Column(_("Unit")), Column(_("Period")), Column(_("Checklist")), Column(_("Kind")),
            Column(_("Code")), Column(_("Criterion"), "wrap"), Column(_("Result")),
            Column(_("Answer"), "wrap"), Column(_("Figures"), "wrap"),
            Column(_("Points"), "points"), Column(_("Maximum"), "points"),
            Column(_("Note"), "wrap"), Column(_("Photo"), "link"),
            Column(_("More photos"), "wrap"),
        ),
        plan=(
            Column(_("No."), "integer"), Column(_("Unit")), Column(_("Period")),
            Column(_("Kind")), Column(_("Related criterion")), Column(_("Shortcoming"), "wrap"),
            Column(_("Cause"), "wrap"), Column(_("Action"), "wrap"),
            Column(_("Owner"), "wrap"), Column(_("Co-operating"), "wrap"),
            Column(_("Deadline"), "date"), Column(_("Expected output"), "wrap"),
            Column(_("Status")), Column(_("Progress"), "wrap"), Column(_("Note"), "wrap"),
            Column(_("Overdue")),
        ),
        appraisal=(
            Column(_("Unit")), Column(_("Period")), Column(_("Stage")), Column(_("Code")),
            Column(_("Criterion"), "wrap"), Column(_("Maximum"), "points"),
            Column(_("Self-assessment"), "points"), Column(_("Round 1"), "points"),
            Column(_("Explanation"), "wrap"), Column(_("Round 2"), "points"),
            Column(_("Final"), "points"), Column(_("Gap"), "points"),
        ),
        not_explained=_("Asked to explain; no explanation given"),
        from_survey=_("Scored from the sociological survey"),
        score_code=_("Code"), score_criterion=_("Criterion"), score_max=_("Maximum"),
        total=_("Total"), na_mark=_("N/A"), not_applicable=_("Not applicable"),
        yes=_("Yes"), no=_("No"), overdue=_("Overdue"),
        explanation=_("Explanation: %(text)s", text="\x00"),
        scores_of=_("Scores %(checklist)s", checklist="\x00"),
        version_of=_("version %(version)s", version="\x00"),
        kinds={k: translate(v, locale) for k, v in INSPECTION_KIND_LABELS.items()},
        stages={k: translate(v, locale) for k, v in STAGE_LABELS.items()},
        statuses={k: translate(v, locale) for k, v in INSPECTION_STATUS_LABELS.items()},
        lines={k: translate(v, locale) for k, v in LINE_STATUS_LABELS.items()},
        items={k: translate(v, locale) for k, v in ITEM_STATUS_LABELS.items()},
    )


def _fill(template: str, value: str) -> str:
    # Templates were translated once with a NUL placeholder (see _labels).
    return template.replace("\x00", value)



# ---------------------------------------------------------------- plain records

#: An export record (see ``Store.iter_export_records``): the stored form of an
#: inspection without its history and remembered operations.
Record = dict[str, Any]


class _Answer:
    """The fields of a stored answer the rows read (the stored form leaves defaults out)."""

    __slots__ = ("value", "inputs", "na", "note", "photos", "explanation")

    def __init__(self, data: dict[str, Any]):
        self.value = data.get("value")
        self.inputs = data.get("inputs")
        self.na = bool(data.get("na"))
        self.note = data.get("note") or ""
        self.photos = data.get("photos") or ()
        self.explanation = data.get("explanation") or ""


def answer_content(data: dict[str, Any]) -> dict[str, Any]:
    """A stored answer in the §4 form that :func:`~inspect_app.domain.scoring.score` reads
    (what :meth:`~inspect_app.domain.models.Answer.content` gives)."""
    out: dict[str, Any] = {}
    if data.get("value") is not None:
        out["value"] = data["value"]
    if data.get("inputs"):
        out["inputs"] = dict(data["inputs"])
    if data.get("na"):
        out["na"] = True
    if data.get("note"):
        out["note"] = data["note"]
    return out


def _card(record: Record, checklist: Checklist) -> dict[str, Any]:
    """The frozen score card once finalized, else the live one of the current answers
    (checked against this same frozen checklist when they were saved)."""
    if record.get("status") == "finalized" and record.get("score"):
        return record["score"]
    answers = {cid: answer_content(a) for cid, a in (record.get("answers") or {}).items()}
    return score(checklist, answers, validated=True).as_dict()


# ---------------------------------------------------------------- score sheets


@dataclass
class _ScoreBlock:
    """The criteria × inspections figures of one checklist version, in flat arrays
    (a float per cell, NaN for an empty one; a byte per cell for "not applicable").

    Rows follow the first snapshot of that version that is read; a criterion that only
    a differently edited snapshot of the same version has is shown in Findings only.
    """

    columns: list[InspectionSummary]
    checklist: Checklist | None = None
    criteria: list[Criterion] = field(default_factory=list)
    row_of: dict[str, int] = field(default_factory=dict)
    section_of: dict[str, int] = field(default_factory=dict)
    column_of: dict[str, int] = field(default_factory=dict)
    points: Any = None  # array('d'), row-major: criterion i, inspection j at i * width + j
    na: Any = None  # bytearray of the same shape: answered "not applicable"
    sections: Any = None  # array('d'), sections × inspections
    totals: Any = None  # array('d'), one per inspection

    def add(self, summary_id: str, checklist: Checklist, card: dict[str, Any]) -> None:
        """Record one inspection's points (allocating the arrays on the first one)."""
        if self.checklist is None:
            self.checklist = checklist
            self.criteria = [c for c in checklist.criteria if c.type in SCORE_SHEET_TYPES]
            self.row_of = {c.id: i for i, c in enumerate(self.criteria)}
            self.section_of = {s.id: i for i, s in enumerate(checklist.sections)}
            self.column_of = {s.id: j for j, s in enumerate(self.columns)}
            width = len(self.columns)
            self.points = array("d", [math.nan]) * (len(self.criteria) * width)
            self.na = bytearray(len(self.criteria) * width)
            self.sections = array("d", [math.nan]) * (len(checklist.sections) * width)
            self.totals = array("d", [math.nan]) * width
        width = len(self.columns)
        j = self.column_of[summary_id]
        for line in card.get("criteria", ()):
            i = self.row_of.get(line["id"])
            if i is None:
                continue
            if line["status"] == "na":
                self.na[i * width + j] = 1
            elif line["status"] != "unanswered" and line["points"] is not None:
                self.points[i * width + j] = line["points"]
        for section in card.get("sections", ()):
            k = self.section_of.get(section["id"])
            if k is not None and section.get("points") is not None:
                self.sections[k * width + j] = section["points"]
        total = card.get("total")
        if total is not None:
            self.totals[j] = total

    def rows(self, first: int, last: int, labels: _Labels) -> Iterator[Row]:
        """Section heading rows with subtotals, criterion rows and the total row for
        inspection columns ``first`` to ``last`` (exclusive)."""
        if self.checklist is None:  # no record of this version could be read
            return
        width = len(self.columns)
        for k, section in enumerate(self.checklist.sections):
            rows = [(self.row_of[c.id], c) for c in section.criteria if c.id in self.row_of]
            if not rows:
                continue
            scored = [c for _i, c in rows if c.scored]
            section_max = float(sum(c.points for c in scored)) if scored else None
            subtotals = _cells(self.sections[k * width + first:k * width + last]) if scored \
                else [None] * (last - first)
            yield Row([roman(k + 1), section.title, section_max, *subtotals], "strong")
            na_mark = labels.na_mark
            for i, criterion in rows:
                values = self.points[i * width + first:i * width + last]
                marks = self.na[i * width + first:i * width + last]
                yield Row([criterion.id, criterion.text, float(criterion.points)] + [
                    na_mark if na else (None if v != v else v) for v, na in zip(values, marks)])
        yield Row([None, labels.total, float(self.checklist.max_points),
                   *_cells(self.totals[first:last])], "strong")


def _cells(values: Iterable[float]) -> list[float | None]:
    """Array values as cells: NaN (no figure) becomes an empty cell."""
    return [None if v != v else v for v in values]


# ---------------------------------------------------------------- the report


@dataclass
class Report:
    """The sheets of one export (in tab order) and a single-pass stream of their rows."""

    sheets: list[Sheet]
    _rows: Callable[[], Iterator[tuple[str, Row]]] = field(repr=False)

    def rows(self) -> Iterator[tuple[str, Row]]:
        """``(sheet key, row)`` pairs; each sheet's rows come in order, sheets interleave.
        Every call reads the records again."""
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
                  names: dict[str, str], labels: _Labels
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
                          _score_columns(labels, _distinct(
                              [_score_header(s, names, labels)
                               for s in summaries[first:last]])),
                          freeze_columns=3)
            sheets.append(_ScoreSheet(sheet, (checklist_id, version), first, last))
    return sheets, columns


def _score_columns(labels: _Labels, headers: list[str]) -> tuple[Column, ...]:
    return (Column(labels.score_code), Column(labels.score_criterion, "wrap"),
            Column(labels.score_max, "points"), *(Column(h, "points") for h in headers))


def build(order: list[tuple[InspectionSummary, int | None]], names: dict[str, str],
          records: Callable[[list[str]], Iterable[Record]], *, locale: str = "vi",
          today: _dt.date, timezone: str = "Asia/Ho_Chi_Minh",
          photo_url: Callable[[str, str], str] | None = None, all_criteria: bool = False,
          progress: Callable[[int], None] | None = None, unit_side: bool = False) -> Report:
    """The workbook of the records of ``order`` (:func:`ranked` summaries, in export order).

    ``names``: the name of each record's unit on the record's day, by record id (a record
    made before a renaming keeps the old name, as the lists show it; its code if absent).

    ``records(ids)`` yields the export records of those ids in that order (skipping any
    that is gone); ``photo_url(inspection_id, photo_id)`` gives a photo's absolute
    address (no photo links without it); ``today`` decides which remediation items are
    overdue; ``all_criteria`` puts every criterion of every inspection in the findings
    sheet (default: only those with something to say, see the module docstring);
    ``progress(n)`` is called after each record read, with how many were read so far;
    ``unit_side``: the reader is a unit (the appraisal sheet shows only the rounds a unit
    may see).
    """
    labels = _labels(locale)
    numbers = _Numbers(locale)
    zone = ZoneInfo(timezone)
    score_sheets, score_columns = _score_sheets(order, names, labels)
    sheets = [
        Sheet("summary", labels.sheet["summary"], labels.summary, freeze_columns=3),
        # with nothing to export, still one (empty) score sheet: the layout stays the same
        *([s.sheet for s in score_sheets] or [
            Sheet("scores-1", labels.sheet["scores"], _score_columns(labels, []), 3)]),
        Sheet("findings", labels.sheet["findings"], labels.findings, freeze_columns=1),
        Sheet("plan", labels.sheet["plan"], labels.plan, freeze_columns=2),
    ]
    if any(summary.kind == "assessment" for summary, _rank in order):
        sheets.append(Sheet("appraisal", labels.sheet["appraisal"], labels.appraisal,
                            freeze_columns=5))

    def rows() -> Iterator[tuple[str, Row]]:
        blocks = {version: _ScoreBlock(columns) for version, columns in score_columns.items()}
        summaries = {summary.id: summary for summary, _rank in order}
        checklists: dict[str, Checklist] = {}  # by snapshot hash: parsed once per export
        live: dict[str, dict[str, Any]] = {}  # each record's score card figures
        plan_number = done = 0
        for record in records([summary.id for summary, _rank in order]):
            summary = summaries.get(record["id"])
            if summary is None:
                continue
            snapshot = record["checklist"]
            checklist = checklists.get(snapshot.get("hash", ""))
            if checklist is None:
                checklist = checklists[snapshot.get("hash", "")] = parse_checklist(
                    snapshot["data"], f"snapshot {str(snapshot.get('hash', ''))[:12]}",
                    frozen=True)
            card = _card(record, checklist)
            # the figures of the summary row (live ones for a record in progress)
            live[record["id"]] = {k: card.get(k) for k in ("total", "bonus", "penalty", "max",
                                                           "percent", "band")}
            blocks[(summary.checklist_id, summary.checklist_version)].add(
                summary.id, checklist, card)
            unit_name = names.get(record["id"], record["unit"])
            for row in _finding_rows(record, checklist, card, unit_name, labels, numbers,
                                     photo_url, all_criteria):
                yield "findings", row
            if record.get("kind") == "assessment":
                for row in _appraisal_rows(record, checklist, card, unit_name, labels,
                                           unit_side):
                    yield "appraisal", row
            for item in record.get("items") or ():
                if is_withdrawn(item):  # corrected at a re-finalize: no shortcoming now
                    continue
                plan_number += 1
                yield "plan", _plan_row(plan_number, record, item, unit_name, labels, today,
                                        zone)
            done += 1
            if progress is not None:
                progress(done)
        for score_sheet in score_sheets:
            for row in blocks[score_sheet.version].rows(score_sheet.first, score_sheet.last,
                                                        labels):
                yield score_sheet.sheet.key, row
        for number, (summary, rank) in enumerate(order, start=1):
            yield "summary", _summary_row(number, summary, rank, names, labels,
                                          live.get(summary.id))

    return Report(sheets, rows)


def _score_header(summary: InspectionSummary, names: dict[str, str],
                  labels: _Labels) -> str:
    """Unit name and code, then period (and kind): what tells two columns apart."""
    name = names.get(summary.id, summary.unit)
    header = f"{name} ({summary.unit})\n{summary.period}" if name != summary.unit else \
        f"{summary.unit}\n{summary.period}"
    if summary.kind != "inspection":
        header += f" · {labels.kinds.get(summary.kind, summary.kind)}"
    return header


def _distinct(headers: list[str]) -> list[str]:
    """The headers with a repeated one numbered (2), (3)…: no two columns look alike."""
    seen: dict[str, int] = {}
    out = []
    for header in headers:
        seen[header] = seen.get(header, 0) + 1
        out.append(header if seen[header] == 1 else f"{header} ({seen[header]})")
    return out


def _summary_row(number: int, summary: InspectionSummary, rank: int | None,
                 names: dict[str, str], labels: _Labels,
                 figures: dict[str, Any] | None) -> Row:
    """One summary row. "Score" is the criteria points plus bonus minus penalty, the
    figure "Percent" is computed from, so the two agree. Only inspections and assessments
    (by their final card) carry a rank: a unit's self-check is its own view, never
    ranked."""
    figures = figures or {"total": summary.total, "max": summary.max,
                          "percent": summary.percent, "band": summary.band}
    percent = figures["percent"]
    checklist = summary.checklist_title or summary.checklist_id
    if summary.checklist_version:
        checklist += f" ({_fill(labels.version_of, summary.checklist_version)})"
    total, bonus, penalty = figures.get("total"), figures.get("bonus"), figures.get("penalty")
    score = card_points(figures)
    return Row([
        number, summary.unit, names.get(summary.id, summary.unit), summary.period,
        checklist, labels.kinds.get(summary.kind, summary.kind),
        labels.statuses.get(summary.status, summary.status),
        total, bonus or None, penalty or None, score, figures["max"],
        None if percent is None else float(Decimal(str(percent)) / 100),
        figures["band"], rank if summary.kind in RANKED_KINDS else None,
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


#: Results that are worth a findings row by themselves (a shortcoming, or not applicable).
_TELLING_RESULTS = frozenset({"fail", "partial", "na"})


def _worth_a_row(status: str, answer: dict[str, Any] | None, points: Any,
                 has_item: bool) -> bool:
    """Whether a criterion's findings row has something to say (the default sheet):
    a shortcoming (also an unanswered criterion the plan has an item for), "not
    applicable", a bonus or penalty that counted, a note, a photo or an explanation, the
    figures or text of an information line (the score sheets leave those lines out)."""
    if status in _TELLING_RESULTS or has_item:
        return True
    if status == "info" and answer and (answer.get("inputs") or answer.get("value")
                                        not in (None, "", [])):
        return True
    if status == "adjustment" and points:
        return True
    return bool(answer) and bool(answer.get("note") or answer.get("photos")
                                 or answer.get("explanation") or answer.get("na"))


def _finding_rows(record: Record, checklist: Checklist, card: dict[str, Any],
                  unit_name: str, labels: _Labels, numbers: _Numbers,
                  photo_url: Callable[[str, str], str] | None,
                  all_criteria: bool = False) -> Iterator[Row]:
    lines = {line["id"]: line for line in card.get("criteria", ())}
    # the answers the card's points come from (a final assessment: its final round's)
    answers = scored_answers(record.get("kind"), record.get("stage"),
                             record.get("answers") or {}, record.get("rounds") or {})
    record_id, period = record["id"], record["period"]
    kind = labels.kinds.get(record.get("kind") or "", record.get("kind"))
    with_items = {item.get("criterion") for item in record.get("items") or ()
                  if not is_withdrawn(item)}
    for criterion in checklist.criteria:
        line = lines.get(criterion.id)
        stored = answers.get(criterion.id)
        status = line["status"] if line else "unanswered"
        points = line["points"] if line and status not in ("na", "unanswered", "info") else None
        if not all_criteria and not _worth_a_row(status, stored, points,
                                                    criterion.id in with_items):
            continue
        answer = _Answer(stored) if stored is not None else None
        note = answer.note if answer else ""
        if answer and answer.explanation:
            note = "\n".join(filter(None, (note, _fill(labels.explanation, answer.explanation))))
        photos = [photo_url(record_id, p) for p in answer.photos] if (
            answer and photo_url) else []
        yield Row([
            unit_name, period, checklist.id, kind, criterion.id, criterion.text,
            labels.lines.get(status, status),
            _answer_words(criterion, answer, line, labels, numbers),
            _inputs_text(criterion, answer.inputs if answer else None, numbers),
            points, None if criterion.points is None else float(criterion.points),
            note or None, photos[0] if photos else None, "\n".join(photos[1:]) or None,
        ])


def _assessment_cards(record: Record, checklist: Checklist, card: dict[str, Any],
                      unit_side: bool) -> dict[str, dict[str, Any] | None]:
    """The self, round and final cards of an assessment record as the reader may see
    them: frozen once final, else scored from the stored answers of each round."""
    stage = record.get("stage") or "self"
    rounds = record.get("rounds") or {}
    shown = shown_rounds(stage, rounds, unit_side)
    finalized = record.get("status") == "finalized"
    frozen = (record.get("cards") or {}) if finalized else {}

    def scored(answers: dict[str, Any]) -> dict[str, Any]:
        return score(checklist, {cid: answer_content(a) for cid, a in answers.items()},
                     validated=True).as_dict()

    def round_card(name: str) -> dict[str, Any] | None:
        if name not in shown:
            return None
        if frozen.get(name) is not None:
            return frozen[name]
        return scored(rounds.get(name) or {})

    own = (frozen.get("self") or scored(record.get("answers") or {})) if finalized else card
    return {"self": own, "appraisal1": round_card("appraisal1"),
            "appraisal2": round_card("appraisal2"), "final": card if finalized else None}


def _appraisal_rows(record: Record, checklist: Checklist, card: dict[str, Any],
                    unit_name: str, labels: _Labels, unit_side: bool) -> Iterator[Row]:
    """The appraisal sheet's rows of one assessment (see the module docstring)."""
    cards = _assessment_cards(record, checklist, card, unit_side)
    round1 = (record.get("rounds") or {}).get("appraisal1") or {}
    asked = {cid for cid, a in round1.items() if a.get("explain")} if cards["appraisal1"] \
        else set()
    texts = {cid: (e or {}).get("text") or "" for cid, e in
             (record.get("explanations") or {}).items()}
    stage = labels.stages.get(record.get("stage") or "self", record.get("stage") or "")

    def cell(line, name: str, points: Decimal | None) -> Any:
        if line.statuses.get(name) == "na":
            return labels.na_mark
        return None if points is None else float(points)

    for line in appraisal_lines(checklist, cards, asked, texts):
        explanation = line.explanation or (labels.not_explained if line.asked else None)
        if checklist.criterion(line.criterion).survey:  # imported: neither self nor appraised
            explanation = labels.from_survey
        yield Row([
            unit_name, record["period"], stage, line.criterion, line.text,
            None if line.max is None else float(line.max),
            cell(line, "self", line.self_points), cell(line, "appraisal1", line.round1),
            explanation, cell(line, "appraisal2", line.round2),
            cell(line, "final", line.final),
            None if line.gap is None else float(line.gap),
        ], "alert" if line.overrated else "")


def _plan_row(number: int, record: Record, item: dict[str, Any], unit_name: str,
              labels: _Labels, today: _dt.date, zone: ZoneInfo) -> Row:
    status = item.get("status", "open")
    overdue = is_overdue(_ItemView(item), today)
    progress = []
    for note in (item.get("progress") or [])[-PROGRESS_NOTES_SHOWN:]:
        text = note.get("note") or (labels.items.get(note.get("status"), note.get("status"))
                                    if note.get("status") else "")
        if text:
            progress.append(f"{_local_dmy(note.get('at'), zone.key)}: {text}")
    due = item.get("due")
    return Row([
        number, unit_name, record["period"],
        labels.kinds.get(record.get("kind") or "", record.get("kind")),
        item.get("criterion"), item.get("finding", ""),
        item.get("cause", ""), item.get("action", ""), item.get("owner", ""),
        item.get("cooperating", ""), _dt.date.fromisoformat(due) if due else None,
        item.get("output", ""), labels.items.get(status, status), "\n".join(progress) or None,
        item.get("reason") or None, labels.overdue if overdue else None,
    ], "alert" if overdue else "")


class _ItemView:
    """What :func:`~inspect_app.domain.remediation.is_overdue` reads of an item."""

    __slots__ = ("due", "status")

    def __init__(self, item: dict[str, Any]):
        self.due = item.get("due")
        self.status = item.get("status", "open")


def _local_dmy(moment: str | None, tz: str) -> str:
    """An ISO moment (stored in UTC) as a local dd/mm/yyyy date (anything else as it is)."""
    day = local_date(moment, tz)
    return day.strftime("%d/%m/%Y") if day is not None else str(moment or "")
