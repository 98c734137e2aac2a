"""Write a checklist as the Excel template of DESIGN §12 (XlsxWriter).

The rows come from :func:`inspect_app.domain.checklist_workbook.to_sheets`; this module
adds what makes the workbook usable in Excel: an instructions sheet first, bold frozen
headers, widths, wrapped long texts, dropdowns (data validation) for the criterion
type, every Có/Không column and every column with a fixed list of values, and text
cells that are never formulas (:func:`.xlsx.write_text`).
"""
from __future__ import annotations

import os
from typing import IO, Any

import xlsxwriter

from ..domain import checklist_workbook as layout
from ..domain.checklist_workbook import Cell, Column
from .xlsx import write_text

#: Rows of each data sheet that get the dropdowns (the template leaves room to add rows).
VALIDATION_ROWS = 2000
_WIDE = {"text", "help", "evidence", "remedy", "title", "description", "label", "note", "name"}


def _instructions() -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = [
        ("Bộ tiêu chí dạng Excel", "Sửa các sheet dưới đây rồi nhập lại bằng lệnh "
         "`flask --app inspect_app checklists import TỆP.xlsx` hoặc trang Bộ tiêu chí "
         "(quản trị). Mỗi lỗi được báo kèm sheet và ô, ví dụ Tiêu chí!D12."),
        ("Quy ước", "Mỗi dòng một mục; dòng tiêu đề (dòng 1) không được đổi tên. Ô trống = "
         "không khai báo. Cột Có/Không: chọn Có hoặc Không. Danh sách mã: cách nhau dấu phẩy. "
         "Số thập phân viết theo Excel (0,25). Không dùng công thức, không gộp ô, không "
         "liên kết tới tệp khác, không macro."),
        (layout.GENERAL, "Thông tin chung của bộ tiêu chí: mỗi dòng một khóa (cột Khóa không "
         "được sửa), giá trị ở cột Giá trị."),
        (layout.RATING, "Xếp loại theo tỷ lệ % điểm: mức đầu tiên có Từ <= tỷ lệ được chọn; "
         "ghi từ mức cao xuống thấp. Có thể để trống."),
        (layout.SECTIONS, "Các phần theo thứ tự hiển thị (mỗi phần một màn hình khi chấm): "
         "Mã, Tên, Mô tả, Chấm từ điều tra xã hội học (Có: điểm của phần được nhập theo từng "
         "đơn vị từ kết quả điều tra xã hội học, đơn vị không tự chấm; chỉ gồm tiêu chí loại "
         "score)."),
        (layout.CRITERIA, "Mỗi dòng một tiêu chí, theo thứ tự trong phần của nó."),
    ]
    for column in layout.criterion_columns():
        rows.append((f"  {column.header}", layout.NOTES.get(column.key, column.key)))
    rows += [
        (layout.OPTIONS, "Các lựa chọn của tiêu chí loại choice và multi: Mã tiêu chí, Giá trị "
         "(để trống = dùng Nhãn), Nhãn, Điểm."),
        (layout.BANDS, "Mức điểm của tiêu chí ratio và count, xét theo thứ tự: mức đầu tiên có "
         "Từ <= giá trị <= Đến được tính Điểm; không khớp mức nào được 0 điểm."),
        (layout.INPUTS, "Các ô nhập số liệu của tiêu chí ratio, count, info: Mã tiêu chí, Mã ô "
         "nhập, Nhãn, Kiểu (number mặc định; text, date chỉ cho info), Từ/Đến (giới hạn số), "
         "Dùng cho kế hoạch khắc phục (info: action = ô liệt kê việc cần làm, owner = người "
         "thực hiện, due = hạn)."),
    ]
    return rows


def write_checklist(data: dict[str, Any], target: str | os.PathLike[str] | IO[bytes]) -> None:
    """Write the data of a valid checklist as a workbook to a path or a binary file."""
    sheets = layout.to_sheets(data)
    workbook = xlsxwriter.Workbook(target, {"strings_to_formulas": False,
                                            "strings_to_urls": False,
                                            "strings_to_numbers": False})
    header = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top",
                                  "bg_color": "#DDEBF7", "bottom": 1})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    decimal = workbook.add_format({"num_format": "0.0##############", "valign": "top"})
    plain = workbook.add_format({"valign": "top"})

    info = workbook.add_worksheet(layout.INSTRUCTIONS)
    info.set_column(0, 0, 28)
    info.set_column(1, 1, 110)
    write_text(info, 0, 0, "Mục", header)
    write_text(info, 0, 1, "Hướng dẫn", header)
    for r, (what, text) in enumerate(_instructions(), start=1):
        write_text(info, r, 0, what, plain)
        write_text(info, r, 1, text, wrap)
    info.freeze_panes(1, 0)

    for name in layout.DATA_SHEETS:
        rows = sheets[name]
        columns = layout.sheet_columns(name)
        sheet = workbook.add_worksheet(name)
        widths = [len(str(h)) + 2 for h in rows[0]]
        for c, text in enumerate(rows[0]):
            write_text(sheet, 0, c, str(text), header)
        for r, row in enumerate(rows[1:], start=1):
            for c, value in enumerate(row):
                fmt = wrap if columns[c].key in _WIDE else plain
                if isinstance(value, Cell):
                    sheet.write_number(r, c, value.value, decimal)
                    value = value.value
                elif value is None:
                    continue
                elif isinstance(value, bool):
                    sheet.write_boolean(r, c, value, fmt)
                elif isinstance(value, (int, float)):
                    sheet.write_number(r, c, value, fmt)
                else:
                    write_text(sheet, r, c, str(value), fmt)
                widths[c] = max(widths[c], min(len(str(value)), 60) + 1)
        for c, column in enumerate(columns):
            width = min(widths[c], 60 if column.key in _WIDE else 24)
            sheet.set_column(c, c, max(width, 6))
        sheet.freeze_panes(1, 2 if name == layout.CRITERIA else (1 if name != layout.GENERAL else 0))
        last = max(len(rows) - 1, 1)
        sheet.autofilter(0, 0, last, len(columns) - 1)
        if name == layout.GENERAL:
            _general_validation(sheet, rows)
        else:
            _validation(sheet, columns, name, workbook)
    workbook.close()


def _list(sheet, first_row: int, col: int, last_row: int, values: tuple[str, ...] | str,
          message: str) -> None:
    source = values if isinstance(values, str) else list(values)
    sheet.data_validation(first_row, col, last_row, col, {
        "validate": "list", "source": source, "error_type": "warning",
        "error_title": "Giá trị không có trong danh sách", "error_message": message,
    })


def _validation(sheet, columns: tuple[Column, ...], name: str, workbook) -> None:
    for c, column in enumerate(columns):
        if column.kind == "flag":
            _list(sheet, 1, c, VALIDATION_ROWS, (layout.YES, layout.NO), "Chọn Có hoặc Không")
        elif column.kind == "enum" and column.choices:
            _list(sheet, 1, c, VALIDATION_ROWS, column.choices,
                  "Chọn một giá trị trong danh sách: " + ", ".join(column.choices))
        elif column.key == "section" and name == layout.CRITERIA:
            _list(sheet, 1, c, VALIDATION_ROWS, f"='{layout.SECTIONS}'!$A$2:$A${VALIDATION_ROWS}",
                  "Chọn một mã phần của sheet Phần")


def _general_validation(sheet, rows: list[list[Any]]) -> None:
    for r, row in enumerate(rows[1:], start=1):
        choices = layout.GENERAL_CHOICES.get(row[0])
        if choices:
            _list(sheet, r, 2, r, choices, "Chọn một giá trị: " + ", ".join(choices))
