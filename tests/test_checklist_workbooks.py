"""Checklists as Excel workbooks (DESIGN §12, issue 14 point 1): the round trip keeps the
content hash, every problem is reported at its sheet and cell, hostile files are refused
quickly with a clear message."""
from __future__ import annotations

import copy
import io
import random
import re
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspect_app.domain import checklist_workbook as layout
from inspect_app.domain import criteria
from inspect_app.domain.checklist import parse_checklist
from inspect_app.domain.checklist_workbook import Cell, WorkbookError, from_sheets, to_sheets
from inspect_app.domain.messages import Message
from inspect_app.exports.checklist_xlsx import write_checklist
from inspect_app.i18n import translate
from inspect_app.storage.checklist_files import checklist_paths, load_file, load_text
from inspect_app.storage.checklist_workbooks import (
    MAX_FILE_BYTES,
    checklist_yaml,
    read_workbook,
)

from .factories import COUNT, RATIO, checklist_data, criterion_data

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = checklist_paths(ROOT / "checklists")

#: One criterion of every registered type, with most of their optional keys.
EVERY_TYPE = [
    criterion_data(id="1.1", help="Xem =SUM(A1) nguyên văn", na_allowed=False, evidence="Kế hoạch",
                   evidence_required=True, remedy="Ban hành", remedy_owner="Văn phòng",
                   remedy_days=30),
    criterion_data(id="1.2", type="choice", points=2,
                   options=[{"label": "Đủ", "points": 2}, {"value": 1, "label": "Một phần",
                                                            "points": 1.0},
                            {"value": False, "label": "Không", "points": 0},
                            {"value": 0.5, "label": "Ít", "points": 0.5}]),
    criterion_data(id="1.3", type="score", points=3, step=0.5),
    dict(RATIO, id="1.4", text="Tỷ lệ hồ sơ", on_zero="full", may_exceed=True),
    criterion_data(id="1.5", type="ratio", points=2.0, inputs={"a": "Đã làm", "b": "Phải làm"},
                   numerator=["a"], denominator=["b"], proportional=True, decimal=True,
                   at_most_denominator=True),
    dict(COUNT, id="1.6", text="Số hồ sơ trễ"),
    criterion_data(id="1.7", type="info", points=None,
                   inputs={"viec": {"label": "Việc cần làm", "type": "text"},
                           "nguoi": {"label": "Người làm", "type": "text"},
                           "han": {"label": "Hạn", "type": "date"},
                           "so": {"label": "Số người", "min": 1, "max": 500}},
                   actions={"action": "viec", "owner": "nguoi", "due": "han"}),
    criterion_data(id="1.8", type="bonus", points=1),
    criterion_data(id="1.9", type="penalty", points=2, step=1),
    criterion_data(id="1.10", type="multi", points=2,
                   options=[{"value": "a", "label": "Trang web", "points": 1},
                            {"value": "b", "label": "Zalo", "points": 1}]),
]


def every_type_data():
    data = checklist_data(*EVERY_TYPE[:5], cadence="yearly", description="Mô tả\nhai dòng")
    data["sections"].append({"id": "s2", "title": "Phần hai", "description": "Phụ",
                             "criteria": copy.deepcopy(EVERY_TYPE[5:])})
    return data


def workbook_bytes(data) -> bytes:
    out = io.BytesIO()
    write_checklist(data, out)
    return out.getvalue()


def plain_rows(sheets):
    return {name: [[c.value if isinstance(c, Cell) else c for c in row] for row in rows]
            for name, rows in sheets.items()}


