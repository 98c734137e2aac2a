"""Reading a checklist workbook (.xlsx) from outside, safely (DESIGN §12).

A workbook is a zip of XML parts, so before openpyxl sees it the file is checked as
a zip: its size (:data:`MAX_FILE_BYTES`), the number of parts and the size they
unpack to (:data:`MAX_UNPACKED_BYTES`, :data:`MAX_RATIO`: a zip bomb is refused from its
directory, without unpacking anything), no macros (``vbaProject.bin``, a macro-enabled
content type: .xlsm), no external links, no DTD or entity declarations in any XML part
(the "billion laughs"), no merged cells on the data sheets. Then openpyxl reads it in
read-only mode, row by row, at most :data:`MAX_ROWS` rows and :data:`MAX_COLUMNS`
columns per sheet and :data:`MAX_CELLS` filled cells in all: beyond, it is refused.

Formulas are **refused**, not evaluated: a cell holding one is reported with its place
(``Tiêu chí!E5: a formula …``); the cached result a formula may carry is never used.
Cells with an Excel error (#REF!) are refused the same way. Such a cell is read as blank
and the workbook is validated all the same, so that its problems are listed with every
other one (:func:`read_workbook`); the workbook is refused.

Every refusal is a :class:`~inspect_app.domain.checklist_workbook.WorkbookError` whose
problems name the sheet and cell; nothing here raises anything else for a bad file.
"""
from __future__ import annotations

import io
import os
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from ..domain import checklist_workbook as layout
from ..domain.checklist import Checklist
from ..domain.checklist_workbook import WorkbookError, cell_name
from ..domain.messages import N_

MAX_FILE_BYTES = 2 * 1024 * 1024  # the shipped cchc-xa.xlsx is about 30 KB
MAX_UNPACKED_BYTES = 8 * 1024 * 1024  # cchc-xa.xlsx: 140 KB
MAX_PART_BYTES = 1024 * 1024  # one XML part (cchc-xa: 53 KB of texts, 31 KB of criteria)
MAX_RATIO = 150  # unpacked / packed size of one part (text XML compresses ~10–30×)
MAX_PARTS = 200
MAX_ROWS = 2000  # per sheet, counting the header (cchc-xa: 60 criteria)
MAX_COLUMNS = 40
MAX_CELLS = 20_000  # filled cells in all sheets (cchc-xa: about 1.200)
#: The XML of the data sheets together (cchc-xa: 64 KB); reading takes about 0,5 s per MB.
MAX_SHEETS_BYTES = 1024 * 1024
#: A sheet part this large must say its size (``<dimension>``) up front, as Excel,
#: LibreOffice and XlsxWriter write it: without one, openpyxl reads the whole part once
#: just to find out.
DIMENSION_NEEDED_BYTES = 64 * 1024

_DTD = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*\bref=\"([A-Z0-9:]+)\"")


def _refuse(source: str, message: str) -> WorkbookError:
    return WorkbookError(source, [message])


