"""Write a :class:`~inspect_app.reports.Report` as an .xlsx workbook (XlsxWriter).

Rows are streamed: ``constant_memory`` mode keeps one row per sheet in memory and
flushes it to a temporary file when the next row starts, so a sheet's rows must
arrive in order (the report guarantees it) while sheets may interleave.

What every sheet gets: a bold, wrapped header row that stays in view (frozen
panes), an autofilter over the data, widths estimated from the content (capped),
A4 landscape printing with the header row repeated, and typed cells — numbers as
numbers with ``#,##0.##`` (points), ``0.00%`` (percents) or ``#,##0`` (counts),
dates as Excel dates shown ``dd/mm/yyyy``. Excel shows those with the reader's
regional separators (61.475; 88,95% on a Vietnamese Windows).

Text is never a formula. Every text cell goes through :func:`write_text`, which
writes it as a string cell whatever it starts with (``=``, ``+``, ``-``, ``@``,
tab, carriage return) and also defuses XlsxWriter's one shortcut that bypasses
escaping (see there). Links are written as links only in ``link`` columns.
"""
from __future__ import annotations

import datetime as _dt
import math
import os
import re
import unicodedata
from contextlib import suppress
from decimal import Decimal
from typing import IO, Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from .workbook import Column, Report, Sheet

#: Rows of an Excel sheet; a sheet with more data rows continues in "<title> (2)"…
EXCEL_MAX_ROWS = 1_048_576
#: Excel keeps at most this many hyperlinks per sheet; further links are plain text.
EXCEL_MAX_LINKS = 65_530
SHEET_NAME_MAX = 31

NUMBER_FORMATS = {
    "integer": "#,##0",
    "points": "#,##0.##",
    "percent": "0.00%",
    "date": "dd/mm/yyyy",
}
#: XlsxWriter's default font, top-aligned: rows with wrapped text read from the top.
DEFAULT_FORMAT = {"font_name": "Calibri", "font_size": 11, "valign": "top"}
# Column widths in characters: (minimum, maximum).
WIDTHS = {"text": (6, 40), "wrap": (10, 60), "link": (12, 50), "integer": (5, 10),
          "points": (7, 14), "percent": (8, 12), "date": (11, 12)}
NUMBER_WIDTH = {"integer": 6, "points": 7, "percent": 8, "date": 10}
#: Column-width characters that an A4 landscape page holds at a readable print size (about
#: 141 at 100 % between XlsxWriter's default margins; 176 is 80 %). A wider sheet prints
#: over several pages across rather than shrunk onto one.
PRINT_WIDTH_CHARS = 176
#: Points of one header line (Calibri 11).
HEADER_LINE_POINTS = 15
#: Rows of each sheet whose text is measured to size the columns.
WIDTH_SAMPLE_ROWS = 2000

# Characters XML 1.0 cannot carry (XlsxWriter escapes C0 controls itself).
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def write_text(sheet: Worksheet, row: int, col: int, text: str,
               cell_format: Format | None) -> None:
    """Write ``text`` as a text cell, never a formula, so that Excel shows it as given.

    ``write_string`` never makes a formula, whatever the text starts with. The
    text is NFC-normalised, and characters XML cannot hold become U+FFFD. One more
    trap: in ``constant_memory`` mode XlsxWriter copies a string that starts with
    ``<r>`` and ends with ``</r>`` into the file *unescaped*, as a rich-text run,
    so such a note could inject any cell XML (a formula included). Those are written
    as a rich string of three plain runs instead, which XlsxWriter escapes.
    """
    if not text.isascii():  # ASCII (most cells) is NFC and XML-safe as it is
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        if _NOT_XML.search(text):
            text = _NOT_XML.sub("\ufffd", text)
    if text[:3] == "<r>" and text.endswith("</r>"):
        runs: list[Any] = [text[0], text[1], text[2:]]
        if cell_format is not None:  # the runs keep the cell's font (bold, red)
            runs = [text[0], cell_format, text[1], cell_format, text[2:], cell_format]
        sheet.write_rich_string(row, col, *runs)
    else:
        sheet.write_string(row, col, text, cell_format)


def sheet_names(titles: list[str], taken: set[str] | None = None) -> list[str]:
    """Valid, distinct worksheet names: no ``[]:*?/\\``, at most 31 characters,
    no leading or trailing apostrophe, unique ignoring case (also against ``taken``,
    casefolded names already in use)."""
    names: list[str] = []
    taken = set(taken or ())
    for title in titles:
        base = _BAD_SHEET_CHARS.sub("-", unicodedata.normalize("NFC", title)).strip("'") or "Sheet"
        name, n = base[:SHEET_NAME_MAX].rstrip("'"), 1  # cut, then no apostrophe at its end
        while name.casefold() in taken:
            n += 1
            suffix = f" ({n})"
            name = base[:SHEET_NAME_MAX - len(suffix)] + suffix
        taken.add(name.casefold())
        names.append(name)
    return names


