"""Checklist authoring by admins: a preview names a change of the rating bands, workbook cells
are read as a YAML file reads them, the docs' headers are read, a retired checklist's records
stay exportable."""
from __future__ import annotations

import io
import re

import openpyxl

from inspect_app.domain import checklist_workbook as layout
from inspect_app.storage.checklist_files import load_file
from inspect_app.storage.checklist_workbooks import read_workbook

from .support import csrf_of
from .test_checklist_admin import CHECKLIST, ROOT, admin, download, edited, upload  # noqa: F401
from .test_checklist_workbooks import workbook_bytes

CCHC = ROOT / "checklists" / "cchc-xa.yaml"


def _excel_edit(raw: bytes, change) -> bytes:
    """Open the exported workbook with openpyxl, change cells as in Excel, save."""
    book = openpyxl.load_workbook(io.BytesIO(raw))
    change(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_preview_of_a_draft_that_changes_only_the_rating_bands_names_that_change(admin):
    """An admin downloads the weekly self-check workbook, lowers the "Tốt" threshold of the
    sheet Xếp loại from 90 to 70 (every unit scoring 70–89 % is now rated Tốt instead of
    Khá) and uploads it. The preview is meant to show what the draft changes against the
    current version before it is published; it says only "Không tiêu chí nào thay đổi."
    and nothing about the rating, so the admin (or a colleague approving) publishes a
    change of every result's rating without being told."""
    def lower_good(sheets):
        rating = sheets[layout.RATING]
        assert rating[1][1] == "Tốt"
        rating[1][0] = 70

    response = upload(admin, edited(download(admin), lower_good))
    assert response.status_code == 302
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    preview = page.split('id="draft-title"', 1)[1].split("</section>", 1)[0]
    assert "Không tiêu chí nào thay đổi." not in preview
    assert "xếp loại" in preview.lower()  # the rating change is named


def test_an_option_value_typed_with_a_trailing_space_is_trimmed():
    """An admin retypes an option value of cchc-xa (sheet Lựa chọn, criterion 1.1) in Excel
    and leaves a trailing space: "dung_han ". Every other id-like cell (criterion, section,
    input ids) is read with its spaces trimmed, and the same value in the YAML file would be
    "dung_han"; the admin expects the same checklist back. The import keeps "dung_han "
    as the option's value: the content hash changes (a new 'version' to publish), and
    answers naming the option "dung_han" (API, offline queue) no longer match it."""
    original = load_file(CCHC)

    def spaced(book):
        sheet = book[layout.OPTIONS]
        assert sheet["B2"].value == "dung_han"
        sheet["B2"] = "dung_han "

    checklist, _data = read_workbook(_excel_edit(workbook_bytes(dict(original.data)), spaced))
    values = [o.value for o in checklist.criterion("1.1").options]
    assert "dung_han" in values, values
    assert checklist.hash == original.hash


def test_an_options_and_bands_points_column_is_headed_points_not_maximum():
    """docs/checklists.md §17 gives the columns of Lựa chọn as `Mã tiêu chí`, `Giá trị`,
    `Nhãn`, `Điểm` (and of Mức điểm `Mã tiêu chí`, `Từ`, `Đến`, `Điểm`): there the column
    holds an option's or band's points. A province officer who opens the exported
    workbook expects it headed "Điểm"; it is headed "Điểm tối đa" (maximum points), as if
    each option were a criterion's maximum. The criteria sheet keeps "Điểm tối đa", and a
    workbook whose header is set the way the docs say is read back unchanged."""
    original = load_file(CCHC)

    def docs_headers(book):
        assert book[layout.CRITERIA]["E1"].value == "Điểm tối đa"
        for name in (layout.OPTIONS, layout.BANDS):
            assert book[name]["D1"].value == "Điểm", name
            book[name]["D1"] = " điểm "  # typed again, as people type it

    checklist, _data = read_workbook(_excel_edit(workbook_bytes(dict(original.data)),
                                                 docs_headers))
    assert checklist.hash == original.hash


def test_a_workbook_exported_with_the_old_maximum_heading_is_still_read():
    """A workbook exported before the options' and bands' points column was headed "Điểm"
    says "Điểm tối đa" there (such files are in users' hands); importing one gives the
    same checklist, and so does one headed with the format's key ("Points")."""
    original = load_file(CCHC)
    for heading in ("Điểm tối đa", "Points"):
        def old_headers(book, heading=heading):
            for name in (layout.OPTIONS, layout.BANDS):
                book[name]["D1"] = heading

        checklist, _data = read_workbook(_excel_edit(workbook_bytes(dict(original.data)),
                                                     old_headers))
        assert checklist.hash == original.hash, heading


def test_a_trailing_space_after_the_version_keeps_the_content(app, admin):
    """An admin downloads the weekly self-check workbook, retypes its version in the sheet
    Thông tin chung leaving a trailing space ("2025.1 " — invisible in Excel), changes
    nothing else and uploads it. The checklist read back shows version "2025.1", the
    preview lists no change; the admin expects the same content (docs §17: the round trip
    keeps the content hash) and, on publishing, "nothing to publish". Instead the draft
    has another hash, and publishing is refused with "phiên bản 2025.1 … đã được ban hành
    với nội dung khác", blaming a content change that does not exist (the space is trimmed
    from the version shown but kept in the data the hash is taken from)."""
    library = app.extensions["checklists"]
    current = library.get(CHECKLIST)

    def spaced(sheets):
        row = next(r for r in sheets[layout.GENERAL] if r[0] == "version")
        assert row[2] == current.version
        row[2] = f"{current.version} "

    response = upload(admin, edited(download(admin), spaced))
    assert response.status_code == 302
    html = admin.get(response.headers["Location"]).get_data(as_text=True)
    publish_url = re.search(r'action="(/checklists/drafts/[^"]+/publish)"', html).group(1)
    against = re.search(r'name="against" value="([^"]*)"', html).group(1)
    response = admin.post(publish_url, data={"csrf_token": csrf_of(html), "against": against},
                          follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "đã được ban hành với nội dung khác" not in page
    assert "không có gì để phát hành" in page


def test_after_retiring_a_checklist_its_records_can_still_be_exported(app, admin):
    """An admin retires the weekly self-check checklist ("Ngừng dùng cho cuộc kiểm tra
    mới": docs §17 — no new records; records already started are untouched, and admins
    still see a retired checklist). Then the admin opens the export page to export the
    records done with it. The checklist is missing from the Checklist filter (the list is
    the library's checklists *not retired*), and asking for it by its id is refused as an
    invalid choice ("Lựa chọn không hợp lệ.", 400): past records of a retired checklist
    cannot be exported on their own (dashboards and rankings also offer only
    ``library.all()``)."""
    from inspect_app.services import checklists as checklist_service

    checklist_service.retire(app.extensions["checklists"], CHECKLIST, True, by="quantri")
    page = admin.get("/exports/").get_data(as_text=True)
    assert f'value="{CHECKLIST}"' in page
