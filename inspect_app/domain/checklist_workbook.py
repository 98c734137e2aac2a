"""Checklists as Excel workbooks (DESIGN.md §12): sheets of rows <-> a format-1 checklist.

Pure: a workbook is a mapping ``sheet name -> list of rows`` (the first row is the header,
each cell a plain Python value: str, int, float, bool, date or None). :func:`to_sheets`
lays a checklist's data out as such rows; :func:`from_sheets` reads them back into the
data of a checklist file and validates it with :func:`.checklist.parse_checklist` (the one
validator), turning each problem's path (``sections[0].criteria[3].points``) back into
the cell it came from (``Tiêu chí!E5``).

The layout (docs/checklists.md §Workbooks):

- ``Thông tin chung``: one row per checklist key (format, id, version, title, kind,
  cadence, description): key, name, value, note.
- ``Xếp loại``: the checklist's rating bands (min percent, label).
- ``Phần``: the sections (id, title, description, survey: Có for a section scored from a
  sociological survey), in order.
- ``Tiêu chí``: one row per criterion: its section, the common keys, then one column per
  key that some criterion type owns, **taken from the registry** (``keys`` of each type,
  cell kind from its JSON Schema ``schema`` hook) — except the keys whose values are lists
  of records, which have their own sheets:
- ``Lựa chọn`` (``options``), ``Mức điểm`` (``bands``), ``Ô nhập`` (``inputs``, and which
  input holds the ``actions`` of the remediation plan).

Round trip: export then import gives the same data, hence the same content hash. Flags
are written "Có"/"Không", lists of input ids "a, b", a number that is a decimal in the
file (``1.0``) keeps a decimal number format so that it is read back as a decimal.

Standard library only.
"""
from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import criteria
from .checklist import COMMON_KEYS, Checklist, ChecklistError, parse_checklist
from .criteria.fields import ACTION_KEYS, INPUT_KINDS
from .messages import N_, Message
from .numbers import NumberUnclear, read_number
from .text import name_key, nfc_all

GENERAL = "Thông tin chung"
RATING = "Xếp loại"
SECTIONS = "Phần"
CRITERIA = "Tiêu chí"
OPTIONS = "Lựa chọn"
BANDS = "Mức điểm"
INPUTS = "Ô nhập"
INSTRUCTIONS = "Hướng dẫn"
#: Data sheets in workbook order (the instructions sheet comes first, and is not read).
DATA_SHEETS = (GENERAL, RATING, SECTIONS, CRITERIA, OPTIONS, BANDS, INPUTS)

YES, NO = "Có", "Không"
_YES_WORDS = {"có", "co", "x", "yes", "true", "1"}
_NO_WORDS = {"không", "khong", "no", "false", "0"}

#: Criterion keys whose values are lists of records: they have their own sheets.
CHILD_KEYS = ("options", "bands", "inputs", "actions")

#: Vietnamese column headers of known keys. A key of a new criterion type that is not
#: here gets its own name as header: the workbook needs no change for it.
HEADERS: dict[str, str] = {
    "section": "Phần", "id": "Mã", "text": "Nội dung tiêu chí", "type": "Loại",
    "points": "Điểm tối đa", "help": "Hướng dẫn chấm", "na_allowed": "Cho phép không áp dụng",
    "evidence": "Minh chứng", "evidence_required": "Bắt buộc minh chứng",
    "remedy": "Biện pháp khắc phục", "remedy_owner": "Đơn vị khắc phục",
    "remedy_days": "Số ngày khắc phục", "step": "Bước điểm", "numerator": "Tử số",
    "denominator": "Mẫu số", "count": "Ô cộng", "proportional": "Tính theo tỷ lệ",
    "on_zero": "Khi mẫu số bằng 0", "decimal": "Cho phép số thập phân",
    "may_exceed": "Có thể vượt 100%", "at_most_denominator": "Tử số không vượt mẫu số",
    "criterion": "Mã tiêu chí", "value": "Giá trị", "label": "Nhãn", "min": "Từ", "max": "Đến",
    "title": "Tên", "description": "Mô tả", "input": "Mã ô nhập", "input_type": "Kiểu",
    "plan": "Dùng cho kế hoạch khắc phục", "key": "Khóa", "name": "Mục", "note": "Ghi chú",
    "survey": "Chấm từ điều tra xã hội học",
}

