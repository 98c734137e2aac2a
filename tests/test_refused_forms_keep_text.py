"""Forms without JavaScript that refuse a box (a number that reads two ways, a date
written with dots, an unknown parent unit) say why and show the form again as typed: the
appraisal of a section, renaming a unit, adding a unit."""
from __future__ import annotations

import html as html_lib
import re

from inspect_app.services import accounts, assessments, commands
from inspect_app.services import inspections as service
from inspect_app.services import units as unit_service

from .support import PASSWORD, csrf_of, form_fields, login, op
from .test_assessment_pages import record  # noqa: F401  (the assessment fixture)


def _box_value(page: str, name: str) -> str | None:
    """The value an <input name=...> shows on the page (None: no such box)."""
    tag = re.search(r'<input[^>]*name="%s"[^>]*>' % re.escape(name), page)
    if tag is None:
        return None
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return html_lib.unescape(value.group(1)) if value else ""


def _textarea(page: str, name: str) -> str | None:
    found = re.search(r'<textarea[^>]*name="%s"[^>]*>(.*?)</textarea>' % re.escape(name),
                      page, re.S)
    return html_lib.unescape(found.group(1)).strip() if found else None


def test_an_appraisal_number_refused_keeps_what_was_typed(app, client, record):  # noqa: F811
    """Round 1, no JavaScript: the appraiser types "3.20" in the first box of criterion 1.2
    (in Vietnamese it could be 3,2 or 320) and writes a comment in 1.2's note, then saves.
    They expect the box to be refused with a Vietnamese message, and the page to show
    again with "3.20" still in the box and the comment still in the note, to correct the
    number. What happened: the message was flashed and the page is redirected to the stored
    round: the box is empty (or the old value) and the comment typed is gone, so it has to
    be written again (web/assessments.py save_appraisal: a refused criterion is skipped and
    the route always redirects, never re-rendering the submitted form as the fill section
    save does)."""
    store = app.extensions["store"]
    unit_scope = service.scope_for(store, store.get_user("ua"))
    assessments.advance(store, unit_scope, record, commands.AdvanceOp(op()))
    login(client, "lead")
    page = client.get(f"/assessments/{record}/appraisal/chi_dao").get_data(as_text=True)
    data = form_fields(page, "appraisal-form")
    keys = [k[:-len("_orig")] for k in data if k.endswith("_orig")]
    key = keys[1]  # 1.2
    number_box = next(k for k in data if k.startswith(f"{key}_in_"))
    data[number_box] = "3.20"
    data[f"{key}_note"] = "Số văn bản đã ban hành theo biên bản kiểm tra"
    response = client.post(f"/assessments/{record}/appraisal/chi_dao", data=data,
                           follow_redirects=True)
    shown = response.get_data(as_text=True)
    assert "3.20" in shown and "hai cách" in shown  # refused, in Vietnamese
    assert "1.2" not in store.get_inspection(record).rounds.get("appraisal1", {}) or \
        store.get_inspection(record).rounds["appraisal1"]["1.2"].note != data[f"{key}_note"]
    assert _box_value(shown, number_box) == "3.20", "the number typed is lost"
    assert _textarea(shown, f"{key}_note") == "Số văn bản đã ban hành theo biên bản kiểm tra", \
        "the comment typed beside the refused number is lost"
    # corrected and sent again from the page shown: saved once, with the comment
    again = form_fields(shown, "appraisal-form")
    again[number_box] = "320"
    sent = client.post(f"/assessments/{record}/appraisal/chi_dao", data=again)
    assert sent.status_code == 302, re.findall(r'flash-error[^>]*>([^<]*)', sent.get_data(as_text=True))
    saved = store.get_inspection(record).rounds["appraisal1"]["1.2"]
    assert saved.note == "Số văn bản đã ban hành theo biên bản kiểm tra"
    assert 320 in saved.inputs.values(), saved.inputs


def test_a_rename_refused_for_its_date_keeps_the_new_name(app, client):
    """An administrator opens a commune's page, "Rename", types the new name "Phường Thiện
    Nghiệp" and the date the way it is often written, "07.04.2023", and presses Rename.
    They expect the date to be refused with a Vietnamese message and the form to show
    again with the new name still typed (only the date to correct). What happens: the
    refusal is flashed and the page redirected; the rename form is empty, the new name
    typed is lost (web/units.py rename: always redirect to units.detail, which builds a
    fresh RenameForm)."""
    store = app.extensions["store"]
    unit_service.add_unit(store, "TN", "Xã Thiện Nghiệp")
    accounts.create_user(store, "quantri", "admin", password=PASSWORD)
    login(client, "quantri")
    page = client.get("/units/TN").get_data(as_text=True)
    response = client.post("/units/TN/rename", data={
        "csrf_token": csrf_of(page), "name": "Phường Thiện Nghiệp", "on": "07.04.2023"},
        follow_redirects=True)
    shown = response.get_data(as_text=True)
    assert "phải là một ngày" in shown  # refused, in Vietnamese
    assert store.get_unit("TN").name == "Xã Thiện Nghiệp"
    assert _box_value(shown, "name") == "Phường Thiện Nghiệp", "the new name typed is lost"
    assert _box_value(shown, "on") == "07.04.2023", "the date typed is lost"


def test_a_unit_add_refused_keeps_what_was_typed(app, client):
    """An administrator adds a commune: code "XA-MOI", name "Xã Thượng Quan", parent unit
    "HUYEN-X" (mistyped: no such unit). They expect the parent to be refused in Vietnamese
    and the form to keep the code and name typed. What happened: the refusal was flashed and
    the page redirected to the list: the add form is empty (web/units.py add: always
    redirect to units.index, which builds a fresh UnitForm)."""
    store = app.extensions["store"]
    unit_service.add_unit(store, "TN", "Xã Thiện Nghiệp")
    accounts.create_user(store, "quantri", "admin", password=PASSWORD)
    login(client, "quantri")
    page = client.get("/units/").get_data(as_text=True)
    response = client.post("/units/", data={
        "csrf_token": csrf_of(page), "code": "XA-MOI", "name": "Xã Thượng Quan",
        "parent": "HUYEN-X"}, follow_redirects=True)
    shown = response.get_data(as_text=True)
    assert "HUYEN-X" in shown  # said
    assert store.get_unit("XA-MOI") is None
    assert _box_value(shown, "name") == "Xã Thượng Quan", "the name typed is lost"
    assert _box_value(shown, "code") == "XA-MOI", "the code typed is lost"