class _Formats:
    """Cell formats by (column type, row style, integral value), made once per workbook."""

    STYLES = {"": {}, "strong": {"bold": True}, "alert": {"font_color": "#9C0006"}}

    def __init__(self, workbook: xlsxwriter.Workbook):
        self.workbook = workbook
        self.header = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top",
                                           "bg_color": "#DDEBF7", "bottom": 1})
        self._cache: dict[tuple[str, str, bool], Format] = {}

    def get(self, column_type: str, style: str, integral: bool = False) -> Format:
        key = (column_type, style, integral)
        found = self._cache.get(key)
        if found is None:
            spec: dict[str, Any] = {"valign": "top", **self.STYLES[style]}
            if column_type == "wrap":
                spec["text_wrap"] = True
            elif column_type == "link":
                spec.update(font_color="#0563C1", underline=1)
            number_format = NUMBER_FORMATS.get(column_type)
            if column_type == "points" and integral:
                # "#,##0.##" shows a whole number with a trailing separator ("5."), so
                # whole points get "#,##0"; both show 5 and 1,5 the Vietnamese way.
                number_format = NUMBER_FORMATS["integer"]
            if number_format:
                spec["num_format"] = number_format
            found = self._cache[key] = self.workbook.add_format(spec)
        return found


class _SheetWriter:
    """One sheet being filled: the next row, content widths, continuation sheets."""

    def __init__(self, workbook: xlsxwriter.Workbook, formats: _Formats, sheet: Sheet,
                 name: str, max_rows: int):
        self.workbook, self.formats, self.sheet = workbook, formats, sheet
        self.columns: tuple[Column, ...] = sheet.columns
        self.max_rows = max_rows
        self.widths = [0] * len(self.columns)
        self.rows = 0  # data rows written, in all parts
        self.parts: list[Worksheet] = []  # the sheet and its continuations
        self._by_style: dict[str, tuple[list[Format], list[tuple[Format, Format]]]] = {}
        self._open(name)

    def _open(self, name: str) -> None:
        worksheet = self.workbook.add_worksheet(name)
        # Tall enough for every line of the longest header at its narrowest width, so two
        # headers that differ only on their second line never look alike.
        worksheet.set_row(0, HEADER_LINE_POINTS * max(
            (_header_lines(c) for c in self.columns), default=1))
        for col, column in enumerate(self.columns):
            write_text(worksheet, 0, col, column.header, self.formats.header)
        worksheet.freeze_panes(1, self.sheet.freeze_columns)
        worksheet.set_landscape()
        worksheet.set_paper(9)  # A4
        worksheet.repeat_rows(0)
        worksheet.fit_to_pages(1, 0)
        self.parts.append(worksheet)
        self.worksheet, self.row, self.links = worksheet, 1, 0

    def _formats(self, style: str) -> tuple[list[Format], list[tuple[Format, Format]]]:
        """Per column: the format of a text cell, and of a (whole, fractional) number."""
        found = self._by_style.get(style)
        if found is None:
            get = self.formats.get
            texts, numbers = [], []
            for column in self.columns:
                kind = column.type
                # Plain text needs no format of its own: the workbook's default format
                # is top-aligned like the others (and a cell without one is cheaper).
                texts.append(None if kind == "text" and not style else
                             get(kind if kind in ("wrap", "link") else "text", style))
                if kind not in ("integer", "points", "percent", "date"):
                    kind = "points"  # a number in a text column (an answer) shows as points
                numbers.append((get(kind, style, True), get(kind, style, False)))
            found = self._by_style[style] = (texts, numbers)
        return found

    def write(self, cells: list[Any], style: str) -> None:
        """Append one row (one cell per column; None or "" leaves a cell empty)."""
        if len(cells) != len(self.columns):
            raise ValueError(f"{self.sheet.key}: a row of {len(cells)} cells for "
                             f"{len(self.columns)} columns")
        if self.row >= self.max_rows:
            used = {w.name.casefold() for w in self.workbook.worksheets()}
            self._open(sheet_names([self.parts[0].name], taken=used)[0])
        worksheet, row, columns, widths = self.worksheet, self.row, self.columns, self.widths
        texts, numbers = self._formats(style)
        # Widths are estimated from the first rows: enough to size a column, and
        # measuring every cell of a large export would cost as much as writing it.
        measure = self.rows < WIDTH_SAMPLE_ROWS
        for col, value in enumerate(cells):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                if not (columns[col].type == "link" and self._link(row, col, value, texts[col])):
                    write_text(worksheet, row, col, value, texts[col])
                if measure:
                    width = len(value) if "\n" not in value else max(map(len, value.split("\n")))
                    if width > widths[col]:
                        widths[col] = width
            elif isinstance(value, _dt.date):  # datetimes too
                worksheet.write_datetime(row, col, value, numbers[col][0])
            elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                number = _cell_number(value)
                if number is None:  # beyond what a cell holds exactly: written as text
                    write_text(worksheet, row, col, _plain_text(value), texts[col])
                else:
                    worksheet.write_number(row, col, number,
                                           numbers[col][0 if number.is_integer() else 1])
            else:
                raise TypeError(f"{self.sheet.key}: cannot write a {type(value).__name__} "
                                f"to a cell")
        self.row += 1
        self.rows += 1

    def _link(self, row: int, col: int, url: str, cell_format: Format) -> bool:
        """Write a web address as a hyperlink; False if it cannot be one (then it is text)."""
        if self.links >= EXCEL_MAX_LINKS or not url.startswith(("https://", "http://")):
            return False
        if self.worksheet.write_url(row, col, url, cell_format, url) != 0:
            return False
        self.links += 1
        return True

    def finish(self) -> None:
        """Filters and column widths (XlsxWriter writes them at close, so after the rows)."""
        last_col = len(self.columns) - 1
        for worksheet in self.parts:
            total = 0
            last_row = self.row - 1 if worksheet is self.worksheet else self.max_rows - 1
            worksheet.autofilter(0, 0, last_row, last_col)
            for col, column in enumerate(self.columns):
                low, high = WIDTHS[column.type]
                header_word = max((len(w) for w in column.header.split()), default=0)
                content = self.widths[col] or NUMBER_WIDTH.get(column.type, 0)
                width = min(high, max(low, header_word + 1, min(len(column.header), 20),
                                      content + 1))
                worksheet.set_column(col, col, width)
                total += width
            pages = max(1, math.ceil(total / PRINT_WIDTH_CHARS))
            worksheet.fit_to_pages(pages, 0)
            if pages > 1 and self.sheet.freeze_columns:
                worksheet.repeat_columns(0, self.sheet.freeze_columns - 1)