def _check_zip(raw: bytes, source: str) -> dict[str, str]:
    """Check the zip container; return {sheet name: part path} of the workbook's sheets."""
    if not raw.startswith(b"PK"):
        raise _refuse(source, N_("not an Excel workbook (.xlsx): the file is not a zip "
                                 "archive"))
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise _refuse(source, N_("not an Excel workbook (.xlsx): the zip archive is "
                                 "damaged")) from None
    if len(infos) > MAX_PARTS:
        raise _refuse(source, N_("the workbook has %(count)s parts (at most %(max)s)",
                                 count=len(infos), max=MAX_PARTS))
    total = 0
    names = set()
    for info in infos:
        total += info.file_size
        names.add(info.filename)
        if info.file_size > MAX_RATIO * max(info.compress_size, 1024):
            raise _refuse(source, N_("the part %(part)s unpacks to %(size)s bytes from "
                                     "%(packed)s (a zip bomb?)", part=info.filename,
                                     size=info.file_size, packed=info.compress_size))
    for info in infos:
        if info.filename.endswith((".xml", ".rels")) and info.file_size > MAX_PART_BYTES:
            raise _refuse(source, N_("the part %(part)s unpacks to %(size)s bytes (at most "
                                     "%(max)s)", part=info.filename, size=info.file_size,
                                     max=MAX_PART_BYTES))
    if total > MAX_UNPACKED_BYTES:
        raise _refuse(source, N_("the workbook unpacks to %(size)s bytes (at most %(max)s)",
                                 size=total, max=MAX_UNPACKED_BYTES))
    lowered = {n.lower() for n in names}
    if any(n.endswith("vbaproject.bin") for n in lowered):
        raise _refuse(source, N_("the workbook contains macros (.xlsm): save it as an Excel "
                                 "workbook without macros (.xlsx)"))
    if any(n.startswith("xl/externallinks/") for n in lowered):
        raise _refuse(source, N_("the workbook links to other files (external links): "
                                 "remove the links (Data > Edit Links > Break Link)"))
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        raise _refuse(source, N_("not an Excel workbook (.xlsx): xl/workbook.xml is missing"))
    parts: dict[str, bytes] = {}
    try:
        for info in infos:
            if info.filename.endswith((".xml", ".rels")):
                with archive.open(info) as handle:
                    data = handle.read(info.file_size + 1)
                if len(data) > info.file_size:  # the directory lied about the size
                    raise _refuse(source, N_("the zip archive is damaged"))
                if _DTD.search(data):
                    raise _refuse(source, N_("the part %(part)s declares a DTD or entities, "
                                             "which a workbook never needs",
                                             part=info.filename))
                parts[info.filename] = data
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError):
        raise _refuse(source, N_("not an Excel workbook (.xlsx): the zip archive is "
                                 "damaged")) from None
    if b"macroEnabled" in parts.get("[Content_Types].xml", b""):
        raise _refuse(source, N_("the workbook contains macros (.xlsm): save it as an Excel "
                                 "workbook without macros (.xlsx)"))
    return _sheet_parts(parts)


def _sheet_parts(parts: dict[str, bytes]) -> dict[str, str]:
    """{sheet name: part} from workbook.xml and its relations (for the merged-cell check)."""
    rels = dict(re.findall(rb'Id="([^"]+)"[^>]*Target="([^"]+)"',
                           parts.get("xl/_rels/workbook.xml.rels", b"")))
    rels.update({k: v for v, k in re.findall(rb'Target="([^"]+)"[^>]*Id="([^"]+)"',
                                             parts.get("xl/_rels/workbook.xml.rels", b""))})
    out = {}
    sheet_bytes = 0
    for match in re.finditer(rb"<(?:\w+:)?sheet\b([^>]*)/?>", parts.get("xl/workbook.xml", b"")):
        attrs = match.group(1)
        name = re.search(rb'name="([^"]*)"', attrs)
        rid = re.search(rb'r:id="([^"]*)"', attrs) or re.search(rb'\bid="([^"]*)"', attrs)
        if not name or not rid or rid.group(1) not in rels:
            continue
        target = rels[rid.group(1)].decode("utf-8", "replace").lstrip("/")
        if not target.startswith("xl/"):
            target = "xl/" + target
        sheet = name.group(1).decode("utf-8", "replace")
        sheet = sheet.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">") \
            .replace("&quot;", '"').replace("&apos;", "'")
        out[sheet] = target
        data_sheet = layout.data_sheet(sheet) is not None
        if data_sheet:
            sheet_bytes += len(parts.get(target, b""))
            if sheet_bytes > MAX_SHEETS_BYTES:
                raise WorkbookError("", [N_("the data sheets hold more than %(max)s bytes of "
                                            "XML", max=MAX_SHEETS_BYTES)])
        head = parts.get(target, b"")[:4096]
        if data_sheet and len(parts.get(target, b"")) > DIMENSION_NEEDED_BYTES \
                and b"<dimension" not in head.split(b"<sheetData", 1)[0]:
            raise WorkbookError("", [N_("%(sheet)s: the sheet does not state its size; open "
                                        "the file in Excel and save it again", sheet=sheet)])
        for merge in _MERGE.finditer(parts.get(target, b"")):
            if data_sheet:
                raise WorkbookError("", [N_("%(sheet)s!%(cells)s: merged cells; unmerge them "
                                            "(one value per cell)", sheet=sheet,
                                            cells=merge.group(1).decode())])
    return out


