"""Checklist administration on a phone, in a real browser (390×844): upload a workbook
with mistakes and see each at its sheet and cell, upload the corrected one, preview it,
publish it, retire it."""
from __future__ import annotations

import uuid

from inspect_app.domain import checklist_workbook as layout
from inspect_app.services import accounts
from inspect_app.storage.checklist_files import load_file

from .browser import chromium, live_server, login, phone  # noqa: F401
from .support import PASSWORD
from .test_checklist_workbooks import ROOT, openpyxl_bytes, plain_rows

SHOTS = "/tmp/shots"


def workbook(checklist_id: str, broken: bool) -> bytes:
    data = dict(load_file(ROOT / "checklists" / "tu-kiem-tra-mot-cua-tuan.yaml").data)
    data["id"] = checklist_id
    data["title"] = f"Thử nghiệm {checklist_id}"
    sheets = plain_rows(layout.to_sheets(data))
    if broken:
        sheets[layout.CRITERIA][1][3] = "hopkiem"
        sheets[layout.BANDS][1][3] = 9
    return openpyxl_bytes(sheets)


def test_upload_fix_preview_publish_and_retire_on_a_phone(live_server, phone, tmp_path):
    store = live_server.store()
    tag = uuid.uuid4().hex[:6]
    accounts.create_user(store, f"qt{tag}", "admin", password=PASSWORD)
    checklist_id = f"thu-{tag}"
    bad, good = tmp_path / "bad.xlsx", tmp_path / "good.xlsx"
    bad.write_bytes(workbook(checklist_id, broken=True))
    good.write_bytes(workbook(checklist_id, broken=False))
    library = live_server.app.extensions["checklists"]
    try:
        page = phone()
        login(page, live_server, f"qt{tag}", PASSWORD)
        page.goto(f"{live_server.url}/checklists/")
        page.click("#upload summary")
        page.set_input_files("input[type=file]", str(bad))
        with page.expect_navigation():
            page.click("#upload button[type=submit]")
        problems = page.locator(".upload-problems li").all_inner_texts()
        assert len(problems) == 2
        assert problems[0].startswith("Tiêu chí!D2: phải là một trong")
        assert problems[1].startswith("Mức điểm!A2: điểm 9 vượt điểm tối đa của tiêu chí 2")
        page.screenshot(path=f"{SHOTS}/checklist-upload-errors.png", full_page=True)

        page.set_input_files("input[type=file]", str(good))
        with page.expect_navigation():
            page.click("form[enctype] button[type=submit]")
        assert "Xem trước: chưa phát hành" in page.inner_text("main")
        assert "Bộ tiêu chí mới." in page.inner_text("main")
        page.screenshot(path=f"{SHOTS}/checklist-preview.png")
        assert library.get(checklist_id) is None
        with page.expect_navigation():
            page.click("text=Phát hành thành phiên bản mới")
        assert library.get(checklist_id) is not None
        assert "Đã phát hành" in page.inner_text("body")
        page.screenshot(path=f"{SHOTS}/checklist-published.png")
        with page.expect_navigation():
            page.click("text=Ngừng dùng cho cuộc kiểm tra mới")
        assert library.retired(checklist_id)  # other tests of the session never see it
        assert checklist_id not in {c.id for c in library.all()}
    finally:  # never leave a published checklist for the other tests of the session
        if library.get(checklist_id) is not None:
            library.set_retired(checklist_id, True)
