"""An assessment on a phone, in a real browser (390×844): the commune officer reads the
appraisers' comment and explains; the appraiser's section screen and the scores side by
side fit the phone. Screenshots go to ``INSPECT_SCREENSHOTS`` when it is set."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from inspect_app.services import accounts, assessments, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .browser import chromium, live_server, login, phone  # noqa: F401
from .support import PASSWORD
from .test_shipped_checklists import full_answers


def op() -> str:
    return str(uuid.uuid4())


def shot(page, name: str) -> None:
    folder = os.environ.get("INSPECT_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)


@pytest.fixture
def waiting(live_server):
    """An assessment at the explanation stage: round 1 lowered 1.6 and asked to explain it."""
    return explanation_stage(live_server)


def explanation_stage(live_server, *, explain_54: bool = False) -> dict:
    """Round 1 lowered 1.6 (asking to explain it) and 5.4 (asking too with `explain_54`)."""
    store = live_server.store()
    tag = uuid.uuid4().hex[:6]
    code = f"T{tag}"
    unit_service.add_unit(store, code, f"Xã Thiện Nghiệp {tag}")
    accounts.create_user(store, f"lead{tag}", "inspector", password=PASSWORD,
                         full_name="Nguyễn Ánh Xuân")
    accounts.create_user(store, f"xa{tag}", "unit", unit=code, password=PASSWORD,
                         full_name="Hoàng Thạc")
    lead = service.scope_for(store, store.get_user(f"lead{tag}"))
    unit = service.scope_for(store, store.get_user(f"xa{tag}"))
    record = service.start(store, live_server.app.extensions["checklists"], lead,
                           commands.StartRequest(unit=code, checklist="cchc-xa", period="2025",
                                                 kind="assessment")).id
    for cid, content in full_answers().items():
        service.save_answer(store, unit, record, commands.answer_op(cid, {
            "op_id": op(), "base_rev": 0, "note": f"Minh chứng {cid}", **content}))
    assessments.advance(store, unit, record, commands.AdvanceOp(op()))
    assessments.save_appraisal(store, lead, record, commands.appraisal_op("1.6", {
        "op_id": op(), "base_rev": 1, "value": False, "explain": True,
        "note": "Chưa thấy kế hoạch tuyên truyền CCHC năm 2025"}))
    assessments.save_appraisal(store, lead, record, commands.appraisal_op("5.4", {
        "op_id": op(), "base_rev": 1, "value": 1.5, "explain": explain_54,
        "note": "Trừ 0,5 điểm"}))
    assessments.advance(store, lead, record, commands.AdvanceOp(op()))
    return {"record": record, "officer": f"xa{tag}", "lead": f"lead{tag}"}


def test_the_officer_explains_on_a_phone(live_server, waiting, phone):
    page = phone()
    login(page, live_server, waiting["officer"], PASSWORD)
    record = waiting["record"]
    page.goto(f"{live_server.url}/inspections/{record}")
    shot(page, "assessment-view-unit")
    page.click("text=Giải trình (1)")
    page.wait_for_url(f"**/assessments/{record}/explanations")
    assert "Chưa thấy kế hoạch tuyên truyền CCHC năm 2025" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.fill("#e-1\\.6 textarea[name=text]", "Đã ban hành KH số 06/KH-UBND ngày 18/01/2025")
    shot(page, "assessment-explanations")
    with page.expect_navigation():
        page.click("#e-1\\.6 button[type=submit]")
    assert "Đã lưu giải trình." in page.content()
    saved = live_server.store().get_inspection(record).explanations["1.6"]
    assert saved.text.startswith("Đã ban hành KH số 06")
    page.goto(f"{live_server.url}/assessments/{record}/scores")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("tr.overrated").count() == 2
    shot(page, "assessment-scores")


def test_the_appraisal_screen_fits_a_phone(live_server, waiting, phone):
    page = phone()
    login(page, live_server, waiting["lead"], PASSWORD)
    record = waiting["record"]
    page.goto(f"{live_server.url}/assessments/{record}/appraisal/chi_dao")
    assert "Minh chứng 1.1" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator("#k-1\\.6").scroll_into_view_if_needed()
    shot(page, "assessment-appraisal")
    page.goto(f"{live_server.url}/inspections/{record}")
    shot(page, "assessment-view-province")


def test_what_an_appraiser_typed_survives_the_language_switch(live_server, phone):
    """An appraiser types "1.150,25" (Vietnamese) and a note in section 6, then taps EN in the
    header before saving. What happened: the page came back in English with the boxes
    empty -- the figure and the note were gone. Now they are back, marked not saved, and
    the save reads the figure the way it was typed (1150.25, never 1.15025)."""
    store = live_server.store()
    tag = uuid.uuid4().hex[:6]
    code = f"T{tag}"
    unit_service.add_unit(store, code, f"Xã Thiện Nghiệp {tag}")
    accounts.create_user(store, f"lead{tag}", "inspector", password=PASSWORD)
    accounts.create_user(store, f"xa{tag}", "unit", unit=code, password=PASSWORD)
    lead = service.scope_for(store, store.get_user(f"lead{tag}"))
    unit = service.scope_for(store, store.get_user(f"xa{tag}"))
    record = service.start(store, live_server.app.extensions["checklists"], lead,
                           commands.StartRequest(unit=code, checklist="cchc-xa", period="2025",
                                                 kind="assessment")).id
    for cid, content in full_answers().items():
        service.save_answer(store, unit, record, commands.answer_op(cid, {
            "op_id": op(), "base_rev": 0, **content}))
    assessments.advance(store, unit, record, commands.AdvanceOp(op()))
    page = phone()
    login(page, live_server, f"lead{tag}", PASSWORD)
    page.goto(f"{live_server.url}/assessments/{record}/appraisal/tai_chinh")
    planned, figure = (page.locator("#k-6\\.3 input[inputmode]").nth(i) for i in (0, 1))
    note = page.locator("#k-6\\.3 textarea").first
    figure.fill("1.150,25")
    page.click("#k-6\\.3 details.note summary")
    note.fill("Giải ngân chậm quý IV")
    with page.expect_navigation():
        page.click("form.lang button[value=en]")
    assert page.locator("html").get_attribute("lang") == "en"
    assert figure.input_value() == "1.150,25"
    assert planned.input_value() == "12.500,5"  # the form reads in one language's numbers
    assert note.input_value() == "Giải ngân chậm quý IV"
    assert page.locator("#k-6\\.3 .draft-note").count() >= 1
    shot(page, "assessment-appraisal-draft")
    with page.expect_navigation():
        page.click("button[name=go][value=stay]")
    saved = live_server.store().get_inspection(record).rounds["appraisal1"]["6.3"]
    assert saved.inputs == {"ke_hoach_von": 12500.5, "da_giai_ngan": 1150.25}
    assert saved.note == "Giải ngân chậm quý IV"
    assert page.locator(".draft-note").count() == 0