#: How an .xlsx file writes a character XML cannot hold, or an underscore that would read
#: as such: ``_x000D_`` (carriage return), ``_x005F_`` ("_").
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def ooxml_unescaped(text: str) -> str:
    """A cell's text as it was written: openpyxl leaves ``_xHHHH_`` escapes as they are in
    the file (a line break "\r\n" came back as "._x000D_\n" and changed the hash). Only
    the control characters writers escape are decoded: a literal "_x0041_" in a text (the
    writer escaped its underscore, ``_x005F_``, which openpyxl decodes) stays as typed."""
    if "_x" not in text:
        return text

    def decoded(match: re.Match[str]) -> str:
        code = int(match.group(1), 16)
        return chr(code) if code < 0x20 else match.group(0)

    return _OOXML_ESCAPE.sub(decoded, text)


def _as_shown_percent(value: int | float) -> int | float:
    """A number in a cell formatted as a percent, as the cell shows it: 90% typed in
    Excel is stored as 0.9, and the workbook's percents (rating bands) are 0–100."""
    shown = Decimal(repr(value)) * 100
    return int(shown) if shown == shown.to_integral_value() else float(shown)


def read_limited(handle: IO[bytes], limit: int) -> tuple[bytes, int]:
    """At most ``limit + 1`` bytes of a file, and the file's whole size: the rest of a
    file too large is counted, not kept, so that its refusal gives its real size."""
    raw = handle.read(limit + 1)
    size = len(raw)
    if size > limit:
        while chunk := handle.read(1024 * 1024):
            size += len(chunk)
    return raw, size


