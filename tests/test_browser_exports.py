"""The background Excel export on a phone, in a real browser (390×844): the form starts a
job, its page shows the progress bar while the workbook is made and swaps in the
download link when it is done (polling, no reload); the file opens with four sheets."""
from __future__ import annotations

import threading
import time
import uuid

import openpyxl

from inspect_app.services import accounts, commands, export_jobs
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .browser import chromium, live_server, login, phone  # noqa: F401
from .support import PASSWORD

SHOTS = "/tmp/shots"


def test_a_background_export_on_a_phone(live_server, phone, monkeypatch, tmp_path):
    store = live_server.store()
    tag = uuid.uuid4().hex[:6]
    code = f"E{tag}"
    unit_service.add_unit(store, code, f"Xã Kim Long {tag}")
    lead = accounts.create_user(store, f"xuat{tag}", "inspector", password=PASSWORD,
                                full_name="Nguyễn Ánh Xuân")
    scope = service.scope_for(store, lead)
    record = service.start(store, live_server.app.extensions["checklists"], scope,
                           commands.StartRequest(unit=code, checklist="cchc-xa", period="2025",
                                                 kind="inspection")).id
    service.save_answer(store, scope, record, commands.answer_op("1.6", {
        "op_id": str(uuid.uuid4()), "base_rev": 0, "value": False, "note": "Chưa ban hành"}))
    service.finalize(store, scope, record, commands.finalize_op(
        {"op_id": str(uuid.uuid4()), "allow_unanswered": True}))

    release = threading.Event()
    real_write = export_jobs.xlsx.write

    def slow_write(*args, **kwargs):
        release.wait(30)
        return real_write(*args, **kwargs)
    monkeypatch.setattr(export_jobs.xlsx, "write", slow_write)

    page = phone()
    login(page, live_server, f"xuat{tag}", PASSWORD)
    page.goto(f"{live_server.url}/exports/")
    page.check("input[name=all_criteria]")
    page.screenshot(path=f"{SHOTS}/export-form.png", full_page=True)
    with page.expect_navigation():
        page.click("form[action$='/exports/jobs'] button[type=submit]")
    assert "/exports/jobs/" in page.url
    assert page.is_visible("#export-progress") and page.is_visible("#export-running")
    assert not page.is_visible("#export-done")
    page.screenshot(path=f"{SHOTS}/export-running.png", full_page=True)
    url_while_running = page.url
    release.set()
    page.wait_for_selector("#export-done:not([hidden])", timeout=30000)
    assert page.url == url_while_running  # updated in place by the polling, not reloaded
    assert page.eval_on_selector("#export-progress", "p => p.value") == 100
    assert page.text_content("#export-expires").startswith("Được lưu đến ")
    page.screenshot(path=f"{SHOTS}/export-done.png", full_page=True)
    with page.expect_download() as download:
        page.click("#export-download")
    path = tmp_path / "ket-qua.xlsx"
    download.value.save_as(path)
    book = openpyxl.load_workbook(path)
    assert len(book.sheetnames) == 4
    findings = book.worksheets[-2]
    assert findings.max_row - 1 == 59  # every criterion: the box was ticked
    time.sleep(0.1)