def openpyxl_bytes(sheets, tweak=None) -> bytes:
    """A workbook of these rows written by openpyxl (as Excel would: not our writer)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in plain_rows(sheets).items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    if tweak:
        tweak(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def problems_of(sheets) -> list[str]:
    with pytest.raises(WorkbookError) as caught:
        from_sheets(sheets)
    return [translate(p, "en") for p in caught.value.problems]


def test_the_every_type_checklist_uses_every_registered_type():
    data = every_type_data()
    parse_checklist(data)
    used = {c["type"] for s in data["sections"] for c in s["criteria"]}
    assert used == set(criteria.names()), "add the new type to EVERY_TYPE"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_round_trip_of_every_shipped_checklist_keeps_the_hash(path):
    original = load_file(path)
    checklist, data = read_workbook(workbook_bytes(dict(original.data)))
    assert checklist.hash == original.hash
    assert load_text(checklist_yaml(data), "x.yaml").hash == original.hash


def test_round_trip_of_every_type_keeps_the_hash():
    data = every_type_data()
    original = parse_checklist(data)
    checklist, again = read_workbook(workbook_bytes(dict(original.data)))
    assert checklist.hash == original.hash
    assert again == original.data  # 1.0 stays a decimal, 1 a whole number, False a flag
    assert load_text(checklist_yaml(again), "x.yaml").hash == original.hash


def test_a_workbook_saved_by_another_program_reads_the_same():
    original = parse_checklist(every_type_data())
    sheets = to_sheets(original.data)
    checklist, _data = read_workbook(openpyxl_bytes(sheets))
    # openpyxl writes 1.0 as 1: the only difference is a decimal read as a whole number
    assert checklist.criterion("1.5").points == original.criterion("1.5").points


TEXTS = st.text(alphabet=st.sampled_from("aăâbcdđeêgiklmnoôơpqrstuưvxyÀÁẠảẽ =+-@\t0123456789,.;"),
                min_size=1, max_size=30).filter(lambda t: t.strip() == t and t)
POINTS = st.one_of(st.integers(1, 20), st.sampled_from([0.25, 0.5, 1.5, 2.0, 7.75]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(picks=st.lists(st.sampled_from(range(len(EVERY_TYPE))), min_size=1, max_size=8),
       texts=st.lists(TEXTS, min_size=8, max_size=8), points=st.lists(POINTS, min_size=8,
                                                                       max_size=8))
def test_round_trip_of_generated_checklists_keeps_the_hash(picks, texts, points):
    chosen = []
    for i, pick in enumerate(picks):
        raw = copy.deepcopy(EVERY_TYPE[pick])
        raw["id"] = f"c{i}"
        raw["text"] = texts[i]
        if raw["type"] in ("yesno", "score", "bonus", "penalty"):
            raw["points"] = points[i]
            raw.pop("step", None)
        chosen.append(raw)
    data = checklist_data(*chosen, title=texts[-1])
    original = parse_checklist(data)
    checklist, _ = read_workbook(workbook_bytes(dict(original.data)))
    assert checklist.hash == original.hash


# --------------------------------------------------------------------------- problems


def sheets_of(data=None):
    return plain_rows(to_sheets(parse_checklist(data or every_type_data()).data))


def test_a_wrong_type_is_reported_at_its_cell():
    sheets = sheets_of()
    assert sheets[layout.CRITERIA][0][3] == "Loại"
    sheets[layout.CRITERIA][3][3] = "tickbox"
    problems = problems_of(sheets)
    assert len(problems) == 1
    assert problems[0].startswith("Tiêu chí!D4: must be one of yesno, choice")


def test_every_problem_is_listed_each_with_its_cell():
    sheets = sheets_of()
    crit = sheets[layout.CRITERIA]
    crit[1][4] = -1                              # points of 1.1
    crit[3][1] = "1.1"                           # duplicated id (row 4)
    crit[1][header(crit, "Cho phép không áp dụng")] = "có lẽ"
    bands = sheets[layout.BANDS]
    bands[1][3] = 9                              # a band above its criterion's 5 points
    options = sheets[layout.OPTIONS]
    options[1][3] = None                         # an option without points
    problems = problems_of(sheets)
    text = "\n".join(problems)
    assert "Tiêu chí!E2: must be greater than 0, got -1" in text
    assert "Tiêu chí!B4: duplicate criterion id '1.1'" in text
    assert f"Tiêu chí!{letter(crit, 'Cho phép không áp dụng')}2: write Có or Không" in text
    assert "Mức điểm!A2: points 9 exceeds criterion points 5" in text
    assert "Lựa chọn!A2: points: is required" in text or "Lựa chọn!D2" in text
    assert len(problems) == 5


def header(rows, name):
    return rows[0].index(name)


def letter(rows, name):
    return layout.cell_name(0, header(rows, name))[:-1]


def test_a_row_of_an_unknown_section_or_criterion_is_reported():
    sheets = sheets_of()
    sheets[layout.CRITERIA][2][0] = "khong_co"
    sheets[layout.INPUTS][1][0] = "9.9"
    problems = problems_of(sheets)
    assert any(p.startswith("Tiêu chí!A3: unknown section khong_co") for p in problems)
    assert any(p.startswith("Ô nhập!A2: unknown criterion 9.9") for p in problems)


def test_unknown_columns_and_missing_sheets_are_reported():
    sheets = sheets_of()
    sheets[layout.CRITERIA][0].append("Cột lạ")
    del sheets[layout.SECTIONS]
    problems = problems_of(sheets)
    assert any(p.startswith("Tiêu chí!") and "unknown column Cột lạ" in p for p in problems)
    assert any(p.startswith("Phần: the sheet Phần is missing") for p in problems)


def test_problems_read_in_vietnamese():
    sheets = sheets_of()
    sheets[layout.CRITERIA][1][header(sheets[layout.CRITERIA], "Bắt buộc minh chứng")] = "?"
    with pytest.raises(WorkbookError) as caught:
        from_sheets(sheets)
    assert translate(caught.value.problems[0], "vi").endswith("ghi Có hoặc Không, không phải ?")


#: English words that must not be left in a Vietnamese problem.
ENGLISH = ("must be", ", got ", "is required", "unknown ", "did you mean", "(allowed",
           "may only contain", "a list", "a mapping", "text '", "nothing", "is missing",
           "given twice", "which ", "write Có", "exceeds", "characters long")


def test_every_problem_of_a_broken_workbook_reads_in_vietnamese():
    sheets = sheets_of()
    crit = sheets[layout.CRITERIA]
    sheets[layout.RATING][1][0] = 120                          # a band percent above 100
    sheets[layout.RATING].append([None, "Không có mức"])       # a band without its percent
    crit[1][header(crit, "Số ngày khắc phục")] = "30 ngày"
    crit[1][header(crit, "Bắt buộc minh chứng")] = "có lẽ"
    crit[1][header(crit, "Hướng dẫn chấm")] = "h" * 4001
    crit[2][1] = "1 2"                                         # a bad criterion id
    crit[3][3] = "tickbox"
    crit[4][4] = "hai"
    crit[0].append("Cột lạ")
    crit.append(["khong_co", "9.1", "Lạ", "yesno", 1])
    crit.append([None, "9.2", "Lạ", "yesno", 1])
    sheets[layout.OPTIONS][1][3] = 9                           # an option above its points
    sheets[layout.OPTIONS].append(["9.9", "x", "X", 1])
    sheets[layout.OPTIONS].append([None, "x", "X", 1])
    sheets[layout.BANDS][1][1] = "nhiều"
    inputs = sheets[layout.INPUTS]
    inputs.append([inputs[1][0], inputs[1][1], "Trùng"] + [None] * 4)
    inputs.append([inputs[1][0], None, "Không mã"] + [None] * 4)
    inputs[1][header(inputs, "Kiểu")] = "sao"
    general = sheets[layout.GENERAL]
    general.append(["mau_sac", "Màu", "đỏ", None])
    general.append(["title", "Tên", "Hai lần", None])
    general.append([None, None, "lạc", None])
    general[header_row(general, "kind")][2] = "audit"
    with pytest.raises(WorkbookError) as caught:
        from_sheets(sheets)
    problems = caught.value.problems
    assert len(problems) >= 15, problems
    for problem in problems:
        assert isinstance(problem, Message), problem
        vi = translate(problem, "vi")
        assert vi != translate(problem, "en"), problem
        left = [word for word in ENGLISH if word in vi]
        assert not left, (vi, left)
    vi = "\n".join(translate(p, "vi") for p in problems)
    assert "Xếp loại!A2: phải là tỷ lệ phần trăm từ 0 đến 100, nhận được 120" in vi
    days = letter(crit, "Số ngày khắc phục")
    assert (f"Tiêu chí!{days}2: phải là số ngày nguyên (từ 0 trở lên), nhận được văn bản "
            "'30 ngày'") in vi


def test_a_bad_or_missing_section_sheet_reads_in_vietnamese():
    sheets = sheets_of()
    sheets[layout.SECTIONS][1][0] = "a b"
    sheets[layout.SECTIONS][0].append("Mã")
    del sheets[layout.GENERAL]
    with pytest.raises(WorkbookError) as caught:
        from_sheets(sheets)
    for problem in caught.value.problems:
        vi = translate(problem, "vi")
        assert isinstance(problem, Message) and vi != translate(problem, "en"), problem
        assert not [word for word in ENGLISH if word in vi], vi


def header_row(rows, key):
    return next(i for i, row in enumerate(rows) if row and row[0] == key)


def test_a_text_longer_than_the_limit_is_refused_at_its_cell():
    data = checklist_data(criterion_data(id="1.1", help="h" * 4000))
    checklist, _ = read_workbook(workbook_bytes(dict(parse_checklist(data).data)))
    assert checklist.criteria[0].help == "h" * 4000
    sheets = sheets_of(data)
    crit = sheets[layout.CRITERIA]
    crit[1][header(crit, "Hướng dẫn chấm")] = "h" * 4001
    place = f"Tiêu chí!{letter(crit, 'Hướng dẫn chấm')}2"
    assert problems_of(sheets) == [f"{place}: is 4,001 characters long: at most 4,000"]
    with pytest.raises(WorkbookError) as caught:
        from_sheets(sheets)
    assert translate(caught.value.problems[0], "vi") == f"{place}: dài 4.001 ký tự: tối đa 4.000 ký tự"


def test_numbers_typed_the_vietnamese_way_and_ids_typed_as_numbers_are_read():
    sheets = sheets_of(checklist_data(criterion_data(id="1.1", type="score", points=2,
                                                     step=0.25)))
    crit = sheets[layout.CRITERIA]
    crit[1][1] = 1.1
    crit[1][header(crit, "Bước điểm")] = "0,5"
    checklist, _ = from_sheets(sheets)
    assert checklist.criteria[0].id == "1.1"
    assert str(checklist.criteria[0].step) == "0.5"


def test_cells_typed_in_nfd_are_read_in_nfc():
    """A workbook filled in Numbers on a Mac (or pasted from one) holds decomposed text:
    "Có" is C, o, a combining acute. The flag was refused "write Có or Không, not Có"
    although it reads Có; every text cell is read in NFC, so flags are read and texts
    are stored as any other Vietnamese text."""
    import unicodedata

    def nfd(text):
        return unicodedata.normalize("NFD", text)

    sheets = sheets_of(checklist_data(criterion_data(id="1.1"), criterion_data(id="1.2")))
    crit = sheets[layout.CRITERIA]
    crit[1][header(crit, "Cho phép không áp dụng")] = nfd("Có")
    crit[2][header(crit, "Cho phép không áp dụng")] = nfd(" Không ")
    crit[1][header(crit, "Nội dung tiêu chí")] = nfd("Niêm yết công khai thủ tục hành chính")
    checklist, data = from_sheets(sheets)
    assert [c.na_allowed for c in checklist.criteria] == [True, False]
    assert checklist.criteria[0].text == "Niêm yết công khai thủ tục hành chính"
    assert data["sections"][0]["criteria"][0]["text"] == "Niêm yết công khai thủ tục hành chính"


# --------------------------------------------------------------------------- the files


def test_formulas_are_refused_with_their_cell():
    sheets = sheets_of()

    def formula(book):
        book[layout.CRITERIA]["E2"] = "=1+1"
    problems = refusal(openpyxl_bytes(sheets, formula))
    assert problems[0].startswith("Tiêu chí!E2: a formula (=1+1)")
    assert len(problems) == 1, problems  # not also "E2: points: is required"


def refusal(raw: bytes) -> list[str]:
    # the CPU time of this process: other processes on a busy machine do not count
    started = time.process_time()
    with pytest.raises(WorkbookError) as caught:
        read_workbook(raw, "x.xlsx")
    assert time.process_time() - started < 1.0
    return [translate(p, "en") for p in caught.value.problems]


def rezip(raw: bytes, replace=None, add=None, stored=()) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = (replace or {}).get(info.filename, source.read(info))
            method = zipfile.ZIP_STORED if info.filename in stored else zipfile.ZIP_DEFLATED
            target.writestr(info.filename, data, compress_type=method)
        for name, data in (add or {}).items():
            target.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


CRITERIA_PART = "xl/worksheets/sheet5.xml"  # instructions, general, rating, sections, criteria


def sheet_xml(rows: int, cols: int = 1, first_row: int = 1, dimension: bool = False) -> bytes:
    body = "".join(
        f'<row r="{r}">' + "".join(f'<c r="{layout.cell_name(r - 1, c)}"><v>{r}</v></c>'
                                   for c in range(cols)) + "</row>"
        for r in range(first_row, first_row + rows))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            + (f'<dimension ref="A1:{layout.cell_name(rows - 1, cols - 1)}"/>'
               if dimension else "")
            + f"<sheetData>{body}</sheetData></worksheet>").encode()


@pytest.fixture(scope="module")
def good() -> bytes:
    return workbook_bytes(dict(load_file(ROOT / "checklists" / "cchc-xa.yaml").data))


def test_the_criteria_part_is_where_the_hostile_tests_put_things(good):
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        assert b"1.1" in archive.read(CRITERIA_PART) or b"<row" in archive.read(CRITERIA_PART)
        names = archive.read("xl/workbook.xml").decode()
    assert names.index("Tiêu chí") > names.index("Phần")


def sparse(size: int, seed: int) -> bytes:
    """Bytes that compress about 60 times: each deflated part stays under the ratio limit."""
    rng = random.Random(seed)
    data = bytearray(size)
    for _ in range(size // 60):
        data[rng.randrange(size)] = rng.randrange(256)
    return bytes(data)


HOSTILE = {
    "not a zip": (lambda good: b"%PDF-1.4 hello", "not an Excel workbook (.xlsx): the file is not"),
    "damaged zip": (lambda good: good[:len(good) // 2], "not an Excel workbook"),
    "too large": (lambda good: good + b"\0" * MAX_FILE_BYTES, "the file is too large"),
    "zip bomb": (lambda good: rezip(good, replace={CRITERIA_PART: b" " * 30_000_000}),
                 "a zip bomb?"),
    "unpacks too big": (lambda good: rezip(good, add={
        f"xl/media/part{i}.bin": sparse(2_500_000, seed=i) for i in range(9)}),
        "the workbook unpacks to"),
    "huge sheet": (lambda good: rezip(good, replace={CRITERIA_PART: sheet_xml(8_000, 1, 1, True)},
                                      stored={CRITERIA_PART}), "Tiêu chí: more than 2,000 rows"),
    "huge part": (lambda good: rezip(good, replace={CRITERIA_PART: sheet_xml(30_000)},
                                     stored={CRITERIA_PART}), "unpacks to 1,"),
    "no dimension": (lambda good: rezip(good, replace={CRITERIA_PART: sheet_xml(4_000)},
                                        stored={CRITERIA_PART}), "does not state its size"),
    "many cells": (lambda good: rezip(good, replace={
        f"xl/worksheets/sheet{i}.xml": sheet_xml(400, 30, 1, True) for i in (5, 6)}),
                   "more than 20,000 filled cells"),
    "big sheets": (lambda good: rezip(good, replace={
        f"xl/worksheets/sheet{i}.xml": sheet_xml(1000, 30, 1, True) for i in (5, 6)}),
                   "the data sheets hold more than"),
    "wide sheet": (lambda good: rezip(good, replace={CRITERIA_PART: sheet_xml(2, 300)},
                                      stored={CRITERIA_PART}), "more than 40 columns"),
    "far cell": (lambda good: rezip(good, replace={CRITERIA_PART: sheet_xml(1, 1, 1_000_000)}),
                 "more than 2,000 rows"),
    "macros": (lambda good: rezip(good, add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" * 100}),
               "contains macros (.xlsm)"),
    "external link": (lambda good: rezip(good, add={
        "xl/externalLinks/externalLink1.xml": b"<externalLink/>"}), "links to other files"),
    "entities": (lambda good: rezip(good, replace={"xl/sharedStrings.xml": (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>')}),
        "declares a DTD or entities"),
    "no workbook part": (lambda good: rezip(good, replace={}, add={}).replace(
        b"xl/workbook.xml", b"xl/workbook.xmX"), "not an Excel workbook"),
}


@pytest.mark.parametrize("case", HOSTILE, ids=str)
def test_hostile_workbooks_are_refused_quickly_with_a_clear_message(case, good):
    make, expected = HOSTILE[case]
    problems = refusal(make(good))
    assert any(expected in p for p in problems), problems


def test_merged_cells_on_a_data_sheet_are_refused_with_their_place():
    def merge(book):
        book[layout.CRITERIA].merge_cells("C2:D2")
    problems = refusal(openpyxl_bytes(sheets_of(), merge))
    assert problems == ["Tiêu chí!C2:D2: merged cells; unmerge them (one value per cell)"]


def test_a_macro_workbook_named_xlsx_is_refused_by_its_content_type(good):
    raw = rezip(good, replace={"[Content_Types].xml": zipfile.ZipFile(io.BytesIO(good)).read(
        "[Content_Types].xml").replace(b"sheet.main+xml", b"sheet.macroEnabled.main+xml")})
    assert any("macros" in p for p in refusal(raw))


# --------------------------------------------------------------------------- commands


@pytest.fixture()
def cli(runner):
    return runner


def test_export_then_import_on_the_command_line(cli, tmp_path):
    target = tmp_path / "cchc.xlsx"
    result = cli.invoke(args=["checklists", "export", "cchc-xa", "--out", str(target)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    result = cli.invoke(args=["checklists", "import", str(target), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert load_file(out / "cchc-xa.yaml").hash == load_file(ROOT / "checklists" /
                                                              "cchc-xa.yaml").hash


def test_checklists_export_into_a_missing_folder_is_a_clear_refusal_not_a_traceback(runner,
                                                                                  tmp_path):
    """A mistyped --out folder is bad input: a message naming the path and exit 2, as
    every other command does (cli/errors.py) — never xlsxwriter's FileCreateError."""
    out = tmp_path / "khong-co-thu-muc" / "cchc.xlsx"
    result = runner.invoke(args=["checklists", "export", "cchc-xa", "--out", str(out)])
    assert not isinstance(result.exception, Exception) or isinstance(result.exception,
                                                                     SystemExit), \
        repr(result.exception)
    assert result.exit_code == 2, result.output
    assert str(out) in result.output


