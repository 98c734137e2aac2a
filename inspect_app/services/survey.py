"""The survey share of a PAR-index assessment (issue 13 point 6): the points of the
sections a checklist scores from a sociological survey (*điều tra xã hội học*, a section
with ``survey: true``) are imported per unit from a CSV file, all or nothing.

The file (docs/checklists.md §18) has a header row and one line per unit, in one of two
layouts:

* **one column per survey section or criterion**: ``unit,<id>,<id>…`` where each ``<id>``
  is a survey section's id (a section of one criterion) or a survey criterion's id;
* **one line per unit and section**: ``unit[,section],points`` (the section column —
  or ``criterion`` — may be left out when the checklist has one survey section of one
  criterion). With both a section and a criterion column the criterion names the figure's
  criterion and the section must hold it (a section of several criteria: one line each).

Headers may be Vietnamese (``mã đơn vị``, ``phần``, ``tiêu chí``, ``điểm``), the delimiter
``,`` ``;`` or tab, and numbers are read the Vietnamese way (``8,5``; ``8.5`` is taken too:
it has no other reading); unit codes are matched as :func:`stored_code` reads them (case
ignored). Every problem is named with its line and column, and one
problem refuses the whole file: an unknown unit, a unit without an assessment of that
checklist and period (or whose assessment is final), a figure above the points, a
negative figure, a figure that is no number, a unit given twice.

The figures become the answers of the survey criteria in the self-score and in every
appraisal round already started (a round started later copies them as it copies the
self-score), each record through its normal atomic update (a new ``rev``, a history
line): re-importing replaces the previous figures. Nobody fills them in a form.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..domain import criteria
from ..domain import inspection as rules
from ..domain.access import Scope
from ..domain.checklist import Checklist, Criterion, Section
from ..domain.messages import N_, Message, joined
from ..domain.models import Answer, Inspection
from ..domain.numbers import NumberUnclear, json_number, read_number, to_fraction
from ..domain.periods import PeriodError, parse_period
from ..domain.text import NotText, csv_delimiter, decode_upload, fold, nfc
from ..domain.units import Codes
from ..storage import Store
from . import Forbidden, Invalid, Missing, TooLarge, audit, clock
from .inspections import checklist_of

#: At most this many bytes and lines in a survey file (a province has a few hundred units).
MAX_BYTES = 1024 * 1024
MAX_LINES = 20_000

#: Headers (folded: no diacritics, lower case) and what they name.
_UNIT = {"unit", "code", "unit code", "ma", "ma don vi", "don vi", "ma xa", "xa"}
_SECTION = {"section", "phan", "ma phan", "linh vuc", "muc"}
_CRITERION = {"criterion", "tieu chi", "ma tieu chi"}
_POINTS = {"points", "score", "diem", "so diem", "diem dieu tra", "diem khao sat"}


class SurveyRefused(Invalid):
    """The survey file is refused whole; ``problems`` names each bad line and column."""


@dataclass
class SurveyImport:
    """What an import did: per unit code, its assessment's id and the figures written
    (criterion id → points)."""

    checklist: str
    period: str
    figures: dict[str, tuple[str, dict[str, Decimal]]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(len(f) for _i, f in self.figures.values())


def _at(line: int, column: str | None, problem: Any) -> Message:
    if column is None:
        return N_("line %(line)s: %(problem)s", line=line, problem=problem)
    return N_("line %(line)s, column %(column)s: %(problem)s", line=line, column=column,
              problem=problem)


def _header_key(text: str) -> str:
    return " ".join(fold(text or "").replace("_", " ").split())


def _unit_first_columns(header: list[str]) -> int:
    """How many columns a survey header has if it names a unit first (else 0)."""
    return len(header) if header and _header_key(header[0]) in _UNIT else 0


def read_figure(text: str) -> Decimal:
    """A figure as written in a survey file: ``8,5`` (Vietnamese) or ``8.5``, ``10``.
    :class:`NumberUnclear` when it is no number or could be read two ways."""
    try:
        return read_number(text)
    except NumberUnclear as unclear:
        if unclear.kind == "other_way" and len(unclear.readings) == 1:
            return unclear.readings[0]
        raise


def _figure_problem(criterion: Criterion, raw: str) -> tuple[Decimal | None, Any]:
    """The figure of one cell for ``criterion``, or None and why not."""
    text = (raw or "").strip()
    if not text:
        return None, N_("no figure (empty)")
    try:
        number = read_figure(text)
    except NumberUnclear as unclear:
        fits = [r for r in unclear.readings if 0 <= r <= criterion.points]
        if unclear.kind == "two_readings" and len(fits) == 1:  # 9.25 of 10 points: not 925
            number = fits[0]
        elif unclear.kind == "two_readings":
            return None, N_("%(text)s can be read two ways; write it as %(first)s or %(second)s",
                            text=text, first=str(unclear.readings[0]).replace(".", ","),
                            second=str(unclear.readings[1]).replace(".", ","))
        else:
            return None, N_("%(text)s is not a number", text=text)
    if number < 0:
        return None, N_("%(text)s is negative", text=text)
    if to_fraction(number) > to_fraction(criterion.points):
        return None, N_("%(text)s is above the %(max)s points of %(criterion)s", text=text,
                        max=criterion.points, criterion=criterion.id)
    problems = criteria.get(criterion.type).value_problems(criterion, json_number(number))
    if problems:
        return None, joined(problems)
    return number, None


@dataclass
class _Layout:
    unit: int
    #: wide: column index → its header (a section or criterion id); long: None
    targets: dict[int, str] | None = None
    section: int | None = None
    criterion: int | None = None
    points: int | None = None


def _layout(header: list[str]) -> tuple[_Layout | None, list[Message]]:
    keys = [_header_key(h) for h in header]
    if not keys or keys[0] not in _UNIT:
        return None, [_at(1, header[0] if header else "1", N_(
            "the first column must be the unit code (unit, mã đơn vị)"))]
    layout = _Layout(unit=0)
    if any(k in _POINTS for k in keys[1:]):
        for index, key in enumerate(keys[1:], start=1):
            if key in _POINTS and layout.points is None:
                layout.points = index
            elif key in _SECTION and layout.section is None:
                layout.section = index
            elif key in _CRITERION and layout.criterion is None:
                layout.criterion = index
            else:
                return None, [_at(1, header[index], N_(
                    "unknown column: with a points column, the columns are the unit, the "
                    "section or criterion, and the points"))]
        return layout, []
    layout.targets = {i: h.strip() for i, h in enumerate(header) if i > 0}
    if not layout.targets:
        return None, [_at(1, None, N_("no column of points: add one column per survey "
                                      "section (its id) or a points column"))]
    return layout, []


def _target(checklist: Checklist, name: str, within: str = "") -> tuple[Criterion | None, Any]:
    """The survey criterion a column or a line names: a criterion id, or a section id of a
    section of one criterion. ``within``: the section a line names besides its criterion
    (long layout): the criterion must be one of that section's."""
    survey = checklist.survey_sections
    criterion = checklist.criterion(name)
    if criterion is not None:
        if not criterion.survey:
            return None, N_("%(id)s is not a criterion of a survey section", id=name)
        if within and criterion.section != within:
            return None, N_("criterion %(id)s is in section %(its)s, not in section "
                            "%(section)s", id=name, its=criterion.section, section=within)
        return criterion, None
    section = checklist.section(name)
    if section is not None:
        if not section.survey:
            return None, N_("section %(id)s is not scored from the survey", id=name)
        if len(section.criteria) != 1:
            return None, N_("section %(id)s has %(count)s criteria: give one figure per "
                            "criterion (%(ids)s)", id=name, count=len(section.criteria),
                            ids=", ".join(c.id for c in section.criteria))
        return section.criteria[0], None
    return None, N_("%(id)s is neither a survey section nor a survey criterion of %(checklist)s "
                    "(survey sections: %(known)s)", id=name or "—", checklist=checklist.id,
                    known=", ".join(s.id for s in survey) or "—")