def header_width_floor(column: Column) -> int:
    """The narrowest a column gets for its header (see :meth:`finish`)."""
    low, _high = WIDTHS[column.type]
    header_word = max((len(w) for w in column.header.split()), default=0)
    return max(low, header_word + 1, min(len(column.header), 20))


def _header_lines(column: Column) -> int:
    width = max(1, min(header_width_floor(column), WIDTHS[column.type][1]))
    return sum(max(1, math.ceil(len(part) / width)) for part in column.header.split("\n"))


def write(report: Report, target: str | os.PathLike[str] | IO[bytes], *,
          max_rows: int = EXCEL_MAX_ROWS,
          tmpdir: str | os.PathLike[str] | None = None) -> dict[str, int]:
    """Write ``report`` to a file path or a binary file object (BytesIO, a temporary
    file…); returns the number of data rows of each sheet, by sheet title. XlsxWriter's
    own temporary files go to ``tmpdir`` (default: the system's), e.g. an
    :func:`~inspect_app.storage.temporaries.export_folder` that start-up cleans if the
    export is killed."""
    options: dict[str, Any] = {
        "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
        "strings_to_numbers": False, "default_format_properties": DEFAULT_FORMAT}
    if tmpdir is not None:
        options["tmpdir"] = os.fspath(tmpdir)
    workbook = xlsxwriter.Workbook(
        os.fspath(target) if isinstance(target, (str, os.PathLike)) else target, options)
    try:
        formats = _Formats(workbook)
        names = sheet_names([s.title for s in report.sheets])
        writers = {sheet.key: _SheetWriter(workbook, formats, sheet, name, max_rows)
                   for sheet, name in zip(report.sheets, names)}
        for key, row in report.rows():
            writers[key].write(row.cells, row.style)
        for writer in writers.values():
            writer.finish()
    except BaseException:
        # Release XlsxWriter's temporary files; the caller discards the output.
        with suppress(Exception):
            workbook.close()
        raise
    workbook.close()
    return {writer.sheet.title: writer.rows for writer in writers.values()}


#: Excel keeps 15 significant digits; larger numbers (only old data holds them: answers
#: stop at 10^12) are written as text rather than rounded or overflowing.
EXCEL_MAX_NUMBER = 1e15


def _cell_number(value: int | float | Decimal) -> float | None:
    """The float a number cell gets, or None when it cannot hold it (huge, NaN, inf)."""
    try:
        number = float(value)
    except (OverflowError, ValueError):
        return None
    if number != number or abs(number) >= EXCEL_MAX_NUMBER:
        return None
    return number


def _plain_text(value: int | float | Decimal) -> str:
    try:
        return f"{Decimal(str(value)):.6E}"
    except (ArithmeticError, ValueError):
        return str(value)
