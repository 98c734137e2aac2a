"""The item page with JavaScript (static/plan.js), Chromium 390x844: a progress note saved
by the script moves the plan-columns form onto the new revision only while nothing is
typed in it (its boxes refreshed from the server's item); typed in, it keeps its revision,
so a team mate's column change is never silently undone."""
from __future__ import annotations

import uuid

from inspect_app.services import commands, remediation
from inspect_app.services import inspections as service

from .browser import chromium, eventually, live_server, login, phone  # noqa: F401
from .support import PASSWORD
from .test_browser_remediation import commune, item_of, wait_saved  # noqa: F401


def test_a_note_saved_by_script_refreshes_the_columns_form_it_moves(
        live_server, commune, phone):
    """The commune officer has the item of 1.6 open on the phone. Meanwhile the inspector
    names the responsible person ("Chủ tịch UBND xã"). The officer writes a progress note
    (saved by plan.js without reloading: the line says "Đã lưu"), then opens "Edit the
    plan columns", fills in the expected output and saves. Expected: the owner the
    inspector set stays (or the officer is told that the item changed meanwhile). What
    happened: plan.js setRev() moved the columns form's base_rev (data-rev-of) onto the
    note's revision although the form still shows the owner as it was at page load;
    the columns form sends that old owner on the current revision and the inspector's owner is
    silently wiped."""
    page = phone()
    login(page, live_server, commune["officer"], PASSWORD)
    item_id = commune["items"]["1.6"]
    page.goto(f"{live_server.url}/remediation/item/{item_id}")
    store = commune["store"]
    lead = service.scope_for(store, store.get_user(commune["lead"]))
    remediation.update_item(store, lead, commands.item_change(item_id, {
        "op_id": str(uuid.uuid4()), "base_rev": 1, "owner": "Chủ tịch UBND xã"}))
    page.fill("#progress textarea[name=progress_note]", "Đã dự thảo kế hoạch tuyên truyền")
    page.click("#progress button[type=submit]")
    wait_saved(page)
    assert [p.note for p in item_of(commune, "1.6").progress] == ["Đã dự thảo kế hoạch tuyên truyền"]
    page.click("#edit summary")
    page.fill("#columns [name=output]", "Kế hoạch tuyên truyền CCHC năm 2025")
    with page.expect_navigation():
        page.click("#columns button[type=submit]")
    stored = item_of(commune, "1.6")
    conflict_shown = page.locator(".conflict").count() > 0
    assert stored.owner == "Chủ tịch UBND xã" or conflict_shown, (
        f"the inspector's owner was overwritten with {stored.owner!r} without a word")

    assert page.input_value("#columns [name=owner]") == "Chủ tịch UBND xã"  # refreshed
    assert stored.output == "Kế hoạch tuyên truyền CCHC năm 2025"


def test_columns_typed_before_a_note_keep_their_revision(live_server, commune, phone):
    """The officer starts typing the expected output in the columns form, then saves a
    progress note (by script), while the inspector had changed the owner. Saving the
    columns must not put the old owner back: the form kept the revision it was loaded
    at, so the save is refused as a change made meanwhile."""
    page = phone()
    login(page, live_server, commune["officer"], PASSWORD)
    item_id = commune["items"]["1.6"]
    page.goto(f"{live_server.url}/remediation/item/{item_id}")
    store = commune["store"]
    lead = service.scope_for(store, store.get_user(commune["lead"]))
    remediation.update_item(store, lead, commands.item_change(item_id, {
        "op_id": str(uuid.uuid4()), "base_rev": 1, "owner": "Chủ tịch UBND xã"}))
    page.click("#edit summary")
    page.fill("#columns [name=output]", "Kế hoạch tuyên truyền CCHC năm 2025")
    page.fill("#progress textarea[name=progress_note]", "Đã dự thảo kế hoạch")
    page.click("#progress button[type=submit]")
    wait_saved(page)
    with page.expect_navigation():
        page.click("#columns button[type=submit]")
    assert item_of(commune, "1.6").owner == "Chủ tịch UBND xã"