def read_sheets(raw: bytes, source: str = "<workbook>", size: int | None = None,
                problems: list[str] | None = None) -> dict[str, list[list[Any]]]:
    """The rows of the data sheets of a workbook's bytes (limits checked), or
    :class:`WorkbookError`. ``size`` is the file's size when ``raw`` is only its start
    (:func:`read_limited`). A sheet is found by its name as :func:`.text.name_key`
    compares names; an unknown sheet is refused (its rows would be lost).

    The problems of single cells and sheets (a formula, an Excel error, an unknown
    sheet) are raised at once, unless a ``problems`` list is given: then they are added
    to it and the rows are returned, such a cell left blank (the caller refuses the
    workbook, listing them with the problems it finds in the rows)."""
    size = len(raw) if size is None else max(size, len(raw))
    if size > MAX_FILE_BYTES:
        raise _refuse(source, N_("the file is too large: %(size)s bytes (at most %(max)s "
                                 "bytes)", size=size, max=MAX_FILE_BYTES))
    try:
        _check_zip(raw, source)
    except WorkbookError as exc:
        raise WorkbookError(source, exc.problems) from None
    import openpyxl  # only when a workbook is read: the app starts without it

    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=False,
                                      keep_links=False, keep_vba=False)
    except Exception as exc:  # noqa: BLE001 - any parser failure is a bad file, never a crash
        raise _refuse(source, N_("not a readable Excel workbook (.xlsx): %(reason)s",
                                 reason=type(exc).__name__)) from None
    names, found = layout.match_sheets(book.sheetnames)
    collect = problems is not None
    problems = problems if problems is not None else []
    problems.extend(found)
    sheets: dict[str, list[list[Any]]] = {}
    cells = 0
    try:
        for sheet, name in names.items():
            worksheet = book[name]
            rows: list[list[Any]] = []
            for r, row in enumerate(worksheet.iter_rows()):
                if r >= MAX_ROWS:
                    if any(c.value is not None for c in row[:MAX_COLUMNS + 1]):
                        raise _refuse(source, N_("%(sheet)s: more than %(max)s rows",
                                                 sheet=name, max=MAX_ROWS))
                    if r >= MAX_ROWS + 500:
                        raise _refuse(source, N_("%(sheet)s: more than %(max)s rows",
                                                 sheet=name, max=MAX_ROWS))
                    continue
                values: list[Any] = []
                for c, cell in enumerate(row):
                    value = cell.value
                    if value is None:
                        continue
                    column = getattr(cell, "column", c + 1) - 1
                    if column >= MAX_COLUMNS:
                        raise _refuse(source, N_("%(sheet)s!%(cell)s: more than %(max)s columns",
                                                 sheet=name, cell=cell_name(r, column),
                                                 max=MAX_COLUMNS))
                    cells += 1
                    if cells > MAX_CELLS:
                        raise _refuse(source, N_("more than %(max)s filled cells",
                                                 max=MAX_CELLS))
                    place = f"{name}!{cell_name(r, column)}"
                    if cell.data_type == "f":
                        problems.append(N_("%(place)s: a formula (%(formula)s); write the value "
                                           "itself, formulas are not read", place=place,
                                           formula=str(value)[:40]))
                        continue
                    if cell.data_type == "e":
                        problems.append(N_("%(place)s: an Excel error (%(error)s)", place=place,
                                           error=str(value)[:20]))
                        continue
                    if isinstance(value, str):
                        value = ooxml_unescaped(value)
                    if isinstance(value, int | float) and not isinstance(value, bool) \
                            and "%" in (cell.number_format or ""):
                        value = _as_shown_percent(value)
                    elif isinstance(value, int) and not isinstance(value, bool) \
                            and "." in (cell.number_format or ""):
                        value = float(value)  # written as a decimal (1.0): kept one
                    while len(values) < column:
                        values.append(None)
                    values.append(value)
                rows.append(values)
            sheets[sheet] = rows
    except WorkbookError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged sheet is a bad file, never a crash
        raise _refuse(source, N_("not a readable Excel workbook (.xlsx): %(reason)s",
                                 reason=type(exc).__name__)) from None
    finally:
        book.close()
    if problems and not collect:
        raise WorkbookError(source, problems)
    return sheets


def read_workbook(raw: bytes, source: str = "<workbook>",
                  size: int | None = None) -> tuple[Checklist, dict[str, Any]]:
    """The validated checklist of a workbook and the data of its YAML file, or
    :class:`WorkbookError` listing every problem with its sheet and cell."""
    problems: list[str] = []
    sheets = read_sheets(raw, source, size, problems)
    return layout.from_sheets(sheets, source, problems)


def read_workbook_file(path: str | os.PathLike | IO[bytes],
                       source: str | None = None) -> tuple[Checklist, dict[str, Any]]:
    """:func:`read_workbook` of a file (at most :data:`MAX_FILE_BYTES` read)."""
    if hasattr(path, "read"):
        raw, size = read_limited(path, MAX_FILE_BYTES)  # type: ignore[arg-type]
        source = source or "<workbook>"
    else:
        source = source or str(path)
        try:
            with Path(path).open("rb") as handle:
                raw, size = read_limited(handle, MAX_FILE_BYTES)
        except OSError as exc:
            raise _refuse(source, N_("cannot read the file: %(reason)s",
                                     reason=exc.strerror or str(exc))) from None
    return read_workbook(raw, source, size)


def checklist_yaml(data: dict[str, Any]) -> str:
    """The text of a format-1 YAML file with this data (read back, the same content hash)."""
    import yaml

    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100,
                          default_flow_style=False)