#: What each column means, for the instructions sheet (Vietnamese; a key of a new type
#: without a line here is listed with its own name).
NOTES: dict[str, str] = {
    "section": "Mã phần (sheet Phần) chứa tiêu chí",
    "id": "Mã duy nhất: chữ, số, dấu . _ - (ví dụ 1.1)",
    "text": "Nội dung người kiểm tra đọc",
    "type": ", ".join(criteria.names()) + " (chọn trong danh sách)",
    "points": "Điểm tối đa (số dương; để trống với loại info)",
    "help": "Hướng dẫn cách chấm (tùy chọn)",
    "na_allowed": "Có/Không (mặc định Không)",
    "evidence": "Minh chứng cần xem (tùy chọn)",
    "evidence_required": "Có/Không: tự kiểm tra cần minh chứng hoặc giải trình",
    "remedy": "Biện pháp khắc phục mặc định khi không đạt",
    "remedy_owner": "Đơn vị thực hiện khắc phục mặc định",
    "remedy_days": "Số ngày để khắc phục (số nguyên)",
    "step": "score: điểm phải là bội số của bước (mặc định 0,25)",
    "numerator": "ratio: mã các ô nhập cộng vào tử số, cách nhau dấu phẩy",
    "denominator": "ratio: mã các ô nhập cộng vào mẫu số, cách nhau dấu phẩy",
    "count": "count: mã các ô nhập được cộng, cách nhau dấu phẩy",
    "proportional": "ratio: Có = điểm × tỷ lệ (thay cho mức điểm)",
    "on_zero": "ratio: na (không áp dụng, mặc định), full (đủ điểm) hoặc zero (0 điểm)",
    "decimal": "Có: ô nhập nhận số thập phân (mặc định số nguyên)",
    "may_exceed": "ratio: Có = kết quả trên 100% là bình thường",
    "at_most_denominator": "ratio: Có = từ chối tử số lớn hơn mẫu số",
}


#: Headers a key's column is read under besides its own header and the key itself: the
#: points column is "Điểm tối đa" on Tiêu chí and "Điểm" on Lựa chọn and Mức điểm (an
#: option's or band's points, not a maximum), and either is read on any sheet — the two
#: sheets were headed "Điểm tối đa" before, and those workbooks are in users' hands.
ALIASES: dict[str, tuple[str, ...]] = {"points": ("Điểm", "Điểm tối đa")}


@dataclass(frozen=True)
class Column:
    """One column of a sheet: the key it holds and how its cells are read and written.
    ``title``: this sheet's header of the key, where it differs from :data:`HEADERS`."""

    key: str
    kind: str = "text"  # text, id, number, int, flag, enum, refs
    choices: tuple[str, ...] = ()
    title: str = ""

    @property
    def header(self) -> str:
        return self.title or HEADERS.get(self.key, self.key)


