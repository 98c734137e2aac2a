"""On a phone (390×844) in a real browser: finalizing asks first, in a dialog with the
summary; the start form's period follows the chosen checklist (static/start.js)."""
from __future__ import annotations

import datetime as _dt
import uuid

import pytest

from inspect_app.domain.periods import period_of
from inspect_app.services import accounts, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .browser import chromium, live_server, live_server_artifacts, login, phone  # noqa: F401
from .support import PASSWORD


@pytest.fixture
def people(live_server):
    store = live_server.store()
    tag = uuid.uuid4().hex[:6]
    unit_service.add_unit(store, f"W{tag}", f"Xã Yên Bình {tag}")
    accounts.create_user(store, f"lead{tag}", "inspector", password=PASSWORD,
                         full_name="Nguyễn Ánh Xuân")
    accounts.create_user(store, f"ua{tag}", "unit", unit=f"W{tag}", password=PASSWORD,
                         full_name="Lò Văn Pọm")
    return {"unit": f"W{tag}", "lead": f"lead{tag}", "ua": f"ua{tag}", "store": store}


def test_finalizing_on_a_phone_asks_first_with_a_summary(live_server, people, phone):
    store = people["store"]
    lead = service.scope_for(store, store.get_user(people["lead"]))
    record = service.start(store, live_server.app.extensions["checklists"], lead,
                           commands.StartRequest(unit=people["unit"], checklist="cchc-xa",
                                                 period="2025", kind="inspection"))
    for criterion, value in (("1.6", False), ("1.10", False), ("2.1", True)):
        service.save_answer(store, lead, record.id, commands.answer_op(criterion, {"op_id": str(uuid.uuid4()), "base_rev": 0, "value": value,
                             "note": "Chưa ban hành" if value is False else ""}))
    page = phone()
    login(page, live_server, people["lead"], PASSWORD)
    page.goto(f"{live_server.url}/inspections/{record.id}/review")
    page.check("input[name=allow_unanswered]")
    page.click("#finalize-start button[type=submit]")
    dialog = page.locator("#finalize-dialog")
    dialog.locator("#finalize-confirm").wait_for(timeout=10000)
    assert page.url.endswith("/review")  # still on the review: a dialog, not a new page
    assert dialog.evaluate("d => d.open") is True
    text = dialog.inner_text()
    assert "Chốt kết quả phiếu này?" in text and "Việc cần khắc phục sẽ được tạo" in text
    assert dialog.locator("[data-role=shortcomings]").inner_text() == "2"
    items = int(dialog.locator("[data-role=items]").inner_text())
    assert items >= 2 and dialog.locator(".items-preview li").count() == items
    assert dialog.locator("#finalize-form button[type=submit]").is_visible()
    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(live_server_artifacts() / "finalize-confirm.png"))
    assert store.get_inspection(record.id).status == "draft"  # nothing frozen by one tap

    dialog.locator("[data-role=cancel]").click()  # back: the dialog closes, nothing changes
    assert dialog.evaluate("d => d.open") is False
    assert store.get_inspection(record.id).status == "draft"

    page.click("#finalize-start button[type=submit]")
    dialog.locator("#finalize-form").wait_for(timeout=10000)
    with page.expect_navigation():
        dialog.locator("#finalize-form button[type=submit]").click()
    assert "Đã chốt" in page.content()
    finalized = store.get_inspection(record.id)
    assert finalized.status == "finalized" and len(finalized.items) == items


def test_the_start_form_period_follows_the_checklist(live_server, people, phone):
    page = phone()
    login(page, live_server, people["ua"], PASSWORD)
    page.goto(f"{live_server.url}/inspections/new?kind=self_check")
    today = _dt.date.today()  # the server's clock: Vietnam's day differs at most by one
    weeks = {period_of("week", today + _dt.timedelta(days=d)) for d in (-1, 0, 1)}
    years = {period_of("year", today + _dt.timedelta(days=d)) for d in (-1, 0, 1)}
    assert page.input_value("input[name=period]") in weeks
    page.select_option("select[name=checklist]", "cchc-xa")
    assert page.input_value("input[name=period]") in years
    assert "theo năm" in page.inner_text("#period-hint")
    page.select_option("select[name=checklist]", "tu-kiem-tra-mot-cua-tuan")
    assert page.input_value("input[name=period]") in weeks


def test_printed_minutes_keep_the_line_breaks_of_a_multi_line_note(live_server, phone):
    """An inspector writes a note of two lines (two separate findings). The printed
    minutes must show them on two lines, as they were written,
    not run together into one sentence."""
    import uuid

    from inspect_app.services import accounts, commands
    from inspect_app.services import inspections as service
    from inspect_app.services import units as unit_service

    store = live_server.store()
    tag = uuid.uuid4().hex[:6]
    code = f"B{tag}"
    unit_service.add_unit(store, code, f"Xã Bình Minh {tag}")
    lead = accounts.create_user(store, f"lead{tag}", "inspector", password="mat-khau-dai")
    scope = service.scope_for(store, lead)
    record = service.start(store, live_server.app.extensions["checklists"], scope,
                           commands.StartRequest(unit=code, checklist="cchc-xa", period="2025",
                                                 kind="inspection")).id
    note = "1. Chưa ban hành kế hoạch tuyên truyền\n2. Chưa báo cáo kết quả quý I"
    service.save_answer(store, scope, record, commands.answer_op(
        "1.6", {"op_id": str(uuid.uuid4()), "base_rev": 0, "value": False, "note": note}))
    service.finalize(store, scope, record, commands.finalize_op(
        {"op_id": str(uuid.uuid4()), "allow_unanswered": True}))
    assert store.get_inspection(record).answers["1.6"].note == note  # stored as written
    page = phone()
    login(page, live_server, f"lead{tag}", "mat-khau-dai")
    page.goto(f"{live_server.url}/inspections/{record}/minutes")
    line = page.locator("ol.shortcomings li", has_text="Tiêu chí 1.6")
    shown = line.inner_text()
    assert "tuyên truyền\n2. Chưa báo cáo" in shown, shown
