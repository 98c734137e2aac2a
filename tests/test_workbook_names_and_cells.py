"""A checklist workbook edited by hand (DESIGN §12, docs/checklists.md §Workbooks) is read as
meant or refused naming its sheet and cell, never changed without a word: sheet names and
headers are compared as people read them (NFC, any case, spaces trimmed), a sheet that is
no sheet of the layout and a column of values without a header are refused, an id that
Excel turned into a whole number is read as its text, and a file too large is refused with
its own size."""
from __future__ import annotations

import os
import unicodedata

from inspect_app.domain import checklist_workbook as layout
from inspect_app.domain.checklist import parse_checklist
from inspect_app.domain.checklist_workbook import WorkbookError, from_sheets
from inspect_app.i18n import translate
from inspect_app.storage.checklist_workbooks import read_workbook, read_workbook_file

from .factories import checklist_data, criterion_data
from .test_checklist_admin import admin, upload  # noqa: F401 - fixture
from .test_checklist_workbooks import every_type_data, header, openpyxl_bytes, sheets_of


def outcome(raw=None, sheets=None):
    """('ok', checklist) or ('refused', [Vietnamese problems])."""
    try:
        checklist, _data = read_workbook(raw) if raw is not None else from_sheets(sheets)
    except WorkbookError as exc:
        return "refused", [translate(p, "vi") for p in exc.problems]
    return "ok", checklist


def test_a_sheet_renamed_in_another_case_is_read_as_that_sheet():
    """What happened: the sheet "Xếp loại" renamed "Xếp Loại " in Excel was skipped, and
    the checklist was imported without its rating bands, without a word."""
    original = parse_checklist(every_type_data())
    sheets = sheets_of()
    sheets["Xếp Loại "] = sheets.pop(layout.RATING)
    status, result = outcome(raw=openpyxl_bytes(sheets))
    assert status == "ok", result
    assert result.data["bands"] == original.data["bands"]


def test_an_unknown_sheet_is_refused_naming_it():
    """What happened: a sheet that is no sheet of the layout ("Xep loai", the officer's
    copy of the rating bands) was skipped without a word."""
    sheets = sheets_of()
    sheets["Xep loai"] = sheets.pop(layout.RATING)
    status, result = outcome(raw=openpyxl_bytes(sheets))
    assert status == "refused"
    assert any(p.startswith("Xep loai: ") for p in result), result


def test_two_sheets_that_are_one_sheet_are_refused():
    """What happened (found with the case fix): "Phần" and "phần" would both be the
    sections sheet; one of them would be dropped."""
    sheets = sheets_of()
    sheets["phần"] = [list(row) for row in sheets[layout.SECTIONS]]
    status, result = outcome(sheets=sheets)
    assert status == "refused"
    assert any(p.startswith("phần: ") for p in result), result


def test_a_column_whose_header_was_cleared_is_refused_naming_its_cell():
    """What happened: clearing the header "Biện pháp khắc phục" by mistake imported the
    checklist with every criterion's remedy gone."""
    sheets = sheets_of()
    crit = sheets[layout.CRITERIA]
    col = header(crit, "Biện pháp khắc phục")
    assert crit[1][col] == "Ban hành"
    crit[0][col] = None
    status, result = outcome(sheets=sheets)
    assert status == "refused"
    assert any(p.startswith(f"{layout.CRITERIA}!{layout.cell_name(1, col)}: ") for p in result), \
        result


def test_values_right_of_the_last_header_are_refused():
    """What happened: values typed in a column right of the last header were dropped."""
    sheets = sheets_of()
    sections = sheets[layout.SECTIONS]
    width = len(sections[0])
    sections[1] = list(sections[1]) + [None] * (width - len(sections[1])) + ["ghi chú"]
    status, result = outcome(sheets=sheets)
    assert status == "refused"
    assert any(p.startswith(f"{layout.SECTIONS}!{layout.cell_name(1, width)}: ")
               for p in result), result


def test_headers_and_sheet_names_in_decomposed_unicode_are_read():
    """What happened: a workbook saved by a tool writing decomposed Unicode (NFD, as macOS
    tools do), the same names on screen, was refused: "thiếu sheet Tiêu chí" although the
    sheet was there, and "cột Phần không hợp lệ"."""
    sheets = sheets_of()
    expected, _data = read_workbook(openpyxl_bytes(sheets))
    for name in list(sheets):
        rows = sheets.pop(name)
        rows[0] = [unicodedata.normalize("NFD", h) if isinstance(h, str) else h
                   for h in rows[0]]
        sheets[unicodedata.normalize("NFD", name)] = rows
    status, result = outcome(raw=openpyxl_bytes(sheets))
    assert status == "ok", result[:3]
    assert result.hash == expected.hash


def test_a_criterion_id_typed_as_a_whole_number_is_read_as_its_text():
    """What happened: the id "1" that Excel turned into the number 1 stayed a number, so
    the content hash differed from the same checklist with the text "1" (docs: "an id
    typed as a number is read as the text")."""
    data = checklist_data(criterion_data(id="1", type="yesno", points=1))
    original = parse_checklist(data)
    sheets = sheets_of(data)
    sheets[layout.CRITERIA][1][1] = 1
    status, result = outcome(sheets=sheets)
    assert status == "ok", result
    assert result.hash == original.hash


def test_a_5_mb_upload_is_refused_with_its_real_size(admin):  # noqa: F811
    """What happened: a 5 MB upload was refused as "tệp quá lớn: 2.097.153 byte", the size
    of the part that was read, not of the file."""
    raw = b"PK" + os.urandom(5 * 1024 * 1024)
    response = upload(admin, raw, "bang-kiem.xlsx")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "tệp quá lớn" in page
    assert "2.097.153" not in page
    assert "5.242.882" in page


def test_a_large_workbook_file_is_refused_with_its_real_size(tmp_path):
    """What happened: `checklists import` of a 3 MB file named 2.097.153 bytes too."""
    path = tmp_path / "big.xlsx"
    path.write_bytes(b"PK" + bytes(3 * 1024 * 1024))
    try:
        read_workbook_file(path)
    except WorkbookError as exc:
        assert str(3 * 1024 * 1024 + 2) in str(exc.problems[0].params["size"])
    else:
        raise AssertionError("a 3 MB workbook was read")