def test_import_of_a_bad_workbook_lists_every_problem_in_vietnamese_and_exits_2(cli, tmp_path):
    sheets = sheets_of()
    sheets[layout.CRITERIA][3][3] = "tickbox"
    sheets[layout.CRITERIA][1][header(sheets[layout.CRITERIA], "Bắt buộc minh chứng")] = "?"
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(openpyxl_bytes(sheets))
    out = tmp_path / "out"
    result = cli.invoke(args=["checklists", "import", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert "Tiêu chí!D4: " in result.output
    assert "ghi Có hoặc Không" in result.output
    assert "2 lỗi" in result.output
    assert not out.exists()


def test_import_of_a_file_that_is_not_a_workbook_exits_2(cli, tmp_path):
    bad = tmp_path / "x.xlsx"
    bad.write_text("format: 1\n")
    result = cli.invoke(args=["checklists", "import", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "không phải" in result.output.lower() or "zip" in result.output


def test_a_checklist_text_with_windows_line_breaks_survives_the_workbook_round_trip():
    """A province officer uploads a checklist whose guidance came from a Windows text
    (JSON "Bước 1\\r\\nBước 2": accepted as it is), exports it to Excel and imports the
    workbook back unchanged (docs/checklists.md §17: the same content, the same hash).
    What happens: XlsxWriter stores the CR as the escape ``_x000D_`` (as Excel itself
    does for a pasted multi-line text) and the import reads the escape literally
    (storage/checklist_workbooks.py: openpyxl cell values taken as they are), so the
    guidance on every phone reads "Bước 1_x000D_\\nBước 2" and the hash changes."""
    import io

    from inspect_app.domain.checklist import parse_checklist
    from inspect_app.exports.checklist_xlsx import write_checklist
    from inspect_app.storage.checklist_workbooks import read_workbook

    from .factories import checklist_data, criterion_data

    guidance = "Bước 1: kiểm tra kế hoạch.\r\nBước 2: đối chiếu báo cáo."
    original = parse_checklist(checklist_data(criterion_data(
        id="1.1", type="yesno", points=2, help=guidance)))
    out = io.BytesIO()
    write_checklist(dict(original.data), out)
    checklist, _data = read_workbook(out.getvalue())
    assert "_x000D_" not in checklist.criterion("1.1").help
    assert checklist.hash == original.hash


def test_a_criterion_text_holding_an_ooxml_escape_lookalike_survives_the_workbook_round_trip():
    """An officer's criterion text that happens to contain ``_x0041_`` (a file name, a code
    copied from another system) is exported to Excel and imported back unchanged: DESIGN
    §12 "export then import gives a checklist with the same content hash".
    What happens: XlsxWriter writes the text as it is, and the import
    (storage/checklist_workbooks.py ooxml_unescaped) decodes every ``_xHHHH_`` it
    finds, so the text comes back as "Mẫu A ghi" and the hash changes."""
    text = "Mẫu _x0041_ ghi theo biểu số _x0031_"
    original = parse_checklist(checklist_data(criterion_data(id="1.1", text=text, points=1)))
    out = io.BytesIO()
    write_checklist(dict(original.data), out)
    checklist, _data = read_workbook(out.getvalue())
    assert checklist.criterion("1.1").text == text
    assert checklist.hash == original.hash


def _openpyxl_workbook(data, tweak):
    """The rows of a checklist's workbook saved by openpyxl (as Excel would save them)."""
    import openpyxl

    from inspect_app.domain.checklist_workbook import Cell, to_sheets

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in to_sheets(data).items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append([c.value if isinstance(c, Cell) else c for c in row])
    tweak(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_rating_band_typed_as_a_percent_in_excel_keeps_its_percent():
    """The instructions sheet says the Xếp loại sheet holds "tỷ lệ % điểm"; an officer
    types 90% in Excel, which stores the number 0.9 in a cell formatted as a percent
    (0%). The import must read 90 (or refuse the cell, naming it); it must not make
    "Tốt" start at 0,9 % so that nearly every commune is rated Tốt.
    What happens: storage/checklist_workbooks.py read_sheets looks at a cell's number
    format only to keep decimals (``"." in cell.number_format``), the percent format is
    ignored, and the band is accepted with min 0.9."""
    from inspect_app.domain import checklist_workbook as layout
    from inspect_app.domain.checklist_workbook import WorkbookError

    data = dict(parse_checklist(checklist_data(
        criterion_data(id="1.1", points=10),
        bands=[{"min": 90, "label": "Tốt"}, {"min": 0, "label": "Yếu"}])).data)

    def typed_as_percent(book):
        cell = book[layout.RATING]["A2"]
        cell.value = 0.9
        cell.number_format = "0%"

    raw = _openpyxl_workbook(data, typed_as_percent)
    try:
        checklist, _data = read_workbook(raw)
    except WorkbookError as exc:  # refusing the cell, with its place, is fine too
        assert any("Xếp loại!A2" in str(p) for p in exc.problems)
        return
    assert checklist.bands[0].label == "Tốt"
    assert checklist.bands[0].min == 90


def _edited_shipped_workbook(tweak) -> bytes:
    """cchc-xa as `checklists export` writes it, then edited with openpyxl as in Excel."""
    original = load_file(ROOT / "checklists" / "cchc-xa.yaml")
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(dict(original.data))))
    tweak(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _criterion_cell(book, criterion_id: str, header_text: str):
    sheet = book[layout.CRITERIA]
    headers = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[1].value == criterion_id)
    return row[headers.index(header_text)]


def test_a_whole_number_in_a_cell_formatted_with_decimals_is_a_whole_number():
    """Excel's "Number" format (0.00) on a "Số ngày khắc phục" cell keeps 60 days 60."""
    def decimals(book):
        _criterion_cell(book, "2.3", "Số ngày khắc phục").number_format = "0.00"
    checklist, data = read_workbook(_edited_shipped_workbook(decimals), "cchc-xa.xlsx")
    assert checklist.criterion("2.3").remedy_days == 60
    criterion = next(c for s in data["sections"] for c in s["criteria"] if c["id"] == "2.3")
    assert type(criterion["remedy_days"]) is int

    def half_a_day(book):
        cell = _criterion_cell(book, "2.3", "Số ngày khắc phục")
        cell.value, cell.number_format = 60.5, "0.00"
    with pytest.raises(WorkbookError) as caught:
        read_workbook(_edited_shipped_workbook(half_a_day), "cchc-xa.xlsx")
    vi = [translate(p, "vi") for p in caught.value.problems]
    assert vi == ["Tiêu chí!L14: phải là số ngày nguyên (từ 0 trở lên), nhận được 60,5"]


def test_a_whole_number_typed_with_a_decimal_comma_is_a_whole_number():
    sheets = sheets_of()
    crit = sheets[layout.CRITERIA]
    crit[1][header(crit, "Số ngày khắc phục")] = "30,0"
    checklist, _data = from_sheets(sheets)
    assert checklist.criterion("1.1").remedy_days == 30


def test_a_formula_does_not_hide_the_other_problems_of_the_workbook():
    """Every problem is listed at once, the formula's with the others, in sheet and row
    order; the formula's cell is read as blank, so the upload is still refused."""
    sheets = sheets_of()
    crit = sheets[layout.CRITERIA]
    points = letter(crit, "Điểm tối đa")  # of criterion 1.3 (row 4)

    def edits(book):
        book[layout.CRITERIA][f"{letter(crit, 'Hướng dẫn chấm')}3"] = "=1+1.5"
        book[layout.CRITERIA][f"{points}4"] = None
        book[layout.BANDS]["B2"] = "80%"
        book[layout.GENERAL]["D2"] = "#REF!"             # an Excel error in a note
    with pytest.raises(WorkbookError) as caught:
        read_workbook(openpyxl_bytes(sheets, edits), "x.xlsx")
    vi = [translate(p, "vi") for p in caught.value.problems]
    rows = [re.sub(r"![A-Z]+(\d+)$", r"!\1", p.split(": ", 1)[0]) for p in vi]
    assert rows == ["Thông tin chung!2", "Tiêu chí!3", "Tiêu chí!4", "Mức điểm!2"], vi
    assert vi[0].endswith(": ô có lỗi Excel (#REF!)"), vi
    assert vi[1].endswith(": có công thức (=1+1.5); hãy nhập chính giá trị, công thức "
                          "không được đọc"), vi
    assert vi[2] == f"Tiêu chí!{points}4: Điểm tối đa: bắt buộc phải có", vi
    assert "Mức điểm!B2: " in vi[3] and "'80%'" in vi[3], vi


def vi_problems_of(sheets) -> list[str]:
    with pytest.raises(WorkbookError) as caught:
        from_sheets(sheets)
    return [translate(p, "vi") for p in caught.value.problems]


def test_a_duplicated_criterion_id_is_reported_once_at_cells():
    """The rows of other sheets naming an id given twice go to neither row: no follow-on
    problems on the first row ("bands: khóa không hợp lệ với loại yesno"), nor on the
    second (no inputs); the first row is named by its cell, not sections[0].criteria[0]."""
    sheets = sheets_of()
    sheets[layout.CRITERIA][1][1] = "1.4"  # 1.1 (yesno) retyped as 1.4 (ratio, row 5)
    assert vi_problems_of(sheets) == [
        "Tiêu chí!B5: mã tiêu chí '1.4' bị trùng (đã có ở Tiêu chí!B2)"]


def test_a_duplicated_section_id_is_reported_at_cells():
    sheets = sheets_of()
    sheets[layout.SECTIONS][2][0] = "s1"
    for row in sheets[layout.CRITERIA][1:]:
        row[0] = "s1"  # their criteria go to the first s1: its copy lacks none
    assert vi_problems_of(sheets) == ["Phần!A3: mã phần 's1' bị trùng (đã có ở Phần!A2)"]


def test_problems_name_cells_and_headers_not_data_paths():
    sheets = sheets_of()
    crit = sheets[layout.CRITERIA]
    crit[10][header(crit, "Điểm tối đa")] = None                 # 1.10
    crit[4][header(crit, "Tử số")] = "early, zz"                 # 1.4
    sheets[layout.OPTIONS] = [row for row in sheets[layout.OPTIONS] if row[0] != "1.2"]
    vi = vi_problems_of(sheets)
    assert vi == [
        "Tiêu chí!A3: Lựa chọn: phải là danh sách có ít nhất một lựa chọn "
        "{value?, label, points}",
        f"Tiêu chí!{letter(crit, 'Tử số')}5: tham chiếu ô nhập không có 'zz' "
        "(các ô nhập: early, ontime, late)",
        f"Tiêu chí!{letter(crit, 'Điểm tối đa')}11: Điểm tối đa: bắt buộc phải có"], vi
    # a checklist file (YAML) still names the data path
    data = every_type_data()
    del data["sections"][1]["criteria"][-1]["points"]
    with pytest.raises(Exception) as caught:
        parse_checklist(data)
    assert "sections[1].criteria[4].points: is required" in str(caught.value)