def _records(store: Store, checklist: str, period: str) -> dict[str, Inspection]:
    """The assessment of each unit for this checklist and period (a draft one first)."""
    out: dict[str, Inspection] = {}
    for summary in store.list_inspections(checklist=checklist, period=period, kind="assessment"):
        record = store.get_inspection(summary.id)
        if record is None:
            continue
        held = out.get(record.unit)
        if held is None or (held.status != "draft" and record.status == "draft"):
            out[record.unit] = record
    return out


def round_survey_sections(store: Store, checklist: str, period: str) -> list[Section]:
    """The survey sections of the round of ``checklist`` and ``period`` as its assessments
    hold them: those of each record's own checklist version (the one it started on, not
    the checklist's current version), a section several versions have once (the first
    record's). Empty when no record's version has one: there is nothing to import. The
    round page offers the upload by it; :func:`import_survey` refuses by it."""
    return _survey_sections(_records(store, checklist, period))


def _survey_sections(records: dict[str, Inspection]) -> list[Section]:
    out: dict[str, Section] = {}
    for record in records.values():
        for section in checklist_of(record).survey_sections:
            out.setdefault(section.id, section)
    return list(out.values())


def parse(text: str, records: dict[str, Inspection], units: set[str]
          ) -> tuple[dict[str, dict[str, Decimal]], list[Message]]:
    """The figures of a survey file by unit (criterion id → points) and every problem."""
    text = nfc(text.lstrip("\ufeff"))
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        return {}, [N_("the file is empty: a header row and one line per unit are needed")]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=csv_delimiter(lines[0], _unit_first_columns))
    rows: list[tuple[int, list[str]]] = []
    try:
        number = 1
        for row in reader:
            rows.append((number, row))
            number = reader.line_num + 1
            if len(rows) > MAX_LINES + 1:
                return {}, [N_("more than %(max)s lines", max=MAX_LINES)]
    except csv.Error as exc:
        return {}, [_at(reader.line_num, None, str(exc))]
    header = rows[0][1]
    layout, problems = _layout(header)
    if layout is None:
        return {}, problems
    figures: dict[str, dict[str, Decimal]] = {}
    seen: dict[tuple[str, str], int] = {}
    codes = Codes(units)
    for line, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        cells = row + [""] * (len(header) - len(row))
        if len(row) > len(header):
            problems.append(_at(line, None, N_("%(count)s cells, the header has %(columns)s",
                                               count=len(row), columns=len(header))))
            continue
        code = codes.stored(cells[layout.unit])
        unit_column = header[layout.unit]
        if code not in units:
            problems.append(_at(line, unit_column, N_("unknown unit %(code)s", code=code or "—")))
            continue
        record = records.get(code)
        if record is None:
            problems.append(_at(line, unit_column, N_(
                "unit %(code)s has no assessment of this checklist and period", code=code)))
            continue
        if record.status != "draft":
            problems.append(_at(line, unit_column, N_(
                "the assessment of unit %(code)s is final: its cards are frozen", code=code)))
            continue
        checklist = checklist_of(record)
        # (column naming the target, its id, the section it must be in, column of the figure, figure)
        if layout.targets is not None:
            cells_of = [(header[i], name, "", header[i], cells[i])
                        for i, name in layout.targets.items()]
        else:  # a criterion named wins over its section, which must hold it
            section = cells[layout.section].strip() if layout.section is not None else ""
            criterion_id = cells[layout.criterion].strip() if layout.criterion is not None else ""
            name = criterion_id or section
            within = section if criterion_id else ""
            named_in = layout.criterion if criterion_id else layout.section
            if not name:
                if len(checklist.survey_criteria) == 1:
                    name = checklist.survey_criteria[0].id
                else:
                    index = layout.section if layout.section is not None else layout.criterion
                    column = header[index] if index is not None else None
                    problems.append(_at(line, column, N_(
                        "name the survey section or criterion (the checklist has several: "
                        "%(ids)s)", ids=", ".join(c.id for c in checklist.survey_criteria))))
                    continue
            points_column = header[layout.points]
            cells_of = [(header[named_in] if named_in is not None else points_column, name,
                         within, points_column, cells[layout.points])]
        for name_column, name, within, column, raw in cells_of:
            criterion, why = _target(checklist, name, within)
            if criterion is None:
                problems.append(_at(line if layout.targets is None else 1, name_column, why))
                continue
            value, why = _figure_problem(criterion, raw)
            if value is None:
                problems.append(_at(line, column, why))
                continue
            if (code, criterion.id) in seen:
                problems.append(_at(line, column, N_(
                    "unit %(code)s, %(criterion)s: already given on line %(other)s",
                    code=code, criterion=criterion.id, other=seen[(code, criterion.id)])))
                continue
            seen[(code, criterion.id)] = line
            figures.setdefault(code, {})[criterion.id] = value
    if not figures and not problems:
        problems.append(N_("no figures: the file has a header and no line of figures"))
    # the same problem of a wide header is named once, not on every line
    unique: list[Message] = []
    for problem in problems:
        if problem not in unique:
            unique.append(problem)
    return figures, unique