def _kind_of(prop: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    """A cell kind from a key's JSON Schema (what a type's ``schema`` hook declares)."""
    ref = prop.get("$ref", "")
    if ref.endswith("/optionalFlag"):
        return "flag", ()
    if ref.endswith("/inputRefs"):
        return "refs", ()
    if ref.endswith("/itemId"):
        return "id", ()
    if "enum" in prop:
        return "enum", tuple(str(v) for v in prop["enum"] if v is not None)
    kinds = prop.get("type")
    kinds = set(kinds) if isinstance(kinds, list) else {kinds}
    if "integer" in kinds:
        return "int", ()
    if "number" in kinds:
        return "number", ()
    return "text", ()


def criterion_columns() -> tuple[Column, ...]:
    """The columns of the criteria sheet: section, the common keys, then the keys of every
    registered type (in registry order) except those with their own sheet."""
    from .criteria.schema import checklist_schema

    props = checklist_schema()["$defs"]["criterion"]["properties"]
    keys: list[str] = list(COMMON_KEYS)
    for kind in criteria.TYPES.values():
        keys.extend(k for k in kind.keys if k not in keys and k not in CHILD_KEYS)
    columns = [Column("section", "id")]
    for key in keys:
        kind, choices = _kind_of(props.get(key, {}))
        columns.append(Column(key, kind, choices))
    return tuple(columns)


GENERAL_KEYS = (
    ("format", "Phiên bản định dạng", "Luôn là 1"),
    ("id", "Mã bộ tiêu chí", "Chữ thường, số, _ và -; không trùng với bộ tiêu chí khác"),
    ("version", "Phiên bản", "Ví dụ 2025.1; cuộc kiểm tra giữ bản đã dùng"),
    ("title", "Tên bộ tiêu chí", "Tên hiển thị trong danh sách và biên bản"),
    ("kind", "Dùng cho", "inspection (đoàn kiểm tra), self_check (tự kiểm tra) hoặc any"),
    ("cadence", "Chu kỳ", "weekly, monthly, quarterly, half_yearly, yearly hoặc để trống"),
    ("description", "Mô tả", "Tùy chọn"),
)
GENERAL_CHOICES = {"kind": ("inspection", "self_check", "any"),
                   "cadence": ("weekly", "monthly", "quarterly", "half_yearly", "yearly")}
GENERAL_COLUMNS = (Column("key"), Column("name"), Column("value"), Column("note"))

SHEET_COLUMNS: dict[str, tuple[Column, ...]] = {
    RATING: (Column("min", "number"), Column("label")),
    SECTIONS: (Column("id", "id"), Column("title"), Column("description"),
               Column("survey", "flag")),
    OPTIONS: (Column("criterion", "id"), Column("value", "value"), Column("label"),
              Column("points", "number", title="Điểm")),
    BANDS: (Column("criterion", "id"), Column("min", "number"), Column("max", "number"),
            Column("points", "number", title="Điểm")),
    INPUTS: (Column("criterion", "id"), Column("input", "id"), Column("label"),
             Column("input_type", "enum", INPUT_KINDS), Column("min", "number"),
             Column("max", "number"), Column("plan", "enum", tuple(ACTION_KEYS))),
}


_SHEET_KEYS = {name_key(name): name for name in DATA_SHEETS}


def data_sheet(name: str) -> str | None:
    """The data sheet a sheet name means (compared by :func:`.text.name_key`: "Xếp Loại"
    and a decomposed "Tiêu chí" are the sheets Xếp loại and Tiêu chí), or None."""
    return _SHEET_KEYS.get(name_key(name))


def match_sheets(names: list[str]) -> tuple[dict[str, str], list[str]]:
    """{data sheet: the workbook's name of it} for a workbook's sheet names, and the
    problems: a sheet that is neither a data sheet nor the instructions (its rows would
    be dropped without a word), two sheets that are the same data sheet."""
    found: dict[str, str] = {}
    problems: list[str] = []
    for name in names:
        sheet = data_sheet(name)
        if sheet is None:
            if name_key(name) != name_key(INSTRUCTIONS):
                problems.append(N_("%(sheet)s: unknown sheet (sheets: %(known)s); rename "
                                   "or delete it", sheet=name, known=", ".join(DATA_SHEETS)))
        elif sheet in found:
            problems.append(N_("%(sheet)s: the sheet %(other)s is given twice", sheet=name,
                               other=found[sheet]))
        else:
            found[sheet] = name
    return found, problems


def sheet_columns(sheet: str) -> tuple[Column, ...]:
    """The columns of a data sheet."""
    if sheet == GENERAL:
        return GENERAL_COLUMNS
    if sheet == CRITERIA:
        return criterion_columns()
    return SHEET_COLUMNS[sheet]


def cell_name(row: int, col: int) -> str:
    """``D12`` for row index 11, column index 3 (both from 0)."""
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"


# --------------------------------------------------------------------------- writing


@dataclass
class Cell:
    """A value to write, with how to show it: ``decimal`` numbers keep a decimal format
    (so that 1.0 stays a decimal), ``flag`` is a Có/Không text."""

    value: Any
    decimal: bool = False


def _out(value: Any, column: Column) -> Any:
    if value is None:
        return None
    if column.kind == "flag" and isinstance(value, bool):
        return YES if value else NO
    if column.kind == "refs" and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return Cell(value, decimal=True)
    return value


def to_sheets(data: Mapping[str, Any]) -> dict[str, list[list[Any]]]:
    """The rows of every data sheet (header first) for the data of a valid checklist."""
    sheets: dict[str, list[list[Any]]] = {}
    general = [[c.header for c in GENERAL_COLUMNS]]
    for key, name, note in GENERAL_KEYS:
        general.append([key, name, _out(data.get(key), Column(key)), note])
    sheets[GENERAL] = general

    def rows(sheet: str, records: list[Mapping[str, Any]]) -> None:
        columns = sheet_columns(sheet)
        sheets[sheet] = [[c.header for c in columns]]
        for record in records:
            sheets[sheet].append([_out(record.get(c.key), c) for c in columns])

    rows(RATING, list(data.get("bands") or ()))
    rows(SECTIONS, [{k: v for k, v in s.items() if k != "criteria"} for s in data["sections"]])
    crit_rows, options, bands, inputs = [], [], [], []
    for section in data["sections"]:
        for raw in section["criteria"]:
            crit_rows.append({"section": section["id"], **raw})
            cid = raw["id"]
            options.extend({"criterion": cid, **o} for o in raw.get("options") or ())
            bands.extend({"criterion": cid, **b} for b in raw.get("bands") or ())
            plan = {v: k for k, v in (raw.get("actions") or {}).items()}
            for input_id, spec in (raw.get("inputs") or {}).items():
                row = {"criterion": cid, "input": input_id, "plan": plan.get(input_id)}
                if isinstance(spec, Mapping):
                    row.update({k: v for k, v in spec.items() if k != "type"})
                    row["input_type"] = spec.get("type")
                else:
                    row["label"] = spec
                inputs.append(row)
    rows(CRITERIA, crit_rows)
    rows(OPTIONS, options)
    rows(BANDS, bands)
    rows(INPUTS, inputs)
    return sheets


# --------------------------------------------------------------------------- reading


@dataclass
class Located:
    """Problems found while reading cells, and where each data path came from."""

    problems: list[str] = field(default_factory=list)
    places: dict[str, str] = field(default_factory=dict)
    #: {data path of a row whose id is given twice: keys of it whose problems are only
    #: the duplicate's consequence}: the rows of other sheets naming that id are not
    #: attached to either row, so "options: is required" would mislead.
    ambiguous: dict[str, frozenset[str]] = field(default_factory=dict)
    #: {cell: its column's header} of the cells left blank (or holding a formula, read
    #: as blank) in a row of data.
    blank: dict[str, str] = field(default_factory=dict)

    def add(self, place: str, message: str) -> None:
        self.problems.append(Message("%(place)s: %(problem)s", place=place, problem=message))


class WorkbookError(ValueError):
    """A workbook that is not a valid checklist: ``problems`` lists every one, each
    starting with its sheet and cell (``Tiêu chí!D12: …``)."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            number = read_number(value)
        except NumberUnclear:
            return value.strip()
        return int(number) if number == number.to_integral_value() and "," not in value \
            else float(number)
    if isinstance(value, Decimal):
        return float(value)
    return value


def _read(value: Any, column: Column, place: str, found: Located) -> Any:
    """One cell's value as the checklist data holds it (a problem when it cannot be)."""
    if isinstance(value, (_dt.datetime, _dt.date)):
        value = value.date().isoformat() if isinstance(value, _dt.datetime) else value.isoformat()
    kind = column.kind
    if kind == "flag":
        if isinstance(value, bool):
            return value
        word = str(value).strip().casefold()
        if word in _YES_WORDS:
            return True
        if word in _NO_WORDS:
            return False
        found.add(place, N_("write Có or Không, not %(value)s", value=str(value)))
        return None
    if kind == "refs":
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return [value]
    if kind == "int":
        value = _number(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)  # 60 in a cell formatted 0.00 (or typed "60,0") is 60 days
        return value
    if kind == "number":
        return _number(value)
    if kind in ("text", "id", "enum") and isinstance(value, float):
        return repr(int(value)) if value.is_integer() else repr(value)
    if kind in ("text", "id", "enum") and isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # an id "1" that Excel turned into the number 1
    if isinstance(value, str) and kind in ("id", "enum", "value"):
        return value.strip()  # as a YAML file reads it: "dung_han " is dung_han
    return value


def _header_map(rows: list[list[Any]], columns: tuple[Column, ...], sheet: str,
                found: Located) -> dict[int, Column]:
    """{column index: column} of a sheet's header row (headers compared by
    :func:`.text.name_key`); an unknown header, a column given twice and a column holding
    values under a blank header are problems."""
    by_name: dict[str, Column] = {}
    for column in columns:
        by_name[name_key(column.header)] = column
        by_name[name_key(column.key)] = column
        for alias in ALIASES.get(column.key, ()):
            by_name.setdefault(name_key(alias), column)
    header = list(rows[0])
    out: dict[int, Column] = {}
    seen: dict[str, int] = {}
    for index, name in enumerate(header):
        if _blank(name):
            continue
        column = by_name.get(name_key(str(name)))
        place = f"{sheet}!{cell_name(0, index)}"
        if column is None:
            found.add(place, N_("unknown column %(name)s (columns: %(known)s)", name=str(name),
                                known=", ".join(c.header for c in columns)))
        elif column.key in seen:
            found.add(place, N_("the column %(name)s is given twice", name=column.header))
        else:
            seen[column.key] = index
            out[index] = column
    headless: set[int] = set()
    for r, row in enumerate(rows[1:], start=1):
        for index, value in enumerate(row):
            if index in headless or _blank(value) or \
                    (index < len(header) and not _blank(header[index])):
                continue
            headless.add(index)
            found.add(f"{sheet}!{cell_name(r, index)}",
                      N_("a value in a column without a header (%(cell)s is blank)",
                         cell=cell_name(0, index)))
    return out


def _records(sheets: Mapping[str, list[list[Any]]], sheet: str,
             found: Located) -> list[tuple[int, dict[str, Any], dict[str, str]]]:
    """(row index, {key: value}, {key: cell place}) of each non-blank row of a sheet; the
    places are those of every column, a blank cell's too (a problem of a required key
    left blank is at its cell)."""
    rows = sheets.get(sheet)
    if not rows:
        return []
    columns = _header_map(rows, sheet_columns(sheet), sheet, found)
    out = []
    for r, row in enumerate(rows[1:], start=1):
        record: dict[str, Any] = {}
        places: dict[str, str] = {"": f"{sheet}!{cell_name(r, min(columns) if columns else 0)}"}
        places.update((column.key, f"{sheet}!{cell_name(r, index)}")
                      for index, column in columns.items())
        blank = {places[c.key]: c.header for i, c in columns.items()
                 if i >= len(row) or _blank(row[i])}
        for index, value in enumerate(row):
            column = columns.get(index)
            if column is None or _blank(value):
                continue
            place = places[column.key]
            value = _read(value, column, place, found)
            if value is not None:
                record[column.key] = value
        if record:
            out.append((r, record, places))
            found.blank.update(blank)
    return out


def _general(sheets, found: Located, data: dict[str, Any]) -> None:
    rows = sheets.get(GENERAL)
    if not rows:
        return
    columns = _header_map(rows, GENERAL_COLUMNS, GENERAL, found)
    key_col = next((i for i, c in columns.items() if c.key == "key"), None)
    value_col = next((i for i, c in columns.items() if c.key == "value"), None)
    if key_col is None or value_col is None:
        found.add(f"{GENERAL}!A1", N_("the columns %(key)s and %(value)s are required",
                                      key=HEADERS["key"], value=HEADERS["value"]))
        return
    known = {k for k, _name, _note in GENERAL_KEYS}
    for r, row in enumerate(rows[1:], start=1):
        key = row[key_col] if key_col < len(row) else None
        value = row[value_col] if value_col < len(row) else None
        if _blank(key):
            if not _blank(value):
                found.add(f"{GENERAL}!{cell_name(r, key_col)}", N_("a value without its key"))
            continue
        key = str(key).strip()
        place = f"{GENERAL}!{cell_name(r, value_col)}"
        if key not in known:
            found.add(f"{GENERAL}!{cell_name(r, key_col)}",
                      N_("unknown key %(key)s (keys: %(known)s)", key=key,
                         known=", ".join(k for k, _n, _t in GENERAL_KEYS)))
            continue
        if key in data:
            found.add(f"{GENERAL}!{cell_name(r, key_col)}",
                      N_("the key %(key)s is given twice", key=key))
            continue
        found.places[key] = place
        if _blank(value):
            continue
        # one-word keys are read without the spaces around them ("2025.1 " is 2025.1)
        kind = "number" if key == "format" else (
            "id" if key in ("id", "version", "kind", "cadence") else "text")
        data[key] = _read(value, Column(key, kind), place, found)
    found.places.setdefault("", f"{GENERAL}!A1")


def to_data(sheets: Mapping[str, list[list[Any]]]) -> tuple[dict[str, Any], Located]:
    """The data of a checklist file from the rows of a workbook, with the cell of each
    data path and the problems of cells that could not be read (unknown columns, a
    flag that is neither Có nor Không, a row of an unknown criterion…). Every text cell is
    read in NFC (a "Có" typed on a Mac is decomposed), here, once, for every sheet."""
    sheets = nfc_all(sheets)
    found = Located()
    names, problems = match_sheets(list(sheets))
    found.problems.extend(problems)
    sheets = {sheet: sheets[name] for sheet, name in names.items()}
    for sheet in (GENERAL, SECTIONS, CRITERIA):
        if sheet not in sheets:
            found.add(sheet, N_("the sheet %(sheet)s is missing", sheet=sheet))
    data: dict[str, Any] = {}
    _general(sheets, found, data)

    rating = _records(sheets, RATING, found)
    if rating:
        data["bands"] = []
        for i, (_r, record, places) in enumerate(rating):
            data["bands"].append(record)
            _place(found, f"bands[{i}]", places)

    sections: list[dict[str, Any]] = []
    by_section: dict[str, dict[str, Any]] = {}
    for si, (_r, record, places) in enumerate(_records(sheets, SECTIONS, found)):
        section = {**record, "criteria": []}
        sections.append(section)
        _place(found, f"sections[{si}]", places)
        found.places[f"sections[{si}].criteria"] = places[""]
        if "id" in record:
            if str(record["id"]) in by_section:  # its criteria go to the first one
                found.ambiguous[f"sections[{si}]"] = frozenset({"criteria"})
            by_section.setdefault(str(record["id"]), section)
    data["sections"] = sections
    section_index = {id(s): i for i, s in enumerate(sections)}

    criteria_rows: dict[str, tuple[dict[str, Any], str]] = {}
    row_paths: dict[str, list[str]] = {}
    for _r, record, places in _records(sheets, CRITERIA, found):
        sid = record.pop("section", None)
        section = by_section.get(str(sid)) if sid is not None else None
        if section is None:
            where = places.get("section", places[""])
            if sid is None:
                found.add(where, N_("which section? Write a section id of the sheet %(sheet)s",
                                    sheet=SECTIONS))
            else:
                found.add(where, N_("unknown section %(id)s (sheet %(sheet)s: %(known)s)",
                                    id=str(sid), sheet=SECTIONS,
                                    known=", ".join(by_section) or "—"))
            continue
        si = section_index[id(section)]
        path = f"sections[{si}].criteria[{len(section['criteria'])}]"
        section["criteria"].append(record)
        _place(found, path, places)
        if "id" in record:
            criteria_rows.setdefault(str(record["id"]), (record, path))
            row_paths.setdefault(str(record["id"]), []).append(path)
    # A criterion id given twice (the validator says so, at the second row): the rows of
    # Lựa chọn, Mức điểm and Ô nhập naming it belong to neither row for sure, so they are
    # attached to none, and what the rows then lack is not reported on top.
    belongings = frozenset(CHILD_KEYS) | {c.key for c in criterion_columns() if c.kind == "refs"}
    ambiguous_ids = {cid for cid, paths in row_paths.items() if len(paths) > 1}
    for cid in ambiguous_ids:
        del criteria_rows[cid]
        for path in row_paths[cid]:
            found.ambiguous[path] = belongings | {""}

    def child(sheet: str, key: str):
        for _r, record, places in _records(sheets, sheet, found):
            cid = record.pop("criterion", None)
            target = criteria_rows.get(str(cid)) if cid is not None else None
            if target is None and str(cid) in ambiguous_ids:
                continue  # the criterion id given twice is the one problem
            if target is None:
                where = places.get("criterion", places[""])
                if cid is None:
                    found.add(where, N_("which criterion? Write a criterion id of the sheet "
                                        "%(sheet)s", sheet=CRITERIA))
                else:
                    found.add(where, N_("unknown criterion %(id)s (sheet %(sheet)s)",
                                        id=str(cid), sheet=CRITERIA))
                continue
            yield target[0], target[1], record, places

    for raw, path, record, places in child(OPTIONS, "options"):
        items = raw.setdefault("options", [])
        _place(found, f"{path}.options[{len(items)}]", places)
        items.append(record)
    for raw, path, record, places in child(BANDS, "bands"):
        items = raw.setdefault("bands", [])
        _place(found, f"{path}.bands[{len(items)}]", places)
        items.append(record)
    for raw, path, record, places in child(INPUTS, "inputs"):
        items = raw.setdefault("inputs", {})
        input_id = record.pop("input", None)
        plan = record.pop("plan", None)
        if input_id is None:
            found.add(places.get("input", places[""]), N_("the input id is required"))
            continue
        if input_id in items:
            found.add(places["input"], N_("duplicate input id %(id)s", id=str(input_id)))
            continue
        if "input_type" in record:
            record["type"] = record.pop("input_type")
            places["type"] = places.pop("input_type")
        ipath = f"{path}.inputs.{input_id}"
        if set(record) - {"label"} or not isinstance(record.get("label", ""), str):
            items[input_id] = record
            _place(found, ipath, places)
        else:
            items[input_id] = record.get("label")
            found.places[ipath] = places.get("label", places[""])
        if plan is not None:
            actions = raw.setdefault("actions", {})
            if plan in actions:
                found.add(places["plan"], N_("%(plan)s is given to two inputs", plan=str(plan)))
            actions[plan] = input_id
            found.places[f"{path}.actions.{plan}"] = places["plan"]
            found.places.setdefault(f"{path}.actions", places["plan"])
    return data, found


def _place(found: Located, path: str, places: Mapping[str, str]) -> None:
    for key, place in places.items():
        found.places[f"{path}.{key}" if key else path] = place


def _strip_last(path: str) -> str:
    cut = max(path.rfind("."), path.rfind("["))
    return path[:cut] if cut > 0 else ""


def _split(problem: str) -> tuple[str, Any]:
    """(data path, message) of a validator problem ``path: message`` ("" for none)."""
    if isinstance(problem, Message) and set(problem.params) == {"path", "problem"}:
        return str(problem.params["path"]), problem.params["problem"]
    path, sep, message = str(problem).partition(": ")
    return (path, message) if sep else ("", problem)


def _nearest(path: str, places: Mapping[str, str]) -> str:
    """The longest start of ``path`` (itself included) that has a cell, or ""."""
    while path and path not in places:
        path = _strip_last(path)
    return path


#: How a message names a key that has its own sheet (of a criterion: its options…).
_SHEET_OF_KEY = {"options": OPTIONS, "bands": BANDS, "inputs": INPUTS,
                 "actions": HEADERS["plan"], "sections": SECTIONS, "criteria": CRITERIA}


def _shown(rest: str, top: bool) -> str:
    """A rest of a data path (``points``, ``options[0].label``) as the workbook's reader
    knows it: headers and sheet names, without list positions ("" when only those); the
    checklist's own ``bands`` (``top``) are the sheet Xếp loại."""
    names = []
    for part in re.split(r"[.\[\]]+", rest):
        if not part or part.isdigit():
            continue
        if top and part == "bands" and not names:
            names.append(RATING)
        else:
            names.append(_SHEET_OF_KEY.get(part) or HEADERS.get(part, part))
    return " › ".join(names)


#: A data path a validator message may quote (``sections[0].criteria[2]``).
_DATA_PATH = re.compile(r"(?:sections|bands)\[\d+\](?:\.[\w-]+|\[\d+\])*")


def _cells_in(message: Any, places: Mapping[str, str]) -> Any:
    """``message`` with every data path it quotes (``also sections[0].criteria[0]``)
    written as the cell it came from (the id's cell of a row), nested messages too."""
    if not isinstance(message, Message):
        return message
    params = {}
    for key, value in message.params.items():
        if isinstance(value, Message):
            value = _cells_in(value, places)
        elif isinstance(value, str) and _DATA_PATH.fullmatch(value) and \
                _nearest(value, places):
            value = places.get(f"{value}.id") or places[_nearest(value, places)]
        params[key] = value
    return Message(message.template, **params)


def locate(problem: str, places: Mapping[str, str],
           blank: Mapping[str, str] | None = None) -> tuple[str, Any]:
    """(cell, message) of a validator problem ``path: message``: the cell its path, or the
    nearest enclosing path, came from; what the path has beyond that cell is named by
    its headers (``Điểm tối đa: …``), a ``blank`` cell by its header ({cell: header}:
    ``Tiêu chí!E11: Điểm tối đa: is required``), and a path quoted in the message by its
    cell.
    A :class:`Message` problem keeps its template."""
    path, message = _split(problem)
    message = _cells_in(message, places)
    if not path:
        return places.get("", GENERAL), message
    probe = _nearest(path, places)
    rest = _shown(path[len(probe):], top=not probe)
    if probe == path and places[path] in (blank or {}):
        rest = blank[places[path]]
    place = places[probe] if probe else places.get("", GENERAL)
    if not rest:
        return place, message
    return place, Message("%(path)s: %(problem)s", path=rest, problem=message)


def _follows_duplicate(path: str, ambiguous: Mapping[str, frozenset[str]]) -> bool:
    """Whether a problem at ``path`` only follows from a row's id given twice."""
    for row, keys in ambiguous.items():
        if path == row and "" in keys:
            return True
        if path.startswith(row + ".") and \
                re.split(r"[.\[]", path[len(row) + 1:], maxsplit=1)[0] in keys:
            return True
    return False


_CELL = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")


def _order(problem: str) -> tuple[int, int, int]:
    """Where a problem ``Sheet!B12: …`` (or ``Sheet: …``) is, to list problems in sheet
    order (the workbook's), then row, then column; a problem of no sheet comes first."""
    head = str(problem).partition(": ")[0]
    sheet, _sep, cell = head.partition("!")
    name = data_sheet(sheet)
    rank = DATA_SHEETS.index(name) + 1 if name else 0
    match = _CELL.fullmatch(cell)
    if not match:
        return rank, 0, 0
    column = 0
    for letter in match.group(1):
        column = column * 26 + ord(letter) - 64
    return rank, int(match.group(2)), column


def from_sheets(sheets: Mapping[str, list[list[Any]]], source: str = "<workbook>",
                problems: Sequence[str] = ()) -> tuple[Checklist, dict[str, Any]]:
    """The checklist of a workbook's rows and the data of its YAML file, or
    :class:`WorkbookError` with every problem, each at its sheet and cell, in sheet and
    row order. ``problems``: those found reading the file (a formula, whose cell was
    read as blank): listed with the others, and the workbook is refused; what the
    validator then finds at such a cell (a required value missing) is not repeated."""
    data, found = to_data(sheets)
    unread = {str(p.params["place"]) for p in problems
              if isinstance(p, Message) and "place" in p.params}
    problems = [*problems, *found.problems]
    try:
        checklist = parse_checklist(data, source)
    except ChecklistError as exc:
        for problem in exc.problems:
            if _follows_duplicate(_split(problem)[0], found.ambiguous):
                continue
            place, message = locate(problem, found.places, found.blank)
            if place not in unread:
                problems.append(Message("%(place)s: %(problem)s", place=place,
                                        problem=message))
    else:
        if not problems:
            return checklist, data
    raise WorkbookError(source, sorted(problems, key=_order))
