"""The plan forms without JavaScript keep what was typed when a deadline is refused, and the
item page shows the line breaks of an action or a note."""
from __future__ import annotations

import uuid

import pytest

from inspect_app.services import accounts, commands, remediation
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .browser import chromium, live_server, phone  # noqa: F401
from .browser import login as browser_login
from .support import PASSWORD, form_fields, login
from .test_plan_as_entered import plan, world  # noqa: F401  (fixtures: 1.6 finalized into the plan)


def _form(client, url, form_id):
    html = client.get(url).get_data(as_text=True)
    return form_fields(html, form_id), html


def test_a_deadline_longer_than_ten_characters_throws_away_the_whole_columns_form(world, plan):
    """The lead (no JavaScript, or a browser that shows the date box as plain text) edits
    an item's action and types the deadline with a space after it ("2025-12-31 ", or
    "31/12/2025 " copied from a document). They expect the page back with a Vietnamese
    message on the deadline and the new action still in its box, as any other refused
    value does (e.g. "31/12/2025" exactly: 400 with the form kept). Instead the
    form-level Length(max=10) on ``due`` gives a bare 400 error page: the typed action
    is gone. (Since every text box is read as stored, the space after the date is trimmed
    and the date saved; longer text after it is still refused with the form kept.)"""
    lead = login(world.app.test_client(), "lead")
    fields, _ = _form(lead, f"/remediation/item/{plan['item']}", "columns")
    fields.update(due="2025-12-31 (dự kiến)",
                  action="Ban hành kế hoạch tuyên truyền CCHC năm 2025")
    response = lead.post(f"/remediation/item/{plan['item']}/edit", data=fields)
    html = response.get_data(as_text=True)
    assert 'id="columns"' in html, "a bare error page: the edited columns are lost"
    assert "Ban hành kế hoạch tuyên truyền CCHC năm 2025" in html

    fields, _ = _form(lead, f"/remediation/item/{plan['item']}", "columns")
    fields.update(due="2025-12-31 ", action="Ban hành kế hoạch tuyên truyền CCHC năm 2025")
    response = lead.post(f"/remediation/item/{plan['item']}/edit", data=fields)
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:300]
    item = world.record(plan["record"]).item(plan["item"])
    assert (item.due, item.action) == ("2025-12-31", "Ban hành kế hoạch tuyên truyền CCHC năm 2025")


def test_a_deadline_longer_than_ten_characters_throws_away_a_new_finding(world, plan):
    """Same on the plan page: the lead writes a free finding with its action and a deadline
    "31/12/2025 " (trailing space). Expected: the plan page again with the finding kept and
    a Vietnamese message; got: a bare 400, the written finding lost."""
    lead = login(world.app.test_client(), "lead")
    new, _ = _form(lead, f"/remediation/plan/{plan['record']}", "new-finding")
    new.update(finding="Công sở chưa sạch, đẹp", action="Tổng vệ sinh hằng tuần",
               due="31/12/2025 ")
    response = lead.post(f"/remediation/plan/{plan['record']}/items", data=new)
    html = response.get_data(as_text=True)
    assert 'id="new-finding"' in html, "a bare error page: the new finding is lost"
    assert "Công sở chưa sạch, đẹp" in html


@pytest.fixture
def noted_item(live_server):
    store = live_server.store()
    tag = uuid.uuid4().hex[:6]
    code = f"L{tag}"
    unit_service.add_unit(store, code, f"Xã Long {tag}")
    lead = accounts.create_user(store, f"lead{tag}", "inspector", password=PASSWORD,
                                full_name="Nguyễn Ánh Xuân")
    accounts.create_user(store, f"xa{tag}", "unit", unit=code, password=PASSWORD)
    scope = service.scope_for(store, lead)
    record = service.start(store, live_server.app.extensions["checklists"], scope,
                           commands.StartRequest(unit=code, checklist="cchc-xa", period="2025",
                                                 kind="inspection")).id
    service.save_answer(store, scope, record, commands.answer_op(
        "1.6", {"op_id": str(uuid.uuid4()), "base_rev": 0, "value": False,
                "note": "Chưa ban hành kế hoạch"}))
    service.finalize(store, scope, record, commands.finalize_op(
        {"op_id": str(uuid.uuid4()), "allow_unanswered": True}))
    item = next(i for i in store.get_inspection(record).items if i.criterion == "1.6")
    remediation.update_item(store, scope, commands.item_change(item.id, {
        "op_id": str(uuid.uuid4()), "base_rev": item.rev,
        "action": "1. Ban hành kế hoạch\n2. Niêm yết công khai",
        "progress_note": "Đã làm:\n- Dự thảo kế hoạch\n- Trình Chủ tịch ký"}))
    return {"item": item.id, "officer": f"xa{tag}"}


def test_line_breaks_in_an_items_action_and_progress_note_are_shown(live_server, noted_item, phone):
    """The inspector writes an action in numbered lines and a progress note as a list
    (line breaks, as in the paper plan). The commune officer opens the item on the phone
    and expects the lines as written; the page shows them run together on one line
    ("1. Ban hành kế hoạch 2. Niêm yết công khai"): the item's fields and the notes are
    rendered without ``white-space: pre-line`` (only .note-text has it)."""
    page = phone()
    browser_login(page, live_server, noted_item["officer"], PASSWORD)
    page.goto(f"{live_server.url}/remediation/item/{noted_item['item']}")
    fields = page.inner_text(".item-fields")
    notes = page.inner_text(".note-entry")
    assert "1. Ban hành kế hoạch\n2. Niêm yết công khai" in fields, fields
    assert "- Dự thảo kế hoạch\n- Trình Chủ tịch ký" in notes, notes