def _write(inspection: Inspection, figures: dict[str, Decimal], by: str, at: str,
           source: str) -> None:
    """The figures as the answers of the survey criteria: the self-score and every round."""
    rules.ensure_draft(inspection)
    for answers in (inspection.answers, *inspection.rounds.values()):
        for criterion_id, number in figures.items():
            current = answers.get(criterion_id)
            answer = Answer(rev=(current.rev if current else 0) + 1, value=json_number(number))
            rules.touch(inspection, answer, by, at)
            answers[criterion_id] = answer
    inspection.updated_at = at
    rules.add_event(inspection, by, at, "survey", file=source,
                    figures={c: json_number(v) for c, v in figures.items()})


def import_survey(store: Store, scope: Scope, *, checklist: str, period: str, raw: bytes,
                  source: str = "", size: int | None = None) -> SurveyImport:
    """Import a survey file (see the module docstring) into the assessments of
    ``checklist`` and ``period``: all or nothing. :class:`SurveyRefused` listing every
    problem; :class:`Forbidden` for anyone but an administrator. ``size``: the file's
    size when the caller read only its first ``MAX_BYTES + 1`` bytes (``raw``)."""
    if scope.role != "admin":
        raise Forbidden(N_("only an administrator imports survey figures"))
    if len(raw) > MAX_BYTES:
        raise TooLarge(N_("the file is too large: %(size)s bytes (at most %(max)s bytes)",
                          size=max(size or 0, len(raw)), max=MAX_BYTES))
    try:
        text = decode_upload(raw)
    except NotText as exc:
        raise SurveyRefused(N_("the survey file is refused"), problems=[N_(
            "not UTF-8 text (byte %(byte)s): save the file as CSV UTF-8", byte=exc.byte)]
        ) from None
    try:  # "Năm 2025" is 2025, as the round was opened
        period = parse_period(period if isinstance(period, str) else "").code
    except PeriodError as exc:
        raise Invalid(exc.args[0] if exc.args else str(exc), field="period") from None
    records = _records(store, checklist, period)
    if not records:
        raise Missing(N_("no assessment of %(checklist)s for %(period)s",
                         checklist=checklist, period=period))
    if not _survey_sections(records):
        raise Invalid(N_("checklist %(checklist)s has no survey section (survey: true)",
                         checklist=checklist))
    figures, problems = parse(text, records, {u.code for u in store.list_units()})
    if problems:
        raise SurveyRefused(N_("the survey file is refused: %(count)s problems, nothing was "
                               "imported", count=len(problems)), problems=problems)
    by, at = scope.user.username, clock.now_iso()
    result = SurveyImport(checklist, period)
    # One transaction on PostgreSQL: an assessment finalized meanwhile (``_write`` refuses
    # it) leaves every record as it was. The file stores write record by record.
    with store.atomic():
        for code, given in figures.items():
            record_id = records[code].id
            store.update_inspection(record_id, lambda i, g=given: _write(i, g, by, at, source))
            result.figures[code] = (record_id, given)
        audit.record(store, by, "survey.import", f"{checklist} {period}", None, {
            "file": source, "units": audit.listed(sorted(result.figures)),
            "figures": result.count})
    return result
